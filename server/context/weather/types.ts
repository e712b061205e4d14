// What every weather provider answers, whatever its own format: the current temperature and condition and up to
// seven days, in one small condition vocabulary that campaigns can match on.

export const CONDITIONS = ['clear', 'partly_cloudy', 'cloudy', 'fog', 'rain', 'showers', 'snow', 'sleet', 'thunder'] as const;
export type Condition = (typeof CONDITIONS)[number];

export interface CurrentWeather {
  temp_c: number;
  condition: Condition;
}

export interface DailyWeather {
  /** `YYYY-MM-DD`, the location's date as well as the provider can tell (see each provider). */
  date: string;
  max_temp_c: number;
  min_temp_c: number;
  precipitation_mm: number;
  condition: Condition;
}

/** A forecast as providers return it and caches keep it. */
export interface Forecast {
  current: CurrentWeather | null;
  /** At most 7 days, today first. */
  daily: DailyWeather[];
}

export type ProviderName = 'met_norway' | 'open_meteo' | 'static';

/** What GET /v1/context answers under `weather`. */
export interface WeatherAnswer extends Forecast {
  provider: ProviderName;
  /** Epoch ms when the provider last confirmed this forecast. */
  fetched_at: number;
  /** True when the provider could not be asked in time (or failed) and an older forecast is served. */
  stale: boolean;
}

export interface FetchRequest {
  /** Already rounded to the grid (0.1°). */
  lat: number;
  lon: number;
  /** Aborts the request (the background limit, or shutdown). */
  signal: AbortSignal;
  /** The Last-Modified of the forecast held for this cell, for a conditional request. */
  lastModified?: string;
}

export type FetchResult =
  | {
      forecast: Forecast;
      /** How long the provider says this answer stays current (from Expires), if it says. */
      freshForMs?: number;
      lastModified?: string;
      notModified?: false;
    }
  | { notModified: true; freshForMs?: number; lastModified?: string };

export interface WeatherProvider {
  readonly name: ProviderName;
  /**
   * Local sources (a file) are read on every request and never cached per cell; remote ones go through the
   * cache, single flight and the timeout.
   */
  readonly local: boolean;
  fetch(req: FetchRequest): Promise<FetchResult>;
}

/** A provider's failure, with a message fit for the log (no URL: it may carry an API key). */
export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderName,
    message: string,
    readonly status?: number,
  ) {
    super(`${provider}: ${message}`);
  }
}

/** Most days a forecast keeps. */
export const FORECAST_DAYS = 7;

export const round1 = (x: number): number => {
  const r = Math.round(x * 10) / 10;
  return r === 0 ? 0 : r; // no -0
};

/**
 * GET `url` and parse its JSON body. Errors name the provider and the status, never the URL. 304 answers
 * `{ status: 304 }` with no body.
 */
export async function getJson(
  provider: ProviderName,
  url: string,
  init: { headers?: Record<string, string>; signal: AbortSignal; fetch?: typeof fetch },
): Promise<{ status: number; headers: Headers; body: unknown }> {
  let res: Response;
  try {
    res = await (init.fetch ?? fetch)(url, { headers: init.headers ?? {}, signal: init.signal, redirect: 'follow' });
  } catch (e) {
    if (init.signal.aborted) throw new ProviderError(provider, 'no answer in time');
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new ProviderError(provider, `request failed (${cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e))})`);
  }
  if (res.status === 304) {
    await res.body?.cancel();
    return { status: 304, headers: res.headers, body: undefined };
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ProviderError(provider, `answered ${res.status}`, res.status);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    if (init.signal.aborted) throw new ProviderError(provider, 'no answer in time');
    throw new ProviderError(provider, 'answered something that is not JSON', res.status);
  }
  return { status: res.status, headers: res.headers, body };
}

/** Milliseconds from the server's Date to its Expires (clock-skew free), when both are there and sensible. */
export function freshFor(headers: Headers): number | undefined {
  const expires = Date.parse(headers.get('expires') ?? '');
  const date = Date.parse(headers.get('date') ?? '');
  if (!Number.isFinite(expires)) return undefined;
  const ms = expires - (Number.isFinite(date) ? date : Date.now());
  return ms > 0 ? ms : undefined;
}
