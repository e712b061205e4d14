// The report, read from the store: GET /report (server/app.ts) and `kairos report` (server/cli.ts) both call
// makeReport, then render it (html.ts, text.ts).
import type { KairosConfig } from '../schema';
import type { CampaignPause, Store } from '../store/types';
import { buildReport, DAY_MS, type CampaignInfo } from './aggregate';
import type { Report } from './types';

export interface MakeReportOptions {
  /** Whole UTC days back from `now`, today included (default 30). */
  days?: number;
  now?: number;
  /** Called as the work advances: steps done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What the report knows of each configured campaign: status, pause, arms. */
export function campaignInfos(config: KairosConfig, pauses: readonly CampaignPause[]): CampaignInfo[] {
  return config.campaigns.map((c) => {
    const p = pauses.find((x) => x.campaign_id === c.id && x.paused_at !== null);
    const info: CampaignInfo = { id: c.id, type: c.type, status: !c.enabled ? 'off' : p ? 'paused' : 'running' };
    if (p) info.pause = { at: p.paused_at!, reason: p.reason ?? '' };
    if (c.variants) info.variants = c.variants.map((v) => ({ id: v.id, weight: v.weight }));
    if (c.holdout_percent) info.holdout_percent = c.holdout_percent;
    return info;
  });
}

export async function makeReport(store: Store, config: KairosConfig, o: MakeReportOptions = {}): Promise<Report> {
  const now = o.now ?? Date.now();
  const days = Math.max(1, Math.floor(o.days ?? 30));
  const to = now + 1;
  const from = (Math.floor(now / DAY_MS) - (days - 1)) * DAY_MS;
  const { click_days, view_days } = config.attribution;
  const data = await store.reportData({ from, to, click_ms: click_days * DAY_MS, view_ms: view_days * DAY_MS, window_ms: click_days * DAY_MS }, o.onProgress);
  return buildReport(data, {
    campaigns: campaignInfos(config, await store.campaignPauses()),
    from,
    to,
    now,
    attribution: config.attribution,
    currency: config.cart.currency,
  });
}
