// The Redis weather cache (REDIS_URL): instances share forecasts, so a cell is fetched once per cache period for
// the whole fleet. One string per cell, `<prefix>weather:<provider>:<lat>:<lon>`, JSON, with a TTL (PX) so
// nothing outlives its use.
//
// The connection fails fast and recovers by itself (server/redis.ts). A read that fails is a cache miss; a write
// that fails is reported to the caller (which logs it) and otherwise ignored.
import { connectRedis } from '../../redis';
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
  const conn = connectRedis({ url: opts.url, what: 'Redis weather cache', timeoutMs: opts.timeoutMs ?? 1000, onStatus: opts.onStatus });
  const { redis } = conn;
  const keyPrefix = `${opts.prefix ?? 'kairos:'}weather:`;

  return {
    kind: 'redis',
    description: `Redis at ${conn.where} (key prefix "${keyPrefix}")`,
    keyPrefix,
    ready: conn.ready,

    async get(key) {
      if (conn.closed || redis.status !== 'ready') return null;
      try {
        return parseCachedForecast(await redis.get(keyPrefix + key));
      } catch {
        return null;
      }
    },

    async set(key, value, ttlMs) {
      // Never waits for a connection: a forecast is not worth holding a request for.
      if (!conn.closed && redis.status !== 'ready') throw conn.unavailable(`not connected (${redis.status})`);
      await conn.run((r) => r.set(keyPrefix + key, JSON.stringify(value), 'PX', Math.max(1, Math.ceil(ttlMs))));
    },

    close: conn.close,
  };
}
