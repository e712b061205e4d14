// Which campaigns may show now: a pure filter in layers over data and `now` (no DOM, no storage).
// Each layer names why a campaign was dropped, so debug mode can explain every decision.
import type { PublicCampaign } from '../server/schema';
import { matchesPages } from './pages';

export interface EligibilityContext {
  now: number;
  path: string;
  /** Campaign ids the shopper dismissed. */
  dismissed: ReadonlySet<string>;
}

export type Verdict = { campaign: PublicCampaign; shown: true } | { campaign: PublicCampaign; shown: false; reason: string };

const layers: [string, (c: PublicCampaign, ctx: EligibilityContext) => boolean][] = [
  ['not started yet', (c, x) => c.schedule?.start === undefined || x.now >= c.schedule.start],
  ['ended', (c, x) => c.schedule?.end === undefined || x.now < c.schedule.end],
  ['not on this page', (c, x) => matchesPages(c.pages, x.path)],
  ['dismissed', (c, x) => !x.dismissed.has(c.id)],
];

export function judge(campaign: PublicCampaign, ctx: EligibilityContext): Verdict {
  for (const [reason, pass] of layers) if (!pass(campaign, ctx)) return { campaign, shown: false, reason };
  return { campaign, shown: true };
}

/** Eligible campaigns, highest priority first (config order breaks ties). */
export function eligible(campaigns: readonly PublicCampaign[], ctx: EligibilityContext): PublicCampaign[] {
  return campaigns
    .map((c, i) => [c, i] as const)
    .filter(([c]) => judge(c, ctx).shown)
    .sort((a, b) => b[0].priority - a[0].priority || a[1] - b[1])
    .map(([c]) => c);
}

/** Where a campaign appears; two campaigns never share one (two bars at the bottom would stack). */
export function slotOf(c: PublicCampaign): string {
  return c.type === 'announcement_bar' ? 'bar:' + c.position : c.type;
}

/** From campaigns already in priority order, the first for each slot. */
export function pickPerSlot(ordered: readonly PublicCampaign[]): PublicCampaign[] {
  const taken = new Set<string>();
  return ordered.filter((c) => {
    const slot = slotOf(c);
    if (taken.has(slot)) return false;
    taken.add(slot);
    return true;
  });
}
