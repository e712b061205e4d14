// The report page (GET /report): one self-contained HTML document rendered on the server from a `Report`. No
// script, no external resources, one inline <style> (with the CSP nonce when given), charts as inline SVG
// (server/report/svg.ts). Every text that comes from data — campaign, variant and type ids, pause reasons, the
// currency — goes through escapeHtml; ids in the markup are built from indexes, never from data.
//
// Accessibility (the page must pass axe's WCAG 2 A/AA rules): one <main>, headings h1 → h2 → h3, tables with a
// <caption> and <th scope>, wide tables in a focusable, labelled scroll region (WCAG 2.1.1: keyboard users must be
// able to scroll them), charts named in words with their numbers, ids unique per page, AA contrast throughout.
import type { CampaignReport, DayMeasures, ExperimentReport, Measures, Report, VariantReport } from './types';
import {
  NO_VALUE,
  formatCount,
  formatDateTime,
  formatDay,
  formatP,
  formatPercent,
  formatRateInterval,
  formatUplift,
  plural,
  pText,
} from './format';
import { dailyChart, escapeHtml, forestPlot, funnelChart, irritationChart } from './svg';

export interface RenderOptions {
  /** CSP nonce for the inline <style> (`style-src 'nonce-…'`). */
  nonce?: string;
}

/** Formats money in the report's currency; built once per page. */
type Money = (amount: number) => string;

function moneyFormatter(currency: string): Money {
  try {
    const f = new Intl.NumberFormat('en', { style: 'currency', currency });
    return (amount) => (Number.isFinite(amount) ? f.format(amount) : NO_VALUE);
  } catch {
    // Not an ISO 4217 code Intl knows (the config checks the shape, not the list): show the amount and the code.
    return (amount) => (Number.isFinite(amount) ? `${amount.toFixed(2)} ${currency}` : NO_VALUE);
  }
}

/** A data-derived id or name, escaped and isolated from the surrounding text's direction (U+202E and friends). */
const name = (text: string): string => `<bdi>${escapeHtml(text)}</bdi>`;

const time = (iso: string, shown: string): string => `<time datetime="${escapeHtml(iso)}">${escapeHtml(shown)}</time>`;

const isoOf = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : '');

/** Ends `text` with a full stop unless it already ends a sentence. */
const sentence = (text: string): string => (/[.!?]\s*$/.test(text) ? text.trim() : `${text.trim()}.`);

const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

/** The report's first and last day as UTC dates: `to` is exclusive, so the last day is the one holding `to − 1 ms`. */
function rangeDays(r: Report): [first: string, last: string] {
  const first = formatDay(r.from);
  return [first, Number.isFinite(r.to) && r.to > r.from ? formatDay(r.to - 1) : first];
}

function rangeText(r: Report): string {
  const [first, last] = rangeDays(r);
  return first === last ? first : `${first} to ${last}`;
}

function rangeHtml(r: Report): string {
  const [first, last] = rangeDays(r);
  const dates = first === last ? time(first, first) : `${time(first, first)} to ${time(last, last)}`;
  return `${dates} (${plural(r.days, 'day')}, UTC)`;
}

/**
 * A table that may be wider than a phone: it scrolls sideways inside a region that keyboard users can focus and
 * screen readers announce by the table's caption. `caption`, `head`, `body` and `foot` are markup, escaped already.
 */
function scrollTable(captionId: string, caption: string, head: string, body: string, foot = ''): string {
  // The title is shown above the scrolling region, so a phone shows all of it; the caption says it again for screen
  // readers inside the table.
  return (
    `<p class="table-title" id="${captionId}">${caption}</p>` +
    `<div class="scroll" tabindex="0" role="region" aria-labelledby="${captionId}">` +
    `<table><caption class="sr-only">${caption}</caption><thead>${head}</thead><tbody>${body}</tbody>` +
    `${foot ? `<tfoot>${foot}</tfoot>` : ''}</table></div>`
  );
}

/** A header row; the columns at `textColumns` hold text and are left-aligned like their cells (numbers align right). */
const th = (cells: readonly string[], textColumns: readonly number[] = [0]): string =>
  `<tr>${cells.map((c, i) => `<th scope="col"${textColumns.includes(i) ? ' class="t"' : ''}>${c}</th>`).join('')}</tr>`;

// ---------------------------------------------------------------------------------------------------------------
// Header and summary

function header(r: Report): string {
  const { click_days, view_days } = r.attribution;
  return (
    '<header class="page-head">' +
    '<h1>Shop report</h1>' +
    `<p class="range">${rangeHtml(r)}</p>` +
    `<p class="meta">Generated ${time(isoOf(r.generated_at), formatDateTime(r.generated_at))} from ${plural(r.events_read, 'event')} read.</p>` +
    `<p class="meta">Conversions: an order counts for the campaign the shopper last clicked within ${plural(click_days, 'day')} ` +
    `or last saw within ${plural(view_days, 'day')} (last touch). Days are UTC.</p>` +
    '</header>'
  );
}

/** What the status column and the section say about a campaign's state. */
function statusWord(c: CampaignReport): string {
  if (c.removed) return 'removed';
  return c.status;
}

/**
 * The rates of the totals row. Each rate is a fraction of impressions, so the overall rate is the
 * impression-weighted mean of the campaigns' rates: whatever aggregate.ts counts as irritation, without redefining
 * it here (server/report/text.ts does the same, so the two reports agree).
 */
function overallRates(campaigns: readonly CampaignReport[]): CampaignReport['rates'] {
  const impressions = campaigns.reduce((sum, c) => sum + c.totals.impressions, 0);
  const overall = (key: keyof CampaignReport['rates']): number =>
    ratio(campaigns.reduce((sum, c) => sum + c.rates[key] * c.totals.impressions, 0), impressions);
  return { click: overall('click'), conversion: overall('conversion'), dismiss: overall('dismiss'), irritation: overall('irritation') };
}

function measureCells(m: Measures, rates: CampaignReport['rates'], money: Money): string {
  return [
    formatCount(m.impressions),
    formatCount(m.clicks),
    formatPercent(rates.click),
    formatCount(m.conversions),
    formatPercent(rates.conversion),
    money(m.revenue),
    formatPercent(rates.dismiss),
    formatPercent(rates.irritation),
  ]
    .map((v) => `<td>${escapeHtml(v)}</td>`)
    .join('');
}

function summary(r: Report, money: Money): string {
  const head = th([
    'Campaign',
    'Status',
    'Impressions',
    'Clicks',
    'Click rate',
    'Conversions',
    'Conversion rate',
    'Revenue',
    'Dismiss rate',
    'Irritation rate',
  ], [0, 1]);
  const rows = r.campaigns
    .map(
      (c, i) =>
        `<tr><th scope="row"><a href="#campaign-${i}">${name(c.id)}</a></th>` +
        `<td class="t">${escapeHtml(statusWord(c))}</td>${measureCells(c.totals, c.rates, money)}</tr>`,
    )
    .join('');
  const foot = `<tr><th scope="row">All campaigns</th><td class="t"></td>${measureCells(r.totals, overallRates(r.campaigns), money)}</tr>`;
  return (
    '<section aria-labelledby="summary-h">' +
    '<h2 id="summary-h">All campaigns</h2>' +
    scrollTable('summary-cap', `Campaigns, ${escapeHtml(rangeText(r))}; rates are shares of impressions`, head, rows, foot) +
    '</section>'
  );
}

// ---------------------------------------------------------------------------------------------------------------
// One campaign

function statusNotice(c: CampaignReport): string {
  if (c.removed) {
    return '<p class="notice notice-off">No longer in kairos.yaml: these are the events stored while it was there.</p>';
  }
  if (c.status === 'paused') {
    const when = c.pause ? ` on ${time(isoOf(c.pause.at), formatDateTime(c.pause.at))}` : '';
    const why = c.pause?.reason ? `: ${escapeHtml(sentence(c.pause.reason))}` : '.';
    return (
      '<div class="notice notice-paused">' +
      `<p><strong>Paused</strong> automatically${when}${why}</p>` +
      '<p>While paused it is shown to no one. ' +
      `Resume it with <code>npx kairos resume ${escapeHtml(c.id)}</code></p>` +
      '</div>'
    );
  }
  if (c.status === 'off') {
    return '<p class="notice notice-off">Switched off (<code>enabled: false</code> in kairos.yaml): it is shown to no one.</p>';
  }
  return '';
}

function dayTable(daily: readonly DayMeasures[], i: number, money: Money): string {
  const head = th(['Day', 'Impressions', 'Clicks', 'Conversions', 'Revenue', 'Dismissals']);
  const rows = daily
    .map(
      (d) =>
        `<tr><th scope="row">${time(d.day, d.day)}</th>` +
        [formatCount(d.impressions), formatCount(d.clicks), formatCount(d.conversions), money(d.revenue), formatCount(d.dismissals)]
          .map((v) => `<td>${escapeHtml(v)}</td>`)
          .join('') +
        '</tr>',
    )
    .join('');
  return (
    '<details><summary>Day-by-day numbers</summary>' +
    scrollTable(`c${i}-days-cap`, 'Per UTC day', head, rows) +
    '</details>'
  );
}

function charts(c: CampaignReport, i: number, money: Money): string {
  const subject = `campaign ${c.id}`;
  const t = c.totals;
  if (t.impressions === 0 && t.conversions === 0 && t.clicks === 0) {
    return '<p>Not shown in this range.</p>';
  }
  return (
    '<div class="charts">' +
    `<div class="chart"><h3>Day by day</h3>${dailyChart(c.daily, { id: `c${i}-daily`, subject })}${dayTable(c.daily, i, money)}</div>` +
    `<div class="chart"><h3>Funnel</h3>${funnelChart(t, { id: `c${i}-funnel`, subject })}` +
    '<p class="note">Conversions include orders placed after only seeing the campaign, so they can exceed clicks.</p></div>' +
    `<div class="chart"><h3>Irritation</h3>${irritationChart(t, { id: `c${i}-irritation`, subject })}` +
    `<p class="note">Irritation rate ${escapeHtml(formatPercent(c.rates.irritation))}: closes within 2 s, pages left within 10 s ` +
    `and “fewer offers” choices per impression. Dismiss rate ${escapeHtml(formatPercent(c.rates.dismiss))}.</p></div>` +
    '</div>'
  );
}

function upliftText(v: VariantReport): string {
  const u = v.vs_control?.uplift;
  if (!u) return NO_VALUE;
  return formatUplift(u) ?? 'n/a (control has no conversions)';
}

function verdictHtml(v: VariantReport): string {
  if (v.control || !v.vs_control) return 'control';
  const { verdict, needed } = v.vs_control;
  const word = `<strong class="verdict-${escapeHtml(verdict)}">${escapeHtml(verdict)}</strong>`;
  if (verdict !== 'inconclusive') return word;
  if (needed === null) return `${word}: no conversions yet`;
  if (needed <= 0) return `${word}: enough shoppers, no clear difference`;
  return `${word}: about ${escapeHtml(formatCount(Math.ceil(needed)))} more shoppers per arm needed`;
}

function srmWarning(e: ExperimentReport): string {
  if (!e.srm.mismatch) return '';
  const arms = e.variants.map((v) => name(v.id)).join(' / ');
  const counts = (xs: readonly number[]): string => xs.map((x) => escapeHtml(formatCount(x))).join(' / ');
  return (
    '<div class="notice notice-warn">' +
    `<p><strong>Sample ratio mismatch:</strong> the arms (${arms}) got ${counts(e.srm.observed)} shoppers where the shares ` +
    `expect about ${counts(e.srm.expected)}; do not trust these results until the cause is found (${escapeHtml(pText(e.srm.p))}).</p>` +
    '</div>'
  );
}

function controlNote(e: ExperimentReport): string {
  const window = `An arm converts a shopper who orders within ${plural(e.window_days, 'day')} of first seeing the experiment.`;
  if (e.control === 'holdout') {
    return (
      '<p>The control arm is the <strong>holdout</strong>: shoppers who were shown nothing. Every other arm is compared ' +
      `with it, so an uplift is what showing the campaign adds. ${window}</p>`
    );
  }
  return (
    `<p>The control arm is ${name(e.control)}, the first variant (there is no holdout); every other arm is compared ` +
    `with it. ${window}</p>`
  );
}

function experiment(c: CampaignReport, e: ExperimentReport, i: number): string {
  const head = th([
    'Arm',
    'Share',
    'Shoppers',
    'Converters',
    'Conversion rate (95% interval)',
    'Uplift vs control (95% interval)',
    '<span class="nw">p-value</span>',
    'Verdict',
  ], [0, 7]);
  const rows = e.variants
    .map(
      (v) =>
        `<tr><th scope="row">${name(v.id)}${v.control ? ' (control)' : ''}</th>` +
        [formatPercent(v.share), formatCount(v.visitors), formatCount(v.converters), formatRateInterval(v.rate), upliftText(v)]
          .map((x) => `<td>${escapeHtml(x)}</td>`)
          .join('') +
        `<td>${escapeHtml(v.vs_control ? formatP(v.vs_control.p) : NO_VALUE)}</td>` +
        `<td class="t wrap">${verdictHtml(v)}</td></tr>`,
    )
    .join('');
  return (
    '<h3>Experiment</h3>' +
    srmWarning(e) +
    controlNote(e) +
    `<div class="chart">${forestPlot(e, { id: `c${i}-forest`, subject: `campaign ${c.id}` })}</div>` +
    scrollTable(`c${i}-arms-cap`, `Arms of campaign ${name(c.id)}`, head, rows) +
    '<p class="note">Winning or losing: the difference from the control is significant at the 5% level (two-sided ' +
    'z-test). Inconclusive: not yet; the shoppers still needed assume a 10% relative difference and 80% power.</p>'
  );
}

function campaignSection(c: CampaignReport, i: number, money: Money): string {
  return (
    `<section id="campaign-${i}" aria-labelledby="campaign-${i}-h">` +
    `<h2 id="campaign-${i}-h">Campaign ${name(c.id)}</h2>` +
    `<p class="meta">${escapeHtml(c.type)} · ${escapeHtml(statusWord(c))}</p>` +
    statusNotice(c) +
    charts(c, i, money) +
    (c.experiment ? experiment(c, c.experiment, i) : '') +
    '</section>'
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The page

// Mobile first: one column at 360 px, charts side by side from 48rem. Colours: text #1f2937 (14.7:1 on white),
// muted #4b5563 (7.6:1), links #1d4ed8 (6.7:1); the notices' tinted backgrounds keep dark text above 12:1.
const CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#fff;color:#1f2937;font:100%/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:80rem;margin:0 auto;padding:1rem}
h1{font-size:1.625rem;line-height:1.2;margin:0 0 .5rem}
h2{font-size:1.3rem;line-height:1.25;margin:2.5rem 0 .25rem;padding-top:1rem;border-top:1px solid #d1d5db}
h3{font-size:1.05rem;margin:1.5rem 0 .5rem}
p{margin:.5rem 0}
a{color:#1d4ed8}
a:focus-visible,summary:focus-visible,.scroll:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
.range{font-size:1.1rem;font-weight:600;margin:0}
.meta,.note{color:#4b5563}
.note{font-size:.9rem}
.empty{font-size:1.1rem;margin:1.5rem 0;padding:1rem;border:1px dashed #6b7280;border-radius:.5rem}
.notice{margin:1rem 0;padding:.75rem 1rem;border-left:.375rem solid;border-radius:.25rem}
.notice p{margin:.25rem 0}
.notice-paused{background:#fffbeb;border-color:#b45309}
.notice-warn{background:#fef2f2;border-color:#b91c1c}
.notice-off{background:#f3f4f6;border-color:#4b5563}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;background:#f3f4f6;padding:0 .25em;border-radius:.2em;overflow-wrap:anywhere}
.scroll{overflow-x:auto;margin:.5rem 0 1rem}
table{border-collapse:collapse;min-width:100%;font-variant-numeric:tabular-nums}
.table-title{font-weight:600;margin:.75rem 0 .25rem}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
th,td{padding:.4rem .5rem;border-bottom:1px solid #d1d5db;text-align:right;white-space:nowrap;vertical-align:top}
th:first-child,.t{text-align:left}
thead th{border-bottom:2px solid #1f2937;white-space:normal;vertical-align:bottom}
time,.nw{white-space:nowrap}
.wrap{white-space:normal;min-width:12rem}
tfoot th,tfoot td{font-weight:600;border-top:2px solid #1f2937;border-bottom:0}
.verdict-winning{color:#15803d}
.verdict-losing{color:#b91c1c}
.verdict-inconclusive{color:#4b5563}
.charts{display:grid;gap:0 2rem}
.chart svg{display:block;width:100%;height:auto;max-width:30rem}
summary{cursor:pointer;color:#1d4ed8;margin:.5rem 0}
@media (min-width:48rem){main{padding:1.5rem 2rem}.charts{grid-template-columns:repeat(2,minmax(0,1fr))}}
`.trim();

/** The whole report page: a standalone HTML5 document with inline SVG charts and no script. */
export function renderReportHtml(report: Report, opts: RenderOptions = {}): string {
  const money = moneyFormatter(report.currency);
  const nonce = opts.nonce ? ` nonce="${escapeHtml(opts.nonce)}"` : '';
  const empty =
    report.campaigns.length === 0 || report.events_read === 0
      ? '<p class="empty">No campaign events in this range yet. Once the widget shows a campaign on the shop, its ' +
        'impressions, clicks and conversions appear here.</p>'
      : '';
  const body =
    header(report) +
    empty +
    (report.campaigns.length > 0 ? summary(report, money) : '') +
    report.campaigns.map((c, i) => campaignSection(c, i, money)).join('');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>Shop report, ${escapeHtml(rangeText(report))} · Kairos</title>`,
    `<style${nonce}>${CSS}</style>`,
    '</head>',
    '<body>',
    `<main>${body}</main>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
