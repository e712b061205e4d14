import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, vi } from 'vitest';
import { compile, configJsonSchema, formatConfigError, loadConfigFile, parseConfig } from '../server/config';
import { isCopyPerLocale, KairosConfig, RULE_FIELDS } from '../server/schema';

const fixtures = join(import.meta.dirname, 'fixtures', 'config');

/** One argument per line, so line N of the file is argument N. */
const lines = (...ls: string[]) => `${ls.join('\n')}\n`;

function errorsOf(source: string, file = 'kairos.yaml'): string[] {
  const result = parseConfig(source, file);
  return result.ok ? [] : result.errors.map(formatConfigError);
}

// A valid campaign's first lines, to keep cases short: line 1 `campaigns:`, line 2 `- id`, line 3 `type`.
const head = ['campaigns:', '  - id: summer', '    type: announcement_bar'];

// [name, source, the errors a marketer sees]
const cases: [name: string, source: string, expected: string[]][] = [
  [
    'YAML: a key indented less than its siblings',
    lines(...head, '  content:', '      text: hi'),
    ['kairos.yaml:4:3 bad indentation: all mapping items must start at the same column'],
  ],
  [
    'YAML: an unclosed quote points at the opening quote, not the end of the file',
    lines(...head, '    content:', '      text: "Summer sale', '  - id: winter', '    type: announcement_bar'),
    ['kairos.yaml:5:13 missing the closing " for the quote that starts here'],
  ],
  [
    'YAML: tabs as indentation',
    lines('campaigns:', '  - id: summer', '\ttype: announcement_bar'),
    ['kairos.yaml:3:2 tabs are not allowed for indentation; use spaces'],
  ],
  [
    'YAML: the same key twice',
    lines(...head, '    content: { text: hi }', '    type: announcement_bar'),
    ['kairos.yaml:5:5 duplicate key "type": each key may appear once per mapping'],
  ],
  ['an empty file', lines('# nothing here yet'), ['kairos.yaml:1:1 the file is empty; it needs at least "campaigns:"']],
  [
    'unknown campaign type lists the types',
    lines('campaigns:', '  - id: summer', '    type: popup', '    content: { text: hi }'),
    ['kairos.yaml:3:11 campaigns[0].type: unknown type "popup"; use one of: announcement_bar, modal, exit_offer, cart_reminder, viewing_now, recent_purchases, countdown_bar, free_shipping_bar, newsletter_bar'],
  ],
  [
    'misspelt campaign type',
    lines('campaigns:', '  - id: summer', '    type: anouncement_bar', '    content: { text: hi }'),
    [
      'kairos.yaml:3:11 campaigns[0].type: unknown type "anouncement_bar" (did you mean "announcement_bar"?); use one of: announcement_bar, modal, exit_offer, cart_reminder, viewing_now, recent_purchases, countdown_bar, free_shipping_bar, newsletter_bar',
    ],
  ],
  [
    'misspelt `type` key',
    lines('campaigns:', '  - id: summer', '    typ: announcement_bar', '    content: { text: hi }'),
    ['kairos.yaml:3:5 campaigns[0].type: missing "type" (is "typ" a typo?); use one of: announcement_bar, modal, exit_offer, cart_reminder, viewing_now, recent_purchases, countdown_bar, free_shipping_bar, newsletter_bar'],
  ],
  [
    'missing content.text points at content',
    lines(...head, '    content:', '      dismissible: false'),
    ['kairos.yaml:4:5 campaigns[0].content.text: missing required field "text"'],
  ],
  [
    'empty text',
    lines(...head, '    content:', '      text: ""'),
    ['kairos.yaml:5:13 campaigns[0].content.text: must not be empty'],
  ],
  [
    'empty value where a mapping belongs',
    lines(...head, '    content:'),
    ['kairos.yaml:4:5 campaigns[0].content: expected a mapping (key: value), got an empty value'],
  ],
  [
    'unknown key with a did-you-mean (and the missing key it was meant to be)',
    lines(...head, '    content:', '      txt: Summer sale'),
    [
      'kairos.yaml:4:5 campaigns[0].content.text: missing required field "text"',
      'kairos.yaml:5:7 campaigns[0].content: unknown key "txt"; did you mean "text"?',
    ],
  ],
  [
    'unknown key without a near miss lists the allowed keys',
    lines('campaigns: []', 'sites:', '  name: Shop'),
    ['kairos.yaml:2:1 unknown key "sites"; did you mean "site"?'],
  ],
  [
    'unknown top-level key',
    lines('campaigns: []', 'banners: []'),
    ['kairos.yaml:2:1 unknown key "banners"; use one of: $schema, site, fatigue, segments, context, presence, cart, webhooks, privacy, preferences, attribution, auto_pause, campaigns'],
  ],
  [
    'a campaign about a topic the preference centre does not name',
    lines('preferences:', '  topics: [{ id: sales, label: Sales }]', 'campaigns:', '  - id: promo', '    type: announcement_bar', '    topics: [sales, news]', '    content: { text: Sale }'),
    ['kairos.yaml:6:21 campaigns[0].topics[1]: unknown topic "news": defined: sales'],
  ],
  [
    'a variant that changes the targeting (variants change copy, look, position and offer only)',
    lines('campaigns:', '  - id: promo', '    type: modal', '    content: { headline: Hi }', '    variants:', '      - id: a', '      - id: b', '        audience: { country: FR }'),
    ['kairos.yaml:8:9 campaigns[0].variants[1]: unknown key "audience"; use one of: id, weight, content, theme'],
  ],
  [
    'two variants with one id, and one called holdout',
    lines('campaigns:', '  - id: promo', '    type: modal', '    content: { headline: Hi }', '    variants: [{ id: a }, { id: holdout }, { id: a }]'),
    [
      'kairos.yaml:5:33 campaigns[0].variants[1].id: "holdout" names the shoppers held out; pick another id',
      'kairos.yaml:5:50 campaigns[0].variants[2].id: duplicate variant "a" (also variants[0])',
    ],
  ],
  [
    'a holdout of everyone',
    lines('campaigns:', '  - id: promo', '    type: modal', '    content: { headline: Hi }', '    holdout_percent: 100'),
    ['kairos.yaml:5:22 campaigns[0].holdout_percent: must be at most 90'],
  ],
  [
    'auto_pause without a limit',
    lines('auto_pause: { min_impressions: 100 }', 'campaigns: []'),
    ['kairos.yaml:1:13 auto_pause: give max_dismiss_rate, max_irritation_rate or both'],
  ],
  [
    'a dismiss rate given in percent',
    lines('campaigns:', '  - id: promo', '    type: modal', '    content: { headline: Hi }', '    auto_pause: { max_dismiss_rate: 60 }'),
    ['kairos.yaml:5:37 campaigns[0].auto_pause.max_dismiss_rate: must be at most 1'],
  ],
  [
    'a topic named twice',
    lines('preferences:', '  topics:', '    - { id: sales, label: Sales }', '    - { id: sales, label: Discounts }', 'campaigns: []'),
    ['kairos.yaml:4:13 preferences.topics[1].id: duplicate topic "sales"'],
  ],
  [
    'a javascript: link',
    lines(...head, '    content:', '      text: Sale', '      link: { label: Go, url: "javascript:alert(1)" }'),
    ['kairos.yaml:6:31 campaigns[0].content.link.url: a link is a path starting with "/" or an http(s):// URL'],
  ],
  [
    'a misspelt time zone',
    lines(...head, '    schedule: { start: 2026-07-01, timezone: Europe/Berln }', '    content: { text: Sale }'),
    [
      'kairos.yaml:4:46 campaigns[0].schedule.timezone: not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC); did you mean "Europe/Berlin"?',
    ],
  ],
  [
    'a bad id',
    lines('campaigns:', '  - id: Summer Sale', '    type: announcement_bar', '    content: { text: Sale }'),
    ['kairos.yaml:2:9 campaigns[0].id: use 1–64 lowercase letters, digits, "-" or "_", starting with a letter or digit'],
  ],
  [
    'duplicate ids',
    lines(...head, '    content: { text: One }', '  - id: summer', '    type: announcement_bar', '    content: { text: Two }'),
    ['kairos.yaml:5:9 campaigns[1].id: duplicate id "summer" (also campaigns[0])'],
  ],
  [
    'end before start, compared as UTC instants (09:00 Berlin is 07:00Z; 09:30+05:00 is 04:30Z)',
    lines(
      ...head,
      '    schedule:',
      '      timezone: Europe/Berlin',
      '      start: 2026-07-01T09:00',
      '      end: 2026-07-01T09:30+05:00',
      '    content: { text: Sale }',
    ),
    ['kairos.yaml:7:12 campaigns[0].schedule.end: must be after start'],
  ],
  [
    'a date that does not exist',
    lines(...head, '    schedule: { start: 2026-02-30 }', '    content: { text: Sale }'),
    ['kairos.yaml:4:24 campaigns[0].schedule.start: day must be 01–28 in 2026-02'],
  ],
  [
    'a date-time in another format',
    lines(...head, '    schedule: { start: 1 July 2026 }', '    content: { text: Sale }'),
    ['kairos.yaml:4:24 campaigns[0].schedule.start: use an ISO date or date-time, e.g. 2026-07-01 or 2026-07-01T09:00'],
  ],
  [
    '`enabled: "yes"` is text, not a boolean',
    lines(...head, '    enabled: "yes"', '    content: { text: Sale }'),
    ['kairos.yaml:4:14 campaigns[0].enabled: expected true or false, got "yes"'],
  ],
  [
    '`enabled: yes` unquoted is text too in YAML 1.2',
    lines(...head, '    enabled: yes', '    content: { text: Sale }'),
    ['kairos.yaml:4:14 campaigns[0].enabled: expected true or false, got "yes"'],
  ],
  [
    'an option outside the enum',
    lines(...head, '    position: middle', '    content: { text: Sale }'),
    ['kairos.yaml:4:15 campaigns[0].position: "middle" is not allowed; use one of: top, bottom'],
  ],
  [
    'numbers out of range and not whole',
    lines(...head, '    priority: 1001', '    content: { text: Sale }', '  - id: winter', '    type: announcement_bar', '    priority: 2.5', '    content: { text: Sale }'),
    [
      'kairos.yaml:4:15 campaigns[0].priority: must be at most 1000',
      'kairos.yaml:8:15 campaigns[1].priority: expected a whole number, got 2.5',
    ],
  ],
  [
    'text too long',
    lines(...head, `    content: { text: ${'x'.repeat(300)} }`),
    ['kairos.yaml:4:22 campaigns[0].content.text: must be at most 280 characters (it has 300)'],
  ],
  [
    'campaigns must be a list',
    lines('campaigns:', '  id: summer', '  type: announcement_bar'),
    ['kairos.yaml:2:3 campaigns: expected a list, got a mapping'],
  ],
  [
    'a JSON file with an error keeps its positions',
    readFileSync(join(fixtures, 'bad.json'), 'utf8'),
    [
      'kairos.json:6:18 campaigns[0].enabled: expected true or false, got "true"',
      'kairos.json:9:43 campaigns[0].content.link.url: a link is a path starting with "/" or an http(s):// URL',
    ],
  ],
  [
    'a JSON syntax error',
    lines('{', '  "campaigns": [', '    { "id": "summer" "type": "announcement_bar" }', '  ]', '}'),
    ['kairos.json:3:22 expected \',\' or \'}\' after property value'],
  ],
  // targeting rules (line 4 is the campaign's content, so audiences start on line 5)
  [
    'an audience with a misspelt field points at the field and suggests one',
    lines(...head, '    content: { text: Sale }', '    audience:', '      cart.valu: { gte: 50 }'),
    ['kairos.yaml:6:7 campaigns[0].audience.cart.valu: unknown field "cart.valu" (did you mean "cart.value"?)'],
  ],
  [
    'misspelt fields inside all and not',
    lines(...head, '    content: { text: Sale }', '    audience:', '      all:', '        - device.typ: mobile', '        - not: { geo.contry: DE }'),
    [
      'kairos.yaml:7:11 campaigns[0].audience.all[0].device.typ: unknown field "device.typ" (did you mean "device.type"?)',
      'kairos.yaml:8:18 campaigns[0].audience.all[1].not.geo.contry: unknown field "geo.contry" (did you mean "geo.country"?)',
    ],
  ],
  [
    'an unknown field without a near miss lists the field families',
    lines(...head, '    content: { text: Sale }', '    audience: { weather.max_temp: { gte: 25 } }'),
    [
      'kairos.yaml:5:17 campaigns[0].audience.weather.max_temp: unknown field "weather.max_temp"; use a field of page.…, referrer.…, utm.…, device.…, visitor.…, session.…, viewed.…, cart.…, orders.…, traits.…, geo.…, weather.…, locale, language, time.…, or all, any, not, segment, weather (see "Targeting" in the README)',
    ],
  ],
  [
    'a misspelt operator',
    lines(...head, '    content: { text: Sale }', '    audience:', '      cart.value: { gtee: 50 }'),
    ['kairos.yaml:6:21 campaigns[0].audience.cart.value: unknown operator "gtee"; did you mean "gte"?'],
  ],
  [
    'an unknown operator lists the operators',
    lines(...head, '    content: { text: Sale }', '    audience: { cart.value: { between: [1, 2] } }'),
    [
      'kairos.yaml:5:31 campaigns[0].audience.cart.value: unknown operator "between"; use one of: eq, ne, in, not_in, gt, gte, lt, lte, contains, not_contains, starts_with, ends_with, matches, regex, exists',
    ],
  ],
  [
    'a number compared with text: the operator is named (no coercion)',
    lines(...head, '    content: { text: Sale }', '    audience: { cart.value: { gte: "50" } }'),
    ['kairos.yaml:5:36 campaigns[0].audience.cart.value.gte: expected a number, got "50"'],
  ],
  [
    'a field without a condition',
    lines(...head, '    content: { text: Sale }', '    audience:', '      cart.value:'),
    ['kairos.yaml:6:7 campaigns[0].audience.cart.value: expected a value, a list of values, or operators such as { gte: 2 }; got an empty value'],
  ],
  [
    'an empty operator mapping',
    lines(...head, '    content: { text: Sale }', '    audience: { cart.value: {} }'),
    ['kairos.yaml:5:29 campaigns[0].audience.cart.value: give at least one operator, e.g. { gte: 2 }'],
  ],
  [
    'an empty audience',
    lines(...head, '    content: { text: Sale }', '    audience: {}'),
    ['kairos.yaml:5:15 campaigns[0].audience: an empty rule; give a field, all, any, not or segment'],
  ],
  [
    'a bad regular expression',
    lines(...head, '    content: { text: Sale }', '    audience: { page.path: { regex: "(" } }'),
    ['kairos.yaml:5:37 campaigns[0].audience.page.path.regex: not a valid regular expression'],
  ],
  [
    'an unknown segment with a did-you-mean',
    lines('segments:', '  big-spenders: { orders.total: { gte: 500 } }', ...head, '    content: { text: Sale }', '    audience: { segment: big-spender }'),
    ['kairos.yaml:7:26 campaigns[0].audience.segment: unknown segment "big-spender" (did you mean "big-spenders"?)'],
  ],
  [
    'an unknown segment lists the defined ones',
    lines('segments:', '  vip: { traits.vip: true }', ...head, '    content: { text: Sale }', '    audience: { not: { segment: newsletter } }'),
    ['kairos.yaml:7:33 campaigns[0].audience.not.segment: unknown segment "newsletter"; defined: vip'],
  ],
  [
    'an unknown segment when none is defined',
    lines(...head, '    content: { text: Sale }', '    audience: { segment: vip }'),
    ['kairos.yaml:5:26 campaigns[0].audience.segment: unknown segment "vip"; define it under segments:'],
  ],
  [
    'segments that refer to each other in a loop',
    lines('segments:', '  a: { segment: b }', '  b: { any: [ { segment: a }, { cart.items: 1 } ] }', 'campaigns: []'),
    [
      'kairos.yaml:2:6 segments.a: segments refer to each other in a loop: a → b → a',
      'kairos.yaml:3:6 segments.b: segments refer to each other in a loop: b → a → b',
    ],
  ],
  [
    'a segment name that is not an id points at the name',
    lines('segments:', '  Big Spenders: { orders.total: { gte: 500 } }', 'campaigns: []'),
    ['kairos.yaml:2:3 segments: invalid name "Big Spenders": use 1–64 lowercase letters, digits, "-" or "_", starting with a letter or digit'],
  ],
  // triggers, frequency, fatigue
  [
    'a misspelt trigger type',
    lines(...head, '    content: { text: Sale }', '    trigger: { type: exit_intnet }'),
    [
      'kairos.yaml:5:22 campaigns[0].trigger.type: unknown type "exit_intnet" (did you mean "exit_intent"?); use one of: page_load, time_on_page, scroll_depth, inactivity, click, page_views, event, cart, viewers, exit_intent',
    ],
  ],
  [
    'a trigger without its setting',
    lines(...head, '    content: { text: Sale }', '    trigger:', '      type: scroll_depth'),
    ['kairos.yaml:5:5 campaigns[0].trigger.percent: missing required field "percent"'],
  ],
  [
    'a frequency word that does not exist names the words and the other form',
    lines(...head, '    content: { text: Sale }', '    frequency: twice'),
    ['kairos.yaml:5:16 campaigns[0].frequency: "twice" is not allowed; use one of: always, once, once_per_session, or a mapping (key: value)'],
  ],
  [
    'a misspelt frequency limit',
    lines(...head, '    content: { text: Sale }', '    frequency: { per_sesion: 1 }'),
    ['kairos.yaml:5:18 campaigns[0].frequency: unknown key "per_sesion"; did you mean "per_session"?'],
  ],
  [
    'a misspelt fatigue limit',
    lines('fatigue: { modals_per_sesion: 2 }', 'campaigns: []'),
    ['kairos.yaml:1:12 fatigue: unknown key "modals_per_sesion"; did you mean "modals_per_session"?'],
  ],
];

describe('parseConfig errors', () => {
  it.each(cases)('%s', (_name, source, expected) => {
    const file = source.startsWith('{') ? 'kairos.json' : 'kairos.yaml';
    expect(errorsOf(source, file)).toEqual(expected);
  });

  it('reports every problem at once, in file order', () => {
    const source = lines(
      'campaigns:',
      '  - id: Summer',
      '    type: announcement_bar',
      '    enabled: "no"',
      '    content: { text: "", colour: red }',
    );
    expect(errorsOf(source)).toEqual([
      'kairos.yaml:2:9 campaigns[0].id: use 1–64 lowercase letters, digits, "-" or "_", starting with a letter or digit',
      'kairos.yaml:4:14 campaigns[0].enabled: expected true or false, got "no"',
      'kairos.yaml:5:22 campaigns[0].content.text: must not be empty',
      'kairos.yaml:5:26 campaigns[0].content: unknown key "colour"; use one of: text, link, dismissible',
    ]);
  });

  it('writes nothing to the console', () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    const warning = vi.spyOn(process, 'emitWarning');
    try {
      for (const [, source] of cases) parseConfig(source, 'kairos.yaml');
      parseConfig('a: !!binary x\nb: !custom 1\n? [complex, key]\n: 1\n', 'kairos.yaml');
      for (const spy of [...spies, warning]) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of [...spies, warning]) spy.mockRestore();
    }
  });

  it('uses the file name as the caller gave it, and a bare position for file-level errors', () => {
    expect(errorsOf('campaigns: [\n', 'config/kairos.json')).toEqual([
      'config/kairos.json:2:1 bad indentation: flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(formatConfigError({ file: 'a.yaml', line: 1, col: 1, path: '', message: 'file not found' })).toBe(
      'a.yaml:1:1 file not found',
    );
  });
});

describe('YAML 1.2 scalars', () => {
  it('keeps NO, yes, 22:30 and dates as text (no Norway problem), even under a %YAML 1.1 directive', () => {
    for (const directive of [[], ['%YAML 1.1', '---']]) {
      const source = lines(
        ...directive,
        'site: { name: NO }',
        'campaigns:',
        '  - id: no',
        '    type: announcement_bar',
        '    schedule: { start: 2026-07-01 }',
        '    content: { text: 22:30, link: { label: yes, url: /sale } }',
      );
      const result = parseConfig(source, 'kairos.yaml');
      expect(result.ok && result.config).toMatchObject({
        site: { name: 'NO' },
        campaigns: [{ id: 'no', schedule: { start: '2026-07-01' }, content: { text: '22:30', link: { label: 'yes' } } }],
      });
    }
  });
});

describe('compiling a good config', () => {
  const yaml = parseConfig(readFileSync(join(fixtures, 'good.yaml'), 'utf8'), 'good.yaml');
  const json = parseConfig(readFileSync(join(fixtures, 'good.json'), 'utf8'), 'good.json');

  it('drops disabled campaigns and server-only fields, resolves schedules, fills defaults', () => {
    expect(yaml.ok).toBe(true);
    if (!yaml.ok) return;
    expect(yaml.public.campaigns).toEqual([
      {
        id: 'summer-sale',
        type: 'announcement_bar',
        priority: 0,
        position: 'bottom',
        push: false,
        // 09:00 and 23:59 Berlin summer time (UTC+2)
        schedule: { start: Date.UTC(2026, 6, 1, 7, 0), end: Date.UTC(2026, 6, 14, 21, 59) },
        pages: { include: ['/products/**'], exclude: ['/checkout/**'] },
        content: { text: 'Summer sale ends soon', link: { label: 'Shop now', url: '/collections/sale' }, dismissible: true },
        theme: { background: '#1f2a44', color: '#ffffff' },
        trigger: { type: 'page_load', delay_seconds: 0 },
        frequency: 'always',
        recontact_days: 7,
        stop_after_conversion: true,
      },
      {
        id: 'free-shipping',
        type: 'announcement_bar',
        priority: 5,
        position: 'top',
        push: false,
        pages: { include: ['/**'], exclude: [] },
        content: { text: 'NO shipping costs on orders over 50 €', dismissible: false },
        theme: { background: '#1f2a44', color: '#ffffff' },
        trigger: { type: 'page_load', delay_seconds: 0 },
        frequency: 'always',
        recontact_days: 7,
        stop_after_conversion: true,
      },
    ]);
    expect(JSON.stringify(yaml.public)).not.toMatch(/"enabled"|"site"|allowed_origins|timezone/);
    expect(yaml.public.version).toMatch(/^[0-9a-f]{16}$/);
    expect(yaml.etag).toBe(`"${yaml.public.version}"`);
    // The server keeps the full config.
    expect(yaml.config.site).toEqual({ name: 'Example shop', allowed_origins: ['https://shop.example'] });
    expect(yaml.config.campaigns).toHaveLength(3);
  });

  it('gives the same version for the same config as YAML and as JSON (key order does not matter)', () => {
    expect(json.ok && yaml.ok).toBe(true);
    if (!json.ok || !yaml.ok) return;
    expect(json.public).toEqual(yaml.public);
    expect(json.public.version).toBe(yaml.public.version);
  });

  it('changes the version when public content changes, not when server-only fields do', () => {
    if (!yaml.ok) throw new Error('fixture should parse');
    const base = yaml.config;
    const renamed = compile({ ...base, site: { ...base.site, name: 'Other' } });
    expect(renamed.version).toBe(yaml.public.version);
    const edited = compile({
      ...base,
      campaigns: base.campaigns.map((c, i) =>
        i === 0 && c.type === 'announcement_bar' ? { ...c, content: { ...c.content, text: 'Changed' } } : c,
      ),
    });
    expect(edited.version).not.toBe(yaml.public.version);
  });

  it('allows a $schema key and a yaml-language-server comment', () => {
    const result = parseConfig(lines('# yaml-language-server: $schema=./schema.json', '$schema: ./schema.json', 'campaigns: []'), 'k.yaml');
    expect(result.ok && result.public).toEqual({
      version: expect.stringMatching(/^[0-9a-f]{16}$/),
      campaigns: [],
      segments: {},
      fatigue: { modals_per_session: 1, modals_per_day: 3 },
      cart: { adapters: [{ type: 'events', pages: ['/**'] }], currency: 'EUR', pages: ['/cart/**', '/checkout/**'] },
      privacy: { consent: 'not_required', respect_dnt: false }, // retention_days stays on the server
      preferences: { link: true, label: 'Offer preferences', topics: [] },
    });
  });

  it('omits a schedule that has neither start nor end', () => {
    const config = KairosConfig.parse({
      campaigns: [{ id: 'a', type: 'announcement_bar', schedule: { timezone: 'Europe/Berlin' }, content: { text: 'x' } }],
    });
    expect(compile(config).campaigns[0]).not.toHaveProperty('schedule');
  });
});

describe('compiling the engine settings', () => {
  const compiled = (...source: string[]) => {
    const result = parseConfig(lines(...source), 'kairos.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
    return result.public;
  };
  const bar = ['campaigns:', '  - id: summer', '    type: announcement_bar', '    content: { text: Sale }'];

  it('fills every exit_intent default', () => {
    expect(compiled(...bar, '    trigger: { type: exit_intent }').campaigns[0]?.trigger).toEqual({
      type: 'exit_intent',
      min_dwell_seconds: 3,
      sensitivity_px: 12,
      mobile: { scroll_up: true, tab_return: true, inactivity_seconds: 30 },
    });
    expect(compiled(...bar, '    trigger: { type: exit_intent, mobile: { inactivity_seconds: false } }').campaigns[0]?.trigger).toMatchObject({
      mobile: { scroll_up: true, tab_return: true, inactivity_seconds: false },
    });
  });

  it('accepts frequency as a word or as limits', () => {
    expect(compiled(...bar, '    frequency: once').campaigns[0]?.frequency).toBe('once');
    expect(compiled(...bar, '    frequency: once_per_session').campaigns[0]?.frequency).toBe('once_per_session');
    expect(compiled(...bar, '    frequency: { per_session: 1, every_days: 2, max_impressions: 5 }').campaigns[0]?.frequency).toEqual({
      per_session: 1,
      every_days: 2,
      max_impressions: 5,
    });
  });

  it('compiles a modal campaign with its defaults', () => {
    const pub = compiled(
      'campaigns:',
      '  - id: welcome',
      '    type: modal',
      '    priority: 10',
      '    trigger: { type: scroll_depth, percent: 50 }',
      '    frequency: once_per_session',
      '    recontact_days: 14',
      '    content:',
      '      headline: Welcome!',
      '      button: { label: Shop now, url: /sale }',
    );
    expect(pub.campaigns).toEqual([
      {
        id: 'welcome',
        type: 'modal',
        priority: 10,
        pages: { include: ['/**'], exclude: [] },
        trigger: { type: 'scroll_depth', percent: 50 },
        frequency: 'once_per_session',
        recontact_days: 14,
        stop_after_conversion: true,
        content: { headline: 'Welcome!', button: { label: 'Shop now', url: '/sale' }, close_label: 'No thanks' },
        theme: { accent: '#0f5c57', accent_text: '#ffffff' },
      },
    ]);
  });

  it('sends segments, audiences and the fatigue budget to browsers as written', () => {
    const pub = compiled(
      'fatigue: { modals_per_day: 2 }',
      'segments:',
      '  big-spenders: { orders.total: { gte: 500 }, traits.loyalty.tier: gold }',
      ...bar,
      '    audience:',
      '      any:',
      '        - segment: big-spenders',
      '        - { cart.value: { gte: 50 }, page.query.utm_source: newsletter }',
    );
    expect(pub.segments).toEqual({ 'big-spenders': { 'orders.total': { gte: 500 }, 'traits.loyalty.tier': 'gold' } });
    expect(pub.fatigue).toEqual({ modals_per_session: 1, modals_per_day: 2 });
    expect(pub.campaigns[0]?.audience).toEqual({
      any: [{ segment: 'big-spenders' }, { 'cart.value': { gte: 50 }, 'page.query.utm_source': 'newsletter' }],
    });
  });

  it('changes the version when a segment changes', () => {
    const one = compiled('segments: { vip: { traits.vip: true } }', 'campaigns: []');
    const two = compiled('segments: { vip: { traits.vip: false } }', 'campaigns: []');
    expect(one.version).not.toBe(two.version);
  });
});

describe('exit offers, cart reminders, the cart and webhooks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-pool-'));
  const file = join(dir, 'kairos.yaml');
  writeFileSync(join(dir, 'codes.txt'), '# codes\nSTAY-AAA\n\nSTAY-BBB\n');
  writeFileSync(join(dir, 'twice.txt'), 'STAY-AAA\nSTAY-AAA\n');
  writeFileSync(join(dir, 'empty.txt'), '# nothing yet\n');
  const offer = (coupon: string, ...rest: string[]) =>
    lines('campaigns:', '  - id: stay', '    type: exit_offer', '    content: { headline: Wait }', `    coupon: ${coupon}`, ...rest);

  it('keeps the coupon on the server and fills the offer defaults', () => {
    const result = parseConfig(offer('{ pool: codes.txt }', '    valid_minutes: 45'), file);
    if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
    const [pub] = result.public.campaigns;
    expect(pub).not.toHaveProperty('coupon');
    expect(JSON.stringify(result.public)).not.toContain('codes.txt');
    expect(pub).toMatchObject({
      type: 'exit_offer',
      trigger: { type: 'exit_intent', min_dwell_seconds: 3 },
      apply_url: '/discount/{code}?redirect=/cart',
      valid_minutes: 45,
      content: { headline: 'Wait', button: 'Apply my discount', copy_label: 'Copy code', close_label: 'No thanks' },
    });
  });

  it.each([
    ['a missing pool file', offer('{ pool: nope.txt }'), `${file}:5:21 campaigns[0].coupon.pool: the coupon pool file ${join(dir, 'nope.txt')} does not exist`],
    ['a pool with a code twice', offer('{ pool: twice.txt }'), `${file}:5:21 campaigns[0].coupon.pool: ${join(dir, 'twice.txt')}:2: "STAY-AAA" appears twice; every pool code must be unique`],
    ['an empty pool', offer('{ pool: empty.txt }'), `${file}:5:21 campaigns[0].coupon.pool: the coupon pool file ${join(dir, 'empty.txt')} holds no codes`],
    ['an apply_url without {code}', offer('{ code: STAY10 }', '    apply_url: /cart'), `${file}:6:16 campaigns[0].apply_url: put {code} where the code goes, e.g. /discount/{code}?redirect=/cart`],
  ])('%s is an error at its position', (_name, source, expected) => {
    const result = parseConfig(source, file);
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([expected]);
  });

  it('keeps cart reminders off the cart and checkout pages, and sends the cart settings to browsers', () => {
    const result = parseConfig(
      lines('cart:', '  pages: [/basket, /checkout/**]', '  adapters: [{ type: shopify }]', 'campaigns:', '  - id: back', '    type: cart_reminder', '    pages: { exclude: [/sale] }'),
      file,
    );
    if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
    expect(result.public.campaigns[0]).toMatchObject({
      trigger: { type: 'cart' },
      pages: { include: ['/**'], exclude: ['/sale', '/basket', '/checkout/**'] },
      content: { headline: { one: 'You left {{cart.count}} item in your cart', other: 'You left {{cart.count}} items in your cart' } },
    });
    expect(result.public.cart).toEqual({ adapters: [{ type: 'shopify', pages: ['/**'] }], currency: 'EUR', pages: ['/basket', '/checkout/**'] });
  });

  it('social proof: the viewers trigger from min_count and presence, the product path for purchases; no number field', () => {
    const result = parseConfig(
      lines(
        'presence: { interval_seconds: 20, product_path: "/p/{id}" }',
        'campaigns:',
        '  - { id: live, type: viewing_now, min_count: 5 }',
        '  - { id: sold, type: recent_purchases }',
        '  - { id: busy, type: modal, trigger: { type: viewers, min_count: 10 }, content: { headline: Busy } }',
      ),
      file,
    );
    if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
    const [live, sold, busy] = result.public.campaigns;
    expect(live).toMatchObject({ trigger: { type: 'viewers', min_count: 5, interval_seconds: 20, product_path: '/p/{id}' }, position: 'bottom-left' });
    expect(live).toMatchObject({ content: { en: { other: '{{count}} other people are looking at this' } } });
    expect(sold).toMatchObject({ min_count: 3, product_path: '/p/{id}' });
    expect(busy).toMatchObject({ trigger: { type: 'viewers', min_count: 10, interval_seconds: 20 } });
    expect(errorsOf(lines('campaigns:', '  - { id: live, type: viewing_now, count: 12 }'))[0]).toMatch(/campaigns\[0\]: unknown key "count"/);
  });

  it.each([
    ['custom geo headers without names', ['context:', '  geo_headers: custom'], 'kairos.yaml:1:1 context.custom_headers: geo_headers: custom needs custom_headers with at least country'],
    ['a static forecast without a file', ['context:', '  location: { country: GB, lat: 51.5, lon: -0.1 }', '  weather: { provider: static }'], 'kairos.yaml:3:3 context.weather.file: the static provider needs a file'],
    ['MET Norway without a contact', ['context:', '  location: { country: GB, lat: 51.5, lon: -0.1 }', '  weather: { provider: met_norway }'], 'kairos.yaml:3:3 context.weather.contact: MET Norway requires a contact (email or URL) in the User-Agent'],
    ['weather with no way to know where', ['context:', '  weather: { provider: open_meteo }'], 'kairos.yaml:1:1 context.location: weather needs a location: the shop’s, geo headers or a geoip_file'],
    ['a country that is not a code', ['context:', '  location: { country: Germany, lat: 52.5, lon: 13.4 }'], 'kairos.yaml:2:24 context.location.country: an ISO 3166 country code such as DE'],
    ['a static forecast file that is not there', ['context:', '  location: { country: GB, lat: 51.5, lon: -0.1 }', '  weather: { provider: static, file: nowhere.json }'], 'kairos.yaml:3:38 context.weather.file: cannot read nowhere.json (ENOENT)'],
    ['a GeoIP file that is not there', ['context:', '  geoip_file: GeoLite2-City.mmdb'], 'kairos.yaml:2:15 context.geoip_file: GeoLite2-City.mmdb does not exist (a DB-IP Lite or GeoLite2 City .mmdb file)'],
    ['a weather rule without a condition', ['campaigns:', '  - id: hot', '    type: announcement_bar', '    content: { text: Hot }', '    audience: { weather: { within_days: 3 } }'], 'kairos.yaml:5:26 campaigns[0].audience.weather: give at least one of max_temp_c, min_temp_c, precipitation_mm, precipitation, snow, condition'],
    ['a weather rule too far ahead', ['campaigns:', '  - id: hot', '    type: announcement_bar', '    content: { text: Hot }', '    audience: { weather: { within_days: 10, snow: true } }'], 'kairos.yaml:5:41 campaigns[0].audience.weather.within_days: must be at most 7'],
    ['a countdown in an unknown zone', ['campaigns:', '  - id: xmas', '    type: countdown_bar', '    content: { text: "Order within {{countdown}}" }', '    countdown: { every: { time: "14:00", timezone: Europe/Londn } }'], 'kairos.yaml:5:52 campaigns[0].countdown.every.timezone: not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC); did you mean "Europe/London"?'],
    ['an impossible countdown date', ['campaigns:', '  - id: xmas', '    type: countdown_bar', '    content: { text: "Order within {{countdown}}" }', '    countdown: { deadline: "2026-02-30T18:00" }'], 'kairos.yaml:5:16 campaigns[0].countdown: "2026-02-30T18:00": day must be 01–28 in 2026-02'],
    ['countdown copy without {{countdown}}', ['campaigns:', '  - id: xmas', '    type: countdown_bar', '    content: { text: "Order soon" }', '    countdown: { deadline: "2026-12-24T18:00", timezone: Europe/London }'], 'kairos.yaml:4:22 campaigns[0].content.text: put {{countdown}} where the time left goes'],
  ])('context: %s is an error at its place', (_name, source, expected) => expect(errorsOf(lines(...source))).toEqual([expected]));

  it('webhooks need an absolute recovery_url', () => {
    expect(errorsOf(lines('webhooks:', '  endpoints: [{ url: https://crm.example/hooks }]'))).toEqual([
      'kairos.yaml:1:1 webhooks.recovery_url: webhooks need a recovery_url: the absolute URL of the cart page',
    ]);
    expect(errorsOf(lines('webhooks:', '  endpoints: [{ url: /hooks }]', '  recovery_url: https://shop.example/cart'))).toEqual([
      'kairos.yaml:2:22 webhooks.endpoints[0].url: an http(s):// URL',
    ]);
  });
});

describe('copy per locale', () => {
  const campaign = (type: string, content: string[], extra: string[] = []) => lines('campaigns:', '  - id: c', `    type: ${type}`, ...extra, '    content:', ...content);
  /** Per type: what else a campaign needs, and one copy (flow style) with its language's text in it. */
  const types: [type: string, extra: string[], copy: (t: string) => string][] = [
    ['announcement_bar', [], (t) => `{ text: "${t}", link: { label: "${t}", url: /sale } }`],
    ['modal', [], (t) => `{ headline: "${t}", button: { label: "${t}", url: /sale } }`],
    ['exit_offer', ['    coupon: { code: STAY10 }'], (t) => `{ headline: "${t}", copy_label: "${t}" }`],
    ['cart_reminder', [], (t) => `{ headline: { one: "${t} {{cart.count}}", other: "${t} {{cart.count}}" }, close_label: "${t}" }`],
    ['countdown_bar', ['    countdown: { deadline: "2030-12-24T18:00" }'], (t) => `{ text: "${t} {{countdown}}" }`],
    ['free_shipping_bar', ['    threshold: 50'], (t) => `{ progress: "${t} {{remaining}}" }`],
    ['newsletter_bar', [], (t) => `{ text: "${t}", consent: "${t}", button: "${t}" }`],
  ];

  it.each(types)('%s: one copy as before, or copy per locale: the default copy (en) with every locale’s in `locales`', (type, extra, copy) => {
    const single = parseConfig(lines('campaigns:', '  - id: c', `    type: ${type}`, ...extra, `    content: ${copy('Hello')}`), 'kairos.yaml');
    if (!single.ok) throw new Error(single.errors.map(formatConfigError).join('\n'));
    expect(single.public.campaigns[0]!.content).not.toHaveProperty('locales');

    const result = parseConfig(campaign(type, [`      cy: ${copy('Helo')}`, `      en: ${copy('Hello')}`, `      ar: ${copy('مرحبا')}`], extra), 'kairos.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
    const { locales, ...content } = result.public.campaigns[0]!.content as Record<string, unknown> & { locales: Record<string, unknown> };
    expect(Object.keys(locales)).toEqual(['cy', 'en', 'ar']); // as written
    expect(content).toEqual(locales['en']); // en is the default though it is not first
    expect(content).toEqual(single.public.campaigns[0]!.content); // each copy filled in exactly as one copy is
    expect(JSON.stringify(locales['cy'])).toContain('Helo');
    expect(JSON.stringify(locales['ar'])).toContain('مرحبا');
  });

  it('without en the first locale is the default; a translation is public content (the version changes)', () => {
    const source = (cy: string) => campaign('announcement_bar', [`      cy: { text: "${cy}" }`, '      kk: { text: Сәлем }']);
    const a = parseConfig(source('Helo'), 'kairos.yaml');
    const b = parseConfig(source('Shwmae'), 'kairos.yaml');
    if (!a.ok || !b.ok) throw new Error('invalid');
    expect(a.public.campaigns[0]!.content).toEqual({ text: 'Helo', dismissible: true, locales: { cy: { text: 'Helo', dismissible: true }, kk: { text: 'Сәлем', dismissible: true } } });
    expect(a.public.version).not.toBe(b.public.version);
  });

  it('the newsletter’s default copy is what the server reads (the consent wording)', () => {
    const r = parseConfig(campaign('newsletter_bar', ['      cy: { text: Ymunwch, consent: "Ydw, e-bostiwch fi." }', '      en: { text: Join, consent: "Yes, email me." }']), 'kairos.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    const c = r.config.campaigns[0]!;
    expect(c.type === 'newsletter_bar' && c.content.consent).toBe('Yes, email me.');
  });

  it.each([
    [
      'an empty Welsh text',
      ['      en: { text: Summer sale }', '      cy:', '        text: ""'],
      ['kairos.yaml:7:15 campaigns[0].content.cy.text: must not be empty'],
    ],
    [
      'a Welsh text too long',
      ['      en: { text: Summer sale }', `      cy: { text: "${'a'.repeat(281)}" }`],
      ['kairos.yaml:6:19 campaigns[0].content.cy.text: must be at most 280 characters (it has 281)'],
    ],
    [
      'a Welsh copy without its text',
      ['      en: { text: Summer sale }', '      cy: { link: { label: Siopa, url: /sale } }'],
      ['kairos.yaml:6:7 campaigns[0].content.cy.text: missing required field "text"'], // at cy, as one copy's is at content
    ],
    [
      'a misspelt key in the Welsh copy',
      ['      en: { text: Summer sale }', '      cy: { text: Sêl, dismissable: false }'],
      ['kairos.yaml:6:24 campaigns[0].content.cy: unknown key "dismissable"'],
    ],
    [
      'a javascript: link in the Welsh copy',
      ['      en: { text: Summer sale }', '      cy:', '        text: Sêl', '        link: { label: Siopa, url: "javascript:alert(1)" }'],
      ['kairos.yaml:8:36 campaigns[0].content.cy.link.url: a link is a path starting with "/" or an http(s):// URL'],
    ],
    ['a Welsh copy that is only text', ['      en: { text: Summer sale }', '      cy: Sêl yr haf'], ['kairos.yaml:6:11 campaigns[0].content.cy: expected a mapping (key: value), got "Sêl yr haf"']],
    [
      'a language name instead of a tag',
      ['      en: { text: Summer sale }', '      Welsh: { text: Sêl yr haf }'],
      ['kairos.yaml:6:7 campaigns[0].content: invalid name "Welsh": a language tag such as en, cy or pt-BR'],
    ],
  ])('%s: the error names the field in that locale, at its place', (_name, content, expected) =>
    expect(errorsOf(campaign('announcement_bar', content))).toEqual(expected),
  );

  it('counted copy per locale: a plural category misspelt in Welsh', () => {
    const source = campaign('cart_reminder', ['      en: { headline: { one: "{{cart.count}} item", other: "{{cart.count}} items" } }', '      cy: { headline: { one: "{{cart.count}} peth", ffew: "{{cart.count}} pheth", other: "{{cart.count}} o bethau" } }']);
    // (No "did you mean" inside a locale's copy: config.ts looks for the allowed keys in the one-copy shape only.)
    expect(errorsOf(source)).toEqual(['kairos.yaml:6:53 campaigns[0].content.cy.headline: unknown key "ffew"']);
  });

  it('one copy with a mistake is reported as one copy, as before: a misspelt field is a misspelt field', () => {
    expect(errorsOf(campaign('announcement_bar', ['      txt: Summer sale']))).toEqual([
      'kairos.yaml:4:5 campaigns[0].content.text: missing required field "text"',
      'kairos.yaml:5:7 campaigns[0].content: unknown key "txt"; did you mean "text"?',
    ]);
    expect(errorsOf(campaign('cart_reminder', ['      headlin: { one: a, other: b }']))).toEqual(['kairos.yaml:5:7 campaigns[0].content: unknown key "headlin"; did you mean "headline"?']);
    expect(errorsOf(campaign('announcement_bar', ['      text: Sale', '      cy: { text: Sêl }']))).toEqual([
      'kairos.yaml:6:7 campaigns[0].content: unknown key "cy"; use one of: text, link, dismissible',
    ]);
  });

  // The rule (server/schema.ts isCopyPerLocale), with the fields of a type that had a 3-letter field `cta`.
  const fields = ['text', 'cta', 'dismissible'];
  it.each([
    [{ en: { text: 'Hi' }, cy: { text: 'Helo' } }, true, 'every key a language holding a copy'],
    [{ 'pt-BR': { text: 'Olá' } }, true, 'a language with a region'],
    [{ en: { text: 'Hi' }, cy: 'Helo' }, true, 'one language holding a copy is enough: cy is then reported as not a mapping'],
    [{ en: { text: 'Hi' }, Welsh: { text: 'Helo' } }, true, 'Welsh is then reported as not a language tag'],
    [{ cta: { label: 'Go', url: '/sale' } }, false, '`cta` is a field of the type (and a language tag: Chatino)'],
    [{ cta: { label: 'Go', url: '/sale' }, cy: { text: 'Helo' } }, false, 'a field of the type among languages: one copy'],
    [{ text: 'Hi', cy: { text: 'Helo' } }, false, 'text is a field'],
    [{ txt: 'Sale' }, false, 'a 3-letter key holding text: a misspelt field'],
    [{ headlin: { one: 'a' } }, false, 'no key is a language tag'],
    [{ en: 'Hi', cy: 'Helo' }, false, 'no copy is a mapping'],
    [{}, false, 'empty'],
    [null, false, 'nothing'],
    ['Hello', false, 'text'],
    [[{ text: 'Hi' }], false, 'a list'],
  ] as [unknown, boolean, string][])('%j → %s (%s)', (value, perLocale) => expect(isCopyPerLocale(value, fields)).toBe(perLocale));

  it('the editor schema offers both shapes: the type’s fields, or language tags each holding them', () => {
    type Node = { anyOf?: Node[]; properties?: Record<string, Node>; propertyNames?: { pattern?: string }; additionalProperties?: Node | boolean; required?: string[] };
    const schema = configJsonSchema() as { properties: { campaigns: { items: { oneOf: Node[] } } } };
    for (const variant of schema.properties.campaigns.items.oneOf) {
      if (!['viewing_now', 'recent_purchases'].includes(String((variant.properties?.type as { const?: string }).const))) {
        const shapes = variant.properties?.content?.anyOf ?? [];
        expect(shapes).toHaveLength(2);
        const [perLocale, one] = shapes as [Node, Node];
        expect(perLocale.propertyNames?.pattern).toBe('^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');
        expect(perLocale.additionalProperties).toEqual(one);
      }
    }
  });
});

describe('loadConfigFile', () => {
  it('loads a file', async () => {
    const result = await loadConfigFile(join(fixtures, 'good.yaml'));
    expect(result.ok).toBe(true);
  });

  it('turns a missing file into one error at 1:1', async () => {
    const result = await loadConfigFile('does/not/exist.yaml');
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual(['does/not/exist.yaml:1:1 file not found']);
  });

  it('reports a directory clearly', async () => {
    const result = await loadConfigFile(fixtures);
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual(['is a directory, not a file']);
  });
});

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as {
    $schema: string;
    properties: Record<string, { items?: { oneOf?: { properties: Record<string, unknown>; required?: string[] }[] } }>;
    additionalProperties: boolean;
  };

  it('is draft-07 for yaml-language-server, allows $schema, rejects unknown top-level keys', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.properties).toHaveProperty('$schema');
    expect(schema.additionalProperties).toBe(false);
  });

  it('exposes campaign types as constants for autocomplete, and only truly required fields as required', () => {
    const variants = schema.properties.campaigns?.items?.oneOf ?? [];
    expect(variants.map((v) => v.properties.type)).toContainEqual({ type: 'string', const: 'announcement_bar' });
    expect(variants[0]?.required).toEqual(['id', 'type', 'content']);
    expect(variants[0]?.properties.position).toMatchObject({ enum: ['top', 'bottom'], default: 'bottom' });
    expect(variants.map((v) => v.properties.type)).toContainEqual({ type: 'string', const: 'modal' });
  });

  it('describes a rule once, recursively, with every rule field and operator for autocomplete', () => {
    type Node = { $ref?: string; allOf?: Node[]; anyOf?: Node[]; items?: Node; properties?: Record<string, Node>; additionalProperties?: Node | boolean };
    const full = schema as unknown as { definitions: Record<string, Node>; properties: Record<string, Node> };
    const ref = (full.properties.segments?.additionalProperties as Node).$ref;
    expect(ref).toMatch(/^#\/definitions\//);
    const rule = full.definitions[ref!.slice('#/definitions/'.length)]!;
    // recursive: all/any/not and every campaign's audience point back at the same definition
    expect(rule.properties?.all?.items?.$ref).toBe(ref);
    expect(rule.properties?.any?.items?.$ref).toBe(ref);
    expect(rule.properties?.not?.allOf?.[0]?.$ref).toBe(ref);
    for (const variant of (full.properties.campaigns?.items as { oneOf: Node[] }).oneOf)
      expect(variant.properties?.audience?.allOf?.[0]?.$ref).toBe(ref);
    // autocomplete: every field without a <name> part is a property, with its description
    const fields = Object.keys(RULE_FIELDS).filter((f) => !f.includes('<'));
    expect(Object.keys(rule.properties ?? {})).toEqual(['all', 'any', 'not', 'segment', 'weather', ...fields]);
    expect(rule.properties?.['cart.value']).toMatchObject({ description: RULE_FIELDS['cart.value'] });
    // traits.<name> and page.query.<name> are allowed through additionalProperties, with the same conditions
    const { description: _description, ...condition } = rule.properties?.['cart.value'] as Node & { description?: string };
    expect(rule.additionalProperties).toEqual(condition);
    const operators = rule.properties?.['cart.value']?.anyOf?.find((o) => o.properties)?.properties;
    expect(Object.keys(operators ?? {})).toEqual([
      'eq', 'ne', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'contains', 'not_contains', 'starts_with', 'ends_with', 'matches', 'regex', 'exists',
    ]);
  });

  it('offers the fatigue budget, segments, context, presence, the cart, webhooks, privacy, preferences, attribution and auto_pause at the top level', () => {
    expect(Object.keys(schema.properties)).toEqual(['$schema', 'site', 'fatigue', 'segments', 'context', 'presence', 'cart', 'webhooks', 'privacy', 'preferences', 'attribution', 'auto_pause', 'campaigns']);
  });
});
