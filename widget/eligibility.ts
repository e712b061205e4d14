// Whether a campaign may show: a pure filter in layers over data and `now` (no DOM, no storage, no clock).
// Every layer names why it stopped a campaign, so debug mode can explain each decision in words.
//
//   before the trigger is armed   preferences → schedule → pages → audience → frequency → recontact → conversion
//   when the trigger fires        the same again (the page may have changed), then
//                                 slot free (one bar per edge, one card per corner, one modal at a time) → fatigue budget (modals only)
//   among campaigns firing together, the highest priority goes first (ties: order in the file).
import type { Fatigue, Frequency, PublicCampaign, Rule, ShopperPreferences } from '../server/schema';
import type { History } from './history';
import { matchesPages } from './pages';

const DAY = 86_400_000;

export interface EligibilityContext {
  now: number;
  /** The page's path (no query). */
  path: string;
  /** The current session's id. */
  session: string;
  history: History;
  /** What the shopper chose in the preference centre; none chosen is "all offers". */
  prefs?: ShopperPreferences | undefined;
  /**
   * Judges an audience rule: undefined when it holds, else why not. The rule engine is loaded only for configs
   * that target (see engine.ts); without it every audience fails closed.
   */
  audience?: ((rule: Rule) => string | undefined) | undefined;
}

export interface ShowContext extends EligibilityContext {
  fatigue: Fatigue;
  /** Slots already taken on this page (see slotOf). */
  taken: ReadonlySet<string>;
}

/**
 * Why a layer stopped a campaign: a short code and its figures, e.g. `['shown', 2, 2, 'session']`. The words
 * ("frequency: shown 2×, limit 2 per session") live in eligibility-words.ts, which only debug mode loads, so the
 * first script carries codes, not sentences.
 */
export type Reason = readonly [code: string, ...args: (string | number)[]];

/** One layer: undefined when it passes, else why not. Layer names are in eligibility-words.ts, in this order. */
type Layer<C> = (c: PublicCampaign, x: C) => Reason | undefined;

/** Campaign types that interrupt the shopper, and so spend the fatigue budget and take the modal slot (bars do not). */
const INTERRUPTING: readonly string[] = ['modal', 'exit_offer', 'cart_reminder'];
export const isInterrupting = (c: PublicCampaign): boolean => INTERRUPTING.includes(c.type);

/** Where a campaign appears (every `*_bar` type is a bar): two campaigns never share one (two bars at the bottom would stack). */
export function slotOf(c: PublicCampaign): string {
  return isInterrupting(c) ? 'modal' : (isBar(c) ? 'bar:' : 'card:') + ('position' in c ? c.position : '');
}

const limits = (f: PublicCampaign['frequency']): Frequency =>
  f === 'once' ? { max_impressions: 1 } : f === 'once_per_session' ? { per_session: 1 } : f === 'always' ? {} : f;

const isBar = (c: PublicCampaign) => /bar$/.test(c.type);

export const staticLayers: Layer<EligibilityContext>[] = [
  // The shopper's own choice comes first: "fewer" drops modals (and halves the budget, below), "bars" keeps bars
  // only, "none" everything; a campaign about a topic they turned off never shows.
  (c, x) => {
    const p = x.prefs;
    if (!p) return undefined;
    const l = p.level;
    if (l == 'none' || (l == 'bars' && !isBar(c)) || (l == 'fewer' && c.type == 'modal')) return ['prefs', l];
    const t = c.topics?.find((t) => p.off.includes(t));
    return t ? ['topic', t] : undefined;
  },
  (c, x) => (c.schedule?.start !== undefined && x.now < c.schedule.start ? ['early'] : undefined),
  (c, x) => (c.schedule?.end !== undefined && x.now >= c.schedule.end ? ['ended'] : undefined),
  (c, x) => (matchesPages(c.pages, x.path) ? undefined : ['page', x.path]),
  (c, x) => {
    if (!c.audience) return undefined;
    if (!x.audience) return ['norules'];
    const why = x.audience(c.audience);
    return why === undefined ? undefined : ['audience', why];
  },
  (c, x) => {
    const f = limits(c.frequency);
    const r = x.history.campaigns[c.id];
    if (!r) return undefined;
    if (f.max_impressions !== undefined && r.total >= f.max_impressions) return ['shown', r.total, f.max_impressions];
    const thisSession = r.shown.filter(([, s]) => s === x.session).length;
    if (f.per_session !== undefined && thisSession >= f.per_session) return ['session', thisSession, f.per_session];
    const last = r.shown[r.shown.length - 1];
    if (f.every_days !== undefined && last && x.now - last[0] < f.every_days * DAY) return ['every', x.now - last[0], f.every_days];
    return undefined;
  },
  (c, x) => {
    const d = x.history.campaigns[c.id]?.dismissed;
    if (!d) return undefined;
    if (d[1] === x.session) return ['dismissed'];
    return x.now - d[0] < c.recontact_days * DAY ? ['recontact', x.now - d[0], c.recontact_days] : undefined;
  },
  (c, x) => (c.stop_after_conversion && x.history.campaigns[c.id]?.converted !== undefined ? ['converted'] : undefined),
];

export const showLayers: Layer<ShowContext>[] = [
  (c, x) => (x.taken.has(slotOf(c)) ? ['slot', slotOf(c)] : undefined),
  (c, x) => {
    if (!isInterrupting(c)) return undefined;
    // "Fewer offers": half the budget, rounded down.
    const f = x.prefs?.level == 'fewer' ? 2 : 1;
    const perSession = Math.floor(x.fatigue.modals_per_session / f);
    const perDay = Math.floor(x.fatigue.modals_per_day / f);
    const session = x.history.interruptions.filter(([, s]) => s === x.session).length;
    if (session >= perSession) return ['budget', session, perSession];
    const day = x.history.interruptions.filter(([t]) => x.now - t < DAY).length;
    if (day >= perDay) return ['daily', day, perDay];
    return undefined;
  },
];

/** The first layer that stops `c`, or undefined when it may show. */
export function blocker<C>(c: PublicCampaign, x: C, layers: Layer<C>[]): Reason | undefined {
  for (const check of layers) {
    const why = check(c, x);
    if (why) return why;
  }
  return undefined;
}

/** Campaigns that may be armed now, highest priority first (config order breaks ties). */
export function eligible(campaigns: readonly PublicCampaign[], x: EligibilityContext): PublicCampaign[] {
  return byPriority(campaigns.filter((c) => blocker(c, x, staticLayers) === undefined));
}

export function byPriority(campaigns: readonly PublicCampaign[]): PublicCampaign[] {
  return campaigns
    .map((c, i) => [c, i] as const)
    .sort((a, b) => b[0].priority - a[0].priority || a[1] - b[1])
    .map(([c]) => c);
}

/**
 * Of campaigns whose triggers fired together, which show: in priority order, each only if it still passes every
 * layer with the slots the earlier winners took and the budget they spent. Pure: returns the winners.
 */
export function choose(fired: readonly PublicCampaign[], x: ShowContext): PublicCampaign[] {
  const taken = new Set(x.taken);
  let history = x.history;
  const winners: PublicCampaign[] = [];
  for (const c of byPriority(fired)) {
    const ctx: ShowContext = { ...x, taken, history };
    if (blocker(c, ctx, staticLayers) !== undefined || blocker(c, ctx, showLayers) !== undefined) continue;
    winners.push(c);
    taken.add(slotOf(c));
    if (isInterrupting(c)) history = { ...history, interruptions: [...history.interruptions, [x.now, x.session]] };
  }
  return winners;
}
