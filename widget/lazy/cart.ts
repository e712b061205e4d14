// The cart adapters as a chunk of its own (dist/widget/kairos-ui/cart-*.js): loaded only when the config names an
// adapter other than `events` (kairos('track', …) calls, which the engine handles itself). Each adapter turns
// what the shop platform says into the Segment e-commerce events the engine already understands, passed to
// `track`, so the profile, the triggers and the server's cart all learn the cart the same way.
import type { Cart, EventInput } from '../../server/schema';
import { fromDataLayer } from '../cart/datalayer';
import { shopifyCart } from '../cart/shopify';
import { differs, type Snapshot } from '../cart/snapshot';
import { wooCart } from '../cart/woocommerce';
import { matchesPages } from '../pages';
import type { Profile } from '../profile';
import { safe } from '../safe';

export { setDebug } from '../safe';

export interface CartAdapterEnv {
  /** The config's `cart` section: adapters (first whose pages match this path wins), currency, cart pages. */
  cart: Cart;
  /** Tracks an event exactly as `kairos('track', name, props)` would. */
  track(name: string, props: NonNullable<EventInput['props']>): void;
  /** The profile as the engine knows it now (its `cart` and `currency`). */
  profile(): Profile;
  win: Window;
}

/** How long a burst of signals (focus + visibilitychange, several cart events) waits before one cart read. */
const DEBOUNCE_MS = 300;
const WOO_EVENTS = 'added_to_cart removed_from_cart updated_wc_div updated_cart_totals wc_fragments_refreshed';
const started = new WeakSet<Window>();

type Layer = unknown[] & { kairos?: 1 };

/** Starts the adapter that matches this page, once per page load; does nothing for `events`. */
export function start(env: CartAdapterEnv): void {
  safe('cart', () => {
    const { win, cart } = env;
    if (started.has(win)) return;
    started.add(win);
    const a = cart.adapters.find((x) => matchesPages({ include: x.pages, exclude: [] }, win.location.pathname));
    if (a?.type == 'datalayer') watchDataLayer(env);
    else if (a?.type == 'shopify') poll(env, a.url ?? '/cart.js', shopifyCart);
    else if (a?.type == 'woocommerce') {
      const later = poll(env, a.url ?? '/wp-json/wc/store/v1/cart', wooCart);
      const body = win.document.body ?? win.document;
      // jQuery's custom events (classic WooCommerce) never reach addEventListener; the Blocks' DOM events do.
      (win as Window & { jQuery?: (el: unknown) => { on(names: string, f: () => void): void } }).jQuery?.(body).on(WOO_EVENTS, later);
      for (const n of ['wc-blocks_added_to_cart', 'wc-blocks_removed_from_cart']) body.addEventListener(n, later);
    }
  })();
}

/** Replays what the page pushed before Kairos came, then sees every later push — once, however often it starts. */
function watchDataLayer({ win, track, cart }: CartAdapterEnv): void {
  const w = win as Window & { dataLayer?: Layer };
  const layer = (w.dataLayer ||= []);
  if (layer.kairos || typeof layer.push != 'function') return;
  layer.kairos = 1;
  const handle = safe('datalayer', (entry: unknown) => {
    for (const [name, props] of fromDataLayer(entry, cart.currency)) track(name, props);
  });
  const push = layer.push;
  layer.push = function (this: unknown, ...entries: unknown[]) {
    const n = push.apply(this, entries);
    entries.forEach(handle);
    return n;
  };
  [...layer].forEach(handle);
}

/**
 * Reads the platform's cart now and whenever the shopper comes back to the tab (and when `later` is called),
 * and tracks Cart Viewed only when it differs from the cart the profile knows. Returns the debounced re-read.
 */
function poll(env: CartAdapterEnv, url: string, parse: (body: unknown, currency: string) => Snapshot | undefined): () => void {
  const { win } = env;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const read = safe('cart read', async () => {
    const n = ++seq;
    const res = await win.fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
    const s = parse(await res.json(), env.cart.currency);
    if (!s) throw new Error(url + ': not a cart');
    // A slower, older answer never overwrites a newer one.
    if (n == seq && differs(s, env.profile())) env.track('Cart Viewed', { ...s });
  });
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(read, DEBOUNCE_MS);
  };
  win.addEventListener('focus', later);
  win.document.addEventListener('visibilitychange', () => win.document.visibilityState == 'visible' && later());
  read();
  return later;
}
