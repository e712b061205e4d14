import { describe, it, expect } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import {
  HORIZON_DAYS,
  WEEKDAYS,
  holidayDeadline,
  nextDeadline,
  remainingParts,
  type CountdownInput,
  type RecurringCountdown,
  type Weekday,
} from '../server/countdown';
import { offsetAt } from '../server/time';
import { wallClock } from './wall-clock';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const at = (utc: string) => Date.parse(utc);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const LONDON = 'Europe/London';
const ALMATY = 'Asia/Almaty';
const NEW_YORK = 'America/New_York';
const WEEKDAYS_ONLY: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

// What this machine's ICU says about the zones the tables rely on; if tzdata changes, these fail first and
// say why, rather than the tables below failing mysteriously.
describe('time zone data assumed by the tables', () => {
  const offsetName = (zone: string, utc: string) =>
    new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(at(utc))
      .find((p) => p.type === 'timeZoneName')
      ?.value.replace(/^GMT$/, 'GMT+00:00'); // some ICU versions print a zero offset as plain "GMT"


  it.each([
    [ALMATY, '2023-06-01T00:00Z', 'GMT+06:00', 'Almaty before 2024-03-01'],
    [ALMATY, '2024-02-29T17:59:59Z', 'GMT+06:00', 'the last second at +6 (23:59:59 local)'],
    [ALMATY, '2024-02-29T18:00Z', 'GMT+05:00', 'midnight +6 became 23:00 +5: Feb 29 23:00–24:00 twice'],
    [ALMATY, '2026-07-01T00:00Z', 'GMT+05:00', 'Almaty since, no DST'],
    [LONDON, '2026-03-29T00:59:59Z', 'GMT+00:00', 'GMT until the last Sunday of March 01:00 UTC'],
    [LONDON, '2026-03-29T01:00Z', 'GMT+01:00', 'BST from then'],
    [LONDON, '2026-10-25T00:59:59Z', 'GMT+01:00', 'BST until the last Sunday of October 01:00 UTC'],
    [LONDON, '2026-10-25T01:00Z', 'GMT+00:00', 'GMT from then'],
    [NEW_YORK, '2026-03-08T07:00Z', 'GMT-04:00', 'EDT from 2026-03-08 02:00 EST'],
    [NEW_YORK, '2026-11-01T06:00Z', 'GMT-05:00', 'EST from 2026-11-01 02:00 EDT'],
  ])('%s at %s is %s (%s)', (zone, utc, expected) => {
    expect(offsetName(zone, utc)).toBe(expected);
  });
});

describe('nextDeadline: recurring cut-offs', () => {
  const every = (time: string, timezone: string, days?: Weekday[], except?: string[]): RecurringCountdown => ({
    every: { time, timezone, ...(days && { days }), ...(except && { except }) },
  });
  const dispatch = every('14:00', LONDON, WEEKDAYS_ONLY, ['2026-12-25', '2026-12-26']);

  const cases: [countdown: CountdownInput, now: string, expected: string | null, why: string][] = [
    // Europe/London, spring forward (Sun 2026-03-29 01:00 UTC).
    [dispatch, '2026-03-27T13:59Z', '2026-03-27T14:00:00.000Z', 'Friday 13:59 GMT: one minute left'],
    [dispatch, '2026-03-27T14:00Z', '2026-03-30T13:00:00.000Z', 'at the cut-off it is gone: next is Monday'],
    [dispatch, '2026-03-28T13:59Z', '2026-03-30T13:00:00.000Z', 'Saturday 13:59 GMT → Monday 14:00 BST'],
    [dispatch, '2026-03-29T12:00Z', '2026-03-30T13:00:00.000Z', 'Sunday 13:00 BST → Monday 14:00 BST'],
    [dispatch, '2026-03-30T12:59:59Z', '2026-03-30T13:00:00.000Z', 'Monday, one second before'],
    [every('14:00', LONDON), '2026-03-28T14:00Z', '2026-03-29T13:00:00.000Z', 'daily: Sat → Sun is 23 h'],
    [every('14:00', LONDON), '2026-03-29T13:00Z', '2026-03-30T13:00:00.000Z', 'daily: Sun → Mon is 24 h'],
    // Europe/London, fall back (Sun 2026-10-25 01:00 UTC).
    [dispatch, '2026-10-23T13:00Z', '2026-10-26T14:00:00.000Z', 'Friday 14:00 BST → Monday 14:00 GMT, 73 h'],
    [every('14:00', LONDON), '2026-10-24T13:00Z', '2026-10-25T14:00:00.000Z', 'daily: Sat → Sun is 25 h'],
    // Gap and overlap at 01:30 in London.
    [every('01:30', LONDON), '2026-03-28T02:00Z', '2026-03-29T01:30:00.000Z', 'gap: 01:30 GMT → 02:30 BST'],
    [every('01:30', LONDON), '2026-10-25T00:00Z', '2026-10-25T00:30:00.000Z', 'overlap: the earlier, 01:30 BST'],
    [every('01:30', LONDON), '2026-10-25T00:45Z', '2026-10-26T01:30:00.000Z', 'past the first 01:30: tomorrow'],
    [every('01:30', LONDON), '2026-10-25T01:10Z', '2026-10-26T01:30:00.000Z', 'second 01:10: not the second 01:30'],
    // America/New_York: gap 2026-03-08 02:00 → 03:00, overlap 2026-11-01 01:00–02:00.
    [every('02:30', NEW_YORK), '2026-03-07T07:30Z', '2026-03-08T07:30:00.000Z', 'gap: 02:30 → 03:30 EDT, 24 h later'],
    [every('02:30', NEW_YORK), '2026-03-08T07:30Z', '2026-03-09T06:30:00.000Z', 'after the gap: 02:30 EDT, 23 h'],
    [every('01:30', NEW_YORK), '2026-11-01T05:00Z', '2026-11-01T05:30:00.000Z', 'overlap: the earlier, EDT'],
    [every('01:30', NEW_YORK), '2026-11-01T06:15Z', '2026-11-02T06:30:00.000Z', 'second 01:15 EST → Monday 01:30 EST'],
    // Asia/Almaty: +6 → +5 at 2024-03-01 00:00 local (Thursday Feb 29 ran 25 hours).
    [every('14:00', ALMATY), '2024-02-29T07:00Z', '2024-02-29T08:00:00.000Z', 'Feb 29 14:00 +06'],
    [every('14:00', ALMATY), '2024-02-29T08:00Z', '2024-03-01T09:00:00.000Z', 'Mar 1 14:00 +05: 25 h later'],
    [every('23:30', ALMATY), '2024-02-29T17:00Z', '2024-02-29T17:30:00.000Z', 'Feb 29 23:30 twice: the +06 one'],
    [every('23:30', ALMATY), '2024-02-29T18:10Z', '2024-03-01T18:30:00.000Z', 'second 23:10 → Mar 1 23:30 +05'],
    [every('00:30', ALMATY), '2024-02-29T17:00Z', '2024-02-29T19:30:00.000Z', 'Mar 1 00:30 exists only at +05'],
    // America/Santiago changes at local midnight: gap 2026-09-06 00:00 → 01:00, Apr 4 23:00–24:00 twice.
    [every('00:30', 'America/Santiago'), '2026-09-05T05:00Z', '2026-09-06T04:30:00.000Z', 'gap at midnight: 01:30 -03'],
    [every('23:30', 'America/Santiago'), '2026-04-05T03:00Z', '2026-04-06T03:30:00.000Z', 'second Sat 23:00 → Sun 23:30'],
    // A whole day in the gap (Samoa skipped Friday 2011-12-30): moved forward 24 h, as zonedToUtc does.
    [every('12:00', 'Pacific/Apia', ['fri']), '2011-12-28T00:00Z', '2011-12-30T22:00:00.000Z', 'skipped Friday → Sat 12:00 +14'],
    // Weekday and date are the zone's, not UTC's.
    [every('02:00', ALMATY, ['mon']), '2026-03-01T20:00Z', '2026-03-01T21:00:00.000Z', 'Monday 02:00 +05 is Sunday in UTC'],
    [every('02:00', ALMATY, ['sun']), '2026-03-01T20:00Z', '2026-03-07T21:00:00.000Z', 'Sunday in UTC, Monday in Almaty'],
    [every('02:00', ALMATY, ['mon'], ['2026-03-02']), '2026-03-01T20:00Z', '2026-03-08T21:00:00.000Z', 'excluded local date'],
    [every('20:00', 'America/Los_Angeles', ['fri']), '2026-07-04T01:00Z', '2026-07-04T03:00:00.000Z', 'Friday evening LA is Saturday UTC'],
    // Excluded dates.
    [dispatch, '2026-12-24T14:00Z', '2026-12-28T14:00:00.000Z', 'Christmas (Fri) excluded, weekend not allowed'],
    [dispatch, '2026-12-24T13:00Z', '2026-12-24T14:00:00.000Z', 'Christmas Eve itself is not excluded'],
    [every('14:00', 'UTC', undefined, ['2026-07-02', '2026-07-03']), '2026-07-01T15:00Z', '2026-07-04T14:00:00.000Z', 'two days skipped'],
    // Defaults: every day, UTC.
    [{ every: { time: '09:15' } }, '2026-07-01T09:15Z', '2026-07-02T09:15:00.000Z', 'no days: every day; no zone: UTC'],
    // Nothing ahead.
    [every('14:00', LONDON, []), '2026-07-01T00:00Z', null, 'no days at all'],
    [every('14:00', 'UTC', ['mon'], mondays(2026, 6, 6, 60)), '2026-07-01T00:00Z', null, 'every Monday in the next year excluded'],
  ];

  it.each(cases)('%j at %s → %s (%s)', (countdown, now, expected) => {
    expect(iso(nextDeadline(countdown, at(now)))).toBe(expected);
  });

  it(`looks ${HORIZON_DAYS} days ahead, and not a minute more`, () => {
    const now = at('2026-01-01T14:00Z');
    const skip = (n: number) => Array.from({ length: n }, (_, i) => iso(now + (i + 1) * DAY)!.slice(0, 10));
    // Every day for 365 days excluded: the next cut-off is exactly 366 days ahead.
    expect(nextDeadline(every('14:00', 'UTC', undefined, skip(365)), now)).toBe(now + 366 * DAY);
    expect(nextDeadline(every('14:00', 'UTC', undefined, skip(366)), now)).toBeNull();
    // A minute later in the day, the same dates excluded (today too): 366 days and a minute away.
    expect(nextDeadline(every('14:01', 'UTC', undefined, ['2026-01-01', ...skip(365)]), now)).toBeNull();
    expect(nextDeadline(every('14:01', 'UTC', undefined, ['2026-01-01', ...skip(365)]), now + MIN)).toBe(now + 366 * DAY + MIN);
  });

  it('the remaining time across a change is exact', () => {
    const from = at('2026-03-28T13:59Z'); // Saturday 13:59 GMT
    const deadline = nextDeadline(dispatch, from)!;
    expect(remainingParts(deadline, from)).toEqual({ days: 1, hours: 23, minutes: 1, seconds: 0 });
    // Daily in Almaty: Feb 29 → Mar 1 2024 is 25 hours, cut-off to cut-off.
    const almaty = every('14:00', ALMATY);
    const feb29 = at('2024-02-29T08:00Z');
    expect(remainingParts(nextDeadline(almaty, feb29)!, feb29)).toEqual({ days: 1, hours: 1, minutes: 0, seconds: 0 });
  });

  const bad: [countdown: CountdownInput, message: RegExp][] = [
    [every('24:00', LONDON), /HH:MM/],
    [every('9:00', LONDON), /HH:MM/],
    [every('14:00:00', LONDON), /HH:MM/],
    [every('14:00', LONDON, ['monday' as Weekday]), /not a weekday/],
    [every('14:00', LONDON, undefined, ['25/12/2026']), /ISO date/],
    [every('14:00', LONDON, undefined, ['2026-02-30']), /day must be/],
    [every('14:00', 'Europe/Londn'), /time zone/i],
    [{ deadline: '2026-12-24 6pm', timezone: LONDON }, /ISO date/],
  ];

  it.each(bad)('rejects %j', (countdown, message) => {
    expect(() => nextDeadline(countdown, at('2026-07-01T00:00Z'))).toThrow(message);
  });
});

/** `count` consecutive Mondays as ISO dates, from the first Monday on or after year-month-day (month 0-based). */
function mondays(year: number, month: number, day: number, count: number): string[] {
  const start = Date.UTC(year, month, day);
  const first = start + ((8 - new Date(start).getUTCDay()) % 7) * DAY;
  return Array.from({ length: count }, (_, i) => iso(first + i * 7 * DAY)!.slice(0, 10));
}

describe('nextDeadline: fixed deadlines', () => {
  const cases: [deadline: string, zone: string | undefined, now: string, expected: string | null, why: string][] = [
    ['2026-12-24T18:00', LONDON, '2026-12-01T00:00Z', '2026-12-24T18:00:00.000Z', 'winter: GMT'],
    ['2026-07-01T18:00', LONDON, '2026-06-01T00:00Z', '2026-07-01T17:00:00.000Z', 'summer: BST'],
    ['2026-03-29T12:00', LONDON, '2026-03-28T12:00Z', '2026-03-29T11:00:00.000Z', 'seen from before the change'],
    ['2026-03-29T12:00', LONDON, '2026-03-29T01:00Z', '2026-03-29T11:00:00.000Z', 'seen from after the change'],
    ['2026-03-29T01:30', LONDON, '2026-03-28T00:00Z', '2026-03-29T01:30:00.000Z', 'in the gap: 02:30 BST'],
    ['2026-10-25T01:30', LONDON, '2026-10-24T00:00Z', '2026-10-25T00:30:00.000Z', 'twice: the earlier, BST'],
    ['2026-10-25T01:30', LONDON, '2026-10-25T00:30Z', null, 'the second 01:30 is not a new deadline'],
    ['2024-03-01T12:00', ALMATY, '2024-02-29T06:00Z', '2024-03-01T07:00:00.000Z', 'Almaty, +06 → +05'],
    ['2024-02-29T23:30', ALMATY, '2024-02-29T17:00Z', '2024-02-29T17:30:00.000Z', 'Almaty, twice: the +06 one'],
    ['2026-03-08T02:30', NEW_YORK, '2026-03-01T00:00Z', '2026-03-08T07:30:00.000Z', 'New York gap: 03:30 EDT'],
    ['2026-11-01T01:30', NEW_YORK, '2026-10-01T00:00Z', '2026-11-01T05:30:00.000Z', 'New York twice: EDT'],
    ['2026-12-24T18:00+01:00', LONDON, '2026-12-01T00:00Z', '2026-12-24T17:00:00.000Z', 'an offset wins over the zone'],
    ['2026-12-24T18:00Z', ALMATY, '2026-12-01T00:00Z', '2026-12-24T18:00:00.000Z', 'Z wins over the zone'],
    ['2026-12-24T18:00', undefined, '2026-12-01T00:00Z', '2026-12-24T18:00:00.000Z', 'no zone: UTC'],
    ['2026-12-24', LONDON, '2026-12-01T00:00Z', '2026-12-24T00:00:00.000Z', 'a bare date: local midnight'],
    ['2026-12-24T18:00', LONDON, '2026-12-24T17:59:59.999Z', '2026-12-24T18:00:00.000Z', 'a millisecond before'],
    ['2026-12-24T18:00', LONDON, '2026-12-24T18:00Z', null, 'at the deadline: gone'],
    ['2026-12-24T18:00', LONDON, '2027-12-01T00:00Z', null, 'in the past: gone, never next year'],
  ];

  it.each(cases)('%s in %s at %s → %s (%s)', (deadline, timezone, now, expected) => {
    const countdown = timezone === undefined ? { deadline } : { deadline, timezone };
    expect(iso(nextDeadline(countdown, at(now)))).toBe(expected);
  });

  it('counts down to the same instant from either side of a change', () => {
    const countdown = { deadline: '2026-03-29T12:00', timezone: LONDON };
    const before = at('2026-03-28T12:00Z'); // Saturday noon GMT → Sunday noon BST: 23 h
    const after = at('2026-03-29T02:00Z'); // Sunday 03:00 BST
    expect(remainingParts(nextDeadline(countdown, before)!, before)).toEqual({ days: 0, hours: 23, minutes: 0, seconds: 0 });
    expect(remainingParts(nextDeadline(countdown, after)!, after)).toEqual({ days: 0, hours: 9, minutes: 0, seconds: 0 });
    const fallBack = { deadline: '2026-10-25T12:00', timezone: LONDON };
    const sat = at('2026-10-24T11:00Z'); // Saturday noon BST → Sunday noon GMT is 25 h
    expect(remainingParts(nextDeadline(fallBack, sat)!, sat)).toEqual({ days: 1, hours: 1, minutes: 0, seconds: 0 });
  });
});

describe('remainingParts', () => {
  const cases: [deadline: number, now: number, expected: ReturnType<typeof remainingParts>, why: string][] = [
    [1000, 0, { days: 0, hours: 0, minutes: 0, seconds: 1 }, 'one second'],
    [1, 0, { days: 0, hours: 0, minutes: 0, seconds: 1 }, 'a millisecond rounds up to a second'],
    [1500, 0, { days: 0, hours: 0, minutes: 0, seconds: 2 }, 'seconds round up'],
    [60_000, 0, { days: 0, hours: 0, minutes: 1, seconds: 0 }, 'a minute'],
    [DAY + HOUR + MIN + 1000, 0, { days: 1, hours: 1, minutes: 1, seconds: 1 }, 'one of each'],
    [23 * HOUR, 0, { days: 0, hours: 23, minutes: 0, seconds: 0 }, '23 h is not a day'],
    [400 * DAY, 0, { days: 400, hours: 0, minutes: 0, seconds: 0 }, 'days do not wrap'],
    [at('2026-03-30T13:00Z'), at('2026-03-28T13:59Z'), { days: 1, hours: 23, minutes: 1, seconds: 0 }, 'across BST'],
    [0, 0, null, 'at zero'],
    [0, 1, null, 'after zero'],
  ];

  it.each(cases)('%d from %d → %j (%s)', (deadline, now, expected) => {
    expect(remainingParts(deadline, now)).toEqual(expected);
  });

  fcTest.prop([fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: -1e11, max: 1e11 })])(
    'the parts add up to the time left, rounded up to a second, each in range',
    (now, delta) => {
      const parts = remainingParts(now + delta, now);
      if (delta <= 0) {
        expect(parts).toBeNull();
        return;
      }
      expect(parts).not.toBeNull();
      const { days, hours, minutes, seconds } = parts!;
      expect(((days * 24 + hours) * 60 + minutes) * 60 + seconds).toBe(Math.ceil(delta / 1000));
      expect(hours).toBeGreaterThanOrEqual(0);
      expect(hours).toBeLessThan(24);
      expect(minutes).toBeLessThan(60);
      expect(seconds).toBeLessThan(60);
      expect(Math.min(days, minutes, seconds)).toBeGreaterThanOrEqual(0);
    },
  );
});

describe('holidayDeadline', () => {
  it('makes a fixed deadline for a given year', () => {
    const countdown = holidayDeadline('christmas_eve', 2026, LONDON);
    expect(countdown).toEqual({ deadline: '2026-12-24T18:00', timezone: LONDON });
    expect(iso(nextDeadline(countdown, at('2026-12-01T00:00Z')))).toBe('2026-12-24T18:00:00.000Z');
    expect(nextDeadline(countdown, at('2026-12-25T00:00Z'))).toBeNull();
    expect(holidayDeadline('new_years_eve', 2026)).toEqual({ deadline: '2026-12-31T23:59', timezone: 'UTC' });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties of recurring cut-offs, checked against Intl directly: the answer is ahead of now, on an allowed
// and not excluded local date, at the cut-off's wall-clock time (or just after it when that time does not
// exist that day), and no allowed cut-off was skipped — found by walking every quarter hour between now and the
// answer (all these zones' offsets are whole quarter hours, so every local HH:MM shows up on that grid).

const propertyZones = [LONDON, ALMATY, NEW_YORK, 'America/Santiago', 'Australia/Lord_Howe', 'UTC'];
const QUARTER = 15 * MIN;

/** "2026-03-28 13:59" in `zone`. */
const wall = (instant: number, zone: string): string => wallClock(instant, zone).slice(0, 16);

const weekdayOf = (ymd: string) => WEEKDAYS[new Date(`${ymd}T00:00Z`).getUTCDay()]!;
const shiftDate = (ymd: string, days: number) => iso(Date.parse(`${ymd}T00:00Z`) + days * DAY)!.slice(0, 10);

/** Offset changes of `zone` in [from, to), by daily steps and bisection to the second. */
function transitions(zone: string, from: number, to: number): number[] {
  const found: number[] = [];
  for (let t = from; t < to; t += DAY) {
    let lo = t;
    let hi = t + DAY;
    if (offsetAt(lo, zone) === offsetAt(hi, zone)) continue;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offsetAt(mid, zone) === offsetAt(lo, zone)) lo = mid;
      else hi = mid;
    }
    found.push(hi);
  }
  return found;
}

const nearChanges = propertyZones.flatMap((zone) =>
  transitions(zone, Date.UTC(2023, 0, 1), Date.UTC(2028, 0, 1)).map((t) => [zone, t] as const),
);

describe('nextDeadline: properties of recurring cut-offs', () => {
  it('found the changes to test around, Almaty 2024 included', () => {
    expect(nearChanges.filter(([z]) => z === ALMATY).map(([, t]) => iso(t))).toEqual(['2024-02-29T18:00:00.000Z']);
    expect(nearChanges.length).toBeGreaterThan(40);
  });

  const time = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  // Times near the changes (most interesting: 00:xx–03:xx) more often than not.
  const cutoffTime = fc.oneof(time, fc.constantFrom('00:00', '00:30', '01:00', '01:30', '02:00', '02:30', '23:00', '23:30'));
  const days = fc.subarray([...WEEKDAYS], { minLength: 1 });
  const second = (from: number, to: number) => fc.integer({ min: from / 1000, max: to / 1000 }).map((s) => s * 1000);
  const situation = fc.oneof(
    fc.tuple(fc.constantFrom(...propertyZones), second(Date.UTC(2023, 0, 1), Date.UTC(2028, 0, 1))),
    fc
      .tuple(fc.constantFrom(...nearChanges), fc.integer({ min: -3 * 86_400, max: 86_400 }))
      .map(([[zone, t], s]) => [zone, t + s * 1000] as const),
  );

  fcTest.prop(
    [situation, cutoffTime, days, fc.array(fc.integer({ min: -1, max: 20 }), { maxLength: 4 }), fc.double({ min: 0, max: 1, noNaN: true })],
    { numRuns: 300 },
  )('the next allowed cut-off strictly after now, none skipped, stable until it passes', ([zone, now], t, allowed, exceptOffsets, f) => {
    // Excluded dates near now (in the zone's calendar), so that they matter.
    const today = wall(now, zone).slice(0, 10);
    const except = exceptOffsets.map((d) => shiftDate(today, d));
    const countdown: RecurringCountdown = { every: { time: t, days: allowed, timezone: zone, except } };
    const allowedDate = (ymd: string) => allowed.includes(weekdayOf(ymd)) && !except.includes(ymd);

    const result = nextDeadline(countdown, now);
    expect(result).not.toBeNull();
    const next = result!;
    expect(next).toBeGreaterThan(now);

    // At the cut-off's wall-clock time on an allowed date; or, when that time does not exist that day, within
    // 3 hours after it.
    const w = wall(next, zone);
    let date = w.slice(0, 10);
    if (w.slice(11) !== t) {
      const wallMs = Date.parse(`${w.replace(' ', 'T')}Z`);
      const intended = [date, shiftDate(date, -1)].find((d) => {
        const ms = Date.parse(`${d}T${t}Z`);
        return ms < wallMs && wallMs - ms <= 3 * HOUR;
      });
      expect(intended, `${w} is not ${t} nor just after it`).toBeDefined();
      date = intended!;
      for (let s = next - 4 * HOUR; s <= next + 4 * HOUR; s += QUARTER) {
        expect(wall(s, zone), 'the cut-off time exists that day, so it was not in a gap').not.toBe(`${date} ${t}`);
      }
    }
    expect(allowedDate(date), `${date} (${weekdayOf(date)}) is allowed`).toBe(true);

    // No allowed cut-off in (now, next): walk the quarter hours; a wall time seen a second time (fall-back) is
    // not a cut-off, the first one was.
    for (let s = Math.floor(now / QUARTER) * QUARTER + QUARTER; s < next; s += QUARTER) {
      if (s <= now) continue;
      const ws = wall(s, zone);
      if (ws.slice(11) !== t || !allowedDate(ws.slice(0, 10))) continue;
      const seenBefore = Array.from({ length: 12 }, (_, k) => s - (k + 1) * QUARTER).some((e) => wall(e, zone) === ws);
      expect(seenBefore, `allowed cut-off ${ws} (${iso(s)}) skipped for ${iso(next)}`).toBe(true);
    }

    // The shopper counts down to the same instant until it passes, then to a later one.
    const later = now + Math.floor(f * (next - now));
    expect(nextDeadline(countdown, later === next ? now : later)).toBe(next);
    const after = nextDeadline(countdown, next);
    expect(after === null || after > next).toBe(true);
  });

  fcTest.prop([fc.constantFrom(...propertyZones), second(Date.UTC(2023, 0, 1), Date.UTC(2028, 0, 1)), cutoffTime], {
    numRuns: 200,
  })('every day: cut-offs are between 21 and 27 hours apart, 24 away from changes', (zone, now, t) => {
    const first = nextDeadline({ every: { time: t, timezone: zone } }, now)!;
    const second = nextDeadline({ every: { time: t, timezone: zone } }, first)!;
    const gap = second - first;
    expect(gap).toBeGreaterThanOrEqual(21 * HOUR);
    expect(gap).toBeLessThanOrEqual(27 * HOUR);
    if (offsetAt(first - DAY, zone) === offsetAt(second + DAY, zone)) expect(gap).toBe(DAY);
  });
});
