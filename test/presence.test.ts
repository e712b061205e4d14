// Presence (server/presence): one contract run against both stores — in process and Redis — then a simulation of
// 10,000 viewers with churn checked against the truth at checkpoints, bounded memory, the entry cap, and two
// instances sharing one Redis. Fake `now` values throughout; the only real waits are the sweep timer (tens of ms)
// and one Redis key expiry (a 200 ms window).
//
// Redis: REDIS_URL, else redis://127.0.0.1:6379, with a key prefix of this run's own (deleted afterwards). When it
// is not reachable the Redis tests are skipped with a warning — or fail, when KAIROS_REQUIRE_SERVICES is set (CI).
import { Redis } from 'ioredis';
import { checkService, redisDown as redisDownAt, REDIS_URL } from './services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPresence } from '../server/presence/index';
import { createMemoryPresence } from '../server/presence/memory';
import { createRedisPresence } from '../server/presence/redis';
import type { PresenceStore } from '../server/presence/types';
import { prng } from './seeded';

const RUN_PREFIX = `kairos-test-${process.pid}-${Date.now().toString(36)}:`;
const W = 45_000; // the default window
const T0 = 1_800_000_000_000;

const redisDown = await redisDownAt(REDIS_URL);
const skipRedis = checkService('Redis', REDIS_URL, redisDown, 'Redis presence tests');

/** A client of our own for looking at what the stores left in Redis, and for cleaning up. */
let admin: Redis | undefined;
async function redisKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await admin!.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}
let prefixes = 0;
const freshPrefix = () => `${RUN_PREFIX}${++prefixes}:`;

if (!skipRedis) {
  beforeAll(() => {
    admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
  });
  afterAll(async () => {
    if (!admin) return;
    const keys = await redisKeys(RUN_PREFIX);
    for (let i = 0; i < keys.length; i += 500) await admin.del(...keys.slice(i, i + 500));
    admin.disconnect();
  });
}

interface Beat {
  t: number;
  key: string;
  visitor: string;
}

/**
 * 10,000 viewers over 10 minutes of simulated time: each arrives, looks at one or two products (popular ones
 * more often) for up to 90 s each, beating every 15 s ± 5 s, then leaves.
 */
function viewers(seed = 42, count = 10_000, keys = 500): { beats: Beat[]; keys: string[]; end: number } {
  const rand = prng(seed);
  const beats: Beat[] = [];
  for (let i = 0; i < count; i++) {
    const visitor = `viewer-${i.toString(36).padStart(5, '0')}-${Math.floor(rand() * 1e9).toString(36)}`;
    let t = T0 + Math.floor(rand() * 600_000);
    const visits = 1 + Math.floor(rand() * 2);
    for (let v = 0; v < visits; v++) {
      const key = `product:p${Math.floor(keys * rand() ** 2)}`;
      const leave = t + Math.floor(rand() * 90_000);
      for (;;) {
        beats.push({ t, key, visitor });
        const next = t + 15_000 + Math.round((rand() * 2 - 1) * 5_000);
        if (next > leave) break;
        t = next;
      }
      t = leave + Math.floor(rand() * 20_000);
    }
  }
  beats.sort((a, b) => a.t - b.t);
  return { beats, keys: Array.from({ length: keys }, (_, k) => `product:p${k}`), end: beats[beats.length - 1]!.t };
}

/** The truth: per key, visitor → last beat; distinct visitors with a beat in (now - W, now]. */
class Truth {
  readonly seen = new Map<string, Map<string, number>>();
  beat(b: Beat) {
    let m = this.seen.get(b.key);
    if (!m) this.seen.set(b.key, (m = new Map()));
    m.set(b.visitor, Math.max(m.get(b.visitor) ?? -Infinity, b.t));
  }
  count(key: string, now: number): number {
    let n = 0;
    for (const t of this.seen.get(key)?.values() ?? []) if (t > now - W && t <= now) n++;
    return n;
  }
}

interface Harness {
  store: PresenceStore;
  /** The memory store's sweep (memory only). */
  sweep?: (now: number) => void;
}

/** The contract every presence store keeps. */
function presenceContract(name: string, make: () => Promise<Harness>, opts: { skip?: boolean } = {}) {
  describe.skipIf(opts.skip)(`presence contract: ${name}`, () => {
    let h: Harness;
    const fresh = async () => {
      h = await make();
      return h.store;
    };
    it('counts distinct visitors; a visitor beating twice counts once', async () => {
      const s = await fresh();
      expect(await s.beat('product:a', 'visitor-0001', T0, W)).toBe(1);
      expect(await s.beat('product:a', 'visitor-0002', T0 + 1000, W)).toBe(2);
      expect(await s.beat('product:a', 'visitor-0001', T0 + 15_000, W)).toBe(2);
      expect(await s.beat('product:a', 'visitor-0003', T0 + 16_000, W)).toBe(3);
      expect(await s.count('product:a', T0 + 16_000, W)).toBe(3);
      expect(await s.size()).toBe(3);
      await s.close();
    });

    it('forgets a visitor once the window has passed since their last beat (exclusive bound)', async () => {
      const s = await fresh();
      await s.beat('product:a', 'visitor-0001', T0, W);
      await s.beat('product:a', 'visitor-0002', T0 + 10_000, W);
      expect(await s.count('product:a', T0 + W - 1, W)).toBe(2);
      expect(await s.count('product:a', T0 + W, W)).toBe(1); // last seen exactly a window ago: gone
      expect(await s.beat('product:a', 'visitor-0003', T0 + W + 10_000, W)).toBe(1);
      expect(await s.count('product:a', T0 + 2 * W + 10_000, W)).toBe(0);
      // A visitor who comes back counts again.
      expect(await s.beat('product:a', 'visitor-0001', T0 + 3 * W, W)).toBe(1);
      await s.close();
    });

    it('keeps keys independent', async () => {
      const s = await fresh();
      await s.beat('product:a', 'visitor-0001', T0, W);
      await s.beat('product:a', 'visitor-0002', T0, W);
      expect(await s.beat('product:b', 'visitor-0001', T0, W)).toBe(1);
      expect(await s.beat('path:/products/a', 'visitor-0009', T0, W)).toBe(1);
      expect(await s.count('product:a', T0, W)).toBe(2);
      expect(await s.count('product:b', T0, W)).toBe(1);
      expect(await s.count('product:c', T0, W)).toBe(0);
      await s.close();
    });

    it('count records nothing', async () => {
      const s = await fresh();
      expect(await s.count('product:a', T0, W)).toBe(0);
      expect(await s.size()).toBe(0);
      await s.beat('product:a', 'visitor-0001', T0, W);
      expect(await s.count('product:a', T0 + 1000, W)).toBe(1);
      expect(await s.count('product:a', T0 + 2000, W)).toBe(1);
      expect(await s.size()).toBe(1);
      await s.close();
    });

    it('never moves a last-seen time back (a beat stamped by a slower clock)', async () => {
      const s = await fresh();
      await s.beat('product:a', 'visitor-0001', T0 + 10_000, W);
      await s.beat('product:a', 'visitor-0002', T0 + 5_000, W); // out of order
      await s.beat('product:a', 'visitor-0001', T0 + 1_000, W); // older than what is held: ignored
      expect(await s.count('product:a', T0 + W + 4_000, W)).toBe(2);
      expect(await s.count('product:a', T0 + W + 5_000, W)).toBe(1);
      expect(await s.count('product:a', T0 + W + 10_000, W)).toBe(0);
      await s.close();
    });

    it('10,000 viewers across 500 keys with churn: every beat and every checkpoint count matches the truth', async () => {
      const s = await fresh();
      const { beats, keys, end } = viewers();
      const truth = new Truth();
      const checkpoints: number[] = [];
      for (let t = T0; t <= end + W; t += 30_000) checkpoints.push(t);
      checkpoints.push(end + W);
      const beatErrors: string[] = [];
      let checked = 0;
      let truthTotal = 0;
      let errorTotal = 0;
      let i = 0;
      for (const cp of checkpoints) {
        // Every beat up to this checkpoint, five simulated seconds at a time, issued together (Redis pipelines
        // them on one connection, in order); the truth is taken in the same order.
        while (i < beats.length && beats[i]!.t <= cp) {
          const slice = beats[i]!.t + 5000;
          const pending: Promise<void>[] = [];
          while (i < beats.length && beats[i]!.t < slice && beats[i]!.t <= cp) {
            const b = beats[i++]!;
            truth.beat(b);
            const want = truth.count(b.key, b.t);
            pending.push(
              s.beat(b.key, b.visitor, b.t, W).then((got) => {
                if (got !== want) beatErrors.push(`${b.key} at +${b.t - T0}: ${got}, truth ${want}`);
              }),
            );
          }
          await Promise.all(pending);
        }
        const got = await Promise.all(keys.map((k) => s.count(k, cp, W)));
        for (const [k, key] of keys.entries()) {
          const want = truth.count(key, cp);
          truthTotal += want;
          errorTotal += Math.abs(got[k]! - want);
          checked++;
        }
        if (h.sweep) {
          // The periodic sweep, at simulated time: what is held is exactly who is still in the window.
          h.sweep(cp);
          expect(await s.size()).toBe(keys.reduce((n, key) => n + truth.count(key, cp), 0));
        }
      }
      expect(i).toBe(beats.length);
      console.log(`${name}: ${beats.length} beats, ${checked} checkpoint counts (truth total ${truthTotal}), ${errorTotal} off`);
      expect(beats.length).toBeGreaterThan(40_000);
      expect(truthTotal).toBeGreaterThan(30_000); // the checkpoints saw real crowds, not empty pages
      expect(beatErrors.slice(0, 5)).toEqual([]);
      expect(errorTotal / truthTotal).toBeLessThanOrEqual(0.01);
      expect(errorTotal).toBe(0); // both stores are exact
      expect(checked).toBe(checkpoints.length * keys.length);
      // Everyone has left and the window has passed: nobody is counted anywhere.
      const last = await Promise.all(keys.map((k) => s.count(k, end + W, W)));
      expect(last.every((n) => n === 0)).toBe(true);
      if (h.sweep) {
        h.sweep(end + W);
        expect(await s.size()).toBe(0);
      }
      await s.close();
    }, 60_000);
  });
}

// --- the in-process store -----------------------------------------------------------------------------------

presenceContract('memory', async () => {
  const store = createMemoryPresence({ sweepEveryMs: 0 });
  return { store, sweep: store.sweep };
});

describe('memory presence: bounded', () => {
  it('the periodic sweep drops expired visitors and empty keys on its own (unref’d timer)', async () => {
    let clock = T0;
    const s = createMemoryPresence({ sweepEveryMs: 10, now: () => clock });
    for (let k = 0; k < 50; k++) for (let v = 0; v < 20; v++) await s.beat(`product:p${k}`, `visitor-${k}-${v}`, T0, W);
    await s.beat('product:stay', 'visitor-stays', T0 + W, W);
    expect([await s.size(), s.keyCount()]).toEqual([1001, 51]);
    clock = T0 + W + 1;
    await new Promise((r) => setTimeout(r, 60));
    expect([await s.size(), s.keyCount()]).toEqual([1, 1]);
    await s.close();
  });

  it('a flood of made-up visitor ids never holds more than the cap; the stalest keys go first', async () => {
    const cap = 10_000;
    const s = createMemoryPresence({ sweepEveryMs: 0, maxEntries: cap });
    // A real crowd first, then a flood on other keys, all inside one window (nothing has expired).
    for (let v = 0; v < 100; v++) await s.beat('product:real', `visitor-real-${v}`, T0, W);
    let peak = 0;
    for (let n = 0; n < 100_000; n++) {
      await s.beat(`product:flood-${n % 200}`, `flood-${n.toString(36).padStart(8, '0')}`, T0 + 1 + Math.floor(n / 10), W);
      if (n === 50_000) await s.beat('product:real', 'visitor-real-0', T0 + 5001, W); // the real page is still being viewed
      peak = Math.max(peak, await s.size());
    }
    expect(peak).toBeLessThanOrEqual(cap);
    expect(await s.size()).toBeLessThanOrEqual(cap);
    expect(await s.size()).toBeGreaterThanOrEqual(cap * 0.9 - 1);
    // The newest flood entries are held, exactly; old keys went first.
    expect(await s.count('product:flood-199', T0 + 10_000, W)).toBeGreaterThan(0);
    // One hot key flooded alone: trimmed to its newest visitors, still under the cap.
    for (let n = 0; n < 30_000; n++) await s.beat('product:hot', `hot-${n}`, T0 + 20_000 + n, W);
    expect(await s.size()).toBeLessThanOrEqual(cap);
    const hot = await s.count('product:hot', T0 + 49_999, W);
    expect(hot).toBeGreaterThan(cap * 0.8);
    expect(await s.beat('product:hot', 'hot-29999', T0 + 50_000, W)).toBe(hot); // the newest is among them
    await s.close();
  });

  it('rejects calls after close', async () => {
    const s = createMemoryPresence();
    await s.close();
    await expect(s.beat('product:a', 'visitor-0001', T0, W)).rejects.toThrow(/closed/);
  });
});

// --- Redis ----------------------------------------------------------------------------------------------------

presenceContract(
  `Redis (${REDIS_URL})`,
  async () => {
    const prefix = freshPrefix();
    const store = createRedisPresence({ url: REDIS_URL, prefix });
    await store.ready();
    return { store };
  },
  { skip: skipRedis },
);

describe.skipIf(skipRedis)(`Redis presence (${REDIS_URL})`, () => {
  it('one sorted set per key under the prefix, with a TTL of the window', async () => {
    const prefix = freshPrefix();
    const s = createRedisPresence({ url: REDIS_URL, prefix });
    await s.beat('product:a', 'visitor-0001', T0, W);
    await s.beat('product:a', 'visitor-0002', T0, W);
    expect(await redisKeys(prefix)).toEqual([`${prefix}presence:product:a`]);
    expect(await admin!.type(`${prefix}presence:product:a`)).toBe('zset');
    expect(await admin!.zscore(`${prefix}presence:product:a`, 'visitor-0001')).toBe(String(T0));
    const ttl = await admin!.pttl(`${prefix}presence:product:a`);
    expect(ttl).toBeGreaterThan(W - 5000);
    expect(ttl).toBeLessThanOrEqual(W);
    expect(await s.size()).toBe(2);
    await s.close();
  });

  it('bounded: after everyone has left and the window has passed, Redis holds no presence keys', async () => {
    const prefix = freshPrefix();
    const s = createRedisPresence({ url: REDIS_URL, prefix });
    // Real milliseconds: the keys expire on their own (PEXPIRE). Long enough that 2,000 beats and the counting
    // finish inside it on a loaded machine (200 ms was not: CI once saw half the keys gone already).
    const window = 1500;
    const now = Date.now();
    await Promise.all(Array.from({ length: 2000 }, (_, n) => s.beat(`product:p${n % 500}`, `visitor-${n}`, now, window)));
    expect((await redisKeys(prefix)).length).toBe(500);
    expect(await s.size()).toBe(2000);
    const deadline = Date.now() + 6000;
    let left = await redisKeys(prefix);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      left = await redisKeys(prefix);
    }
    expect(left).toEqual([]);
    expect(await admin!.exists(`${prefix}presence:product:p0`, `${prefix}presence:product:p499`)).toBe(0);
    expect(await s.size()).toBe(0);
    await s.close();
  });

  it('two instances sharing Redis report identical counts for visitors split across them', async () => {
    const prefix = freshPrefix();
    const a = createRedisPresence({ url: REDIS_URL, prefix });
    const b = createRedisPresence({ url: REDIS_URL, prefix });
    const { beats, keys, end } = viewers(7, 2000, 50);
    const truth = new Truth();
    let n = 0;
    for (let t = T0; t <= end + W; t += 30_000) {
      const pending: Promise<number>[] = [];
      for (; n < beats.length && beats[n]!.t <= t; n++) {
        const beat = beats[n]!;
        truth.beat(beat);
        // A visitor's requests land on either server, at random (deterministic here).
        pending.push((n % 2 === 0 ? a : b).beat(beat.key, beat.visitor, beat.t, W));
      }
      await Promise.all(pending);
      const [fromA, fromB] = await Promise.all([Promise.all(keys.map((k) => a.count(k, t, W))), Promise.all(keys.map((k) => b.count(k, t, W)))]);
      expect(fromA).toEqual(fromB);
      expect(fromA).toEqual(keys.map((k) => truth.count(k, t)));
    }
    // A beat on one answers the total across both.
    await a.beat('product:shared', 'visitor-on-a', T0, W);
    expect(await b.beat('product:shared', 'visitor-on-b', T0 + 1, W)).toBe(2);
    expect(await a.count('product:shared', T0 + 2, W)).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('Redis presence: a dead Redis fails fast, with a clear error and no crash', () => {
  it('rejects every call quickly with the address (never the password) while Redis is unreachable', async () => {
    const s = createRedisPresence({ url: 'redis://kairos:s3cret-pass@127.0.0.1:1', prefix: freshPrefix() });
    const started = Date.now();
    const err = (await s.beat('product:a', 'visitor-0001', T0, W).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/Redis presence store at redis:\/\/127\.0\.0\.1:1 is unavailable/);
    expect(err.message).not.toMatch(/s3cret|kairos:/);
    await expect(s.count('product:a', T0, W)).rejects.toThrow(/unavailable/);
    await expect(s.size()).rejects.toThrow(/unavailable/);
    expect(Date.now() - started).toBeLessThan(3000);
    await s.close();
  });

  it('says so once when the connection fails, not on every retry', async () => {
    const messages: string[] = [];
    const s = createRedisPresence({ url: 'redis://127.0.0.1:1', onStatus: (m) => messages.push(m) });
    await new Promise((r) => setTimeout(r, 400)); // several reconnect attempts
    await s.close();
    expect(messages.length).toBe(1);
    expect(messages[0]).toMatch(/127\.0\.0\.1:1 is unavailable/);
  });
});

describe('openPresence', () => {
  it('is in process without REDIS_URL, Redis with it', async () => {
    const mem = openPresence({});
    expect(mem.kind).toBe('memory');
    await mem.close();
    const red = openPresence({ REDIS_URL: 'redis://user:pw@127.0.0.1:1/0', KAIROS_REDIS_PREFIX: freshPrefix() });
    expect(red.kind).toBe('redis');
    expect(red.description).toContain('redis://127.0.0.1:1/0');
    expect(red.description).not.toContain('pw');
    await red.close();
  });
});
