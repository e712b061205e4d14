// Carts on the server: the pure part. Every stored event batch folds its newly stored cart events into the
// visitor's cart (the store calls applyCartEvents inside the transaction that stores the events), with the same
// reducer the widget uses for targeting (widget/profile.ts `applyEvent`): one definition of what a cart is.
//
// On top of the lines, the server keeps what abandonment needs: who (email, user id), when (last_activity) and
// where the current generation stands:
//
//   open       any cart event (re)arms it: last_activity moves to the event's time
//   abandoned  the detector (server/abandon.ts) found it idle long enough and queued its webhooks; newer activity
//              starts a new generation (new cart_id, open again) that can be abandoned later
//   ordered    Order Completed emptied it: nothing pending fires; newer activity starts a new generation
//
// Events older than the newest activity of a closed (abandoned/ordered) generation arrive late from a device's
// outbox; they belong to that closed generation and change nothing but email and user id.
//
// The email is kept only as long as a cart.abandoned may need it. An open cart keeps it (it may be abandoned, and
// activity re-arms even a cart idle for weeks). A closed generation's own webhook has its copy (queued with it,
// redacted once settled: server/webhooks/redact.ts), but a shopper who comes back and fills the cart again starts a
// new generation that is reported with the same address — so a closed generation keeps it for
// CLOSED_CART_EMAIL_MS, and retention (server/retention.ts, Store.forgetCartEmails) clears it after that. A cart
// idle past privacy.retention_days is deleted whole.
import { validEmail } from '../widget/email';
import { applyEvent, cartValue, emptyProfile } from '../widget/profile';
import type { StoredCart, StoredEvent } from './store/types';

/** The Segment-spec e-commerce events that change a cart (and count as cart activity). */
export const CART_EVENTS: ReadonlySet<string> = new Set([
  'Product Added',
  'Product Removed',
  'Cart Viewed',
  'Checkout Started',
  'Order Completed',
]);

const DAY_MS = 86_400_000;

/**
 * How long a closed cart generation (abandoned: from the moment its webhook was queued; ordered: from the order)
 * keeps the shopper's email for a new generation, if no activity comes: a week, like abandon.ts STALE_AFTER_MS (a
 * cart that much past its time is never reported). After that a returning shopper is reported only once an
 * identify, a lead or an event with `email` names them again.
 */
export const CLOSED_CART_EMAIL_MS = 7 * DAY_MS;

/** What of an event the cart needs. */
export type CartEvent = Pick<StoredEvent, 'type' | 'name' | 'ts' | 'visitor_id' | 'user_id' | 'props'>;

export interface CartOptions {
  /** Currency of a cart whose events never name one (config `cart.currency`). */
  defaultCurrency: string;
  /** A fresh opaque id for a new cart generation. */
  newCartId: () => string;
}

/** The email an event carries (an identify trait or any event's `props.email`), trimmed; null if none or not one. */
export function emailOf(ev: Pick<CartEvent, 'props'>): string | null {
  const v = ev.props?.['email'];
  return typeof v === 'string' ? validEmail(v) : null;
}

/** Whether an event can change a cart at all (the store skips every other event without a read). */
export const isCartRelevant = (ev: Pick<CartEvent, 'type' | 'name' | 'props'>): boolean =>
  (ev.type !== 'identify' && CART_EVENTS.has(ev.name)) || emailOf(ev) !== null;

export const emptyCart = (visitor_id: string): StoredCart => ({
  visitor_id,
  cart_id: null,
  user_id: null,
  email: null,
  items: {},
  currency: null,
  total: 0,
  last_activity: null,
  state: 'open',
  abandoned_at: null,
});

/**
 * The cart after one event. Returns the same object when the event changes nothing (so the caller writes only
 * real changes); `cart` null means the visitor has no cart row yet.
 */
export function applyCartEvent(cart: StoredCart | null, ev: CartEvent, opts: CartOptions): StoredCart | null {
  const email = emailOf(ev);
  const isCart = ev.type !== 'identify' && CART_EVENTS.has(ev.name);
  if (!isCart && email === null) return cart;

  let next: StoredCart = cart ?? emptyCart(ev.visitor_id);
  const who: Partial<StoredCart> = {};
  if (email !== null && email !== next.email) who.email = email;
  if (ev.user_id && ev.user_id !== next.user_id) who.user_id = ev.user_id;
  if (Object.keys(who).length > 0) next = { ...next, ...who };
  if (!isCart) return next === cart ? cart : next;

  const newer = next.last_activity === null || ev.ts > next.last_activity;
  if (next.state !== 'open') {
    // A late event of a closed generation: what it said is already reflected (or no longer matters).
    if (!newer) return next === cart ? cart : next;
    next = { ...next, cart_id: opts.newCartId(), state: 'open', abandoned_at: null };
  }
  const before = { ...emptyProfile(), cart: next.items, ...(next.currency !== null && { currency: next.currency }) };
  const after = applyEvent(before, ev.name, ev.props ?? undefined, ev.ts);
  return {
    ...next,
    cart_id: next.cart_id ?? opts.newCartId(),
    items: after.cart,
    currency: after.currency ?? next.currency ?? opts.defaultCurrency,
    total: cartValue(after),
    last_activity: newer ? ev.ts : next.last_activity,
    state: ev.name === 'Order Completed' ? 'ordered' : 'open',
  };
}

/** One visitor's events, folded oldest first (ties keep their order). Same object back when nothing changed. */
export function applyCartEvents(cart: StoredCart | null, events: readonly CartEvent[], opts: CartOptions): StoredCart | null {
  const ordered = events.map((ev, i) => [ev, i] as const).sort((a, b) => a[0].ts - b[0].ts || a[1] - b[1]);
  let next = cart;
  for (const [ev] of ordered) next = applyCartEvent(next, ev, opts);
  return next;
}

/** Number of items (quantities summed). */
export const itemCount = (cart: Pick<StoredCart, 'items'>): number =>
  Object.values(cart.items).reduce((n, l) => n + l.quantity, 0);

/** The lines as the webhook lists them. */
export function cartLines(cart: Pick<StoredCart, 'items'>): Array<{
  id: string;
  name: string | null;
  price: number;
  quantity: number;
  image: string | null;
  category: string | null;
}> {
  return Object.entries(cart.items).map(([id, l]) => ({
    id,
    name: l.name ?? null,
    price: l.price,
    quantity: l.quantity,
    image: l.image ?? null,
    category: l.category ?? null,
  }));
}

/**
 * Whether the detector should abandon this cart at `now` (the store's dueCarts query says the same in SQL): an
 * open generation with an email and items, idle for at least `afterMs`.
 */
export const isDue = (cart: StoredCart, now: number, afterMs: number): boolean =>
  cart.state === 'open' &&
  cart.email !== null &&
  cart.cart_id !== null &&
  itemCount(cart) > 0 &&
  cart.last_activity !== null &&
  cart.last_activity + afterMs <= now;
