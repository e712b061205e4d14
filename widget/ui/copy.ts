// Campaign copy with merge tags, pure: `Hi {{traits.first_name | there}}, {{cart.count}} items wait`.
// A tag names a value by its dotted path; after `|` comes the fallback used when the value is missing. Values
// are always text (the UI renders strings, never HTML). A tag with neither a value nor a fallback makes the whole
// copy unusable (null), so the campaign hides rather than saying "Hello ,".
import type { Profile } from '../profile';

export type MergeValues = Record<string, unknown>;

const TAG = /\{\{\s*([\w.-]+)\s*(?:\|\s*([^}]*?)\s*)?\}\}/g;

const lookup = (values: MergeValues, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), values);

/** The copy with every tag filled in, or null when a tag has no value and no fallback. */
export function fill(template: string, values: MergeValues): string | null {
  let missing = false;
  const out = template.replace(TAG, (_, path: string, fallback: string | undefined) => {
    const v = lookup(values, path);
    if (typeof v === 'string' ? v.trim() : typeof v === 'number' ? Number.isFinite(v) : typeof v === 'boolean') return String(v);
    if (fallback !== undefined) return fallback;
    missing = true;
    return '';
  });
  return missing ? null : out;
}

/** Counted copy: one string, or one per plural category of `locale` (Intl.PluralRules), falling back to `other`. */
export function plural(copy: string | Partial<Record<Intl.LDMLPluralRule, string>> & { other: string }, count: number, locale: string): string {
  if (typeof copy === 'string') return copy;
  let rule: Intl.LDMLPluralRule = 'other';
  try {
    rule = new Intl.PluralRules(locale).select(count);
  } catch {
    /* an unknown locale: `other` */
  }
  // CLDR's "zero" is a category only in a few languages; an explicit `zero` copy also serves 0 in the rest.
  return (count === 0 ? copy.zero : undefined) ?? copy[rule] ?? copy.other;
}

/** Money in the shop's currency, e.g. €59.90 or 59,90 €, by the page's locale. */
export function money(amount: number, currency: string, locale: string): string {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/**
 * The copy for the shopper's language from copy per locale: the page's `lang` exactly, then its language part,
 * then the browser's languages the same way, then `en`, then the first given.
 */
export function pickLocale<T>(byLocale: Record<string, T>, wanted: readonly string[]): [locale: string, copy: T] {
  const keys = Object.keys(byLocale);
  const lower = keys.map((k) => k.toLowerCase());
  for (const w of wanted) {
    if (!w) continue;
    const tag = w.toLowerCase();
    const i = lower.indexOf(tag) >= 0 ? lower.indexOf(tag) : lower.indexOf(tag.split('-')[0]!);
    if (i >= 0) return [keys[i]!, byLocale[keys[i]!]!];
  }
  const k = 'en' in byLocale ? 'en' : keys[0]!;
  return [k, byLocale[k]!];
}

/** The languages to try, best first: the page's `lang`, then the browser's. */
export const wantedLocales = (doc: Document = document): string[] => [doc.documentElement.lang, ...(navigator.languages ?? [navigator.language])];

/** The page's language: <html lang>, else the browser's. */
export const pageLocale = (doc: Document = document): string => doc.documentElement.lang || navigator.language || 'en';

/** What merge tags can name, from the profile: `traits.*`, `first_name` (a trait), `cart.count`, `cart.total`. */
export function profileValues(p: Profile, currency: string, locale: string): MergeValues {
  const lines = Object.values(p.cart);
  const count = lines.reduce((n, l) => n + l.quantity, 0);
  const total = Math.round(lines.reduce((n, l) => n + l.quantity * l.price, 0) * 100) / 100;
  const cur = p.currency ?? currency;
  return {
    traits: p.traits,
    first_name: p.traits['first_name'] ?? p.traits['firstName'],
    cart: { count, total: count ? money(total, cur, locale) : undefined, value: total, currency: cur },
  };
}
