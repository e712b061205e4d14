// The in-process presence store (the default, one server instance): per key a Map visitor id → last seen (ms).
// Counts are exact. Memory stays bounded three ways: beat/count prune the key they touch, a periodic sweep drops
// expired visitors and empty keys everywhere, and a hard cap on entries evicts the stalest keys first, so a
// flood of made-up visitor ids cannot exhaust memory.
//
// Both maps are kept in recency order (a Map iterates in insertion order; a beat deletes and re-inserts), so
// pruning a key walks only its expired visitors, and eviction takes the least recently beaten keys from the
// front: O(1) amortised per beat.
import type { PresenceStore } from './types';

export interface MemoryPresenceOptions {
  /** How often the periodic sweep runs (an unref'd timer). Default 10 s; 0 turns the timer off (tests sweep by hand). */
  sweepEveryMs?: number;
  /** The most (key, visitor) entries held at once. Default 1,000,000 (about 85 MB of heap: bench/RESULTS.md). */
  maxEntries?: number;
  /** The clock of the periodic sweep. Default Date.now. */
  now?: () => number;
}

export interface MemoryPresence extends PresenceStore {
  readonly kind: 'memory';
  /** One line for the log: which store this is. */
  readonly description: string;
  /** Drops every expired visitor (by the window each key was last used with) and every empty key. */
  sweep(now: number): void;
  /** Keys held right now (empty ones are dropped by the sweep). */
  keyCount(): number;
}

interface Entry {
  /** visitor id → last seen, oldest first while `ordered`. */
  visitors: Map<string, number>;
  /** The window this key was last used with (the sweep uses it). */
  windowMs: number;
  /** The latest last-seen time held: a beat older than this (a clock that went back) breaks the order. */
  latest: number;
  ordered: boolean;
}

const DEFAULT_SWEEP_MS = 10_000;
const DEFAULT_MAX_ENTRIES = 1_000_000;

export function createMemoryPresence(opts: MemoryPresenceOptions = {}): MemoryPresence {
  const sweepEveryMs = opts.sweepEveryMs ?? DEFAULT_SWEEP_MS;
  const maxEntries = Math.max(1, Math.floor(opts.maxEntries ?? DEFAULT_MAX_ENTRIES));
  // Eviction frees down to this many, so it runs once per ~10 % of the cap in new entries, not on every beat.
  const lowWater = Math.max(0, Math.floor(maxEntries * 0.9));
  const clock = opts.now ?? Date.now;

  /** key → entry, least recently beaten first. */
  const keys = new Map<string, Entry>();
  let total = 0;
  let closed = false;

  /** Drops the visitors of `entry` last seen at or before `now - windowMs`; returns how many are left. */
  function prune(entry: Entry, now: number, windowMs: number): number {
    const cutoff = now - windowMs;
    const visitors = entry.visitors;
    if (!entry.ordered) {
      // A clock went backwards at some point: scan everything once and restore the order.
      const kept = [...visitors].filter(([, seen]) => seen > cutoff).sort((a, b) => a[1] - b[1]);
      total -= visitors.size - kept.length;
      entry.visitors = new Map(kept);
      entry.ordered = true;
      return entry.visitors.size;
    }
    for (const [visitor, seen] of visitors) {
      if (seen > cutoff) break;
      visitors.delete(visitor);
      total--;
    }
    return visitors.size;
  }

  function sweep(now: number): void {
    for (const [key, entry] of keys) {
      if (prune(entry, now, entry.windowMs) === 0) keys.delete(key);
    }
  }

  /** Frees entries down to the low-water mark: expired ones first, then the stalest keys (oldest visitors). */
  function evict(now: number): void {
    sweep(now);
    for (const [key, entry] of keys) {
      if (total <= lowWater) return;
      const size = entry.visitors.size;
      if (total - size >= lowWater) {
        keys.delete(key);
        entry.visitors = new Map(); // the caller may still hold this entry (the key being beaten)
        total -= size;
        continue;
      }
      // Dropping this whole key would go below the mark: its oldest visitors go instead.
      if (!entry.ordered) prune(entry, now, entry.windowMs);
      for (const visitor of entry.visitors.keys()) {
        if (total <= lowWater) break;
        entry.visitors.delete(visitor);
        total--;
      }
      if (entry.visitors.size === 0) keys.delete(key);
    }
  }

  let timer: NodeJS.Timeout | undefined;
  if (sweepEveryMs > 0) {
    timer = setInterval(() => sweep(clock()), sweepEveryMs);
    timer.unref();
  }

  return {
    kind: 'memory',
    description: `in process (one instance; at most ${maxEntries.toLocaleString('en')} entries)`,

    async beat(key, visitorId, now, windowMs) {
      if (closed) throw new Error('presence store is closed');
      let entry = keys.get(key);
      if (entry) {
        keys.delete(key); // re-inserted below: most recently beaten last
      } else {
        entry = { visitors: new Map(), windowMs, latest: -Infinity, ordered: true };
      }
      keys.set(key, entry);
      entry.windowMs = windowMs;

      const previous = entry.visitors.get(visitorId);
      if (previous === undefined) {
        if (total >= maxEntries) evict(now);
        // Eviction may have dropped this very key (when it was all that was left to drop).
        if (keys.get(key) !== entry) keys.set(key, entry);
        total++;
      } else {
        entry.visitors.delete(visitorId);
      }
      const seen = previous === undefined ? now : Math.max(previous, now);
      if (seen < entry.latest) entry.ordered = false;
      else entry.latest = seen;
      entry.visitors.set(visitorId, seen);
      return prune(entry, now, windowMs);
    },

    async count(key, now, windowMs) {
      if (closed) throw new Error('presence store is closed');
      const entry = keys.get(key);
      if (!entry) return 0;
      const n = prune(entry, now, windowMs);
      if (n === 0) keys.delete(key);
      return n;
    },

    async size() {
      return total;
    },

    keyCount: () => keys.size,
    sweep,

    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      keys.clear();
      total = 0;
    },
  };
}
