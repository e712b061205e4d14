// The Redis weather cache (REDIS_URL): instances share forecasts, so a cell is fetched once per cache period for
// the whole fleet. One string per cell, `<prefix>weather:<provider>:<lat>:<lon>`, JSON, with a TTL (PX) so
// nothing outlives its use.
//
// Fails fast, like the Redis presence store (server/presence/redis.ts): no offline queue, one retry, connect
// and command timeouts, an 'error' listener, reconnecting in the background. A read that fails is a cache miss;
// a write that fails is reported to the caller (which logs it) and otherwise ignored.
import { Redis } from 'ioredis';
import { redactRedisUrl } from '../../presence/redis';
import { parseCachedForecast, type WeatherCache } from './cache';

export interface RedisWeatherCacheOptions {
  url: string;
  /** Prepended to every key, before `weather:`. Default `kairos:`. */
  prefix?: string;
  /** Told when the connection fails or comes back (once per change). No credentials in it. */
  onStatus?: (message: string, healthy: boolean) => void;
  /** Milliseconds before a connection attempt or a command gives up. Default 1000: a forecast is not worth more. */
  timeoutMs?: number;
}

export interface RedisWeatherCache extends WeatherCache {
  readonly kind: 'redis';
  /** `<prefix>weather:`. */
  readonly keyPrefix: string;
  /** Resolves once connected; rejects when the connection fails or `timeoutMs` passes. */
  ready(): Promise<void>;
}

export function createRedisWeatherCache(opts: RedisWeatherCacheOptions): RedisWeatherCache {
  const where = redactRedisUrl(opts.url);
  const keyPrefix = `${opts.prefix ?? 'kairos:'}weather:`;
  const timeoutMs = opts.timeoutMs ?? 1000;
  const redis = new Redis(opts.url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });

  let healthy: boolean | undefined;
  let lastError = '';
  const report = (ok: boolean, message: string) => {
    if (healthy === ok) return;
    healthy = ok;
    opts.onStatus?.(message, ok);
  };
  redis.on('error', (e: Error) => {
    lastError = e.message;
    report(false, `Redis weather cache at ${where} is unavailable: ${e.message}`);
  });
  redis.on('ready', () => {
    lastError = '';
    report(true, `Redis weather cache at ${where} connected`);
  });

  let closed = false;
  const unavailable = (why: string) => new Error(`Redis weather cache at ${where} is unavailable: ${why}`);

  return {
    kind: 'redis',
    description: `Redis at ${where} (key prefix "${keyPrefix}")`,
    keyPrefix,

    ready() {
      if (closed) return Promise.reject(new Error('weather cache is closed'));
      if (redis.status === 'ready') return Promise.resolve();
      if (redis.status !== 'connecting' && redis.status !== 'connect' && redis.status !== 'reconnecting')
        return Promise.reject(unavailable(lastError || redis.status));
      return new Promise<void>((done, fail) => {
        const finish = (e?: Error) => {
          clearTimeout(timer);
          redis.off('ready', onReady);
          redis.off('end', onEnd);
          if (e) fail(e);
          else done();
        };
        const onReady = () => finish();
        const onEnd = () => finish(unavailable(lastError || 'connection closed'));
        const timer = setTimeout(() => finish(unavailable(lastError ? `no connection (${lastError})` : `no connection within ${timeoutMs} ms`)), timeoutMs);
        redis.once('ready', onReady);
        redis.once('end', onEnd);
      });
    },

    async get(key) {
      if (closed || redis.status !== 'ready') return null;
      try {
        return parseCachedForecast(await redis.get(keyPrefix + key));
      } catch {
        return null;
      }
    },

    async set(key, value, ttlMs) {
      if (closed) throw new Error('weather cache is closed');
      if (redis.status !== 'ready') throw unavailable(lastError ? `not connected (${lastError})` : `not connected (${redis.status})`);
      try {
        await redis.set(keyPrefix + key, JSON.stringify(value), 'PX', Math.max(1, Math.ceil(ttlMs)));
      } catch (e) {
        throw unavailable(e instanceof Error ? e.message : String(e));
      }
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
