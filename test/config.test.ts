import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect, vi } from 'vitest';
import { compile, configJsonSchema, formatConfigError, loadConfigFile, parseConfig } from '../server/config';
import { KairosConfig } from '../server/schema';

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
    ['kairos.yaml:3:11 campaigns[0].type: unknown type "popup"; use one of: announcement_bar'],
  ],
  [
    'misspelt campaign type',
    lines('campaigns:', '  - id: summer', '    type: anouncement_bar', '    content: { text: hi }'),
    [
      'kairos.yaml:3:11 campaigns[0].type: unknown type "anouncement_bar" (did you mean "announcement_bar"?); use one of: announcement_bar',
    ],
  ],
  [
    'misspelt `type` key',
    lines('campaigns:', '  - id: summer', '    typ: announcement_bar', '    content: { text: hi }'),
    ['kairos.yaml:3:5 campaigns[0].type: missing "type" (is "typ" a typo?); use one of: announcement_bar'],
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
    ['kairos.yaml:2:1 unknown key "banners"; use one of: $schema, site, campaigns'],
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
        // 09:00 and 23:59 Berlin summer time (UTC+2)
        schedule: { start: Date.UTC(2026, 6, 1, 7, 0), end: Date.UTC(2026, 6, 14, 21, 59) },
        pages: { include: ['/products/**'], exclude: ['/checkout/**'] },
        content: { text: 'Summer sale ends soon', link: { label: 'Shop now', url: '/collections/sale' }, dismissible: true },
        theme: { background: '#1f2a44', color: '#ffffff' },
      },
      {
        id: 'free-shipping',
        type: 'announcement_bar',
        priority: 5,
        position: 'top',
        pages: { include: ['/**'], exclude: [] },
        content: { text: 'NO shipping costs on orders over 50 €', dismissible: false },
        theme: { background: '#1f2a44', color: '#ffffff' },
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
      campaigns: base.campaigns.map((c, i) => (i === 0 ? { ...c, content: { ...c.content, text: 'Changed' } } : c)),
    });
    expect(edited.version).not.toBe(yaml.public.version);
  });

  it('allows a $schema key and a yaml-language-server comment', () => {
    const result = parseConfig(lines('# yaml-language-server: $schema=./schema.json', '$schema: ./schema.json', 'campaigns: []'), 'k.yaml');
    expect(result.ok && result.public).toEqual({ version: expect.stringMatching(/^[0-9a-f]{16}$/), campaigns: [] });
  });

  it('omits a schedule that has neither start nor end', () => {
    const config = KairosConfig.parse({
      campaigns: [{ id: 'a', type: 'announcement_bar', schedule: { timezone: 'Europe/Berlin' }, content: { text: 'x' } }],
    });
    expect(compile(config).campaigns[0]).not.toHaveProperty('schedule');
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
  });
});
