// What each shopper has seen and done with each campaign, kept on the device (IndexedDB via KV): impressions,
// dismissals, clicks, conversions, and the interruptions that spend the fatigue budget. Pure updates over a
// plain object, stored one change at a time (updateHistory). Lists are capped so the record stays small however
// long a visitor stays.
import type { KV } from './storage';

export interface CampaignRecord {
  /** [epoch ms, session id] of each impression, newest last (capped). */
  shown: [number, string][];
  /** Total impressions ever (the capped list may have forgotten old ones). */
  total: number;
  dismissed?: [number, string];
  clicked?: number;
  converted?: number;
}

export interface History {
  campaigns: Record<string, CampaignRecord>;
  /** Impressions of interrupting campaigns (modals), across all campaigns: [epoch ms, session id], capped. */
  interruptions: [number, string][];
}

const CAP = 50;
/** An order within this long after a click on a campaign counts as that campaign's conversion. */
export const ATTRIBUTION_MS = 30 * 86_400_000;

export const emptyHistory = (): History => ({ campaigns: {}, interruptions: [] });

const record = (h: History, id: string): CampaignRecord => h.campaigns[id] ?? { shown: [], total: 0 };
const capped = <T>(list: T[], item: T): T[] => [...list, item].slice(-CAP);
const withRecord = (h: History, id: string, r: CampaignRecord): History => ({ ...h, campaigns: { ...h.campaigns, [id]: r } });

export function recordImpression(h: History, id: string, at: number, session: string, interrupting: boolean): History {
  const r = record(h, id);
  const next = withRecord(h, id, { ...r, shown: capped(r.shown, [at, session]), total: r.total + 1 });
  return interrupting ? { ...next, interruptions: capped(h.interruptions, [at, session]) } : next;
}

export function recordDismissal(h: History, id: string, at: number, session: string): History {
  return withRecord(h, id, { ...record(h, id), dismissed: [at, session] });
}

export function recordClick(h: History, id: string, at: number): History {
  return withRecord(h, id, { ...record(h, id), clicked: at });
}

/** An order: every campaign clicked within the attribution window converted. Returns their ids too. */
export function recordOrder(h: History, at: number): { history: History; converted: string[] } {
  const converted = Object.entries(h.campaigns)
    .filter(([, r]) => r.clicked !== undefined && at - r.clicked <= ATTRIBUTION_MS && r.converted === undefined)
    .map(([id]) => id);
  let next = h;
  for (const id of converted) next = withRecord(next, id, { ...record(next, id), converted: at });
  return { history: next, converted };
}

const isHistory = (v: unknown): v is History =>
  !!v && typeof v === 'object' && typeof (v as History).campaigns === 'object' && Array.isArray((v as History).interruptions);

/**
 * Applies `op` to the stored record in one IndexedDB transaction. Every change is stored as the change itself,
 * not as a copy of this tab's record, so two tabs never overwrite each other; and the transaction is queued at
 * once, so a dismissal just before a navigation still lands. Reads queued later see it.
 */
export function updateHistory(kv: KV, op: (h: History) => History): Promise<void> {
  return kv.update<unknown>('history', (stored) => op(isHistory(stored) ? stored : emptyHistory()));
}

export async function loadHistory(kv: KV): Promise<History> {
  const stored = await kv.get<unknown>('history');
  return isHistory(stored) ? stored : emptyHistory();
}
