// Forecasts per 0.1° grid cell, without ever making /v1/context wait for a slow provider:
//
// - cached for `cache_minutes` (or longer when the provider's Expires says so, up to 6 h), in process and, when
//   one is given, in a shared cache (Redis) as well — the in-process copy keeps working when Redis does not;
// - single flight: concurrent requests for a cell share one provider call;
// - stale kept: entries live 24 h, and one past its freshness is served (`stale: true`) when the provider fails
//   or is slow; after a failure the cell's provider is left alone for a minute;
// - `timeout_ms`: an answer (fresh, stale or none) is ready by then; a fetch still running carries on in the
//   background (up to a hard limit) and fills the cache for the next request.
import { createMemoryWeatherCache, type CachedForecast, type WeatherCache } from './cache';
import type { ProviderName, WeatherAnswer, WeatherProvider } from './types';

export interface WeatherLog {
  warn(obj: object, msg?: string): void;
}

export interface WeatherServiceOptions {
  log: WeatherLog;
  now?: () => number;
  /** A cache shared by instances (Redis); in-process caching happens anyway. */
  shared?: WeatherCache;
  /** How long an entry is kept to be served stale. Default 24 h. */
  keepMs?: number;
  /** After a failed fetch, that cell's provider is not asked again for this long. Default 60 s. */
  retryAfterMs?: number;
  /** A background fetch is abandoned after this long. Default 20 s. */
  fetchLimitMs?: number;
}

export interface WeatherSettings {
  cacheMinutes: number;
  timeoutMs: number;
}

export interface WeatherService {
  /** The forecast for a grid cell (lat/lon already rounded), or null when there is none to give in time. */
  forecast(provider: WeatherProvider, lat: number, lon: number, settings: WeatherSettings): Promise<WeatherAnswer | null>;
  /** Resolves when no fetch is running any more (tests; shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const HOUR = 3600_000;
const TIMEOUT = Symbol('timeout');

export const weatherKey = (provider: ProviderName, lat: number, lon: number) => `${provider}:${lat.toFixed(1)}:${lon.toFixed(1)}`;

export function createWeatherService(opts: WeatherServiceOptions): WeatherService {
  const now = opts.now ?? Date.now;
  const keepMs = opts.keepMs ?? 24 * HOUR;
  const retryAfterMs = opts.retryAfterMs ?? 60_000;
  const fetchLimitMs = opts.fetchLimitMs ?? 20_000;
  const local = createMemoryWeatherCache({ now });
  const shared = opts.shared;
  const inflight = new Map<string, Promise<CachedForecast | null>>();
  const failedUntil = new Map<string, number>();
  /** Last problem logged per source, so a lasting outage is one line, not one per request. */
  const lastLogged = new Map<string, string>();

  const warnOnce = (source: string, message: string, msg: string) => {
    if (lastLogged.get(source) === message) return;
    lastLogged.set(source, message);
    opts.log.warn({ source, err: message }, msg);
  };
  const recovered = (source: string) => lastLogged.delete(source);

  /** The newer of the in-process and the shared entry. */
  async function read(key: string): Promise<CachedForecast | null> {
    const mine = await local.get(key);
    if (mine && mine.fresh_until > now()) return mine;
    const theirs = shared ? await shared.get(key) : null;
    if (theirs && (!mine || theirs.fetched_at > mine.fetched_at)) {
      await local.set(key, theirs, Math.max(1, theirs.fetched_at + keepMs - now()));
      return theirs;
    }
    return mine;
  }

  async function write(key: string, value: CachedForecast): Promise<void> {
    await local.set(key, value, keepMs);
    if (!shared) return;
    try {
      await shared.set(key, value, keepMs);
      recovered('cache');
    } catch (e) {
      warnOnce('cache', e instanceof Error ? e.message : String(e), 'weather cache write failed; kept in process only');
    }
  }

  function refresh(key: string, provider: WeatherProvider, lat: number, lon: number, s: WeatherSettings, held: CachedForecast | null) {
    const running = inflight.get(key);
    if (running) return running;
    if ((failedUntil.get(key) ?? -Infinity) > now()) return Promise.resolve(null);
    const p = (async (): Promise<CachedForecast | null> => {
      try {
        const r = await provider.fetch({
          lat,
          lon,
          signal: AbortSignal.timeout(fetchLimitMs),
          ...(held?.last_modified && { lastModified: held.last_modified }),
        });
        const t = now();
        const freshMs = Math.max(s.cacheMinutes * 60_000, Math.min(r.freshForMs ?? 0, 6 * HOUR));
        const lastModified = r.lastModified ?? (r.notModified ? held?.last_modified : undefined);
        let forecast;
        if (r.notModified) {
          if (!held) throw new Error(`${provider.name}: answered 304 Not Modified with nothing cached`);
          forecast = held.forecast;
        } else forecast = r.forecast;
        const value: CachedForecast = { forecast, fetched_at: t, fresh_until: t + freshMs, ...(lastModified && { last_modified: lastModified }) };
        failedUntil.delete(key);
        recovered(provider.name);
        await write(key, value);
        return value;
      } catch (e) {
        if (failedUntil.size >= 10_000) failedUntil.clear(); // bounded: a back-off, not a record
        failedUntil.set(key, now() + retryAfterMs);
        warnOnce(provider.name, e instanceof Error ? e.message : String(e), 'weather provider failed; serving cached or no weather');
        return null;
      } finally {
        inflight.delete(key);
      }
    })();
    inflight.set(key, p);
    return p;
  }

  const answer = (provider: ProviderName, entry: CachedForecast, stale: boolean): WeatherAnswer => ({
    provider,
    fetched_at: entry.fetched_at,
    stale,
    current: entry.forecast.current,
    daily: entry.forecast.daily,
  });

  return {
    async forecast(provider, lat, lon, s) {
      if (provider.local) {
        try {
          const r = await provider.fetch({ lat, lon, signal: AbortSignal.timeout(s.timeoutMs) });
          recovered(provider.name);
          if (r.notModified) return null;
          return { provider: provider.name, fetched_at: now(), stale: false, current: r.forecast.current, daily: r.forecast.daily };
        } catch (e) {
          warnOnce(provider.name, e instanceof Error ? e.message : String(e), 'weather file unusable; no weather');
          return null;
        }
      }

      const key = weatherKey(provider.name, lat, lon);
      let held: CachedForecast | null = null;
      const work = (async () => {
        held = await read(key);
        if (held && held.fresh_until > now()) return answer(provider.name, held, false);
        const fresh = await refresh(key, provider, lat, lon, s, held);
        if (fresh) return answer(provider.name, fresh, false);
        return held ? answer(provider.name, held, true) : null;
      })();
      work.catch(() => {}); // still awaited below; a failure after the deadline must not go unhandled
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<typeof TIMEOUT>((done) => (timer = setTimeout(() => done(TIMEOUT), s.timeoutMs)));
      try {
        const result = await Promise.race([work, deadline]);
        if (result !== TIMEOUT) return result;
        const stale: CachedForecast | null = held;
        return stale ? answer(provider.name, stale, true) : null;
      } finally {
        clearTimeout(timer);
      }
    },

    async idle() {
      while (inflight.size > 0) await Promise.allSettled([...inflight.values()]);
    },

    async close() {
      await local.close();
      await shared?.close();
    },
  };
}
