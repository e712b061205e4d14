// SVG charts for the report page (server/report/html.ts): pure functions from report data to markup strings, no DOM
// and no client-side script. Also the escaping and number formatting the page shares with them, so both speak the
// same numbers: counts with thousands separators, percentages with one decimal ("3.1%"; two below 0.1 %), days
// as UTC dates.
//
// Sizing: every chart is drawn on a 320-unit-wide viewBox and scales to its container (width 100 %). The page keeps
// a chart between ~328 px (a 360 px phone less the page padding) and 30rem wide, so 13-unit text renders at 13–20 px,
// never below the 12 px the page promises. Widths of text are estimated, not measured (there is no layout engine
// here), so labels are laid out with room to spare and long ids are shortened; the full id is always in the title.
//
// Accessibility: each chart is role="img" named by its <title> (aria-labelledby), which says in words what the chart
// shows, with the numbers. Colours pass WCAG AA against white (PALETTE, checked in the tests) and never carry
// meaning alone: every series, step or arm has a text label next to its marks.
import type { DayMeasures, ExperimentReport, Measures, VariantReport, VerdictKind } from './types';
import { formatCount, formatPercent, formatRateInterval, plural } from './format';

// ---------------------------------------------------------------------------------------------------------------
// Escaping and formatting (shared with html.ts)

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text → safe HTML/SVG text or attribute value (double- or single-quoted). C0 controls other than tab, newline and
 * carriage return are invalid in XML and a parse error in HTML, so they become U+FFFD rather than reaching the page.
 */
export function escapeHtml(text: string): string {
  return String(text)
    .replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-05-01" → "May 1"; anything else is returned as it is (and escaped by the caller). */
function shortDay(day: string): string {
  const m = /^\d{4}-(\d{2})-(\d{2})$/.exec(day);
  const month = m ? MONTHS[Number(m[1]) - 1] : undefined;
  return m && month ? `${month} ${Number(m[2])}` : day;
}

/** At most `max` characters, with "…" when cut (for labels inside a chart; the title keeps the whole text). */
export function shorten(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

// ---------------------------------------------------------------------------------------------------------------
// Drawing primitives

/**
 * Colours used for marks and text. Each has at least 4.5:1 contrast against white (WCAG 1.4.3 for text, so also
 * the 3:1 of 1.4.11 for graphics); TRACK and GRID are decorative backgrounds and carry no information.
 */
export const PALETTE = {
  ink: '#1f2937',
  muted: '#4b5563',
  impressions: '#1d4ed8',
  clicks: '#1d4ed8',
  conversions: '#b45309',
  irritation: '#b91c1c',
  winning: '#15803d',
  losing: '#b91c1c',
  inconclusive: '#4b5563',
  control: '#1f2937',
} as const;
const TRACK = '#e5e7eb';
const GRID = '#9ca3af';

/** viewBox width; see the sizing note at the top. */
const W = 320;
/** Left and right margin inside the viewBox: enough for strokes at the edge, so text lines up with the page's. */
const PAD = 1;
const FONT = 13;
/** A bar for a non-zero value is drawn at least this wide, so "some" never looks like "none". */
const MIN_BAR = 2;

/** Coordinates with one decimal keep the markup short. */
const n = (x: number): string => String(Math.round(x * 10) / 10);

/** Identifies a chart on the page: `id` must be unique in the document and is built by the caller from indexes. */
export interface ChartOptions {
  id: string;
  /** What the chart is about, in words, e.g. `campaign spring-sale`; goes into the title (escaped here). */
  subject: string;
}

function svg(opts: ChartOptions, height: number, title: string, body: string): string {
  const id = escapeHtml(opts.id);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${n(height)}" width="100%" role="img" ` +
    `aria-labelledby="${id}-title" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" ` +
    `font-size="${FONT}" fill="${PALETTE.ink}">` +
    `<title id="${id}-title">${escapeHtml(title)}</title>${body}</svg>`
  );
}

type Anchor = 'start' | 'middle' | 'end';

function text(x: number, y: number, content: string, anchor: Anchor = 'start', extra = ''): string {
  const a = anchor === 'start' ? '' : ` text-anchor="${anchor}"`;
  return `<text x="${n(x)}" y="${n(y)}"${a}${extra}>${escapeHtml(content)}</text>`;
}

const rect = (x: number, y: number, w: number, h: number, fill: string): string =>
  `<rect x="${n(x)}" y="${n(y)}" width="${n(Math.max(0, w))}" height="${n(Math.max(0, h))}" fill="${fill}"/>`;

const line = (x1: number, y1: number, x2: number, y2: number, stroke: string, extra = ''): string =>
  `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}"${extra}/>`;

/** Length of a bar for `value` on a scale where `max` fills `span`. */
function barLength(value: number, max: number, span: number): number {
  if (!(value > 0) || !(max > 0)) return 0;
  return Math.min(span, Math.max(MIN_BAR, (value / max) * span));
}

const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

/**
 * Round tick values covering [min, max], about `target` intervals, in steps of 1, 2 or 5 × 10ⁿ and never finer than
 * `minStep` (0.001 = 0.1 % for rates, so one-decimal percentage labels never repeat).
 */
export function niceTicks(min: number, max: number, target = 4, minStep = 0.001): number[] {
  const lo = Number.isFinite(min) ? min : 0;
  const hi = Number.isFinite(max) && max > lo ? max : lo + minStep * target;
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = Math.max(minStep, (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Math.round(i * step * 1e9) / 1e9);
  return ticks;
}

// ---------------------------------------------------------------------------------------------------------------
// (1) Impressions and conversions per day: two small multiples on a shared day axis, each with its own scale. Two
// panels read better on a phone than two y-axes on one plot, and each panel names its series in text.

/** Show each bar's value above it when there are this few days (room for "12,345" per bar). */
const VALUE_LABELS_UP_TO = 7;

interface Panel {
  label: string;
  key: 'impressions' | 'conversions';
  colour: string;
  height: number;
}

function peakOf(daily: readonly DayMeasures[], key: Panel['key']): { value: number; day: string } {
  let best = { value: 0, day: '' };
  for (const d of daily) if (d[key] > best.value) best = { value: d[key], day: d.day };
  return best;
}

function dailyPanel(daily: readonly DayMeasures[], p: Panel, top: number): string {
  const peak = peakOf(daily, p.key);
  const span = W - 2 * PAD;
  const step = daily.length > 0 ? span / daily.length : span;
  const barW = Math.min(24, Math.max(1, step * 0.7));
  const labels = daily.length <= VALUE_LABELS_UP_TO;
  const plotTop = top + 8 + (labels ? 16 : 4);
  const base = top + 8 + p.height;
  const parts = [
    text(PAD, top, p.label, 'start', ' font-weight="600"'),
    text(W - PAD, top, peak.value > 0 ? `peak ${formatCount(peak.value)}` : 'none in this range', 'end', ` fill="${PALETTE.muted}"`),
  ];
  daily.forEach((d, i) => {
    const h = barLength(d[p.key], peak.value, base - plotTop);
    const x = PAD + i * step + (step - barW) / 2;
    if (h > 0) parts.push(rect(x, base - h, barW, h, p.colour));
    if (labels && d[p.key] > 0) parts.push(text(x + barW / 2, base - h - 4, formatCount(d[p.key]), 'middle'));
  });
  parts.push(line(PAD, base + 0.5, W - PAD, base + 0.5, GRID));
  return parts.join('');
}

/** A daily chart of impressions (blue bars, top) and conversions (amber bars, bottom) over the report's days. */
export function dailyChart(daily: readonly DayMeasures[], opts: ChartOptions): string {
  const panels: Panel[] = [
    { label: 'Impressions per day', key: 'impressions', colour: PALETTE.impressions, height: 84 },
    { label: 'Conversions per day', key: 'conversions', colour: PALETTE.conversions, height: 60 },
  ];
  let y = 16;
  const body: string[] = [];
  for (const p of panels) {
    body.push(dailyPanel(daily, p, y));
    y += 8 + p.height + 30;
  }
  // Day axis under the lower panel: first and last day, and the middle one when there is room between them.
  const axisY = y - 30 + 18;
  const first = daily[0];
  const last = daily[daily.length - 1];
  const span = W - 2 * PAD;
  const step = daily.length > 0 ? span / daily.length : span;
  if (first && daily.length === 1) body.push(text(W / 2, axisY, shortDay(first.day), 'middle'));
  if (first && daily.length > 1) body.push(text(PAD, axisY, shortDay(first.day)));
  if (last && daily.length > 1) body.push(text(W - PAD, axisY, shortDay(last.day), 'end'));
  if (daily.length >= 5) {
    const mid = Math.floor(daily.length / 2);
    const d = daily[mid];
    if (d) body.push(text(PAD + (mid + 0.5) * step, axisY, shortDay(d.day), 'middle'));
  }
  if (daily.length === 0) body.push(text(W / 2, axisY, 'No days in this range', 'middle'));
  return svg(opts, axisY + 8, dailyTitle(daily, opts.subject), body.join(''));
}

function dailyTitle(daily: readonly DayMeasures[], subject: string): string {
  const first = daily[0];
  const last = daily[daily.length - 1];
  if (!first || !last) return `Impressions and conversions per day for ${subject}: no days in this range.`;
  const series = (key: Panel['key'], noun: string): string => {
    const total = daily.reduce((sum, d) => sum + d[key], 0);
    const peak = peakOf(daily, key);
    return peak.value > 0 ? `${plural(total, noun)} (most on ${peak.day}: ${formatCount(peak.value)})` : `no ${noun}s`;
  };
  const range = first.day === last.day ? first.day : `${first.day} to ${last.day}`;
  return `Impressions and conversions per day for ${subject}, ${range} (UTC): ${series('impressions', 'impression')}; ${series('conversions', 'conversion')}.`;
}

// ---------------------------------------------------------------------------------------------------------------
// Labelled horizontal bars: the funnel and irritation charts. Each row is a text line (label left, numbers right)
// over a bar on a light track, so the numbers sit next to their mark.

interface BarRow {
  label: string;
  value: number;
  /** Right-hand text, e.g. "480 · 4.0%". */
  note: string;
  colour: string;
}

const ROW_H = 46;

function barRows(rows: readonly BarRow[], max: number, top: number): string {
  const span = W - 2 * PAD;
  return rows
    .map((r, i) => {
      const y = top + i * ROW_H;
      return (
        text(PAD, y + FONT, r.label) +
        text(W - PAD, y + FONT, r.note, 'end') +
        rect(PAD, y + 20, span, 16, TRACK) +
        rect(PAD, y + 20, barLength(r.value, max, span), 16, r.colour)
      );
    })
    .join('');
}

/** The funnel impression → click → conversion: counts and shares of impressions, bars linear in the counts. */
export function funnelChart(m: Measures, opts: ChartOptions): string {
  const share = (v: number): string => (m.impressions > 0 ? ` · ${formatPercent(ratio(v, m.impressions))}` : '');
  const rows: BarRow[] = [
    { label: 'Impressions', value: m.impressions, note: `${formatCount(m.impressions)}${share(m.impressions)}`, colour: PALETTE.impressions },
    { label: 'Clicks', value: m.clicks, note: `${formatCount(m.clicks)}${share(m.clicks)}`, colour: PALETTE.clicks },
    { label: 'Conversions', value: m.conversions, note: `${formatCount(m.conversions)}${share(m.conversions)}`, colour: PALETTE.conversions },
  ];
  // Conversions include view-through orders (no click), so any step may be the largest; scale to the largest.
  const max = Math.max(m.impressions, m.clicks, m.conversions);
  const head = text(PAD, 14, 'Percentages are shares of impressions', 'start', ` fill="${PALETTE.muted}"`);
  const title =
    m.impressions > 0
      ? `Funnel for ${opts.subject}: ${plural(m.impressions, 'impression')}, ${plural(m.clicks, 'click')} ` +
        `(${formatPercent(ratio(m.clicks, m.impressions))} of impressions), ${plural(m.conversions, 'conversion')} ` +
        `(${formatPercent(ratio(m.conversions, m.impressions))} of impressions).`
      : `Funnel for ${opts.subject}: no impressions, ${plural(m.clicks, 'click')}, ${plural(m.conversions, 'conversion')}.`;
  return svg(opts, 28 + rows.length * ROW_H, title, head + barRows(rows, max, 28));
}

/** Tick labels under a bar scale from 0 to the last tick. */
function percentAxis(ticks: readonly number[], y: number, x0: number, x1: number): string {
  const max = ticks[ticks.length - 1] ?? 1;
  return ticks
    .map((t, i) => {
      const x = x0 + (t / max) * (x1 - x0);
      const anchor: Anchor = i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle';
      return line(x, y - 14, x, y - 9, GRID) + text(x, y, formatPercent(t), anchor, ` fill="${PALETTE.muted}"`);
    })
    .join('');
}

/** Irritation signals as shares of impressions: quick closes, left within 10 s, fewer offers chosen, dismissals. */
export function irritationChart(m: Measures, opts: ChartOptions): string {
  const signals: [label: string, value: number][] = [
    ['Closed within 2 s', m.quick_closes],
    ['Left within 10 s', m.left],
    ['Chose fewer offers', m.fewer],
    ['Dismissed', m.dismissals],
  ];
  const shares = signals.map(([, v]) => ratio(v, m.impressions));
  const ticks = niceTicks(0, Math.max(0.01, ...shares), 4);
  const scaleMax = ticks[ticks.length - 1] ?? 1;
  const rows: BarRow[] = signals.map(([label, value], i) => ({
    label,
    value: shares[i] ?? 0,
    note: m.impressions > 0 ? `${formatCount(value)} · ${formatPercent(shares[i] ?? 0)}` : formatCount(value),
    colour: PALETTE.irritation,
  }));
  const head = text(PAD, 14, 'Shares of impressions', 'start', ` fill="${PALETTE.muted}"`);
  const top = 28;
  const axisY = top + rows.length * ROW_H + 14;
  const title =
    m.impressions > 0
      ? `Irritation for ${opts.subject}, as shares of ${plural(m.impressions, 'impression')}: ` +
        signals.map(([label, v], i) => `${label.toLowerCase()} ${formatCount(v)} (${formatPercent(shares[i] ?? 0)})`).join(', ') +
        '.'
      : `Irritation for ${opts.subject}: no impressions in this range.`;
  return svg(opts, axisY + 6, title, head + barRows(rows, scaleMax, top) + percentAxis(ticks, axisY, PAD, W - PAD));
}

// ---------------------------------------------------------------------------------------------------------------
// (3) Variant comparison as a forest plot: per arm, its conversion rate (a point) and Wilson 95 % interval (a line)
// on one shared axis, the control drawn as a diamond with a dashed reference line through its rate.

const VERDICT_COLOUR: Record<VerdictKind, string> = {
  winning: PALETTE.winning,
  losing: PALETTE.losing,
  inconclusive: PALETTE.inconclusive,
};

/** The word next to an arm: "control" or its verdict. */
const armTag = (v: VariantReport): string => (v.control ? 'control' : (v.vs_control?.verdict ?? 'not compared'));

const FOREST_ROW = 48;
/** Keeps the tick labels at the ends inside the viewBox. */
const FOREST_INSET = 20;

/** Conversion rate per arm with its Wilson 95 % interval, control marked, on a shared axis labelled in %. */
export function forestPlot(exp: ExperimentReport, opts: ChartOptions): string {
  const arms = exp.variants;
  const lows = arms.map((a) => a.rate.low);
  const highs = arms.map((a) => a.rate.high);
  const ticks = niceTicks(Math.max(0, Math.min(...lows, 1)), Math.max(...highs, 0), 4);
  const lo = ticks[0] ?? 0;
  const hi = ticks[ticks.length - 1] ?? 1;
  const x0 = PAD + FOREST_INSET;
  const x1 = W - PAD - FOREST_INSET;
  const x = (rate: number): number => x0 + ((Math.min(hi, Math.max(lo, rate)) - lo) / (hi - lo || 1)) * (x1 - x0);
  const top = 8;
  const body: string[] = [];
  const control = arms.find((a) => a.control);
  const plotBottom = top + arms.length * FOREST_ROW;
  arms.forEach((a, i) => {
    const y = top + i * FOREST_ROW;
    const colour = a.control ? PALETTE.control : VERDICT_COLOUR[a.vs_control?.verdict ?? 'inconclusive'];
    const cy = y + 30;
    // The control's rate as a dashed reference through each row's plot band (not through the labels above it).
    if (control) {
      const cx = x(control.rate.rate);
      body.push(line(cx, cy - 11, cx, cy + 11, PALETTE.muted, ' stroke-dasharray="3 2"'));
    }
    body.push(
      text(PAD, y + FONT, `${shorten(a.id, 16)} · ${armTag(a)}`, 'start', a.control ? ' font-weight="600"' : ''),
      text(W - PAD, y + FONT, formatRateInterval(a.rate), 'end'),
      line(x(a.rate.low), cy, x(a.rate.high), cy, colour, ' stroke-width="2"'),
      line(x(a.rate.low), cy - 5, x(a.rate.low), cy + 5, colour, ' stroke-width="2"'),
      line(x(a.rate.high), cy - 5, x(a.rate.high), cy + 5, colour, ' stroke-width="2"'),
    );
    const px = x(a.rate.rate);
    body.push(
      a.control
        ? `<path d="M${n(px)} ${n(cy - 7)}l7 7-7 7-7-7z" fill="${colour}"/>`
        : `<circle cx="${n(px)}" cy="${n(cy)}" r="5.5" fill="${colour}"/>`,
    );
  });
  const axisTop = plotBottom + 4;
  body.push(line(x0, axisTop, x1, axisTop, GRID));
  ticks.forEach((t) => {
    const tx = x(t);
    body.push(line(tx, axisTop, tx, axisTop + 5, GRID), text(tx, axisTop + 20, formatPercent(t), 'middle', ` fill="${PALETTE.muted}"`));
  });
  body.push(text(W / 2, axisTop + 40, 'Conversion rate (95% interval)', 'middle', ` fill="${PALETTE.muted}"`));
  const describe = (a: VariantReport): string => `${a.id} ${a.control ? '(control)' : `(${armTag(a)})`} ${formatRateInterval(a.rate)}`;
  const title =
    `Conversion rate per arm with 95% intervals for ${opts.subject}` +
    (arms.length > 0 ? `: ${arms.map(describe).join('; ')}.` : ': no arms.');
  return svg(opts, axisTop + 48, title, body.join(''));
}
