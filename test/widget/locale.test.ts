// Copy per locale in the widget: which locale's copy a campaign shows (the page's lang, then the browser's
// languages, then the default), which languages are laid out right to left, and the plural category counted copy
// takes in Welsh (zero, one, two, few, many, other), Kazakh and Kyrgyz (one, other) — down to the demo cart
// reminder's Welsh headline for 1, 2, 3, 6 and 4 items.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config';
import type { PublicCampaign } from '../../server/schema';
import { fill, pickLocale, plural, profileValues } from '../../widget/ui/copy';
import { isRtl, localise } from '../../widget/ui/mount';
import { proofText } from '../../widget/ui/proof';
import { applyEvent, emptyProfile } from '../../widget/profile';

/** The public config of a YAML source that must be valid. */
function compiled(source: string, file = 'kairos.yaml'): PublicCampaign[] {
  const r = parseConfig(source, file);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col} ${e.path}: ${e.message}`).join('\n'));
  return r.public.campaigns;
}

describe('pickLocale: which locale’s copy', () => {
  const copy = { en: 'en', cy: 'cy', kk: 'kk', ky: 'ky', 'pt-BR': 'pt-BR', ar: 'ar' };
  it.each([
    [['cy'], 'cy', 'the page’s lang, exactly'],
    [['CY'], 'cy', 'in any case'],
    [['cy-GB'], 'cy', 'the language part of the page’s lang'],
    [['kk-KZ'], 'kk', 'Kazakh in Kazakhstan'],
    [['ky-KG'], 'ky', 'Kyrgyz in Kyrgyzstan'],
    [['pt-br'], 'pt-BR', 'a region, in any case'],
    [['pt-PT'], 'pt-BR', 'another variety of the same language'],
    [['ar-EG'], 'ar', 'Arabic in Egypt'],
    [['', 'cy-GB', 'en'], 'cy', 'no page lang: the browser’s first language'],
    [['', 'de-DE', 'kk', 'en'], 'kk', 'no page lang: the browser’s first language there is copy for'],
    [['fr', 'ky'], 'ky', 'the page’s language has no copy: the browser’s next'],
    [['en-GB', 'cy'], 'en', 'the page wins over the browser'],
    [['fr'], 'en', 'none given: en'],
    [[], 'en', 'nothing wanted at all: en'],
  ])('%j → %s (%s)', (wanted, want) => expect(pickLocale(copy, wanted)[0]).toBe(want));

  it('without en, the first given (the schema’s default)', () => {
    expect(pickLocale({ cy: 1, kk: 2 }, ['fr'])).toEqual(['cy', 1]);
    expect(pickLocale({ kk: 2, cy: 1 }, [])).toEqual(['kk', 2]);
  });
});

describe('isRtl: languages written right to left', () => {
  it.each(['ar', 'ar-EG', 'he', 'he-IL', 'iw', 'fa', 'fa-IR', 'ur', 'ps', 'sd', 'yi', 'ug', 'ckb', 'dv', 'syr', 'pa-Arab', 'az-Arab', 'ku-Arab', 'ff-Adlm'])(
    '%s is right to left',
    (tag) => expect(isRtl(tag)).toBe(true),
  );
  it.each(['en', 'en-GB', 'cy', 'kk', 'ky', 'ru', 'tr', 'ku', 'az', 'pa', 'ar-Latn', 'sr-Cyrl', 'zh-Hant', 'ja', 'pt-BR'])('%s is left to right', (tag) =>
    expect(isRtl(tag)).toBe(false),
  );
  it('a tag Intl rejects goes by the list', () => {
    expect(isRtl('ar-')).toBe(true);
    expect(isRtl('x')).toBe(false);
  });
});

describe('Welsh, Kazakh and Kyrgyz plural categories', () => {
  const all = { zero: 'zero', one: 'one', two: 'two', few: 'few', many: 'many', other: 'other' };
  it.each([
    [0, 'zero'],
    [1, 'one'],
    [2, 'two'],
    [3, 'few'],
    [6, 'many'],
    [4, 'other'],
    [5, 'other'],
    [7, 'other'],
    [11, 'other'],
    [20, 'other'],
    [100, 'other'],
  ])('cy: %i → %s', (n, category) => {
    expect(new Intl.PluralRules('cy').select(n)).toBe(category);
    expect(plural(all, n, 'cy')).toBe(category);
  });
  it.each(['kk', 'ky'])('%s: 1 → one; 0, 2, 5, 21 → other (an explicit zero still serves 0)', (locale) => {
    const copy = { one: 'one', other: 'other' };
    expect([1, 0, 2, 5, 21].map((n) => plural(copy, n, locale))).toEqual(['one', 'other', 'other', 'other', 'other']);
    expect(plural({ ...copy, zero: 'zero' }, 0, locale)).toBe('zero');
  });
});

describe('localise: a campaign in the shopper’s language', () => {
  const [bar, modal] = compiled(
    [
      'campaigns:',
      '  - id: bar',
      '    type: announcement_bar',
      '    content:',
      '      cy: { text: Sêl yr haf, link: { label: Siopa, url: /sale } }',
      '      en: { text: Summer sale, link: { label: Shop, url: /sale } }',
      '      ar: { text: تخفيضات الصيف }',
      '  - id: one-copy',
      '    type: modal',
      '    content: { headline: Welcome }',
    ].join('\n'),
  );

  it('copy per locale: the module gets that locale’s copy alone, and its language', () => {
    const [c, locale, lang] = localise(bar!, ['cy-GB']);
    expect(c.content).toEqual({ text: 'Sêl yr haf', link: { label: 'Siopa', url: '/sale' }, dismissible: true });
    expect([locale, lang]).toEqual(['cy', 'cy']);
    expect(localise(bar!, ['ar'])[0].content).toEqual({ text: 'تخفيضات الصيف', dismissible: true });
  });

  it('a language with no copy: the default (en, though cy comes first)', () => {
    const [c, locale] = localise(bar!, ['fr', 'de']);
    expect(c.content).toEqual({ text: 'Summer sale', link: { label: 'Shop', url: '/sale' }, dismissible: true });
    expect(locale).toBe('en');
  });

  it('one copy: as it is, formatted in the page’s language (else the browser’s), with no copy language', () => {
    expect(localise(modal!, ['cy', 'en'])).toEqual([modal, 'cy', undefined]);
    expect(localise(modal!, ['', 'kk-KZ'])).toEqual([modal, 'kk-KZ', undefined]);
    expect(localise(modal!, [])[1]).toBe('en');
  });

  it('social proof: the same choice; the card gets a map of the chosen locale alone, and proofText agrees', () => {
    const [proof] = compiled(
      [
        'campaigns:',
        '  - id: sold',
        '    type: recent_purchases',
        '    content:',
        '      en: { one: "{{count}} bought", other: "{{count}} bought" }',
        '      kk: { one: "Бір адам сатып алды", other: "{{count}} адам сатып алды" }',
      ].join('\n'),
    ) as [Extract<PublicCampaign, { type: 'recent_purchases' }>];
    const [c, locale, lang] = localise(proof, ['kk-KZ']);
    expect([locale, lang, Object.keys(c.content)]).toEqual(['kk', 'kk', ['kk']]);
    // Whatever else the card is told to want, the map has one locale: the one chosen.
    expect(proofText(c, 1, ['en'])).toEqual({ text: 'Бір адам сатып алды', locale: 'kk' });
    expect(proofText(c, 5, []).text).toBe('5 адам сатып алды');
    expect(proofText(proof, 5, ['kk-KZ'])).toEqual(proofText(c, 5, ['kk-KZ']));
  });
});

describe('the demo cart reminder in Welsh', () => {
  const demo = join(import.meta.dirname, '..', '..', 'demo', 'kairos.yaml');
  const reminder = compiled(readFileSync(demo, 'utf8'), demo).find((c) => c.id === 'cart-reminder') as Extract<PublicCampaign, { type: 'cart_reminder' }>;
  const headline = (n: number, wanted: string[]) => {
    const [c, locale] = localise(reminder, wanted);
    const cart = applyEvent(emptyProfile(), 'Product Added', { product_id: 'linen-shirt', price: 10, quantity: n }, 0);
    return fill(plural(c.content.headline, n, locale), profileValues(cart, 'EUR', locale));
  };

  it.each([
    [1, 'Gadawoch chi 1 peth yn eich basged'],
    [2, 'Gadawoch chi 2 beth yn eich basged'],
    [3, 'Gadawoch chi 3 pheth yn eich basged'],
    [6, 'Gadawoch chi 6 pheth yn eich basged'],
    [4, 'Gadawoch chi 4 o bethau yn eich basged'],
    [8, 'Gadawoch chi 8 o bethau yn eich basged'],
  ])('%i items: %s', (n, text) => expect(headline(n, ['cy'])).toBe(text));

  it('English pages keep the English copy', () => {
    expect(headline(1, ['en', 'cy'])).toBe('You left 1 item in your cart');
    expect(headline(2, ['en-GB'])).toBe('You left 2 items in your cart');
  });
});
