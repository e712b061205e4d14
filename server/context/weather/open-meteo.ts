// Open-Meteo's forecast API (free for non-commercial use; a commercial API key goes to customer-api.open-meteo.com
// as `apikey`). Asked for `daily` max/min temperature, precipitation sum and weather code, and `current`
// temperature and weather code, with `timezone=auto`: its daily dates are the location's own local dates.
//
// The answer holds parallel arrays: `daily.time[i]` is the date of `daily.temperature_2m_max[i]` and so on; any
// value may be null where the model has none. Weather codes are WMO 4677 "present weather" codes as Open-Meteo
// documents them (0 clear … 99 thunderstorm with heavy hail).
import { FORECAST_DAYS, ProviderError, getJson, type Condition, type DailyWeather, type FetchRequest, type FetchResult, type Forecast, type WeatherProvider } from './types';

export const OPEN_METEO_URL = 'https://api.open-meteo.com/v1/forecast';
export const OPEN_METEO_CUSTOMER_URL = 'https://customer-api.open-meteo.com/v1/forecast';

export interface OpenMeteoOptions {
  /** The commercial API key, when there is one: requests then go to `customerUrl` with `apikey`. */
  apiKey?: string;
  /** Default OPEN_METEO_URL. */
  url?: string;
  /** Default OPEN_METEO_CUSTOMER_URL. */
  customerUrl?: string;
  fetch?: typeof fetch;
}

const QUERY =
  'daily=temperature_2m_max,temperature_2m_min,precipitation_sum,weather_code&current=temperature_2m,weather_code&timezone=auto&forecast_days=7';

export function createOpenMeteo(opts: OpenMeteoOptions = {}): WeatherProvider {
  return {
    name: 'open_meteo',
    local: false,
    async fetch(req: FetchRequest): Promise<FetchResult> {
      const base = opts.apiKey ? (opts.customerUrl ?? OPEN_METEO_CUSTOMER_URL) : (opts.url ?? OPEN_METEO_URL);
      let url = `${base}?latitude=${req.lat}&longitude=${req.lon}&${QUERY}`;
      if (opts.apiKey) url += `&apikey=${encodeURIComponent(opts.apiKey)}`;
      const res = await getJson('open_meteo', url, { headers: { Accept: 'application/json' }, signal: req.signal, ...(opts.fetch && { fetch: opts.fetch }) });
      return { forecast: parseOpenMeteo(res.body) };
    },
  };
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const round = (x: number) => Math.round(x * 10) / 10 || 0;

/** Open-Meteo's forecast JSON (`daily` + `current`) as our forecast; days with a missing value are left out. */
export function parseOpenMeteo(body: unknown): Forecast {
  const b = obj(body);
  if (b && b['error'] === true) throw new ProviderError('open_meteo', `refused the request: ${String(b['reason'] ?? 'no reason given').slice(0, 200)}`);
  const d = obj(b?.['daily']);
  const time = d?.['time'];
  if (!d || !Array.isArray(time)) throw new ProviderError('open_meteo', 'answered JSON without daily.time');
  const col = (name: string): unknown[] => (Array.isArray(d[name]) ? (d[name] as unknown[]) : []);
  const [max, min, rain, code] = ['temperature_2m_max', 'temperature_2m_min', 'precipitation_sum', 'weather_code'].map(col) as [
    unknown[],
    unknown[],
    unknown[],
    unknown[],
  ];

  const daily: DailyWeather[] = [];
  for (let i = 0; i < time.length && daily.length < FORECAST_DAYS; i++) {
    const date = time[i];
    const hi = num(max[i]);
    const lo = num(min[i]);
    const c = num(code[i]);
    const condition = c === undefined ? undefined : wmoCondition(c);
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || hi === undefined || lo === undefined || !condition) continue;
    daily.push({ date, max_temp_c: round(hi), min_temp_c: round(lo), precipitation_mm: round(num(rain[i]) ?? 0), condition });
  }

  const cur = obj(b?.['current']);
  const temp = num(cur?.['temperature_2m']);
  const curCode = num(cur?.['weather_code']);
  const condition = curCode === undefined ? undefined : wmoCondition(curCode);
  return { current: temp !== undefined && condition ? { temp_c: round(temp), condition } : null, daily };
}

/** Every WMO code Open-Meteo documents, and its condition. Freezing drizzle and freezing rain count as sleet. */
export const WMO_CONDITIONS: Readonly<Record<number, Condition>> = {
  0: 'clear', // clear sky
  1: 'partly_cloudy', // mainly clear
  2: 'partly_cloudy', // partly cloudy
  3: 'cloudy', // overcast
  45: 'fog', // fog
  48: 'fog', // depositing rime fog
  51: 'rain', // drizzle: light
  53: 'rain', // drizzle: moderate
  55: 'rain', // drizzle: dense
  56: 'sleet', // freezing drizzle: light
  57: 'sleet', // freezing drizzle: dense
  61: 'rain', // rain: slight
  63: 'rain', // rain: moderate
  65: 'rain', // rain: heavy
  66: 'sleet', // freezing rain: light
  67: 'sleet', // freezing rain: heavy
  71: 'snow', // snow fall: slight
  73: 'snow', // snow fall: moderate
  75: 'snow', // snow fall: heavy
  77: 'snow', // snow grains
  80: 'showers', // rain showers: slight
  81: 'showers', // rain showers: moderate
  82: 'showers', // rain showers: violent
  85: 'snow', // snow showers: slight
  86: 'snow', // snow showers: heavy
  95: 'thunder', // thunderstorm
  96: 'thunder', // thunderstorm with slight hail
  99: 'thunder', // thunderstorm with heavy hail
};

/** A WMO weather code as a condition; undefined for a code Open-Meteo does not use. */
export const wmoCondition = (code: number): Condition | undefined => WMO_CONDITIONS[code];
