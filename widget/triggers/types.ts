// The contract between the engine and the triggers (aesthetics.md §4: one file per trigger, each
// (opts, fire) => stop). Everything a trigger reads about the page or the session comes in through `env`, so a
// trigger never touches a global and a test can hand it a clock, a window and a session of its own.
import type { Trigger } from '../../server/schema';

export interface TriggerEnv {
  /** Everything DOM goes through this (testable, no globals). */
  win: Window;
  /** The clock, in ms. */
  now(): number;
  /** When this page view began (an SPA route change resets it). */
  pageStart: number;
  /** The primary pointer is coarse: exit intent uses the mobile composite. */
  touch: boolean;
  /** Page views in this session, this one included. */
  pageViews: number;
  /** Items in the cart now. */
  cartItems: number;
  /** This page view began a new session. */
  newSession: boolean;
  /** API origin and the visitor's id, for triggers that ask the server (viewers); the id is empty under Global
   *  Privacy Control or before consent: then the viewers count is read without counting this shopper. */
  api: string;
  visitorId: string;
  /** Tracked events (`kairos('track', name)`); returns the unsubscribe. */
  onEvent(listener: (name: string) => void): () => void;
  /**
   * Loads a trigger kept out of the first script (exit intent: the biggest; viewers: with the presence loop;
   * the rest but page_load in one chunk: only the pages whose campaigns use them load them). The engine imports its chunk from kairos-ui/; tests hand over a module.
   */
  load<K extends keyof LazyTriggers>(name: K): Promise<LazyTriggers[K]>;
}

/** Triggers in chunks of their own, by chunk name. */
export interface LazyTriggers {
  exit_intent: { exitIntent: TriggerFactory<Opts<'exit_intent'>> };
  presence: { viewers: TriggerFactory<Opts<'viewers'>> };
  /** Every other trigger but page_load, by config type. */
  triggers: { [K in Exclude<Trigger['type'], 'page_load' | 'exit_intent' | 'viewers'>]: TriggerFactory<Opts<K>> };
}

/** `signal`: what fired it, e.g. 'pointer_exit', 'scroll_up', 'tab_return', 'inactivity'. */
export type Fire = (signal?: string) => void;

/** Starts watching; returns `stop`. */
export type TriggerFactory<T> = (opts: T, fire: Fire, env: TriggerEnv) => () => void;

/** The options of one trigger type, as the config schema gives them (defaults applied). */
export type Opts<K extends Trigger['type']> = Extract<Trigger, { type: K }>;
