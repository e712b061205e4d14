// page_views: this is at least the `count`th page view of the session. Decided once, at start (the engine arms
// triggers again on every page view).
import { scope } from './scope';
import type { Opts, TriggerFactory } from './types';

export const pageViews: TriggerFactory<Opts<'page_views'>> = (o, fire, env) => {
  const s = scope('page_views', env, fire);
  if (env.pageViews >= o.count) s.fire();
  return s.stop;
};
