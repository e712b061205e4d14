// The report page (server/report/html.ts, charts in server/report/svg.ts) from hand-built reports: what a marketer
// would notice — the numbers, a paused campaign's notice, the SRM warning only on a mismatch, the empty state — and
// what keeps the page safe and accessible: data escaped everywhere, no script, every chart named, tags closed,
// ids unique, colours with AA contrast.
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../server/report/html';
import { formatPercent, formatRateInterval } from '../server/report/format';
import { PALETTE, escapeHtml, niceTicks } from '../server/report/svg';
import {
  emptyMeasures,
  type CampaignReport,
  type DayMeasures,
  type ExperimentReport,
  type Measures,
  type Report,
  type VariantReport,
} from '../server/report/types';
import { PAYLOADS } from './fixtures/xss-payloads';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

const DAY = 86_400_000;
const FROM = Date.UTC(2026, 4, 1);
const XSS = '<img src=x onerror=alert(1)>';

const measures = (m: Partial<Measures> = {}): Measures => ({ ...emptyMeasures(), ...m });

/** `n` days from FROM, each with the measures `f` gives it. */
const days = (n: number, f: (i: number) => Partial<Measures> = () => ({})): DayMeasures[] =>
  Array.from({ length: n }, (_, i) => ({ day: new Date(FROM + i * DAY).toISOString().slice(0, 10), ...measures(f(i)) }));

const ratesOf = (m: Measures): CampaignReport['rates'] => {
  const r = (x: number) => (m.impressions > 0 ? x / m.impressions : 0);
  return { click: r(m.clicks), conversion: r(m.conversions), dismiss: r(m.dismissals), irritation: r(m.quick_closes + m.left + m.fewer) };
};

function campaign(id: string, totals: Partial<Measures>, more: Partial<CampaignReport> = {}): CampaignReport {
  const t = measures(totals);
  return { id, type: 'exit_offer', status: 'running', totals: t, rates: ratesOf(t), daily: days(7, (i) => (i === 2 ? t : {})), ...more };
}

function report(campaigns: CampaignReport[], more: Partial<Report> = {}): Report {
  const totals = campaigns.reduce((sum, c) => {
    const out = { ...sum };
    for (const k of Object.keys(sum) as (keyof Measures)[]) out[k] = sum[k] + c.totals[k];
    return out;
  }, emptyMeasures());
  return {
    generated_at: Date.UTC(2026, 4, 8, 9, 30),
    from: FROM,
    to: FROM + 7 * DAY,
    days: 7,
    currency: 'EUR',
    attribution: { model: 'last touch', click_days: 7, view_days: 1 },
    events_read: 48_213,
    totals,
    campaigns,
    ...more,
  };
}

const arm = (v: Partial<VariantReport> & Pick<VariantReport, 'id'>): VariantReport => ({
  control: false,
  share: 0.45,
  visitors: 0,
  converters: 0,
  revenue: 0,
  rate: { rate: 0, low: 0, high: 0 },
  measures: emptyMeasures(),
  ...v,
});

function experiment(mismatch: boolean, ids = { control: 'holdout', win: 'bold', maybe: 'soft' }): ExperimentReport {
  return {
    control: ids.control,
    window_days: 7,
    variants: [
      arm({ id: ids.control, control: true, share: 0.1, visitors: 1_000, converters: 20, rate: { rate: 0.02, low: 0.013, high: 0.0307 } }),
      arm({
        id: ids.win,
        visitors: 4_600,
        converters: 161,
        rate: { rate: 0.035, low: 0.0301, high: 0.0406 },
        vs_control: { uplift: { value: 0.75, low: 0.2, high: 1.5 }, p: 0.012, verdict: 'winning', needed: 0 },
      }),
      arm({
        id: ids.maybe,
        visitors: 4_400,
        converters: 92,
        rate: { rate: 0.0209, low: 0.0171, high: 0.0256 },
        vs_control: { uplift: { value: 0.045, low: -0.3, high: 0.55 }, p: 0.86, verdict: 'inconclusive', needed: 1234.2 },
      }),
    ],
    srm: mismatch
      ? { p: 0.0002, mismatch: true, observed: [1_000, 4_600, 4_400], expected: [1_000, 4_500, 4_500] }
      : { p: 0.31, mismatch: false, observed: [1_000, 4_500, 4_500], expected: [1_000, 4_500, 4_500] },
  };
}

const PAUSE_REASON = 'dismiss rate 64.0% is over max_dismiss_rate 60.0% after 250 impressions';

/** A report with one of everything: an experiment with SRM, a paused, an off and a removed campaign. */
const full = report([
  campaign(
    'exit-offer',
    { impressions: 12_345, clicks: 494, conversions: 273, revenue: 1234.5, dismissals: 2_100, quick_closes: 400, left: 150, fewer: 12 },
    { experiment: experiment(true) },
  ),
  campaign('newsletter-bar', { impressions: 250, clicks: 3, dismissals: 160, quick_closes: 90 }, {
    type: 'bar',
    status: 'paused',
    pause: { at: Date.UTC(2026, 4, 5, 14, 2), reason: PAUSE_REASON },
  }),
  campaign('free-shipping', {}, { type: 'bar', status: 'off' }),
  campaign('old-banner', { impressions: 80, clicks: 2 }, { status: 'off', removed: true }),
]);

const fullHtml = renderReportHtml(full);

/** Text content of the markup: inline tags dropped, other tags as spaces, entities decoded, whitespace collapsed. */
const textOf = (html: string): string =>
  html
    .replace(/<style[^>]*>[\s\S]*?<\/style>/g, '')
    .replace(/<\/?(?:a|bdi|code|strong|time)\b[^>]*>/g, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

/** The section of one campaign, by its index on the page. */
const sectionOf = (html: string, i: number): string => {
  const start = html.indexOf(`<section id="campaign-${i}"`);
  return html.slice(start, html.indexOf('</section>', start));
};

// ---------------------------------------------------------------------------------------------------------------
// Markup checks: a tiny tokenizer, enough for markup we generate ourselves (every data `<` is escaped).

const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'col', 'wbr', 'area', 'base', 'source', 'track', 'embed']);
const TAG = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(\/?)>/g;

/** Each tag in order, with `<style>`'s CSS left out. */
function tags(html: string): { close: boolean; name: string; attrs: string; self: boolean }[] {
  const markup = html.replace(/(<style[^>]*>)[\s\S]*?(<\/style>)/g, '$1$2').replace(/^<!doctype html>/i, '');
  return [...markup.matchAll(TAG)].map((m) => ({ close: m[1] === '/', name: (m[2] ?? '').toLowerCase(), attrs: m[3] ?? '', self: m[4] === '/' }));
}

/** Problems with the nesting: a close tag that does not match the open one, or a tag never closed. */
function unbalanced(html: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  for (const t of tags(html)) {
    if (t.close) {
      const open = stack.pop();
      if (open !== t.name) problems.push(`</${t.name}> closes <${open ?? 'nothing'}>`);
    } else if (!t.self && !VOID.has(t.name)) stack.push(t.name);
  }
  return [...problems, ...stack.map((t) => `<${t}> never closed`)];
}

const attrsOf = (attrs: string): Map<string, string> =>
  new Map([...attrs.matchAll(/([^\s=]+)(?:="([^"]*)")?/g)].map((m) => [(m[1] ?? '').toLowerCase(), m[2] ?? '']));

const GENERATED_TAGS = new Set(
  ('html head meta title style body main header section h1 h2 h3 p div table caption thead tbody tfoot tr th td a ' +
    'bdi time strong code span details summary svg text rect line path circle').split(' '),
);
const GENERATED_ATTRS = new Set(
  ('lang charset name content nonce id class href tabindex role aria-labelledby scope datetime xmlns viewbox width ' +
    'height font-family font-size font-weight fill stroke stroke-width stroke-dasharray text-anchor x y x1 y1 x2 y2 ' +
    'cx cy r d').split(' '),
);

/** Tags or attributes the page never generates itself: anything here came out of data. */
function foreignMarkup(html: string): string[] {
  const out: string[] = [];
  for (const t of tags(html)) {
    if (!GENERATED_TAGS.has(t.name)) out.push(`<${t.name}>`);
    for (const a of attrsOf(t.attrs).keys()) if (!GENERATED_ATTRS.has(a)) out.push(`${t.name}[${a}]`);
  }
  // Any "<" left that is not the start of a tag we tokenised (e.g. a broken-off "<img" with no ">").
  const stripped = html.replace(/(<style[^>]*>)[\s\S]*?(<\/style>)/g, '').replace(/^<!doctype html>/i, '').replace(TAG, '');
  if (stripped.includes('<')) out.push(`stray "<" near ${JSON.stringify(stripped.slice(stripped.indexOf('<'), stripped.indexOf('<') + 40))}`);
  return out;
}

const svgs = (html: string): string[] => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

/** WCAG 2 relative luminance contrast of a #rrggbb colour against white. */
function contrastOnWhite(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return 1.05 / (l + 0.05);
}

// ---------------------------------------------------------------------------------------------------------------

describe('renderReportHtml: what a marketer reads', () => {
  const text = textOf(fullHtml);

  const shown: [what: string, expected: string][] = [
    ['the date range as UTC dates', '2026-05-01 to 2026-05-07 (7 days, UTC)'],
    ['when it was generated', 'Generated 2026-05-08 09:30 UTC'],
    ['the events read, with thousands separators', '48,213 events read'],
    [
      'the attribution statement, singular for one day',
      'Conversions: an order counts for the campaign the shopper last clicked within 7 days or last saw within 1 day (last touch).',
    ],
    ['impressions with thousands separators', '12,345'],
    ['the click rate with one decimal', '4.0%'],
    ['revenue in the currency', '€1,234.50'],
    ['a rate with its Wilson interval', '3.5% (3.0–4.1%)'],
    ['the uplift with its interval', '+75.0% (+20.0% to +150.0%)'],
    ['an uplift interval across zero', '+4.5% (-30.0% to +55.0%)'],
    ['the p-value', '0.012'],
    ['a winning verdict', 'winning'],
    ['the sample still needed, rounded up', 'inconclusive: about 1,235 more shoppers per arm needed'],
    ['the control explained', 'The control arm is the holdout: shoppers who were shown nothing.'],
    ['the arm shares', '10.0%'],
    ['an off campaign', 'Switched off (enabled: false in kairos.yaml)'],
    ['a removed campaign', 'No longer in kairos.yaml'],
    ['the totals row, its rates weighted by impressions', 'All campaigns 12,675 499 3.9% 273 2.2% €1,234.50 17.8% 5.1%'],
  ];

  it.each(shown)('shows %s: %s', (_, expected) => {
    expect(text).toContain(expected);
  });

  it('names the paused campaign, its reason, when and how to resume it', () => {
    const paused = textOf(sectionOf(fullHtml, 1));
    expect(paused).toContain('Paused automatically on 2026-05-05 14:02 UTC');
    expect(paused).toContain(`${PAUSE_REASON}.`);
    expect(paused).toContain('Resume it with npx kairos resume newsletter-bar');
    expect(sectionOf(fullHtml, 1)).toContain('class="notice notice-paused"');
    expect(textOf(sectionOf(fullHtml, 0))).not.toContain('Paused');
  });

  it('marks each campaign with its status in the summary', () => {
    const summary = fullHtml.slice(fullHtml.indexOf('<table'), fullHtml.indexOf('</table>'));
    for (const [id, status] of [['exit-offer', 'running'], ['newsletter-bar', 'paused'], ['free-shipping', 'off'], ['old-banner', 'removed']]) {
      expect(textOf(summary)).toMatch(new RegExp(`${id} ${status}`));
    }
  });

  const srmCases: [name: string, html: string, warnings: number][] = [
    ['on a mismatch', renderReportHtml(report([campaign('a', { impressions: 10 }, { experiment: experiment(true) })])), 1],
    ['not when the ratio holds', renderReportHtml(report([campaign('a', { impressions: 10 }, { experiment: experiment(false) })])), 0],
    ['not without an experiment', renderReportHtml(report([campaign('a', { impressions: 10 })])), 0],
    ['once per mismatching experiment', renderReportHtml(report([
      campaign('a', { impressions: 10 }, { experiment: experiment(true) }),
      campaign('b', { impressions: 10 }, { experiment: experiment(false) }),
    ])), 1],
  ];

  it.each(srmCases)('warns about a sample ratio mismatch %s', (_, html, warnings) => {
    expect(html.split('Sample ratio mismatch').length - 1).toBe(warnings);
    if (warnings > 0) {
      expect(textOf(html)).toContain(
        'the arms (holdout / bold / soft) got 1,000 / 4,600 / 4,400 shoppers where the shares expect about 1,000 / 4,500 / 4,500; ' +
          'do not trust these results until the cause is found (p < 0.001)',
      );
    }
  });

  it('explains a control that is the first variant when there is no holdout', () => {
    const html = renderReportHtml(report([campaign('a', { impressions: 10 }, { experiment: experiment(false, { control: 'plain', win: 'b', maybe: 'c' }) })]));
    expect(textOf(html)).toContain('The control arm is plain, the first variant (there is no holdout)');
  });

  it('shows a friendly message for an empty report, and no charts or tables', () => {
    const html = renderReportHtml(report([], { events_read: 0 }));
    expect(textOf(html)).toContain('No campaign events in this range yet');
    expect(html).not.toContain('<svg');
    expect(html).not.toContain('<table');
    expect(unbalanced(html)).toEqual([]);
  });

  it('says a campaign was not shown instead of drawing empty charts', () => {
    const section = sectionOf(fullHtml, 2);
    expect(textOf(section)).toContain('Not shown in this range.');
    expect(section).not.toContain('<svg');
  });

  it('formats revenue in the report currency', () => {
    const html = renderReportHtml(report([campaign('a', { impressions: 10, conversions: 1, revenue: 99 })], { currency: 'USD' }));
    expect(textOf(html)).toContain('$99.00');
  });
});

describe('renderReportHtml: safe markup', () => {
  it('escapes a hostile campaign id, variant id, type and pause reason everywhere', () => {
    const hostile = report([
      campaign(XSS, { impressions: 100, clicks: 5, conversions: 1 }, {
        type: XSS,
        status: 'paused',
        pause: { at: FROM, reason: `"'${XSS}` },
        experiment: experiment(true, { control: XSS, win: `"><svg onload=alert(1)>`, maybe: "'><script>alert(1)</script>" }),
      }),
    ]);
    const html = renderReportHtml(hostile);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<script/i);
    expect(foreignMarkup(html)).toEqual([]);
    expect(textOf(html)).toContain(`Campaign ${XSS}`);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('keeps every payload of the XSS corpus as text, as a campaign id and as a variant id', () => {
    const problems: string[] = [];
    for (const payload of PAYLOADS) {
      const html = renderReportHtml(
        report([
          campaign(payload, { impressions: 10, clicks: 1 }, {
            removed: true,
            pause: { at: FROM, reason: payload },
            experiment: experiment(true, { control: payload, win: `${payload}-b`, maybe: `${payload}-c` }),
          }),
        ], { currency: payload.slice(0, 3) }),
      );
      const found = [...foreignMarkup(html), ...unbalanced(html)];
      if (found.length > 0) problems.push(`${JSON.stringify(payload)}: ${found.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('has no script at all', () => {
    expect(fullHtml).not.toMatch(/<script/i);
    expect(fullHtml).not.toMatch(/\son[a-z]+=/i);
    expect(fullHtml).not.toMatch(/javascript:/i);
  });

  it('is one standalone HTML5 document with no external resources', () => {
    expect(fullHtml.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(fullHtml).toContain('<meta charset="utf-8">');
    expect(fullHtml).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(fullHtml).toMatch(/<title>Shop report, 2026-05-01 to 2026-05-07 · Kairos<\/title>/);
    expect(fullHtml.match(/<style/g)).toHaveLength(1);
    expect(fullHtml).not.toMatch(/<link|\ssrc=|href="(?!#)|@import|url\(/i);
  });

  const nonces: [name: string, nonce: string | undefined, styleTag: string][] = [
    ['puts the nonce on the style tag', 'r4nd0m+/=', '<style nonce="r4nd0m+/=">'],
    ['escapes a nonce', 'a"b', '<style nonce="a&quot;b">'],
    ['leaves the style tag bare without a nonce', undefined, '<style>'],
    ['ignores an empty nonce', '', '<style>'],
  ];

  it.each(nonces)('%s', (_, nonce, styleTag) => {
    const html = renderReportHtml(full, nonce === undefined ? undefined : { nonce });
    expect(html).toContain(styleTag);
  });

  it('closes every tag it opens', () => {
    expect(unbalanced(fullHtml)).toEqual([]);
    expect(unbalanced('<main><p>x</main>')).toEqual(['</main> closes <p>', '<main> never closed']);
  });
});

describe('renderReportHtml: accessible structure', () => {
  const all = tags(fullHtml);
  const ids = all.filter((t) => !t.close).map((t) => attrsOf(t.attrs).get('id')).filter((id): id is string => id !== undefined);

  it('uses every id once, and every reference points at one', () => {
    expect(new Set(ids).size).toBe(ids.length);
    const refs = all.flatMap((t) => {
      const a = attrsOf(t.attrs);
      return [
        ...(a.get('aria-labelledby')?.split(' ') ?? []),
        ...(a.get('href')?.startsWith('#') ? [a.get('href')!.slice(1)] : []),
      ];
    });
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(ids).toContain(ref);
  });

  it('builds ids from indexes, even for ids that repeat words or hold markup', () => {
    const html = renderReportHtml(report([campaign('sale', { impressions: 5 }), campaign('sale sale', { impressions: 5 }), campaign(XSS, { impressions: 5 })]));
    const pageIds = [...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(pageIds).size).toBe(pageIds.length);
    for (const id of pageIds) expect(id).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  it('names every chart: role="img", a <title> with numbers, labelled by it, scaling with the page', () => {
    const charts = svgs(fullHtml);
    expect(charts.length).toBe(3 * 3 + 1); // daily, funnel, irritation for the three shown campaigns, one forest plot
    for (const chart of charts) {
      const open = chart.slice(0, chart.indexOf('>') + 1);
      expect(open).toContain('role="img"');
      expect(open).toContain('width="100%"');
      expect(open).toMatch(/viewBox="0 0 \d+ \d+(\.\d)?"/);
      const labelledBy = /aria-labelledby="([^"]+)"/.exec(open)?.[1];
      const title = new RegExp(`<title id="${labelledBy}">([^<]+)</title>`).exec(chart)?.[1];
      expect(title).toMatch(/\d/);
      for (const size of chart.matchAll(/font-size="(\d+)"/g)) expect(Number(size[1])).toBeGreaterThanOrEqual(12);
    }
  });

  const titles: [chart: string, expected: string][] = [
    ['daily', 'Impressions and conversions per day for campaign exit-offer, 2026-05-01 to 2026-05-07 (UTC): 12,345 impressions (most on 2026-05-03: 12,345); 273 conversions'],
    ['funnel', 'Funnel for campaign exit-offer: 12,345 impressions, 494 clicks (4.0% of impressions), 273 conversions (2.2% of impressions).'],
    ['irritation', 'closed within 2 s 400 (3.2%), left within 10 s 150 (1.2%), chose fewer offers 12 (0.10%), dismissed 2,100 (17.0%).'],
    ['forest', 'holdout (control) 2.0% (1.3–3.1%); bold (winning) 3.5% (3.0–4.1%); soft (inconclusive) 2.1% (1.7–2.6%).'],
  ];

  it.each(titles)('describes the %s chart in words with its numbers', (chart, expected) => {
    const title = new RegExp(`<title id="c0-${chart}-title">([^<]+)</title>`).exec(fullHtml)?.[1] ?? '';
    expect(textOf(title)).toContain(expected);
  });

  it('labels the forest plot axis in percent', () => {
    const forest = svgs(fullHtml).find((s) => s.includes('c0-forest-title')) ?? '';
    const ticks = [...forest.matchAll(/>(\d+\.\d%)</g)].map((m) => m[1]);
    expect(ticks).toEqual(['1.0%', '2.0%', '3.0%', '4.0%', '5.0%']);
    expect(forest).toContain('holdout · control');
    expect(forest).toContain('bold · winning');
  });

  it('has one main, one h1 and no skipped heading level', () => {
    expect(fullHtml.match(/<main>/g)).toHaveLength(1);
    const levels = [...fullHtml.matchAll(/<h([1-6])/g)].map((m) => Number(m[1]));
    expect(levels.filter((l) => l === 1)).toHaveLength(1);
    levels.forEach((l, i) => expect(l - (levels[i - 1] ?? 0)).toBeLessThanOrEqual(1));
  });

  it('gives every table a caption, every header cell a scope, and every scrolling wrapper focus and a label shown above it (never cut off on a phone)', () => {
    const tables = fullHtml.match(/<table>[\s\S]*?<\/table>/g) ?? [];
    expect(tables.length).toBeGreaterThanOrEqual(4);
    for (const t of tables) expect(t).toMatch(/^<table><caption class="sr-only">[^<]/);
    for (const [, id] of fullHtml.matchAll(/<div class="scroll"[^>]*aria-labelledby="([^"]+)"/g)) expect(fullHtml).toMatch(new RegExp(`<p class="table-title" id="${id}">[^<]`));
    for (const th of fullHtml.match(/<th[\s>][^>]*>/g) ?? []) expect(th).toMatch(/scope="(col|row)"/);
    const wrappers = fullHtml.match(/<div class="scroll"[^>]*>/g) ?? [];
    expect(wrappers).toHaveLength(tables.length);
    for (const w of wrappers) expect(w).toMatch(/tabindex="0" role="region" aria-labelledby="[^"]+"/);
  });

  it.each(Object.entries(PALETTE))('colour %s (%s) has AA contrast against white', (_, colour) => {
    expect(contrastOnWhite(colour)).toBeGreaterThanOrEqual(4.5);
  });
});

describe('chart helpers', () => {
  const tickCases: [min: number, max: number, expected: number[]][] = [
    [0.013, 0.0406, [0.01, 0.02, 0.03, 0.04, 0.05]],
    [0, 0.17, [0, 0.05, 0.1, 0.15, 0.2]],
    [0, 0, [0, 0.001, 0.002, 0.003, 0.004]],
    [0.0201, 0.0203, [0.02, 0.021]],
  ];

  it.each(tickCases)('niceTicks(%d, %d) → %j', (min, max, expected) => {
    expect(niceTicks(min, max)).toEqual(expected);
  });

  const escapes: [input: string, expected: string][] = [
    [`<a href="x" title='y'>&amp;`, '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;'],
    ['nul\u0000 bell\u0007 tab\t newline\n', 'nul\ufffd bell\ufffd tab\t newline\n'],
    ['plain-id_1', 'plain-id_1'],
  ];

  it.each(escapes)('escapeHtml(%j)', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });

  const percents: [fraction: number, expected: string][] = [
    [0.0312, '3.1%'],
    [0, '0.0%'],
    [1, '100.0%'],
    [0.0004, '0.04%'],
    [Number.NaN, '—'],
  ];

  it.each(percents)('formatPercent(%d) → %s', (fraction, expected) => {
    expect(formatPercent(fraction)).toBe(expected);
  });

  it('gives interval bounds the precision of the rate', () => {
    expect(formatRateInterval({ rate: 0.031, low: 0.024, high: 0.039 })).toBe('3.1% (2.4–3.9%)');
    expect(formatRateInterval({ rate: 0.0004, low: 0.0001, high: 0.0012 })).toBe('0.04% (0.01–0.12%)');
  });
});
