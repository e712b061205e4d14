// The report as a marketer sees it in the terminal, as a spreadsheet reads the CSV, and the progress bar while
// events are read. Hand-built Reports, assertions on what a reader would notice.
import { describe, expect, it } from 'vitest';
import { progressBar, reportCsv, reportJson, reportTable, reportVariantsCsv } from '../server/report/text';
import {
  emptyMeasures,
  type CampaignReport,
  type DayMeasures,
  type ExperimentReport,
  type Measures,
  type Report,
  type VariantReport,
} from '../server/report/types';

const DAY = 86_400_000;
const FROM = Date.UTC(2026, 0, 1);

const measures = (m: Partial<Measures> = {}): Measures => ({ ...emptyMeasures(), ...m });

const days = (n: number, m: Partial<Measures> = {}): DayMeasures[] =>
  Array.from({ length: n }, (_, i) => ({ day: new Date(FROM + i * DAY).toISOString().slice(0, 10), ...measures(m) }));

function campaign(id: string, over: Partial<CampaignReport> = {}): CampaignReport {
  return {
    id,
    type: 'popup',
    status: 'running',
    totals: measures({ impressions: 12_345, clicks: 456, conversions: 78, revenue: 4567.89, dismissals: 1500 }),
    rates: { click: 0.0369, conversion: 0.0063, dismiss: 0.1215, irritation: 0.012 },
    daily: days(3, { impressions: 100, clicks: 4, conversions: 1, revenue: 19.9 }),
    ...over,
  };
}

function arm(id: string, over: Partial<VariantReport> = {}): VariantReport {
  return {
    id,
    control: false,
    share: 0.5,
    visitors: 5000,
    converters: 155,
    revenue: 0,
    rate: { rate: 0.031, low: 0.024, high: 0.039 },
    measures: emptyMeasures(),
    ...over,
  };
}

function experiment(over: Partial<ExperimentReport> = {}): ExperimentReport {
  return {
    control: 'holdout',
    window_days: 14,
    variants: [
      arm('holdout', { control: true, share: 0.5, converters: 140, rate: { rate: 0.028, low: 0.0238, high: 0.0329 } }),
      arm('ten-off', {
        vs_control: {
          uplift: { value: 0.123, low: -0.04, high: 0.31 },
          p: 0.21,
          verdict: 'inconclusive',
          needed: 1234,
        },
      }),
    ],
    srm: { p: 0.62, mismatch: false, observed: [4980, 5020], expected: [5000, 5000] },
    ...over,
  };
}

function report(campaigns: CampaignReport[], over: Partial<Report> = {}): Report {
  return {
    generated_at: FROM + 30 * DAY,
    from: FROM,
    to: FROM + 30 * DAY,
    days: 30,
    currency: 'EUR',
    attribution: { model: 'last touch', click_days: 7, view_days: 1 },
    events_read: 1_234_567,
    totals: measures({ impressions: 20_345, clicks: 576, conversions: 88, revenue: 4912.89, dismissals: 2000 }),
    campaigns,
    ...over,
  };
}

const ANSI = /\u001b\[[0-9;]*m/g;
const strip = (s: string) => s.replace(ANSI, '');
const width = (s: string) => [...s].length;
const lines = (s: string) => s.split('\n');

/** The campaign table: from its header row to the line before the legend. */
function campaignRows(text: string): string[] {
  const all = lines(strip(text));
  const start = all.findIndex((l) => l.startsWith('campaign '));
  const end = all.findIndex((l, i) => i > start && l.startsWith('CTR, conv.'));
  return all.slice(start, end);
}

describe('reportTable', () => {
  const twoCampaigns = report([
    campaign('welcome-10'),
    campaign('exit', {
      totals: measures({ impressions: 8, clicks: 1, conversions: 0, revenue: 0 }),
      rates: { click: 0.125, conversion: 0, dismiss: 0, irritation: 0 },
    }),
  ]);

  it('opens with the UTC date range (the exclusive end shown as the last day), events read and attribution', () => {
    const [first, second] = lines(reportTable(twoCampaigns));
    expect(first).toContain('2026-01-01 – 2026-01-30');
    expect(first).toContain('1,234,567 events read');
    expect(second).toContain(
      'an order counts for the campaign last clicked within 7 days or seen within 1 day, last touch'.replace(/^a/, 'A'),
    );
  });

  it('aligns the campaign table: every row as wide as the header, numbers ending on the same column', () => {
    const rows = campaignRows(reportTable(twoCampaigns));
    expect(rows).toHaveLength(4); // header, two campaigns, total
    const w = width(rows[0]!);
    for (const row of rows) expect(width(row)).toBe(w);
    // Right-aligned: the clicks column ends where its header ends, for 456 as for 1.
    const end = rows[0]!.indexOf('clicks') + 'clicks'.length;
    expect(rows[1]!.slice(0, end)).toMatch(/ 456$/);
    expect(rows[2]!.slice(0, end)).toMatch(/ 1$/);
    // Ids left-aligned.
    expect(rows[1]!.startsWith('welcome-10 ')).toBe(true);
    expect(rows[2]!.startsWith('exit ')).toBe(true);
  });

  it('formats counts, rates and revenue as a reader expects', () => {
    const row = campaignRows(reportTable(twoCampaigns))[1]!;
    expect(row.split(/\s{2,}/)).toEqual([
      'welcome-10', 'running', '12,345', '456', '3.7%', '78', '0.6%', '€4,567.89', '12.2%', '1.2%',
    ]);
    const usd = reportTable(report([campaign('a')], { currency: 'USD' }));
    expect(usd).toContain('$4,567.89');
  });

  it('keeps lines within the width by truncating long ids with …', () => {
    const long = 'black-friday-early-access-for-newsletter-subscribers-only-2026';
    const text = reportTable(report([campaign(long)]), { width: 100 });
    const rows = campaignRows(text);
    for (const row of rows) expect(width(row)).toBeLessThanOrEqual(100);
    expect(rows[1]).toMatch(/^black-friday-\S*… /);
    expect(text).not.toContain(long);
  });

  it('still shows the start of an id when the terminal is narrower than the numbers', () => {
    const rows = campaignRows(reportTable(report([campaign('black-friday-early-access')]), { width: 40 }));
    expect(rows[1]).toMatch(/^black-f… {2}running /);
  });

  it('shows each arm with its Wilson interval, uplift with interval, p, verdict and the sample still needed', () => {
    const text = reportTable(report([campaign('welcome-10', { experiment: experiment() })]));
    const row = lines(text).find((l) => l.startsWith('ten-off'))!;
    expect(row.split(/\s{2,}/)).toEqual([
      'ten-off', '50%', '5,000', '155', '3.1% (2.4–3.9%)', '+12.3% (-4.0% to +31.0%)', '0.210', 'inconclusive',
      'needs ~1,200 more per arm',
    ]);
    const control = lines(text).find((l) => l.startsWith('holdout'))!;
    expect(control).toContain('2.8% (2.4–3.3%)');
    expect(control).toMatch(/control$/); // no p, no verdict, no trailing spaces
  });

  it('says nothing about the sample still needed once there is a verdict, or when it cannot be computed', () => {
    const decided = experiment();
    decided.variants[1]!.vs_control = {
      uplift: { value: 0.4, low: 0.1, high: 0.8 },
      p: 0.0004,
      verdict: 'winning',
      needed: 10,
    };
    const text = reportTable(report([campaign('c', { experiment: decided })]));
    const row = lines(text).find((l) => l.startsWith('ten-off'))!;
    expect(row).toMatch(/< 0\.001 {2}winning$/);
    expect(text).not.toContain('needs ~');

    const unknown = experiment();
    unknown.variants[1]!.vs_control!.needed = null;
    expect(reportTable(report([campaign('c', { experiment: unknown })]))).not.toContain('needs ~');
  });

  it('warns about a sample ratio mismatch only when there is one', () => {
    const fine = reportTable(report([campaign('c', { experiment: experiment() })]));
    expect(fine).not.toMatch(/sample ratio mismatch/i);
    const skewed = experiment({ srm: { p: 0.00001, mismatch: true, observed: [5400, 4600], expected: [5000, 5000] } });
    const text = reportTable(report([campaign('c', { experiment: skewed })]));
    expect(text).toContain('Warning: sample ratio mismatch (p < 0.001)');
    expect(text).toContain('5,400 / 4,600');
    expect(text).toContain('5,000 / 5,000');
  });

  it('tells how to resume a paused campaign', () => {
    const paused = campaign('exit-offer', {
      status: 'paused',
      pause: { at: Date.UTC(2026, 0, 12, 15, 30), reason: 'irritation rate 9.1% above 5%' },
    });
    const text = reportTable(report([campaign('a'), paused]));
    expect(lines(text)).toContain(
      'paused 2026-01-12: irritation rate 9.1% above 5% — resume with `npx kairos resume exit-offer`',
    );
    expect(text.match(/^paused/gm)).toHaveLength(1);
  });

  it('prints one sentence for a report without events', () => {
    expect(reportTable(report([]))).toBe('No campaign events between 2026-01-01 and 2026-01-30\n');
    const idle = campaign('a', { totals: emptyMeasures(), daily: days(3) });
    expect(reportTable(report([idle]))).toBe('No campaign events between 2026-01-01 and 2026-01-30\n');
  });

  it('uses no colour unless asked, and colour never breaks the alignment', () => {
    const skewed = experiment({ srm: { p: 0.00001, mismatch: true, observed: [5400, 4600], expected: [5000, 5000] } });
    const r = report([campaign('a', { experiment: skewed }), campaign('b')]);
    expect(reportTable(r)).not.toMatch(ANSI);
    const coloured = reportTable(r, { color: true });
    expect(coloured).toMatch(ANSI);
    expect(strip(coloured)).toBe(reportTable(r));
  });

  it('keeps escape sequences in stored text out of the terminal', () => {
    const paused = campaign('a', { status: 'paused', pause: { at: FROM, reason: 'bad\u001b[2J\nnews' } });
    expect(reportTable(report([paused]))).not.toContain('\u001b');
  });
});

/** RFC 4180 (§2): records end in CRLF, fields may be quoted, a quote inside a quoted field is doubled. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (ch === '"') (quoted = false), i++;
      else (field += ch), i++;
    } else if (ch === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      i++;
    } else if (ch === ',') {
      record.push(field), (field = ''), i++;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field), records.push(record), (record = []), (field = ''), (i += 2);
    } else if (ch === '\r' || ch === '\n') {
      throw new Error(`bare line break outside quotes at ${i}`);
    } else (field += ch), i++;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || record.length) record.push(field), records.push(record);
  return records;
}

describe('reportCsv', () => {
  it('is one table: a header, then one row per campaign per day, CRLF-terminated', () => {
    const r = report([campaign('a'), campaign('b', { status: 'off', removed: true })]);
    const text = reportCsv(r);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([
      'day', 'campaign', 'status', 'impressions', 'clicks', 'conversions', 'revenue',
      'dismissals', 'quick_closes', 'left', 'fewer',
    ]);
    expect(rows).toHaveLength(1 + 2 * 3);
    expect(rows[1]).toEqual(['2026-01-01', 'a', 'running', '100', '4', '1', '19.9', '0', '0', '0', '0']);
    expect(rows[6]).toEqual(['2026-01-03', 'b', 'removed', '100', '4', '1', '19.9', '0', '0', '0', '0']);
  });

  it('round-trips a field holding a comma, a quote and a line break', () => {
    const nasty = 'spring, "sale"\r\nday two';
    const rows = parseCsv(reportCsv(report([campaign(nasty)])));
    expect(rows[1]![1]).toBe(nasty);
    expect(rows.every((r) => r.length === 11)).toBe(true);
  });

  it('rounds revenue to the cent', () => {
    const c = campaign('a', { daily: [{ ...days(1)[0]!, revenue: 0.1 + 0.2 }] });
    expect(parseCsv(reportCsv(report([c])))[1]![6]).toBe('0.3');
  });

  it.each(['=HYPERLINK("http://x.example","click")', '+1+1', '-1+1', '@SUM(A1)', '\tcmd', '\rcmd'])(
    'defuses a formula in text: %j',
    (id) => {
      const field = parseCsv(reportCsv(report([campaign(id)])))[1]![1];
      expect(field).toBe(`'${id}`);
    },
  );
});

describe('reportVariantsCsv', () => {
  it('has one row per campaign × arm, numbers as numbers (a negative uplift bound is not defused)', () => {
    const r = report([campaign('a', { experiment: experiment() }), campaign('no-experiment')]);
    const rows = parseCsv(reportVariantsCsv(r));
    expect(rows[0]).toEqual([
      'campaign', 'arm', 'control', 'share', 'visitors', 'converters', 'rate', 'rate_low', 'rate_high',
      'uplift', 'uplift_low', 'uplift_high', 'p', 'verdict', 'needed', 'srm_p',
    ]);
    expect(rows.slice(1)).toEqual([
      ['a', 'holdout', 'true', '0.5', '5000', '140', '0.028', '0.0238', '0.0329', '', '', '', '', '', '', '0.62'],
      ['a', 'ten-off', 'false', '0.5', '5000', '155', '0.031', '0.024', '0.039', '0.123', '-0.04', '0.31', '0.21',
        'inconclusive', '1234', '0.62'],
    ]);
  });

  it('leaves an undefined uplift and an unknown sample size empty', () => {
    const e = experiment();
    e.variants[1]!.vs_control = { uplift: { value: null, low: null, high: null }, p: 1, verdict: 'inconclusive', needed: null };
    const row = parseCsv(reportVariantsCsv(report([campaign('a', { experiment: e })])))[2]!;
    expect(row.slice(9, 15)).toEqual(['', '', '', '1', 'inconclusive', '']);
  });
});

describe('reportJson', () => {
  it('parses back to the same report, numbers as numbers', () => {
    const r = report([campaign('a', { experiment: experiment() })]);
    const text = reportJson(r);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(r);
    expect(text).toContain('"events_read": 1234567');
  });
});

describe('progressBar', () => {
  function fakeStream(isTTY: boolean, columns = 80) {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns, write: (s: string) => writes.push(s) } };
  }

  it('writes nothing when the output is not a terminal', () => {
    const { writes, stream } = fakeStream(false);
    const bar = progressBar({ stream });
    bar.update(1, 10);
    bar.update(10, 10);
    bar.done();
    expect(writes).toEqual([]);
  });

  it('redraws one line at most every minIntervalMs and clears it when done', () => {
    const { writes, stream } = fakeStream(true);
    let t = 1000;
    const bar = progressBar({ stream, minIntervalMs: 100, now: () => t });
    bar.update(450_000, 1_000_000);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^\rreading events ▕█{9}░{11}▏  45% {2}450,000 \/ 1,000,000$/);

    t += 50;
    bar.update(500_000, 1_000_000); // too soon
    expect(writes).toHaveLength(1);
    t += 50;
    bar.update(600_000, 1_000_000);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain(' 60%  600,000 / 1,000,000');

    bar.done();
    const last = writes.at(-1)!;
    expect(last).toMatch(/^\r +\r$/);
    expect(last.length - 2).toBeGreaterThanOrEqual(width(writes[1]!) - 1);
    bar.update(700_000, 1_000_000);
    bar.done();
    expect(writes).toHaveLength(3);
  });

  it('never writes a line that would wrap on a narrow terminal, and uses the label given', () => {
    const { writes, stream } = fakeStream(true, 40);
    progressBar({ stream, label: 'importing', now: () => 0 }).update(5, 10);
    expect(width(writes[0]!.slice(1))).toBeLessThan(40);
    expect(writes[0]).toMatch(/^\rimporting /);
  });

  it('clears nothing if it never drew', () => {
    const { writes, stream } = fakeStream(true);
    progressBar({ stream }).done();
    expect(writes).toEqual([]);
  });
});
