// Property-based configs (issue 10; research/reliability.md §3 test 24), seeded fast-check over the schema in
// server/schema.ts: every VALID config — site, fatigue, segments, context, presence, cart, webhooks, privacy,
// preferences, attribution, auto_pause and campaigns of all nine types with every trigger, audience rules, schedules,
// variants, frequency and topics — rendered as YAML in many ways (block and flow style, comments, anchors and aliases,
// quoting and folding styles, or as JSON) loads with the server's own loader (parseConfig), to the same config
// whatever the formatting (the version does not change with it). Every INVALID config, made by one mutation of a
// valid one (a wrong type, an out-of-range number, an invalid string, an unknown key, a duplicate id, an unknown
// campaign or trigger type, a bad regex or glob; and broken YAML: a tab, bad indentation, an unclosed quote, a
// duplicate key), is rejected, and an error names `file:line:col` at the mutated node (computed here from the YAML
// document's node ranges; for a tab or bad indentation, on its line or the line before) with its path, and no error
// points anywhere else in the file. `kairos validate` says the same and exits 1, and a running ConfigSource given a
// random invalid save keeps serving the last good config (logging the errors), then adopts the next valid save.
// test/config.test.ts and test/config-watch.test.ts hold the hand-written cases and the exact wording; this file
// extends them to random input. Shrunk failures are kept below as named regression cases.
//
// Runs: 200 valid and 300 invalid configs, 6 CLI files and 6 reloads in CI (~17 s); KAIROS_FULL=1: 2,000, 3,000, 12
// and 25. KAIROS_CONFIG_SEED picks another seed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Document, isMap, isScalar, isSeq, parse, parseDocument, visit, type Node as YamlNode, type Scalar } from 'yaml';
import { formatConfigError, parseConfig, type ConfigError } from '../server/config';
import { ConfigSource, type ConfigLog } from '../server/config-watch';
import { KairosConfig, RULE_FIELDS, WEATHER_DAY_FIELDS } from '../server/schema';
import { prng as mulberry } from './seeded';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const FULL = process.env.KAIROS_FULL === '1';
const SEED = Number(process.env.KAIROS_CONFIG_SEED ?? 0x10c0f1) | 0;
const RUNS = FULL ? { valid: 2_000, invalid: 3_000, cli: 12, reloads: 25 } : { valid: 200, invalid: 300, cli: 6, reloads: 6 };

/** A few seconds in CI; generous, because a failing property shrinks for a while and a busy machine is slow. */
const PROPERTY_TIMEOUT = FULL ? 900_000 : 120_000;

const dir = mkdtempSync(join(tmpdir(), 'kairos-config-prop-'));
const FILE = join(dir, 'kairos.yaml');
// An exit offer's coupon pool, beside the config (pool paths are relative to it).
writeFileSync(join(dir, 'codes.txt'), 'CODE-1\nCODE-2\nCODE-3\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
type Path = (string | number)[];

// =====================================================================================================================
// Valid configs

/** fc.record with the keys in `optional` sometimes left out. */
function rec(required: Record<string, fc.Arbitrary<Json>>, optional: Record<string, fc.Arbitrary<Json>> = {}): fc.Arbitrary<Obj> {
  return fc.record({ ...required, ...optional }, { requiredKeys: Object.keys(required) }) as unknown as fc.Arbitrary<Obj>;
}

/** A number in [min, max] (the bounds themselves often), whole or not. */
function num(min: number, max: number, int = false): fc.Arbitrary<number> {
  const inner = int ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x));
  return fc.oneof({ arbitrary: fc.constantFrom(min, max), weight: 1 }, { arbitrary: inner, weight: 3 });
}

/** Strings YAML finds tricky: they look like other types, comments, indicators, or hold escapes and other scripts. */
const TRICKY = [
  'NO', 'yes', 'off', 'null', '~', 'true', '22:30', '2026-07-01', '0x1F', '0o17', '1e3', '.inf', '-.nan', '012',
  '- item', '# not a comment', 'a # b', 'key: value', 'a:b', '"quoted"', "'single'", "it's", '&anchor', '*alias', '!tag',
  '@at', '`tick`', '{ flow }', '[1, 2]', '|', '>', '%percent', '? q', ', comma', '  leading spaces', 'trailing  ',
  'tab\there', 'back\\slash', 'Grüße aus Köln', 'Ελληνικά', '日本語', 'שלום', 'emoji ☀️🕶️', '{{traits.first_name | there}}',
  '\u00a0nbsp', 'zero\u200bwidth', '---', '...', '<b>not html</b>',
];

function str(max: number, multiline: boolean): fc.Arbitrary<string> {
  const lines = multiline ? [fc.constantFrom('two\nlines', 'ends with a break\n', 'a\n\n  indented\nparagraph')] : [];
  return fc.oneof(
    { arbitrary: fc.string({ minLength: 1, maxLength: Math.min(max, 30) }), weight: 4 },
    { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: Math.min(max, 12) }).filter((s) => s.length <= max), weight: 2 },
    { arbitrary: fc.constantFrom(...TRICKY.filter((t) => t.length <= max)), weight: 3 },
    { arbitrary: fc.constant('x'.repeat(max)), weight: 1 },
    ...lines.map((arbitrary) => ({ arbitrary, weight: 1 })),
  );
}

const slug = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,11}$/);
const glob = fc.constantFrom('/**', '/', '/products/**', '/products/*', '/cart', '/checkout/**', '/p/*/reviews', '/blog/2026/**', '/a b', '/ü');
const url = fc.constantFrom('/cart', '/products/sunglasses-aviator?ref=bar', 'https://shop.example/sale', 'http://shop.example', 'HTTPS://SHOP.EXAMPLE/x#y');
const color = fc.constantFrom('#fff', '#1a1a2e', '#1A1A2E80', 'white', 'rebeccapurple', 'rgb(1, 2, 3)', 'rgba(1,2,3,0.5)', 'hsl(120 50% 50% / 0.3)');
const zone = fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns');
const locale = fc.constantFrom('en', 'cy', 'de', 'pt-BR', 'fr-CA', 'zh-Hant-TW', 'gsw');
const scalar = fc.oneof(str(40, false), fc.integer({ min: -1e6, max: 1e6 }), num(-1e9, 1e9), fc.boolean()) as fc.Arbitrary<Json>;
const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** A local date-time as the config writes it, `days` after a random start: both in one of the accepted spellings. */
const dateTimes = fc
  .record({
    y: fc.integer({ min: 2024, max: 2030 }),
    mo: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
    s: fc.integer({ min: 0, max: 59 }),
    days: fc.integer({ min: 2, max: 400 }),
    style: fc.constantFrom('date', 'T', 'space', 'seconds', 'Z', 'offset', 'compact-offset'),
    offset: fc.constantFrom('+02:00', '-05:30', '+14:00', '-12:00'),
  })
  .map(({ y, mo, d, h, mi, s, days, style, offset }) => {
    const fmt = (t: number) => {
      const x = new Date(t);
      const date = `${x.getUTCFullYear()}-${pad(x.getUTCMonth() + 1)}-${pad(x.getUTCDate())}`;
      const hm = `${pad(x.getUTCHours())}:${pad(x.getUTCMinutes())}`;
      switch (style) {
        case 'date': return date;
        case 'T': return `${date}T${hm}`;
        case 'space': return `${date} ${hm}`;
        case 'seconds': return `${date}T${hm}:${pad(x.getUTCSeconds())}`;
        case 'Z': return `${date}T${hm}Z`;
        case 'offset': return `${date}T${hm}${offset}`;
        default: return `${date}T${hm}${offset.replace(':', '')}`;
      }
    };
    const start = Date.UTC(y, mo - 1, d, h, mi, s);
    return { start: fmt(start), end: fmt(start + days * 86_400_000) };
  });

const schedule = fc
  .tuple(dateTimes, fc.constantFrom('both', 'start', 'end', 'none'), fc.option(zone, { nil: undefined }))
  .map(([{ start, end }, which, timezone]) => {
    const s: Obj = {};
    if (which === 'both' || which === 'start') s['start'] = start;
    if (which === 'both' || which === 'end') s['end'] = end;
    if (timezone) s['timezone'] = timezone;
    return s;
  });

const RULE_FIELD_NAMES = [...Object.keys(RULE_FIELDS).filter((f) => !f.includes('<')), 'traits.plan', 'traits.first_name', 'page.query.q'];
const REGEXES = ['^/products/', 'a|b', '\\d+', '[A-Z]{2}', '(?:x)?y$', '^$', '.*', '(?<year>\\d{4})'];

const OPERATORS: Record<string, fc.Arbitrary<Json>> = {
  eq: scalar, ne: scalar,
  in: fc.array(scalar, { minLength: 1, maxLength: 3 }), not_in: fc.array(scalar, { minLength: 1, maxLength: 3 }),
  gt: num(-1000, 1000), gte: num(-1000, 1000), lt: num(-1000, 1000), lte: num(-1000, 1000),
  contains: scalar, not_contains: scalar,
  starts_with: str(20, false), ends_with: str(20, false),
  matches: glob, regex: fc.constantFrom(...REGEXES), exists: fc.boolean(),
};
/** One to three operators. */
const operators: fc.Arbitrary<Obj> = fc
  .uniqueArray(fc.constantFrom(...Object.keys(OPERATORS)), { minLength: 1, maxLength: 3 })
  .chain((names) => fc.tuple(...names.map((n) => OPERATORS[n]!.map((x) => [n, x] as const))))
  .map((pairs) => Object.fromEntries(pairs) as Obj);

const condition: fc.Arbitrary<Json> = fc.oneof(scalar, fc.array(scalar, { minLength: 1, maxLength: 3 }), operators);

const weatherRule: fc.Arbitrary<Obj> = rec({}, {
  within_days: num(1, 7, true),
  ...Object.fromEntries(Object.keys(WEATHER_DAY_FIELDS).map((f) => [f, condition])),
}).filter((w) => Object.keys(w).some((k) => k !== 'within_days'));

/** A targeting rule; `segments` are the names it may refer to. */
function ruleArb(segments: string[], depth: number): fc.Arbitrary<Obj> {
  const fields = fc
    .uniqueArray(fc.constantFrom(...RULE_FIELD_NAMES), { minLength: 1, maxLength: 3 })
    .chain((names) => fc.tuple(...names.map((n) => condition.map((c) => [n, c] as const))))
    .map((pairs) => Object.fromEntries(pairs) as Obj);
  if (depth === 0) return fields;
  const sub = ruleArb(segments, depth - 1);
  return fc
    .tuple(
      fields,
      fc.option(fc.array(sub, { minLength: 1, maxLength: 2 }), { nil: undefined }),
      fc.option(fc.array(sub, { minLength: 1, maxLength: 2 }), { nil: undefined }),
      fc.option(sub, { nil: undefined, freq: 4 }),
      segments.length ? fc.option(fc.constantFrom(...segments), { nil: undefined }) : fc.constant(undefined),
      fc.option(weatherRule, { nil: undefined, freq: 4 }),
      fc.boolean(),
    )
    .map(([f, all, any, not, segment, weather, keepFields]) => {
      const r: Obj = keepFields ? { ...f } : {};
      if (all) r['all'] = all;
      if (any) r['any'] = any;
      if (not) r['not'] = not;
      if (segment) r['segment'] = segment;
      if (weather) r['weather'] = weather;
      return Object.keys(r).length ? r : f;
    });
}

const trigger: fc.Arbitrary<Obj> = fc.oneof(
  rec({ type: fc.constant('page_load') }, { delay_seconds: num(0, 600) }),
  rec({ type: fc.constant('time_on_page'), seconds: num(0, 3600) }),
  rec({ type: fc.constant('scroll_depth'), percent: num(1, 100) }),
  rec({ type: fc.constant('inactivity'), seconds: num(1, 3600) }),
  rec({ type: fc.constant('click'), selector: fc.constantFrom('#buy', '.cart a', 'button[data-x="1"]', 'a:not(.x) > span') }),
  rec({ type: fc.constant('page_views'), count: num(1, 1000, true) }),
  rec({ type: fc.constant('event'), name: fc.constantFrom('Product Added', 'Checkout Started', 'x') }),
  rec({ type: fc.constant('cart') }),
  rec({ type: fc.constant('viewers') }, { min_count: num(1, 10_000, true), interval_seconds: num(5, 300, true), product_path: fc.constantFrom('/products/{id}', '/p/{id}/x') }),
  rec(
    { type: fc.constant('exit_intent') },
    {
      min_dwell_seconds: num(0, 600),
      sensitivity_px: num(0, 100, true),
      mobile: rec({}, { scroll_up: fc.boolean(), tab_return: fc.boolean(), inactivity_seconds: fc.oneof(num(5, 3600), fc.constant(false)) }),
    },
  ),
);

const frequency: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom('always', 'once', 'once_per_session'),
  rec({}, { per_session: num(1, 100, true), every_days: fc.double({ min: 0.01, max: 365, noNaN: true }), max_impressions: num(1, 1000, true) }),
);

const link = rec({ label: str(60, false), url });
const barTheme = rec({}, { background: color, color });
const accentTheme = rec({}, { accent: color, accent_text: color });
const plural = (max: number, m: boolean): fc.Arbitrary<Json> =>
  fc.oneof(str(max, m), rec({ other: str(max, m) }, { zero: str(max, m), one: str(max, m), two: str(max, m), few: str(max, m), many: str(max, m) }));

/** One copy, or (sometimes) one per locale. */
function localised(one: fc.Arbitrary<Obj>): fc.Arbitrary<Json> {
  return fc.oneof({ arbitrary: one, weight: 4 }, { arbitrary: fc.dictionary(locale, one, { minKeys: 1, maxKeys: 3 }), weight: 1 });
}

interface TypeSpec {
  fields: Record<string, fc.Arbitrary<Json>>;
  optional: Record<string, fc.Arbitrary<Json>>;
  /** What a variant of this type may change. */
  variant: Record<string, fc.Arbitrary<Json>>;
}

function campaignTypes(m: boolean): Record<string, TypeSpec> {
  const bar = { position: fc.constantFrom('top', 'bottom'), push: fc.boolean(), theme: barTheme };
  const counts = fc.dictionary(locale, plural(160, m), { minKeys: 1, maxKeys: 3 });
  const proof = { min_count: num(1, 10_000, true), position: fc.constantFrom('bottom-left', 'bottom-right', 'top-left', 'top-right'), content: counts };
  const code = fc.oneof(rec({ code: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/) }), fc.constant({ pool: 'codes.txt' }));
  const applyUrl = fc.constantFrom('/discount/{code}?redirect=/cart', 'https://shop.example/d/{code}');
  const types: Record<string, TypeSpec> = {
    announcement_bar: {
      fields: { content: localised(rec({ text: str(280, m) }, { link, dismissible: fc.boolean() })) },
      optional: bar,
      variant: { content: localised(rec({ text: str(280, m) })), ...bar },
    },
    modal: {
      fields: { content: localised(rec({ headline: str(120, m) }, { text: str(600, m), button: link, close_label: str(60, false) })) },
      optional: { theme: accentTheme },
      variant: { content: localised(rec({ headline: str(120, m) })), theme: accentTheme },
    },
    exit_offer: {
      fields: {
        content: localised(rec({ headline: str(120, m) }, { text: str(600, m), button: str(60, false), copy_label: str(40, false), copied_label: str(60, false), deadline_label: str(60, false), close_label: str(60, false) })),
        coupon: code,
      },
      optional: { apply_url: applyUrl, valid_minutes: num(1, 43_200, true), theme: accentTheme },
      variant: { content: localised(rec({ headline: str(120, m) })), coupon: code, apply_url: applyUrl, valid_minutes: num(1, 43_200, true), theme: accentTheme },
    },
    cart_reminder: {
      fields: {},
      optional: {
        position: fc.constantFrom('bottom-right', 'bottom-left'),
        content: localised(rec({}, { headline: plural(120, m), text: str(300, m), button: link, close_label: str(60, false) })),
        theme: accentTheme,
      },
      variant: { position: fc.constantFrom('bottom-right', 'bottom-left'), theme: accentTheme },
    },
    viewing_now: { fields: {}, optional: proof, variant: { position: proof.position, content: counts } },
    recent_purchases: { fields: {}, optional: { ...proof, product_path: fc.constantFrom('/products/{id}', '/shop/{id}') }, variant: { position: proof.position } },
    countdown_bar: {
      fields: {
        countdown: fc.oneof(
          rec({ deadline: fc.constantFrom('2026-12-24T18:00', '2027-01-01T00:00:30', '2026-03-29T02:30', '2026-12-24T18:00+01:00', '2026-12-24T18:00Z') }, { timezone: zone }),
          rec({ holiday: fc.constantFrom('valentines_day', 'halloween', 'christmas_eve', 'christmas', 'new_years_eve'), year: num(2000, 2100, true) }, { timezone: zone }),
          rec({
            every: rec(
              { time: fc.constantFrom('00:00', '14:00', '23:59', '02:30') },
              { days: fc.shuffledSubarray(weekdays, { minLength: 1 }), timezone: zone, except: fc.array(fc.constantFrom('2026-12-25', '2027-01-01', '2028-02-29'), { maxLength: 3 }) },
            ),
          }),
        ),
        content: localised(rec({ text: str(180, m).map((s) => `${s} {{countdown}}`) }, { link, dismissible: fc.boolean() })),
      },
      optional: { ...bar, show_within_minutes: num(1, 527_040, true) },
      variant: { ...bar },
    },
    free_shipping_bar: {
      fields: { threshold: fc.oneof(fc.constantFrom(0.01, 1_000_000), fc.double({ min: 0.5, max: 1e6, noNaN: true })) },
      optional: { ...bar, content: localised(rec({}, { empty: str(160, m), progress: str(160, m), unlocked: str(160, m), dismissible: fc.boolean() })) },
      variant: { ...bar },
    },
    newsletter_bar: {
      fields: {
        content: localised(
          rec(
            { text: str(200, m) },
            { placeholder: str(60, false), button: str(40, false), consent: str(500, m), invalid_email: str(120, false), consent_missing: str(120, false), failed: str(120, false), success: str(200, false), close_label: str(60, false) },
          ),
        ),
      },
      optional: { ...bar, accent: accentTheme },
      variant: { ...bar, accent: accentTheme },
    },
  };
  return types;
}

const autoPause = rec({}, { min_impressions: num(1, 1_000_000, true), max_dismiss_rate: num(0, 1), max_irritation_rate: num(0, 1) }).filter(
  (a) => 'max_dismiss_rate' in a || 'max_irritation_rate' in a,
);

function campaignArb(type: string, spec: TypeSpec, segments: string[], topics: string[]): fc.Arbitrary<Obj> {
  const variant = rec({}, { weight: fc.oneof(fc.constantFrom(10_000, 1), fc.double({ min: 0.001, max: 10_000, noNaN: true })), ...spec.variant });
  return rec(
    { id: slug, type: fc.constant(type), ...spec.fields },
    {
      ...spec.optional,
      enabled: fc.boolean(),
      priority: num(0, 1000, true),
      schedule,
      pages: rec({}, { include: fc.array(glob, { maxLength: 3 }), exclude: fc.array(glob, { maxLength: 3 }) }),
      audience: ruleArb(segments, 1),
      trigger,
      frequency,
      recontact_days: num(0, 3650),
      stop_after_conversion: fc.boolean(),
      ...(topics.length ? { topics: fc.shuffledSubarray(topics, { maxLength: Math.min(10, topics.length) }) } : {}),
      variants: fc.array(variant, { minLength: 1, maxLength: 3 }).map((vs) => vs.map((v, i) => ({ id: `arm-${i}`, ...v }))),
      holdout_percent: num(0, 90),
      auto_pause: fc.oneof(fc.constant(false), autoPause),
    },
  );
}

interface GenOptions {
  /** Strings with line breaks (rendered as block scalars): off where the test edits the YAML text line by line. */
  multiline: boolean;
}

function configArb({ multiline }: GenOptions): fc.Arbitrary<Obj> {
  const types = campaignTypes(multiline);
  return fc
    .record({
      segmentNames: fc.uniqueArray(slug, { maxLength: 3 }),
      topicIds: fc.uniqueArray(slug, { maxLength: 4 }),
    })
    .chain(({ segmentNames, topicIds }) => {
      // A segment may refer only to those defined before it: no loops.
      const segments = fc.tuple(...segmentNames.map((n, i) => ruleArb(segmentNames.slice(0, i), 1).map((r) => [n, r] as const))).map((ps) => Object.fromEntries(ps) as Obj);
      const campaign = fc.oneof(...Object.entries(types).map(([t, spec]) => campaignArb(t, spec, segmentNames, topicIds)));
      const location = rec({ country: fc.constantFrom('DE', 'GB', 'US'), lat: num(-90, 90), lon: num(-180, 180) }, { region: str(100, false), city: str(100, false) });
      const context = fc.oneof(
        rec({}, { location, geo_headers: fc.constantFrom('none', 'cloudflare', 'vercel') }),
        rec({ geo_headers: fc.constant('custom'), custom_headers: rec({ country: fc.constantFrom('x-country', 'CF-IPCountry') }, { city: fc.constant('x-city') }) }),
        rec({ location, weather: rec({ provider: fc.constant('met_norway'), contact: fc.constant('ops@shop.example') }, { cache_minutes: num(30, 60, true), timeout_ms: num(100, 10_000, true) }) }),
        rec({ geo_headers: fc.constant('cloudflare'), weather: rec({ provider: fc.constant('open_meteo') }, { api_key_env: fc.constant('OPEN_METEO_KEY') }) }),
      );
      return rec(
        {
          campaigns: fc.array(campaign, { maxLength: 3 }).map((cs) => cs.map((c, i) => ({ ...c, id: `${c['id'] as string}-${i}` }))),
          // Rules may name the segments: they are there.
          ...(segmentNames.length ? { segments } : {}),
        },
        {
          $schema: fc.constant('http://localhost:8787/schema.json'),
          site: rec({}, { name: str(60, false), allowed_origins: fc.array(fc.constantFrom('https://shop.example', 'http://localhost:3000', 'https://xn--bcher-kva.example'), { maxLength: 3 }) }),
          fatigue: rec({}, { modals_per_session: num(0, 100, true), modals_per_day: num(0, 100, true) }),
          context,
          presence: rec({}, { interval_seconds: num(5, 300, true), window_seconds: num(10, 900, true), product_path: fc.constantFrom('/products/{id}', '/p/{id}') }),
          cart: rec({}, {
            adapters: fc.array(rec({ type: fc.constantFrom('events', 'datalayer', 'shopify', 'woocommerce') }, { pages: fc.array(glob, { minLength: 1, maxLength: 2 }), url }), { minLength: 1, maxLength: 3 }),
            currency: fc.constantFrom('EUR', 'USD', 'JPY'),
            pages: fc.array(glob, { maxLength: 3 }),
          }),
          webhooks: fc.oneof(
            rec({}, { abandon_after_minutes: num(1, 10_080, true), allow_private_networks: fc.boolean() }),
            rec({ endpoints: fc.array(rec({ url: fc.constantFrom('https://crm.example/hooks', 'http://10.0.0.1:8080/x') }), { minLength: 1, maxLength: 2 }), recovery_url: fc.constant('https://shop.example/cart') }),
          ),
          privacy: rec({}, { consent: fc.constantFrom('not_required', 'required', 'cmp'), respect_dnt: fc.boolean(), retention_days: num(1, 3650, true) }),
          preferences: rec(topicIds.length ? { topics: fc.constant(topicIds.map((id) => ({ id, label: `Topic ${id}` }))) } : {}, { link: fc.boolean(), label: str(40, false) }),
          attribution: rec({}, { click_days: num(0, 90), view_days: num(0, 90) }),
          auto_pause: autoPause,
        },
      ).map((c) => {
        // Campaign topics need the preference centre's topics, which are optional above only when there are none.
        if (!topicIds.length) return c;
        return { ...c, preferences: { ...((c['preferences'] as Obj | undefined) ?? {}), topics: topicIds.map((id) => ({ id, label: `Topic ${id}` })) } };
      });
    });
}

// =====================================================================================================================
// Rendering: one value, many texts

interface Style {
  flow: number;
  comments: number;
  anchors: number;
  quoting: 'any' | 'plain' | 'double' | 'single' | 'block';
  indent: number;
  indentSeq: boolean;
  lineWidth: number;
  json: boolean;
}

const styleArb: fc.Arbitrary<Style> = fc.record({
  flow: fc.constantFrom(0, 0, 0.3, 1),
  comments: fc.constantFrom(0, 0.2),
  anchors: fc.constantFrom(0, 0.7),
  quoting: fc.constantFrom('any', 'plain', 'double', 'single', 'block'),
  indent: fc.constantFrom(2, 3, 4),
  indentSeq: fc.boolean(),
  lineWidth: fc.constantFrom(0, 24, 80),
  json: fc.constantFrom(false, false, false, false, true),
});

const blockStyle: Style = { flow: 0, comments: 0, anchors: 0, quoting: 'plain', indent: 2, indentSeq: true, lineWidth: 0, json: false };

/** Renderings yaml's own stringifier got wrong (it does not read them back as the value); see render(). */
let stringifierSlips = 0;

/**
 * `value` as YAML text in `style`; `rand` (seeded by fast-check) decides node by node. yaml's stringifier has
 * bugs of its own with unusual styles (a folded block scalar with a word longer than lineWidth gains a leading
 * line break; a block scalar of spaces reads back empty; a comment after a key whose value is an empty flow
 * list puts the list at the key's indentation): when yaml itself does not read the text back as `value`, it is
 * rendered again more plainly (no folding or block scalars, then no comments, then no anchors). Those are
 * yaml's writer's problems, not the loader's (Kairos never writes YAML), and they are counted.
 */
function render(value: Obj, style: Style, rand: () => number): string {
  if (style.json) return renderOnce(value, style, rand);
  const plainer: Style = { ...style, lineWidth: 0, quoting: style.quoting === 'block' || style.quoting === 'any' ? 'double' : style.quoting };
  const tries = [style, plainer, { ...plainer, comments: 0 }, { ...plainer, comments: 0, anchors: 0, indentSeq: true }];
  for (const [i, s] of tries.entries()) {
    const text = renderOnce(value, s, rand);
    if (readsBackAs(text, value)) {
      if (i > 0) stringifierSlips++;
      return text;
    }
  }
  throw new Error(`yaml cannot write ${JSON.stringify(value)}`);
}

function readsBackAs(text: string, value: Obj): boolean {
  try {
    return JSON.stringify(parse(text)) === JSON.stringify(value);
  } catch {
    return false;
  }
}

function renderOnce(value: Obj, style: Style, rand: () => number): string {
  if (style.json) return JSON.stringify(value, null, rand() < 0.5 ? 2 : undefined);
  const doc = new Document(value);
  const seen = new Map<string, YamlNode>();
  let comment = 0;
  visit(doc, {
    Map(_k, node) {
      if (style.flow && rand() < style.flow) node.flow = true;
    },
    Seq(_k, node) {
      if (style.flow && rand() < style.flow) node.flow = true;
    },
    Scalar(k, node) {
      if (typeof node.value === 'string') {
        // Block scalars as keys (`? |-`) are legal YAML nobody writes, and yaml's stringifier gets them wrong.
        // Nor a block scalar of spaces alone: that is an empty string in YAML, and yaml writes one for " ".
        const types = k === 'key' || !/\S/.test(node.value) ? (['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'] as const) : (['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'] as const);
        const want = { any: types[Math.floor(rand() * types.length)]!, plain: 'PLAIN', double: 'QUOTE_DOUBLE', single: 'QUOTE_SINGLE', block: types.length === 3 ? 'PLAIN' : 'BLOCK_LITERAL' }[style.quoting];
        node.type = want as Scalar.Type;
      }
      if (style.comments && rand() < style.comments) node.comment = ` note ${comment++}: "#" ü`;
    },
    Pair(_k, pair) {
      if (style.comments && isScalar(pair.key) && rand() < style.comments) pair.key.commentBefore = ` about ${String(pair.key.value)}`;
    },
  });
  if (style.anchors) {
    // A collection (or a longer string) equal to one earlier in the file becomes an alias of it, sometimes.
    visit(doc, {
      Node(k, node) {
        // Aliases as keys (`? *a1`): legal, unheard of in a config, and mis-indented by yaml's stringifier.
        if (k === 'key') return undefined;
        if (!(isMap(node) || isSeq(node) || (isScalar(node) && typeof node.value === 'string' && node.value.length > 3))) return undefined;
        const key = JSON.stringify(node.toJSON());
        const first = seen.get(key);
        if (!first) {
          seen.set(key, node);
          return undefined;
        }
        return rand() < style.anchors ? doc.createAlias(first as Scalar) : undefined;
      },
    });
  }
  if (style.comments) doc.commentBefore = ' yaml-language-server: $schema=http://localhost:8787/schema.json';
  return doc.toString({ indent: style.indent, indentSeq: style.indentSeq, lineWidth: style.lineWidth });
}

// =====================================================================================================================
// Positions, independently of server/config.ts: a path → the node in a freshly parsed document → line:col in the text

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

interface Found {
  node: YamlNode;
  /** The key of the pair holding it, when it is a mapping value. */
  key?: Scalar;
}

function nodeAt(text: string, path: Path): Found {
  const doc = parseDocument(text);
  let found: Found = { node: doc.contents as YamlNode };
  for (const seg of path) {
    const n = found.node;
    if (isMap(n)) {
      const pair = n.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) throw new Error(`no ${String(seg)} in ${JSON.stringify(path)}`);
      found = { node: pair.value as YamlNode, key: pair.key as Scalar };
    } else if (isSeq(n) && typeof seg === 'number') {
      found = { node: n.items[seg] as YamlNode };
    } else {
      throw new Error(`cannot follow ${JSON.stringify(path)} at ${String(seg)}`);
    }
  }
  return found;
}

function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$.-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

// =====================================================================================================================
// Mutations: one thing wrong in a valid config

interface Mutated {
  kind: string;
  /** What was done, for the failure message. */
  what: string;
  text: string;
  /** Where an error must point: exactly (`line`, `col`), or for YAML syntax on `line` or the line before. */
  expect: { line: number; col?: number; path?: string[]; message: RegExp; near?: boolean };
  /** Where every error must lie (offsets into `text`), for schema mutations. */
  region?: [number, number];
}

const get = (v: Json, path: Path): Json => path.reduce<Json>((x, k) => (x as Record<string | number, Json>)[k]!, v);
function set(v: Json, path: Path, value: Json): void {
  const parent = get(v, path.slice(0, -1)) as Record<string | number, Json>;
  parent[path.at(-1)!] = value;
}

/** Every node of `v` with its path. */
function nodes(v: Json, path: Path = []): Array<{ path: Path; value: Json }> {
  const out = [{ path, value: v }];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...nodes(x, [...path, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...nodes(x, [...path, k]));
  return out;
}

const inRule = (p: Path) => p[0] === 'segments' || p.includes('audience');

/** Bounds of the numbers the generator writes, by key (and, for `seconds`, by trigger type). */
function bounds(path: Path, parent: Obj): { min: number; max: number; int: boolean; exclusiveMin?: boolean } | undefined {
  const key = String(path.at(-1));
  const table: Record<string, [number, number, boolean]> = {
    priority: [0, 1000, true], recontact_days: [0, 3650, false], holdout_percent: [0, 90, false], modals_per_session: [0, 100, true],
    modals_per_day: [0, 100, true], retention_days: [1, 3650, true], window_seconds: [10, 900, true], interval_seconds: [5, 300, true],
    min_count: [1, 10_000, true], valid_minutes: [1, 43_200, true], click_days: [0, 90, false], view_days: [0, 90, false],
    min_impressions: [1, 1_000_000, true], max_dismiss_rate: [0, 1, false], max_irritation_rate: [0, 1, false], delay_seconds: [0, 600, false],
    percent: [1, 100, false], count: [1, 1000, true], min_dwell_seconds: [0, 600, false], sensitivity_px: [0, 100, true],
    abandon_after_minutes: [1, 10_080, true], cache_minutes: [30, 60, true], timeout_ms: [100, 10_000, true], lat: [-90, 90, false],
    lon: [-180, 180, false], year: [2000, 2100, true], show_within_minutes: [1, 527_040, true], per_session: [1, Infinity, true],
    max_impressions: [1, Infinity, true], within_days: [1, 7, true], inactivity_seconds: [5, 3600, false],
  };
  if (key === 'seconds') return parent['type'] === 'inactivity' ? { min: 1, max: 3600, int: false } : { min: 0, max: 3600, int: false };
  if (key === 'weight') return { min: 0, max: 10_000, int: false, exclusiveMin: true };
  if (key === 'threshold') return { min: 0, max: 1_000_000, int: false, exclusiveMin: true };
  if (key === 'every_days') return { min: 0, max: Infinity, int: false, exclusiveMin: true };
  const b = table[key];
  return b && { min: b[0], max: b[1], int: b[2] };
}

/** Strings that break a field's own rule, by key. */
const BAD_STRINGS: Record<string, string[]> = {
  id: ['Summer Sale', 'UPPER', '-leading', 'x'.repeat(65)],
  background: ['#12', 'rgb(1,2,3', 'red;'], color: ['#zz'], accent: ['not a colour!'], accent_text: ['#1234567890'],
  url: ['javascript:alert(1)', '//evil.example', 'data:text/html,x', 'shop.example/x'],
  start: ['1 July 2026', '2026-02-30', '2026-13-01T09:00'], end: ['tomorrow', '2026-06-31'],
  timezone: ['Mars/Olympus', 'Europe/Berln', 'CEST'],
  regex: ['(', '[a-', '*x', '(?<n>a)(?<n>b)'],
  currency: ['euro', 'eur'], product_path: ['/products/id', 'products/{id}'], time: ['25:00', '9:00', '14:60'],
  apply_url: ['/discount', 'javascript:{code}'], recovery_url: ['ftp://shop.example/cart', '/cart'],
  deadline: ['2026-12-24', 'christmas'], api_key_env: ['lower-case'], contact: ['x'], country: ['de', 'Germany'],
  text: ['x'.repeat(601)], headline: ['x'.repeat(121), ''], label: ['x'.repeat(61), ''], name: [''],
};

/** Keys that exist nowhere in the schema, nor are locale tags or rule fields. */
const UNKNOWN_KEYS = ['zz_extra', 'colour', 'txet', 'enabledd', 'popup_delay', 'Type'];

/** A mutated valid config: `value` is JSON-cloned, `rand` decides. Undefined when this value offers no such mutation. */
function mutateValue(kind: string, value: Obj, rand: () => number, style: Style): Mutated | undefined {
  // A JSON copy: the generator shares some objects (fc.constant), and a mutation must change one node only.
  const v = JSON.parse(JSON.stringify(value)) as Obj;
  const pick = <T>(xs: T[]): T | undefined => (xs.length ? xs[Math.floor(rand() * xs.length)] : undefined);
  const all = nodes(v).filter((n) => n.path.length > 0);
  const leaves = all.filter((n) => n.value === null || typeof n.value !== 'object');
  const campaigns = (v['campaigns'] as Obj[] | undefined) ?? [];
  let path: Path;
  let at: 'value' | 'key' = 'value';
  let message: RegExp;
  let paths: (p: Path) => string[] = (p) => [formatPath(p)];

  switch (kind) {
    case 'wrong type': {
      const leaf = pick(leaves.filter((n) => !inRule(n.path)));
      if (!leaf) return undefined;
      path = leaf.path;
      const x = leaf.value;
      const replacement: Json =
        typeof x === 'string' ? pick<Json>([7, true, [1]])! : typeof x === 'number' ? pick<Json>(['lots', true, [1]])! : pick<Json>(['maybe', 2, ['x']])!;
      set(v, path, replacement);
      message = /expected|not allowed|must be|unknown type/;
      break;
    }
    case 'out of range': {
      const leaf = pick(leaves.filter((n) => typeof n.value === 'number' && !inRule(n.path) && bounds(n.path, get(v, n.path.slice(0, -1)) as Obj)));
      if (!leaf) return undefined;
      path = leaf.path;
      const b = bounds(path, get(v, path.slice(0, -1)) as Obj)!;
      const options: number[] = [b.exclusiveMin ? b.min : b.min - 1, b.exclusiveMin ? b.min - 3 : b.min - 0.001 * Math.max(1, Math.abs(b.min))];
      if (Number.isFinite(b.max)) options.push(b.max + 1, b.max + 0.5, b.max * 10 + 10);
      if (b.int) options.push(b.min + 0.5);
      set(v, path, pick(options)!);
      message = /must be (at least|at most|greater than|less than)|whole number/;
      break;
    }
    case 'invalid string': {
      // (Not a topic id: the campaigns about that topic would then name an unknown one, rightly reported too.)
      const leaf = pick(leaves.filter((n) => typeof n.value === 'string' && BAD_STRINGS[String(n.path.at(-1))] && (String(n.path.at(-1)) === 'regex' || !inRule(n.path)) && n.path[0] !== 'preferences' && !n.path.includes('custom_headers')));
      if (!leaf) return undefined;
      path = leaf.path;
      const bad = pick(BAD_STRINGS[String(path.at(-1))]!.filter((s) => s !== leaf.value))!;
      set(v, path, bad);
      message = /./;
      break;
    }
    case 'bad regex': {
      // A regex operator in a rule, or (when the config has none) one added to a campaign's audience.
      const leaf = pick(leaves.filter((n) => n.path.at(-1) === 'regex' && typeof n.value === 'string'));
      if (leaf) path = leaf.path;
      else if (campaigns.length) {
        const i = Math.floor(rand() * campaigns.length);
        campaigns[i]!['audience'] = { 'page.path': { regex: 'x' } };
        path = ['campaigns', i, 'audience', 'page.path', 'regex'];
      } else return undefined;
      set(v, path, pick(['(', '[a-', '*x', 'a{2,1}', '(?<n>a)(?<n>b)', '\\'])!);
      message = /not a valid regular expression/;
      break;
    }
    case 'bad glob': {
      const leaf = pick(leaves.filter((n) => typeof n.value === 'string' && n.value.startsWith('/') && ['include', 'exclude', 'pages'].includes(String(n.path.at(-2)))));
      if (!leaf) return undefined;
      path = leaf.path;
      set(v, path, pick(['products/**', '*.html', 'https://shop.example/**'])!);
      message = /starts with "\/"/;
      break;
    }
    case 'unknown key': {
      const maps = all.filter((n) => n.value !== null && typeof n.value === 'object' && !Array.isArray(n.value) && !(n.path.length === 1 && n.path[0] === 'segments'));
      const target = pick([{ path: [] as Path, value: v as Json }, ...maps])!;
      const obj = target.value as Obj;
      const key = pick(UNKNOWN_KEYS.filter((k) => !(k in obj)))!;
      obj[key] = 1;
      path = [...target.path, key];
      at = 'key';
      // A rule reports the field itself; a mapping the key in it; a record of languages or segments the name.
      paths = (p) => [formatPath(p.slice(0, -1)), formatPath(p)];
      message = /unknown (key|field|operator)|invalid name/;
      break;
    }
    case 'duplicate id': {
      const withVariants = campaigns.map((c, i) => [c, i] as const).filter(([c]) => Array.isArray(c['variants']) && (c['variants'] as Obj[]).length > 1);
      const topics = ((v['preferences'] as Obj | undefined)?.['topics'] as Obj[] | undefined) ?? [];
      const choices: Array<() => Path> = [];
      if (campaigns.length > 1)
        choices.push(() => {
          const j = 1 + Math.floor(rand() * (campaigns.length - 1));
          campaigns[j]!['id'] = campaigns[Math.floor(rand() * j)]!['id']!;
          return ['campaigns', j, 'id'];
        });
      if (withVariants.length)
        choices.push(() => {
          const [c, i] = pick(withVariants)!;
          const vs = c['variants'] as Obj[];
          const j = 1 + Math.floor(rand() * (vs.length - 1));
          vs[j]!['id'] = vs[Math.floor(rand() * j)]!['id']!;
          return ['campaigns', i, 'variants', j, 'id'];
        });
      if (topics.length > 1 && !campaigns.some((c) => c['topics'])) {
        choices.push(() => {
          const j = 1 + Math.floor(rand() * (topics.length - 1));
          topics[j]!['id'] = topics[Math.floor(rand() * j)]!['id']!;
          return ['preferences', 'topics', j, 'id'];
        });
      }
      const choice = pick(choices);
      if (!choice) return undefined;
      path = choice();
      message = /duplicate/;
      break;
    }
    case 'unknown type': {
      const triggers = campaigns.map((c, i) => [c, i] as const).filter(([c]) => c['trigger']);
      if (!campaigns.length) return undefined;
      if (triggers.length && rand() < 0.3) {
        const [, i] = pick(triggers)!;
        path = ['campaigns', i, 'trigger', 'type'];
        set(v, path, pick(['hover', 'exitintent', 'scroll', 'Page_Load'])!);
      } else {
        path = ['campaigns', Math.floor(rand() * campaigns.length), 'type'];
        set(v, path, pick(['popup', 'anouncement_bar', 'Modal', 'exit-offer', 'banner', 'newsletter'])!);
      }
      message = /unknown type/;
      break;
    }
    default:
      throw new Error(kind);
  }

  const text = render(v, { ...style, anchors: 0, json: false }, rand);
  const found = nodeAt(text, path);
  const target = at === 'key' ? found.key! : found.node;
  const offset = target.range![0];
  const { line, col } = lineCol(text, offset);
  // Every error lies between the key that holds the mutated node's mapping (a "missing field" is reported there)
  // and the end of the mutated node.
  const parent = path.length > 1 ? nodeAt(text, path.slice(0, -1)) : { node: found.node, key: found.key };
  const from = Math.min(parent.key?.range?.[0] ?? parent.node.range![0], offset);
  const what = `${formatPath(path)}${at === 'key' ? ' (added)' : ` = ${JSON.stringify(get(v, path))}`}`;
  return { kind, what, text, expect: { line, col, path: paths(path), message }, region: [from, Math.max(found.node.range![1], target.range![1])] };
}

/** A YAML syntax error made in the text of a valid config (block style, no multi-line strings). */
function mutateText(kind: string, value: Obj, rand: () => number): Mutated | undefined {
  const text = render(value, blockStyle, rand);
  const lines = text.split('\n');
  const pick = <T>(xs: T[]): T | undefined => (xs.length ? xs[Math.floor(rand() * xs.length)] : undefined);
  const structural = (l: string) => /^( +)(- |[A-Za-z_$][\w$.-]*:( |$))/.test(l);
  const candidates = lines.map((l, i) => [l, i] as const);
  const out = (ls: string[], line: number, message: RegExp, col?: number, near = false): Mutated => ({
    kind,
    what: `line ${line + 1}: ${JSON.stringify(ls[line])}`,
    text: ls.join('\n'),
    expect: { line: line + 1, ...(col !== undefined && { col }), message, near },
  });

  switch (kind) {
    case 'tab': {
      const c = pick(candidates.filter(([l]) => structural(l)));
      if (!c) return undefined;
      const [l, i] = c;
      const ls = [...lines];
      ls[i] = l.replace(/^ +/, (sp) => (rand() < 0.5 ? '\t' : `${sp.slice(1)}\t`));
      return out(ls, i, /tab/, undefined, true);
    }
    case 'bad indentation': {
      // A key or item one space off its siblings (not the first in its block: that one sets the indentation).
      const c = pick(candidates.filter(([l, i]) => i > 0 && structural(l) && /^( +)[A-Za-z_$]/.test(l) && (lines[i - 1]!.match(/^ */)![0].length === l.match(/^ */)![0].length) && !/:\s*$/.test(lines[i - 1]!)));
      if (!c) return undefined;
      const [l, i] = c;
      const ls = [...lines];
      ls[i] = rand() < 0.5 ? l.slice(1) : ` ${l}`;
      return out(ls, i, /./, undefined, true);
    }
    case 'unclosed quote': {
      const c = pick(candidates.filter(([l]) => /^ *(- )?[A-Za-z_$][\w$.-]*: [^"'\s#&*!|>%@`{[,-][^#]*$/.test(l)));
      if (!c) return undefined;
      const [l, i] = c;
      const rest = lines.slice(i).join('\n');
      const q = !rest.includes('"') ? '"' : !rest.includes("'") ? "'" : undefined;
      if (!q) return undefined;
      const at = l.indexOf(': ') + 2;
      const ls = [...lines];
      ls[i] = `${l.slice(0, at)}${q}${l.slice(at)}`;
      return out(ls, i, new RegExp(`missing the closing ${q}`), at + 1);
    }
    case 'duplicate key': {
      const c = pick(candidates.filter(([l]) => /^ *[A-Za-z_$][\w$.-]*: \S/.test(l)));
      if (!c) return undefined;
      const [l, i] = c;
      const ls = [...lines.slice(0, i + 1), l, ...lines.slice(i + 1)];
      return out(ls, i + 1, /duplicate key/, l.match(/^ */)![0].length + 1);
    }
    default:
      throw new Error(kind);
  }
}

const VALUE_KINDS = ['wrong type', 'out of range', 'invalid string', 'bad regex', 'bad glob', 'unknown key', 'duplicate id', 'unknown type'];
const TEXT_KINDS = ['tab', 'bad indentation', 'unclosed quote', 'duplicate key'];

const invalidArb: fc.Arbitrary<Mutated> = fc
  .tuple(configArb({ multiline: false }), fc.constantFrom(...VALUE_KINDS, ...TEXT_KINDS), styleArb, fc.integer())
  .map(([value, kind, style, seed]) => {
    const rand = mulberry(seed);
    return TEXT_KINDS.includes(kind) ? mutateText(kind, value, rand) : mutateValue(kind, value, rand, style);
  })
  .filter((m): m is Mutated => m !== undefined);

/** Why `m` is not reported as it should be, or undefined when it is. */
function misreport(m: Mutated, file = FILE): string | undefined {
  const r = parseConfig(m.text, file);
  if (r.ok) return `${m.kind} (${m.what}): accepted`;
  const shown = r.errors.map(formatConfigError).join('\n');
  const { line, col, path, message, near } = m.expect;
  const hit = (e: ConfigError) =>
    (near ? e.line === line || e.line === line - 1 : e.line === line && e.col === col) && (!path || path.includes(e.path)) && message.test(e.message);
  if (!r.errors.some(hit)) return `${m.kind} (${m.what}): expected an error at ${line}:${col ?? '*'}${path ? ` ${path.join(' or ')}` : ''} matching ${message}, got\n${shown}`;
  if (m.region) {
    const [from, to] = m.region;
    const a = lineCol(m.text, from);
    const b = lineCol(m.text, to);
    const inside = (e: ConfigError) => (e.line > a.line || (e.line === a.line && e.col >= a.col)) && (e.line < b.line || (e.line === b.line && e.col <= b.col));
    const stray = r.errors.filter((e) => !inside(e));
    if (stray.length) return `${m.kind} (${m.what}): errors outside ${a.line}:${a.col}–${b.line}:${b.col}:\n${stray.map(formatConfigError).join('\n')}\n(all: ${shown})`;
  }
  return undefined;
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 80), i + 60)}… instead of …${b.slice(Math.max(0, i - 80), i + 60)}…`;
}

/** parseConfig that must succeed. */
function load(text: string) {
  const r = parseConfig(text, FILE);
  if (!r.ok) throw new Error(`rejected:\n${r.errors.map(formatConfigError).join('\n')}\n--- text ---\n${text}`);
  return r;
}

// =====================================================================================================================

describe('valid configs', () => {
  it(`every generated valid config loads, to the same config and version however it is written (${RUNS.valid} runs)`, () => {
    let runs = 0;
    fc.assert(
      fc.property(configArb({ multiline: true }), styleArb, styleArb, fc.integer(), (value, s1, s2, seed) => {
        const rand = mulberry(seed);
        const expected = KairosConfig.safeParse(value);
        // The generator only writes what the schema allows; the semantic checks are the loader's.
        if (!expected.success) throw new Error(`generator bug: ${JSON.stringify(expected.error.issues.slice(0, 3))}`);
        const text = render(value, s1, rand);
        const r = load(text);
        // Compared as JSON: a failing deep diff of two large configs takes vitest minutes to print.
        const [got, want] = [JSON.stringify(r.config), JSON.stringify(expected.data)];
        if (got !== want) throw new Error(`loaded differently: ${firstDifference(got, want)}\n--- text ---\n${text}`);
        const text2 = render(value, s2, rand);
        if (load(text2).etag !== r.etag) throw new Error(`another version when written another way:\n--- text ---\n${text}\n--- other text ---\n${text2}`);
        runs++;
      }),
      { seed: SEED, numRuns: RUNS.valid },
    );
    console.log(`config properties: ${runs} valid configs loaded, each written two ways (seed ${SEED}; ${stringifierSlips} renderings yaml's stringifier got wrong, rewritten)`);
  }, PROPERTY_TIMEOUT);
});

describe('invalid configs', () => {
  it(`every mutated config is rejected with file:line:col at the mutated node, and no error elsewhere (${RUNS.invalid} runs)`, () => {
    const kinds = new Map<string, number>();
    fc.assert(
      fc.property(invalidArb, (m) => {
        const why = misreport(m);
        if (why) throw new Error(`${why}\n--- text ---\n${m.text}`);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: RUNS.invalid },
    );
    // Every kind of mutation was tried.
    expect([...kinds.keys()].sort()).toEqual([...VALUE_KINDS, ...TEXT_KINDS].sort());
    console.log(`config properties: ${[...kinds.values()].reduce((a, b) => a + b, 0)} invalid configs rejected at the mutated node (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})`);
  }, PROPERTY_TIMEOUT);

  it('kairos validate prints the same file:line:col messages and exits 1', async () => {
    const sample = fc.sample(invalidArb, { seed: SEED, numRuns: RUNS.cli });
    const files = sample.map((m, i) => {
      const f = join(dir, `invalid-${i}.yaml`);
      writeFileSync(f, m.text);
      return f;
    });
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
      const child = spawn(process.execPath, ['bin/kairos.js', 'validate', ...files], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', fail);
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const expected = sample.flatMap((m, i) => {
      const r = parseConfig(m.text, files[i]!);
      expect(misreport(m, files[i]!)).toBeUndefined();
      return r.ok ? [] : r.errors.map(formatConfigError);
    });
    expect(run.stderr).toBe(expected.map((l) => `${l}\n`).join(''));
    // And each file's mutated node is named there (misreport, above, checked where).
    sample.forEach((m, i) => expect(run.stderr).toMatch(new RegExp(`^${files[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(${m.expect.line}|${m.expect.line - 1}):`, 'm')));
  }, 30_000);
});

// Shrunk counterexamples, kept with the messages they now get. Each was reported at the wrong node or in the wrong
// words before server/config.ts chose a union's option by the keys written (closestBranch) and named tabs after spaces,
// and server/schema.ts stopped repeating a malformed countdown's error.
describe('regressions: shrunk counterexamples', () => {
  const c = (...ls: string[]) => ['campaigns:', '  - id: a', ...ls, ''].join('\n');
  const cases: [name: string, source: string, errors: string[]][] = [
    [
      'wrong type inside auto_pause: the mapping, not the `false` option (was "auto_pause: must be false, got a mapping")',
      c('    type: modal', '    content: { headline: Hi }', '    auto_pause: { max_dismiss_rate: [1] }'),
      ['kairos.yaml:5:37 campaigns[0].auto_pause.max_dismiss_rate: expected a number, got a list'],
    ],
    [
      'wrong type inside frequency limits (was "frequency: a mapping is not allowed; use one of: always, …")',
      c('    type: modal', '    content: { headline: Hi }', '    frequency: { per_session: lots }'),
      ['kairos.yaml:5:31 campaigns[0].frequency.per_session: expected a number, got "lots"'],
    ],
    [
      'a pool coupon with a wrong type (was "coupon.code: missing required field" and "unknown key pool")',
      c('    type: exit_offer', '    content: { headline: Hi }', '    coupon: { pool: 5 }'),
      ['kairos.yaml:5:21 campaigns[0].coupon.pool: expected text, got 5'],
    ],
    [
      'a misspelt pool key suggests pool (was "use one of: code")',
      c('    type: exit_offer', '    content: { headline: Hi }', '    coupon: { pol: codes.txt }'),
      ['kairos.yaml:5:5 campaigns[0].coupon.code: missing required field "code"', 'kairos.yaml:5:15 campaigns[0].coupon: unknown key "pol"; did you mean "pool"?'],
    ],
    [
      'a recurring countdown with a bad time: once, at the time (was also at countdown, and as a fixed deadline)',
      c('    type: countdown_bar', '    content: { text: "Order within {{countdown}}" }', '    countdown: { every: { time: "25:00" } }'),
      ['kairos.yaml:5:33 campaigns[0].countdown.every.time: a time HH:MM such as 14:00'],
    ],
    [
      'an unknown key beside every: the recurring keys (was "use one of: deadline, timezone")',
      c('    type: countdown_bar', '    content: { text: "Order within {{countdown}}" }', '    countdown: { every: { time: "14:00" }, zz_extra: 1 }'),
      ['kairos.yaml:5:44 campaigns[0].countdown: unknown key "zz_extra"; use one of: every'],
    ],
    [
      'a tab after spaces in the indentation (was "bad indentation: all mapping items must start at the same column")',
      ['site:', '  name: Shop', ' \tallowed_origins: []', 'campaigns: []', ''].join('\n'),
      ['kairos.yaml:3:3 tabs are not allowed for indentation; use spaces'],
    ],
  ];
  it.each(cases)('%s', (_name, source, errors) => {
    const r = parseConfig(source, 'kairos.yaml');
    expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual(errors);
  });
});

describe('reload', () => {
  it('a running ConfigSource keeps the last good config through random invalid saves and adopts the next valid one', async () => {
    const file = join(dir, 'watched.yaml');
    const valid = fc.sample(fc.tuple(configArb({ multiline: true }), styleArb, fc.integer()), { seed: SEED + 1, numRuns: RUNS.reloads + 1 }).map(([v, s, seed]) => render(v, s, mulberry(seed)));
    const invalid = fc.sample(invalidArb, { seed: SEED + 2, numRuns: RUNS.reloads });
    const errors: string[] = [];
    const log: ConfigLog = { info: () => undefined, error: (msg) => void errors.push(msg) };
    await writeFile(file, valid[0]!);
    const source = await ConfigSource.open(file, log);
    try {
      for (let i = 0; i < RUNS.reloads; i++) {
        const good = source.current;
        const goodText = source.text;
        const bad = invalid[i]!;
        const r = parseConfig(bad.text, file);
        if (r.ok) throw new Error('an invalid config loaded');
        errors.length = 0;
        await writeFile(file, bad.text);
        // Every error is logged as file:line:col, and the good config keeps serving.
        const lines = r.errors.map(formatConfigError);
        await vi.waitFor(() => expect(errors.slice(-lines.length)).toEqual(lines), { timeout: 5_000, interval: 20 });
        expect(misreport(bad, file)).toBeUndefined();
        expect(source.current).toBe(good);
        expect(source.text).toBe(goodText);

        const next = valid[i + 1]!;
        const want = parseConfig(next, file);
        if (!want.ok) throw new Error('a valid config failed');
        await writeFile(file, next);
        await vi.waitFor(() => expect(source.text).toBe(next), { timeout: 5_000, interval: 20 });
        expect(source.current.etag).toBe(want.etag);
        expect(source.current.config).toEqual(want.config);
      }
    } finally {
      await source.close();
    }
  }, 60_000);
});
