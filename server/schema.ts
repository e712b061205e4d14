// The single source of truth for what a marketer may write in kairos.yaml and what a browser may send.
// Types come from z.infer; /schema.json comes from z.toJSONSchema. The widget imports *types* from here
// (`import type`), never zod itself.
import { z } from 'zod';
import { countdownInput, holidayPresets, nextDeadline, WEEKDAYS } from './countdown';
import { CONDITIONS } from './context/weather/types';
import { InvalidDateTime } from './time';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use 1–64 lowercase letters, digits, "-" or "_", starting with a letter or digit');

/** An IANA time-zone name that this runtime knows, e.g. Europe/Berlin. */
const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)' },
);

/** Local wall-clock time in the schedule's time zone, or an instant with an explicit offset. */
const dateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?$/,
    'use an ISO date or date-time, e.g. 2026-07-01 or 2026-07-01T09:00',
  );

export const Schedule = z
  .object({
    start: dateTime.optional().describe('When the campaign starts, local to `timezone` unless an offset is given.'),
    end: dateTime.optional().describe('When the campaign ends, local to `timezone` unless an offset is given.'),
    timezone: timeZone.default('UTC').describe('IANA time zone the start and end are written in.'),
  })
  .strict();

/** Path globs: `*` matches within one path segment, `**` across segments. */
const pathGlob = z.string().regex(/^\//, 'a page pattern starts with "/" (e.g. /products/**)');

export const Pages = z
  .object({
    include: z.array(pathGlob).default(['/**']).describe('Show only on paths matching one of these globs.'),
    exclude: z.array(pathGlob).default([]).describe('Never show on paths matching one of these globs.'),
  })
  .strict();

/** A link is a site-relative path or an http(s) URL: never javascript: or data:. */
const safeUrl = z
  .string()
  .refine((u) => /^\/(?!\/)/.test(u) || /^https?:\/\//i.test(u), {
    message: 'a link is a path starting with "/" or an http(s):// URL',
  });

const cssColor = z
  .string()
  .regex(/^(#[0-9a-fA-F]{3,8}|[a-zA-Z]+|(rgb|hsl)a?\([\d\s.,%/]+\))$/, 'a CSS colour such as #1a1a2e or white');

// ---------------------------------------------------------------------------------------------------------
// Targeting rules: who and where. A rule is an object; every key in it must hold (AND). `all`, `any` and `not`
// combine rules, `segment` names one defined under `segments:`, and every other key is a context field with a
// condition: a value (equals), a list (one of), or operators. Evaluated in the browser by widget/rules.ts,
// failing closed: a field the page does not know, or a pattern that does not compile, never matches.

const scalar = z.union([z.string().max(500), z.number().finite(), z.boolean()]);

const regexSource = z.string().refine(
  (src) => {
    try {
      new RegExp(src);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

export const Operators = z
  .object({
    eq: scalar.describe('equal to'),
    ne: scalar.describe('not equal to'),
    in: z.array(scalar).min(1).describe('one of'),
    not_in: z.array(scalar).min(1).describe('none of'),
    gt: z.number().describe('greater than'),
    gte: z.number().describe('at least'),
    lt: z.number().describe('less than'),
    lte: z.number().describe('at most'),
    contains: scalar.describe('text contains, or list includes'),
    not_contains: scalar.describe('text does not contain, or list does not include'),
    starts_with: z.string(),
    ends_with: z.string(),
    matches: z.string().describe('a path glob: * within a segment, ** across segments'),
    regex: regexSource.describe('a regular expression (JavaScript syntax)'),
    exists: z.boolean().describe('true: the field has a value; false: it has none'),
  })
  .partial()
  .strict()
  // Only when nothing else is wrong: `{ gtee: 50 }` is an unknown operator, not a missing one.
  .refine((o) => Object.keys(o).length > 0, { message: 'give at least one operator, e.g. { gte: 2 }', when: (p) => p.issues.length === 0 });

/** A condition on one field: a value (equals), a list (one of), or an object of operators (all must hold). */
export const Condition = z.union([scalar, z.array(scalar).min(1), Operators]);

/** Context fields a rule may test, with what each holds. `traits.<name>` fields come from identify. */
export const RULE_FIELDS = {
  'page.path': 'the path, e.g. /products/linen-shirt',
  'page.url': 'the full URL without the fragment',
  'page.query.<name>': 'a query parameter of the current URL',
  'referrer.url': 'the referring URL (empty when typed in or bookmarked)',
  'referrer.host': 'the referring host, e.g. www.google.com',
  'utm.source': 'utm_source of this visit (kept for the whole session)',
  'utm.medium': 'utm_medium of this visit',
  'utm.campaign': 'utm_campaign of this visit',
  'utm.term': 'utm_term of this visit',
  'utm.content': 'utm_content of this visit',
  'device.type': 'mobile, tablet or desktop',
  'device.touch': 'true when the primary pointer is coarse (touch)',
  'device.viewport_width': 'CSS pixels',
  'device.viewport_height': 'CSS pixels',
  'visitor.new': 'true during the first session of a visitor',
  'visitor.returning': 'true from the second session on',
  'visitor.sessions': 'number of sessions, this one included',
  'session.page_views': 'page views in this session, this one included',
  'viewed.categories': 'product categories viewed by this visitor (list)',
  'viewed.products': 'product ids viewed by this visitor (list)',
  'cart.items': 'number of items in the cart (quantities summed)',
  'cart.value': 'cart total, in the cart currency',
  'cart.categories': 'categories in the cart (list)',
  'orders.count': 'orders this visitor completed',
  'orders.total': 'sum of their order totals',
  'orders.categories': 'categories bought (list)',
  'orders.products': 'product ids bought (list, the last 50)',
  'orders.days_since_last': 'days since the last order (absent without one)',
  'traits.<name>': 'a trait given with kairos("identify", id, traits)',
  'geo.country': 'ISO 3166 country code, e.g. DE (from GET /v1/context: CDN headers, a GeoIP file or the shop’s)',
  'geo.region': 'region or state name, when known',
  'geo.city': 'city name, when known',
  'weather.temp_c': 'the temperature now, °C (from the configured weather provider)',
  'weather.condition': `the weather now: ${CONDITIONS.join(', ')}`,
  'locale': 'the browser language, e.g. de-DE',
  'language': 'the language part of it, e.g. de',
  'time.hour': 'local hour 0–23 on the shopper device',
  'time.weekday': 'local day: mon, tue, wed, thu, fri, sat, sun',
} as const;

const EXACT_FIELDS = Object.keys(RULE_FIELDS).filter((f) => !f.includes('<'));
const PREFIX_FIELDS = Object.keys(RULE_FIELDS)
  .filter((f) => f.includes('<'))
  .map((f) => f.slice(0, f.indexOf('<')));

export function isRuleField(key: string): boolean {
  return EXACT_FIELDS.includes(key) || PREFIX_FIELDS.some((p) => key.startsWith(p) && key.length > p.length);
}

/** What a `weather:` rule may test about one day of the forecast. */
export const WEATHER_DAY_FIELDS = {
  max_temp_c: 'the day’s highest temperature, °C',
  min_temp_c: 'the day’s lowest temperature, °C',
  precipitation_mm: 'rain or snow that day, mm',
  precipitation: 'true when at least 1 mm of rain or snow falls that day',
  snow: 'true when the day’s weather is snow or sleet',
  condition: `the day’s weather: ${CONDITIONS.join(', ')}`,
} as const;

/**
 * `weather: { within_days: 3, max_temp_c: { gte: 25 } }`: on at least one of the next `within_days` days of the
 * forecast (today is day 1), every listed condition holds. No forecast: unknown, so the rule fails closed.
 */
export const WeatherRule = z
  .object({
    within_days: z.number().int().min(1).max(7).default(1).describe('today and the days after it; 1 is today only'),
    ...Object.fromEntries(Object.entries(WEATHER_DAY_FIELDS).map(([f, d]) => [f, Condition.optional().describe(d)])),
  })
  .strict()
  .refine((w) => Object.keys(w).some((k) => k !== 'within_days'), {
    message: `give at least one of ${Object.keys(WEATHER_DAY_FIELDS).join(', ')}`,
  });
export type WeatherRule = { within_days?: number } & { [K in keyof typeof WEATHER_DAY_FIELDS]?: ConditionValue };

export type ConditionValue = z.infer<typeof Condition>;
export interface Rule {
  all?: Rule[];
  any?: Rule[];
  not?: Rule;
  segment?: string;
  weather?: WeatherRule;
  [field: string]: ConditionValue | Rule | Rule[] | string | undefined;
}

const fieldProperties = Object.fromEntries(
  EXACT_FIELDS.map((f) => [f, Condition.optional().describe(RULE_FIELDS[f as keyof typeof RULE_FIELDS])]),
);

export const Rule: z.ZodType<Rule> = z
  .object({
    get all() {
      return z.array(Rule).min(1).optional().describe('every rule in the list holds');
    },
    get any() {
      return z.array(Rule).min(1).optional().describe('at least one rule in the list holds');
    },
    get not() {
      return Rule.optional().describe('the rule does not hold');
    },
    segment: z.string().optional().describe('a segment defined under segments:'),
    weather: WeatherRule.optional().describe('the forecast where the shopper is: e.g. { within_days: 3, max_temp_c: { gte: 25 } }'),
    ...fieldProperties,
  })
  .catchall(Condition)
  .superRefine((rule, ctx) => {
    const keys = Object.keys(rule);
    if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'an empty rule; give a field, all, any, not or segment' });
    for (const key of keys)
      if (!['all', 'any', 'not', 'segment', 'weather'].includes(key) && !isRuleField(key))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `unknown field "${key}"; see the fields in the README's targeting reference`,
          params: { unknownField: key }, // server/config.ts points at the key and suggests a field
        });
  }) as unknown as z.ZodType<Rule>;

// ---------------------------------------------------------------------------------------------------------
// Triggers: when an eligible campaign shows.

const seconds = (max: number) => z.number().min(0).max(max);

export const Trigger = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('page_load'), delay_seconds: seconds(600).default(0) }).strict(),
    z.object({ type: z.literal('time_on_page'), seconds: seconds(3600) }).strict(),
    z.object({ type: z.literal('scroll_depth'), percent: z.number().min(1).max(100) }).strict(),
    z.object({ type: z.literal('inactivity'), seconds: z.number().min(1).max(3600) }).strict(),
    z.object({ type: z.literal('click'), selector: z.string().min(1).max(300).describe('CSS selector; a click on it or inside it fires') }).strict(),
    z.object({ type: z.literal('page_views'), count: z.number().int().min(1).max(1000).describe('fires on the Nth page view of a session, and after') }).strict(),
    z.object({ type: z.literal('event'), name: z.string().min(1).max(200).describe('a tracked event, e.g. Product Added') }).strict(),
    z.object({ type: z.literal('cart').describe('the cart holds items at the start of a new session') }).strict(),
    z
      .object({
        type: z.literal('viewers'),
        min_count: z.number().int().min(1).max(10_000).default(3).describe('fires when at least this many *other* people view this product or page now'),
        interval_seconds: z.number().int().min(5).max(300).optional().describe('heartbeat interval; default presence.interval_seconds'),
        product_path: z.string().regex(/^\/.*\{id\}/, 'a path with {id}, e.g. /products/{id}').optional().describe('default presence.product_path'),
      })
      .strict(),
    z
      .object({
        type: z.literal('exit_intent'),
        min_dwell_seconds: seconds(600).default(3).describe('never in the first seconds on a page'),
        sensitivity_px: z.number().int().min(0).max(100).default(12).describe('how close to the top edge counts as leaving'),
        mobile: z
          .object({
            scroll_up: z.boolean().default(true).describe('a fast scroll up after reading a while'),
            tab_return: z.boolean().default(true).describe('the tab was hidden (switched away) and is back'),
            inactivity_seconds: z.union([z.number().min(5).max(3600), z.literal(false)]).default(30).describe('idle this long; false: off'),
          })
          .strict()
          .default({ scroll_up: true, tab_return: true, inactivity_seconds: 30 }),
      })
      .strict(),
  ])
  .describe('When the campaign shows; default: as soon as the page loads.');

export const Frequency = z
  .object({
    per_session: z.number().int().min(1).optional().describe('at most this many impressions a session'),
    every_days: z.number().positive().optional().describe('at most one impression every this many days'),
    max_impressions: z.number().int().min(1).optional().describe('at most this many impressions ever'),
  })
  .strict();

const campaignBase = {
  id: id.describe('Stable id used in reports, events and ?kairos_preview=<id>.'),
  enabled: z.boolean().default(true).describe('The switch: false hides the campaign without deleting it.'),
  priority: z.number().int().min(0).max(1000).default(0).describe('Higher wins when several campaigns could show.'),
  schedule: Schedule.optional(),
  pages: Pages.default({ include: ['/**'], exclude: [] }),
  audience: Rule.optional().describe('Who sees it: a targeting rule; default everyone.'),
  trigger: Trigger.default({ type: 'page_load', delay_seconds: 0 }),
  frequency: z
    .union([z.enum(['always', 'once', 'once_per_session']), Frequency])
    .default('always')
    .describe('How often one shopper sees it: always, once, once_per_session, or limits.'),
  recontact_days: z.number().min(0).max(3650).default(7).describe('After a dismissal: not again that session, then wait this many days.'),
  stop_after_conversion: z.boolean().default(true).describe('Never again for a shopper who ordered after clicking it.'),
  topics: z
    .array(id)
    .max(10)
    .optional()
    .describe('Topics from preferences.topics this campaign is about: a shopper who turned a topic off never sees it.'),
};

// Bars: one strip at the top or bottom edge (one per edge; see widget/eligibility.ts). They overlay the page, so
// nothing moves, unless `push: true`, which keeps the page's content clear of them.

const barPosition = (d: 'top' | 'bottom') =>
  z.enum(['top', 'bottom']).default(d).describe('The edge; one bar per edge at a time (the higher priority wins).');
const barPush = z
  .boolean()
  .default(false)
  .describe('Keep the page clear of the bar (padding on <body>) instead of overlaying it; reserve the space in the page’s own CSS to avoid a layout shift.');
const barTheme = z
  .object({ background: cssColor.default('#1f2a44'), color: cssColor.default('#ffffff') })
  .strict()
  .default({ background: '#1f2a44', color: '#ffffff' });
const barLink = z.object({ label: z.string().min(1).max(60), url: safeUrl }).strict();

// ---------------------------------------------------------------------------------------------------------
// Copy per locale. A campaign's `content` is one copy (its own fields: `{ text: …, link: … }`) or one copy per
// locale (`{ en: { text: … }, cy: { text: … } }`). Which of the two is decided from the value's shape before any
// field is checked (isCopyPerLocale), and only that shape is checked, so a mistake is reported at its own field
// (`campaigns[0].content.cy.text: must not be empty`), never as "matches none of the options".

const LOCALE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
/** A locale tag as in <html lang>: `en`, `cy`, `pt-BR`. */
const localeTag = z.string().regex(LOCALE_TAG, 'a language tag such as en, cy or pt-BR');

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The rule: `content` is copy per locale when none of its keys is one of the type's own content fields (so a
 * 3-letter field such as `cta` is a field, never the language Chatino) and at least one of its keys is a locale tag
 * (`en`, `cy`, `pt-BR`) holding a mapping. Anything else is one copy. Then every key must be a locale tag and every
 * value a copy. So `{ txt: Sale }` is one copy with `text` misspelt, `{ headlin: { one: … } }` one copy with
 * `headline` misspelt, while `{ en: { text: Hi }, cy: Helo }` is copy per locale whose `cy` is not a mapping, and in
 * `{ en: { text: Hi }, Welsh: { text: Helo } }` "Welsh" is not a locale tag.
 */
export function isCopyPerLocale(value: unknown, fields: readonly string[]): boolean {
  if (!isMapping(value)) return false;
  const entries = Object.entries(value);
  return entries.every(([k]) => !fields.includes(k)) && entries.some(([k, v]) => LOCALE_TAG.test(k) && isMapping(v));
}

/** The copy a map of copies per locale falls back to: `en` when it has one, else the first. */
export const defaultLocale = (byLocale: Record<string, unknown>): string => ('en' in byLocale ? 'en' : Object.keys(byLocale)[0]!);

/** What `localised(one)` gives: the default copy, and with copy per locale every copy in `locales`. */
export type Localised<T> = T & { locales?: Record<string, T> };

/**
 * `content` as one copy (`one`) or one copy per locale. Copy per locale comes out as the default copy (for code
 * that reads one, such as the consent wording) with every locale's copy, defaults filled, in `locales`; one copy
 * comes out as it always did. The widget picks a locale's copy in ui/mount.ts.
 */
function localised<S extends z.ZodObject>(one: S) {
  type Copy = z.output<S>;
  const byLocale = z.record(localeTag, one);
  const fields = Object.keys(one.shape);
  // This dispatcher decides: it checks the value as one copy or as copy per locale, never both. `one` is in the
  // union below for the editor's JSON Schema and for config.ts, which finds the type's fields there ("did you mean
  // text?"). The dispatcher's issues are marked to continue, so that where `one` fails as well the union reports
  // the dispatcher's alone, or (config.ts takes the first option's) puts them first.
  const dispatch = z
    .unknown()
    .transform((value, ctx) => {
      const perLocale = isCopyPerLocale(value, fields);
      const r = (perLocale ? byLocale : one).safeParse(value);
      if (!r.success) {
        for (const issue of r.error.issues) ctx.issues.push({ ...issue, continue: true } as unknown as (typeof ctx.issues)[number]);
        return z.NEVER;
      }
      if (!perLocale) return r.data as Copy;
      const locales = r.data as Record<string, Copy>;
      return { ...locales[defaultLocale(locales)]!, locales };
    })
    .meta(jsonSchemaOf(byLocale));
  return z
    .union([dispatch, one])
    .describe(
      'One copy, or copy per locale: { en: {…}, cy: {…} } keyed by language tags (chosen from the page’s lang, then the browser’s languages; the default is en when given, else the first).',
    ) as unknown as z.ZodType<Localised<Copy>, z.input<S> | Record<string, z.input<S>>>;
}

/** The JSON Schema (draft-07, as /schema.json) of `schema`, to describe a dispatcher the generator cannot see into. */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', target: 'draft-07' }) as Record<string, unknown>;
  return json;
}

export const AnnouncementBar = z
  .object({
    ...campaignBase,
    type: z.literal('announcement_bar'),
    position: barPosition('bottom'),
    push: barPush,
    content: localised(z
      .object({
        text: z.string().min(1).max(280).describe('Shown as plain text, never as HTML.'),
        link: z
          .object({ label: z.string().min(1).max(60), url: safeUrl })
          .strict()
          .optional(),
        dismissible: z.boolean().default(true),
      })
      .strict()),
    theme: barTheme,
  })
  .strict();

export const Modal = z
  .object({
    ...campaignBase,
    type: z.literal('modal'),
    content: localised(z
      .object({
        headline: z.string().min(1).max(120),
        text: z.string().max(600).optional().describe('Shown as plain text, never as HTML.'),
        button: z
          .object({ label: z.string().min(1).max(60), url: safeUrl })
          .strict()
          .optional()
          .describe('The call to action; following it counts as a click.'),
        close_label: z.string().min(1).max(60).default('No thanks'),
      })
      .strict()),
    theme: z
      .object({ accent: cssColor.default('#0f5c57'), accent_text: cssColor.default('#ffffff') })
      .strict()
      .default({ accent: '#0f5c57', accent_text: '#ffffff' }),
  })
  .strict();

/** Copy that may hold merge tags: `{{cart.count}}`, `{{traits.first_name | there}}` (inserted as text, never HTML). */
const copy = (max: number) => z.string().min(1).max(max);

/** Counted copy: one string, or one per plural category (Intl.PluralRules: zero, one, two, few, many, other). */
const pluralCopy = (max: number) =>
  z.union([
    copy(max),
    z
      .object({ zero: copy(max), one: copy(max), two: copy(max), few: copy(max), many: copy(max), other: copy(max) })
      .partial({ zero: true, one: true, two: true, few: true, many: true })
      .strict(),
  ]);

const accentTheme = z
  .object({ accent: cssColor.default('#0f5c57'), accent_text: cssColor.default('#ffffff') })
  .strict()
  .default({ accent: '#0f5c57', accent_text: '#ffffff' });

/** A coupon: one code for everyone, or one unique code per visitor from a file of codes (one per line). */
export const Coupon = z.union([
  z.object({ code: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a code of letters, digits, "-" or "_"') }).strict(),
  z
    .object({
      pool: z.string().min(1).describe('A text file of unique codes, one per line, relative to kairos.yaml; each is handed out once.'),
    })
    .strict(),
]);

export const ExitOffer = z
  .object({
    ...campaignBase,
    type: z.literal('exit_offer'),
    trigger: Trigger.default({
      type: 'exit_intent',
      min_dwell_seconds: 3,
      sensitivity_px: 12,
      mobile: { scroll_up: true, tab_return: true, inactivity_seconds: 30 },
    }),
    content: localised(z
      .object({
        headline: copy(120),
        text: copy(600).optional().describe('Plain text with merge tags, e.g. {{traits.first_name | there}}.'),
        button: z.string().min(1).max(60).default('Apply my discount').describe('Label of the call to action that applies the code.'),
        copy_label: z.string().min(1).max(40).default('Copy code'),
        copied_label: z.string().min(1).max(60).default('Code copied'),
        deadline_label: z.string().min(1).max(60).default('Offer ends in'),
        close_label: z.string().min(1).max(60).default('No thanks'),
      })
      .strict()),
    coupon: Coupon,
    apply_url: z
      .string()
      .refine((u) => u.includes('{code}'), { message: 'put {code} where the code goes, e.g. /discount/{code}?redirect=/cart' })
      .pipe(safeUrl)
      .default('/discount/{code}?redirect=/cart')
      .describe('Where the call to action goes; {code} is replaced by the (URL-encoded) code.'),
    valid_minutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30)
      .default(30)
      .describe('The deadline: this long after the offer is first shown to a visitor, fixed by the server.'),
    theme: accentTheme,
  })
  .strict();

export const CartReminder = z
  .object({
    ...campaignBase,
    type: z.literal('cart_reminder'),
    trigger: Trigger.default({ type: 'cart' }),
    position: z.enum(['bottom-right', 'bottom-left']).default('bottom-right').describe('A slide-in in this corner (full width on phones).'),
    content: localised(z
      .object({
        headline: pluralCopy(120).default({ one: 'You left {{cart.count}} item in your cart', other: 'You left {{cart.count}} items in your cart' }),
        text: copy(300).optional(),
        button: z
          .object({ label: z.string().min(1).max(60), url: safeUrl })
          .strict()
          .default({ label: 'Back to my cart', url: '/cart' }),
        close_label: z.string().min(1).max(60).default('Close'),
      })
      .strict())
      .default({
        headline: { one: 'You left {{cart.count}} item in your cart', other: 'You left {{cart.count}} items in your cart' },
        button: { label: 'Back to my cart', url: '/cart' },
        close_label: 'Close',
      }),
    theme: accentTheme,
  })
  .strict();

/** Counted copy per locale: `{ en: { one: …, other: … }, cy: { zero: …, … } }`; `{{count}}` is the number. */
const localisedCounts = (fallback: Record<string, { one?: string; other: string }>) =>
  z
    .record(localeTag, pluralCopy(160))
    .refine((m) => Object.keys(m).length > 0, 'give the copy for at least one language, e.g. en')
    .default(fallback)
    .describe('Copy per language (chosen from the page language, then the browser’s, then en); one text or one per plural category.');

const proofPosition = z
  .enum(['bottom-left', 'bottom-right', 'top-left', 'top-right'])
  .default('bottom-left')
  .describe('A small card in this corner (clear of bars); it overlays the page, so nothing moves.');

const minCount = z
  .number()
  .int()
  .min(1)
  .max(10_000)
  .default(3)
  .describe('Shown only when the measured number is at least this; there is no way to configure the number itself.');

/** "3 other people are looking at this": a measured count of other visitors on this product or page now. */
export const ViewingNow = z
  .object({
    ...campaignBase,
    type: z.literal('viewing_now'),
    min_count: minCount,
    position: proofPosition,
    content: localisedCounts({
      en: { one: '{{count}} other person is looking at this', other: '{{count}} other people are looking at this' },
    }),
  })
  .strict();

/** "12 bought in the last 24 hours": orders of this product stored in the last 24 hours. */
export const RecentPurchases = z
  .object({
    ...campaignBase,
    type: z.literal('recent_purchases'),
    min_count: minCount,
    product_path: z
      .string()
      .regex(/^\/.*\{id\}/, 'a path with {id}, e.g. /products/{id}')
      .optional()
      .describe('Where the product id is in the URL; default presence.product_path. Shown on product pages only.'),
    position: proofPosition,
    content: localisedCounts({ en: { one: '{{count}} bought in the last 24 hours', other: '{{count}} bought in the last 24 hours' } }),
  })
  .strict();

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(d + 'T00:00:00Z')) && new Date(d + 'T00:00:00Z').toISOString().startsWith(d), 'not a real date');

/** What a countdown counts down to; resolved to an instant on the server (server/countdown.ts). */
export const CountdownSpec = z
  .union([
    z
      .object({
        deadline: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$/, 'a date-time such as 2026-12-24T18:00')
          .describe('Wall-clock time in `timezone`, or with an offset (which wins).'),
        timezone: timeZone.optional(),
      })
      .strict(),
    z
      .object({
        holiday: z.enum(Object.keys(holidayPresets) as [keyof typeof holidayPresets]).describe(
          Object.entries(holidayPresets)
            .map(([k, v]) => `${k}: ${v.replace('T', ' ')}`)
            .join(', '),
        ),
        year: z.number().int().min(2000).max(2100),
        timezone: timeZone.optional(),
      })
      .strict(),
    z
      .object({
        every: z
          .object({
            time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time HH:MM such as 14:00'),
            days: z
              .array(z.enum(WEEKDAYS))
              .min(1)
              .refine((d) => new Set(d).size === d.length, 'a day is listed twice')
              .optional()
              .describe('default every day'),
            timezone: timeZone.optional(),
            except: z.array(isoDay).optional().describe('local dates with no cut-off (holidays)'),
          })
          .strict(),
      })
      .strict(),
  ])
  .describe('A fixed deadline, a holiday preset, or a recurring cut-off such as same-day dispatch.');
export type CountdownSpec = z.infer<typeof CountdownSpec>;

/** "Order within 2 h 13 min for same-day dispatch": counts down to an instant the server resolves. */
export const CountdownBar = z
  .object({
    ...campaignBase,
    type: z.literal('countdown_bar'),
    position: barPosition('top'),
    push: barPush,
    countdown: CountdownSpec,
    show_within_minutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 366)
      .optional()
      .describe('Show only when the deadline is at most this far away (e.g. 240 for the last four hours).'),
    content: localised(z
      .object({
        text: copy(200)
          .refine((t) => t.includes('{{countdown}}'), 'put {{countdown}} where the time left goes')
          .describe('Plain text; {{countdown}} is the time left, e.g. "2 h 13 min".'),
        link: barLink.optional(),
        dismissible: z.boolean().default(true),
      })
      .strict()),
    theme: barTheme,
  })
  .strict()
  .superRefine((c, ctx) => {
    // An impossible date (2026-02-30, 24:00). Unknown zones and days are reported by the fields themselves, and so
    // is a malformed countdown (zod runs this refinement on it too): then saying it again here is noise.
    if (!CountdownSpec.safeParse(c.countdown).success) return;
    try {
      nextDeadline(countdownInput(c.countdown), Date.now());
    } catch (e) {
      if (e instanceof InvalidDateTime) ctx.addIssue({ code: 'custom', path: ['countdown'], message: e.message });
    }
  });

/** "€12.50 away from free shipping" → "You've unlocked free shipping", live from the cart. */
export const FreeShippingBar = z
  .object({
    ...campaignBase,
    type: z.literal('free_shipping_bar'),
    position: barPosition('top'),
    push: barPush,
    threshold: z.number().positive().max(1_000_000).describe('The order value that ships free, in the cart currency.'),
    content: localised(z
      .object({
        empty: copy(160).default('Free shipping on orders over {{threshold}}').describe('The cart is empty.'),
        progress: copy(160).default('{{remaining}} away from free shipping').describe('{{remaining}}, {{threshold}} and {{cart.total}} are money.'),
        unlocked: copy(160).default('You’ve unlocked free shipping'),
        dismissible: z.boolean().default(true),
      })
      .strict())
      .default({
        empty: 'Free shipping on orders over {{threshold}}',
        progress: '{{remaining}} away from free shipping',
        unlocked: 'You’ve unlocked free shipping',
        dismissible: true,
      }),
    theme: barTheme,
  })
  .strict();

/** An email sign-up bar: validation, the shop's consent wording, a success state; fires lead.captured. */
export const NewsletterBar = z
  .object({
    ...campaignBase,
    type: z.literal('newsletter_bar'),
    position: barPosition('bottom'),
    push: barPush,
    content: localised(z
      .object({
        text: copy(200).describe('Plain text with merge tags.'),
        placeholder: z.string().min(1).max(60).default('Your email'),
        button: z.string().min(1).max(40).default('Subscribe'),
        consent: z
          .string()
          .min(1)
          .max(500)
          .optional()
          .describe('The shop’s consent wording, shown beside a checkbox that must be ticked; stored with the lead.'),
        invalid_email: z.string().min(1).max(120).default('Please enter a valid email address, like name@example.com.'),
        consent_missing: z.string().min(1).max(120).default('Please tick the box to agree.'),
        failed: z.string().min(1).max(120).default('Sorry, that did not work. Please try again.'),
        success: z.string().min(1).max(200).default('Thanks — you’re on the list.'),
        close_label: z.string().min(1).max(60).default('Close'),
      })
      .strict()),
    theme: barTheme,
    accent: accentTheme,
  })
  .strict();

// ---------------------------------------------------------------------------------------------------------
// Experiments and auto-pause, shared by every campaign type.

export const AutoPause = z
  .object({
    min_impressions: z.number().int().min(1).max(1_000_000).default(200).describe('Judge a campaign only once it has been shown this often (since it was last resumed).'),
    max_dismiss_rate: z.number().min(0).max(1).optional().describe('Pause when more than this share of impressions is dismissed, e.g. 0.6.'),
    max_irritation_rate: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('Pause when irritation signals (closed within 2 s, site left within 10 s, fewer offers chosen) exceed this share of impressions, e.g. 0.2.'),
  })
  .strict()
  .refine((a) => a.max_dismiss_rate !== undefined || a.max_irritation_rate !== undefined, 'give max_dismiss_rate, max_irritation_rate or both');
export type AutoPause = z.infer<typeof AutoPause>;

/** What a variant may change: the copy, the look, where it sits, and an exit offer's offer. Targeting, triggers and caps stay the campaign's. */
export const VARIANT_FIELDS = ['content', 'theme', 'accent', 'position', 'push', 'coupon', 'apply_url', 'valid_minutes'] as const;

/**
 * A campaign type with its experiment fields: `variants` (each changes some of VARIANT_FIELDS, with a weight), a
 * `holdout_percent` of shoppers who are shown nothing (the control), and `auto_pause`. A variant's field replaces the
 * campaign's whole field (a variant's `content` is a complete copy), so no defaults are filled into a variant: what
 * it does not name, it takes from the campaign.
 */
function experimental<Shape extends z.core.$ZodShape>(campaign: z.ZodObject<Shape, z.core.$strict>) {
  const shape = campaign.shape as unknown as Record<string, z.ZodType>;
  const own = Object.fromEntries(
    VARIANT_FIELDS.filter((k) => k in shape).map((k) => {
      const f = shape[k]!;
      return [k, (f instanceof z.ZodDefault ? (f.unwrap() as z.ZodType) : f).optional()];
    }),
  );
  const variant = z
    .object({
      id: id.refine((v) => v !== 'holdout', '"holdout" names the shoppers held out; pick another id').describe('Stable id in reports; renaming it starts a new arm.'),
      weight: z.number().positive().max(10_000).default(1).describe('Relative share of the shoppers not held out.'),
      ...own,
    })
    .strict();
  type Own = z.output<z.ZodObject<Shape, z.core.$strict>>;
  type Variant = { id: string; weight: number } & Partial<Pick<Own, Extract<keyof Own, (typeof VARIANT_FIELDS)[number]>>>;
  return campaign
    .extend({
      variants: z
        .array(variant as unknown as z.ZodType<Variant, z.input<typeof variant>>)
        .min(1)
        .max(10)
        .optional()
        .describe('An A/B test: each shopper is assigned one variant for good (by a hash of the campaign id and their visitor id).'),
      holdout_percent: z
        .number()
        .min(0)
        .max(90)
        .optional()
        .describe('Percent of shoppers who are shown nothing, as a control group to measure the campaign against.'),
      auto_pause: z.union([z.literal(false), AutoPause]).optional().describe('Pause the campaign when it annoys more than this (overrides the top-level auto_pause; false: never).'),
    })
    .strict();
}

/** Campaigns are a discriminated union on `type`; later campaign types join this list. */
export const Campaign = z.discriminatedUnion('type', [
  experimental(AnnouncementBar),
  experimental(Modal),
  experimental(ExitOffer),
  experimental(CartReminder),
  experimental(ViewingNow),
  experimental(RecentPurchases),
  experimental(CountdownBar),
  experimental(FreeShippingBar),
  experimental(NewsletterBar),
]);

// ---------------------------------------------------------------------------------------------------------
// Context: where the shopper roughly is and what the weather will do (GET /v1/context), for rules that do not
// depend on personal data.

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'an HTTP header name');

export const Context = z
  .object({
    location: z
      .object({
        country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 country code such as DE'),
        region: z.string().max(100).optional(),
        city: z.string().max(100).optional(),
        lat: z.number().min(-90).max(90),
        lon: z.number().min(-180).max(180),
      })
      .strict()
      .optional()
      .describe("The shop's own location: used when the shopper's cannot be told."),
    geo_headers: z
      .enum(['none', 'cloudflare', 'vercel', 'custom'])
      .default('none')
      .describe('Trust this CDN’s geo headers (only when the server really is behind it: anyone can send headers).'),
    custom_headers: z
      .object({ country: headerName, region: headerName, city: headerName, lat: headerName, lon: headerName })
      .partial()
      .strict()
      .optional()
      .describe('Header names for geo_headers: custom.'),
    geoip_file: z.string().min(1).optional().describe('A GeoIP .mmdb file (DB-IP Lite or GeoLite2 City), relative to kairos.yaml.'),
    weather: z
      .object({
        provider: z.enum(['none', 'met_norway', 'open_meteo', 'static']).default('none'),
        file: z.string().min(1).optional().describe('static: a JSON forecast file, relative to kairos.yaml (offline demos).'),
        contact: z
          .string()
          .min(3)
          .optional()
          .describe('met_norway: a contact (email or URL) for the User-Agent its terms require.'),
        api_key_env: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/)
          .optional()
          .describe('open_meteo: the environment variable holding a commercial API key (free tier: non-commercial only).'),
        cache_minutes: z.number().int().min(30).max(60).default(45),
        timeout_ms: z.number().int().min(100).max(10_000).default(1500).describe('A slower provider is not waited for: cached or no weather.'),
      })
      .strict()
      .default({ provider: 'none', cache_minutes: 45, timeout_ms: 1500 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.geo_headers === 'custom' && !c.custom_headers?.country)
      ctx.addIssue({ code: 'custom', path: ['custom_headers'], message: 'geo_headers: custom needs custom_headers with at least country' });
    if (c.weather.provider === 'static' && !c.weather.file)
      ctx.addIssue({ code: 'custom', path: ['weather', 'file'], message: 'the static provider needs a file' });
    if (c.weather.provider === 'met_norway' && !c.weather.contact)
      ctx.addIssue({ code: 'custom', path: ['weather', 'contact'], message: 'MET Norway requires a contact (email or URL) in the User-Agent' });
    if (c.weather.provider !== 'none' && !c.location && c.geo_headers === 'none' && !c.geoip_file)
      ctx.addIssue({ code: 'custom', path: ['location'], message: 'weather needs a location: the shop’s, geo headers or a geoip_file' });
  });

export const Presence = z
  .object({
    interval_seconds: z.number().int().min(5).max(300).default(15).describe('How often a visible tab reports it is still there.'),
    window_seconds: z.number().int().min(10).max(900).default(45).describe('A visitor counts as viewing for this long after a heartbeat.'),
    product_path: z
      .string()
      .regex(/^\/.*\{id\}/, 'a path with {id}, e.g. /products/{id}')
      .default('/products/{id}')
      .describe('Pages matching this are counted per product id; every other page per path.'),
  })
  .strict();

// ---------------------------------------------------------------------------------------------------------
// The cart: where the widget learns it (adapters), and what the server does when it is abandoned (webhooks).

export const CART_ADAPTERS = ['events', 'datalayer', 'shopify', 'woocommerce'] as const;

export const CartAdapter = z
  .object({
    type: z.enum(CART_ADAPTERS).describe(
      'events: kairos("track", "Product Added", …); datalayer: GA4 e-commerce pushes on window.dataLayer; shopify: /cart.js; woocommerce: the Store API cart',
    ),
    pages: z.array(pathGlob).min(1).default(['/**']).describe('Use this adapter on these pages (the first adapter that matches wins).'),
    url: safeUrl.optional().describe('Where the cart is read: default /cart.js (shopify), /wp-json/wc/store/v1/cart (woocommerce).'),
  })
  .strict();

export const Cart = z
  .object({
    adapters: z.array(CartAdapter).min(1).default([{ type: 'events', pages: ['/**'] }]),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR').default('EUR').describe('When the cart itself does not say.'),
    pages: z
      .array(pathGlob)
      .default(['/cart/**', '/checkout/**'])
      .describe('The cart and checkout pages: cart reminders never show there.'),
  })
  .strict();

const httpUrl = z.string().regex(/^https?:\/\/[^/\s]+(\/\S*)?$/i, 'an http(s):// URL');

export const Webhooks = z
  .object({
    endpoints: z
      .array(z.object({ url: httpUrl }).strict())
      .default([])
      .describe('Where cart.abandoned and lead.captured are delivered (Standard Webhooks; secret from KAIROS_WEBHOOK_SECRET).'),
    abandon_after_minutes: z.number().int().min(1).max(60 * 24 * 7).default(60).describe('No cart activity this long, no order: abandoned.'),
    recovery_url: httpUrl.optional().describe('The absolute URL of the cart page, sent in the webhook with ?kairos_cart=<id> and utm tags.'),
    allow_private_networks: z
      .boolean()
      .default(false)
      .describe('Allow endpoints on loopback, private or link-local addresses (refused by default).'),
  })
  .strict();

export const Privacy = z
  .object({
    consent: z
      .enum(['not_required', 'required', 'cmp'])
      .default('not_required')
      .describe(
        'required: the widget sends no event and stores nothing about the shopper on the device until the page calls kairos("consent", { analytics: true }) (events of the page so far are held in memory and sent then); cmp: the same, with the consent read from the page’s IAB TCF v2 consent platform (__tcfapi) as well; not_required: events are sent (they carry no contact details either way).',
      ),
    respect_dnt: z.boolean().default(false).describe('Treat the browser’s Do Not Track like Global Privacy Control (always honoured): no events at all.'),
    retention_days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(395)
      .describe('Events, idle carts, settled webhook messages and expired offer grants older than this are deleted (395: about 13 months).'),
  })
  .strict();

/** The shopper's preference centre: the "Offer preferences" link in every overlay and the panel it opens. */
export const Preferences = z
  .object({
    link: z.boolean().default(true).describe('Show the "Offer preferences" link in every campaign (false: only kairos("preferences") opens the panel).'),
    label: z.string().min(1).max(40).default('Offer preferences').describe('The link’s text.'),
    topics: z
      .array(z.object({ id, label: z.string().min(1).max(60) }).strict())
      .max(20)
      .default([])
      .describe('What campaigns are about (campaign `topics`); the shopper may turn each off.'),
  })
  .strict();

/** A shopper's choice in the preference centre, as the widget keeps it and PUT /v1/preferences/:user stores it. */
export const ShopperPreferences = z
  .object({
    level: z.enum(['all', 'fewer', 'bars', 'none']).describe('all offers; fewer (no modals, half the fatigue budget); bars only; nothing at all'),
    off: z.array(id).max(20).describe('Topics turned off.'),
    at: z.number().int().min(0).describe('When the shopper chose (epoch ms): the newest choice wins.'),
  })
  .strict();
export type ShopperPreferences = z.infer<typeof ShopperPreferences>;

export const Fatigue = z
  .object({
    modals_per_session: z.number().int().min(0).max(100).default(1),
    modals_per_day: z.number().int().min(0).max(100).default(3),
  })
  .strict()
  .describe('Interruptions allowed across all campaigns (bars do not count).');

export const KairosConfig = z
  .object({
    $schema: z.string().optional(),
    site: z
      .object({
        name: z.string().min(1).default('My shop'),
        allowed_origins: z
          .array(z.string().regex(/^https?:\/\/[^/]+$/, 'an origin such as https://shop.example (no path)'))
          .default([])
          .describe('Origins (besides the server itself) allowed to call the API from a browser.'),
      })
      .strict()
      .default({ name: 'My shop', allowed_origins: [] }),
    fatigue: Fatigue.default({ modals_per_session: 1, modals_per_day: 3 }),
    segments: z.record(id, Rule).default({}).describe('Named audiences, used in rules as { segment: name }.'),
    context: Context.default({ geo_headers: 'none', weather: { provider: 'none', cache_minutes: 45, timeout_ms: 1500 } }),
    presence: Presence.default({ interval_seconds: 15, window_seconds: 45, product_path: '/products/{id}' }),
    cart: Cart.default({ adapters: [{ type: 'events', pages: ['/**'] }], currency: 'EUR', pages: ['/cart/**', '/checkout/**'] }),
    webhooks: Webhooks.default({ endpoints: [], abandon_after_minutes: 60, allow_private_networks: false }),
    privacy: Privacy.default({ consent: 'not_required', respect_dnt: false, retention_days: 395 }),
    preferences: Preferences.default({ link: true, label: 'Offer preferences', topics: [] }),
    attribution: z
      .object({
        click_days: z.number().min(0).max(90).default(7).describe('An order counts for a campaign clicked this many days before it…'),
        view_days: z.number().min(0).max(90).default(1).describe('…or shown this many days before it (the most recent touch wins).'),
      })
      .strict()
      .default({ click_days: 7, view_days: 1 })
      .describe('Which campaign an order is credited to in the report: the last one clicked or seen within these windows.'),
    auto_pause: AutoPause.optional().describe('Pause any campaign that annoys more than this (a campaign’s own auto_pause overrides it).'),
    campaigns: z.array(Campaign).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.webhooks.endpoints.length && !cfg.webhooks.recovery_url)
      ctx.addIssue({ code: 'custom', path: ['webhooks', 'recovery_url'], message: 'webhooks need a recovery_url: the absolute URL of the cart page' });
    const seen = new Map<string, number>();
    cfg.campaigns.forEach((c, i) => {
      const first = seen.get(c.id);
      if (first !== undefined)
        ctx.addIssue({ code: 'custom', path: ['campaigns', i, 'id'], message: `duplicate id "${c.id}" (also campaigns[${first}])` });
      else seen.set(c.id, i);
      const arms = new Map<string, number>();
      c.variants?.forEach((v, j) => {
        const other = arms.get(v.id);
        if (other !== undefined)
          ctx.addIssue({ code: 'custom', path: ['campaigns', i, 'variants', j, 'id'], message: `duplicate variant "${v.id}" (also variants[${other}])` });
        else arms.set(v.id, j);
      });
      const topics = cfg.preferences.topics.map((t) => t.id);
      c.topics?.forEach((t, j) => {
        if (!topics.includes(t))
          ctx.addIssue({
            code: 'custom',
            path: ['campaigns', i, 'topics', j],
            message: `unknown topic "${t}": ` + (topics.length ? `defined: ${topics.join(', ')}` : 'define it under preferences.topics'),
          });
      });
    });
    const topicIds = new Set<string>();
    cfg.preferences.topics.forEach((t, i) => {
      if (topicIds.has(t.id)) ctx.addIssue({ code: 'custom', path: ['preferences', 'topics', i, 'id'], message: `duplicate topic "${t.id}"` });
      topicIds.add(t.id);
    });
  });

export type KairosConfig = z.infer<typeof KairosConfig>;
export type Campaign = z.infer<typeof Campaign>;
export type AnnouncementBar = z.infer<typeof AnnouncementBar>;
export type Modal = z.infer<typeof Modal>;
export type ExitOffer = z.infer<typeof ExitOffer>;
export type CartReminder = z.infer<typeof CartReminder>;
export type CountdownBar = z.infer<typeof CountdownBar>;
export type FreeShippingBar = z.infer<typeof FreeShippingBar>;
export type NewsletterBar = z.infer<typeof NewsletterBar>;
export type Cart = z.infer<typeof Cart>;
export type Presence = z.infer<typeof Presence>;
export type Context = z.infer<typeof Context>;
export type Webhooks = z.infer<typeof Webhooks>;
export type Privacy = z.infer<typeof Privacy>;
export type Trigger = z.infer<typeof Trigger>;
export type Frequency = z.infer<typeof Frequency>;
export type Fatigue = z.infer<typeof Fatigue>;
export type Preferences = z.infer<typeof Preferences>;

// ---------------------------------------------------------------------------------------------------------
// What /v1/config sends to browsers: only the public part, with schedules resolved to UTC instants so the
// widget never does time-zone arithmetic.

// Omit over each union member: a plain Omit<Campaign, …> keeps only the keys all campaign types share.
export type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An exit offer's coupon stays on the server: browsers get their code from POST /v1/offers/:id. */
export type PublicCampaign = OmitEach<Campaign, 'enabled' | 'schedule' | 'coupon' | 'auto_pause'> & {
  /** UTC epoch milliseconds; absent means open-ended. */
  schedule?: { start?: number; end?: number };
};

export interface PublicConfig {
  /** Content hash of this compiled config; also the ETag. */
  version: string;
  campaigns: PublicCampaign[];
  segments: Record<string, Rule>;
  fatigue: Fatigue;
  /** The cart adapters and the cart/checkout pages. */
  cart: Cart;
  /**
   * Whether events wait for consent, and whether Do Not Track counts (retention stays on the server). Always sent;
   * optional because a config cached by an older widget may lack it (then: not required).
   */
  privacy?: Pick<Privacy, 'consent' | 'respect_dnt'>;
  /** The preference centre's link and topics; optional for the same reason. */
  preferences?: Preferences;
}

// ---------------------------------------------------------------------------------------------------------
// Events: POST /v1/events takes a batch as a text/plain JSON body (no CORS preflight).

const jsonScalar = z.union([z.string().max(2000), z.number().finite(), z.boolean(), z.null()]);
/** Properties stay shallow and small: scalars, or arrays/objects of scalars (e.g. a product list). */
const propValue = z.union([
  jsonScalar,
  z.array(z.union([jsonScalar, z.record(z.string().max(100), jsonScalar)])).max(100),
  z.record(z.string().max(100), jsonScalar),
]);

const token = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'an opaque id of 8–64 characters [A-Za-z0-9_-]');

export const EventInput = z
  .object({
    event_id: token.describe('Client-generated, unique per event; retries reuse it and are stored once.'),
    type: z.enum(['track', 'page', 'identify']),
    name: z.string().min(1).max(200),
    ts: z.number().int().positive().describe('Client clock, epoch ms.'),
    visitor_id: token,
    session_id: token,
    path: z.string().max(2000).regex(/^\//, 'a path starting with "/"').optional(),
    campaign_id: id.optional(),
    user_id: z.string().min(1).max(200).optional(),
    props: z
      .record(z.string().max(100), propValue)
      .refine((p) => Object.keys(p).length <= 50, 'at most 50 properties')
      .optional(),
  })
  .strict();

export const EventBatch = z
  .object({
    sent_at: z.number().int().positive().describe('Client clock when the batch was sent; corrects clock skew.'),
    events: z.array(EventInput).min(1, 'a batch holds at least one event').max(100, 'a batch holds at most 100 events'),
  })
  .strict();

export type EventInput = z.infer<typeof EventInput>;
export type EventBatch = z.infer<typeof EventBatch>;
