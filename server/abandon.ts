// The abandonment detector. `tick(now)` finds the open carts (with an email and items) idle for
// `webhooks.abandon_after_minutes`, and for each, in one store transaction, marks that cart generation abandoned
// and queues one `cart.abandoned` message per configured endpoint. The store only abandons a generation that is
// still exactly the one seen (same cart_id, same last activity, still open), so a cart is reported once, even
// across restarts or with several servers on one database. Delivery is server/webhooks/.
//
// Driven by a timer in the server (server/webhooks/index.ts) and by tests with a fake clock. The config is read
// on every tick, so a hot reload applies at once.
//
// The address travels in the message body until the message is settled (then the body is redacted,
// server/webhooks/redact.ts). The abandoned cart keeps it a week more, for the new cart of a shopper who comes back,
// and retention clears it after that (server/carts.ts CLOSED_CART_EMAIL_MS).
import { randomBytes } from 'node:crypto';
import { cartLines } from './carts';
import type { KairosConfig } from './schema';
import type { AbandonEntry, Store, StoredCart } from './store/types';

const MINUTE = 60_000;
/** A cart already this long past its abandonment time when first seen due is never reported. */
export const STALE_AFTER_MS = 7 * 24 * 60 * MINUTE;

/** The subset of a pino logger used here. */
export interface AbandonLog {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AbandonDeps {
  store: Store;
  config: { readonly current: { readonly config: KairosConfig } };
  log: AbandonLog;
  now?: () => number;
  /** Message ids (`webhook-id`); default `msg_<random>`. */
  newMessageId?: () => string;
  /** Carts handled per store round trip (default 200). */
  batchSize?: number;
}

export interface AbandonDetector {
  /** Abandons every cart due at `now`; resolves with how many. */
  tick(now?: number): Promise<number>;
}

/** The UTM tags and cart id added to `webhooks.recovery_url`. */
export const recoveryParams = (cartId: string): Array<[string, string]> => [
  ['kairos_cart', cartId],
  ['utm_source', 'kairos'],
  ['utm_medium', 'webhook'],
  ['utm_campaign', 'cart_abandoned'],
];

/**
 * `base` with the cart id and UTM tags in its query: the existing query is kept byte for byte (parameters of the
 * same names are replaced), the fragment stays last.
 */
export function recoveryUrl(base: string, cartId: string): string {
  const hashAt = base.indexOf('#');
  const fragment = hashAt === -1 ? '' : base.slice(hashAt);
  const noHash = hashAt === -1 ? base : base.slice(0, hashAt);
  const qAt = noHash.indexOf('?');
  const path = qAt === -1 ? noHash : noHash.slice(0, qAt);
  const params = recoveryParams(cartId);
  const ours = new Set(params.map(([k]) => k));
  const kept =
    qAt === -1
      ? []
      : noHash
          .slice(qAt + 1)
          .split('&')
          .filter((pair) => pair !== '' && !ours.has(decodeKey(pair.split('=', 1)[0]!)));
  const added = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return `${path}?${[...kept, ...added].join('&')}${fragment}`;
}

function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

export interface CartAbandonedPayload {
  type: 'cart.abandoned';
  timestamp: string;
  data: {
    cart_id: string;
    visitor_id: string;
    email: string;
    user_id: string | null;
    items: ReturnType<typeof cartLines>;
    currency: string;
    total: number;
    last_activity: string;
    recovery_url: string | null;
  };
}

/** The webhook payload for an abandoned cart (Standard Webhooks shape: type, timestamp, data). */
export function abandonedPayload(cart: StoredCart, now: number, opts: { recoveryUrl?: string | undefined; currency: string }): CartAbandonedPayload {
  if (cart.cart_id === null || cart.email === null || cart.last_activity === null) throw new Error('not an abandonable cart');
  return {
    type: 'cart.abandoned',
    timestamp: new Date(now).toISOString(),
    data: {
      cart_id: cart.cart_id,
      visitor_id: cart.visitor_id,
      email: cart.email,
      user_id: cart.user_id,
      items: cartLines(cart),
      currency: cart.currency ?? opts.currency,
      total: cart.total,
      last_activity: new Date(cart.last_activity).toISOString(),
      recovery_url: opts.recoveryUrl ? recoveryUrl(opts.recoveryUrl, cart.cart_id) : null,
    },
  };
}

export function createAbandonDetector(deps: AbandonDeps): AbandonDetector {
  const { store, config, log } = deps;
  const clock = deps.now ?? Date.now;
  const newMessageId = deps.newMessageId ?? (() => `msg_${randomBytes(16).toString('base64url')}`);
  const batchSize = Math.max(1, deps.batchSize ?? 200);

  return {
    async tick(now = clock()) {
      const cfg = config.current.config;
      const { webhooks } = cfg;
      // Without endpoints nothing would be told: carts stay open (and are reported once endpoints exist, if still
      // recent: a shop turning webhooks on does not email everyone about carts from months ago).
      const endpoints = [...new Set(webhooks.endpoints.map((e) => e.url))];
      if (endpoints.length === 0) return 0;
      const cutoff = now - webhooks.abandon_after_minutes * MINUTE;
      let abandoned = 0;
      // Each round abandons what it read (or finds it changed meanwhile), so the loop ends; the cap is a guard.
      for (let round = 0; round < 1000; round++) {
        const due = await store.dueCarts(cutoff, batchSize, cutoff - STALE_AFTER_MS);
        if (due.length === 0) break;
        const entries: AbandonEntry[] = due.map((cart) => {
          const body = JSON.stringify(abandonedPayload(cart, now, { recoveryUrl: webhooks.recovery_url, currency: cfg.cart.currency }));
          return {
            cart: { visitor_id: cart.visitor_id, cart_id: cart.cart_id, last_activity: cart.last_activity },
            messages: endpoints.map((endpoint) => ({
              id: newMessageId(),
              endpoint,
              body,
              created_at: now,
              next_attempt_at: now,
              visitor_id: cart.visitor_id,
            })),
          };
        });
        const done = await store.abandonCarts(now, entries);
        abandoned += done.length;
        if (due.length < batchSize || done.length === 0) break;
      }
      if (abandoned > 0) log.info({ carts: abandoned, endpoints: endpoints.length }, 'abandoned carts: cart.abandoned webhooks queued');
      return abandoned;
    },
  };
}
