// Where forecasts are kept per grid cell: in process (the default), or in Redis when several server instances
// should share them (REDIS_URL). Keys are `<provider>:<lat>:<lon>` with the coordinates already rounded to the
// 0.1° grid — nothing finer is ever stored.
import type { Forecast } from './types';

export interface CachedForecast {
  forecast: Forecast;
  /** Epoch ms when the provider last gave or confirmed it. */
  fetched_at: number;
  /** Served as fresh until then; after that only as stale, while the provider cannot be reached. */
  fresh_until: number;
  /** The provider's Last-Modified, for a conditional request when it is due again. */
  last_modified?: string;
}

export interface WeatherCache {
  /** One line for the log: which cache, where (no credentials). */
  readonly description: string;
  /** The entry, or null when there is none (or the cache cannot be reached: a cache miss, never an error). */
  get(key: string): Promise<CachedForecast | null>;
  /** Keeps the entry for `ttlMs` (stale entries included). Rejects when the cache cannot be reached. */
  set(key: string, value: CachedForecast, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface MemoryWeatherCacheOptions {
  /** The clock entries expire by. Default Date.now. */
  now?: () => number;
  /** Entries kept at most (oldest dropped first). Default 10,000: one per 10 km cell of any busy region. */
  maxEntries?: number;
}

export function createMemoryWeatherCache(opts: MemoryWeatherCacheOptions = {}): WeatherCache {
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 10_000;
  const entries = new Map<string, { value: CachedForecast; expires: number }>();
  return {
    description: 'in process',
    async get(key) {
      const e = entries.get(key);
      if (!e) return null;
      if (e.expires <= now()) {
        entries.delete(key);
        return null;
      }
      return e.value;
    },
    async set(key, value, ttlMs) {
      entries.delete(key); // re-inserted last: the Map's order is the eviction order
      entries.set(key, { value, expires: now() + ttlMs });
      while (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    async close() {
      entries.clear();
    },
  };
}

/** A cached entry read back from outside the process (Redis): the shape checked, or null. */
export function parseCachedForecast(text: string | null): CachedForecast | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<CachedForecast> | null;
    if (!v || typeof v.fetched_at !== 'number' || typeof v.fresh_until !== 'number' || !v.forecast || !Array.isArray(v.forecast.daily)) return null;
    return v as CachedForecast;
  } catch {
    return null;
  }
}
