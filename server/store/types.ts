// The storage seam. SQLite (better-sqlite3) is the default; a PostgreSQL implementation fills the same
// interface when a shop scales out. One contract suite (test/store.contract.ts) runs against each.
import type { ShopperPreferences } from '../schema';
import type { CartLine } from '../../widget/profile';

/** An event as the server stores it, after validation and clock-skew correction. */
export interface StoredEvent {
  event_id: string;
  type: 'track' | 'page' | 'identify';
  name: string;
  /** Event time on the server's clock (client ts corrected by the batch's sent_at), epoch ms. */
  ts: number;
  /** When the server received it, epoch ms. */
  received_at: number;
  visitor_id: string;
  session_id: string;
  path: string | null;
  campaign_id: string | null;
  user_id: string | null;
  /** JSON-serialisable properties, or null. */
  props: Record<string, unknown> | null;
}

export interface EventQuery {
  name?: string;
  visitor_id?: string;
  campaign_id?: string;
  /** Most recent first; default 100. */
  limit?: number;
}

/** An exit offer handed to one visitor: its code and the deadline fixed when it was first shown. */
export interface OfferGrant {
  campaign_id: string;
  visitor_id: string;
  code: string;
  /** Epoch ms (server clock). */
  issued_at: number;
  deadline: number;
}

export interface GrantRequest {
  campaign_id: string;
  visitor_id: string;
  now: number;
  /** Deadline for a new grant (ignored when the visitor already has one). */
  deadline: number;
  /** A fixed code for everyone, or a pool whose unused codes are handed out one per visitor. */
  coupon: { code: string } | { pool: string; codes: readonly string[] };
}

// --- carts (server/carts.ts) ---------------------------------------------------------------------------------

/** Where a cart generation stands: open (may be abandoned), abandoned (its webhook is queued), ordered. */
export type CartState = 'open' | 'abandoned' | 'ordered';

/**
 * A visitor's cart as the server keeps it, built from the e-commerce events by server/carts.ts (the widget's own
 * reducer, widget/profile.ts). One row per visitor; `cart_id` names the current generation: a new one starts when
 * activity follows an abandonment or an order.
 */
export interface StoredCart {
  visitor_id: string;
  /** Opaque id of the current generation; null until the first cart event (the row may only remember an email). */
  cart_id: string | null;
  user_id: string | null;
  email: string | null;
  /** The lines by product id, as widget/profile.ts keeps them (insertion order). */
  items: Record<string, CartLine>;
  /** ISO 4217; null until the first cart event. */
  currency: string | null;
  /** Sum of price × quantity, rounded to cents. */
  total: number;
  /** Server time of the newest cart event, epoch ms. */
  last_activity: number | null;
  state: CartState;
  /** When this generation was found abandoned (its webhooks queued). */
  abandoned_at: number | null;
}

// --- webhook outbox (server/webhooks/) ---------------------------------------------------------------------------

export type OutboxStatus = 'pending' | 'delivered' | 'failed' | 'disabled';

/** A message to queue: one body for one endpoint. `id` is the `webhook-id`, the same on every attempt. */
export interface NewOutboxMessage {
  id: string;
  endpoint: string;
  body: string;
  created_at: number;
  next_attempt_at: number;
  /** The visitor the message is about, so erasing the visitor deletes it too. */
  visitor_id?: string | null;
}

/** Rows removed by an erasure or by retention, per kind. */
export interface Removed {
  events: number;
  carts: number;
  messages: number;
  grants: number;
  /** Offer preferences saved from that visitor's device (erasure), or untouched for the retention period. */
  preferences: number;
}

export interface OutboxMessage extends NewOutboxMessage {
  status: OutboxStatus;
  /** Attempts started (a claim counts, so an attempt cut short by a crash counts too). */
  attempts: number;
  first_attempt_at: number | null;
  lease_until: number | null;
  last_error: string | null;
  /** HTTP status of the last answer, if there was one. */
  last_status: number | null;
  /** When it was delivered, failed for good or disabled. */
  settled_at: number | null;
}

/** A message taken for delivery, with the token that proves the lease when the outcome is recorded. */
export interface ClaimedMessage extends OutboxMessage {
  lease_token: string;
}

/** The outcome of one attempt. `disabled` disables the endpoint: its other pending messages are disabled too. */
export type OutboxOutcome =
  | { status: 'delivered'; at: number; http_status: number }
  | { status: 'pending'; next_attempt_at: number; error: string; http_status?: number | null }
  | { status: 'failed'; at: number; error: string; http_status?: number | null }
  | { status: 'disabled'; at: number; error: string; http_status?: number | null };

export interface AbandonEntry {
  /** The generation as the caller saw it; it is abandoned only if it is still exactly this one and still due. */
  cart: Pick<StoredCart, 'visitor_id' | 'cart_id' | 'last_activity'>;
  messages: NewOutboxMessage[];
}

// --- the report ----------------------------------------------------------------------------------------------

export interface ReportQuery {
  from: number;
  to: number;
  /** An order counts for the campaign last clicked this long before it… */
  click_ms: number;
  /** …or last shown this long before it. */
  view_ms: number;
  /** An exposed shopper converted if they ordered within this long of their first exposure. */
  window_ms: number;
  campaign_id?: string;
}

/** Measures of one campaign on one UTC day for the shoppers in one arm (null: in none); absent measures are 0. */
export interface ReportCount {
  campaign_id: string;
  /** Days since the epoch (UTC). */
  day: number;
  arm: string | null;
  impressions?: number | null;
  clicks?: number | null;
  dismissals?: number | null;
  quick_closes?: number | null;
  left?: number | null;
  fewer?: number | null;
  conversions?: number | null;
  revenue?: number | null;
}

export interface ReportArm {
  campaign_id: string;
  arm: string | null;
  visitors: number;
  converters: number;
  revenue: number;
}

export interface ReportData {
  counts: ReportCount[];
  arms: ReportArm[];
  /** Events of the kinds the report reads in the range (its header says how many). */
  events: number;
}

/** A campaign's auto-pause state. */
export interface CampaignPause {
  campaign_id: string;
  /** When auto-pause paused it; null while it runs. */
  paused_at: number | null;
  reason: string | null;
  /** When it was last resumed (0: never paused before): auto-pause judges only the events since. */
  since: number;
}

export interface Store {
  /**
   * The visitor's grant for this campaign: the stored one if there is one (same code, same deadline, whatever
   * the request says), else a new one, stored atomically. A pool code is never handed to two visitors, even
   * by concurrent calls. Resolves null when the pool has no unused code left.
   */
  grantOffer(req: GrantRequest): Promise<OfferGrant | null>;
  /**
   * Stores a batch atomically: either every new event is committed or none is. Events whose event_id is
   * already stored are skipped (retries are deduplicated). Resolves only after the commit is durable, with
   * how many rows were new.
   */
  insertEvents(events: StoredEvent[]): Promise<{ inserted: number; duplicates: number }>;
  queryEvents(q?: EventQuery): Promise<StoredEvent[]>;
  /**
   * One event and the webhooks it fires, in one durable transaction (a captured lead: its `Lead Captured` event
   * and one `lead.captured` message per endpoint). The event is stored, and folded into the visitor's cart as
   * insertEvents does, only if its event_id is new; the messages are queued only then. Resolves `stored: false`
   * (nothing written) for a repeat.
   */
  insertEventWithWebhooks(event: StoredEvent, messages: NewOutboxMessage[]): Promise<{ stored: boolean }>;

  // Carts. insertEvents also folds every NEWLY stored cart event (Product Added/Removed, Cart Viewed, Checkout
  // Started, Order Completed) and every email (props.email) into the visitor's cart, in the same transaction as
  // the events (server/carts.ts); duplicates change nothing.
  /** The visitor's cart, or null when no cart event or email was ever stored for them. */
  getCart(visitor_id: string): Promise<StoredCart | null>;
  /**
   * Open carts with an email and at least one item whose last activity is at or before `cutoff` (and after
   * `since`, when given); oldest first.
   */
  dueCarts(cutoff: number, limit: number, since?: number): Promise<StoredCart[]>;
  /**
   * For each entry, in one transaction: if the cart is still the generation the caller saw (same cart_id and
   * last_activity), open, with an email and items, mark it abandoned at `at` and queue its messages. Entries
   * whose cart changed meanwhile are skipped. Resolves with the cart_ids abandoned. Never abandons a generation
   * twice, whoever calls.
   */
  abandonCarts(at: number, entries: AbandonEntry[]): Promise<string[]>;
  /**
   * Clears the email of every closed cart generation — abandoned (its cart.abandoned queued) before `closedBefore`,
   * or ordered with its last activity before it — that still holds one; open carts keep theirs. Resolves with how
   * many carts lost it. The address comes back only with a new identify, lead or event carrying `email`.
   */
  forgetCartEmails(closedBefore: number): Promise<number>;

  // The webhook outbox.
  /** Queues messages (status pending; disabled at once for an endpoint that answered 410). Ids are unique. */
  enqueueWebhooks(messages: NewOutboxMessage[]): Promise<void>;
  /**
   * Takes up to `limit` pending messages due at `now` whose lease is free (never taken, or expired: a crashed
   * worker's message is taken over), leasing each until now + leaseMs and counting the attempt. Messages whose
   * id is in `exclude` are left alone. Oldest due first.
   */
  claimWebhooks(q: { now: number; leaseMs: number; limit: number; exclude?: readonly string[] }): Promise<ClaimedMessage[]>;
  /**
   * Records an attempt's outcome and frees the lease; false (nothing written) if the lease was lost meanwhile. A
   * message settled for good (delivered, failed, disabled) keeps only a redacted body (server/webhooks/redact.ts
   * `settledBody`): nothing will send it again, so it no longer holds the personal data the receiver needed.
   * Messages disabled with their endpoint, or queued for an already disabled one, are redacted likewise.
   */
  settleWebhook(id: string, leaseToken: string, outcome: OutboxOutcome): Promise<boolean>;
  /** Queued messages, oldest first (status filter optional; default limit 100). */
  listWebhooks(q?: { status?: OutboxStatus; limit?: number }): Promise<OutboxMessage[]>;
  /** How many messages are in each status. */
  outboxStats(): Promise<Record<OutboxStatus, number>>;
  /** Endpoints disabled by a 410 answer. */
  disabledEndpoints(): Promise<Array<{ url: string; disabled_at: number; reason: string }>>;

  /**
   * Erases everything stored about a visitor: events, cart, webhook messages (delivered or not), offer grants (a
   * pool code handed out stays used, without the visitor's id) and offer preferences saved from that device. One
   * transaction.
   */
  eraseVisitor(visitorId: string): Promise<Removed>;
  /**
   * Retention: deletes events received before `cutoff` (in chunks, yielding between them), carts idle since before
   * it, settled webhook messages, offer grants whose deadline passed before it, and preferences saved before it.
   */
  deleteExpired(cutoff: number): Promise<Removed>;

  /** An identified shopper's offer preferences (the preference centre), or null when none were saved. */
  getPreferences(userId: string): Promise<ShopperPreferences | null>;
  /**
   * Saves a shopper's preferences unless a newer choice (a later `at`) is stored already, as may happen when two
   * devices save; resolves whether this one was kept. `visitorId` is the device that saved (erasure reaches it).
   */
  putPreferences(userId: string, visitorId: string, prefs: ShopperPreferences, now: number): Promise<boolean>;

  // The report (server/report/) and auto-pause (server/auto-pause.ts).
  /**
   * What the report counts (server/report/aggregate.ts says what each measure means) for [from, to), one campaign's
   * only with `campaign_id`: measures per campaign, UTC day and arm, and per experiment arm the shoppers exposed and
   * converted. `onProgress(done, total)` is called as the work advances (steps, not rows).
   */
  reportData(q: ReportQuery, onProgress?: (done: number, total: number) => void): Promise<ReportData>;
  /** Every campaign ever paused or resumed. */
  campaignPauses(): Promise<CampaignPause[]>;
  /** Pauses a running campaign; false when it was paused already (the first reason stays). */
  pauseCampaign(campaignId: string, at: number, reason: string): Promise<boolean>;
  /** Lifts a pause (if any); auto-pause judges only what happens from `at` on. */
  resumeCampaign(campaignId: string, at: number): Promise<void>;

  countEvents(): Promise<number>;
  /** `Order Completed` events since `since` (server time, ms) whose `products` include `productId`. */
  countOrders(productId: string, since: number): Promise<number>;
  /** Cheap liveness check for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
