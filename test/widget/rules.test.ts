// Targeting rules: the table of cases (rules.cases.ts), the reasons debug mode prints, and the laws the
// combinators obey for any rule and context (fast-check).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Rule } from '../../server/schema';
import { RULE_FIELDS } from '../../server/schema';
import { evaluate, explain, field, type RuleContext } from '../../widget/rules';
import { setDebug } from '../../widget/safe';
import { BASE, SEGMENTS, cases, ctx } from './rules.cases';

describe('evaluate: the table', () => {
  it('has at least 80 cases, with unique names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
    expect(new Set(cases.map(([name]) => name)).size).toBe(cases.length);
  });

  it.each(cases)('evaluate[%#] %s', (_name, rule, context, expected) => {
    expect(evaluate(rule, context, SEGMENTS)).toBe(expected);
    // explain agrees with evaluate, and always gives a reason.
    const r = explain(rule, context, SEGMENTS);
    expect(r.ok).toBe(expected);
    expect(r.reason).not.toBe('');
  });

  it('covers every field in RULE_FIELDS and every operator', () => {
    const used = new Set<string>();
    const ops = new Set<string>();
    const walk = (rule: unknown): void => {
      if (Array.isArray(rule)) return rule.forEach(walk);
      if (!rule || typeof rule !== 'object') return;
      for (const [k, v] of Object.entries(rule)) {
        if (k === 'all' || k === 'any' || k === 'not') walk(v);
        else if (k !== 'segment') {
          used.add(k.replace(/^(page\.query|traits)\..+$/, '$1.<name>'));
          if (v && typeof v === 'object' && !Array.isArray(v)) Object.keys(v).forEach((o) => ops.add(o));
        }
      }
    };
    for (const [, rule] of cases) walk(rule);
    for (const f of Object.keys(RULE_FIELDS)) expect(used, f).toContain(f);
    for (const o of ['eq', 'ne', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'contains', 'not_contains', 'starts_with', 'ends_with', 'matches', 'regex', 'exists'])
      expect(ops, o).toContain(o);
  });
});

describe('field', () => {
  it('reads dotted keys, and takes everything after page.query. and traits. as one key', () => {
    expect(field(BASE, 'cart.value')).toBe(49.5);
    expect(field(BASE, 'locale')).toBe('de-DE');
    expect(field(BASE, 'viewed.categories')).toEqual(['shirts', 'Sunglasses']);
    expect(field(BASE, 'page.query.color')).toBe('blue');
    expect(field(BASE, 'traits.loyalty.tier')).toBe('silver');
    expect(field(ctx({ page: { query: { 'a.b': 'x' } } }), 'page.query.a.b')).toBe('x');
  });

  it('has no value for missing fields, null, objects and prototype keys', () => {
    expect(field(BASE, 'utm.term')).toBeUndefined();
    expect(field(BASE, 'traits.nickname')).toBeUndefined();
    expect(field(BASE, 'page')).toBeUndefined();
    expect(field(BASE, 'cart.value.toFixed')).toBeUndefined();
    expect(field(BASE, 'traits.__proto__')).toBeUndefined();
    expect(field(BASE, 'page.query.hasOwnProperty')).toBeUndefined();
    expect(field(BASE, 'traits.')).toBeUndefined();
  });
});

describe('explain: reasons a marketer understands', () => {
  const reason = (rule: Rule, context: RuleContext = ctx()) => explain(rule, context, SEGMENTS);

  it.each<[string, Rule, RuleContext, string]>([
    ['a number below a minimum', { 'cart.value': { gte: 50 } }, ctx({ cart: { value: 20 } }), 'cart.value is 20, not ≥ 50'],
    ['a value not in a list', { 'device.type': ['mobile', 'tablet'] }, ctx(), 'device.type is "desktop", not one of mobile, tablet'],
    ['through a segment', { segment: 'big-spenders' }, ctx({ orders: { count: 0 } }), 'segment "big-spenders": orders.count is 0, not ≥ 3'],
    ['through nested segments', { segment: 'loyal-buyers' }, ctx({ visitor: { sessions: 1 } }), 'segment "loyal-buyers": visitor.sessions is 1, not ≥ 3'],
    ['a missing field', { 'geo.country': { ne: 'DE' } }, ctx({ geo: { country: undefined } }), 'geo.country has no value'],
    ['a type mismatch', { 'cart.value': '50' }, ctx(), 'cart.value is 49.5 (a number), which cannot be compared with "50" (text)'],
    ['a list that lacks an item', { 'viewed.categories': 'hats' }, ctx(), 'viewed.categories is [shirts, Sunglasses], which does not include "hats"'],
    ['a list that has an excluded item', { 'cart.categories': { not_contains: 'shirts' } }, ctx(), 'cart.categories is [shirts], which includes "shirts"'],
    ['a glob', { 'page.path': { matches: '/collections/**' } }, ctx(), 'page.path is "/products/linen-shirt", which does not match /collections/**'],
    ['the first failing key of a rule', { 'geo.country': 'DE', 'time.hour': { lt: 12 }, 'cart.items': 0 }, ctx(), 'time.hour is 14, not < 12'],
    ['not', { not: { 'device.type': 'desktop' } }, ctx(), 'ruled out by "not": device.type is "desktop"'],
    [
      'any',
      { any: [{ 'utm.source': 'facebook' }, { 'visitor.new': true }] },
      ctx(),
      'none of these holds: utm.source is "Newsletter", not "facebook"; visitor.new is false, not true',
    ],
    ['exists', { 'referrer.url': { exists: false } }, ctx(), 'referrer.url has a value ("https://www.google.com/search")'],
    ['an unknown operator', { 'cart.value': { between: [1, 2] } } as unknown as Rule, ctx(), 'cart.value: unknown operator "between"'],
    ['a bad regex', { 'page.path': { regex: '(' } }, ctx(), 'page.path: the pattern "(" is not a valid regular expression'],
    ['an unknown segment', { segment: 'nobody' }, ctx(), 'unknown segment "nobody"'],
    ['a segment loop', { segment: 'loop-a' }, ctx(), 'segment "loop-a": segment "loop-b": segments refer to each other in a loop: loop-a → loop-b → loop-a'],
    ['no forecast', { weather: { within_days: 3, max_temp_c: { gte: 25 } } }, ctx(), 'no weather forecast'],
    [
      'no hot day ahead',
      { weather: { within_days: 2, max_temp_c: { gte: 25 } } },
      ctx({ weather: { days: [{ max_temp_c: 19, min_temp_c: 9, precipitation_mm: 0, condition: 'clear' }, { max_temp_c: 21, min_temp_c: 9, precipitation_mm: 0, condition: 'clear' }] } }),
      'not on any of the next 2 days (today: weather.max_temp_c is 19, not ≥ 25)',
    ],
  ])('%s', (_name, rule, context, expected) => {
    expect(reason(rule, context)).toEqual({ ok: false, reason: expected });
  });

  it('says which day of the forecast made a weather rule hold', () => {
    const days = [19, 21, 27].map((t) => ({ max_temp_c: t, min_temp_c: 9, precipitation_mm: 0, condition: 'clear' }));
    expect(reason({ weather: { within_days: 3, max_temp_c: { gte: 25 } } }, ctx({ weather: { days } }))).toEqual({
      ok: true,
      reason: 'in 2 days: weather.max_temp_c is 27',
    });
  });

  it('says what held when the rule holds', () => {
    expect(reason({ 'device.type': 'desktop', 'cart.value': { gte: 10 } })).toEqual({
      ok: true,
      reason: 'device.type is "desktop"; cart.value is 49.5',
    });
    expect(reason({ not: { 'device.type': 'mobile' } })).toEqual({ ok: true, reason: 'device.type is "desktop", not "mobile"' });
    expect(reason({ segment: 'buyers' })).toEqual({ ok: true, reason: 'segment "buyers": orders.count is 1' });
    expect(reason({ 'cart.value': { gt: 10, lt: 100 } })).toEqual({ ok: true, reason: 'cart.value is 49.5' });
  });
});

describe('broken rules are reported once, in debug mode only', () => {
  afterEach(() => {
    setDebug(false);
    vi.restoreAllMocks();
  });

  it('warns once per problem however often the rule is evaluated', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    evaluate({ 'cart.value': { newer_op: 1 } } as unknown as Rule, BASE);
    expect(warn).not.toHaveBeenCalled();
    setDebug(true);
    for (let i = 0; i < 3; i++) {
      evaluate({ 'cart.value': { newest_op: 1 } } as unknown as Rule, BASE);
      explain({ 'page.path': { regex: '[' } }, BASE);
      evaluate({ segment: 'ghost' }, BASE, {});
    }
    expect(warn.mock.calls.map((c) => String(c[1]))).toEqual([
      'cart.value: unknown operator "newest_op"',
      'page.path: the pattern "[" is not a valid regular expression',
      'unknown segment "ghost"',
    ]);
  });

  it('a missing field is no problem to report', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    setDebug(true);
    evaluate({ 'geo.country': 'DE' }, ctx({ geo: { country: undefined } }));
    expect(warn).not.toHaveBeenCalled();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Laws, for generated rules and contexts

const text = fc.constantFrom('shirts', 'Shirts', 'shoes', 'DE', 'de', 'mobile', 'desktop', 'sat', 'gold', '/products/a', 'x');
const texts = fc.array(text, { maxLength: 4 });
const num = fc.oneof(fc.integer({ min: -5, max: 100 }), fc.constantFrom(0, 1, 49.5, 50));

/** A full context: every field has a value (orders.days_since_last and geo.country included). */
const contextArb: fc.Arbitrary<RuleContext> = fc.record({
  page: fc.record({ path: text, url: text, query: fc.dictionary(fc.constantFrom('color', 'coupon'), text) }),
  referrer: fc.record({ url: text, host: text }),
  utm: fc.record({ source: text, medium: text, campaign: text, term: text, content: text }),
  device: fc.record({
    type: fc.constantFrom('mobile' as const, 'tablet' as const, 'desktop' as const),
    touch: fc.boolean(),
    viewport_width: num,
    viewport_height: num,
  }),
  visitor: fc.record({ new: fc.boolean(), returning: fc.boolean(), sessions: num }),
  session: fc.record({ page_views: num }),
  viewed: fc.record({ categories: texts, products: texts }),
  cart: fc.record({ items: num, value: num, categories: texts }),
  orders: fc.record({ count: num, total: num, categories: texts, products: texts, days_since_last: num }),
  traits: fc.record({ plan: text, age: num, vip: fc.boolean() }),
  geo: fc.record({ country: text }),
  locale: text,
  language: text,
  time: fc.record({ hour: fc.integer({ min: 0, max: 23 }), weekday: fc.constantFrom('mon' as const, 'sat' as const, 'sun' as const) }),
});

const TEXT_FIELDS = ['page.path', 'page.url', 'page.query.color', 'referrer.host', 'utm.source', 'device.type', 'geo.country', 'locale', 'time.weekday', 'traits.plan'];
const NUMBER_FIELDS = ['device.viewport_width', 'visitor.sessions', 'session.page_views', 'cart.items', 'cart.value', 'orders.count', 'orders.total', 'orders.days_since_last', 'time.hour', 'traits.age'];
const BOOLEAN_FIELDS = ['device.touch', 'visitor.new', 'visitor.returning', 'traits.vip'];
const LIST_FIELDS = ['viewed.categories', 'viewed.products', 'cart.categories', 'orders.categories'];

const one = <T,>(key: fc.Arbitrary<string>, cond: fc.Arbitrary<T>) => fc.tuple(key, cond).map(([k, c]) => ({ [k]: c }) as Rule);
const ops = <T,>(names: string[], arg: fc.Arbitrary<T>) => fc.tuple(fc.constantFrom(...names), arg).map(([o, a]) => ({ [o]: a }));

/**
 * Well-typed conditions: every field they name has a value in contextArb and every comparison is between
 * values of one type, so nothing is unknown and two-valued logic applies. (page.query.color may be absent:
 * it is tested only with `exists`.)
 */
const condition: fc.Arbitrary<Rule> = fc.oneof(
  one(fc.constantFrom(...TEXT_FIELDS.filter((f) => f !== 'page.query.color')), fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 3 }), ops(['eq', 'ne', 'contains', 'not_contains', 'starts_with', 'ends_with'], text), ops(['in', 'not_in'], fc.array(text, { minLength: 1, maxLength: 3 })), ops(['matches'], fc.constantFrom('/products/*', '/**', '*')), ops(['regex'], fc.constantFrom('^s', 'e$', '^/products/')))),
  one(fc.constantFrom(...NUMBER_FIELDS), fc.oneof(num, ops(['eq', 'ne', 'gt', 'gte', 'lt', 'lte'], num), ops(['in', 'not_in'], fc.array(num, { minLength: 1, maxLength: 3 })))),
  one(fc.constantFrom(...BOOLEAN_FIELDS), fc.oneof(fc.boolean(), ops(['eq', 'ne'], fc.boolean()))),
  one(fc.constantFrom(...LIST_FIELDS), fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 3 }), ops(['eq', 'ne', 'contains', 'not_contains', 'starts_with'], text), ops(['in', 'not_in'], fc.array(text, { minLength: 1, maxLength: 3 })))),
  one(fc.constantFrom(...TEXT_FIELDS, ...NUMBER_FIELDS, ...LIST_FIELDS, 'utm.term'), ops(['exists'], fc.boolean())),
  fc.constantFrom<Rule>({ segment: 'buyers' }, { segment: 'loyal-buyers' }, { segment: 'on-mobile' }),
);

/** Rules without unknown parts: no missing fields, no type mismatches, no broken parts. */
const { rule: cleanRule } = fc.letrec<{ rule: Rule }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    condition,
    fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
    tie('rule').map((not) => ({ not })),
    fc.tuple(condition, condition).map(([a, b]) => ({ ...a, ...b })),
  ),
}));

/** Any rule at all, also with missing fields, mismatches, unknown operators and segments, and junk. */
const { rule: anyRule } = fc.letrec<{ rule: Rule }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small' },
    condition,
    one(fc.constantFrom(...Object.keys(RULE_FIELDS), 'traits.nickname', 'utm.nope', 'page'), fc.anything()),
    fc.dictionary(fc.constantFrom('cart.value', 'page.path', 'viewed.categories'), fc.dictionary(fc.string(), fc.anything())) as fc.Arbitrary<Rule>,
    fc.constantFrom<Rule>({ segment: 'loop-a' }, { segment: 'nobody' }, { segment: 'itself' }),
    fc.anything() as fc.Arbitrary<Rule>,
    fc.array(tie('rule'), { maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('rule'), { maxLength: 3 }).map((any) => ({ any })),
    tie('rule').map((not) => ({ not })),
  ),
}));

/** Contexts with holes: some fields removed. */
const holeyContext = fc
  .tuple(contextArb, fc.subarray(['geo', 'utm', 'orders', 'traits', 'page'] as const))
  .map(([c, drop]) => {
    const out = structuredClone(c) as unknown as Record<string, unknown>;
    for (const k of drop) delete out[k];
    return out as unknown as RuleContext;
  });

const ev = (rule: Rule, c: RuleContext) => evaluate(rule, c, SEGMENTS);

describe('laws', () => {
  test.prop([cleanRule, contextArb])('not flips evaluate for rules without missing fields', (r, c) => {
    expect(ev({ not: r }, c)).toBe(!ev(r, c));
  });

  test.prop([anyRule, fc.oneof(contextArb, holeyContext)])('all:[r] and any:[r] are r', (r, c) => {
    expect(ev({ all: [r] }, c)).toBe(ev(r, c));
    expect(ev({ any: [r] }, c)).toBe(ev(r, c));
  });

  test.prop([fc.array(anyRule, { minLength: 1, maxLength: 4 }), fc.oneof(contextArb, holeyContext)])('all is every, any is some', (rs, c) => {
    expect(ev({ all: rs }, c)).toBe(rs.every((r) => ev(r, c)));
    expect(ev({ any: rs }, c)).toBe(rs.some((r) => ev(r, c)));
  });

  test.prop([anyRule, fc.oneof(contextArb, holeyContext)])('explain agrees with evaluate', (r, c) => {
    expect(explain(r, c, SEGMENTS).ok).toBe(ev(r, c));
  });

  test.prop([anyRule, fc.oneof(contextArb, holeyContext)])('a rule and its not never both hold', (r, c) => {
    expect(ev(r, c) && ev({ not: r }, c)).toBe(false);
  });

  test.prop([fc.anything(), fc.anything(), fc.oneof(fc.anything(), fc.constant(SEGMENTS))])(
    'evaluate and explain never throw, whatever the rule, context and segments',
    (rule, context, segments) => {
      const r = explain(rule as Rule, context as RuleContext, segments as Record<string, Rule>);
      expect(typeof r.ok).toBe('boolean');
      expect(typeof r.reason).toBe('string');
      expect(typeof evaluate(rule as Rule, context as RuleContext, segments as Record<string, Rule>)).toBe('boolean');
    },
  );
});
