// What the report says, computed by server/report/aggregate.ts from the stored events and rendered three ways:
// HTML with SVG charts (GET /report, server/report/html.ts), a terminal table and CSV/JSON (`kairos report`,
// server/report/text.ts). Plain data: numbers, strings, epoch ms; every rate is a fraction in [0, 1].

/** What happened around one campaign (or one variant, or one day of it). */
export interface Measures {
  /** `Campaign Shown` events. */
  impressions: number;
  /** `Campaign Clicked` events. */
  clicks: number;
  /** `Order Completed` events attributed to the campaign (last touch, see Attribution). */
  conversions: number;
  /** Sum of the attributed orders' `revenue` (or `total`), in the shop's currency. */
  revenue: number;
  /** `Campaign Dismissed` events. */
  dismissals: number;
  /** Irritation: dismissed within 2 s of being shown. */
  quick_closes: number;
  /** Irritation: the page was left within 10 s of the impression and the shopper viewed no further page within 30 min. */
  left: number;
  /** Irritation: "fewer offers" (or fewer still) chosen in the preference centre from this campaign's link. */
  fewer: number;
}

export interface DayMeasures extends Measures {
  /** UTC day, YYYY-MM-DD. */
  day: string;
}

/** A rate with its Wilson 95 % interval. */
export interface RateInterval {
  rate: number;
  low: number;
  high: number;
}

export type VerdictKind = 'winning' | 'losing' | 'inconclusive';

export interface VariantReport {
  /** The variant's id from the config, or `holdout` for the shoppers held out (they see nothing). */
  id: string;
  /** The arm every other arm is compared with: the holdout when there is one, else the first variant. */
  control: boolean;
  /** Share of shoppers the config assigns to this arm, 0–1. */
  share: number;
  /** Distinct shoppers assigned and exposed (`Experiment Viewed`): the experiment's denominator. */
  visitors: number;
  /** Of those, shoppers who ordered within `window_days` of their first exposure. */
  converters: number;
  /** Revenue of those orders. */
  revenue: number;
  /** converters / visitors, Wilson 95 % interval. */
  rate: RateInterval;
  /** The arm's own campaign measures (impressions, clicks, … of its shoppers); all 0 for the holdout. */
  measures: Measures;
  /** Against the control arm; absent on the control itself. */
  vs_control?: {
    /** Relative uplift of the conversion rate (variant / control − 1) with its 95 % interval; null where undefined. */
    uplift: { value: number | null; low: number | null; high: number | null };
    /** Two-sided p-value of the two-proportion z-test. */
    p: number;
    verdict: VerdictKind;
    /** Shoppers still needed per arm for a verdict (80 % power, 10 % minimum effect); null without any conversion. */
    needed: number | null;
  };
}

export interface ExperimentReport {
  /** Id of the control arm. */
  control: string;
  /** Days after first exposure in which an order counts for the experiment (attribution.click_days). */
  window_days: number;
  /** Control first, then the variants in config order. */
  variants: VariantReport[];
  /** Sample-ratio mismatch check of visitors per arm against the shares (chi-square; mismatch when p < 0.001). */
  srm: { p: number; mismatch: boolean; observed: number[]; expected: number[] };
}

export type CampaignStatus = 'running' | 'paused' | 'off';

export interface CampaignReport {
  id: string;
  type: string;
  /** running; paused by auto_pause (see `pause`); off (enabled: false) — or gone from the config (`removed`). */
  status: CampaignStatus;
  /** In the stored events but no longer in the config. */
  removed?: boolean;
  pause?: { at: number; reason: string };
  totals: Measures;
  /** Fractions of impressions (0 without impressions): clicks, conversions, dismissals, irritation signals. */
  rates: { click: number; conversion: number; dismiss: number; irritation: number };
  /** One entry per UTC day of the report's range, oldest first, zeros included. */
  daily: DayMeasures[];
  /** Present when the campaign has variants or a holdout. */
  experiment?: ExperimentReport;
}

export interface Report {
  generated_at: number;
  /** The range read, epoch ms: [from, to). */
  from: number;
  to: number;
  days: number;
  currency: string;
  attribution: { model: 'last touch'; click_days: number; view_days: number };
  /** Events read to make the report. */
  events_read: number;
  /** All campaigns together. */
  totals: Measures;
  campaigns: CampaignReport[];
}

export const emptyMeasures = (): Measures => ({
  impressions: 0,
  clicks: 0,
  conversions: 0,
  revenue: 0,
  dismissals: 0,
  quick_closes: 0,
  left: 0,
  fewer: 0,
});
