// The engine: public calls in, events out, campaigns on and off the page. Wired from kairos.ts, the one file
// that reads the script tag and touches `window.kairos`.
//
// Per page view (load, SPA route change, back/forward cache): every campaign that passes the static layers of
// eligibility (schedule, pages, audience, frequency, recontact, conversion) gets its trigger armed; the triggers
// of the last page are stopped first, so nothing fires for a page the shopper has left. When triggers fire, the
// campaigns that fired together are ranked by priority and shown while their slot is free and the fatigue
// budget allows; a modal also needs the cross-tab lock, so two tabs never interrupt at once.
import type { EventInput, PublicCampaign, PublicConfig, Rule, ShopperPreferences } from '../server/schema';
import { createConfigClient } from './config-client';
import { isTouch, utmOf } from './context';
import { blocker, byPriority, choose, eligible, isInterrupting, slotOf, staticLayers, type EligibilityContext, type ShowContext } from './eligibility';
import { emptyHistory, loadHistory, recordClick, recordDismissal, recordImpression, recordOrder, updateHistory, type History } from './history';
import { loadIdentity, type Identity } from './identity';
import { randomId } from './ids';
import { eventPath } from './pages';
import { applyEvent, applyTraits, cartItems, emptyProfile, isProfile, type Profile } from './profile';
import { watchRoute } from './route';
import { isDebug, json, report, safe } from './safe';
import type * as CartAdapters from './lazy/cart';
import type * as Cmp from './lazy/cmp';
import type * as Prefs from './lazy/prefs';
import type { PrefsHost } from './lazy/prefs';
import type * as Debug from './lazy/debug';
import type * as Targeting from './lazy/targeting';
import type { KV } from './storage';
import { createTransport, type Transport } from './transport';
import { startTrigger } from './triggers';
import type { ShowCampaign, UIActions } from './ui/contract';

/** How long a page waits for a fresh config before going with the cached one. */
const FRESH_CONFIG_WAIT_MS = 400;

export interface EngineOptions {
  /** API origin, e.g. https://kairos.shop.example */
  api: string;
  /** Base URL the campaign UI modules are loaded from. */
  uiBase: string;
  /** Campaign type or lazy part → the content hash in its file name (`exit_offer` → exit-offer-<hash>.js), from the build. */
  uiFiles: Record<string, string>;
  nonce?: string | undefined;
  state: KV;
  outbox: KV;
  /** ?kairos_preview=<id>: show only that campaign, now, and record nothing. */
  preview?: string | undefined;
}

export interface Engine {
  /** One public call, `kairos(command, ...args)`; throws on misuse (the caller catches). */
  call(args: readonly unknown[]): void;
  start(): Promise<void>;
}

type Props = NonNullable<EventInput['props']>;
type Emit = Pick<EventInput, 'type' | 'name'> & Partial<Pick<EventInput, 'campaign_id' | 'props'>>;

interface Shown {
  campaign: PublicCampaign;
  json: string;
  unmount?: () => void;
  gone?: boolean;
}

export function createEngine(o: EngineOptions): Engine {
  const transport: Transport = createTransport({
    endpoint: o.api + '/v1/events',
    outbox: o.outbox,
    beacon: navigator.sendBeacon ? (url, body) => navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' })) : null,
  });
  const configs = createConfigClient({ api: o.api, kv: o.state });
  let identity: Identity | undefined;
  /** Work from calls made before the identity loaded; run in order once it has. */
  const early: (() => void)[] = [];
  const whenReady = (f: () => void) => (identity ? f() : early.push(f));
  let config: PublicConfig | undefined;
  let profile: Profile = emptyProfile();
  let history: History = emptyHistory();
  const eventListeners = new Set<(name: string) => void>();
  /** Calls `listener` after each tracked event has been applied to the profile; returns the unsubscribe. */
  const onEvent = (listener: (name: string) => void) => (eventListeners.add(listener), () => void eventListeners.delete(listener));
  const shown = new Map<string, Shown>();
  /** Stop functions of the triggers armed for this page view. */
  let armed = new Map<string, () => void>();
  let pageStart = Date.now();
  /** The rule engine, loaded when the config has an audience (see lazy/targeting.ts). */
  let targeting: typeof Targeting | undefined;
  let fired: [PublicCampaign, string | undefined][] = [];
  /** Events waiting for the config or for consent (see send). */
  const held: EventInput[] = [];
  /** What kairos('consent', …) said, on this device. */
  let consent: { analytics?: unknown } | undefined;
  /** What the shopper chose in the preference centre (stored on the device; on the server too once identified). */
  let prefs: ShopperPreferences | undefined;
  /**
   * The campaigns that lost a decision on this page view (triggers fire at different moments, so several decisions
   * may lose some): offered again if a winner turns out to have nothing to show.
   */
  let lost: typeof fired = [];
  let started = false;

  // --- events --------------------------------------------------------------------------------------------

  function emit(e: Emit): void {
    if (o.preview) return; // a preview records nothing
    // Time and page are taken when the call is made, not when the event is sent.
    const ts = Date.now();
    const path = eventPath(new URL(location.href));
    whenReady(() => {
      const id = identity!;
      const ev: EventInput = { event_id: randomId(), ts, path, visitor_id: id.visitorId, session_id: id.session(ts), ...e };
      if (id.userId) ev.user_id = id.userId;
      send(ev);
    });
  }

  /**
   * Consent (config privacy): with Global Privacy Control (or Do Not Track, if the config says) nothing is sent,
   * ever. Until the config is known, and under `consent: required` or `cmp` until consent to analytics (from
   * kairos('consent', { analytics: true }) or the consent platform, lazy/cmp.ts), events wait in memory only
   * (never in the outbox), at most 100, and go when allowed; a page left before that sends none of them.
   */
  const allowed = () => config && (!/^(required|cmp)$/.test(config.privacy?.consent!) || consent?.analytics);
  const gpc = () => {
    const n = navigator as Navigator & { globalPrivacyControl?: boolean };
    return n.globalPrivacyControl || (config?.privacy?.respect_dnt && n.doNotTrack == '1');
  };
  /** The visitor id presence heartbeats may carry: none (counted by nobody) under GPC or before consent. */
  const presenceId = () => (gpc() || !allowed() ? '' : identity!.visitorId);
  function send(ev: EventInput): void {
    if (gpc()) return;
    if (allowed()) transport.send(ev);
    else if (held.length < 100) held.push(ev);
  }

  /**
   * The device under the same rule: until allowed, what the engine keeps about the shopper (visitor id, session,
   * profile, history, offer grants) is written to memory only — reads see it — and goes to IndexedDB when allowed;
   * a page left before that stores none of it. The config cache, the consent and the preference choice identify
   * nobody and are stored at once (o.state).
   */
  const pending = new Map<string, (old: unknown) => unknown>();
  const state: KV = {
    ...o.state,
    get: async <T,>(k: string) => {
      const v = await o.state.get<T>(k);
      const op = pending.get(k);
      return (op ? op(v) : v) as T;
    },
    set: (k, v) => state.update(k, () => v),
    update<T>(k: string, fn: (old: T | undefined) => T) {
      if (allowed()) return o.state.update(k, fn);
      const op = pending.get(k);
      pending.set(k, (v) => fn((op ? op(v) : v) as T | undefined));
      return Promise.resolve();
    },
  };
  function release(): void {
    held.splice(0).forEach(send);
    if (allowed()) pending.forEach((fn, k) => state.update(k, fn).catch((e) => report('storage', e))), pending.clear();
  }

  /**
   * The profile (what the shopper viewed, carted, bought; their traits) is kept on the device, except under Global
   * Privacy Control: then it lives for the page only, and personalisation uses nothing stored.
   */
  const persistProfile = () => gpc() || state.set('profile', profile).catch((e) => report('profile', e));
  /** Applies a change here at once, and to the stored record in one transaction (see history.ts). */
  const change = (op: (h: History) => History) => {
    if (o.preview) return;
    history = op(history);
    updateHistory(state, op).catch((e) => report('history', e));
  };

  function pageView(props?: unknown): void {
    const base: Props = { title: document.title.slice(0, 200) };
    if (document.referrer) {
      const ref = new URL(document.referrer);
      base['referrer'] = ref.origin + ref.pathname; // no query: it may carry tokens
    }
    const url = new URL(location.href);
    emit({ type: 'page', name: 'Page Viewed', props: { ...base, ...plain(props) } });
    whenReady(() => {
      identity!.pageView(Date.now(), utmOf(url));
      pageStart = Date.now();
      if (started) arm(true);
    });
  }

  function track(name: string, props: Props | undefined): void {
    emit({ type: 'track', name, props });
    whenReady(() => {
      const now = Date.now();
      profile = applyEvent(profile, name, props, now);
      persistProfile();
      if (name === 'Order Completed') {
        const { converted } = recordOrder(history, now);
        for (const id of converted) emit({ type: 'track', name: 'Campaign Converted', campaign_id: id, props: { order_id: String(props?.['order_id'] ?? '') } });
        if (converted.length) change((h) => recordOrder(h, now).history);
      }
      for (const l of [...eventListeners]) l(name);
    });
  }

  const commands: Record<string, (...args: unknown[]) => void> = {
    track(name, props) {
      if (typeof name !== 'string' || !name) throw new TypeError('track: name must be a non-empty string');
      track(name, plain(props));
    },
    page(props) {
      pageView(props);
    },
    preferences() {
      whenReady(() => withPrefs((m, h) => m.open(h)));
    },
    consent(choice) {
      consent = plain(choice);
      o.state.set('consent', consent).catch((e) => report('consent', e));
      release();
    },
    identify(userId, traits) {
      if (typeof userId !== 'string' && typeof userId !== 'number') throw new TypeError('identify: userId must be a string');
      const id = String(userId);
      const t = plain(traits);
      whenReady(() => {
        // A shopper new to this device: their preferences follow them from the server (the newer choice wins).
        if (identity!.userId != id) identity!.setUser(id), withPrefs((m, h) => m.pull(h));
        profile = applyTraits(profile, t);
        persistProfile();
      });
      emit({ type: 'identify', name: 'Identify', props: t });
    },
  };

  // --- deciding ------------------------------------------------------------------------------------------

  const context = (): EligibilityContext => {
    const now = Date.now();
    const t = targeting;
    const rules = t && t.buildContext(window, identity!, profile, now);
    return {
      now,
      path: location.pathname,
      session: identity!.session(now),
      history,
      prefs,
      audience: t
        ? (rule: Rule) => {
            const r = t.explain(rule, rules!, config?.segments ?? {});
            return r.ok ? undefined : r.reason;
          }
        : undefined,
    };
  };

  /** A module from kairos-ui/: a campaign type's UI, the preference centre, or a lazy part of the engine. */
  const load = <T,>(name: string): Promise<T> => {
    const hash = o.uiFiles[name];
    return hash ? import(/* @vite-ignore */ new URL(`${name.replace(/_/g, '-')}-${hash}.js`, o.uiBase).href) : Promise.reject(Error('no module ' + name));
  };

  /** Engine code kept out of the first script (widget/lazy/*): imported from kairos-ui/ when first needed. */
  const chunks = new Map<string, Promise<unknown>>();
  function chunk<T extends { setDebug(on: boolean): void }>(name: string): Promise<T> {
    let p = chunks.get(name) as Promise<T> | undefined;
    if (!p) chunks.set(name, (p = load<T>(name).then((m) => (m.setDebug(isDebug()), m))));
    return p;
  }

  /**
   * Loads the rule engine if this config targets anyone (or its copy names the weather or the location); without
   * it, audiences fail closed. GET /v1/context is awaited by nothing: when it answers, triggers are armed again.
   */
  async function loadTargeting(c: PublicConfig | undefined): Promise<void> {
    if (!c || !/"audience"|\{\{\s*(geo|weather)\./.test(JSON.stringify(c.campaigns))) return;
    try {
      targeting ??= await chunk<typeof Targeting>('targeting');
      targeting.ready(c, o.api, safe('context', () => arm(false)));
    } catch (e) {
      report('targeting', e);
    }
  }

  /** Debug mode: explains each decision (lazy/debug.ts, loaded at start only in debug mode). */
  let debug: typeof Debug | undefined;
  const explain = (moment: string, campaigns: readonly PublicCampaign[], x: EligibilityContext | ShowContext) =>
    debug?.explainDecision(moment, campaigns, x);

  /** Arms the triggers of every campaign that may show on this page; `newPage` first stops those of the last page. */
  function arm(newPage: boolean): void {
    if (!config || !identity) return;
    const x = context();
    // A campaign on screen stays while the shopper's preferences, its schedule and pages still hold (the first four layers; its own
    // impression may have used up its frequency, and that must not take it down).
    for (const [id, s] of shown) {
      const current = config.campaigns.find((c) => c.id === id);
      if (!current || JSON.stringify(current) !== s.json || blocker(current, x, staticLayers.slice(0, 4))) hide(id);
    }
    if (newPage) {
      armed.forEach((stop) => stop());
      armed = new Map();
      lost = [];
    }
    explain(newPage ? 'page view' : 'config', config.campaigns, x);
    const env = {
      onEvent,
      win: window,
      now: Date.now,
      pageStart,
      touch: isTouch(window),
      pageViews: identity.pageViews,
      cartItems: cartItems(profile),
      newSession: identity.newSession,
      api: o.api,
      visitorId: presenceId(),
      load: (name: string) => chunk<never>(name),
    };
    for (const c of eligible(config.campaigns, x)) {
      if (armed.has(c.id) || shown.has(c.id)) continue;
      armed.set(c.id, startTrigger(c.trigger, safe('fire ' + c.id, (signal?: string) => onFire(c, signal)), env));
    }
  }

  function onFire(c: PublicCampaign, signal: string | undefined): void {
    if (!fired.length) setTimeout(safe('show', decide), 0); // campaigns firing in the same moment compete
    fired.push([c, signal]);
  }

  async function decide(): Promise<void> {
    const batch = fired;
    fired = [];
    if (!config) return;
    // Another tab may have shown or dismissed something meanwhile: its record counts here too.
    history = await loadHistory(state);
    const x: ShowContext = { ...context(), fatigue: config.fatigue, taken: new Set([...shown.values()].map((s) => slotOf(s.campaign))) };
    const campaigns = byPriority(batch.map(([c]) => c));
    const winners = choose(campaigns, x);
    debug?.explainLosers(campaigns, winners, x);
    lost.push(...batch.filter(([c]) => !winners.includes(c)));
    for (const c of winners) void show(c, batch.find(([f]) => f === c)?.[1], x.session);
  }

  // --- showing -------------------------------------------------------------------------------------------

  const actionsFor = (c: PublicCampaign): UIActions => ({
    dismiss: safe('dismiss', (ms?: number) => {
      const now = Date.now();
      const session = identity!.session(now);
      change((h) => recordDismissal(h, c.id, now, session));
      emit({ type: 'track', name: 'Campaign Dismissed', campaign_id: c.id, props: { type: c.type, ms: ms ?? null } });
      hide(c.id);
    }),
    click: safe('click', (url: string) => {
      const now = Date.now();
      change((h) => recordClick(h, c.id, now));
      emit({ type: 'track', name: 'Campaign Clicked', campaign_id: c.id, props: { type: c.type, url } });
    }),
    preferences: () => withPrefs((m, h) => m.open(h), c.id),
    note: (name, props) => emit({ type: 'track', name, campaign_id: c.id, props }),
  });

  /**
   * The preference centre (lazy/prefs.ts): the panel, from a campaign's link (`from`) or kairos('preferences'), and
   * the server copy. A choice is obeyed at once: campaigns on screen that it rules out go, triggers are armed again.
   */
  const withPrefs = (f: (m: typeof Prefs, h: PrefsHost) => unknown, from?: string) =>
    chunk<typeof Prefs>('prefs')
      .then((m) =>
        f(m, {
          api: o.api,
          visitorId: identity!.visitorId,
          user: identity!.userId,
          prefs,
          topics: config?.preferences?.topics ?? [],
          nonce: o.nonce,
          set(p, saved) {
            prefs = p;
            o.state.set('prefs', p).catch((e) => report('preferences', e));
            arm(false);
            if (saved) emit({ type: 'track', name: 'Preferences Changed', campaign_id: from, props: { level: p.level, off: p.off.join(' ') } });
          },
        }),
      )
      .catch((e) => report('preferences', e));

  function hide(id: string): void {
    const entry = shown.get(id);
    if (!entry) return;
    shown.delete(id);
    entry.gone = true;
    entry.unmount?.();
  }

  async function show(c: PublicCampaign, signal: string | undefined, session: string): Promise<void> {
    const entry: Shown = { campaign: c, json: JSON.stringify(c) };
    shown.set(c.id, entry); // the slot is taken from now on
    try {
      const ui = await load<{ show: ShowCampaign }>(c.type);
      const env = {
        api: o.api,
        visitorId: identity!.visitorId,
        presenceId: presenceId(),
        session,
        state,
        get profile() {
          return profile;
        },
        onEvent,
        traits(t: Props) {
          profile = applyTraits(profile, t);
          persistProfile();
        },
        preferences: config?.preferences,
        currency: config?.cart?.currency ?? 'EUR',
        nonce: o.nonce,
        preview: !!o.preview,
        lock: isInterrupting(c) && !o.preview,
      };
      const unmountUI = await ui.show(c, actionsFor(c), env);
      // Nothing to show after all (another tab's modal, an expired offer, no countdown): no impression, the slot
      // is free again, and the campaigns that lost it get another chance.
      if (!unmountUI) {
        debug?.explainNothing(c);
        hide(c.id);
        lost.splice(0).forEach(([l, signal]) => onFire(l, signal));
        return;
      }
      const now = Date.now();
      change((h) => recordImpression(h, c.id, now, session, isInterrupting(c)));
      const badge = o.preview ? (await chunk<typeof Debug>('debug')).previewBadge(c.id) : undefined;
      const unmount = () => (unmountUI(), badge?.());
      if (entry.gone) return unmount();
      entry.unmount = unmount;
      const props: Props = { type: c.type, trigger: c.trigger.type };
      if (signal) props['signal'] = signal;
      emit({ type: 'track', name: 'Campaign Shown', campaign_id: c.id, props });
    } catch (e) {
      report('show ' + c.id, e);
      if (shown.get(c.id) === entry) hide(c.id);
    }
  }

  const loadState = async () => {
    const [h, p, c, f] = await Promise.all([
      loadHistory(state),
      state.get<unknown>('profile'),
      o.state.get<typeof consent>('consent'),
      o.state.get<ShopperPreferences>('prefs'),
    ]);
    history = h;
    if (isProfile(p) && !gpc()) profile = p;
    consent ??= c;
    prefs = f;
  };

  return {
    call(args) {
      const [command, ...rest] = args;
      const run = typeof command === 'string' ? commands[command] : undefined;
      if (!run) throw new TypeError('unknown command ' + String(command)); // the commands: README, "The snippet"
      run(...rest);
    },

    async start() {
      // Events and their retries are persisted by the transport; hand over what is pending when the page hides.
      const leave = safe('flush', () => transport.flush(true));
      addEventListener('pagehide', leave);
      document.addEventListener('visibilitychange', safe('hide', () => document.visibilityState === 'hidden' && leave()));
      if (o.preview) {
        identity = await loadIdentity(state);
        const c = await (await chunk<typeof Debug>('debug')).previewCampaign(o.api, o.preview);
        return c && show(c, undefined, '');
      }
      // A page restored from the back/forward cache is a new view: other tabs may have changed the record.
      addEventListener(
        'pageshow',
        safe('pageshow', async (e: PageTransitionEvent) => {
          if (!e.persisted) return;
          await loadState();
          pageView();
        }),
      );
      watchRoute(() => pageView());

      const fresh = configs.fetchFresh();
      if (isDebug()) debug = await chunk<typeof Debug>('debug').catch(() => undefined);
      await loadState();
      identity = await loadIdentity(state);
      early.splice(0).forEach((f) => f());
      transport.restore().catch((e) => report('outbox', e));

      const cached = await configs.cached();
      const wait = new Promise<undefined>((r) => setTimeout(r, FRESH_CONFIG_WAIT_MS));
      config = (await Promise.race([fresh, wait])) ?? cached;
      release();
      await loadTargeting(config);
      started = true;
      arm(true);
      const latest = await fresh;
      if (latest && latest.version !== config?.version) {
        await loadTargeting(latest);
        config = latest;
        release(); // events held while no config was known (a first visit, a slow server)
        arm(false);
      }
      // The consent platform's answers (lazy/cmp.ts), under `consent: cmp`.
      if (config?.privacy?.consent == 'cmp')
        chunk<typeof Cmp>('cmp')
          .then((m) => m.watch(window, commands['consent']!))
          .catch((e) => report('cmp', e));
      // Cart adapters other than kairos('track') calls (lazy/cart.ts): started once, with the newest config.
      if (config?.cart?.adapters.some((a) => a.type != 'events'))
        chunk<typeof CartAdapters>('cart')
          .then((m) => m.start({ cart: config!.cart, track, profile: () => profile, win: window }))
          .catch((e) => report('cart', e));
    },
  };
}

/** Props as plain JSON data: functions and undefined dropped, cycles refused (reported, not thrown). */
function plain(value: unknown): Props | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError('properties must be a plain object');
  // The server checks shape and size and names what is wrong; the transport drops just that event.
  return JSON.parse(json(value)) as Props;
}
