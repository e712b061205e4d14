// What only debug and preview need, as a chunk of its own (dist/widget/kairos-ui/debug-*.js): the explanation of
// every decision and the preview badge. Loaded with ?kairos_debug=1 / ?kairos_preview=<id>, never otherwise.
import type { PublicCampaign } from '../../server/schema';
import { isInterrupting, slotOf, type EligibilityContext, type ShowContext } from '../eligibility';
import { explainAll } from '../eligibility-words';
import { recordImpression } from '../history';

export { setDebug } from '../safe';

/** One console group per campaign: every layer with its verdict. */
export function explainDecision(moment: string, campaigns: readonly PublicCampaign[], x: EligibilityContext | ShowContext): void {
  for (const c of campaigns) {
    const layers = explainAll(c, x);
    const failed = layers.find((l) => l.failed);
    try {
      console.groupCollapsed(`[kairos] ${c.id} (${moment}): ${failed ? `no — ${failed.layer}: ${failed.failed}` : 'yes'}`);
      for (const l of layers) console.log(l.failed ? `✗ ${l.layer}: ${l.failed}` : `✓ ${l.layer}`);
      console.groupEnd();
    } catch {
      // a console that cannot group is no reason to fail
    }
  }
}

/** Campaigns that fired together and lost, explained as they lost: after the winners took their slots and budget. */
export function explainLosers(fired: readonly PublicCampaign[], winners: readonly PublicCampaign[], x: ShowContext): void {
  const after: ShowContext = {
    ...x,
    taken: new Set([...x.taken, ...winners.map(slotOf)]),
    history: winners.reduce((h, c) => recordImpression(h, c.id, x.now, x.session, isInterrupting(c)), x.history),
  };
  explainDecision('trigger fired', fired.filter((c) => !winners.includes(c)), after);
}

/** A campaign whose UI found nothing to show (no impression counted). */
export function explainNothing(c: PublicCampaign): void {
  console.info(`[kairos] ${c.id}: no — another tab is showing a modal, or nothing to show (${c.type})`);
}

/**
 * A small "preview" label in the corner, so nobody mistakes a preview for the live page. It is a popover, so it
 * sits in the top layer, above a modal dialog too (whatever enters the top layer later is drawn on top).
 * Returns how to remove it.
 */
export function previewBadge(id: string): () => void {
  const badge = document.createElement('kairos-preview');
  badge.setAttribute('popover', 'manual');
  const css: [string, string][] = [
    ['all', 'initial'], ['position', 'fixed'], ['inset', 'auto 8px 8px auto'], ['margin', '0'], ['padding', '4px 8px'],
    ['border', '0'], ['border-radius', '4px'], ['background', '#b00020'], ['color', '#fff'], ['font', '600 12px/1.4 system-ui, sans-serif'],
    ['z-index', '2147483647'],
  ];
  for (const [prop, value] of css) badge.style.setProperty(prop, value, 'important');
  badge.textContent = `Kairos preview: ${id} — nothing is recorded`;
  (document.body ?? document.documentElement).appendChild(badge);
  try {
    (badge as HTMLElement & { showPopover(): void }).showPopover();
  } catch {
    // no popover support: the fixed position still shows it, below a modal's backdrop
  }
  return () => badge.remove();
}

/** The campaign to preview, even when switched off or out of its schedule; undefined (and a warning) if none. */
export async function previewCampaign(api: string, id: string): Promise<PublicCampaign | undefined> {
  try {
    const res = await fetch(`${api}/v1/campaigns/${encodeURIComponent(id)}/preview`, { credentials: 'omit', mode: 'cors' });
    if (!res.ok) throw new Error(`no campaign "${id}" to preview (HTTP ${res.status})`);
    return (await res.json()) as PublicCampaign;
  } catch (e) {
    try {
      console.warn('[kairos] preview:', e instanceof Error ? e.message : e);
    } catch {
      // no console
    }
    return undefined;
  }
}
