// The trigger table: config type → factory (aesthetics.md §4: one file per trigger, each (opts, fire) => stop).
// startTrigger never throws: an unknown type or a failing factory is reported and gets a stop that does nothing.
import type { Trigger } from '../../server/schema';
import { report } from '../safe';
import { pageLoad } from './page-load';
import type { Fire, Opts, TriggerEnv, TriggerFactory } from './types';

export type { Fire, TriggerEnv, TriggerFactory } from './types';

/** The other triggers (lazy/triggers.ts), each exported under its config type. */
function common(opts: Trigger, fire: Fire, env: TriggerEnv): () => void {
  return lazy(env.load('triggers'), (m) => (m[opts.type as keyof typeof m] as TriggerFactory<Trigger>)(opts, fire, env));
}

const table: { [K in Trigger['type']]: TriggerFactory<Opts<K>> } = {
  page_load: pageLoad,
  time_on_page: common,
  scroll_depth: common,
  inactivity: common,
  click: common,
  page_views: common,
  event: common,
  cart: common,
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
