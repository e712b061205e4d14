// Rate limits across instances (REDIS_URL): one token bucket per client for the whole fleet, and the one daily
// salt the client ids are made with, so that the same client has the same id — the same bucket — on every
// instance (server/client-hash.ts says why the id is salted, server/rate-limit.ts how a bucket fills).
//
// The salt: 32 random bytes under `<prefix>salt:<UTC day>`, set by whichever instance asks first that day (SET NX)
// and expiring a minute after that day ends, so yesterday's salt is gone from Redis as it is from every instance.
// Kept in Redis, the salt is as secret as Redis is: an operator who can read Redis can link a day's ids (never
// across days). If Redis persists to disk, a snapshot taken during the day holds that day's salt until the file is
// overwritten: for Kairos, run Redis without persistence (nothing Kairos keeps there needs it).
//
// The bucket: the same integer token bucket as rate-limit.ts, as one Lua script on Redis's own clock (TIME), so the
// instances' clocks never disagree about refills. A bucket's key expires when it would be full again.
//
// Redis down or slow: take() resolves undefined at once (the connection has no offline queue) and the caller falls
// back to its own in-process bucket — each instance then counts its own share, as without Redis. The salt falls
// back likewise, to the instance's own (client ids then differ per instance until Redis is back).
import { randomBytes } from 'node:crypto';
import { utcDay, SALT_BYTES } from './client-hash';
import type { Take } from './rate-limit';
import { connectRedis, type RedisConnection } from './redis';

const UNIT = 60_000;

/** KEYS[1] bucket. ARGV: full units, refill units per ms (= requests a minute), ttl ms. Returns 0 (taken) or the ms until a token. */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local full = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'u', 'a')
local units = tonumber(b[1]) or full
local at = tonumber(b[2]) or now
if now > at then
  units = math.min(full, units + (now - at) * rate)
  at = now
end
local wait = 0
if units >= ${UNIT} then units = units - ${UNIT} else wait = math.ceil((${UNIT} - units) / rate) end
redis.call('HSET', KEYS[1], 'u', units, 'a', at)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return wait`;

export interface SharedLimits {
  /** The day's shared salt, once Redis has answered for that day; undefined until then (and while it is down). */
  salt(day: string): Buffer | undefined;
  /** Spends one request of the client's fleet-wide bucket; undefined when Redis cannot answer (use a local one). */
  take(clientId: string): Promise<Take | undefined>;
  close(): Promise<void>;
}

export interface SharedLimitsOptions {
  url: string;
  prefix?: string;
  perMinute: number;
  burst: number;
  now?: () => number;
  timeoutMs?: number;
  onStatus?: (message: string, healthy: boolean) => void;
}

/** Connects and fetches today's salt (waiting at most timeoutMs), so the first requests already share ids. */
export async function openSharedLimits(o: SharedLimitsOptions): Promise<SharedLimits> {
  const prefix = o.prefix ?? 'kairos:';
  const now = o.now ?? Date.now;
  const full = Math.floor(o.burst) * UNIT;
  const ttlMs = Math.ceil(full / o.perMinute) + 1000;
  const conn: RedisConnection = connectRedis({ url: o.url, what: 'Redis rate limits', timeoutMs: o.timeoutMs ?? 500, onStatus: o.onStatus });
  let held: { day: string; salt: Buffer } | undefined;
  let fetching: Promise<void> | undefined;

  const fetchSalt = (day: string): Promise<void> =>
    (fetching ??= conn
      .run(async (redis) => {
        const key = `${prefix}salt:${day}`;
        const endOfDay = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
        await redis.set(key, randomBytes(SALT_BYTES), 'PXAT', endOfDay + 60_000, 'NX');
        const salt = await redis.getBuffer(key);
        if (salt?.length !== SALT_BYTES) throw new Error(`${key} does not hold a ${SALT_BYTES}-byte salt`);
        held?.salt.fill(0);
        held = { day, salt };
      })
      .catch(() => undefined)
      .finally(() => (fetching = undefined)));

  await fetchSalt(utcDay(now()));

  return {
    salt(day) {
      if (held?.day === day) return held.salt;
      void fetchSalt(day);
      return undefined;
    },
    async take(clientId) {
      try {
        const wait = (await conn.run((redis) => redis.eval(TAKE, 1, `${prefix}rl:${clientId}`, full, o.perMinute, ttlMs))) as number;
        return wait === 0 ? { ok: true } : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
      } catch {
        return undefined;
      }
    },
    async close() {
      held?.salt.fill(0);
      held = undefined;
      await conn.close();
    },
  };
}
