// Merge tags, plural copy and money: what the shopper reads in exit offers and cart reminders.
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEY, contextValues, fill, money, plural, profileValues } from '../../widget/ui/copy';
import { remaining } from '../../widget/campaigns/exit-offer';
import { applyEvent, applyTraits, emptyProfile } from '../../widget/profile';

const values = { first_name: 'Ada', traits: { first_name: 'Ada', vip: true, empty: '  ' }, cart: { count: 2, total: '€12.50' }, zero: 0 };

describe('fill', () => {
  it.each([
    ['Hi {{first_name}}', 'Hi Ada'],
    ['Hi {{ first_name | there }}', 'Hi Ada'],
    ['Hi {{traits.nickname | there}}!', 'Hi there!'],
    ['Hi {{traits.empty | there}}', 'Hi there'], // blank is missing
    ['{{cart.count}} items, {{cart.total}}', '2 items, €12.50'],
    ['VIP: {{traits.vip}}', 'VIP: true'],
    ['{{zero}} left', '0 left'], // 0 is a value
    ['{{a.b.c | x}}', 'x'],
    ['Hello {{traits.nickname |}}.', 'Hello .'], // an explicit empty fallback is allowed
    ['no tags, {single} braces', 'no tags, {single} braces'],
    ['<b>{{first_name}}</b>', '<b>Ada</b>'], // text in, text out: the UI renders it as text
  ])('%s → %s', (template, out) => expect(fill(template, values)).toBe(out));

  it.each(['Hello {{traits.nickname}},', '{{cart.missing}} items', '{{first_name}} {{nope}}'])('%s has no value and no fallback → null (the campaign hides)', (t) =>
    expect(fill(t, values)).toBeNull(),
  );
});

describe('plural', () => {
  const copy = { zero: 'nothing', one: '{{n}} item', two: '{{n}} items (two)', few: '{{n}} items (few)', other: '{{n}} items' };
  it.each([
    ['en', 1, '{{n}} item'],
    ['en', 2, '{{n}} items'],
    ['en', 0, 'nothing'], // an explicit zero serves 0 in languages without a zero category
    ['cy', 2, '{{n}} items (two)'],
    ['cy', 3, '{{n}} items (few)'],
    ['xx-invalid-locale-', 1, '{{n}} items'], // unknown locale: other
  ])('%s, %i → %s', (locale, n, out) => expect(plural(copy, n, locale)).toBe(out));
  it('a plain string is used for every count', () => expect(plural('{{n}} things', 1, 'en')).toBe('{{n}} things'));
  it('a missing category falls back to other', () => expect(plural({ other: 'many' }, 1, 'en')).toBe('many'));
});

describe('money and profile values', () => {
  it('formats in the currency and locale', () => {
    expect(money(59.9, 'EUR', 'en')).toBe('€59.90');
    expect(money(59.9, 'EUR', 'de-DE')).toBe('59,90\u00a0€');
    expect(money(5, 'XXX-not', 'en')).toBe('5.00 XXX-not');
  });
  it('counts the cart and totals it in the cart currency (the shop default when the events name none)', () => {
    let p = applyEvent(emptyProfile(), 'Product Added', { product_id: 'a', price: 10.1, quantity: 2, name: 'A' }, 0);
    p = applyEvent(p, 'Product Added', { product_id: 'b', price: 0.2, quantity: 1 }, 0);
    expect(profileValues(p, 'EUR', 'en')['cart']).toEqual({ count: 3, total: '€20.40', value: 20.4, currency: 'EUR' });
    p = applyEvent(p, 'Product Added', { product_id: 'b', price: 0.2, currency: 'GBP' }, 0);
    expect((profileValues(p, 'EUR', 'en')['cart'] as { total: string }).total).toBe('£20.60');
    expect(profileValues(applyTraits(p, { first_name: 'Ada' }), 'EUR', 'en')['first_name']).toBe('Ada');
  });
  it('an empty cart has no total, so copy needing one hides', () => {
    const v = profileValues(emptyProfile(), 'EUR', 'en');
    expect(fill('{{cart.total}}', v)).toBeNull();
    expect(fill('{{cart.count}}', v)).toBe('0');
  });
});

describe('the exit offer countdown', () => {
  it.each([
    [30 * 60_000, '30:00'],
    [29 * 60_000 + 41_500, '29:42'],
    [999, '0:01'],
    [0, '0:00'],
    [-5000, '0:00'],
    [65 * 60_000, '1:05:00'],
    [26 * 3600_000, '1 day 2:00:00'],
    [50 * 3600_000, '2 days 2:00:00'],
  ])('%i ms → %s', (ms, out) => expect(remaining(ms)).toBe(out));
});

describe('weather and location merge tags (contextValues)', () => {
  const answer = {
    now: 0,
    location: { country: 'GB', region: 'England', city: 'London', source: 'static' },
    weather: {
      provider: 'static',
      fetched_at: 0,
      stale: false,
      current: { temp_c: 27.6, condition: 'clear' },
      daily: [{ date: '2026-07-01', max_temp_c: 31.4, min_temp_c: 17.5, precipitation_mm: 0, condition: 'partly_cloudy' }],
    },
  };
  const stored = JSON.stringify({ at: 0, body: answer });

  it('fills today’s weather in whole degrees and the location', () => {
    const v = contextValues(stored);
    expect(fill('{{weather.max_temp_c}}° today in {{geo.city}} ({{weather.temp_c}}° now, {{weather.condition}})', v)).toBe('31° today in London (28° now, clear)');
    expect(fill('low {{weather.min_temp_c}}, {{geo.country}}', v)).toBe('low 18, GB');
  });

  it('without a context (never asked, gone, unreadable) the tags are missing: fallbacks apply, else the copy hides', () => {
    for (const s of [null, 'not json', '{"at":1}']) {
      expect(fill('{{weather.max_temp_c | warm}} days', contextValues(s))).toBe('warm days');
      expect(fill('{{weather.max_temp_c}}° today', contextValues(s))).toBeNull();
    }
  });

  it('a forecast without current weather still has today; no weather at all leaves only the location', () => {
    const v = contextValues(JSON.stringify({ at: 0, body: { ...answer, weather: { ...answer.weather, current: null } } }));
    expect(fill('{{weather.condition}} {{weather.max_temp_c}}', v)).toBe('partly_cloudy 31');
    expect(fill('{{weather.temp_c | ?}}', v)).toBe('?');
    const noWeather = contextValues(JSON.stringify({ at: 0, body: { ...answer, weather: null } }));
    expect(fill('{{geo.city}} {{weather.max_temp_c | mild}}', noWeather)).toBe('London mild');
  });

  it('reads the key the targeting chunk writes', async () => {
    const { CONTEXT_KEY: written } = await import('../../widget/server-context');
    expect(CONTEXT_KEY).toBe(written);
  });
});
