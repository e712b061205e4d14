import { describe, it, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { PublicCampaign } from '../../server/schema';
import { eligible, judge, pickPerSlot, slotOf, type EligibilityContext } from '../../widget/eligibility';
import { bar } from './helpers';

const NOW = Date.UTC(2026, 6, 1, 9, 0, 0);
const HOUR = 3_600_000;

/** The base context: the home page, now, nothing dismissed. Each case changes one field. */
const ctx = (over: Partial<EligibilityContext> = {}): EligibilityContext => ({
  now: NOW,
  path: '/',
  dismissed: new Set(),
  ...over,
});

const ids = (cs: readonly PublicCampaign[]) => cs.map((c) => c.id);

describe('judge', () => {
  const cases: [spec: string, campaign: PublicCampaign, context: EligibilityContext, reason: string | null][] = [
    ['the base campaign shows', bar(), ctx(), null],
    // schedule
    ['no schedule at all: always on', bar({ schedule: {} }), ctx(), null],
    ['start in the past: shown', bar({ schedule: { start: NOW - HOUR } }), ctx(), null],
    ['start exactly now: shown (start is inclusive)', bar({ schedule: { start: NOW } }), ctx(), null],
    ['start one ms from now: not started yet', bar({ schedule: { start: NOW + 1 } }), ctx(), 'not started yet'],
    ['start tomorrow: not started yet', bar({ schedule: { start: NOW + 24 * HOUR } }), ctx(), 'not started yet'],
    ['end one ms from now: shown', bar({ schedule: { end: NOW + 1 } }), ctx(), null],
    ['end exactly now: ended (end is exclusive)', bar({ schedule: { end: NOW } }), ctx(), 'ended'],
    ['end in the past: ended', bar({ schedule: { end: NOW - HOUR } }), ctx(), 'ended'],
    ['inside a start–end window: shown', bar({ schedule: { start: NOW - HOUR, end: NOW + HOUR } }), ctx(), null],
    ['before a window: not started yet', bar({ schedule: { start: NOW + HOUR, end: NOW + 2 * HOUR } }), ctx(), 'not started yet'],
    ['after a window: ended', bar({ schedule: { start: NOW - 2 * HOUR, end: NOW - HOUR } }), ctx(), 'ended'],
    ['start 0 (the epoch) is a real start, not "unset"', bar({ schedule: { start: 0 } }), ctx(), null],
    ['end 0 (the epoch) is a real end, not "unset"', bar({ schedule: { end: 0 } }), ctx(), 'ended'],
    // pages
    ['on an included page: shown', bar({ pages: { include: ['/products/**'], exclude: [] } }), ctx({ path: '/products/a' }), null],
    ['off the included pages: not on this page', bar({ pages: { include: ['/products/**'], exclude: [] } }), ctx(), 'not on this page'],
    ['on an excluded page: not on this page', bar({ pages: { include: ['/**'], exclude: ['/checkout/**'] } }), ctx({ path: '/checkout/pay' }), 'not on this page'],
    // dismissed
    ['dismissed by the shopper: dismissed', bar(), ctx({ dismissed: new Set(['free-shipping']) }), 'dismissed'],
    ['another campaign dismissed: still shown', bar(), ctx({ dismissed: new Set(['other']) }), null],
    // several reasons: the first layer names it
    ['ended and dismissed: ended', bar({ schedule: { end: NOW } }), ctx({ dismissed: new Set(['free-shipping']) }), 'ended'],
    ['not started and off-page: not started yet', bar({ schedule: { start: NOW + 1 }, pages: { include: ['/x'], exclude: [] } }), ctx(), 'not started yet'],
    ['off-page and dismissed: not on this page', bar({ pages: { include: ['/x'], exclude: [] } }), ctx({ dismissed: new Set(['free-shipping']) }), 'not on this page'],
  ];

  it.each(cases)('%s', (_spec, campaign, context, reason) => {
    const verdict = judge(campaign, context);
    expect(verdict.campaign).toBe(campaign);
    if (reason === null) expect(verdict).toEqual({ campaign, shown: true });
    else expect(verdict).toEqual({ campaign, shown: false, reason });
  });
});

describe('eligible', () => {
  it('orders by priority, highest first', () => {
    const cs = [bar({ id: 'low', priority: 1 }), bar({ id: 'high', priority: 100 }), bar({ id: 'mid', priority: 10 })];
    expect(ids(eligible(cs, ctx()))).toEqual(['high', 'mid', 'low']);
  });

  it('breaks priority ties by config order', () => {
    const cs = [
      bar({ id: 'first', priority: 5 }),
      bar({ id: 'top', priority: 9 }),
      bar({ id: 'second', priority: 5 }),
      bar({ id: 'third', priority: 5 }),
    ];
    expect(ids(eligible(cs, ctx()))).toEqual(['top', 'first', 'second', 'third']);
  });

  it('leaves out what may not show, and keeps the rest in order', () => {
    const cs = [
      bar({ id: 'ended', priority: 9, schedule: { end: NOW } }),
      bar({ id: 'a', priority: 1 }),
      bar({ id: 'dismissed', priority: 9 }),
      bar({ id: 'elsewhere', priority: 9, pages: { include: ['/cart'], exclude: [] } }),
      bar({ id: 'b', priority: 2 }),
    ];
    expect(ids(eligible(cs, ctx({ dismissed: new Set(['dismissed']) })))).toEqual(['b', 'a']);
  });

  it('returns nothing when nothing is configured', () => {
    expect(eligible([], ctx())).toEqual([]);
  });

  it('does not reorder the config it was given', () => {
    const cs = [bar({ id: 'low', priority: 1 }), bar({ id: 'high', priority: 2 })];
    eligible(cs, ctx());
    expect(ids(cs)).toEqual(['low', 'high']);
  });
});

describe('slots', () => {
  it.each([
    ['a top bar sits in the top slot', bar({ position: 'top' }), 'bar:top'],
    ['a bottom bar sits in the bottom slot', bar({ position: 'bottom' }), 'bar:bottom'],
  ] as const)('%s', (_spec, campaign, slot) => {
    expect(slotOf(campaign)).toBe(slot);
  });

  it('keeps one bar per position: the first of each', () => {
    const ordered = [
      bar({ id: 'bottom-1', position: 'bottom' }),
      bar({ id: 'bottom-2', position: 'bottom' }),
      bar({ id: 'top-1', position: 'top' }),
      bar({ id: 'top-2', position: 'top' }),
    ];
    expect(ids(pickPerSlot(ordered))).toEqual(['bottom-1', 'top-1']);
  });

  it('a top bar and a bottom bar can both show', () => {
    const ordered = [bar({ id: 'top', position: 'top' }), bar({ id: 'bottom', position: 'bottom' })];
    expect(ids(pickPerSlot(ordered))).toEqual(['top', 'bottom']);
  });

  it('after eligible, the highest-priority bar wins its position', () => {
    const cs = [
      bar({ id: 'sale', priority: 1, position: 'bottom' }),
      bar({ id: 'shipping', priority: 5, position: 'bottom' }),
      bar({ id: 'hello', priority: 0, position: 'top' }),
    ];
    expect(ids(pickPerSlot(eligible(cs, ctx())))).toEqual(['shipping', 'hello']);
  });

  it('a dismissed bar frees its position for the next one', () => {
    const cs = [bar({ id: 'shipping', priority: 5 }), bar({ id: 'sale', priority: 1 })];
    expect(ids(pickPerSlot(eligible(cs, ctx({ dismissed: new Set(['shipping']) }))))).toEqual(['sale']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Laws over random configs

const campaignArb = fc
  .record({
    priority: fc.integer({ min: 0, max: 5 }),
    position: fc.constantFrom('top' as const, 'bottom' as const),
    start: fc.option(fc.integer({ min: NOW - 3 * HOUR, max: NOW + 3 * HOUR }), { nil: undefined }),
    end: fc.option(fc.integer({ min: NOW - 3 * HOUR, max: NOW + 3 * HOUR }), { nil: undefined }),
    include: fc.subarray(['/**', '/products/**', '/cart', '/'], { minLength: 1 }),
    exclude: fc.subarray(['/checkout/**', '/cart']),
  })
  .map(({ start, end, include, exclude, ...rest }) => ({ ...rest, schedule: { start, end }, pages: { include, exclude } }));

const configArb = fc
  .array(campaignArb, { maxLength: 12 })
  .map((cs) => cs.map((c, i) => bar({ ...c, id: 'c' + i })));

const ctxArb = fc.record({
  now: fc.integer({ min: NOW - 3 * HOUR, max: NOW + 3 * HOUR }),
  path: fc.constantFrom('/', '/cart', '/products/a', '/checkout/pay', '/blog'),
  dismissed: fc.subarray(Array.from({ length: 12 }, (_, i) => 'c' + i)).map((d) => new Set(d)),
});

describe('laws', () => {
  test.prop([configArb, ctxArb])('eligible returns only configured campaigns, each at most once', (cs, x) => {
    const out = eligible(cs, x);
    for (const c of out) expect(cs).toContain(c);
    expect(new Set(out).size).toBe(out.length);
  });

  test.prop([configArb, ctxArb])('eligible never returns a dismissed campaign', (cs, x) => {
    for (const c of eligible(cs, x)) expect(x.dismissed.has(c.id)).toBe(false);
  });

  test.prop([configArb, ctxArb])('eligible is sorted by priority, config order breaking ties', (cs, x) => {
    const out = eligible(cs, x);
    for (let i = 1; i < out.length; i++) {
      const [a, b] = [out[i - 1]!, out[i]!];
      expect(a.priority > b.priority || (a.priority === b.priority && cs.indexOf(a) < cs.indexOf(b))).toBe(true);
    }
  });

  test.prop([configArb, ctxArb])('eligible keeps exactly what judge lets show', (cs, x) => {
    expect(new Set(eligible(cs, x))).toEqual(new Set(cs.filter((c) => judge(c, x).shown)));
  });

  test.prop([configArb, ctxArb])('pickPerSlot shows at most one campaign per slot, the first of each', (cs, x) => {
    const ordered = eligible(cs, x);
    const picked = pickPerSlot(ordered);
    const slots = picked.map(slotOf);
    expect(new Set(slots).size).toBe(slots.length);
    for (const slot of new Set(ordered.map(slotOf))) {
      expect(picked.find((c) => slotOf(c) === slot)).toBe(ordered.find((c) => slotOf(c) === slot));
    }
  });
});
