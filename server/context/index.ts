// The context service behind GET /v1/context: roughly where the shopper is and what the weather there will do,
// for campaign rules that need no personal data.
//
// Location, first that answers: the CDN geo headers the config trusts (`context.geo_headers`), the GeoIP file
// (`context.geoip_file`, looked up by the socket's address, or by X-Forwarded-For only as far as
// KAIROS_TRUST_PROXY_HOPS trusts it), the shop's own (`context.location`); else null. Coordinates are rounded to 0.1° (about 10 km) before anything uses them.
// Weather: the configured provider for that 0.1° cell (server/context/weather), or null.
//
// Everything is read from the live config on each request, so a hot reload of `context` applies at once.
import { dirname, resolve } from 'node:path';
import type { LoadedConfig } from '../config-watch';
import type { Context } from '../schema';
import { createGeoIp, type GeoIp } from './geoip';
import { geoHeaderNames, locationFromHeaders, shopLocation, type Location } from './location';
import type { WeatherCache } from './weather/cache';
import { createMetNorway } from './weather/met-norway';
import { createOpenMeteo } from './weather/open-meteo';
import { createRedisWeatherCache, type RedisWeatherCache } from './weather/redis-cache';
import { createWeatherService, type WeatherService, type WeatherServiceOptions } from './weather/service';
import { createStaticWeather } from './weather/static';
import { ProviderError, type WeatherAnswer, type WeatherProvider } from './weather/types';

export type { Location, LocationSource } from './location';
export type { CachedForecast, WeatherCache } from './weather/cache';
export { createMemoryWeatherCache } from './weather/cache';
export { createRedisWeatherCache, type RedisWeatherCache } from './weather/redis-cache';
export type { Condition, Forecast, WeatherAnswer } from './weather/types';

export interface ContextLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What one request offers the service. */
export interface ContextRequest {
  /** A request header by name (case-insensitive). */
  header(name: string): string | undefined;
  /** The socket's remote address, for the GeoIP lookup only; never logged, stored or answered. */
  ip?: string | undefined;
}

/** The body of GET /v1/context. */
export interface ContextAnswer {
  /** Server time, epoch ms. */
  now: number;
  location: Location | null;
  weather: WeatherAnswer | null;
}

export interface ContextResult {
  body: ContextAnswer;
  /** The request headers the answer depends on (for `Vary`): the geo headers the config trusts. */
  vary: string[];
}

export interface ContextService {
  lookup(req: ContextRequest): Promise<ContextResult>;
  /** Resolves when no weather fetch is running in the background any more. */
  idle(): Promise<void>;
  /** Closes the weather cache (a Redis connection). */
  close(): Promise<void>;
}

/** Provider base URLs, injectable so tests can point them at a local server. */
export interface WeatherEndpoints {
  metNorway?: string;
  openMeteo?: string;
  openMeteoCustomer?: string;
}

export interface ContextServiceOptions {
  /** The live config (a ConfigSource); `file` resolves `geoip_file` and `weather.file`. */
  config: { readonly current: LoadedConfig; readonly file?: string };
  log: ContextLog;
  now?: () => number;
  /** A forecast cache shared by instances (Redis); forecasts are cached in process either way. */
  cache?: WeatherCache;
  /** Where `weather.api_key_env` is looked up. Default process.env. */
  env?: NodeJS.ProcessEnv;
  endpoints?: WeatherEndpoints;
  fetch?: typeof fetch;
  /** How often the GeoIP file is checked for changes. Default 10 s. */
  geoipCheckMs?: number;
  /** Tuning of the weather cache (tests). */
  weather?: Pick<WeatherServiceOptions, 'keepMs' | 'retryAfterMs' | 'fetchLimitMs'>;
}

export function createContextService(opts: ContextServiceOptions): ContextService {
  const { config, log } = opts;
  const now = opts.now ?? Date.now;
  const env = opts.env ?? process.env;
  const geoip: GeoIp = createGeoIp({ log, ...(opts.geoipCheckMs !== undefined && { checkIntervalMs: opts.geoipCheckMs }) });
  const weather: WeatherService = createWeatherService({ log, now, ...(opts.cache && { shared: opts.cache }), ...opts.weather });
  const besideConfig = (name: string) => resolve(dirname(config.file ?? 'kairos.yaml'), name);

  let memo: { settings: Context['weather']; file: string | undefined; apiKey: string | undefined; provider: WeatherProvider | null } | undefined;
  function providerFor(ctx: Context): WeatherProvider | null {
    const w = ctx.weather;
    const apiKey = w.provider === 'open_meteo' && w.api_key_env ? (env[w.api_key_env] ?? '') : undefined;
    if (memo && memo.settings === w && memo.file === config.file && memo.apiKey === apiKey) return memo.provider;
    memo = { settings: w, file: config.file, apiKey, provider: makeProvider(w, apiKey) };
    return memo.provider;
  }

  function makeProvider(w: Context['weather'], apiKey: string | undefined): WeatherProvider | null {
    const fetchOpt = opts.fetch && { fetch: opts.fetch };
    switch (w.provider) {
      case 'met_norway':
        return createMetNorway({ contact: w.contact ?? '', ...(opts.endpoints?.metNorway && { url: opts.endpoints.metNorway }), ...fetchOpt });
      case 'open_meteo':
        // A commercial key named but not set: asking the free API instead would break its terms.
        if (apiKey === '')
          return {
            name: 'open_meteo',
            local: false,
            fetch: () => Promise.reject(new ProviderError('open_meteo', `the environment variable ${w.api_key_env} (weather.api_key_env) is not set`)),
          };
        return createOpenMeteo({
          ...(apiKey && { apiKey }),
          ...(opts.endpoints?.openMeteo && { url: opts.endpoints.openMeteo }),
          ...(opts.endpoints?.openMeteoCustomer && { customerUrl: opts.endpoints.openMeteoCustomer }),
          ...fetchOpt,
        });
      case 'static':
        return w.file ? createStaticWeather(besideConfig(w.file), opts.now) : null;
      default:
        return null;
    }
  }

  return {
    async lookup(req) {
      const ctx = config.current.config.context;
      const vary = [...new Set(Object.values(geoHeaderNames(ctx)))];

      let location = locationFromHeaders(ctx, req.header);
      if (!location && ctx.geoip_file && req.ip) location = await geoip.lookup(besideConfig(ctx.geoip_file), req.ip);
      location ??= shopLocation(ctx);

      let forecast: WeatherAnswer | null = null;
      const provider = providerFor(ctx);
      if (provider && location?.lat !== undefined && location.lon !== undefined)
        forecast = await weather.forecast(provider, location.lat, location.lon, {
          cacheMinutes: ctx.weather.cache_minutes,
          timeoutMs: ctx.weather.timeout_ms,
        });

      return { body: { now: now(), location, weather: forecast }, vary };
    },
    idle: () => weather.idle(),
    close: () => weather.close(),
  };
}

export interface OpenWeatherCacheOptions {
  /** Told when the Redis connection fails or comes back (once per change). */
  onStatus?: (message: string, healthy: boolean) => void;
}

/**
 * `REDIS_URL` set (non-empty): a Redis weather cache shared by instances (`KAIROS_REDIS_PREFIX`, default
 * `kairos:`, then `weather:`); otherwise undefined (forecasts are cached in process only).
 */
export function openWeatherCache(env: NodeJS.ProcessEnv, opts: OpenWeatherCacheOptions = {}): RedisWeatherCache | undefined {
  const url = env['REDIS_URL']?.trim();
  if (!url) return undefined;
  return createRedisWeatherCache({
    url,
    ...(env['KAIROS_REDIS_PREFIX'] !== undefined && { prefix: env['KAIROS_REDIS_PREFIX'] }),
    ...(opts.onStatus && { onStatus: opts.onStatus }),
  });
}
