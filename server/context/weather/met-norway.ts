// MET Norway's Locationforecast 2.0, `compact` variant (free; its terms ask for an identifying User-Agent with a
// contact, coordinates with at most 4 decimals, and no repeated request before the answer's Expires).
//
// The answer is a GeoJSON Feature whose `properties.timeseries` runs hourly for the first two to three days and
// six-hourly after that. Every step has `data.instant.details.air_temperature`; the hourly ones also have
// `next_1_hours` (`summary.symbol_code`, `details.precipitation_amount`), most have `next_6_hours`, and the last
// ones only `next_12_hours` (a symbol, no amount). MET gives no time zone, so days are the location's *solar*
// days (UTC offset = longitude / 15 h, rounded): within an hour or two of the civil date almost everywhere, and
// far better than UTC dates away from Europe.
import { readFileSync } from 'node:fs';
import {
  FORECAST_DAYS,
  ProviderError,
  freshFor,
  getJson,
  type Condition,
  type DailyWeather,
  type FetchRequest,
  type FetchResult,
  type Forecast,
  type WeatherProvider,
} from './types';

export const MET_NORWAY_URL = 'https://api.met.no/weatherapi/locationforecast/2.0/compact';

export interface MetNorwayOptions {
  /** A contact (email or URL) for the User-Agent, as MET's terms require. */
  contact: string;
  /** Default MET_NORWAY_URL; tests point it at a local server. */
  url?: string;
  /** Default the version in package.json. */
  version?: string;
  fetch?: typeof fetch;
}

let packageVersion: string | undefined;
/** Kairos's version from package.json, for the User-Agent. */
export function kairosVersion(): string {
  if (packageVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      packageVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      packageVersion = '0.0.0';
    }
  }
  return packageVersion;
}

export function createMetNorway(opts: MetNorwayOptions): WeatherProvider {
  const base = opts.url ?? MET_NORWAY_URL;
  const userAgent = `Kairos/${opts.version ?? kairosVersion()} ${opts.contact}`;
  return {
    name: 'met_norway',
    local: false,
    async fetch(req: FetchRequest): Promise<FetchResult> {
      const url = `${base}?lat=${req.lat}&lon=${req.lon}`;
      const headers: Record<string, string> = { 'User-Agent': userAgent, Accept: 'application/json' };
      if (req.lastModified) headers['If-Modified-Since'] = req.lastModified;
      const res = await getJson('met_norway', url, { headers, signal: req.signal, ...(opts.fetch && { fetch: opts.fetch }) });
      const fresh = freshFor(res.headers);
      const lastModified = res.headers.get('last-modified') ?? undefined;
      const meta = { ...(fresh !== undefined && { freshForMs: fresh }), ...(lastModified && { lastModified }) };
      if (res.status === 304) return { notModified: true, ...meta };
      return { forecast: parseMetCompact(res.body, req.lon), ...meta };
    },
  };
}

// --- the format ----------------------------------------------------------------------------------------------

interface Step {
  t: number;
  temp: number | undefined;
  next1?: { symbol?: string; mm?: number };
  next6?: { symbol?: string; mm?: number };
  next12?: { symbol?: string };
}

const HOUR = 3600_000;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

function period(v: unknown): { symbol?: string; mm?: number } | undefined {
  const p = obj(v);
  if (!p) return undefined;
  const symbol = obj(p['summary'])?.['symbol_code'];
  const mm = num(obj(p['details'])?.['precipitation_amount']);
  return { ...(typeof symbol === 'string' && { symbol }), ...(mm !== undefined && { mm }) };
}

function steps(body: unknown): Step[] {
  const series = obj(obj(body)?.['properties'])?.['timeseries'];
  if (!Array.isArray(series)) throw new ProviderError('met_norway', 'answered JSON without properties.timeseries');
  const out: Step[] = [];
  for (const raw of series) {
    const s = obj(raw);
    const t = Date.parse(typeof s?.['time'] === 'string' ? s['time'] : '');
    const data = obj(s?.['data']);
    if (!Number.isFinite(t) || !data) continue;
    const next1 = period(data['next_1_hours']);
    const next6 = period(data['next_6_hours']);
    const next12 = period(data['next_12_hours']);
    out.push({
      t,
      temp: num(obj(obj(data['instant'])?.['details'])?.['air_temperature']),
      ...(next1 && { next1 }),
      ...(next6 && { next6 }),
      ...(next12 && { next12 }),
    });
  }
  out.sort((a, b) => a.t - b.t);
  if (out.length === 0) throw new ProviderError('met_norway', 'answered an empty timeseries');
  return out;
}

/** Hours to add to UTC for the solar day at this longitude. */
export const solarOffsetHours = (lon: number): number => {
  const h = Math.round(lon / 15);
  return h === 0 ? 0 : h; // no -0
};

/** MET's forecast (compact JSON) as current weather and up to 7 days of the location's solar dates. */
export function parseMetCompact(body: unknown, lon: number): Forecast {
  const all = steps(body);
  const offset = solarOffsetHours(lon) * HOUR;
  const dateOf = (t: number) => new Date(t + offset).toISOString().slice(0, 10);

  interface Day {
    max: number;
    min: number;
    mm: number;
    hours: Map<Condition, number>;
  }
  const days = new Map<string, Day>();
  const day = (t: number): Day => {
    const key = dateOf(t);
    let d = days.get(key);
    if (!d) days.set(key, (d = { max: -Infinity, min: Infinity, mm: 0, hours: new Map() }));
    return d;
  };

  // Precipitation and conditions: each step covers the time up to the next step, with the finest period that
  // fits the gap (hourly steps: next_1_hours; six-hourly ones: next_6_hours). An amount goes to the day its
  // period starts in.
  let coveredUntil = -Infinity;
  all.forEach((s, i) => {
    const d = day(s.t);
    if (s.temp !== undefined) {
      d.max = Math.max(d.max, s.temp);
      d.min = Math.min(d.min, s.temp);
    }
    if (s.t < coveredUntil) return;
    const gap = i + 1 < all.length ? all[i + 1]!.t - s.t : Infinity;
    let p: { symbol?: string; mm?: number } | undefined;
    let hours: number;
    if (s.next1 && (gap <= HOUR || !s.next6)) [p, hours] = [s.next1, 1];
    else if (s.next6) [p, hours] = [s.next6, 6];
    else if (s.next12) [p, hours] = [s.next12, 12];
    else return;
    coveredUntil = s.t + hours * HOUR;
    if (p.mm !== undefined) d.mm += p.mm;
    const c = p.symbol ? metCondition(p.symbol) : undefined;
    if (c) d.hours.set(c, (d.hours.get(c) ?? 0) + Math.min(hours, 6));
  });

  const daily: DailyWeather[] = [];
  for (const [date, d] of days) {
    if (daily.length >= FORECAST_DAYS) break;
    if (d.max === -Infinity || d.hours.size === 0) continue; // a day with no temperature or no symbol at all
    daily.push({
      date,
      max_temp_c: round(d.max),
      min_temp_c: round(d.min),
      precipitation_mm: round(d.mm),
      condition: dailyCondition(d.hours),
    });
  }

  const first = all[0]!;
  const symbol = first.next1?.symbol ?? first.next6?.symbol ?? first.next12?.symbol;
  const condition = symbol ? metCondition(symbol) : undefined;
  const current = first.temp !== undefined && condition ? { temp_c: round(first.temp), condition } : null;
  return { current, daily };
}

const round = (x: number) => Math.round(x * 10) / 10 || 0;

/** Wetter and wilder first: the order in which a condition outweighs another for a whole day. */
const SEVERITY: readonly Condition[] = ['thunder', 'snow', 'sleet', 'rain', 'showers', 'fog', 'cloudy', 'partly_cloudy', 'clear'];
const WET = new Set<Condition>(['thunder', 'snow', 'sleet', 'rain', 'showers']);

/**
 * One condition for a day from the hours each held: the most severe wet condition that lasts at least 2 hours
 * (a day with a three-hour downpour is a rainy day); otherwise the dry condition that lasted longest (ties: the
 * cloudier).
 */
export function dailyCondition(hours: ReadonlyMap<Condition, number>): Condition {
  for (const c of SEVERITY) if (WET.has(c) && (hours.get(c) ?? 0) >= 2) return c;
  let best: Condition = 'clear';
  let most = -1;
  for (const c of SEVERITY) {
    if (WET.has(c)) continue;
    const h = hours.get(c) ?? 0;
    if (h > most) [best, most] = [c, h];
  }
  if (most > 0) return best;
  // Only short wet spells: the longest of them.
  for (const c of SEVERITY) if ((hours.get(c) ?? 0) > 0) return c;
  return 'clear';
}

/**
 * MET's `symbol_code` (e.g. `lightrainshowers_day`, `heavysleetandthunder`, `fair_night`) as a condition;
 * undefined for a code it does not know. Showers of sleet or snow count as sleet or snow: the kind of
 * precipitation matters more than its being showery.
 */
export function metCondition(symbol: string): Condition | undefined {
  const s = symbol.replace(/_(day|night|polartwilight)$/, '');
  if (s.includes('thunder')) return 'thunder';
  if (s.includes('sleet')) return 'sleet';
  if (s.includes('snow')) return 'snow';
  if (s.includes('rainshowers')) return 'showers';
  if (s.includes('rain')) return 'rain';
  switch (s) {
    case 'clearsky':
      return 'clear';
    case 'fair':
    case 'partlycloudy':
      return 'partly_cloudy';
    case 'cloudy':
      return 'cloudy';
    case 'fog':
      return 'fog';
    default:
      return undefined;
  }
}
