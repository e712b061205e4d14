// Wall-clock time in an IANA zone → UTC instant, with nothing but Intl. Pure.

const LOCAL =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A date or time that cannot exist; `reason` says why without repeating the input. */
export class InvalidDateTime extends RangeError {
  readonly input: string;
  readonly reason: string;
  constructor(input: string, reason: string) {
    super(`"${input}": ${reason}`);
    this.name = 'InvalidDateTime';
    this.input = input;
    this.reason = reason;
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Converts an ISO local date or date-time as written in the config (`2026-07-01`, `2026-07-01T09:00`,
 * `2026-07-01 09:00:30`) in `timeZone` to UTC epoch ms. A trailing offset (`Z`, `+02:00`, `+0200`) wins over
 * the zone. DST follows Temporal's 'compatible' disambiguation: a time inside a spring-forward gap moves
 * forward by the length of the gap (02:30 → 03:30 in Berlin); a fall-back time that occurs twice is the
 * earlier instant. Throws InvalidDateTime for impossible dates and times, a RangeError for an unknown zone.
 */
export function zonedToUtc(local: string, timeZone: string): number {
  const m = LOCAL.exec(local);
  if (!m) throw new InvalidDateTime(local, 'use an ISO date or date-time, e.g. 2026-07-01 or 2026-07-01T09:00');
  const [, ys, mos, ds, hs = '0', mis = '0', ss = '0', frac = '', offset] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  const ms = Number(frac.padEnd(3, '0'));

  if (month < 1 || month > 12) throw new InvalidDateTime(local, 'month must be 01–12');
  const monthDays = daysInMonth(year, month);
  if (day < 1 || day > monthDays)
    throw new InvalidDateTime(local, `day must be 01–${monthDays} in ${ys}-${mos}`);
  if (hour > 23) throw new InvalidDateTime(local, 'hour must be 00–23');
  if (minute > 59) throw new InvalidDateTime(local, 'minutes must be 00–59');
  if (second > 59) throw new InvalidDateTime(local, 'seconds must be 00–59');

  const wall = utcFields(year, month, day, hour, minute, second, ms);
  if (offset !== undefined) return wall - parseOffset(offset, local);

  // Offsets a day either side of the wall time bracket any transition near it (zones change at most
  // once in that window in practice), so the answer is one of these two candidates.
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const candidates = [...new Set([wall - before, wall - after])]
    .filter((t) => offsetAt(t, timeZone) === wall - t)
    .sort((a, b) => a - b);
  // Ambiguous (fall-back): two candidates, take the earlier. Gap (spring-forward): none; reading the wall
  // time with the offset from before the transition lands after the gap, shifted by its length.
  return candidates[0] ?? wall - before;
}

/** Milliseconds `timeZone` is ahead of UTC at `instant` (e.g. 7_200_000 for Berlin in summer). */
export function offsetAt(instant: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const era = parts.find((p) => p.type === 'era')?.value;
  let year = get('year');
  if (era === 'BC' || era === 'B') year = 1 - year;
  // Some ICU versions print midnight as 24 even with h23.
  const wall = utcFields(year, get('month'), get('day'), get('hour') % 24, get('minute'), get('second'), 0);
  // formatToParts drops milliseconds, so compare against the instant floored to the second.
  return wall - (instant - mod(instant, 1000));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Date.UTC, but years 0–99 mean themselves rather than 1900–1999. */
function utcFields(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  if (y >= 0 && y < 100) date.setUTCFullYear(y, mo - 1, d);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcFields(year, month + 1, 0, 0, 0, 0, 0)).getUTCDate();
}

function parseOffset(offset: string, local: string): number {
  if (offset === 'Z') return 0;
  const sign = offset[0] === '-' ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const mi = Number(digits.slice(2));
  if (h > 23 || mi > 59) throw new InvalidDateTime(local, 'offset must be between -23:59 and +23:59');
  return sign * (h * HOUR + mi * MINUTE);
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
