// page_load: `delay_seconds` after the page view began (env.pageStart), not after the config happened to arrive,
// so a slow network does not stretch the delay. Held while the tab is hidden (scope.ts).
import { scope } from './scope';
import type { Opts, TriggerFactory } from './types';

export const pageLoad: TriggerFactory<Opts<'page_load'>> = (o, fire, env) => {
  const s = scope('page_load', env, fire);
  s.timer(() => s.fire())(env.pageStart + o.delay_seconds * 1e3 - env.now());
  return s.stop;
};
