// The default event store: one SQLite file through better-sqlite3.
//
// Durability. The file runs in WAL mode with `synchronous=FULL` by default. sqlite.org/pragma.html
// (#pragma_synchronous) says: "Transactions are durable across application crashes regardless of the synchronous
// setting or journal mode", but "A transaction committed in WAL mode with synchronous=NORMAL might roll back
// following a power loss or system crash", because in WAL mode NORMAL syncs the WAL only at checkpoints, whereas
// "with synchronous=FULL in WAL mode, an additional sync operation of the WAL file happens after each transaction
// commit". Kairos acknowledges an event only once it is durable (PRODUCT.md, Policies), so FULL is the default:
// an acknowledged event survives a power loss as well as a crash. The cost is one fsync per commit, which group
// commit (below) shares among every request that arrived meanwhile. `{ synchronous: 'normal' }` trades the
// power-loss guarantee for throughput (still crash-safe) for operators who choose that.
//
// Group commit. better-sqlite3 is synchronous, so a commit (and its fsync) blocks the event loop. Instead of one
// transaction per `insertEvents` call, calls are queued and flushed from a `setImmediate` callback: every call
// made in the same tick — or, under load, in the same event-loop turn, while the previous commit was blocking —
// lands in ONE transaction (`BEGIN IMMEDIATE … COMMIT`). Inside it each caller's batch gets its own SAVEPOINT, so a
// batch that fails (a constraint, a value SQLite cannot bind) is rolled back and rejected alone while the others
// commit. Every promise settles only after COMMIT has returned, i.e. after the WAL fsync.
//
// Carts. insertEvents folds each batch's newly stored cart events into the visitors' carts inside the batch's
// SAVEPOINT (server/carts.ts), so an event and what it did to the cart commit together or not at all.
//
// Offers, abandonment, leads (one event with its webhooks) and the webhook outbox write in their own short
// transactions (better-sqlite3 runs them synchronously, so they never interleave with a group commit on this
// connection).

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { applyCartEvents, isCartRelevant, itemCount, type CartEvent } from '../carts';
import { storedProps, stripQuery } from '../events';
import type { ShopperPreferences } from '../schema';
import { settledBody } from '../webhooks/redact';
import { DAY_MS, QUICK_CLOSE_MS, STAY_MS } from '../report/aggregate';
import type {
  CampaignPause,
  ClaimedMessage,
  ReportArm,
  ReportCount,
  EventQuery,
  GrantRequest,
  NewOutboxMessage,
  OfferGrant,
  OutboxMessage,
  OutboxOutcome,
  OutboxStatus,
  Store,
  StoredCart,
  StoredEvent,
} from './types';

export interface SqliteStoreOptions {
  /** 'full' (default): durable across power loss. 'normal': durable across process crashes only. */
  synchronous?: 'full' | 'normal';
  /** How long a writer waits for another connection's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Upper bound of events written in one group transaction, to bound event-loop blocking (default 10 000). */
  maxGroupEvents?: number;
  /** Currency of carts whose events name none, read at each write (the live config's `cart.currency`; default EUR). */
  cartCurrency?: () => string;
}

export interface SqliteStoreStats {
  /** Group transactions committed. */
  commits: number;
  /** insertEvents calls resolved (committed batches). */
  batches: number;
  /** insertEvents calls rejected. */
  failedBatches: number;
  /** Rows written. */
  inserted: number;
  /** Events skipped because their event_id was already stored. */
  duplicates: number;
  /** Most batches ever committed in one transaction. */
  maxBatchesPerCommit: number;
  /** Batches queued and not yet written. */
  pending: number;
}

export interface SqliteStore extends Store {
  readonly file: string;
  stats(): SqliteStoreStats;
  /** The connection's settings as SQLite reports them (for /healthz and tests). */
  diagnostics(): {
    journalMode: string;
    synchronous: 'off' | 'normal' | 'full' | 'extra';
    busyTimeoutMs: number;
    schemaVersion: number;
    /** PRAGMA secure_delete: deleted content is overwritten with zeros (always on). */
    secureDelete: boolean;
  };
}

/**
 * Schema migrations, applied in order at open; `PRAGMA user_version` holds how many have run. Append only: never
 * edit a step that has shipped. Every step runs inside one transaction with the version bump.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: events. STRICT enforces the column types (an epoch-ms column refuses a fraction or text). The table keeps
  // its implicit rowid, so rows append in arrival order while the event_id key lives in its own small index; that
  // also gives "newest first" a stable tie-break (rowid) that every (x, ts) index below already carries.
  // Secondary indexes are few on purpose: each one is another B-tree write per inserted event.
  `CREATE TABLE events (
     event_id    TEXT    NOT NULL PRIMARY KEY,
     type        TEXT    NOT NULL CHECK (type IN ('track', 'page', 'identify')),
     name        TEXT    NOT NULL,
     ts          INTEGER NOT NULL,
     received_at INTEGER NOT NULL,
     visitor_id  TEXT    NOT NULL,
     session_id  TEXT    NOT NULL,
     path        TEXT,
     campaign_id TEXT,
     user_id     TEXT,
     props       TEXT
   ) STRICT;
   CREATE INDEX events_name_ts ON events (name, ts);
   CREATE INDEX events_visitor_ts ON events (visitor_id, ts);
   CREATE INDEX events_campaign_ts ON events (campaign_id, ts) WHERE campaign_id IS NOT NULL;`,

  // 2: exit-offer grants. One per (campaign, visitor); a pool code, once used, is in offer_pool_codes, whose key
  // makes handing it to a second visitor impossible.
  `CREATE TABLE offer_grants (
     campaign_id TEXT    NOT NULL,
     visitor_id  TEXT    NOT NULL,
     code        TEXT    NOT NULL,
     issued_at   INTEGER NOT NULL,
     deadline    INTEGER NOT NULL,
     PRIMARY KEY (campaign_id, visitor_id)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE offer_pool_codes (
     pool        TEXT    NOT NULL,
     code        TEXT    NOT NULL,
     campaign_id TEXT    NOT NULL,
     visitor_id  TEXT    NOT NULL,
     used_at     INTEGER NOT NULL,
     PRIMARY KEY (pool, code)
   ) STRICT, WITHOUT ROWID;`,

  // 3: server-side carts and the webhook outbox. carts_due holds only the carts the abandonment detector may
  // want, so its query stays cheap whatever the number of carts; webhook_outbox_due likewise for deliveries.
  `CREATE TABLE carts (
     visitor_id    TEXT    NOT NULL PRIMARY KEY,
     cart_id       TEXT,
     user_id       TEXT,
     email         TEXT,
     items         TEXT    NOT NULL,
     item_count    INTEGER NOT NULL,
     currency      TEXT,
     total         REAL    NOT NULL,
     last_activity INTEGER,
     state         TEXT    NOT NULL CHECK (state IN ('open', 'abandoned', 'ordered')),
     abandoned_at  INTEGER
   ) STRICT;
   CREATE INDEX carts_due ON carts (last_activity)
     WHERE state = 'open' AND email IS NOT NULL AND item_count > 0 AND cart_id IS NOT NULL;
   CREATE TABLE webhook_outbox (
     id               TEXT    NOT NULL PRIMARY KEY,
     endpoint         TEXT    NOT NULL,
     body             TEXT    NOT NULL,
     created_at       INTEGER NOT NULL,
     status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'disabled')),
     attempts         INTEGER NOT NULL DEFAULT 0,
     first_attempt_at INTEGER,
     next_attempt_at  INTEGER NOT NULL,
     lease_until      INTEGER,
     lease_token      TEXT,
     last_error       TEXT,
     last_status      INTEGER,
     settled_at       INTEGER
   ) STRICT;
   CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE status = 'pending';
   CREATE INDEX webhook_outbox_endpoint ON webhook_outbox (endpoint) WHERE status = 'pending';
   CREATE TABLE webhook_endpoints_disabled (
     url         TEXT    NOT NULL PRIMARY KEY,
     disabled_at INTEGER NOT NULL,
     reason      TEXT    NOT NULL
   ) STRICT;`,

  // 4: privacy. Outbox messages name the visitor they are about, so erasing a visitor reaches them too.
  `ALTER TABLE webhook_outbox ADD COLUMN visitor_id TEXT;
   CREATE INDEX webhook_outbox_visitor ON webhook_outbox (visitor_id) WHERE visitor_id IS NOT NULL;`,

  // 5: personal data only as long as delivery needs it. A settled message (delivered, failed, disabled) keeps a
  // redacted body (server/webhooks/redact.ts; kairos_settled_body is registered on the connection before
  // migrating), also for the messages settled before this step. carts_closed_email serves forgetCartEmails: closed
  // generations (abandoned, ordered) still holding an address, by the time they closed.
  `UPDATE webhook_outbox SET body = kairos_settled_body(body) WHERE status <> 'pending';
   CREATE INDEX carts_closed_email ON carts (coalesce(abandoned_at, last_activity, 0)) WHERE email IS NOT NULL AND state <> 'open';`,

  // 6: offer preferences of identified shoppers (the preference centre), so they follow them to other devices.
  // `off` is a JSON array of topic ids; `at` is when the shopper chose (the newest choice wins).
  `CREATE TABLE preferences (
     user_id    TEXT    NOT NULL PRIMARY KEY,
     visitor_id TEXT    NOT NULL,
     level      TEXT    NOT NULL CHECK (level IN ('all', 'fewer', 'bars', 'none')),
     off        TEXT    NOT NULL,
     at         INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX preferences_visitor ON preferences (visitor_id);`,

  // 7: auto-pause (server/auto-pause.ts). A row per campaign ever paused or resumed: paused_at/reason while
  // paused (null while running); `since` is when it was last resumed, the start of what the next judgement counts.
  `CREATE TABLE campaign_pauses (
     campaign_id TEXT    NOT NULL PRIMARY KEY,
     paused_at   INTEGER,
     reason      TEXT,
     since       INTEGER NOT NULL
   ) STRICT, WITHOUT ROWID;`,
];

/**
 * The report's SQL (server/report/aggregate.ts says what counts). Everything is counted here, in SQLite, and only
 * the totals cross into JavaScript: a million events give a few thousand rows. Every scan is a range of an index:
 * events_name_ts for one event name over the range, events_visitor_ts for one shopper's later pages and earlier
 * touches. `report_exposures` (a temporary table of the connection) holds each shopper's arm per campaign: the
 * first `Experiment Viewed` in the range.
 */
const REPORT_SQL = {
  exposuresTable: `CREATE TEMP TABLE IF NOT EXISTS report_exposures (
     campaign_id TEXT NOT NULL, visitor_id TEXT NOT NULL, arm TEXT, first INTEGER NOT NULL,
     PRIMARY KEY (campaign_id, visitor_id)) WITHOUT ROWID;
   CREATE INDEX IF NOT EXISTS temp.report_exposures_visitor ON report_exposures (visitor_id)`,
  clearExposures: `DELETE FROM temp.report_exposures`,
  events: `SELECT count(*) FROM events INDEXED BY events_name_ts
     WHERE name IN ('Campaign Shown', 'Campaign Clicked', 'Campaign Dismissed', 'Campaign Left', 'Preferences Changed', 'Experiment Viewed', 'Order Completed')
       AND ts >= :from AND ts < :to AND (:campaign IS NULL OR campaign_id = :campaign)`,
  exposures: `INSERT INTO temp.report_exposures
     SELECT campaign_id, visitor_id, json_extract(props, '$.variant'), min(ts) FROM events INDEXED BY events_name_ts
     WHERE name = 'Experiment Viewed' AND ts >= :from AND ts < :to AND campaign_id IS NOT NULL AND (:campaign IS NULL OR campaign_id = :campaign)
     GROUP BY campaign_id, visitor_id`,
  // One day's measures per campaign and arm (null: the shopper is in no experiment of that campaign).
  counts: `SELECT e.campaign_id AS campaign_id, e.ts / ${DAY_MS} AS day, x.arm AS arm,
       sum(e.name = 'Campaign Shown') AS impressions,
       sum(e.name = 'Campaign Clicked') AS clicks,
       sum(e.name = 'Campaign Dismissed') AS dismissals,
       sum(CASE WHEN e.name = 'Campaign Dismissed' THEN json_extract(e.props, '$.ms') < ${QUICK_CLOSE_MS} END) AS quick_closes,
       sum(CASE WHEN e.name = 'Campaign Left' THEN NOT EXISTS (SELECT 1 FROM events p INDEXED BY events_visitor_ts
         WHERE p.visitor_id = e.visitor_id AND p.ts > e.ts AND p.ts <= e.ts + ${STAY_MS} AND p.name = 'Page Viewed') END) AS left,
       sum(CASE WHEN e.name = 'Preferences Changed' THEN coalesce(json_extract(e.props, '$.level'), '') <> 'all' END) AS fewer
     FROM events e INDEXED BY events_name_ts
     LEFT JOIN temp.report_exposures x ON x.campaign_id = e.campaign_id AND x.visitor_id = e.visitor_id
     WHERE e.name IN ('Campaign Shown', 'Campaign Clicked', 'Campaign Dismissed', 'Campaign Left', 'Preferences Changed')
       AND e.ts >= :from AND e.ts < :to AND e.campaign_id IS NOT NULL AND (:campaign IS NULL OR e.campaign_id = :campaign)
     GROUP BY 1, 2, 3`,
  // Orders in the range, each credited to the shopper's last touch: the latest click within click_ms or impression
  // within view_ms (a click wins a tie), then counted per campaign, day and the shopper's arm there.
  conversions: `SELECT c.campaign_id AS campaign_id, c.ts / ${DAY_MS} AS day, x.arm AS arm, count(*) AS conversions, total(c.revenue) AS revenue
     FROM (SELECT o.ts, o.visitor_id,
             coalesce(json_extract(o.props, '$.revenue'), json_extract(o.props, '$.total'), 0) AS revenue,
             (SELECT t.campaign_id FROM events t INDEXED BY events_visitor_ts
               WHERE t.visitor_id = o.visitor_id AND t.ts <= o.ts AND t.ts >= o.ts - max(:click_ms, :view_ms)
                 AND t.campaign_id IS NOT NULL
                 AND ((t.name = 'Campaign Clicked' AND t.ts >= o.ts - :click_ms) OR (t.name = 'Campaign Shown' AND t.ts >= o.ts - :view_ms))
               ORDER BY t.ts DESC, t.name = 'Campaign Clicked' DESC, t.rowid DESC LIMIT 1) AS campaign_id
           FROM events o INDEXED BY events_name_ts WHERE o.name = 'Order Completed' AND o.ts >= :from AND o.ts < :to) c
     LEFT JOIN temp.report_exposures x ON x.campaign_id = c.campaign_id AND x.visitor_id = c.visitor_id
     WHERE c.campaign_id IS NOT NULL AND (:campaign IS NULL OR c.campaign_id = :campaign)
     GROUP BY 1, 2, 3`,
  // Per arm: shoppers exposed; and of those, the ones who ordered within window_ms of their first exposure, with the
  // revenue of those orders (orders are few: each finds its shopper's arms through report_exposures_visitor).
  armVisitors: `SELECT campaign_id, arm, count(*) AS visitors FROM temp.report_exposures GROUP BY 1, 2`,
  armConverters: `SELECT x.campaign_id AS campaign_id, x.arm AS arm, count(DISTINCT x.visitor_id) AS converters,
       total(coalesce(json_extract(o.props, '$.revenue'), json_extract(o.props, '$.total'), 0)) AS revenue
     FROM events o INDEXED BY events_name_ts
     JOIN temp.report_exposures x INDEXED BY report_exposures_visitor ON x.visitor_id = o.visitor_id
     WHERE o.name = 'Order Completed' AND o.ts >= :from AND o.ts < :to AND o.ts >= x.first AND o.ts <= x.first + :window_ms
     GROUP BY 1, 2`,
};

const COLUMNS =
  'event_id, type, name, ts, received_at, visitor_id, session_id, path, campaign_id, user_id, props' as const;

type Row = [string, string, string, number, number, string, string, string | null, string | null, string | null, string | null];

interface DbRow {
  event_id: string;
  type: StoredEvent['type'];
  name: string;
  ts: number;
  received_at: number;
  visitor_id: string;
  session_id: string;
  path: string | null;
  campaign_id: string | null;
  user_id: string | null;
  props: string | null;
}

interface CartRow {
  visitor_id: string;
  cart_id: string | null;
  user_id: string | null;
  email: string | null;
  items: string;
  currency: string | null;
  total: number;
  last_activity: number | null;
  state: StoredCart['state'];
  abandoned_at: number | null;
}

const CART_COLUMNS = 'visitor_id, cart_id, user_id, email, items, currency, total, last_activity, state, abandoned_at' as const;

function cartFromRow(r: CartRow): StoredCart {
  return { ...r, items: JSON.parse(r.items) as StoredCart['items'] };
}

type OutboxRow = OutboxMessage & { lease_token: string | null };

const OUTBOX_COLUMNS =
  'id, endpoint, body, created_at, status, attempts, first_attempt_at, next_attempt_at, lease_until, lease_token, last_error, last_status, settled_at' as const;

function messageFromRow(r: OutboxRow): OutboxMessage {
  const { lease_token: _token, ...m } = r;
  return m;
}

/**
 * The two queries the timers run every few seconds, idle or not (exported so tests can check that each is served
 * by its partial index, without a scan or a sort).
 */
export const DUE_QUERIES = {
  carts: `SELECT ${CART_COLUMNS} FROM carts
          WHERE state = 'open' AND email IS NOT NULL AND item_count > 0 AND cart_id IS NOT NULL AND last_activity <= ? AND last_activity > ?
          ORDER BY last_activity LIMIT ?`,
  outbox: `SELECT id FROM webhook_outbox
           WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now)
           ORDER BY next_attempt_at, rowid LIMIT @limit`,
} as const;

/**
 * Store.forgetCartEmails: closed generations (abandoned: since abandoned_at; ordered: since the order, their last
 * activity) still holding an address; served by the partial index carts_closed_email (exported for that test).
 */
export const FORGET_EMAILS =
  `UPDATE carts SET email = NULL WHERE email IS NOT NULL AND state <> 'open' AND coalesce(abandoned_at, last_activity, 0) < ?` as const;

const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'failed', 'disabled'];

const token = (prefix: string) => `${prefix}_${randomBytes(16).toString('base64url')}`;

interface Pending {
  rows: Row[];
  /** The events that may change a cart (isCartRelevant) by row index, with their props as sent (the email too). */
  cartEvents: Map<number, CartEvent>;
  resolve: (r: { inserted: number; duplicates: number }) => void;
  reject: (e: unknown) => void;
}

// Captured at load so that tests which install fake timers later (vi.useFakeTimers fakes setImmediate) cannot
// stall the store's flushes.
const defer: (fn: () => void) => unknown = globalThis.setImmediate.bind(globalThis);

/** The SQL and parameters for an EventQuery (exported so tests can check the query plan). */
export function buildEventQuery(q: EventQuery = {}): { sql: string; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  if (q.name !== undefined) {
    where.push('name = ?');
    params.push(q.name);
  }
  if (q.visitor_id !== undefined) {
    where.push('visitor_id = ?');
    params.push(q.visitor_id);
  }
  if (q.campaign_id !== undefined) {
    where.push('campaign_id = ?');
    params.push(q.campaign_id);
  }
  const limit = q.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  params.push(limit);
  const sql =
    `SELECT ${COLUMNS} FROM events` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY ts DESC, rowid DESC LIMIT ?';
  return { sql, params };
}

function toRow(e: StoredEvent): Row {
  return [
    e.event_id,
    e.type,
    e.name,
    e.ts,
    e.received_at,
    e.visitor_id,
    e.session_id,
    e.path == null ? null : stripQuery(e.path),
    e.campaign_id ?? null,
    e.user_id ?? null,
    e.props == null ? null : JSON.stringify(storedProps(e.props)),
  ];
}

function fromRow(r: DbRow): StoredEvent {
  return {
    event_id: r.event_id,
    type: r.type,
    name: r.name,
    ts: r.ts,
    received_at: r.received_at,
    visitor_id: r.visitor_id,
    session_id: r.session_id,
    path: r.path,
    campaign_id: r.campaign_id,
    user_id: r.user_id,
    props: r.props === null ? null : (JSON.parse(r.props) as Record<string, unknown>),
  };
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `database schema version ${version} is newer than this Kairos understands (${MIGRATIONS.length}); upgrade Kairos`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (version !== MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

/** Opens (creating if needed, with parent directories) the SQLite event store at `file`; ':memory:' for tests. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  const synchronous = options.synchronous ?? 'full';
  if (synchronous !== 'full' && synchronous !== 'normal') throw new Error(`synchronous must be 'full' or 'normal'`);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const maxGroupEvents = Math.max(1, options.maxGroupEvents ?? 10_000);
  const cartCurrency = options.cartCurrency ?? (() => 'EUR');

  const inMemory = file === ':memory:' || file === '';
  if (!inMemory) mkdirSync(dirname(resolve(file)), { recursive: true });

  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (!inMemory && mode !== 'wal') throw new Error(`could not switch ${file} to WAL mode (got ${mode})`);
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // Keep the WAL from staying huge after a burst (it is truncated to this size after checkpoints).
    db.pragma('journal_size_limit = 67108864');
    // Deleted and overwritten content (an erased visitor, a cleared address, a redacted webhook body) is zeroed
    // in the file instead of lingering in free space (sqlite.org/pragma.html#pragma_secure_delete). The WAL holds
    // page images until a checkpoint; close() checkpoints and removes it.
    db.pragma('secure_delete = ON');
    db.function('kairos_settled_body', { deterministic: true }, (body: unknown) => settledBody(String(body)));
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }

  const stmt = {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT batch'),
    release: db.prepare('RELEASE batch'),
    rollbackTo: db.prepare('ROLLBACK TO batch'),
    insert: db.prepare(
      `INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
    ),
    ordersOf: db.prepare(
      `SELECT COUNT(DISTINCT e.event_id) FROM events e, json_each(e.props, '$.products') p
       WHERE e.name = 'Order Completed' AND e.ts >= ? AND p.type = 'object' AND json_extract(p.value, '$.product_id') = ?`,
    ).pluck(),
    count: db.prepare('SELECT count(*) AS n FROM events').pluck(),
    pauses: db.prepare('SELECT campaign_id, paused_at, reason, since FROM campaign_pauses'),
    pause: db.prepare(
      `INSERT INTO campaign_pauses (campaign_id, paused_at, reason, since) VALUES (?, ?, ?, 0)
       ON CONFLICT (campaign_id) DO UPDATE SET paused_at = excluded.paused_at, reason = excluded.reason WHERE paused_at IS NULL`,
    ),
    resume: db.prepare(
      `INSERT INTO campaign_pauses (campaign_id, paused_at, reason, since) VALUES (?, NULL, NULL, ?)
       ON CONFLICT (campaign_id) DO UPDATE SET paused_at = NULL, reason = NULL, since = excluded.since`,
    ),
    ping: db.prepare('SELECT 1').pluck(),
    prefsGet: db.prepare('SELECT level, off, at FROM preferences WHERE user_id = ?'),
    prefsPut: db.prepare(
      `INSERT INTO preferences (user_id, visitor_id, level, off, at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET visitor_id = excluded.visitor_id, level = excluded.level, off = excluded.off,
         at = excluded.at, updated_at = excluded.updated_at
       WHERE excluded.at > preferences.at`,
    ),

    grantGet: db.prepare('SELECT campaign_id, visitor_id, code, issued_at, deadline FROM offer_grants WHERE campaign_id = ? AND visitor_id = ?'),
    grantInsert: db.prepare('INSERT INTO offer_grants (campaign_id, visitor_id, code, issued_at, deadline) VALUES (?, ?, ?, ?, ?)'),
    poolUse: db.prepare(
      'INSERT INTO offer_pool_codes (pool, code, campaign_id, visitor_id, used_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (pool, code) DO NOTHING',
    ),

    cartGet: db.prepare(`SELECT ${CART_COLUMNS} FROM carts WHERE visitor_id = ?`),
    cartPut: db.prepare(
      `INSERT INTO carts (${CART_COLUMNS}, item_count)
       VALUES (@visitor_id, @cart_id, @user_id, @email, @items, @currency, @total, @last_activity, @state, @abandoned_at, @item_count)
       ON CONFLICT (visitor_id) DO UPDATE SET cart_id = excluded.cart_id, user_id = excluded.user_id, email = excluded.email,
         items = excluded.items, currency = excluded.currency, total = excluded.total, last_activity = excluded.last_activity,
         state = excluded.state, abandoned_at = excluded.abandoned_at, item_count = excluded.item_count`,
    ),
    cartsDue: db.prepare(DUE_QUERIES.carts),
    cartAbandon: db.prepare(
      `UPDATE carts SET state = 'abandoned', abandoned_at = @at
       WHERE visitor_id = @visitor_id AND cart_id = @cart_id AND last_activity = @last_activity
         AND state = 'open' AND email IS NOT NULL AND item_count > 0`,
    ),

    outboxInsert: db.prepare(
      `INSERT INTO webhook_outbox (id, endpoint, body, created_at, next_attempt_at, visitor_id, status, last_error, settled_at)
       SELECT @id, @endpoint, CASE WHEN d.url IS NULL THEN @body ELSE kairos_settled_body(@body) END, @created_at, @next_attempt_at, @visitor_id,
              CASE WHEN d.url IS NULL THEN 'pending' ELSE 'disabled' END,
              CASE WHEN d.url IS NULL THEN NULL ELSE 'endpoint disabled: ' || d.reason END,
              CASE WHEN d.url IS NULL THEN NULL ELSE @created_at END
       FROM (SELECT 1) LEFT JOIN webhook_endpoints_disabled d ON d.url = @endpoint`,
    ),
    outboxDue: db.prepare(DUE_QUERIES.outbox).pluck(),
    outboxClaim: db.prepare(
      `UPDATE webhook_outbox
       SET lease_until = @until, lease_token = @token, attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, @now)
       WHERE id = @id AND status = 'pending' AND (lease_until IS NULL OR lease_until < @now)
         AND NOT EXISTS (SELECT 1 FROM webhook_endpoints_disabled d WHERE d.url = webhook_outbox.endpoint)
       RETURNING ${OUTBOX_COLUMNS}`,
    ),
    outboxSettle: db.prepare(
      `UPDATE webhook_outbox
       SET status = @status, next_attempt_at = coalesce(@next_attempt_at, next_attempt_at), last_error = @error,
           last_status = @http_status, settled_at = @settled_at, lease_until = NULL, lease_token = NULL,
           body = CASE WHEN @status = 'pending' THEN body ELSE kairos_settled_body(body) END
       WHERE id = @id AND lease_token = @token AND status = 'pending'
       RETURNING endpoint`,
    ),
    endpointDisable: db.prepare(
      'INSERT INTO webhook_endpoints_disabled (url, disabled_at, reason) VALUES (?, ?, ?) ON CONFLICT (url) DO NOTHING',
    ),
    outboxDisableEndpoint: db.prepare(
      `UPDATE webhook_outbox SET status = 'disabled', last_error = ?, settled_at = ?, lease_until = NULL, lease_token = NULL,
         body = kairos_settled_body(body)
       WHERE endpoint = ? AND status = 'pending'`,
    ),
    outboxList: db.prepare(
      `SELECT ${OUTBOX_COLUMNS} FROM webhook_outbox WHERE @status IS NULL OR status = @status ORDER BY created_at, rowid LIMIT @limit`,
    ),
    outboxStats: db.prepare('SELECT status, count(*) AS n FROM webhook_outbox GROUP BY status'),
    eraseEvents: db.prepare('DELETE FROM events WHERE visitor_id = ?'),
    eraseCart: db.prepare('DELETE FROM carts WHERE visitor_id = ?'),
    eraseMessages: db.prepare('DELETE FROM webhook_outbox WHERE visitor_id = ?'),
    eraseGrants: db.prepare('DELETE FROM offer_grants WHERE visitor_id = ?'),
    erasePrefs: db.prepare('DELETE FROM preferences WHERE visitor_id = ?'),
    // A pool code once handed out stays used (it may be redeemed at the shop), but no longer says by whom.
    erasePoolCodes: db.prepare(`UPDATE offer_pool_codes SET visitor_id = '' WHERE visitor_id = ?`),
    // Oldest first by rowid (insertion order, so roughly by time): each call deletes at most 5,000 rows.
    expireEvents: db.prepare('DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE received_at < ? LIMIT 5000)'),
    // A cart that only remembers an email (no cart event yet: last_activity null) goes with its visitor's last event.
    expireCarts: db.prepare(
      `DELETE FROM carts WHERE CASE WHEN last_activity IS NULL
         THEN NOT EXISTS (SELECT 1 FROM events e WHERE e.visitor_id = carts.visitor_id AND e.ts >= :cutoff)
         ELSE last_activity < :cutoff END`,
    ),
    expireMessages: db.prepare(`DELETE FROM webhook_outbox WHERE status <> 'pending' AND coalesce(settled_at, created_at) < ?`),
    expireGrants: db.prepare('DELETE FROM offer_grants WHERE deadline < ?'),
    expirePrefs: db.prepare('DELETE FROM preferences WHERE updated_at < ?'),
    forgetEmails: db.prepare(FORGET_EMAILS),
    endpointsDisabled: db.prepare('SELECT url, disabled_at, reason FROM webhook_endpoints_disabled ORDER BY disabled_at, url'),
  };

  /** Pool cursors: codes before `next` in this very array were found used, so the next grant starts there. */
  const poolCursors = new Map<string, { codes: readonly string[]; next: number }>();

  /** Folds a batch's newly stored cart events into the carts (inside the batch's savepoint). */
  function updateCarts(events: CartEvent[]): void {
    const byVisitor = new Map<string, CartEvent[]>();
    for (const ev of events) {
      const list = byVisitor.get(ev.visitor_id);
      if (list) list.push(ev);
      else byVisitor.set(ev.visitor_id, [ev]);
    }
    const currency = cartCurrency();
    const opts = { defaultCurrency: currency, newCartId: () => token('cart') };
    for (const [visitor, list] of byVisitor) {
      const row = stmt.cartGet.get(visitor) as CartRow | undefined;
      const before = row ? cartFromRow(row) : null;
      const after = applyCartEvents(before, list, opts);
      if (!after || after === before) continue;
      stmt.cartPut.run({ ...after, items: JSON.stringify(after.items), item_count: itemCount(after) });
    }
  }

  /**
   * After an erasure or a retention run: the deleted rows are zeroed in their pages (secure_delete), but the WAL
   * still holds the pages as they were until a checkpoint copies the new ones into the file and the WAL is
   * truncated. Best effort, never waiting (busy_timeout 0 meanwhile: the event loop is not held): a reader on
   * another connection can keep the checkpoint from finishing; the WAL is then reused (overwritten) from the start
   * by later writes, and removed at close.
   */
  function scrubWal(): void {
    if (inMemory) return;
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      /* busy: see above */
    } finally {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    }
  }

  function insertMessages(messages: readonly NewOutboxMessage[]): void {
    for (const m of messages)
      stmt.outboxInsert.run({
        id: m.id,
        endpoint: m.endpoint,
        body: m.body,
        created_at: m.created_at,
        next_attempt_at: m.next_attempt_at,
        visitor_id: m.visitor_id ?? null,
      });
  }
  const queries = new Map<string, Database.Statement>();

  const stats = { commits: 0, batches: 0, failedBatches: 0, inserted: 0, duplicates: 0, maxBatchesPerCommit: 0 };
  let queue: Pending[] = [];
  let scheduled = false;
  let closed = false;

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    defer(flush);
  }

  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      // Take up to maxGroupEvents events' worth of batches (always at least one batch).
      let n = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || n + queue[take]!.rows.length <= maxGroupEvents)) {
        n += queue[take]!.rows.length;
        take++;
      }
      const group = queue.slice(0, take);
      queue = queue.slice(take);
      commitGroup(group);
      // Give the event loop a turn between oversized groups; more calls may join the rest meanwhile.
      if (queue.length > 0 && !closed) {
        schedule();
        return;
      }
    }
  }

  function fail(p: Pending, e: unknown): void {
    stats.failedBatches++;
    p.reject(e);
  }

  function commitGroup(group: Pending[]): void {
    let remaining = group;
    // Each pass either commits or decides at least one batch, so this ends within group.length + 1 passes.
    while (remaining.length > 0) {
      try {
        stmt.begin.run();
      } catch (e) {
        for (const p of remaining) fail(p, e);
        return;
      }
      const done: Array<[Pending, { inserted: number; duplicates: number }]> = [];
      const failed = new Set<Pending>();
      let aborted = false;
      for (const p of remaining) {
        try {
          stmt.savepoint.run();
          let inserted = 0;
          const fresh: CartEvent[] = [];
          p.rows.forEach((row, i) => {
            const changes = stmt.insert.run(row).changes;
            inserted += changes;
            // Only events stored now: a resent duplicate already did whatever it does to the cart.
            const cartEvent = p.cartEvents.get(i);
            if (cartEvent && changes === 1) fresh.push(cartEvent);
          });
          if (fresh.length > 0) updateCarts(fresh);
          stmt.release.run();
          done.push([p, { inserted, duplicates: p.rows.length - inserted }]);
        } catch (e) {
          failed.add(p);
          fail(p, e);
          if (db.inTransaction) {
            try {
              stmt.rollbackTo.run();
              stmt.release.run();
              continue;
            } catch {
              /* fall through: treat as aborted */
            }
          }
          // SQLite rolled the whole transaction back (SQLITE_FULL, IOERR, …): what the earlier batches wrote
          // is gone, so run the remaining batches again in a fresh transaction.
          aborted = true;
          break;
        }
      }
      if (aborted) {
        if (db.inTransaction) {
          try {
            stmt.rollback.run();
          } catch {
            /* already rolled back */
          }
        }
        remaining = remaining.filter((p) => !failed.has(p));
        continue;
      }
      try {
        stmt.commit.run();
      } catch (e) {
        if (db.inTransaction) {
          try {
            stmt.rollback.run();
          } catch {
            /* ignore */
          }
        }
        for (const [p] of done) fail(p, e);
        return;
      }
      // Durable now (COMMIT returned after the WAL fsync when synchronous=FULL).
      stats.commits++;
      stats.maxBatchesPerCommit = Math.max(stats.maxBatchesPerCommit, done.length);
      for (const [p, r] of done) {
        stats.batches++;
        stats.inserted += r.inserted;
        stats.duplicates += r.duplicates;
        p.resolve(r);
      }
      return;
    }
  }

  function assertOpen(): void {
    if (closed) throw new Error('the event store is closed');
  }

  const store: SqliteStore = {
    file,

    insertEvents(events) {
      return new Promise((resolvePromise, rejectPromise) => {
        assertOpen();
        if (!Array.isArray(events)) throw new TypeError('insertEvents expects an array of events');
        if (events.length === 0) {
          resolvePromise({ inserted: 0, duplicates: 0 });
          return;
        }
        // Serialise now, in the caller's turn: a later mutation of the caller's objects cannot change what is
        // written, and a value JSON cannot encode rejects this call only.
        const rows = events.map(toRow);
        const cartEvents = new Map<number, CartEvent>();
        events.forEach((e, i) => {
          if (isCartRelevant(e))
            cartEvents.set(i, { type: e.type, name: e.name, ts: e.ts, visitor_id: e.visitor_id, user_id: e.user_id ?? null, props: structuredClone(e.props ?? null) });
        });
        queue.push({ rows, cartEvents, resolve: resolvePromise, reject: rejectPromise });
        schedule();
      });
    },

    async eraseVisitor(visitorId) {
      assertOpen();
      const removed = db.transaction(() => {
        stmt.erasePoolCodes.run(visitorId);
        return {
          events: stmt.eraseEvents.run(visitorId).changes,
          carts: stmt.eraseCart.run(visitorId).changes,
          messages: stmt.eraseMessages.run(visitorId).changes,
          grants: stmt.eraseGrants.run(visitorId).changes,
          preferences: stmt.erasePrefs.run(visitorId).changes,
        };
      })();
      scrubWal();
      return removed;
    },

    async deleteExpired(cutoff) {
      assertOpen();
      let events = 0;
      for (let n = -1; n !== 0; events += n) {
        n = stmt.expireEvents.run(cutoff).changes;
        if (n) await new Promise((r) => setImmediate(r)); // let requests in between chunks
      }
      const removed = db.transaction(() => ({
        events,
        carts: stmt.expireCarts.run({ cutoff }).changes,
        messages: stmt.expireMessages.run(cutoff).changes,
        grants: stmt.expireGrants.run(cutoff).changes,
        preferences: stmt.expirePrefs.run(cutoff).changes,
      }))();
      if (Object.values(removed).some((n) => n > 0)) scrubWal();
      return removed;
    },

    async getPreferences(userId) {
      assertOpen();
      const row = stmt.prefsGet.get(userId) as { level: ShopperPreferences['level']; off: string; at: number } | undefined;
      return row ? { level: row.level, off: JSON.parse(row.off) as string[], at: row.at } : null;
    },

    async putPreferences(userId, visitorId, prefs, now) {
      assertOpen();
      return stmt.prefsPut.run(userId, visitorId, prefs.level, JSON.stringify(prefs.off), prefs.at, now).changes === 1;
    },

    async forgetCartEmails(closedBefore) {
      assertOpen();
      const n = stmt.forgetEmails.run(closedBefore).changes;
      if (n > 0) scrubWal();
      return n;
    },

    async insertEventWithWebhooks(event, messages) {
      assertOpen();
      // Serialised first, as insertEvents does: a value JSON cannot encode rejects before anything is written.
      const row = toRow(event);
      return db.transaction(() => {
        if (stmt.insert.run(row).changes !== 1) return { stored: false };
        if (isCartRelevant(event)) updateCarts([{ type: event.type, name: event.name, ts: event.ts, visitor_id: event.visitor_id, user_id: event.user_id, props: event.props }]);
        insertMessages(messages);
        return { stored: true };
      }).immediate();
    },

    async queryEvents(q = {}) {
      assertOpen();
      const { sql, params } = buildEventQuery(q);
      let s = queries.get(sql);
      if (!s) {
        s = db.prepare(sql);
        queries.set(sql, s);
      }
      return (s.all(...params) as DbRow[]).map(fromRow);
    },

    async countOrders(productId, since) {
      assertOpen();
      return stmt.ordersOf.get(since, productId) as number;
    },

    async countEvents() {
      assertOpen();
      return stmt.count.get() as number;
    },

    async reportData(q, onProgress) {
      assertOpen();
      // Synchronous from here to the end: nothing else uses the connection (or report_exposures) meanwhile.
      db.exec(REPORT_SQL.exposuresTable);
      const report = {
        clear: db.prepare(REPORT_SQL.clearExposures),
        exposures: db.prepare(REPORT_SQL.exposures),
        counts: db.prepare(REPORT_SQL.counts),
        conversions: db.prepare(REPORT_SQL.conversions),
        armVisitors: db.prepare(REPORT_SQL.armVisitors),
        armConverters: db.prepare(REPORT_SQL.armConverters),
        events: db.prepare(REPORT_SQL.events).pluck(),
      };
      const campaign = q.campaign_id ?? null;
      const { from, to } = q;
      const firstDay = Math.floor(from / DAY_MS) * DAY_MS;
      const steps = Math.ceil((to - firstDay) / DAY_MS) + 3;
      let done = 0;
      const progress = () => onProgress?.(Math.min(++done, steps), steps);
      try {
        report.clear.run();
        report.exposures.run({ from, to, campaign });
        progress();
        const counts: ReportCount[] = [];
        // A day at a time, for the progress indicator (each is its own index range, so this costs nothing); a range
        // of more than a few years in one go.
        const step = steps > 1000 ? to - firstDay : DAY_MS;
        for (let day = firstDay; day < to; day += step) {
          for (const r of report.counts.all({ from: Math.max(from, day), to: Math.min(to, day + step), campaign }) as ReportCount[]) counts.push(r);
          progress();
        }
        const windows = { click_ms: q.click_ms, view_ms: q.view_ms };
        for (const r of report.conversions.all({ from, to, campaign, ...windows }) as ReportCount[]) counts.push(r);
        progress();
        const arms = (report.armVisitors.all() as ReportArm[]).map((a) => ({ ...a, converters: 0, revenue: 0 }));
        for (const c of report.armConverters.all({ from, to, window_ms: q.window_ms }) as ReportArm[]) {
          const a = arms.find((x) => x.campaign_id === c.campaign_id && x.arm === c.arm);
          if (a) Object.assign(a, { converters: c.converters, revenue: c.revenue });
        }
        progress();
        return { counts, arms, events: report.events.get({ from, to, campaign }) as number };
      } finally {
        report.clear.run();
      }
    },

    async campaignPauses() {
      assertOpen();
      return stmt.pauses.all() as CampaignPause[];
    },

    async pauseCampaign(campaignId, at, reason) {
      assertOpen();
      return stmt.pause.run(campaignId, at, reason).changes > 0;
    },

    async resumeCampaign(campaignId, at) {
      assertOpen();
      stmt.resume.run(campaignId, at);
    },

    async grantOffer(req: GrantRequest): Promise<OfferGrant | null> {
      assertOpen();
      return db.transaction((): OfferGrant | null => {
        const existing = stmt.grantGet.get(req.campaign_id, req.visitor_id) as OfferGrant | undefined;
        if (existing) return existing;
        let code: string | undefined;
        let taken: (() => void) | undefined;
        if ('code' in req.coupon) code = req.coupon.code;
        else {
          const { pool, codes } = req.coupon;
          let cursor = poolCursors.get(pool);
          if (!cursor || cursor.codes !== codes) poolCursors.set(pool, (cursor = { codes, next: 0 }));
          const c = cursor;
          let i = c.next;
          for (; i < codes.length; i++) {
            // The key on (pool, code) decides: a code another caller (or process) took is skipped.
            if (stmt.poolUse.run(pool, codes[i]!, req.campaign_id, req.visitor_id, req.now).changes === 1) {
              code = codes[i]!;
              break;
            }
          }
          c.next = i; // every code before i is used, whatever happens to this transaction
          if (code === undefined) return null;
          taken = () => (c.next = i + 1);
        }
        const grant: OfferGrant = { campaign_id: req.campaign_id, visitor_id: req.visitor_id, code, issued_at: req.now, deadline: req.deadline };
        stmt.grantInsert.run(grant.campaign_id, grant.visitor_id, grant.code, grant.issued_at, grant.deadline);
        taken?.();
        return grant;
      }).immediate();
    },

    async getCart(visitorId) {
      assertOpen();
      const row = stmt.cartGet.get(visitorId) as CartRow | undefined;
      return row ? cartFromRow(row) : null;
    },

    async dueCarts(cutoff, limit, since = -1) {
      assertOpen();
      return (stmt.cartsDue.all(cutoff, since, limit) as CartRow[]).map(cartFromRow);
    },

    async abandonCarts(at, entries) {
      assertOpen();
      return db.transaction(() => {
        const done: string[] = [];
        for (const { cart, messages } of entries) {
          if (cart.cart_id === null || cart.last_activity === null) continue;
          const marked = stmt.cartAbandon.run({ at, visitor_id: cart.visitor_id, cart_id: cart.cart_id, last_activity: cart.last_activity });
          if (marked.changes !== 1) continue;
          insertMessages(messages);
          done.push(cart.cart_id);
        }
        return done;
      }).immediate();
    },

    async enqueueWebhooks(messages) {
      assertOpen();
      db.transaction(() => insertMessages(messages)).immediate();
    },

    async claimWebhooks({ now, leaseMs, limit, exclude = [] }) {
      assertOpen();
      const skip = new Set(exclude);
      const due = () => (stmt.outboxDue.all({ now, limit: limit + skip.size }) as string[]).filter((id) => !skip.has(id));
      // Idle is the common case: one indexed read, no write transaction.
      if (due().length === 0) return [];
      return db.transaction(() => {
        const ids = due();
        const claimed: ClaimedMessage[] = [];
        for (const id of ids) {
          if (claimed.length >= limit) break;
          const row = stmt.outboxClaim.get({ id, now, until: now + leaseMs, token: token('lease') }) as OutboxRow | undefined;
          if (row) claimed.push({ ...messageFromRow(row), lease_token: row.lease_token! });
        }
        return claimed;
      }).immediate();
    },

    async settleWebhook(id, leaseToken, outcome: OutboxOutcome) {
      assertOpen();
      return db.transaction(() => {
        const settled = outcome.status === 'pending' ? null : outcome.at;
        const row = stmt.outboxSettle.get({
          id,
          token: leaseToken,
          status: outcome.status,
          next_attempt_at: outcome.status === 'pending' ? outcome.next_attempt_at : null,
          error: outcome.status === 'delivered' ? null : outcome.error,
          http_status: outcome.http_status ?? null,
          settled_at: settled,
        }) as { endpoint: string } | undefined;
        if (!row) return false;
        if (outcome.status === 'disabled') {
          stmt.endpointDisable.run(row.endpoint, outcome.at, outcome.error);
          stmt.outboxDisableEndpoint.run(`endpoint disabled: ${outcome.error}`, outcome.at, row.endpoint);
        }
        return true;
      }).immediate();
    },

    async listWebhooks(q = {}) {
      assertOpen();
      const limit = q.limit ?? 100;
      const rows = stmt.outboxList.all({ status: q.status ?? null, limit }) as OutboxRow[];
      return rows.map(messageFromRow);
    },

    async outboxStats() {
      assertOpen();
      const counts = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
      for (const r of stmt.outboxStats.all() as Array<{ status: OutboxStatus; n: number }>) counts[r.status] = r.n;
      return counts;
    },

    async disabledEndpoints() {
      assertOpen();
      return stmt.endpointsDisabled.all() as Array<{ url: string; disabled_at: number; reason: string }>;
    },

    async ping() {
      assertOpen();
      stmt.ping.get();
    },

    async close() {
      if (closed) return;
      // Write whatever is queued before closing; those callers still get their answers.
      while (queue.length > 0) {
        const group = queue;
        queue = [];
        commitGroup(group);
      }
      closed = true;
      try {
        db.pragma('optimize');
      } catch {
        /* best effort */
      }
      db.close();
    },

    stats() {
      return { ...stats, pending: queue.length };
    },

    diagnostics() {
      assertOpen();
      const sync = db.pragma('synchronous', { simple: true }) as number;
      return {
        journalMode: db.pragma('journal_mode', { simple: true }) as string,
        synchronous: (['off', 'normal', 'full', 'extra'] as const)[sync] ?? 'off',
        busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
        schemaVersion: db.pragma('user_version', { simple: true }) as number,
        secureDelete: db.pragma('secure_delete', { simple: true }) === 1,
      };
    },
  };
  return store;
}
