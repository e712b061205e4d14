// The Redis presence store (REDIS_URL): several server instances count together. One sorted set per key,
// `<prefix>presence:<key>`, member = visitor id, score = last seen (ms). A beat is one MULTI: ZADD GT (last seen
// never moves back), ZREMRANGEBYSCORE (-inf, now - window], ZCARD, PEXPIRE window — so a key nobody beats any
// more disappears on its own once its last visitor has expired, and Redis holds nothing for idle pages.
//
// A dead or unreachable Redis must not hang requests or crash the process: no offline queue (a call while
// disconnected rejects at once), one retry per request, a command timeout, and an 'error' listener. ioredis keeps
// reconnecting in the background (capped back-off), so the store recovers by itself when Redis comes back.
import { Redis } from 'ioredis';
import type { PresenceStore } from './types';

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

/** The URL without user name and password, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'an unparsable REDIS_URL';
  }
}

/** Escapes the glob characters of SCAN MATCH. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

export function createRedisPresence(opts: RedisPresenceOptions): RedisPresence {
  const where = redactRedisUrl(opts.url);
  const keyPrefix = `${opts.prefix ?? 'kairos:'}presence:`;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const redis = new Redis(opts.url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    // Reconnect forever, at most every 2 s; calls in the meantime fail fast (no offline queue).
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });

  let lastError = '';
  let healthy: boolean | undefined;
  const report = (ok: boolean, message: string) => {
    if (healthy === ok) return;
    healthy = ok;
    opts.onStatus?.(message, ok);
  };
  redis.on('error', (e: Error) => {
    lastError = e.message;
    report(false, `Redis presence store at ${where} is unavailable: ${e.message}`);
  });
  redis.on('ready', () => {
    lastError = '';
    report(true, `Redis presence store at ${where} connected`);
  });

  let closed = false;
  const key = (k: string) => keyPrefix + k;
  const unavailable = (why: string) => new Error(`Redis presence store at ${where} is unavailable: ${why}`);

  /** The connection attempt under way, shared by every call that arrives meanwhile. */
  let connecting: Promise<void> | undefined;

  /** Resolves when the connection is ready; waits only for a connection attempt already under way. */
  function ready(): Promise<void> {
    if (closed) return Promise.reject(new Error('presence store is closed'));
    const status = redis.status;
    if (status === 'ready') return Promise.resolve();
    if (status !== 'connecting' && status !== 'connect')
      return Promise.reject(unavailable(lastError ? `not connected (${lastError})` : `not connected (${status})`));
    return (connecting ??= new Promise<void>((done, fail) => {
      const finish = (e?: Error) => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        redis.off('close', onClose);
        redis.off('end', onClose);
        connecting = undefined;
        if (e) fail(e);
        else done();
      };
      const onReady = () => finish();
      const onClose = () => finish(unavailable(lastError ? `could not connect (${lastError})` : 'connection closed'));
      const timer = setTimeout(() => finish(unavailable(`no connection within ${timeoutMs} ms`)), timeoutMs);
      redis.once('ready', onReady);
      redis.once('close', onClose);
      redis.once('end', onClose);
    }));
  }

  /** Runs `fn` on a ready connection; every failure becomes one clear error. */
  async function run<T>(fn: () => Promise<T>): Promise<T> {
    await ready();
    try {
      return await fn();
    } catch (e) {
      throw unavailable(e instanceof Error ? e.message : String(e));
    }
  }

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
    description: `Redis at ${where} (key prefix "${keyPrefix}")`,
    keyPrefix,
    ready,

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

    async close() {
      if (closed) return;
      closed = true;
      if (redis.status === 'ready') {
        try {
          await redis.quit();
          return;
        } catch {
          // fall through: drop the connection
        }
      }
      redis.disconnect();
    },
  };
}
