// The trigger table: config type → factory (aesthetics.md §4: one file per trigger, each (opts, fire) => stop).
// startTrigger never throws: an unknown type or a failing factory is reported and gets a stop that does nothing.
import type { Trigger } from '../../server/schema';
import { report } from '../safe';
import { cart } from './cart';
import { click } from './click';
import { event } from './event';
import { inactivity } from './inactivity';
import { pageLoad } from './page-load';
import { pageViews } from './page-views';
import { scrollDepth } from './scroll-depth';
import { timeOnPage } from './time-on-page';
import type { Fire, Opts, TriggerEnv, TriggerFactory } from './types';

export type { Fire, TriggerEnv, TriggerFactory } from './types';

const table: { [K in Trigger['type']]: TriggerFactory<Opts<K>> } = {
  page_load: pageLoad,
  time_on_page: timeOnPage,
  scroll_depth: scrollDepth,
  inactivity,
  click,
  page_views: pageViews,
  event,
  cart,
  exit_intent: (opts, fire, env) => lazy(env.load('exit_intent'), (m) => m.exitIntent(opts, fire, env)),
  viewers: (opts, fire, env) => lazy(env.load('presence'), (m) => m.viewers(opts, fire, env)),
};

/** A trigger from a chunk: armed at once, started when its chunk arrives; a stop() before that means it never runs. */
function lazy<M>(chunk: Promise<M>, start: (m: M) => () => void): () => void {
  let stopped = false;
  let stop: (() => void) | undefined;
  chunk.then(
    (m) => void (stopped || (stop = start(m))),
    (e: unknown) => report('trigger', e),
  );
  return () => {
    stopped = true;
    stop?.();
  };
}

/** Arms `trigger`; `fire` is called at most once, with the signal that fired it. Returns `stop`. */
export function startTrigger(trigger: Trigger, fire: Fire, env: TriggerEnv): () => void {
  try {
    if (table.hasOwnProperty(trigger.type)) return (table[trigger.type] as TriggerFactory<Trigger>)(trigger, fire, env);
    report('trigger', 'unknown type ' + trigger.type);
  } catch (e) {
    report('trigger', e);
  }
  return () => {};
}
