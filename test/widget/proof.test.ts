// Social-proof copy in the demo's languages: every plural category of every locale the demo config gives
// (en, cy — Welsh has all six —, kk, ky) picks that category's text with the measured number in it; the
// shopper's language is chosen from the page, then the browser, then English.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config';
import type { PublicCampaign } from '../../server/schema';
import { pickLocale } from '../../widget/ui/copy';
import { proofText } from '../../widget/ui/proof';
import { presenceKey, productId } from '../../widget/lazy/presence';

const demo = join(import.meta.dirname, '..', '..', 'demo', 'kairos.yaml');
const result = parseConfig(readFileSync(demo, 'utf8'), demo);
if (!result.ok) throw new Error('demo config is broken');
type Proof = Extract<PublicCampaign, { type: 'viewing_now' | 'recent_purchases' }>;
const proofs = result.public.campaigns.filter((c): c is Proof => c.type === 'viewing_now' || c.type === 'recent_purchases');

/** The smallest number 0…1000 in `category` for `locale`. */
const sample = (locale: string, category: string) => {
  const rules = new Intl.PluralRules(locale);
  for (let n = 0; n <= 1000; n++) if (rules.select(n) === category) return n;
  throw new Error(`no number in ${locale}/${category}`);
};

const cases = proofs.flatMap((c) =>
  Object.keys(c.content).flatMap((locale) =>
    new Intl.PluralRules(locale).resolvedOptions().pluralCategories.map((category) => [c.id, locale, category, sample(locale, category)] as const),
  ),
);

describe('demo social-proof copy', () => {
  it('covers en, cy, kk and ky in both campaigns, and every Welsh category', () => {
    expect(proofs.map((c) => [c.id, Object.keys(c.content)])).toEqual([
      ['viewing-now', ['en', 'cy', 'kk', 'ky']],
      ['bought-today', ['en', 'cy', 'kk', 'ky']],
    ]);
    expect(cases.filter(([id, l]) => id === 'viewing-now' && l === 'cy').map(([, , cat]) => cat).sort()).toEqual(['few', 'many', 'one', 'other', 'two', 'zero']);
  });

  it.each(cases)('%s, %s, %s (e.g. %i): that category’s text, with the number', (id, locale, category, n) => {
    const c = proofs.find((x) => x.id === id)!;
    const copy = c.content[locale]!;
    const want = typeof copy === 'string' ? copy : ((copy as Record<string, string>)[category] ?? copy.other);
    const { text, locale: chosen } = proofText(c, n, [locale]);
    expect(chosen).toBe(locale);
    expect(text).toBe(want.replace('{{count}}', String(n)));
  });

  it('Welsh picks distinct texts for 1, 2, 3, 6 and 4', () => {
    const c = proofs.find((x) => x.id === 'viewing-now')!;
    const texts = [0, 1, 2, 3, 6, 4].map((n) => proofText(c, n, ['cy']).text);
    expect(texts).toEqual([
      'Does neb arall yn edrych ar hwn',
      'Mae 1 person arall yn edrych ar hwn',
      'Mae 2 berson arall yn edrych ar hwn',
      'Mae 3 pherson arall yn edrych ar hwn',
      'Mae 6 pherson arall yn edrych ar hwn',
      'Mae 4 o bobl eraill yn edrych ar hwn',
    ]);
  });
});

describe('pickLocale', () => {
  const copy = { en: 'en', cy: 'cy', 'pt-BR': 'pt-BR' };
  it.each([
    [['cy'], 'cy'],
    [['cy-GB'], 'cy'], // the language part
    [['pt-br'], 'pt-BR'], // case does not matter
    [['', 'de-DE', 'cy'], 'cy'], // no page lang; the browser's second language
    [['fr'], 'en'], // none given: English
  ])('%j → %s', (wanted, want) => expect(pickLocale(copy, wanted)[0]).toBe(want));
  it('without English, the first given', () => expect(pickLocale({ kk: 1, ky: 2 }, ['fr'])).toEqual(['kk', 1]));
});

describe('presence keys', () => {
  it.each([
    ['/products/linen-shirt', '/products/{id}', 'product:linen-shirt'],
    ['/products/linen-shirt/', '/products/{id}', 'product:linen-shirt'],
    ['/products/a%20b', '/products/{id}', 'product:a b'],
    ['/products/', '/products/{id}', 'path:/products/'],
    ['/products/x/reviews', '/products/{id}', 'path:/products/x/reviews'],
    ['/shop/p/42.html', '/shop/p/{id}.html', 'product:42'],
    ['/cart', '/products/{id}', 'path:/cart'],
  ])('%s with %s → %s', (path, pattern, key) => expect(presenceKey(path, pattern)).toBe(key));
  it('no product id off product pages', () => expect(productId('/', '/products/{id}')).toBeUndefined());
});
