// Eligibility, layer by layer: a base fixture (a campaign that shows, a context where it may) and one field
// changed per case. Then choose() for campaigns firing together, and the laws that must hold for any sequence of
// page views, impressions and dismissals: at most one modal at a time, never over the fatigue budget.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Fatigue, PublicCampaign, Rule, ShopperPreferences } from '../../server/schema';
import {
  blocker,
  byPriority,
  choose,
  eligible,
  isInterrupting,
  showLayers,
  slotOf,
  staticLayers,
  type EligibilityContext,
  type ShowContext,
} from '../../widget/eligibility';
import { explainAll, inWords, SHOW_LAYER_NAMES, STATIC_LAYER_NAMES } from '../../widget/eligibility-words';
import { emptyHistory, recordClick, recordDismissal, recordImpression, recordOrder, type History } from '../../widget/history';
import { explain, type RuleContext } from '../../widget/rules';

const NOW = Date.UTC(2026, 6, 1, 9, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const S1 = 'session-one-0001';
const S2 = 'session-two-0002';

type Bar = Extract<PublicCampaign, { type: 'announcement_bar' }>;
type ModalC = Extract<PublicCampaign, { type: 'modal' }>;

const base = {
  priority: 0,
  pages: { include: ['/**'], exclude: [] as string[] },
  trigger: { type: 'page_load', delay_seconds: 0 },
  frequency: 'always',
  recontact_days: 7,
  stop_after_conversion: true,
} satisfies Partial<Bar>;

const bar = (over: Partial<Bar> = {}): PublicCampaign => ({
  ...base,
  id: 'free-shipping',
  type: 'announcement_bar',
  position: 'bottom',
  push: false,
  content: { text: 'Free shipping over €50', dismissible: true },
  theme: { background: '#1f2a44', color: '#ffffff' },
  ...over,
});

const modal = (over: Partial<ModalC> = {}): PublicCampaign => ({
  ...base,
  id: 'welcome',
  type: 'modal',
  content: { headline: 'Welcome', close_label: 'No thanks' },
  theme: { accent: '#0f5c57', accent_text: '#ffffff' },
  ...over,
});

const rules = (over: Partial<RuleContext> = {}): RuleContext => ({
  page: { path: '/', url: 'https://shop.example/', query: {} },
  referrer: { url: '', host: '' },
  utm: {},
  device: { type: 'desktop', touch: false, viewport_width: 1280, viewport_height: 800 },
  visitor: { new: true, returning: false, sessions: 1 },
  session: { page_views: 1 },
  viewed: { categories: [], products: [] },
  cart: { items: 0, value: 0, categories: [] },
  orders: { count: 0, total: 0, categories: [], products: [] },
  traits: {},
  geo: {},
  locale: 'en-GB',
  language: 'en',
  time: { hour: 9, weekday: 'wed' },
  ...over,
});

const FATIGUE: Fatigue = { modals_per_session: 1, modals_per_day: 3 };

const prefs = (level: ShopperPreferences['level'], off: string[] = []): ShopperPreferences => ({ level, off, at: NOW - DAY });

const exitOffer = (): PublicCampaign =>
  ({
    ...base,
    id: 'stay',
    type: 'exit_offer',
    content: { headline: 'Wait', button: 'Get it', copy_label: 'Copy', copied_label: 'Copied', deadline_label: 'Ends', close_label: 'No thanks' },
    apply_url: '/discount/{code}',
    valid_minutes: 30,
    theme: { accent: '#0f5c57', accent_text: '#ffffff' },
  }) as unknown as PublicCampaign;

/** What the engine passes in once the rule engine is loaded: the rules' own reason when a rule fails. */
const judgeWith = (r: RuleContext, segments: Record<string, Rule> = {}) => (rule: Rule) => {
  const e = explain(rule, r, segments);
  return e.ok ? undefined : e.reason;
};

const ctx = (over: Partial<ShowContext> = {}): ShowContext => ({
  now: NOW,
  path: '/',
  session: S1,
  history: emptyHistory(),
  audience: judgeWith(rules()),
  fatigue: FATIGUE,
  taken: new Set(),
  ...over,
});

const shownAt = (id: string, ...at: [number, string][]): History =>
  at.reduce((h, [t, s]) => recordImpression(h, id, t, s, false), emptyHistory());

/** The first reason in words ("frequency: shown 1×, limit 1 ever"), as debug mode says it; null when it shows. */
const why = (c: PublicCampaign, x: ShowContext) => {
  const r = blocker(c, x, staticLayers) ?? blocker(c, x, showLayers);
  return r ? inWords(r) : null;
};
const ids = (cs: readonly PublicCampaign[]) => cs.map((c) => c.id);

describe('each layer, one field changed at a time', () => {
  const cases: [spec: string, campaign: PublicCampaign, context: ShowContext, reason: string | null][] = [
    ['the base campaign shows', bar(), ctx(), null],
    // the shopper's preferences (the preference centre)
    ['all offers: a modal shows', modal(), ctx({ prefs: prefs('all') }), null],
    ['fewer offers: no modal', modal(), ctx({ prefs: prefs('fewer') }), 'preferences: the shopper asked for fewer offers'],
    ['fewer offers: a bar still shows', bar(), ctx({ prefs: prefs('fewer') }), null],
    ['fewer offers: an exit offer (an interruption, not a modal promotion) may show within half the budget', exitOffer(), ctx({ prefs: prefs('fewer'), fatigue: { modals_per_session: 2, modals_per_day: 4 } }), null],
    [
      'fewer offers: half the budget — 1 of 2 this session is used up',
      exitOffer(),
      ctx({ prefs: prefs('fewer'), fatigue: { modals_per_session: 2, modals_per_day: 4 }, history: recordImpression(emptyHistory(), 'other', NOW - HOUR, S1, true) }),
      'fatigue budget: 1 interruption(s) this session, budget 1',
    ],
    ['fewer offers with a budget of 1: halved to none', exitOffer(), ctx({ prefs: prefs('fewer') }), 'fatigue budget: 0 interruption(s) this session, budget 0'],
    ['all offers: the same exit offer shows with a budget of 1', exitOffer(), ctx({ prefs: prefs('all') }), null],
    ['no pop-ups: no modal', modal(), ctx({ prefs: prefs('bars') }), 'preferences: the shopper asked for no pop-ups'],
    ['no pop-ups: no exit offer', exitOffer(), ctx({ prefs: prefs('bars') }), 'preferences: the shopper asked for no pop-ups'],
    ['no pop-ups: a bar shows', bar(), ctx({ prefs: prefs('bars') }), null],
    ['no pop-ups: a countdown bar shows too (every *_bar)', bar({ type: 'countdown_bar' } as never), ctx({ prefs: prefs('bars') }), null],
    ['nothing at all: not even a bar', bar(), ctx({ prefs: prefs('none') }), 'preferences: the shopper turned offers off'],
    ['a topic turned off: a campaign about it does not show', bar({ topics: ['sales', 'news'] }), ctx({ prefs: prefs('all', ['news']) }), 'preferences: the shopper turned off the topic "news"'],
    ['another topic turned off: shown', bar({ topics: ['sales'] }), ctx({ prefs: prefs('all', ['news']) }), null],
    ['a campaign without topics ignores topic choices', bar(), ctx({ prefs: prefs('all', ['news', 'sales']) }), null],
    // schedule
    ['start exactly now: shown (start is inclusive)', bar({ schedule: { start: NOW } }), ctx(), null],
    ['start one ms from now: not started yet', bar({ schedule: { start: NOW + 1 } }), ctx(), 'schedule: not started yet'],
    ['end one ms from now: shown', bar({ schedule: { end: NOW + 1 } }), ctx(), null],
    ['end exactly now: ended (end is exclusive)', bar({ schedule: { end: NOW } }), ctx(), 'schedule: ended'],
    ['start 0 (the epoch) is a real start, not "unset"', bar({ schedule: { start: 0 } }), ctx(), null],
    // pages
    ['on an included page: shown', bar({ pages: { include: ['/products/**'], exclude: [] } }), ctx({ path: '/products/a' }), null],
    ['off the included pages', bar({ pages: { include: ['/products/**'], exclude: [] } }), ctx(), 'pages: not on this page (/)'],
    ['on an excluded page', bar({ pages: { include: ['/**'], exclude: ['/checkout/**'] } }), ctx({ path: '/checkout/pay' }), 'pages: not on this page (/checkout/pay)'],
    // audience
    ['an audience that holds: shown', bar({ audience: { 'device.type': 'desktop' } }), ctx(), null],
    ['an audience that does not hold: its reason', bar({ audience: { 'cart.items': { gte: 1 } } }), ctx(), 'audience: '],
    ['without the rule engine an audience fails closed', bar({ audience: { 'device.type': 'desktop' } }), ctx({ audience: undefined }), 'audience: targeting rules not loaded'],
    ['an audience through a segment', bar({ audience: { segment: 'buyers' } }), ctx({ audience: judgeWith(rules(), { buyers: { 'orders.count': { gte: 1 } } }) }), 'audience: '],
    // frequency
    ['always: shown however often it was', bar({ frequency: 'always' }), ctx({ history: shownAt('free-shipping', [NOW - 1, S1], [NOW - 2, S1]) }), null],
    ['once, never shown: shown', bar({ frequency: 'once' }), ctx(), null],
    ['once, shown in an earlier session', bar({ frequency: 'once' }), ctx({ history: shownAt('free-shipping', [NOW - DAY, S2]) }), 'frequency: shown 1×, limit 1 ever'],
    ['once per session, shown in another session: shown', bar({ frequency: 'once_per_session' }), ctx({ history: shownAt('free-shipping', [NOW - DAY, S2]) }), null],
    ['once per session, shown in this one', bar({ frequency: 'once_per_session' }), ctx({ history: shownAt('free-shipping', [NOW - HOUR, S1]) }), 'frequency: shown 1×, limit 1 per session'],
    ['per_session 2, shown once this session: shown', bar({ frequency: { per_session: 2 } }), ctx({ history: shownAt('free-shipping', [NOW - HOUR, S1]) }), null],
    ['per_session 2, shown twice', bar({ frequency: { per_session: 2 } }), ctx({ history: shownAt('free-shipping', [NOW - 2 * HOUR, S1], [NOW - HOUR, S1]) }), 'frequency: shown 2×, limit 2 per session'],
    ['every 3 days, last shown 4 days ago: shown', bar({ frequency: { every_days: 3 } }), ctx({ history: shownAt('free-shipping', [NOW - 4 * DAY, S2]) }), null],
    ['every 3 days, last shown 2 days ago', bar({ frequency: { every_days: 3 } }), ctx({ history: shownAt('free-shipping', [NOW - 2 * DAY, S2]) }), 'frequency: shown 2 days ago, limit once every 3 days'],
    ['max 2 impressions, shown twice in other sessions', bar({ frequency: { max_impressions: 2 } }), ctx({ history: shownAt('free-shipping', [NOW - 9 * DAY, S2], [NOW - 8 * DAY, S2]) }), 'frequency: shown 2×, limit 2 ever'],
    ['another campaign’s impressions do not count', bar({ frequency: 'once' }), ctx({ history: shownAt('other', [NOW - HOUR, S1]) }), null],
    // recontact after a dismissal
    ['dismissed in this session: not again this session', bar({ recontact_days: 0 }), ctx({ history: recordDismissal(emptyHistory(), 'free-shipping', NOW - HOUR, S1) }), 'recontact: dismissed in this session'],
    ['dismissed 2 days ago, recontact after 7', bar(), ctx({ history: recordDismissal(emptyHistory(), 'free-shipping', NOW - 2 * DAY, S2) }), 'recontact: dismissed 2 days ago, recontact after 7 days'],
    ['dismissed 8 days ago, recontact after 7: shown', bar(), ctx({ history: recordDismissal(emptyHistory(), 'free-shipping', NOW - 8 * DAY, S2) }), null],
    ['recontact 0: shown again in the next session', bar({ recontact_days: 0 }), ctx({ history: recordDismissal(emptyHistory(), 'free-shipping', NOW - HOUR, S2) }), null],
    // conversion
    ['converted: not again', bar(), ctx({ history: recordOrder(recordClick(emptyHistory(), 'free-shipping', NOW - DAY), NOW - HOUR).history }), 'conversion: converted already'],
    ['converted, but stop_after_conversion off: shown', bar({ stop_after_conversion: false }), ctx({ history: recordOrder(recordClick(emptyHistory(), 'free-shipping', NOW - DAY), NOW - HOUR).history }), null],
    ['clicked, no order yet: shown', bar(), ctx({ history: recordClick(emptyHistory(), 'free-shipping', NOW - DAY) }), null],
    // slots
    ['the bottom bar slot taken by another bar', bar(), ctx({ taken: new Set(['bar:bottom']) }), 'slot: another bar is at the bottom'],
    ['the top bar slot taken: a bottom bar still shows', bar(), ctx({ taken: new Set(['bar:top']) }), null],
    ['a modal showing: no second modal', modal(), ctx({ taken: new Set(['modal']) }), 'slot: another modal is showing'],
    ['a modal showing: a bar still shows', bar(), ctx({ taken: new Set(['modal']) }), null],
    // fatigue budget
    ['a modal, nothing shown yet: shown', modal(), ctx(), null],
    ['a modal after one interruption this session', modal(), ctx({ history: recordImpression(emptyHistory(), 'other', NOW - HOUR, S1, true) }), 'fatigue budget: 1 interruption(s) this session, budget 1'],
    ['a modal after one interruption in an earlier session: shown', modal(), ctx({ history: recordImpression(emptyHistory(), 'other', NOW - HOUR, S2, true) }), null],
    [
      'a modal after 3 interruptions within 24 h (other sessions)',
      modal(),
      ctx({ history: [1, 2, 3].reduce((h, i) => recordImpression(h, 'other', NOW - i * HOUR, 'sess-' + i + '-xxxxxxx', true), emptyHistory()) }),
      'fatigue budget: 3 interruption(s) in 24 h, budget 3',
    ],
    ['interruptions older than 24 h are forgiven', modal(), ctx({ history: [1, 2, 3].reduce((h, i) => recordImpression(h, 'other', NOW - DAY - i * HOUR, 'sess-' + i + '-xxxxxxx', true), emptyHistory()) }), null],
    ['bars never spend or need the budget', bar(), ctx({ history: recordImpression(emptyHistory(), 'other', NOW - HOUR, S1, true) }), null],
    ['a budget of 0 modals a session: none', modal(), ctx({ fatigue: { modals_per_session: 0, modals_per_day: 3 } }), 'fatigue budget: 0 interruption(s) this session, budget 0'],
  ];

  it.each(cases)('%s', (_spec, campaign, context, reason) => {
    const got = why(campaign, context);
    if (reason === null) expect(got).toBeNull();
    else expect(got).toContain(reason);
  });

  it('an audience reason names what failed', () => {
    expect(why(bar({ audience: { 'cart.items': { gte: 1 } } }), ctx())).toMatch(/cart\.items/);
  });

  it('explainAll reports every layer, passing or not, for debug output', () => {
    const layers = explainAll(bar({ frequency: 'once', schedule: { end: NOW } }), ctx({ history: shownAt('free-shipping', [NOW - DAY, S2]) }));
    expect(layers.filter((l) => l.failed).map((l) => l.failed)).toEqual(['ended', 'shown 1×, limit 1 ever']);
    expect(layers.map((l) => l.layer)).toEqual(['preferences', 'schedule', 'schedule', 'pages', 'audience', 'frequency', 'recontact', 'conversion', 'slot', 'fatigue budget']);
  });

  it('names every layer, and every code a layer returns has words under that layer', () => {
    expect(STATIC_LAYER_NAMES).toHaveLength(staticLayers.length);
    expect(SHOW_LAYER_NAMES).toHaveLength(showLayers.length);
    // Each case above that does not show was put in words with its layer's name first: no bare codes.
    for (const [, campaign, context, reason] of cases)
      if (reason !== null) expect(why(campaign, context)).toMatch(/^(preferences|schedule|pages|audience|frequency|recontact|conversion|slot|fatigue budget): \S/);
  });
});

describe('priority and choosing among campaigns that fire together', () => {
  it('eligible orders by priority, config order breaking ties', () => {
    const cs = [bar({ id: 'first', priority: 5 }), bar({ id: 'top', priority: 9 }), bar({ id: 'second', priority: 5 })];
    expect(ids(eligible(cs, ctx()))).toEqual(['top', 'first', 'second']);
  });

  it('three modals at once: exactly one shows, the highest priority', () => {
    const cs = [modal({ id: 'a', priority: 1 }), modal({ id: 'b', priority: 10 }), modal({ id: 'c', priority: 5 })];
    expect(ids(choose(cs, ctx()))).toEqual(['b']);
  });

  it('a modal and bars at both edges can show together', () => {
    const cs = [modal(), bar({ id: 'top', position: 'top' }), bar({ id: 'bottom' }), bar({ id: 'bottom-2', priority: 1 })];
    expect(ids(choose(cs, ctx()))).toEqual(['bottom-2', 'welcome', 'top']);
  });

  it('a higher-priority campaign that may not show leaves the slot to the next', () => {
    const cs = [modal({ id: 'big', priority: 9, frequency: 'once' }), modal({ id: 'small', priority: 1 })];
    expect(ids(choose(cs, ctx({ history: shownAt('big', [NOW - 9 * DAY, S2]) })))).toEqual(['small']);
  });

  it('nothing shows when the budget is spent', () => {
    expect(choose([modal()], ctx({ history: recordImpression(emptyHistory(), 'x', NOW - 1, S1, true) }))).toEqual([]);
  });

  it('byPriority does not reorder its input', () => {
    const cs = [bar({ id: 'low', priority: 1 }), bar({ id: 'high', priority: 2 })];
    byPriority(cs);
    expect(ids(cs)).toEqual(['low', 'high']);
  });

  it.each([
    [bar({ position: 'top' }), 'bar:top'],
    [bar({ position: 'bottom' }), 'bar:bottom'],
    [modal(), 'modal'],
  ] as const)('slotOf %#', (c, slot) => expect(slotOf(c)).toBe(slot));
});

// ---------------------------------------------------------------------------------------------------------
// The invariants, over random sequences of what shoppers do. A small model of the engine: page views fire every
// armed campaign's trigger together; shown modals stay until dismissed; sessions end; time passes.

type Step =
  | { kind: 'page' }
  | { kind: 'dismiss' }
  | { kind: 'new-session' }
  | { kind: 'wait'; ms: number }
  | { kind: 'other-tab-page' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Step>({ kind: 'page' }) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'dismiss' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'new-session' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'other-tab-page' }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 30 * HOUR }).map((ms): Step => ({ kind: 'wait', ms })) },
);

const campaignsArb = fc
  .array(
    fc.record({
      modal: fc.boolean(),
      priority: fc.integer({ min: 0, max: 3 }),
      frequency: fc.constantFrom('always' as const, 'once' as const, 'once_per_session' as const, { per_session: 2 }, { every_days: 1 }),
      recontact_days: fc.constantFrom(0, 1, 7),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((specs) => specs.map((s, i) => (s.modal ? modal({ ...s, id: 'm' + i }) : bar({ ...s, id: 'b' + i, position: i % 2 ? 'top' : 'bottom' }))));

const fatigueArb = fc.record({ modals_per_session: fc.integer({ min: 0, max: 3 }), modals_per_day: fc.integer({ min: 0, max: 4 }) });

function simulate(campaigns: PublicCampaign[], fatigue: Fatigue, steps: Step[], check: (state: { open: Set<string>; history: History; now: number; session: string; tab2: Set<string>; shownNow: string[]; before: History }) => void) {
  let now = NOW;
  let session = 'session-000000';
  let n = 0;
  let history = emptyHistory();
  /** What each of two tabs shows; the cross-tab modal lock is modelled as: a modal open in one tab blocks the other. */
  const open = new Set<string>();
  const tab2 = new Set<string>();
  let shownNow: string[] = [];
  let before = history;
  const firePage = (mine: Set<string>, theirs: Set<string>) => {
    const x: EligibilityContext = { now, path: '/', session, history, audience: judgeWith(rules()) };
    const armed = eligible(campaigns, x).filter((c) => !mine.has(c.id));
    const taken = new Set([...mine].map((id) => slotOf(campaigns.find((c) => c.id === id)!)));
    if ([...theirs].some((id) => isInterrupting(campaigns.find((c) => c.id === id)!))) taken.add('modal');
    for (const c of choose(armed, { ...x, fatigue, taken })) {
      mine.add(c.id);
      shownNow.push(c.id);
      history = recordImpression(history, c.id, now, session, isInterrupting(c));
    }
  };
  for (const step of steps) {
    shownNow = [];
    before = history;
    if (step.kind === 'page') firePage(open, tab2);
    else if (step.kind === 'other-tab-page') firePage(tab2, open);
    else if (step.kind === 'dismiss') {
      for (const tab of [open, tab2])
        for (const id of tab) {
          history = recordDismissal(history, id, now, session);
          tab.delete(id);
        }
    } else if (step.kind === 'new-session') session = 'session-' + String(++n).padStart(6, '0');
    else now += step.ms;
    check({ open, history, now, session, tab2, shownNow, before });
  }
}

describe('invariants over random sequences', () => {
  test.prop([campaignsArb, fatigueArb, fc.array(stepArb, { maxLength: 40 })])(
    'never more than one modal at a time, across both tabs',
    (campaigns, fatigue, steps) => {
      simulate(campaigns, fatigue, steps, ({ open, tab2 }) => {
        const modals = [...open, ...tab2].filter((id) => id.startsWith('m'));
        expect(modals.length).toBeLessThanOrEqual(1);
      });
    },
  );

  test.prop([campaignsArb, fatigueArb, fc.array(stepArb, { maxLength: 40 })])(
    'interruptions never exceed the budget, per session and per 24 h',
    (campaigns, fatigue, steps) => {
      simulate(campaigns, fatigue, steps, ({ history, now, session }) => {
        const thisSession = history.interruptions.filter(([, s]) => s === session).length;
        expect(thisSession).toBeLessThanOrEqual(fatigue.modals_per_session);
        // Any 24-hour window ending now holds at most the daily budget.
        const lastDay = history.interruptions.filter(([t]) => now - t < DAY).length;
        expect(lastDay).toBeLessThanOrEqual(fatigue.modals_per_day);
      });
    },
  );

  test.prop([campaignsArb, fatigueArb, fc.array(stepArb, { maxLength: 40 })])(
    'a campaign dismissed in a session never shows again in that session',
    (campaigns, fatigue, steps) => {
      simulate(campaigns, fatigue, steps, ({ shownNow, before, session }) => {
        for (const id of shownNow) expect(before.campaigns[id]?.dismissed?.[1]).not.toBe(session);
      });
    },
  );
});
