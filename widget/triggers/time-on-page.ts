// time_on_page: `seconds` of visible time on this page view. A tab left open in the background is not time on
// the page; time before the trigger was armed counts as visible if the tab is visible now.
import { scope, visibleTimer } from './scope';
import type { Opts, TriggerFactory } from './types';

export const timeOnPage: TriggerFactory<Opts<'time_on_page'>> = (o, fire, env) => {
  const s = scope('time_on_page', env, fire);
  visibleTimer(s, () => s.fire())(o.seconds * 1e3 - (s.hidden() ? 0 : env.now() - env.pageStart));
  return s.stop;
};
