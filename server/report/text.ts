// The report as text: a table for the terminal (`npx kairos report`), CSV for spreadsheets, JSON for scripts,
// and the progress bar shown while the events are read. Pure formatting of a Report (server/report/types.ts);
// the progress bar's only effect is writing to the stream it is given.

import { formatCount as count, formatDay as utcDay, formatP, formatPercent as percent, pText, formatRateInterval, formatUplift, plural } from './format';
import type { CampaignReport, ExperimentReport, Report, VariantReport, VerdictKind } from './types';

// ── numbers ─────────────────────────────────────────────────────────────────────────────────────────────────

const approx = new Intl.NumberFormat('en', { maximumSignificantDigits: 2 });

/** A share of the traffic: 50%, 33.3%. */
const share = (x: number): string =>
  new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 }).format(x);

/** Intl throws a RangeError for a code it does not know; a report must still print. */
function currencyFormat(currency: string): (n: number) => string {
  try {
    const f = new Intl.NumberFormat('en', { style: 'currency', currency });
    return (n) => f.format(n);
  } catch {
    return (n) => `${n.toFixed(2)} ${currency}`;
  }
}


// ── terminal text ───────────────────────────────────────────────────────────────────────────────────────────

/** Anything that reaches the terminal from stored data loses its control characters (no escape injection). */
const printable = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');

const ANSI = /\u001b\[[0-9;]*m/g;
/** Columns a string takes in the terminal: ANSI colour codes take none; every character we print takes one. */
const visibleWidth = (s: string): number => [...s.replace(ANSI, '')].length;

type Paint = (s: string) => string;
interface Palette {
  bold: Paint;
  dim: Paint;
  green: Paint;
  red: Paint;
  warn: Paint;
}
const sgr = (code: string): Paint => (s) => `\u001b[${code}m${s}\u001b[0m`;
const plain: Paint = (s) => s;
const palette = (color: boolean): Palette =>
  color
    ? { bold: sgr('1'), dim: sgr('2'), green: sgr('32'), red: sgr('31'), warn: sgr('1;33') }
    : { bold: plain, dim: plain, green: plain, red: plain, warn: plain };

/** Cuts to `width` columns, marking the cut with "…". Only applied to plain text (ids), never to coloured cells. */
function truncate(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return width <= 1 ? '…'.slice(0, width) : chars.slice(0, width - 1).join('') + '…';
}

interface Column {
  header: string;
  align: 'left' | 'right';
  /** The one column that gives up width (by truncating) when the table is wider than the terminal. */
  shrink?: boolean;
  /**
   * A last, left-aligned column of notes that may run past the width rather than squeeze the ids: it ends the
   * line, so a terminal that wraps it misaligns nothing.
   */
  overflow?: boolean;
}

const GAP = '  ';

/**
 * Aligned rows, header first. Right-aligned cells are padded on the left so numbers line up on their last digit;
 * a left-aligned last column is not padded (no trailing spaces). When the table is wider than `width`, the
 * shrinkable column is narrowed (not below its header or 8 columns) and its cells truncated with "…".
 */
function table(columns: Column[], rows: string[][], width: number): string[] {
  const all = [columns.map((c) => c.header), ...rows];
  const widths = columns.map((c, i) =>
    c.overflow ? visibleWidth(c.header) : Math.max(...all.map((r) => visibleWidth(r[i] ?? ''))),
  );
  const total = widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
  const s = columns.findIndex((c) => c.shrink);
  if (total > width && s >= 0) {
    const floor = Math.min(widths[s]!, Math.max(8, visibleWidth(columns[s]!.header)));
    widths[s] = Math.max(floor, widths[s]! - (total - width));
  }
  const cell = (row: string[], c: Column, i: number): string => {
    const w = widths[i]!;
    const text = c.shrink ? truncate(row[i] ?? '', w) : (row[i] ?? '');
    const pad = ' '.repeat(Math.max(0, w - visibleWidth(text)));
    if (c.align === 'right') return pad + text;
    return i === columns.length - 1 ? text : text + pad;
  };
  // trimEnd: empty trailing cells (the control's p and verdict) leave no trailing spaces.
  return all.map((row) => columns.map((c, i) => cell(row, c, i)).join(GAP).trimEnd());
}

/** `to` is exclusive, so the last day of the range is the one holding `to − 1 ms`. */
const lastDay = (r: Report): string => utcDay(Math.max(r.from, r.to - 1));
const dateRange = (r: Report): string => `${utcDay(r.from)} – ${lastDay(r)}`;

function attribution(r: Report): string {
  const { click_days, view_days, model } = r.attribution;
  return (
    `An order counts for the campaign last clicked within ${plural(click_days, 'day')} ` +
    `or seen within ${plural(view_days, 'day')}, ${model}.`
  );
}

function header(r: Report, p: Palette): string[] {
  return [
    `${p.bold('Kairos report')}  ${dateRange(r)} (UTC, ${plural(r.days, 'day')}), ${plural(r.events_read, 'event')} read`,
    attribution(r),
  ];
}

const statusLabel = (c: CampaignReport): string => (c.removed ? 'removed' : c.status);

const CAMPAIGN_COLUMNS: Column[] = [
  { header: 'campaign', align: 'left', shrink: true },
  { header: 'status', align: 'left' },
  { header: 'impressions', align: 'right' },
  { header: 'clicks', align: 'right' },
  { header: 'CTR', align: 'right' },
  { header: 'orders', align: 'right' },
  { header: 'conv.', align: 'right' },
  { header: 'revenue', align: 'right' },
  { header: 'dismissed', align: 'right' },
  { header: 'irritated', align: 'right' },
];

function campaignRow(c: CampaignReport, money: (n: number) => string): string[] {
  const t = c.totals;
  return [
    printable(c.id),
    statusLabel(c),
    count(t.impressions),
    count(t.clicks),
    percent(c.rates.click),
    count(t.conversions),
    percent(c.rates.conversion),
    money(t.revenue),
    percent(c.rates.dismiss),
    percent(c.rates.irritation),
  ];
}

/**
 * The total row. Each rate is a fraction of impressions, so the overall rate is the impression-weighted mean of
 * the campaigns' rates; that holds for whatever aggregate.ts counts as irritation, without redefining it here.
 */
function totalRow(r: Report, money: (n: number) => string): string[] {
  const impressions = r.campaigns.reduce((a, c) => a + c.totals.impressions, 0);
  const overall = (key: keyof CampaignReport['rates']) =>
    impressions === 0 ? 0 : r.campaigns.reduce((a, c) => a + c.rates[key] * c.totals.impressions, 0) / impressions;
  const t = r.totals;
  return [
    'total',
    '',
    count(t.impressions),
    count(t.clicks),
    percent(overall('click')),
    count(t.conversions),
    percent(overall('conversion')),
    money(t.revenue),
    percent(overall('dismiss')),
    percent(overall('irritation')),
  ];
}

const LEGEND = [
  'CTR, conv., dismissed and irritated are shares of impressions; orders are attributed orders;',
  'irritated: closed within 2 s, page left within 10 s for good, or "fewer offers" chosen.',
];

function campaignTable(r: Report, p: Palette, width: number): string[] {
  const money = currencyFormat(r.currency);
  const rows = r.campaigns.map((c) => campaignRow(c, money));
  if (r.campaigns.length > 1) rows.push(totalRow(r, money));
  const [head = '', ...body] = table(CAMPAIGN_COLUMNS, rows, width);
  return [p.bold(head), ...body, ...LEGEND.map(p.dim)];
}

function pausedLine(c: CampaignReport): string | null {
  if (c.status !== 'paused') return null;
  const when = c.pause ? ` ${utcDay(c.pause.at)}` : '';
  const why = c.pause ? `: ${printable(c.pause.reason)}` : '';
  return `paused${when}${why} — resume with \`npx kairos resume ${printable(c.id)}\``;
}

const ARM_COLUMNS: Column[] = [
  { header: 'arm', align: 'left', shrink: true },
  { header: 'share', align: 'right' },
  { header: 'shoppers', align: 'right' },
  { header: 'converters', align: 'right' },
  { header: 'conv. rate', align: 'left' },
  { header: 'uplift', align: 'left' },
  { header: 'p', align: 'right' },
  { header: 'verdict', align: 'left' },
  { header: '', align: 'left', overflow: true },
];

function verdictCell(v: VariantReport['vs_control'], p: Palette): string {
  if (!v) return '';
  const paint: Record<VerdictKind, Paint> = { winning: p.green, losing: p.red, inconclusive: p.dim };
  return paint[v.verdict](v.verdict);
}

/** `needed` is a power calculation, not a count: two significant digits and a "~" say as much. */
const needsCell = (v: VariantReport['vs_control']): string =>
  v?.verdict === 'inconclusive' && v.needed !== null ? `needs ~${approx.format(v.needed)} more per arm` : '';

function armRow(a: VariantReport, p: Palette): string[] {
  const v = a.vs_control;
  return [
    printable(a.id),
    share(a.share),
    count(a.visitors),
    count(a.converters),
    formatRateInterval(a.rate),
    v ? (formatUplift(v.uplift) ?? 'n/a') : a.control ? 'control' : '',
    v ? formatP(v.p) : '',
    verdictCell(v, p),
    needsCell(v),
  ];
}

function srmWarning(e: ExperimentReport): string[] {
  if (!e.srm.mismatch) return [];
  const list = (xs: number[]) => xs.map((x) => count(Math.round(x))).join(' / ');
  return [
    `Warning: sample ratio mismatch (${pText(e.srm.p)}).`,
    `Shoppers per arm ${list(e.srm.observed)}; the configured split expects ${list(e.srm.expected)}.`,
    'The comparison may be biased: check assignment and tracking before acting on it.',
  ];
}

const ARM_LEGEND =
  'Rates and uplifts with 95% intervals; uplift is relative to the control; p: two-sided z-test.';

function experimentBlock(c: CampaignReport, e: ExperimentReport, p: Palette, width: number): string[] {
  const title =
    `Experiment ${printable(c.id)}: orders within ${plural(e.window_days, 'day')} of a shopper's first exposure, ` +
    `control ${printable(e.control)}`;
  const [head = '', ...body] = table(ARM_COLUMNS, e.variants.map((a) => armRow(a, p)), width);
  return [
    p.bold(title),
    p.bold(head),
    ...body,
    p.dim(ARM_LEGEND),
    ...srmWarning(e).map(p.warn),
  ];
}

/** A report with nothing in it: no campaign has a single event or exposed shopper in the range. */
const isEmpty = (r: Report): boolean =>
  r.campaigns.every(
    (c) =>
      Object.values(c.totals).every((n) => n === 0) && (c.experiment?.variants.every((a) => a.visitors === 0) ?? true),
  );

/** What a marketer reads in the terminal. Lines stay within `width` (default 100) by truncating long ids. */
export function reportTable(report: Report, opts: { color?: boolean; width?: number } = {}): string {
  const p = palette(opts.color === true);
  const width = opts.width ?? 100;
  const paused = report.campaigns.map(pausedLine).filter((l): l is string => l !== null).map(p.warn);
  if (isEmpty(report)) {
    return [`No campaign events between ${utcDay(report.from)} and ${lastDay(report)}`, ...paused].join('\n') + '\n';
  }
  const sections: string[][] = [header(report, p), campaignTable(report, p, width)];
  if (paused.length) sections.push(paused);
  for (const c of report.campaigns) if (c.experiment) sections.push(experimentBlock(c, c.experiment, p, width));
  return sections.map((s) => s.join('\n')).join('\n\n') + '\n';
}

// ── CSV ─────────────────────────────────────────────────────────────────────────────────────────────────────

type Field = string | number | boolean | null | undefined;

/**
 * One CSV field. Text starting with = + - @ tab or CR is what spreadsheets run as a formula (OWASP "CSV
 * Injection"), so it gets a leading apostrophe. Numbers are written by us from finite numbers ("-0.12",
 * "1e-7") and are left alone: an apostrophe would turn a negative uplift into text. RFC 4180 §2.6–2.7: quote a
 * field holding a comma, quote, CR or LF, and double the quotes inside.
 */
export function csvField(v: Field): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180: CRLF between records, and after the last one so the file ends in a line break. */
const csv = (rows: Field[][]): string => rows.map((r) => r.map(csvField).join(',') + '\r\n').join('');

/** Money to the cent: sums of prices are floats (0.1 + 0.2), and a spreadsheet should not show 0.30000000000000004. */
const cents = (n: number): number => Math.round(n * 100) / 100;

export const CSV_COLUMNS = [
  'day', 'campaign', 'status', 'impressions', 'clicks', 'conversions', 'revenue',
  'dismissals', 'quick_closes', 'left', 'fewer',
] as const;

/** One row per campaign per UTC day, zeros included; one table, nothing after it. */
export function reportCsv(report: Report): string {
  const rows: Field[][] = [[...CSV_COLUMNS]];
  for (const c of report.campaigns) {
    for (const d of c.daily) {
      rows.push([
        d.day, c.id, statusLabel(c), d.impressions, d.clicks, d.conversions, cents(d.revenue),
        d.dismissals, d.quick_closes, d.left, d.fewer,
      ]);
    }
  }
  return csv(rows);
}

export const VARIANTS_CSV_COLUMNS = [
  'campaign', 'arm', 'control', 'share', 'visitors', 'converters', 'rate', 'rate_low', 'rate_high',
  'uplift', 'uplift_low', 'uplift_high', 'p', 'verdict', 'needed', 'srm_p',
] as const;

/** One row per campaign × experiment arm; the control's comparison fields are empty. */
export function reportVariantsCsv(report: Report): string {
  const rows: Field[][] = [[...VARIANTS_CSV_COLUMNS]];
  for (const c of report.campaigns) {
    const e = c.experiment;
    if (!e) continue;
    for (const a of e.variants) {
      const v = a.vs_control;
      rows.push([
        c.id, a.id, a.control, a.share, a.visitors, a.converters, a.rate.rate, a.rate.low, a.rate.high,
        v?.uplift.value, v?.uplift.low, v?.uplift.high, v?.p, v?.verdict, v?.needed, e.srm.p,
      ]);
    }
  }
  return csv(rows);
}

// ── JSON ────────────────────────────────────────────────────────────────────────────────────────────────────

export function reportJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}

// ── progress ────────────────────────────────────────────────────────────────────────────────────────────────

export interface ProgressOptions {
  /** Usually process.stderr, so the report itself can be redirected cleanly. */
  stream: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number };
  label?: string;
  /** Redraw at most this often; default 100 ms. The final state is not drawn: done() clears the line. */
  minIntervalMs?: number;
  now?: () => number;
}

export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

const BAR_WIDTH = 20;

/** "reading events ▕████░░░░▏ 45%  450,000 / 1,000,000", at most `columns − 1` wide so it never wraps. */
function progressLine(label: string, done: number, total: number, columns = 80): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const tail = ` ${String(Math.floor(ratio * 100)).padStart(3)}%  ${count(done)} / ${count(total)}`;
  const room = columns - 1 - visibleWidth(label) - 3 - visibleWidth(tail);
  const bar = Math.max(0, Math.min(BAR_WIDTH, room));
  const filled = Math.floor(ratio * bar);
  const line = bar >= 5 ? `${label} ▕${'█'.repeat(filled)}${'░'.repeat(bar - filled)}▏${tail}` : `${label}${tail}`;
  return truncate(line, columns - 1);
}

/**
 * A one-line progress bar redrawn in place with \r on a terminal. On anything else (a file, a pipe, a CI log)
 * it writes nothing: a log full of carriage returns helps no one.
 */
export function progressBar(opts: ProgressOptions): Progress {
  const { stream, label = 'reading events', minIntervalMs = 100, now = Date.now } = opts;
  const tty = stream.isTTY === true;
  let last = -Infinity;
  let drawn = 0;
  let finished = false;
  return {
    update(done, total) {
      if (!tty || finished) return;
      const t = now();
      if (t - last < minIntervalMs) return;
      last = t;
      const line = progressLine(label, done, total, stream.columns ?? 80);
      // Padding to the previous length wipes leftovers when the line gets shorter.
      stream.write('\r' + line.padEnd(drawn));
      drawn = visibleWidth(line);
    },
    done() {
      if (finished) return;
      finished = true;
      if (tty && drawn > 0) stream.write('\r' + ' '.repeat(drawn) + '\r');
    },
  };
}
