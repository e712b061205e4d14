// Who is viewing what, now: distinct visitors per presence key (a product id or a path) seen within a window.
// Two implementations behind this interface: in process (memory.ts, the default) and Redis (redis.ts, when
// REDIS_URL is set, so several server instances count together). Keys expire on their own; nothing about a
// visitor is kept beyond their random id and when they were last seen.

export interface PresenceStore {
  /**
   * Records that `visitorId` is on `key` at `now` and resolves with the distinct visitors seen on `key` within
   * the last `windowMs` (this one included).
   */
  beat(key: string, visitorId: string, now: number, windowMs: number): Promise<number>;
  /** Distinct visitors seen on `key` within the last `windowMs`, recording nothing. */
  count(key: string, now: number, windowMs: number): Promise<number>;
  /** (key, visitor) entries held right now, expired ones included until swept: for memory-bound checks. */
  size(): Promise<number>;
  close(): Promise<void>;
}
