// Live presence as a chunk of its own (dist/widget/kairos-ui/presence-*.js): loaded only on pages where a campaign
// with a `viewers` trigger is armed ("3 other people are looking at this").
//
// One heartbeat loop per page, shared by whoever listens (the trigger waiting for the floor, the banner updating
// its number): a POST /v1/presence every `interval` while the tab is visible, which both says "still here" and
// returns the count. Hidden tab: no heartbeats (the server stops counting us after its window); visible again or
// restored from the back/forward cache: a heartbeat at once. The key is read from the URL at every beat, so an
// SPA route change counts the new product. No listeners left: the loop stops.
import type { Trigger } from '../../server/schema';
import { safe } from '../safe';
import { scope } from '../triggers/scope';
import type { TriggerFactory } from '../triggers/types';

export { setDebug } from '../safe';

export interface PresenceOpts {
  api: string;
  visitorId: string;
  win: Window;
  intervalMs: number;
  /** `/products/{id}`: paths like it count per product id, every other path per path. */
  productPath: string;
}

/** Others viewing now (the shopper excluded). */
export type CountListener = (others: number) => void;

/** The presence key of a path: `product:<id>` on product pages, else `path:<path>`. Pure. */
export function presenceKey(path: string, productPath: string): string {
  const id = productId(path, productPath);
  return id === undefined ? 'path:' + path : 'product:' + id;
}

/** The product id in `path` by the `/products/{id}` pattern, or undefined on other pages. Pure. */
export function productId(path: string, productPath: string): string | undefined {
  const [before, after = ''] = productPath.split('{id}');
  const rest = path.replace(/\/+$/, '');
  if (!rest.startsWith(before!) || !rest.endsWith(after) || rest.length <= before!.length + after.length) return undefined;
  const id = rest.slice(before!.length, rest.length - after.length);
  return id.includes('/') ? undefined : decodeURIComponent(id);
}

const listeners = new Set<CountListener>();
let opts: PresenceOpts | undefined;
let last: number | undefined;
let lastBeat = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let unwatch: (() => void) | undefined;

const beat = safe('presence', async () => {
  const o = opts;
  clearTimeout(timer);
  timer = undefined;
  if (!o || !listeners.size || o.win.document.visibilityState === 'hidden') return;
  lastBeat = Date.now();
  timer = setTimeout(beat, o.intervalMs);
  const res = await o.win.fetch(o.api + '/v1/presence', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    // No visitor id (GPC, or no consent yet): the count is read, and this shopper is not counted.
    body: JSON.stringify({ visitor_id: o.visitorId || undefined, key: presenceKey(o.win.location.pathname, o.productPath) }),
    credentials: 'omit',
    keepalive: true,
  });
  if (!res.ok) throw new Error('presence: HTTP ' + res.status);
  const { others } = (await res.json()) as { others: number };
  last = others;
  for (const l of [...listeners]) l(others);
});

function start(o: PresenceOpts): void {
  opts = o;
  if (unwatch) return;
  const { win } = o;
  const onVisible = () => (win.document.visibilityState === 'hidden' ? clearTimeout(timer) : beat());
  const onShow = (e: PageTransitionEvent) => e.persisted && beat();
  const onHide = () => clearTimeout(timer);
  win.document.addEventListener('visibilitychange', onVisible);
  win.addEventListener('pageshow', onShow);
  win.addEventListener('pagehide', onHide);
  unwatch = () => {
    win.document.removeEventListener('visibilitychange', onVisible);
    win.removeEventListener('pageshow', onShow);
    win.removeEventListener('pagehide', onHide);
    clearTimeout(timer);
    unwatch = undefined;
  };
  // A listener that comes shortly after another (the banner after its trigger) shares the last answer.
  if (Date.now() - lastBeat >= o.intervalMs) beat();
  else timer = setTimeout(beat, lastBeat + o.intervalMs - Date.now());
}

/** Listens to the count of others viewing this page now; starts the heartbeats if needed. Returns the unsubscribe. */
export function subscribe(o: PresenceOpts, listener: CountListener): () => void {
  listeners.add(listener);
  if (last !== undefined) safe('presence', listener)(last);
  start(o);
  return () => {
    listeners.delete(listener);
    if (!listeners.size) unwatch?.();
  };
}

/** The `viewers` trigger: fires once at least `min_count` others are viewing. */
export const viewers: TriggerFactory<Extract<Trigger, { type: 'viewers' }>> = (t, fire, env) => {
  const s = scope('viewers', env, fire);
  const o = { api: env.api, visitorId: env.visitorId, win: env.win, intervalMs: (t.interval_seconds ?? 15) * 1000, productPath: t.product_path ?? '/products/{id}' };
  s.add(subscribe(o, (others) => others >= t.min_count && s.fire('viewers')));
  return s.stop;
};
