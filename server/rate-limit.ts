// A token bucket per key (the write routes key it by the client hash, server/client-hash.ts): each key may
// spend `burst` requests at once, and the bucket refills at `perMinute` a minute up to `burst` again. Pure: the
// clock is passed in, nothing runs in the background.
//
// Memory stays bounded: a bucket untouched for as long as it takes to refill completely is the same as no
// bucket, so it is dropped (lazily, on the next take: the map is kept in order of last use, so the idle ones are
// at its front); and at `maxKeys` the least recently used bucket gives way (its client starts full again, which
// only ever errs on the side of letting a request through).
//
// Tokens are counted in integer units of 1/60 000 (one token = 60 000 units, one ms of refill = perMinute
// units), so with integer clocks the arithmetic is exact: never one request more than burst + perMinute × minutes.

export interface RateLimiterOptions {
  /** Sustained requests a minute per key (> 0). */
  perMinute: number;
  /** Requests a full bucket allows at once (≥ 1). */
  burst: number;
  /** Epoch ms. */
  now: () => number;
  /** Most buckets held; default 50 000 (a few MB). */
  maxKeys?: number;
}

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Spends one request of `key`'s allowance, or says how long until one is there again (whole seconds, ≥ 1). */
  take(key: string): Take;
  /** Buckets held now (for tests). */
  size(): number;
}

/** KAIROS_RATE_LIMIT's default: requests a minute per client on the write routes. */
export const DEFAULT_RATE_LIMIT = 600;

/**
 * The burst for a rate: half a minute's allowance. Enough for what one page legitimately sends at once (an event
 * batch, a heartbeat, a lead or an offer; a tab replaying its outbox after an outage: 1 000 events in batches of
 * 50), and for shoppers sharing an address and browser build; a flood is down to perMinute / 60 a second within
 * seconds.
 */
export function defaultBurst(perMinute: number): number {
  return Math.max(1, Math.ceil(perMinute / 2));
}

const UNIT = 60_000;

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const { perMinute, burst, now } = opts;
  const maxKeys = opts.maxKeys ?? 50_000;
  if (!(perMinute > 0) || !Number.isFinite(perMinute)) throw new RangeError(`perMinute must be a positive number, not ${perMinute}`);
  if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError(`burst must be at least 1, not ${burst}`);
  if (!(maxKeys >= 1)) throw new RangeError(`maxKeys must be at least 1, not ${maxKeys}`);

  const full = Math.floor(burst) * UNIT;
  /** How long an empty bucket takes to fill: a bucket idle this long is full, i.e. the same as none. */
  const refillMs = full / perMinute;
  /** In order of last use, oldest first. */
  const buckets = new Map<string, { units: number; at: number }>();

  const sweep = (t: number) => {
    for (const [key, b] of buckets) {
      if (t - b.at < refillMs && buckets.size < maxKeys) break;
      buckets.delete(key);
    }
  };

  return {
    take(key) {
      const t = now();
      const b = buckets.get(key);
      let units = full;
      let at = t;
      if (b) {
        buckets.delete(key);
        // A clock that steps back refills nothing and moves nothing back.
        at = Math.max(b.at, t);
        units = Math.min(full, b.units + (at - b.at) * perMinute);
      }
      sweep(t);
      const ok = units >= UNIT;
      if (ok) units -= UNIT;
      buckets.set(key, { units, at });
      if (ok) return { ok: true };
      const waitMs = (UNIT - units) / perMinute;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    },
    size: () => buckets.size,
  };
}

/** KAIROS_RATE_LIMIT: requests a minute per client, an integer ≥ 0 (0 = off); default 600. Else warned about. */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv, warn: (msg: string) => void = () => undefined): number {
  const raw = env['KAIROS_RATE_LIMIT'];
  if (raw === undefined || raw.trim() === '') return DEFAULT_RATE_LIMIT;
  if (/^\d{1,9}$/.test(raw.trim())) return Number(raw.trim());
  warn(`KAIROS_RATE_LIMIT=${raw} is not a number of requests a minute (0 turns the limit off); using ${DEFAULT_RATE_LIMIT}`);
  return DEFAULT_RATE_LIMIT;
}
