// The Redis presence store (REDIS_URL): several server instances count together. One sorted set per key,
// `<prefix>presence:<key>`, member = visitor id, score = last seen (ms). A beat is one MULTI: ZADD GT (last seen
// never moves back), ZREMRANGEBYSCORE (-inf, now - window], ZCARD, PEXPIRE window — so a key nobody beats any
// more disappears on its own once its last visitor has expired, and Redis holds nothing for idle pages.
//
// The connection fails fast and recovers by itself (server/redis.ts).
import { connectRedis } from '../redis';
import type { PresenceStore } from './types';

export { redactRedisUrl } from '../redis';

export interface RedisPresenceOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Prepended to every key. Default `kairos:`. */
  prefix?: string;
  /** Called when the connection fails or comes back (once per change, not on every retry). No credentials in it. */
  onStatus?: (message: string, healthy: boolean) => void;
  /** Milliseconds before a connection attempt or a command gives up. Default 2000. */
  timeoutMs?: number;
}

export interface RedisPresence extends PresenceStore {
  readonly kind: 'redis';
  /** One line for the log: which store, where (without credentials). */
  readonly description: string;
  /** The key prefix in use, `presence:` included. */
  readonly keyPrefix: string;
  /** Resolves once connected (rejects with the reason when the connection fails or `timeoutMs` passes). */
  ready(): Promise<void>;
}

/** Escapes the glob characters of SCAN MATCH. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

export function createRedisPresence(opts: RedisPresenceOptions): RedisPresence {
  const conn = connectRedis({ url: opts.url, what: 'Redis presence store', timeoutMs: opts.timeoutMs ?? 2000, onStatus: opts.onStatus });
  const { redis, run } = conn;
  const keyPrefix = `${opts.prefix ?? 'kairos:'}presence:`;
  const key = (k: string) => keyPrefix + k;

  /** The replies of a MULTI, or the first error in it. */
  function replies(result: [Error | null, unknown][] | null): unknown[] {
    if (!result) throw new Error('transaction aborted');
    return result.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
  }

  return {
    kind: 'redis',
    description: `Redis at ${conn.where} (key prefix "${keyPrefix}")`,
    keyPrefix,
    ready: conn.ready,

    beat(k, visitorId, now, windowMs) {
      return run(async () => {
        const r = replies(
          await redis
            .multi()
            .zadd(key(k), 'GT', now, visitorId)
            .zremrangebyscore(key(k), '-inf', now - windowMs)
            .zcard(key(k))
            .pexpire(key(k), Math.max(1, Math.ceil(windowMs)))
            .exec(),
        );
        return Number(r[2]);
      });
    },

    count(k, now, windowMs) {
      // Read-only: members last seen after now - window. Expired ones are removed by the next beat, or go with
      // the key when it expires.
      return run(async () => Number(await redis.zcount(key(k), `(${now - windowMs}`, '+inf')));
    },

    size() {
      return run(async () => {
        let total = 0;
        let cursor = '0';
        do {
          const [next, found] = await redis.scan(cursor, 'MATCH', `${globEscape(keyPrefix)}*`, 'COUNT', 1000);
          cursor = next;
          if (found.length > 0) {
            const pipe = redis.pipeline();
            for (const k of found) pipe.zcard(k);
            for (const n of replies(await pipe.exec())) total += Number(n);
          }
        } while (cursor !== '0');
        return total;
      });
    },

    close: conn.close,
  };
}
