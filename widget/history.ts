// What each shopper has seen and done with each campaign, kept on the device (IndexedDB via KV): impressions,
// dismissals, clicks, conversions, and the interruptions that spend the fatigue budget. Pure updates over a
// plain object; the engine persists it. Lists are capped so the record stays small however long a visitor stays.
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

/** Merges what another tab wrote meanwhile: union of impressions, latest of each mark. */
export function mergeHistory(a: History, b: History): History {
  const ids = new Set([...Object.keys(a.campaigns), ...Object.keys(b.campaigns)]);
  const campaigns: Record<string, CampaignRecord> = {};
  const union = (x: [number, string][], y: [number, string][]) => {
    const seen = new Map<string, [number, string]>();
    for (const e of [...x, ...y]) seen.set(e[0] + ':' + e[1], e);
    return [...seen.values()].sort((p, q) => p[0] - q[0]).slice(-CAP);
  };
  const later = <T extends number | [number, string] | undefined>(x: T, y: T): T => {
    const t = (v: T) => (v === undefined ? -Infinity : Array.isArray(v) ? v[0] : (v as number));
    return t(x) >= t(y) ? x : y;
  };
  for (const id of ids) {
    const x = record(a, id);
    const y = record(b, id);
    const shown = union(x.shown, y.shown);
    const r: CampaignRecord = { shown, total: Math.max(x.total, y.total, shown.length) };
    const dismissed = later(x.dismissed, y.dismissed);
    const clicked = later(x.clicked, y.clicked);
    const converted = later(x.converted, y.converted);
    if (dismissed) r.dismissed = dismissed;
    if (clicked !== undefined) r.clicked = clicked;
    if (converted !== undefined) r.converted = converted;
    campaigns[id] = r;
  }
  return { campaigns, interruptions: union(a.interruptions, b.interruptions) };
}

const isHistory = (v: unknown): v is History =>
  !!v && typeof v === 'object' && typeof (v as History).campaigns === 'object' && Array.isArray((v as History).interruptions);

/**
 * Writes `local` merged into what is stored, in one IndexedDB transaction (two tabs never overwrite each other,
 * and a dismissal just before a navigation still lands). Resolves with what was written.
 */
export async function saveHistory(kv: KV, local: History): Promise<History> {
  let merged = local;
  await kv.update<unknown>('history', (stored) => (merged = isHistory(stored) ? mergeHistory(stored, local) : local));
  return merged;
}

export async function loadHistory(kv: KV): Promise<History> {
  const stored = await kv.get<unknown>('history');
  return isHistory(stored) ? stored : emptyHistory();
}
