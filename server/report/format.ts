// Numbers in the report as people read them, one way for every rendering (html.ts and its charts, text.ts for the
// terminal): counts with separators, percentages with one decimal (two under 0.1 %), intervals as precise as their
// rate, p-values with three decimals, UTC days.

const COUNT = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const percentFormat = (digits: number, signed: boolean): Intl.NumberFormat =>
  new Intl.NumberFormat('en', {
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    signDisplay: signed ? 'exceptZero' : 'auto',
  });
const PERCENT = [percentFormat(1, false), percentFormat(2, false)] as const;
const SIGNED_PERCENT = [percentFormat(1, true), percentFormat(2, true)] as const;

/** One decimal, or two for a non-zero fraction under 0.1 % (a CTR of 0.04 % must not read as 0.0 %). */
const precise = (fraction: number): 0 | 1 => (fraction !== 0 && Math.abs(fraction) < 0.001 ? 1 : 0);

/** Shown for a number that is missing or not finite. */
export const NO_VALUE = '—';

/** 12345 → "12,345" (rounded to a whole number). */
export const formatCount = (n: number): string => (Number.isFinite(n) ? COUNT.format(n) : NO_VALUE);

/** 0.0312 → "3.1%"; 0.0004 → "0.04%". `like` picks the precision by another value (interval bounds by the rate). */
export const formatPercent = (fraction: number, like = fraction): string =>
  Number.isFinite(fraction) ? PERCENT[precise(like)].format(fraction) : NO_VALUE;

/** 0.123 → "+12.3%", −0.05 → "-5.0%": for changes, where the sign is the point. */
export const formatSignedPercent = (fraction: number): string =>
  Number.isFinite(fraction) ? SIGNED_PERCENT[precise(fraction)].format(fraction) : NO_VALUE;

/** A rate with its interval, the bounds as precise as the rate: "3.1% (2.4–3.9%)". */
export const formatRateInterval = (r: { rate: number; low: number; high: number }): string =>
  `${formatPercent(r.rate)} (${formatPercent(r.low, r.rate).replace('%', '')}–${formatPercent(r.high, r.rate)})`;

/** A p-value with three decimals ("0.012", "0.860"), or "< 0.001". */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return NO_VALUE;
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** "p < 0.001" or "p = 0.040", for running text. */
export const pText = (p: number): string => {
  const f = formatP(p);
  return f.startsWith('<') ? `p ${f}` : `p = ${f}`;
};

/** Epoch ms → "2026-05-01" (UTC). */
export const formatDay = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : NO_VALUE);

/** Epoch ms → "2026-05-01 14:02 UTC". */
export const formatDateTime = (ms: number): string =>
  Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC` : NO_VALUE;

/** `n` and the noun, singular for exactly one: plural(1, 'day') → "1 day". */
export const plural = (n: number, noun: string, nouns = `${noun}s`): string => `${formatCount(n)} ${n === 1 ? noun : nouns}`;

/** A relative uplift with its interval: "+12.3% (-4.0% to +31.0%)"; null parts are left out. */
export function formatUplift(u: { value: number | null; low: number | null; high: number | null }): string | null {
  if (u.value === null) return null;
  const interval = u.low !== null && u.high !== null ? ` (${formatSignedPercent(u.low)} to ${formatSignedPercent(u.high)})` : '';
  return `${formatSignedPercent(u.value)}${interval}`;
}
