// The engine: public calls in, events out, campaigns on and off the page. Everything here is wired from
// kairos.ts, the one file that reads the script tag and touches `window.kairos`.
import type { EventInput, PublicCampaign, PublicConfig } from '../server/schema';
import { createConfigClient } from './config-client';
import { eligible, pickPerSlot } from './eligibility';
import { loadIdentity, type Identity } from './identity';
import { randomId } from './ids';
import { eventPath } from './pages';
import { watchRoute } from './route';
import { report, safe } from './safe';
import type { KV } from './storage';
import { createTransport, type Transport } from './transport';
import type { UIActions } from './ui/contract';
import { mountCampaign } from './ui/mount';

/** How long a page waits for a fresh config before showing what the cached one says. */
const FRESH_CONFIG_WAIT_MS = 400;

export interface EngineOptions {
  /** API origin, e.g. https://kairos.shop.example */
  api: string;
  /** Base URL the campaign UI modules are loaded from. */
  uiBase: string;
  /** Campaign type → UI module file name (content-hashed), from the build. */
  uiFiles: Record<string, string>;
  nonce?: string | undefined;
  state: KV;
  outbox: KV;
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
    beacon: typeof navigator !== 'undefined' && navigator.sendBeacon
      ? (url, body) => navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' }))
      : null,
  });
  const configs = createConfigClient({ api: o.api, kv: o.state });
  let identity: Identity | undefined;
  /** Events from calls made before the identity loaded; sent in order once it has. */
  const early: (() => void)[] = [];
  let config: PublicConfig | undefined;
  let dismissed = new Set<string>();
  const shown = new Map<string, Shown>();

  function emit(e: Emit): void {
    // Time and page are taken when the call is made, not when the event is sent.
    const ts = Date.now();
    const path = eventPath(new URL(location.href));
    const send = () => {
      const id = identity!;
      const ev: EventInput = { event_id: randomId(), ts, path, visitor_id: id.visitorId, session_id: id.session(ts), ...e };
      if (id.userId) ev.user_id = id.userId;
      transport.send(ev);
    };
    if (identity) send();
    else early.push(send);
  }

  function pageView(props?: unknown): void {
    const base: Props = { title: document.title.slice(0, 200) };
    if (document.referrer) {
      const ref = new URL(document.referrer);
      base['referrer'] = ref.origin + ref.pathname; // no query: it may carry tokens
    }
    emit({ type: 'page', name: 'Page Viewed', props: { ...base, ...plain(props) } });
  }

  const commands: Record<string, (...args: unknown[]) => void> = {
    track(name, props) {
      if (typeof name !== 'string' || !name) throw new TypeError('kairos("track", name, props): name must be a non-empty string');
      emit({ type: 'track', name, props: plain(props) });
    },
    page(props) {
      pageView(props);
    },
    identify(userId, traits) {
      if (typeof userId !== 'string' && typeof userId !== 'number') throw new TypeError('kairos("identify", userId, traits): userId must be a string');
      const id = String(userId);
      const apply = () => identity!.setUser(id);
      if (identity) apply();
      else early.push(apply);
      emit({ type: 'identify', name: 'Identify', props: plain(traits) });
    },
  };

  const actionsFor = (c: PublicCampaign): UIActions => ({
    dismiss: safe('dismiss', () => {
      dismissed.add(c.id);
      emit({ type: 'track', name: 'Campaign Dismissed', campaign_id: c.id, props: { type: c.type } });
      hide(c.id);
      // Merge with what other tabs stored meanwhile.
      return o.state.get<string[]>('dismissed').then((prev) => o.state.set('dismissed', [...new Set([...(prev ?? []), ...dismissed])]));
    }),
    click: safe('click', (url: string) => {
      emit({ type: 'track', name: 'Campaign Clicked', campaign_id: c.id, props: { type: c.type, url } });
    }),
  });

  function hide(id: string): void {
    const entry = shown.get(id);
    if (!entry) return;
    shown.delete(id);
    entry.gone = true;
    entry.unmount?.();
  }

  function show(c: PublicCampaign): void {
    const file = o.uiFiles[c.type];
    if (!file) return report('no UI for campaign type', c.type);
    const entry: Shown = { campaign: c, json: JSON.stringify(c) };
    shown.set(c.id, entry);
    mountCampaign(c, actionsFor(c), { moduleUrl: new URL(file, o.uiBase).href, nonce: o.nonce }).then(
      (unmount) => {
        if (entry.gone) return unmount();
        entry.unmount = unmount;
        emit({ type: 'track', name: 'Campaign Shown', campaign_id: c.id, props: { type: c.type } });
      },
      (e: unknown) => {
        report('show ' + c.id, e);
        if (shown.get(c.id) === entry) shown.delete(c.id);
      },
    );
  }

  /** Brings the page in line with the config: shows what is eligible now, removes what no longer is. */
  function evaluate(): void {
    if (!config) return;
    const want = pickPerSlot(eligible(config.campaigns, { now: Date.now(), path: location.pathname, dismissed }));
    for (const [id, entry] of shown) {
      const next = want.find((c) => c.id === id);
      if (!next || JSON.stringify(next) !== entry.json) hide(id);
    }
    for (const c of want) if (!shown.has(c.id)) show(c);
  }

  const loadDismissed = async () => {
    const stored = await o.state.get<unknown>('dismissed');
    if (Array.isArray(stored)) for (const id of stored) if (typeof id === 'string') dismissed.add(id);
  };

  return {
    call(args) {
      const [command, ...rest] = args;
      const run = typeof command === 'string' ? commands[command] : undefined;
      if (!run) throw new TypeError(`kairos(${JSON.stringify(command)}): unknown command; use "track", "page" or "identify"`);
      run(...rest);
    },

    async start() {
      // Events and their retries are persisted by the transport; hand over what is pending when the page hides.
      const leave = safe('flush', () => transport.flush(true));
      addEventListener('pagehide', leave);
      document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && leave());
      // A page restored from the back/forward cache is a new view: count it, re-read dismissals made elsewhere.
      addEventListener(
        'pageshow',
        safe('pageshow', async (e: PageTransitionEvent) => {
          if (!e.persisted) return;
          pageView();
          await loadDismissed();
          evaluate();
        }),
      );
      watchRoute(safe('route', () => (pageView(), evaluate())));

      const fresh = configs.fetchFresh();
      identity = await loadIdentity(o.state);
      early.splice(0).forEach((f) => f());
      transport.restore().catch((e) => report('outbox', e));

      const [cached] = await Promise.all([configs.cached(), loadDismissed()]);
      const wait = new Promise<undefined>((r) => setTimeout(r, FRESH_CONFIG_WAIT_MS));
      config = (await Promise.race([fresh, wait])) ?? cached;
      evaluate();
      const latest = await fresh;
      if (latest && latest.version !== config?.version) {
        config = latest;
        evaluate();
      }
    },
  };
}

/** Props as plain JSON data: functions and undefined dropped, cycles refused (reported, not thrown). */
function plain(value: unknown): Props | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError('properties must be a plain object');
  // The server checks shape and size and names what is wrong; the transport drops just that event.
  return JSON.parse(JSON.stringify(value)) as Props;
}
