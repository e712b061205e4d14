// Eligibility in words, for debug mode and tests only (the first script carries the codes, eligibility.ts):
// `['shown', 2, 2]` → "frequency: shown 2×, limit 2 ever". Layer names follow the order of the layers there.
import type { PublicCampaign } from '../server/schema';
import { showLayers, staticLayers, type Reason } from './eligibility';

const DAY = 86_400_000;

export const STATIC_LAYER_NAMES = ['preferences', 'schedule', 'schedule', 'pages', 'audience', 'frequency', 'recontact', 'conversion'] as const;
export const SHOW_LAYER_NAMES = ['slot', 'fatigue budget'] as const;

const ago = (ms: number) => {
  const d = ms / DAY;
  return d < 1 ? `${Math.round(d * 24)} h` : `${Math.round(d * 10) / 10} days`;
};

/** Each code: its layer, and its reason from its figures. */
const WORDS: Record<string, [layer: string, say: (...a: any[]) => string]> = {
  prefs: ['preferences', (level: string) => ({ fewer: 'the shopper asked for fewer offers (no modals)', bars: 'the shopper asked for no pop-ups (bars only)' })[level] ?? 'the shopper turned offers off'],
  topic: ['preferences', (topic: string) => `the shopper turned off the topic "${topic}"`],
  early: ['schedule', () => 'not started yet'],
  ended: ['schedule', () => 'ended'],
  page: ['pages', (path: string) => `not on this page (${path})`],
  norules: ['audience', () => 'targeting rules not loaded'],
  audience: ['audience', (why: string) => why],
  shown: ['frequency', (n: number, max: number) => `shown ${n}×, limit ${max} ever`],
  session: ['frequency', (n: number, max: number) => `shown ${n}×, limit ${max} per session`],
  every: ['frequency', (ms: number, days: number) => `shown ${ago(ms)} ago, limit once every ${days} days`],
  dismissed: ['recontact', () => 'dismissed in this session'],
  recontact: ['recontact', (ms: number, days: number) => `dismissed ${ago(ms)} ago, recontact after ${days} days`],
  converted: ['conversion', () => 'converted already'],
  slot: ['slot', (slot: string) => (slot === 'modal' ? 'another modal is showing' : `another ${slot.replace(':', ' is at the ')}`)],
  budget: ['fatigue budget', (n: number, max: number) => `${n} interruption(s) this session, budget ${max}`],
  daily: ['fatigue budget', (n: number, max: number) => `${n} interruption(s) in 24 h, budget ${max}`],
};

/** A reason in words, with its layer: "frequency: shown 2×, limit 2 ever". */
export function inWords(r: Reason): string {
  const [code, ...args] = r;
  const w = WORDS[code];
  return w ? `${w[0]}: ${w[1](...args)}` : code;
}

export interface LayerResult {
  layer: string;
  /** undefined: passed. */
  failed?: string;
}

/** Every layer's verdict in words (not just up to the first failure), for debug output. */
export function explainAll(c: PublicCampaign, x: Parameters<(typeof showLayers)[number]>[1] | Parameters<(typeof staticLayers)[number]>[1]): LayerResult[] {
  const run = <C,>(layers: ((c: PublicCampaign, x: C) => Reason | undefined)[], names: readonly string[], ctx: C) =>
    layers.map((check, i) => {
      const r = check(c, ctx);
      return r ? { layer: names[i]!, failed: inWords(r).slice(names[i]!.length + 2) } : { layer: names[i]! };
    });
  return [...run(staticLayers, STATIC_LAYER_NAMES, x), ...('taken' in x ? run(showLayers, SHOW_LAYER_NAMES, x) : [])];
}
