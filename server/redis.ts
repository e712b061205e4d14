// One fail-fast Redis connection (REDIS_URL), shared by everything the server keeps in Redis (presence, the
// weather cache). A dead or unreachable Redis must not hang requests or crash the process: no offline queue (a
// call while disconnected rejects at once), one retry per request, connect and command timeouts, and an 'error'
// listener. ioredis keeps reconnecting in the background (capped back-off), so callers recover by themselves.
import { Redis } from 'ioredis';

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

export interface RedisConnectionOptions {
  url: string;
  /** What uses it, for messages: "Redis presence store". */
  what: string;
  /** Milliseconds before a connection attempt or a command gives up. */
  timeoutMs: number;
  /** Told when the connection fails or comes back (once per change, not on every retry). No credentials in it. */
  onStatus?: ((message: string, healthy: boolean) => void) | undefined;
}

export interface RedisConnection {
  redis: Redis;
  /** The URL without credentials. */
  where: string;
  /** Resolves when the connection is ready; waits only for a connection attempt already under way. */
  ready(): Promise<void>;
  /** `<what> at <where> is unavailable: <why>`. */
  unavailable(why: string): Error;
  /** Runs `fn` on a ready connection; every failure becomes one clear error. */
  run<T>(fn: (redis: Redis) => Promise<T>): Promise<T>;
  readonly closed: boolean;
  close(): Promise<void>;
}

export function connectRedis(opts: RedisConnectionOptions): RedisConnection {
  const { what, timeoutMs } = opts;
  const where = redactRedisUrl(opts.url);
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
    report(false, `${what} at ${where} is unavailable: ${e.message}`);
  });
  redis.on('ready', () => {
    lastError = '';
    report(true, `${what} at ${where} connected`);
  });

  let closed = false;
  const unavailable = (why: string) => new Error(`${what} at ${where} is unavailable: ${why}`);

  /** The connection attempt under way, shared by every call that arrives meanwhile. */
  let connecting: Promise<void> | undefined;
  function ready(): Promise<void> {
    if (closed) return Promise.reject(new Error(`${what} is closed`));
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

  return {
    redis,
    where,
    ready,
    unavailable,
    async run(fn) {
      await ready();
      try {
        return await fn(redis);
      } catch (e) {
        throw unavailable(e instanceof Error ? e.message : String(e));
      }
    },
    get closed() {
      return closed;
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
