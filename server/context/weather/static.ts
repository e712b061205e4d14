// The `static` provider: a JSON forecast file beside the config, for offline demos and tests. Same shape as
// /v1/context's `weather` without `provider`, `fetched_at` (and `stale`, ignored if present):
//
//   { "current": { "temp_c": 21.3, "condition": "clear" },
//     "daily": [{ "date": "2026-07-01", "max_temp_c": 27.1, "min_temp_c": 15.2, "precipitation_mm": 0.4,
//                 "condition": "partly_cloudy" }, …] }
//
// A day without a `date` is dated relative to today (UTC): the first such day is today, the next tomorrow…, so a
// demo forecast never goes out of date. Days dated before today are left out, as a provider would.
// The file is read again whenever it changes (size or mtime), so editing it shows on the next request.
import { stat, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CONDITIONS, FORECAST_DAYS, ProviderError, type FetchResult, type Forecast, type WeatherProvider } from './types';

const condition = z.enum(CONDITIONS);
const temp = z.number().min(-100).max(70);

export const StaticForecast = z.object({
  current: z.object({ temp_c: temp, condition }).nullable().default(null),
  daily: z
    .array(
      z.object({
        date: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
          .optional()
          .describe('omitted: today, tomorrow… in file order'),
        max_temp_c: temp,
        min_temp_c: temp,
        precipitation_mm: z.number().min(0).max(2000),
        condition,
      }),
    )
    .max(16)
    .default([]),
  stale: z.boolean().optional(),
});

export interface StaticProvider extends WeatherProvider {
  readonly file: string;
}

type FileForecast = z.infer<typeof StaticForecast>;

/** `file` is an absolute path (the config's `weather.file` resolved against the config file). */
export function createStaticWeather(file: string, now: () => number = Date.now): StaticProvider {
  let memo: { stamp: string; forecast: FileForecast } | undefined;
  return {
    name: 'static',
    local: true,
    file,
    async fetch(): Promise<FetchResult> {
      let stamp: string;
      try {
        const s = await stat(file);
        stamp = `${s.size}:${s.mtimeMs}:${s.ino}`;
      } catch (e) {
        throw new ProviderError('static', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      if (memo?.stamp !== stamp) memo = { stamp, forecast: await readForecast(file) };
      return { forecast: dated(memo.forecast, now()) };
    },
  };
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Undated days dated from today on; days before today dropped; at most FORECAST_DAYS. */
function dated(f: FileForecast, now: number): Forecast {
  const today = isoDay(now);
  let undated = 0;
  const daily = f.daily
    .map((d) => ({ ...d, date: d.date ?? isoDay(now + undated++ * DAY_MS) }))
    .filter((d) => d.date >= today)
    .slice(0, FORECAST_DAYS);
  return { current: f.current, daily };
}

async function readForecast(file: string): Promise<FileForecast> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ProviderError('static', `${file} is not a JSON file (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = StaticForecast.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProviderError('static', `${file}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return parsed.data;
}
