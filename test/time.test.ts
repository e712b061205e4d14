import { describe, it, expect } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { offsetAt, zonedToUtc } from '../server/time';
import { wallClock } from './wall-clock';

const iso = (ms: number) => new Date(ms).toISOString();

describe('zonedToUtc', () => {
  const cases: [local: string, zone: string, expectedUtc: string, why: string][] = [
    ['2026-07-01T09:00', 'Europe/Berlin', '2026-07-01T07:00:00.000Z', 'summer, CEST +2'],
    ['2026-01-15T09:00', 'Europe/Berlin', '2026-01-15T08:00:00.000Z', 'winter, CET +1'],
    ['2026-07-01', 'Europe/Berlin', '2026-06-30T22:00:00.000Z', 'a bare date is local midnight'],
    ['2026-07-01 09:00:30', 'Europe/Berlin', '2026-07-01T07:00:30.000Z', 'space separator and seconds'],
    ['2026-03-29T02:30', 'Europe/Berlin', '2026-03-29T01:30:00.000Z', 'in the spring gap: 03:30 CEST'],
    ['2026-03-29T03:00', 'Europe/Berlin', '2026-03-29T01:00:00.000Z', 'first wall time after the gap'],
    ['2026-10-25T02:30', 'Europe/Berlin', '2026-10-25T00:30:00.000Z', 'ambiguous: the earlier (CEST)'],
    ['2026-10-25T03:00', 'Europe/Berlin', '2026-10-25T02:00:00.000Z', 'after fall-back, CET'],
    ['2026-03-08T01:59:59', 'America/New_York', '2026-03-08T06:59:59.000Z', 'just before the gap, EST'],
    ['2026-03-08T02:30', 'America/New_York', '2026-03-08T07:30:00.000Z', 'in the spring gap: 03:30 EDT'],
    ['2026-03-08T03:00', 'America/New_York', '2026-03-08T07:00:00.000Z', 'just after the gap, EDT'],
    ['2026-11-01T01:30', 'America/New_York', '2026-11-01T05:30:00.000Z', 'ambiguous: the earlier (EDT)'],
    ['2026-11-01T02:00', 'America/New_York', '2026-11-01T07:00:00.000Z', 'after fall-back, EST'],
    ['2026-07-01T09:00', 'Asia/Kolkata', '2026-07-01T03:30:00.000Z', 'half-hour offset +5:30'],
    ['2026-01-01', 'Asia/Kolkata', '2025-12-31T18:30:00.000Z', 'date rolls back across UTC midnight'],
    ['2026-10-04T02:15', 'Australia/Lord_Howe', '2026-10-03T15:45:00.000Z', 'half-hour gap: 02:45 at +11'],
    ['2026-04-05T01:45', 'Australia/Lord_Howe', '2026-04-04T14:45:00.000Z', 'half-hour overlap: earlier, +11'],
    ['2026-07-01T12:00', 'Australia/Lord_Howe', '2026-07-01T01:30:00.000Z', 'southern winter, +10:30'],
    ['2026-07-01T09:00', 'UTC', '2026-07-01T09:00:00.000Z', 'UTC'],
    ['2026-07-01T09:00Z', 'America/New_York', '2026-07-01T09:00:00.000Z', 'Z wins over the zone'],
    ['2026-07-01T09:00+02:00', 'America/New_York', '2026-07-01T07:00:00.000Z', '+02:00 wins over the zone'],
    ['2026-07-01T09:00+0200', 'Asia/Tokyo', '2026-07-01T07:00:00.000Z', '+0200 without a colon'],
    ['2026-07-01T09:00:00-05:30', 'UTC', '2026-07-01T14:30:00.000Z', 'negative half-hour offset'],
    ['2028-02-29T00:00', 'UTC', '2028-02-29T00:00:00.000Z', 'leap day'],
    ['0050-06-01', 'UTC', '0050-06-01T00:00:00.000Z', 'years below 100 are not 19xx'],
  ];

  it.each(cases)('%s in %s → %s (%s)', (local, zone, expected) => {
    expect(iso(zonedToUtc(local, zone))).toBe(expected);
  });

  const bad: [local: string, zone: string, message: RegExp][] = [
    ['2026-02-29', 'UTC', /day must be 01–28 in 2026-02/],
    ['2026-13-01', 'UTC', /month must be 01–12/],
    ['2026-07-01T24:00', 'UTC', /hour must be 00–23/],
    ['2026-07-01T09:60', 'UTC', /minutes must be 00–59/],
    ['2026-07-01T09:00+25:00', 'UTC', /offset/],
    ['1 July 2026', 'UTC', /use an ISO date/],
    ['2026-07-01T09:00', 'Europe/Berln', /time zone/i],
  ];

  it.each(bad)('rejects %s in %s', (local, zone, message) => {
    expect(() => zonedToUtc(local, zone)).toThrow(message);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Round trip: instant → wall clock in a zone (via Intl) → zonedToUtc → the same instant, except when that
// wall clock occurs twice, where it must be the earlier of the two.

const zones = Intl.supportedValuesOf('timeZone');

function expectRoundTrip(instant: number, zone: string): void {
  const local = wallClock(instant, zone);
  const back = zonedToUtc(local, zone);
  if (back === instant) return;
  // Only allowed when the same wall clock also occurs earlier (fall-back overlap).
  expect(back).toBeLessThan(instant);
  expect(wallClock(back, zone)).toBe(local);
}

/** Offset transitions of `zone` in [from, to), found by weekly steps and bisection. */
function transitions(zone: string, from: number, to: number): number[] {
  const found: number[] = [];
  const WEEK = 7 * 86_400_000;
  for (let t = from; t < to; t += WEEK) {
    let lo = t;
    let hi = Math.min(t + WEEK, to);
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

const dstZones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Chatham', 'Europe/London', 'America/St_Johns'];
const nearTransitions = dstZones.flatMap((zone) =>
  transitions(zone, Date.UTC(2024, 0, 1), Date.UTC(2028, 0, 1)).map((t) => [zone, t] as const),
);

describe('zonedToUtc round trip', () => {
  it('found DST transitions to test around', () => {
    expect(nearTransitions.length).toBeGreaterThan(40);
  });

  const seconds = (from: number, to: number) => fc.integer({ min: from / 1000, max: to / 1000 }).map((s) => s * 1000);

  fcTest.prop([seconds(Date.UTC(1900, 0, 1), Date.UTC(2200, 0, 1)), fc.constantFrom(...zones)], { numRuns: 2000 })(
    'any instant in any zone comes back',
    (instant, zone) => expectRoundTrip(instant, zone),
  );

  fcTest.prop([fc.constantFrom(...nearTransitions), fc.integer({ min: -3 * 3600, max: 3 * 3600 })], { numRuns: 2000 })(
    'instants within 3 h of a DST transition come back (earlier one when ambiguous)',
    ([zone, transition], deltaSeconds) => expectRoundTrip(transition + deltaSeconds * 1000, zone),
  );
});
