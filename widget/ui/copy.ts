// Campaign copy with merge tags, pure: `Hi {{traits.first_name | there}}, {{cart.count}} items wait`.
// A tag names a value by its dotted path; after `|` comes the fallback used when the value is missing. Values
// are always text (the UI renders strings, never HTML). A tag with neither a value nor a fallback makes the whole
// copy unusable (null), so the campaign hides rather than saying "Hello ,".
import type { ContextAnswer } from '../../server/context';
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

// Choosing the copy per locale (pickLocale, wantedLocales) lives with the UI runtime (ui/mount.ts), which picks each
// campaign's copy before its module runs; re-exported here for the modules and tests that pick counted copy.
export { pickLocale, wantedLocales } from './mount';

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
    ...contextValues(),
  };
}

/**
 * `weather.*` and `geo.*` from what GET /v1/context answered this visit (server-context.ts keeps it in
 * sessionStorage): `weather.temp_c` and `weather.condition` now, `weather.max_temp_c` and `weather.min_temp_c` today
 * (whole degrees); `geo.city`, `geo.region`, `geo.country`. Nothing when the context was never asked for or is gone.
 */
export function contextValues(stored: string | null = readContext()): MergeValues {
  try {
    const body = (JSON.parse(stored ?? 'null') as { body?: ContextAnswer } | null)?.body;
    if (!body) return {};
    const w = body.weather;
    const today = w?.daily[0];
    const round = (n: number | undefined) => (typeof n === 'number' ? Math.round(n) : undefined);
    return {
      weather: w && {
        temp_c: round(w.current?.temp_c),
        condition: w.current?.condition ?? today?.condition,
        max_temp_c: round(today?.max_temp_c),
        min_temp_c: round(today?.min_temp_c),
      },
      geo: body.location && { city: body.location.city, region: body.location.region, country: body.location.country },
    };
  } catch {
    return {};
  }
}

/**
 * The sessionStorage key server-context.ts (targeting chunk) writes. Spelt out here rather than imported, so the UI
 * chunks do not share a chunk with the targeting code; test/widget/copy.test.ts checks the two agree.
 */
export const CONTEXT_KEY = 'kairos:context';

function readContext(): string | null {
  try {
    return sessionStorage.getItem(CONTEXT_KEY);
  } catch {
    return null; // sandboxed frame, privacy mode
  }
}
