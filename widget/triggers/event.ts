// event: a tracked event of that exact name (`kairos('track', 'Product Added')`) while this page view lasts.
import { safe } from '../safe';
import { scope } from './scope';
import type { Opts, TriggerFactory } from './types';

export const event: TriggerFactory<Opts<'event'>> = (o, fire, env) => {
  const s = scope('event', env, fire);
  s.add(env.onEvent(safe('event', (name: string) => name === o.name && s.fire())));
  return s.stop;
};
