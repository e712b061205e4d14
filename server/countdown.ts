// Countdown deadlines (issue 6, "Countdown banner"): what instant a shopper counts down to. Pure: every
// function takes `now` (UTC epoch ms) instead of reading a clock.

import { InvalidDateTime, offsetAt, zonedToUtc } from './time';

/** Day names as the config writes them; index = Date#getUTCDay(). The same names as targeting's time.weekday. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A fixed deadline: `2026-12-24T18:00` (wall-clock time in `timezone`, default UTC) or an ISO date-time with an
 * offset (`2026-12-24T18:00+01:00`, `…Z`), which wins over the zone. Once it has passed it is gone for good.
 */
export interface FixedCountdown {
  deadline: string;
  timezone?: string;
}

/**
 * A recurring cut-off ("order within 2 h 13 min for same-day dispatch"): `time` (`HH:MM`) on each of `days`
 * (default: every day) in `timezone` (default UTC), except on the local dates `except` (`YYYY-MM-DD`).
 */
export interface RecurringCountdown {
  every: {
    time: string;
    days?: readonly Weekday[];
    timezone?: string;
    except?: readonly string[];
  };
}

export type CountdownInput = FixedCountdown | RecurringCountdown;

export interface RemainingParts {
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How far ahead a recurring cut-off is looked for. */
export const HORIZON_DAYS = 366;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The instant (UTC ms) a shopper counts down to at `now`, or null when there is none.
 *
 * - Fixed: the deadline while it is still ahead (strictly after `now`), else null — it never restarts.
 * - Recurring: the first cut-off strictly after `now` on an allowed, non-excluded date of the zone's local
 *   calendar, within HORIZON_DAYS (366) days of `now`; else null. A cut-off in a DST gap moves forward by the
 *   gap's length and one that occurs twice is the earlier instant (zonedToUtc's 'compatible' rule), so on a
 *   fall-back day a shopper who is past the first occurrence counts down to the next allowed day.
 *
 * Throws InvalidDateTime for a malformed or impossible deadline, time or excluded date, and a RangeError for an
 * unknown zone or weekday — the config schema should have caught them all.
 */
export function nextDeadline(countdown: CountdownInput, now: number): number | null {
  if ('deadline' in countdown) {
    const deadline = zonedToUtc(countdown.deadline, countdown.timezone ?? 'UTC');
    return deadline > now ? deadline : null;
  }
  return nextCutoff(countdown.every, now);
}

function nextCutoff(every: RecurringCountdown['every'], now: number): number | null {
  const zone = every.timezone ?? 'UTC';
  if (!TIME.test(every.time)) throw new InvalidDateTime(every.time, 'use a 24-hour time HH:MM, e.g. 14:00');
  const days = new Set<number>();
  for (const d of every.days ?? WEEKDAYS) {
    const i = WEEKDAYS.indexOf(d);
    if (i < 0) throw new RangeError(`"${d}": not a weekday (${WEEKDAYS.join(', ')})`);
    days.add(i);
  }
  const except = new Set<string>();
  for (const date of every.except ?? []) {
    if (!DATE.test(date)) throw new InvalidDateTime(date, 'use an ISO date, e.g. 2026-12-25');
    zonedToUtc(date, 'UTC'); // throws for an impossible date such as 2026-02-30
    except.add(date);
  }
  if (days.size === 0) return null;

  // The zone's local calendar date at `now`, as a UTC midnight to step from. Start a day early: a cut-off late
  // in the evening that falls into a gap spanning midnight lands after the local date changes.
  const local = now + offsetAt(now, zone);
  const today = local - mod(local, DAY);
  const limit = now + HORIZON_DAYS * DAY;
  for (let day = today - DAY; day <= today + (HORIZON_DAYS + 1) * DAY; day += DAY) {
    const date = new Date(day);
    if (!days.has(date.getUTCDay())) continue;
    const ymd = date.toISOString().slice(0, 10);
    if (except.has(ymd)) continue;
    const cutoff = zonedToUtc(`${ymd}T${every.time}`, zone);
    if (cutoff > limit) return null;
    if (cutoff > now) return cutoff;
  }
  return null;
}

/**
 * The time left from `now` to `deadline` as elapsed days (24 h each, not calendar days), hours, minutes and
 * seconds, or null at or after zero. Seconds round up, so the display reads 0:00:01 until the very end and
 * never shows all zeros while time is left.
 */
export function remainingParts(deadline: number, now: number): RemainingParts | null {
  const ms = deadline - now;
  if (!(ms > 0)) return null;
  const total = Math.ceil(ms / SECOND);
  return {
    days: Math.floor(total / 86_400),
    hours: Math.floor(total / 3600) % 24,
    minutes: Math.floor(total / 60) % 60,
    seconds: total % 60,
  };
}

/** Fixed-date holidays as `MM-DDTHH:MM` wall-clock times; see holidayDeadline. */
export const holidayPresets = {
  valentines_day: '02-14T00:00',
  halloween: '10-31T18:00',
  christmas_eve: '12-24T18:00',
  christmas: '12-25T00:00',
  new_years_eve: '12-31T23:59',
} as const;
export type HolidayPreset = keyof typeof holidayPresets;

/**
 * A preset as a fixed deadline in a given year (`holidayDeadline('christmas_eve', 2026, 'Europe/London')` →
 * `{ deadline: '2026-12-24T18:00', timezone: 'Europe/London' }`). The year is explicit on purpose: a fixed
 * deadline never rolls over to next year by itself.
 */
export function holidayDeadline(preset: HolidayPreset, year: number, timezone = 'UTC'): FixedCountdown {
  if (!Number.isInteger(year) || year < 1 || year > 9999) throw new RangeError(`year ${year}: must be 1–9999`);
  return { deadline: `${String(year).padStart(4, '0')}-${holidayPresets[preset]}`, timezone };
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** A countdown as the config writes it: nextDeadline's input, or a holiday preset in a year. */
export type CountdownSpecLike = CountdownInput | { holiday: HolidayPreset; year: number; timezone?: string | undefined };

/** The config's countdown as nextDeadline takes it: a holiday preset becomes its fixed deadline. */
export const countdownInput = (spec: CountdownSpecLike): CountdownInput =>
  'holiday' in spec ? holidayDeadline(spec.holiday, spec.year, spec.timezone) : spec;

/** What GET /v1/countdowns/:id answers: the server's clock and the instant to count down to (null: none). */
export type CountdownAnswer =
  | { status: 200; body: { now: number; deadline: number | null } }
  | { status: 404; body: { error: string } };

/**
 * GET /v1/countdowns/:id, pure: `campaign` is the config's campaign with that id, if there is one. Answers the
 * deadline as an instant — the widget counts down to it on the server's clock (`now`, for its skew) — or 404
 * for an unknown id, another type, or a campaign that is switched off.
 */
export function countdownAnswer(
  id: string,
  campaign: { type: string; enabled: boolean; countdown?: CountdownSpecLike } | undefined,
  now: number,
): CountdownAnswer {
  if (!campaign) return { status: 404, body: { error: `no campaign "${id}" in the config` } };
  if (campaign.type !== 'countdown_bar' || !campaign.countdown)
    return { status: 404, body: { error: `campaign "${id}" is not a countdown_bar (its type is ${campaign.type})` } };
  if (!campaign.enabled) return { status: 404, body: { error: `campaign "${id}" is switched off (enabled: false)` } };
  return { status: 200, body: { now, deadline: nextDeadline(countdownInput(campaign.countdown), now) } };
}
