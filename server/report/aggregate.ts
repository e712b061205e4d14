// The report's arithmetic, pure: what the store counted (ReportData, server/store/types.ts) in, a Report out
// (server/report/types.ts). The counting itself is SQL in the store (server/store/sqlite.ts REPORT_SQL), so that a
// million events never cross into JavaScript one by one; this module turns the counts into days, rates, intervals
// and verdicts, and is tested with tables of counts.
//
// What the store counts, for events in [from, to):
// - impressions, clicks, dismissals: `Campaign Shown`, `Campaign Clicked`, `Campaign Dismissed`;
// - conversions (last touch): each `Order Completed` is credited to the one campaign the shopper touched last before
//   it: a click within attribution.click_days or an impression within attribution.view_days (touches before the
//   range count too); revenue is the order's `revenue`, else its `total`;
// - irritation: a dismissal within 2 s of the impression (`ms`, the time on screen the widget measured); `Campaign
//   Left` (the widget saw the page left within 10 s of the impression) unless the shopper viewed another page within
//   30 min; `Preferences Changed` from the campaign's link to anything but "all offers";
// - experiments: `Experiment Viewed` (the arm in `variant`) puts a shopper in an arm, first exposure in the range
//   wins; a converter is an exposed shopper who ordered within click_days of their first exposure (intent to treat:
//   whether they clicked, or were held out and saw nothing, does not matter).
import { srm, verdict, wilson } from '../stats';
import type { ReportArm, ReportData } from '../store/types';
import {
  emptyMeasures,
  type CampaignReport,
  type CampaignStatus,
  type DayMeasures,
  type ExperimentReport,
  type Measures,
  type Report,
  type VariantReport,
} from './types';

export const DAY_MS = 86_400_000;
/** A dismissal this soon after the impression is irritation. */
export const QUICK_CLOSE_MS = 2_000;
/** `Campaign Left` is irritation only when no further page is viewed within this long (the session timeout). */
export const STAY_MS = 30 * 60_000;

/** What the report needs to know of a campaign in the config. */
export interface CampaignInfo {
  id: string;
  type: string;
  status: CampaignStatus;
  pause?: { at: number; reason: string };
  variants?: readonly { id: string; weight: number }[];
  holdout_percent?: number;
}

export interface ReportOptions {
  campaigns: readonly CampaignInfo[];
  /** [from, to), epoch ms. */
  from: number;
  to: number;
  now: number;
  attribution: { click_days: number; view_days: number };
  currency: string;
}

/** How far before the range the reader must fetch touches so orders early in the range find theirs. */
export const utcDay = (ts: number) => new Date(ts).toISOString().slice(0, 10);

const MEASURES = Object.keys(emptyMeasures()) as (keyof Measures)[];

interface CampaignAcc {
  info: CampaignInfo;
  removed: boolean;
  totals: Measures;
  daily: DayMeasures[];
  byArm: Map<string, Measures>;
  arms: ReportArm[];
}

export function buildReport(data: ReportData, o: ReportOptions): Report {
  const firstDay = Math.floor(o.from / DAY_MS);
  const days = Math.max(1, Math.ceil((o.to - firstDay * DAY_MS) / DAY_MS));
  const campaigns = new Map<string, CampaignAcc>();
  const acc = (id: string): CampaignAcc => {
    let a = campaigns.get(id);
    if (!a) {
      const info = o.campaigns.find((c) => c.id === id);
      a = {
        info: info ?? { id, type: 'unknown', status: 'off' },
        removed: !info,
        totals: emptyMeasures(),
        daily: Array.from({ length: days }, (_, i) => ({ day: utcDay((firstDay + i) * DAY_MS), ...emptyMeasures() })),
        byArm: new Map(),
        arms: [],
      };
      campaigns.set(id, a);
    }
    return a;
  };
  for (const c of o.campaigns) acc(c.id);

  for (const r of data.counts) {
    const a = acc(r.campaign_id);
    const day = a.daily[r.day - firstDay];
    let arm: Measures | undefined;
    if (r.arm !== null) {
      arm = a.byArm.get(r.arm);
      if (!arm) a.byArm.set(r.arm, (arm = emptyMeasures()));
    }
    for (const k of MEASURES) {
      const n = r[k] ?? 0;
      if (!n) continue;
      a.totals[k] += n;
      if (day) day[k] += n;
      if (arm) arm[k] += n;
    }
  }
  for (const r of data.arms) if (r.arm !== null) acc(r.campaign_id).arms.push(r);

  const reports = [...campaigns.values()].filter((a) => !a.removed || hasAny(a)).map((a) => campaignReport(a, o));
  const totals = emptyMeasures();
  for (const c of reports) for (const k of MEASURES) totals[k] += c.totals[k];
  totals.revenue = cents(totals.revenue);
  return {
    generated_at: o.now,
    from: o.from,
    to: o.to,
    days,
    currency: o.currency,
    attribution: { model: 'last touch', ...o.attribution },
    events_read: data.events,
    totals,
    campaigns: reports,
  };
}

function campaignReport(a: CampaignAcc, o: ReportOptions): CampaignReport {
  const t = roundedMeasures(a.totals);
  const share = (n: number) => (t.impressions > 0 ? n / t.impressions : 0);
  const report: CampaignReport = {
    id: a.info.id,
    type: a.info.type,
    status: a.info.status,
    totals: t,
    rates: {
      click: share(t.clicks),
      conversion: share(t.conversions),
      dismiss: share(t.dismissals),
      irritation: Math.min(1, share(t.quick_closes + t.left + t.fewer)),
    },
    daily: a.daily.map((d) => ({ ...d, revenue: cents(d.revenue) })),
  };
  if (a.removed) report.removed = true;
  if (a.info.pause) report.pause = a.info.pause;
  const experiment = experimentReport(a, o);
  if (experiment) report.experiment = experiment;
  return report;
}

/** The arms the config defines, control first, with their shares; undefined for a campaign without an experiment. */
export function armsOf(c: Pick<CampaignInfo, 'variants' | 'holdout_percent'>): { id: string; share: number }[] | undefined {
  const holdout = (c.holdout_percent ?? 0) / 100;
  if (!c.variants?.length && !(holdout > 0)) return undefined;
  const variants = c.variants?.length ? c.variants : [{ id: 'default', weight: 1 }];
  const total = variants.reduce((s, v) => s + v.weight, 0);
  const arms = variants.map((v) => ({ id: v.id, share: ((1 - holdout) * v.weight) / total }));
  return holdout > 0 ? [{ id: 'holdout', share: holdout }, ...arms] : arms;
}

/** Each arm against the control: Wilson intervals, uplift, verdict, and the sample-ratio check. Arms gone from the config are left out. */
function experimentReport(a: CampaignAcc, o: ReportOptions): ExperimentReport | undefined {
  const arms = armsOf(a.info);
  if (!arms) return undefined;
  const stat = (id: string) => a.arms.find((r) => r.arm === id) ?? { visitors: 0, converters: 0, revenue: 0 };
  const control = stat(arms[0]!.id);
  const controlArm = { conversions: control.converters, exposures: control.visitors };
  const variants = arms.map((arm, i): VariantReport => {
    const s = stat(arm.id);
    const w = wilson(s.converters, s.visitors);
    const v: VariantReport = {
      id: arm.id,
      control: i === 0,
      share: arm.share,
      visitors: s.visitors,
      converters: s.converters,
      revenue: cents(s.revenue),
      rate: { rate: w.rate, low: w.low, high: w.high },
      measures: roundedMeasures(a.byArm.get(arm.id) ?? emptyMeasures()),
    };
    if (i > 0) {
      const r = verdict(controlArm, { conversions: s.converters, exposures: s.visitors });
      v.vs_control = { uplift: { value: r.uplift.relative, low: r.uplift.low, high: r.uplift.high }, p: r.p, verdict: r.verdict, needed: r.needed };
    }
    return v;
  });
  const observed = variants.map((v) => v.visitors);
  const total = observed.reduce((s, n) => s + n, 0);
  const check = srm(
    observed,
    arms.map((x) => x.share),
  );
  return {
    control: arms[0]!.id,
    window_days: o.attribution.click_days,
    variants,
    srm: { p: check.p, mismatch: check.mismatch, observed, expected: arms.map((x) => x.share * total) },
  };
}

const hasAny = (a: CampaignAcc) => a.arms.length > 0 || MEASURES.some((k) => a.totals[k] > 0);
const cents = (n: number) => Math.round(n * 100) / 100;
const roundedMeasures = (m: Measures): Measures => ({ ...m, revenue: cents(m.revenue) });
