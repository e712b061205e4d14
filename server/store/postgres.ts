// The PostgreSQL event store (issue 9): the same Store as server/store/sqlite.ts, for shops that run several
// server instances against one database. Read sqlite.ts first: every method means the same thing here; this file
// says only what PostgreSQL changes.
//
// Durability. Every write resolves after its COMMIT (or its single autocommitted statement) has returned. With
// PostgreSQL's default `synchronous_commit = on` that is after the WAL flush, the guarantee sqlite.ts gets from
// `synchronous=FULL`. The setting belongs to the operator (it may be `remote_apply` on a replicated cluster, or
// `off` by choice); diagnostics() reports it. There is no group commit of our own: batches arriving together
// commit in concurrent transactions on the pool's connections, and PostgreSQL shares the WAL flush among them.
//
// Concurrency. Several instances write at once, so what SQLite got from its single writer is spelled out:
//   - events: `ON CONFLICT (event_id) DO NOTHING`; a second transaction inserting an id another has inserted but
//     not committed waits for it, then skips (or inserts, if the first rolled back): each id is stored once.
//   - carts: the visitor's row is locked (`SELECT … FOR UPDATE`, rows created first so there is one to lock) before
//     its events are folded in, so two batches of one visitor fold one after the other and no update is lost.
//     Rows are locked in one order (visitor_id, "C" collation) by every transaction.
//   - offer grants: an advisory lock per (campaign, visitor) and the two primary keys; a pool code is taken with
//     `ON CONFLICT DO NOTHING` and the next free one tried when another transaction took it first.
//   - the outbox: `FOR UPDATE SKIP LOCKED` when claiming, so instances never claim one message twice.
//   - deadlocks (40P01) and serialization failures (40001) are retried with the whole transaction.
//
// Erasure. SQLite's `secure_delete` has no PostgreSQL equivalent: a deleted or updated row (an erased visitor, a
// cleared email, a redacted webhook body) stays in its page as a dead tuple until VACUUM (autovacuum) marks the
// space free, and its bytes remain until a later row overwrites them; the WAL and its archive (and backups) keep
// the old row versions until they are recycled. `VACUUM FULL` (or pg_repack) rewrites a table without them. So
// the rows are gone for every query at once, and from disk only after vacuuming and WAL recycling: an operator who
// must show physical erasure schedules `VACUUM FULL` of the tables concerned and bounds WAL and backup retention.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyCartEvents, isCartRelevant, itemCount, type CartEvent } from '../carts';
import { storedProps, stripQuery } from '../events';
import type { ShopperPreferences } from '../schema';
import { settledBody } from '../webhooks/redact';
import { DAY_MS, QUICK_CLOSE_MS, STAY_MS } from '../report/aggregate';
import type {
  CampaignPause,
  ClaimedMessage,
  EventQuery,
  NewOutboxMessage,
  OfferGrant,
  OutboxMessage,
  OutboxStatus,
  ReportArm,
  ReportCount,
  Store,
  StoredCart,
  StoredEvent,
} from './types';

export interface PostgresStoreOptions {
  /** Currency of carts whose events name none, read at each write (the live config's `cart.currency`; default EUR). */
  cartCurrency?: () => string;
  /** The schema holding Kairos's tables (created if missing); default `public`. Tests give each store its own. */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

export interface PostgresStoreDiagnostics {
  schema: string;
  /** Migrations applied in the schema. */
  schemaVersion: number;
  /** Migrations this instance applied at open (0 when another instance, or an earlier start, had done them). */
  migrated: number;
  serverVersion: string;
  /** The server's `synchronous_commit`: `on` (or stricter) makes an acknowledged write survive a power loss. */
  synchronousCommit: string;
  pool: { size: number; total: number; idle: number; waiting: number };
  /** The last error of an idle pooled connection (a server restart, a network cut), if any. */
  lastPoolError: string | null;
}

export interface PostgresStore extends Store {
  readonly schema: string;
  diagnostics(): Promise<PostgresStoreDiagnostics>;
}

/**
 * Schema migrations, applied in order at open, each in its own transaction with its row in `kairos_migrations`.
 * Append only: never edit a step that has shipped.
 *
 * Types. Epoch milliseconds are BIGINT (an integer column refuses a fraction, as SQLite's STRICT tables do), read
 * back as JS numbers (see `types` below). Event props are JSONB: the report reads into them for every event it
 * counts (`props->>'variant'`, `props->'ms'`), and JSONB is parsed once on write instead of on every read. JSONB
 * keeps values exactly (a double written by JSON.stringify reads back as the same double) but not the order of an
 * object's keys nor duplicate keys — JSON objects are unordered (RFC 8259 §4), and nothing reads props by order.
 * Where the text itself matters it stays TEXT: a cart's `items` (the lines in the order they were added, which
 * the webhook lists) and webhook bodies (signed and sent byte for byte).
 *
 * Insertion order. SQLite's implicit rowid breaks ties between equal timestamps ("newest first", the report's last
 * touch) and orders the outbox; here an identity column `seq` does. The events indexes are the ones SQLite has —
 * (name, ts), (visitor_id, ts), (campaign_id, ts) partial — and an ordered read breaks ts ties with an incremental
 * sort on seq rather than making every index entry 8 bytes wider.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: everything SQLite's seven migrations built (events; offer grants and pool codes; carts; the webhook outbox,
  // disabled endpoints and the visitor column; the closed-cart email index; preferences; campaign pauses). SQLite's
  // step 5 also redacted settled bodies already stored; a PostgreSQL schema starts empty, so there is none.
  `CREATE TABLE events (
     event_id    text   NOT NULL PRIMARY KEY,
     type        text   NOT NULL CHECK (type IN ('track', 'page', 'identify')),
     name        text   NOT NULL,
     ts          bigint NOT NULL,
     received_at bigint NOT NULL,
     seq         bigint GENERATED ALWAYS AS IDENTITY,
     visitor_id  text   NOT NULL,
     session_id  text   NOT NULL,
     path        text,
     campaign_id text,
     user_id     text,
     props       jsonb
   );
   CREATE INDEX events_name_ts ON events (name, ts);
   CREATE INDEX events_visitor_ts ON events (visitor_id, ts);
   CREATE INDEX events_campaign_ts ON events (campaign_id, ts) WHERE campaign_id IS NOT NULL;

   CREATE TABLE offer_grants (
     campaign_id text   NOT NULL,
     visitor_id  text   NOT NULL,
     code        text   NOT NULL,
     issued_at   bigint NOT NULL,
     deadline    bigint NOT NULL,
     PRIMARY KEY (campaign_id, visitor_id)
   );
   CREATE TABLE offer_pool_codes (
     pool        text   NOT NULL,
     code        text   NOT NULL,
     campaign_id text   NOT NULL,
     visitor_id  text   NOT NULL,
     used_at     bigint NOT NULL,
     PRIMARY KEY (pool, code)
   );

   CREATE TABLE carts (
     visitor_id    text             NOT NULL PRIMARY KEY,
     cart_id       text,
     user_id       text,
     email         text,
     items         text             NOT NULL,
     item_count    bigint           NOT NULL,
     currency      text,
     total         double precision NOT NULL,
     last_activity bigint,
     state         text             NOT NULL CHECK (state IN ('open', 'abandoned', 'ordered')),
     abandoned_at  bigint
   );
   CREATE INDEX carts_due ON carts (last_activity)
     WHERE state = 'open' AND email IS NOT NULL AND item_count > 0 AND cart_id IS NOT NULL;
   CREATE INDEX carts_closed_email ON carts ((coalesce(abandoned_at, last_activity, 0))) WHERE email IS NOT NULL AND state <> 'open';

   CREATE TABLE webhook_outbox (
     id               text    NOT NULL PRIMARY KEY,
     seq              bigint  GENERATED ALWAYS AS IDENTITY,
     endpoint         text    NOT NULL,
     body             text    NOT NULL,
     created_at       bigint  NOT NULL,
     status           text    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'disabled')),
     attempts         integer NOT NULL DEFAULT 0,
     first_attempt_at bigint,
     next_attempt_at  bigint  NOT NULL,
     lease_until      bigint,
     lease_token      text,
     last_error       text,
     last_status      integer,
     settled_at       bigint,
     visitor_id       text
   );
   CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, seq) WHERE status = 'pending';
   CREATE INDEX webhook_outbox_endpoint ON webhook_outbox (endpoint) WHERE status = 'pending';
   CREATE INDEX webhook_outbox_visitor ON webhook_outbox (visitor_id) WHERE visitor_id IS NOT NULL;
   CREATE TABLE webhook_endpoints_disabled (
     url         text   NOT NULL PRIMARY KEY,
     disabled_at bigint NOT NULL,
     reason      text   NOT NULL
   );

   CREATE TABLE preferences (
     user_id    text   NOT NULL PRIMARY KEY,
     visitor_id text   NOT NULL,
     level      text   NOT NULL CHECK (level IN ('all', 'fewer', 'bars', 'none')),
     off        jsonb  NOT NULL,
     at         bigint NOT NULL,
     updated_at bigint NOT NULL
   );
   CREATE INDEX preferences_visitor ON preferences (visitor_id);

   CREATE TABLE campaign_pauses (
     campaign_id text   NOT NULL PRIMARY KEY,
     paused_at   bigint,
     reason      text,
     since       bigint NOT NULL
   );`,
];

/** First key of every advisory lock Kairos takes (the second names what is locked), so other users of the database don't collide. */
const LOCK_CLASS = 0x4b41_4952; // 'KAIR'

// --- the report ------------------------------------------------------------------------------------------------

const REPORT_KINDS = `('Campaign Shown', 'Campaign Clicked', 'Campaign Dismissed', 'Campaign Left', 'Preferences Changed', 'Experiment Viewed', 'Order Completed')`;

/**
 * SQLite's `total(coalesce(json_extract(p, '$.revenue'), json_extract(p, '$.total'), 0))`, term by term: the first
 * of revenue/total that is not null; a JSON number counts as itself, true/false as 1/0, a string by its leading
 * number (SQLite's text-to-real conversion: '12.5 EUR' is 12.5, 'abc' is 0), an object or array as 0.
 */
function amount(props: string): string {
  const v = `coalesce(nullif(${props}->'revenue', 'null'::jsonb), nullif(${props}->'total', 'null'::jsonb))`;
  return `CASE jsonb_typeof(${v})
      WHEN 'number' THEN (${v})::float8
      WHEN 'boolean' THEN (${v})::boolean::int::float8
      WHEN 'string' THEN coalesce(substring(${v} #>> '{}' from '^\\s*([-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?)')::float8, 0)
      ELSE 0 END`;
}

/**
 * SQLite's `json_extract(props, '$.ms') < QUICK_CLOSE_MS`: a JSON number compared as a number, true/false as 1/0;
 * a string, object or array is text to SQLite, which sorts after every number (false); missing or null is NULL.
 */
const QUICK_CLOSE = `CASE jsonb_typeof(e.props->'ms')
      WHEN 'number' THEN ((e.props->'ms')::float8 < ${QUICK_CLOSE_MS})::int
      WHEN 'boolean' THEN 1
      WHEN 'string' THEN 0 WHEN 'object' THEN 0 WHEN 'array' THEN 0 END`;

/**
 * The report's SQL, ported from sqlite.ts REPORT_SQL (read its comments for what each step counts). The steps run in
 * one REPEATABLE READ transaction, so they all count the same snapshot, and `report_exposures` is a temporary table
 * dropped at its commit. Measures SQLite sums as booleans sum CASE … 1 ELSE 0 here; those SQLite leaves NULL when no
 * event of their kind is in the group (quick_closes, left, fewer) are NULL here too.
 */
const REPORT_SQL = {
  exposuresTable: `CREATE TEMP TABLE report_exposures (
       campaign_id text NOT NULL, visitor_id text NOT NULL, arm text, first bigint NOT NULL,
       PRIMARY KEY (campaign_id, visitor_id)) ON COMMIT DROP;
     CREATE INDEX report_exposures_visitor ON report_exposures (visitor_id)`,
  // SQLite's bare column beside min(ts) is the arm of the earliest exposure: DISTINCT ON keeps that row (the first
  // stored, on a tie).
  exposures: `INSERT INTO report_exposures (campaign_id, visitor_id, arm, first)
     SELECT DISTINCT ON (campaign_id, visitor_id) campaign_id, visitor_id, props->>'variant', ts FROM events
     WHERE name = 'Experiment Viewed' AND ts >= $1::bigint AND ts < $2::bigint AND campaign_id IS NOT NULL
       AND ($3::text IS NULL OR campaign_id = $3::text)
     ORDER BY campaign_id, visitor_id, ts, seq`,
  // Temporary tables are never analysed by autovacuum; the joins below need the planner to know its size.
  analyze: `ANALYZE report_exposures`,
  events: `SELECT count(*) AS n FROM events
     WHERE name IN ${REPORT_KINDS} AND ts >= $1::bigint AND ts < $2::bigint AND ($3::text IS NULL OR campaign_id = $3::text)`,
  counts: `SELECT e.campaign_id AS campaign_id, e.ts / ${DAY_MS} AS day, x.arm AS arm,
       sum(CASE WHEN e.name = 'Campaign Shown' THEN 1 ELSE 0 END) AS impressions,
       sum(CASE WHEN e.name = 'Campaign Clicked' THEN 1 ELSE 0 END) AS clicks,
       sum(CASE WHEN e.name = 'Campaign Dismissed' THEN 1 ELSE 0 END) AS dismissals,
       sum(CASE WHEN e.name = 'Campaign Dismissed' THEN ${QUICK_CLOSE} END) AS quick_closes,
       sum(CASE WHEN e.name = 'Campaign Left' THEN (NOT EXISTS (SELECT 1 FROM events p
         WHERE p.visitor_id = e.visitor_id AND p.ts > e.ts AND p.ts <= e.ts + ${STAY_MS} AND p.name = 'Page Viewed'))::int END) AS "left",
       sum(CASE WHEN e.name = 'Preferences Changed' THEN (coalesce(e.props->>'level', '') <> 'all')::int END) AS fewer
     FROM events e
     LEFT JOIN report_exposures x ON x.campaign_id = e.campaign_id AND x.visitor_id = e.visitor_id
     WHERE e.name IN ('Campaign Shown', 'Campaign Clicked', 'Campaign Dismissed', 'Campaign Left', 'Preferences Changed')
       AND e.ts >= $1::bigint AND e.ts < $2::bigint AND e.campaign_id IS NOT NULL AND ($3::text IS NULL OR e.campaign_id = $3::text)
     GROUP BY 1, 2, 3`,
  // $4 click_ms, $5 view_ms.
  conversions: `SELECT c.campaign_id AS campaign_id, c.ts / ${DAY_MS} AS day, x.arm AS arm, count(*) AS conversions,
       coalesce(sum(c.revenue), 0) AS revenue
     FROM (SELECT o.ts, o.visitor_id, ${amount('o.props')} AS revenue,
             (SELECT t.campaign_id FROM events t
               WHERE t.visitor_id = o.visitor_id AND t.ts <= o.ts AND t.ts >= o.ts - greatest($4::bigint, $5::bigint)
                 AND t.campaign_id IS NOT NULL
                 AND ((t.name = 'Campaign Clicked' AND t.ts >= o.ts - $4::bigint) OR (t.name = 'Campaign Shown' AND t.ts >= o.ts - $5::bigint))
               ORDER BY t.ts DESC, t.name = 'Campaign Clicked' DESC, t.seq DESC LIMIT 1) AS campaign_id
           FROM events o WHERE o.name = 'Order Completed' AND o.ts >= $1::bigint AND o.ts < $2::bigint) c
     LEFT JOIN report_exposures x ON x.campaign_id = c.campaign_id AND x.visitor_id = c.visitor_id
     WHERE c.campaign_id IS NOT NULL AND ($3::text IS NULL OR c.campaign_id = $3::text)
     GROUP BY 1, 2, 3`,
  armVisitors: `SELECT campaign_id, arm, count(*) AS visitors FROM report_exposures GROUP BY 1, 2`,
  // $3 window_ms.
  armConverters: `SELECT x.campaign_id AS campaign_id, x.arm AS arm, count(DISTINCT x.visitor_id) AS converters,
       coalesce(sum(${amount('o.props')}), 0) AS revenue
     FROM events o
     JOIN report_exposures x ON x.visitor_id = o.visitor_id
     WHERE o.name = 'Order Completed' AND o.ts >= $1::bigint AND o.ts < $2::bigint AND o.ts >= x.first AND o.ts <= x.first + $3::bigint
     GROUP BY 1, 2`,
};

// --- rows ------------------------------------------------------------------------------------------------------

const COLUMNS = 'event_id, type, name, ts, received_at, visitor_id, session_id, path, campaign_id, user_id, props' as const;

/**
 * One multi-row statement for a whole batch, whatever its size: one array per column (the unnest form also avoids
 * the protocol's limit of 65,535 parameters, which a 6,000-event batch of 11 columns would pass).
 */
const INSERT_EVENTS = `INSERT INTO events (${COLUMNS})
  SELECT e, t, n, ts, r, v, s, p, c, u, pr::jsonb
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
    AS x(e, t, n, ts, r, v, s, p, c, u, pr)
  ON CONFLICT (event_id) DO NOTHING
  RETURNING event_id`;

type Row = [string, string, string, number, number, string, string, string | null, string | null, string | null, string | null];

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

const cartFromRow = (r: CartRow): StoredCart => ({ ...r, items: JSON.parse(r.items) as StoredCart['items'] });

type OutboxRow = OutboxMessage & { lease_token: string | null; seq: number };

const OUTBOX_COLUMNS =
  'id, endpoint, body, created_at, status, attempts, first_attempt_at, next_attempt_at, lease_until, lease_token, last_error, last_status, settled_at, visitor_id' as const;

function messageFromRow(r: OutboxRow): OutboxMessage {
  const { lease_token: _token, seq: _seq, ...m } = r;
  return m;
}

/**
 * The two queries the timers run every few seconds, idle or not (exported so tests can check their plans). The
 * outbox's is also the claim itself: the due rows are locked, skipping any another instance is claiming right now.
 */
export const DUE_QUERIES = {
  carts: `SELECT ${CART_COLUMNS} FROM carts
          WHERE state = 'open' AND email IS NOT NULL AND item_count > 0 AND cart_id IS NOT NULL
            AND last_activity <= $1::bigint AND last_activity > $2::bigint
          ORDER BY last_activity LIMIT $3`,
  outbox: `WITH due AS (
             SELECT o.id FROM webhook_outbox o
             WHERE o.status = 'pending' AND o.next_attempt_at <= $1::bigint AND (o.lease_until IS NULL OR o.lease_until < $1::bigint)
               AND NOT (o.id = ANY($4::text[]))
               AND NOT EXISTS (SELECT 1 FROM webhook_endpoints_disabled d WHERE d.url = o.endpoint)
             ORDER BY o.next_attempt_at, o.seq
             LIMIT $3
             FOR UPDATE SKIP LOCKED)
           UPDATE webhook_outbox o
           SET lease_until = $2::bigint, lease_token = 'lease_' || replace(gen_random_uuid()::text, '-', ''),
               attempts = o.attempts + 1, first_attempt_at = coalesce(o.first_attempt_at, $1::bigint)
           FROM due WHERE o.id = due.id
           RETURNING o.seq, ${OUTBOX_COLUMNS.split(', ').map((c) => `o.${c}`).join(', ')}`,
} as const;

/** Store.forgetCartEmails, served by the partial index carts_closed_email (see sqlite.ts FORGET_EMAILS). */
export const FORGET_EMAILS =
  `UPDATE carts SET email = NULL WHERE email IS NOT NULL AND state <> 'open' AND coalesce(abandoned_at, last_activity, 0) < $1::bigint` as const;

const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'failed', 'disabled'];

const token = (prefix: string) => `${prefix}_${randomBytes(16).toString('base64url')}`;

/** The SQL and parameters for an EventQuery (as sqlite.ts buildEventQuery; ties on ts newest stored first). */
export function buildEventQuery(q: EventQuery = {}): { sql: string; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  for (const key of ['name', 'visitor_id', 'campaign_id'] as const) {
    const v = q[key];
    if (v === undefined) continue;
    params.push(v);
    where.push(`${key} = $${params.length}`);
  }
  const limit = q.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  params.push(limit);
  const sql =
    `SELECT ${COLUMNS} FROM events` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY ts DESC, seq DESC LIMIT $${params.length}`;
  return { sql, params };
}

// PostgreSQL text cannot hold U+0000 (neither can JSONB, even escaped as \u0000), and JSONB refuses an escaped
// unpaired surrogate ("\ud800"). SQLite stores both. The event schema allows any string, so one such character
// would make a batch fail on every retry, forever; it is stored as U+FFFD instead (node-postgres already sends an
// unpaired surrogate in a text column as U+FFFD, by encoding UTF-8).
const UNSTORABLE = /\0|[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const pgText = (s: string): string => (UNSTORABLE.test(s) ? s.replace(/\0/g, '\ufffd').replace(LONE_SURROGATE, '\ufffd') : s);
const pgTextOrNull = (s: string | null): string | null => (typeof s === 'string' ? pgText(s) : s);

function pgJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!/\\u(0000|d[89a-f])/i.test(json)) return json; // the common case: nothing to replace
  const clean = (v: unknown): unknown => {
    if (typeof v === 'string') return pgText(v);
    if (Array.isArray(v)) return v.map(clean);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [pgText(k), clean(x)]));
    return v;
  };
  return JSON.stringify(clean(JSON.parse(json)));
}

function toRow(e: StoredEvent): Row {
  return [
    pgText(e.event_id),
    e.type,
    pgText(e.name),
    e.ts,
    e.received_at,
    pgText(e.visitor_id),
    pgText(e.session_id),
    e.path == null ? null : pgText(stripQuery(e.path)),
    pgTextOrNull(e.campaign_id ?? null),
    pgTextOrNull(e.user_id ?? null),
    e.props == null ? null : pgJson(storedProps(e.props)),
  ];
}

/** Rows → one array per column, for INSERT_EVENTS. */
function columns(rows: readonly Row[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 11 }, () => new Array<unknown>(rows.length));
  rows.forEach((row, i) => row.forEach((v, c) => (cols[c]![i] = v)));
  return cols;
}

/**
 * Epoch ms and counts come back as BIGINT, which node-postgres returns as strings (a BIGINT can exceed 2^53). Every
 * BIGINT Kairos stores is an epoch ms or a count, far below 2^53, so this pool (only this one: the parser is set on
 * its own types object, not on node-postgres's global table) returns them as numbers.
 */
function pgTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (s: string) => Number(s));
  return types;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 5;
const isRetryable = (e: unknown): boolean => typeof (e as { code?: unknown })?.code === 'string' && RETRYABLE.has((e as { code: string }).code);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A schema name Kairos accepts: a plain identifier, so it can be quoted once and used everywhere. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Opens the PostgreSQL store at `url` (a postgres:// connection string), creating the schema and applying the
 * migrations if needed. Several instances may open the same database at once: migrations run one instance at a time.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`schema must be a plain identifier (letters, digits, _), got ${JSON.stringify(schema)}`);
  const cartCurrency = options.cartCurrency ?? (() => 'EUR');
  const quotedSchema = pg.escapeIdentifier(schema);

  let lastPoolError: string | null = null;
  const pool = new pg.Pool({
    connectionString: url,
    max: Math.max(1, options.poolSize ?? 10),
    types: pgTypes(),
    application_name: 'kairos',
    // Every connection works in the schema: unqualified names below all resolve there (pg_catalog is always
    // searched). Set on connect rather than as a startup `options=-c search_path=…`, which an `options` in the URL
    // would replace. A session setting: behind a pooler, use session pooling.
    onConnect: async (client) => {
      await client.query(`SET search_path TO ${quotedSchema}`);
    },
  });
  // An idle connection that dies (server restart, network cut) emits 'error' on the pool; unhandled, it would end
  // the process. The pool replaces the connection; the next query reports any lasting problem.
  pool.on('error', (e) => (lastPoolError = e.message));

  /** One statement, retried on deadlock (a multi-row insert can deadlock with another taking the same keys in another order). */
  async function query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await pool.query<R>(sql, params);
      } catch (e) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(e)) throw e;
        await sleep(Math.random() * 5 * attempt);
      }
    }
  }

  /** Runs `fn` in a transaction on one connection; on deadlock or serialization failure, runs it all again. */
  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query(begin);
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError)); // drop the connection
        }
        if (attempt >= MAX_ATTEMPTS || !isRetryable(e)) throw e;
      } finally {
        client.release(broken);
      }
      await sleep(Math.random() * 5 * attempt);
    }
  }

  // --- open: server version, schema, migrations -----------------------------------------------------------------

  let migrated = 0;
  let serverVersion = '';
  try {
    const v = await pool.query<{ server_version: string; num: string }>(
      `SELECT current_setting('server_version') AS server_version, current_setting('server_version_num') AS num`,
    );
    serverVersion = v.rows[0]!.server_version;
    // 13: gen_random_uuid() in core (lease tokens) and incremental sort (ts ties broken by seq).
    if (Number(v.rows[0]!.num) < 130000) throw new Error(`PostgreSQL ${serverVersion} is too old: Kairos needs 13 or later`);
    migrated = await migrate();
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }

  /**
   * Applies the missing migrations, each in its own transaction holding the schema's migration lock: an instance
   * starting meanwhile waits, then finds the step done. The lock is a transaction lock, released by COMMIT or by the
   * connection dying, so a crashed instance never leaves it held (and it works behind a transaction pooler).
   */
  async function migrate(): Promise<number> {
    let applied = 0;
    for (;;) {
      const done = await tx(async (c) => {
        // current_schema() is NULL until the schema exists, so the lock key names it explicitly the first time.
        await c.query(`SELECT pg_advisory_xact_lock(${LOCK_CLASS}, hashtext('migrations:' || $1::text))`, [schema]);
        // Created only when missing: PostgreSQL checks the CREATE privilege before `IF NOT EXISTS`, and a server may
        // run as a role that has no CREATE once the schema is in place.
        const { rows: found } = await c.query<{ schema: boolean; table: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema,
                  to_regclass(format('%I.kairos_migrations', $1::text)) IS NOT NULL AS table`,
          [schema],
        );
        if (!found[0]!.schema) await c.query(`CREATE SCHEMA ${quotedSchema}`);
        if (!found[0]!.table)
          await c.query(`CREATE TABLE kairos_migrations (
              version    integer     NOT NULL PRIMARY KEY,
              applied_at timestamptz NOT NULL DEFAULT now())`);
        const { rows } = await c.query<{ v: number }>('SELECT coalesce(max(version), 0) AS v FROM kairos_migrations');
        const version = rows[0]!.v;
        if (version > MIGRATIONS.length)
          throw new Error(`database schema version ${version} is newer than this Kairos understands (${MIGRATIONS.length}); upgrade Kairos`);
        if (version === MIGRATIONS.length) return true;
        await c.query(MIGRATIONS[version]!); // several statements: the simple query protocol runs them in order
        await c.query('INSERT INTO kairos_migrations (version) VALUES ($1)', [version + 1]);
        applied++;
        return false;
      });
      if (done) return applied;
    }
  }

  // --- carts ------------------------------------------------------------------------------------------------------

  /**
   * Folds newly stored cart events into their visitors' carts, inside the caller's transaction. A row is created for
   * each visitor who has none (so there is a row to lock), then every row is locked in visitor order: a concurrent
   * batch of the same visitor, on any instance, waits here until this one commits, then folds into the result.
   */
  async function foldCarts(c: pg.PoolClient, events: readonly CartEvent[]): Promise<void> {
    const byVisitor = new Map<string, CartEvent[]>();
    for (const ev of events) {
      const list = byVisitor.get(ev.visitor_id);
      if (list) list.push(ev);
      else byVisitor.set(ev.visitor_id, [ev]);
    }
    const visitors = [...byVisitor.keys()].sort(); // code unit order = "C" collation for the ASCII ids events carry
    const created = new Set(
      (
        await c.query<{ visitor_id: string }>(
          `INSERT INTO carts (visitor_id, items, item_count, total, state) SELECT v, '{}', 0, 0, 'open' FROM unnest($1::text[]) AS v
           ON CONFLICT (visitor_id) DO NOTHING RETURNING visitor_id`,
          [visitors],
        )
      ).rows.map((r) => r.visitor_id),
    );
    const { rows } = await c.query<CartRow>(
      `SELECT ${CART_COLUMNS} FROM carts WHERE visitor_id = ANY($1::text[]) ORDER BY visitor_id COLLATE "C" FOR UPDATE`,
      [visitors],
    );
    const opts = { defaultCurrency: cartCurrency(), newCartId: () => token('cart') };
    const puts: StoredCart[] = [];
    const unused: string[] = [];
    for (const row of rows) {
      const before = created.has(row.visitor_id) ? null : cartFromRow(row);
      const after = applyCartEvents(before, byVisitor.get(row.visitor_id) ?? [], opts);
      if (after === null) unused.push(row.visitor_id); // a row made just now for nothing (cannot happen with relevant events)
      else if (after !== before) puts.push(after);
    }
    if (unused.length > 0) await c.query('DELETE FROM carts WHERE visitor_id = ANY($1::text[])', [unused]);
    if (puts.length === 0) return;
    await c.query(
      `UPDATE carts AS c SET cart_id = u.cart_id, user_id = u.user_id, email = u.email, items = u.items, item_count = u.item_count,
         currency = u.currency, total = u.total, last_activity = u.last_activity, state = u.state, abandoned_at = u.abandoned_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::float8[], $9::bigint[], $10::text[], $11::bigint[])
         AS u(visitor_id, cart_id, user_id, email, items, item_count, currency, total, last_activity, state, abandoned_at)
       WHERE c.visitor_id = u.visitor_id`,
      [
        puts.map((p) => p.visitor_id),
        puts.map((p) => p.cart_id),
        puts.map((p) => pgTextOrNull(p.user_id)),
        puts.map((p) => pgTextOrNull(p.email)),
        puts.map((p) => pgJson(p.items)),
        puts.map((p) => itemCount(p)),
        puts.map((p) => pgTextOrNull(p.currency)),
        puts.map((p) => p.total),
        puts.map((p) => p.last_activity),
        puts.map((p) => p.state),
        puts.map((p) => p.abandoned_at),
      ],
    );
  }

  // --- the outbox --------------------------------------------------------------------------------------------------

  /**
   * Queues messages inside the caller's transaction; those for an endpoint already disabled are stored disabled and
   * redacted at once. Enqueuers hold a shared advisory lock per endpoint until they commit, and disabling an endpoint
   * takes it exclusively (settleWebhook): without it, an endpoint disabled between our read of the list and our
   * commit would keep our messages pending, whole, for a receiver that will never get them.
   */
  async function insertMessages(c: pg.PoolClient, messages: readonly NewOutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const endpoints = [...new Set(messages.map((m) => m.endpoint))].sort(); // one order for every transaction
    await c.query(`SELECT pg_advisory_xact_lock_shared(${LOCK_CLASS}, hashtext('endpoint:' || u)) FROM unnest($1::text[]) AS u`, [endpoints]);
    const disabled = new Map(
      (await c.query<{ url: string; reason: string }>('SELECT url, reason FROM webhook_endpoints_disabled WHERE url = ANY($1::text[])', [endpoints])).rows.map(
        (r) => [r.url, r.reason],
      ),
    );
    const reasonOf = (m: NewOutboxMessage) => disabled.get(m.endpoint);
    await c.query(
      `INSERT INTO webhook_outbox (id, endpoint, body, created_at, next_attempt_at, visitor_id, status, last_error, settled_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[])`,
      [
        messages.map((m) => m.id),
        messages.map((m) => m.endpoint),
        messages.map((m) => (reasonOf(m) === undefined ? m.body : settledBody(m.body))),
        messages.map((m) => m.created_at),
        messages.map((m) => m.next_attempt_at),
        messages.map((m) => m.visitor_id ?? null),
        messages.map((m) => (reasonOf(m) === undefined ? 'pending' : 'disabled')),
        messages.map((m) => (reasonOf(m) === undefined ? null : `endpoint disabled: ${reasonOf(m)}`)),
        messages.map((m) => (reasonOf(m) === undefined ? null : m.created_at)),
      ],
    );
  }

  // --- life cycle ------------------------------------------------------------------------------------------------

  /** Pool cursors: codes before `next` in this very array were found used, so the next grant starts there. */
  const poolCursors = new Map<string, { codes: readonly string[]; next: number }>();
  /** Operations started and not yet settled: close() waits for them (an insert already called still commits). */
  const inflight = new Set<Promise<unknown>>();
  let closed = false;
  let closing: Promise<void> | undefined;

  /** Runs an operation unless the store is closed (checked in the caller's turn), and tracks it for close(). */
  function op<T>(fn: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new Error('the event store is closed'));
    const p = fn();
    inflight.add(p);
    const forget = () => inflight.delete(p);
    p.then(forget, forget);
    return p;
  }

  const store: PostgresStore = {
    schema,

    insertEvents(events) {
      return op(async () => {
        if (!Array.isArray(events)) throw new TypeError('insertEvents expects an array of events');
        if (events.length === 0) return { inserted: 0, duplicates: 0 };
        // Serialised now, in the caller's turn (as sqlite.ts does): a later change to the caller's objects cannot
        // change what is written, and a value JSON cannot encode rejects this call before anything is sent.
        const all = events.map(toRow);
        // A repeated id within the batch keeps its first occurrence (one multi-row INSERT could keep either).
        const seen = new Set<string>();
        const rows: Row[] = [];
        const cartEvents = new Map<string, CartEvent>();
        events.forEach((e, i) => {
          const id = all[i]![0];
          if (seen.has(id)) return;
          seen.add(id);
          rows.push(all[i]!);
          if (isCartRelevant(e))
            cartEvents.set(id, { type: e.type, name: e.name, ts: e.ts, visitor_id: all[i]![5], user_id: e.user_id ?? null, props: structuredClone(e.props ?? null) });
        });
        const cols = columns(rows);
        let inserted: number;
        if (cartEvents.size === 0) {
          // Nothing to fold: one statement is one atomic, durable transaction, in one round trip.
          inserted = (await query(INSERT_EVENTS, cols)).rowCount ?? 0;
        } else {
          inserted = await tx(async (c) => {
            const stored = (await c.query<{ event_id: string }>(INSERT_EVENTS, cols)).rows;
            // Only events stored now: a resent duplicate already did whatever it does to the cart.
            const fresh = stored.flatMap((r) => cartEvents.get(r.event_id) ?? []);
            if (fresh.length > 0) await foldCarts(c, fresh);
            return stored.length;
          });
        }
        return { inserted, duplicates: events.length - inserted };
      });
    },

    insertEventWithWebhooks(event, messages) {
      return op(async () => {
        const cols = columns([toRow(event)]);
        return tx(async (c) => {
          if ((await c.query(INSERT_EVENTS, cols)).rowCount !== 1) return { stored: false };
          if (isCartRelevant(event))
            await foldCarts(c, [{ type: event.type, name: event.name, ts: event.ts, visitor_id: pgText(event.visitor_id), user_id: event.user_id, props: event.props }]);
          await insertMessages(c, messages);
          return { stored: true };
        });
      });
    },

    queryEvents(q = {}) {
      return op(async () => {
        const { sql, params } = buildEventQuery(q);
        const { rows } = await query<StoredEvent>(sql, params);
        return rows;
      });
    },

    countEvents() {
      return op(async () => (await query<{ n: number }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
    },

    countOrders(productId, since) {
      // As SQLite's json_each(props, '$.products'): the elements of a list, the values of an object; a product_id
      // matches as JSON (the string "12" is not the number 12, as in SQLite).
      return op(async () => {
        const { rows } = await query<{ n: number }>(
          `SELECT count(*) AS n FROM events e
           WHERE e.name = 'Order Completed' AND e.ts >= $1::bigint
             AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof(e.props->'products')
                 WHEN 'array' THEN e.props->'products'
                 WHEN 'object' THEN (SELECT jsonb_agg(value) FROM jsonb_each(e.props->'products'))
                 ELSE '[]' END) AS p(v)
               WHERE p.v->'product_id' = to_jsonb($2::text))`,
          [since, productId],
        );
        return rows[0]!.n;
      });
    },

    getCart(visitorId) {
      return op(async () => {
        const { rows } = await query<CartRow>(`SELECT ${CART_COLUMNS} FROM carts WHERE visitor_id = $1`, [visitorId]);
        return rows[0] ? cartFromRow(rows[0]) : null;
      });
    },

    dueCarts(cutoff, limit, since = -1) {
      return op(async () => (await query<CartRow>(DUE_QUERIES.carts, [cutoff, since, limit])).rows.map(cartFromRow));
    },

    abandonCarts(at, entries) {
      return op(() =>
        tx(async (c) => {
          // Rows are locked in visitor order, as foldCarts locks them, so the two do not deadlock each other.
          const byVisitor = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
          const order = entries.map((e, i) => [e.cart, i] as const).sort((a, b) => byVisitor(a[0].visitor_id, b[0].visitor_id) || a[1] - b[1]);
          const marked = new Set<number>();
          for (const [cart, i] of order) {
            if (cart.cart_id === null || cart.last_activity === null) continue;
            const r = await c.query(
              `UPDATE carts SET state = 'abandoned', abandoned_at = $1
               WHERE visitor_id = $2 AND cart_id = $3 AND last_activity = $4
                 AND state = 'open' AND email IS NOT NULL AND item_count > 0`,
              [at, cart.visitor_id, cart.cart_id, cart.last_activity],
            );
            if (r.rowCount === 1) marked.add(i);
          }
          const done = entries.filter((_, i) => marked.has(i));
          await insertMessages(c, done.flatMap((e) => e.messages));
          return done.map((e) => e.cart.cart_id!);
        }),
      );
    },

    forgetCartEmails(closedBefore) {
      return op(async () => (await query(FORGET_EMAILS, [closedBefore])).rowCount ?? 0);
    },

    grantOffer(req) {
      return op(async () => {
        let taken: (() => void) | undefined;
        const grant = await tx(async (c): Promise<OfferGrant | null> => {
          taken = undefined;
          // Concurrent calls for one visitor queue here, so a second never takes (and gives back) a second code.
          await c.query(`SELECT pg_advisory_xact_lock(${LOCK_CLASS}, hashtext('grant:' || $1::text || chr(31) || $2::text))`, [req.campaign_id, req.visitor_id]);
          const existing = await c.query<OfferGrant>(
            'SELECT campaign_id, visitor_id, code, issued_at, deadline FROM offer_grants WHERE campaign_id = $1 AND visitor_id = $2',
            [req.campaign_id, req.visitor_id],
          );
          if (existing.rows[0]) return existing.rows[0];
          let code: string | undefined;
          if ('code' in req.coupon) code = req.coupon.code;
          else {
            const { pool: name, codes } = req.coupon;
            let cursor = poolCursors.get(name);
            if (!cursor || cursor.codes !== codes) poolCursors.set(name, (cursor = { codes, next: 0 }));
            const cur = cursor;
            const CHUNK = 1000;
            let start = cur.next;
            while (code === undefined && start < codes.length) {
              const chunk = codes.slice(start, start + CHUNK);
              // The first code of the chunk nobody has taken, taken if nobody takes it first. The key on (pool, code)
              // decides: when another transaction holds it, this waits, and finds it taken if that one commits.
              const { rows } = await c.query<{ idx: number | null; code: string | null }>(
                `WITH cand AS (
                   SELECT u.c, u.i FROM unnest($2::text[]) WITH ORDINALITY AS u(c, i)
                   WHERE NOT EXISTS (SELECT 1 FROM offer_pool_codes p WHERE p.pool = $1 AND p.code = u.c)
                   ORDER BY u.i LIMIT 1),
                 ins AS (
                   INSERT INTO offer_pool_codes (pool, code, campaign_id, visitor_id, used_at)
                   SELECT $1, c, $3, $4, $5 FROM cand ON CONFLICT (pool, code) DO NOTHING RETURNING code)
                 SELECT (SELECT i FROM cand) AS idx, (SELECT code FROM ins) AS code`,
                [name, chunk, req.campaign_id, req.visitor_id, req.now],
              );
              const { idx, code: got } = rows[0]!;
              if (idx === null) {
                start += chunk.length; // all used
              } else {
                start += idx - 1; // the codes before the candidate are used
                if (got !== null) {
                  code = got;
                  const after = start + 1;
                  taken = () => (cur.next = Math.max(cur.next, after));
                }
                // else another transaction took the candidate first: look again from it
              }
              cur.next = Math.max(cur.next, start); // every code before `start` is used, whatever happens to this transaction
            }
            if (code === undefined) return null;
          }
          const inserted = await c.query<OfferGrant>(
            `INSERT INTO offer_grants (campaign_id, visitor_id, code, issued_at, deadline) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (campaign_id, visitor_id) DO NOTHING RETURNING campaign_id, visitor_id, code, issued_at, deadline`,
            [req.campaign_id, req.visitor_id, code, req.now, req.deadline],
          );
          // Another instance granted meanwhile despite the lock (a hash collision cannot cause this; a manual insert
          // could): a serialization failure rolls back the code this one took and runs again, finding that grant.
          if (!inserted.rows[0]) throw Object.assign(new Error('grant raced'), { code: '40001' });
          return inserted.rows[0];
        });
        taken?.();
        return grant;
      });
    },

    enqueueWebhooks(messages) {
      return op(async () => {
        if (messages.length > 0) await tx((c) => insertMessages(c, messages));
      });
    },

    claimWebhooks({ now, leaseMs, limit, exclude = [] }) {
      return op(async () => {
        const { rows } = await query<OutboxRow>(DUE_QUERIES.outbox, [now, now + leaseMs, limit, [...exclude]]);
        // RETURNING comes in no particular order: oldest due first, as the claim chose them.
        rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.seq - b.seq);
        return rows.map((r): ClaimedMessage => ({ ...messageFromRow(r), lease_token: r.lease_token! }));
      });
    },

    settleWebhook(id, leaseToken, outcome) {
      return op(async () => {
        if (outcome.status === 'pending') {
          const r = await query(
            `UPDATE webhook_outbox SET next_attempt_at = $3, last_error = $4, last_status = $5, lease_until = NULL, lease_token = NULL
             WHERE id = $1 AND lease_token = $2 AND status = 'pending'`,
            [id, leaseToken, outcome.next_attempt_at, outcome.error, outcome.http_status ?? null],
          );
          return r.rowCount === 1;
        }
        // Settled for good: the body is redacted in the same transaction (settledBody, in JS, so that every store
        // keeps byte for byte the same redacted body).
        return tx(async (c) => {
          const { rows } = await c.query<{ endpoint: string; body: string }>(
            `SELECT endpoint, body FROM webhook_outbox WHERE id = $1 AND lease_token = $2 AND status = 'pending' FOR UPDATE`,
            [id, leaseToken],
          );
          const row = rows[0];
          if (!row) return false;
          await c.query(
            `UPDATE webhook_outbox SET status = $2, last_error = $3, last_status = $4, settled_at = $5, lease_until = NULL, lease_token = NULL, body = $6
             WHERE id = $1`,
            [id, outcome.status, outcome.status === 'delivered' ? null : outcome.error, outcome.http_status ?? null, outcome.at, settledBody(row.body)],
          );
          if (outcome.status === 'disabled') {
            // Waits for the enqueuers of this endpoint to commit, and holds the next ones off until this does
            // (insertMessages); the SELECT below, a new snapshot, sees every message they queued.
            await c.query(`SELECT pg_advisory_xact_lock(${LOCK_CLASS}, hashtext('endpoint:' || $1::text))`, [row.endpoint]);
            await c.query('INSERT INTO webhook_endpoints_disabled (url, disabled_at, reason) VALUES ($1, $2, $3) ON CONFLICT (url) DO NOTHING', [
              row.endpoint,
              outcome.at,
              outcome.error,
            ]);
            const pending = (
              await c.query<{ id: string; body: string }>(
                `SELECT id, body FROM webhook_outbox WHERE endpoint = $1 AND status = 'pending' ORDER BY id FOR UPDATE`,
                [row.endpoint],
              )
            ).rows;
            if (pending.length > 0)
              await c.query(
                `UPDATE webhook_outbox AS o SET status = 'disabled', last_error = $1, settled_at = $2, lease_until = NULL, lease_token = NULL, body = u.body
                 FROM unnest($3::text[], $4::text[]) AS u(id, body) WHERE o.id = u.id`,
                [`endpoint disabled: ${outcome.error}`, outcome.at, pending.map((m) => m.id), pending.map((m) => settledBody(m.body))],
              );
          }
          return true;
        });
      });
    },

    listWebhooks(q = {}) {
      return op(async () => {
        const { rows } = await query<OutboxRow>(
          `SELECT seq, ${OUTBOX_COLUMNS} FROM webhook_outbox WHERE $1::text IS NULL OR status = $1::text ORDER BY created_at, seq LIMIT $2`,
          [q.status ?? null, q.limit ?? 100],
        );
        return rows.map(messageFromRow);
      });
    },

    outboxStats() {
      return op(async () => {
        const counts = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
        for (const r of (await query<{ status: OutboxStatus; n: number }>('SELECT status, count(*) AS n FROM webhook_outbox GROUP BY status')).rows)
          counts[r.status] = r.n;
        return counts;
      });
    },

    disabledEndpoints() {
      return op(async () => (await query<{ url: string; disabled_at: number; reason: string }>('SELECT url, disabled_at, reason FROM webhook_endpoints_disabled ORDER BY disabled_at, url')).rows);
    },

    eraseVisitor(visitorId) {
      // Gone for every reader at COMMIT; on disk, dead tuples wait for VACUUM (see the top of this file).
      return op(() =>
        tx(async (c) => {
          const n = async (sql: string) => (await c.query(sql, [visitorId])).rowCount ?? 0;
          // A pool code once handed out stays used (it may be redeemed at the shop), but no longer says by whom.
          await c.query(`UPDATE offer_pool_codes SET visitor_id = '' WHERE visitor_id = $1`, [visitorId]);
          return {
            events: await n('DELETE FROM events WHERE visitor_id = $1'),
            carts: await n('DELETE FROM carts WHERE visitor_id = $1'),
            messages: await n('DELETE FROM webhook_outbox WHERE visitor_id = $1'),
            grants: await n('DELETE FROM offer_grants WHERE visitor_id = $1'),
            preferences: await n('DELETE FROM preferences WHERE visitor_id = $1'),
          };
        }),
      );
    },

    deleteExpired(cutoff) {
      return op(async () => {
        // Events in chunks of 5,000, each its own short transaction, so retention never holds a long one open (or
        // a huge number of row locks) while events keep arriving.
        let events = 0;
        for (let n = -1; n !== 0; events += n)
          n = (await query('DELETE FROM events WHERE ctid = ANY(ARRAY(SELECT ctid FROM events WHERE received_at < $1::bigint LIMIT 5000))', [cutoff])).rowCount ?? 0;
        return tx(async (c) => {
          const n = async (sql: string) => (await c.query(sql, [cutoff])).rowCount ?? 0;
          return {
            events,
            // A cart that only remembers an email (no cart event yet) goes with its visitor's last event.
            carts: await n(
              `DELETE FROM carts WHERE CASE WHEN last_activity IS NULL
                 THEN NOT EXISTS (SELECT 1 FROM events e WHERE e.visitor_id = carts.visitor_id AND e.ts >= $1)
                 ELSE last_activity < $1 END`,
            ),
            messages: await n(`DELETE FROM webhook_outbox WHERE status <> 'pending' AND coalesce(settled_at, created_at) < $1`),
            grants: await n('DELETE FROM offer_grants WHERE deadline < $1'),
            preferences: await n('DELETE FROM preferences WHERE updated_at < $1'),
          };
        });
      });
    },

    getPreferences(userId) {
      return op(async () => {
        const { rows } = await query<{ level: ShopperPreferences['level']; off: string[]; at: number }>('SELECT level, off, at FROM preferences WHERE user_id = $1', [userId]);
        return rows[0] ? { level: rows[0].level, off: rows[0].off, at: rows[0].at } : null;
      });
    },

    putPreferences(userId, visitorId, prefs, now) {
      // One statement: two devices saving at once cannot both win; the later `at` stays.
      return op(async () => {
        const r = await query(
          `INSERT INTO preferences (user_id, visitor_id, level, off, at, updated_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6)
           ON CONFLICT (user_id) DO UPDATE SET visitor_id = excluded.visitor_id, level = excluded.level, off = excluded.off,
             at = excluded.at, updated_at = excluded.updated_at
           WHERE excluded.at > preferences.at`,
          [userId, visitorId, prefs.level, pgJson(prefs.off), prefs.at, now],
        );
        return r.rowCount === 1;
      });
    },

    reportData(q, onProgress) {
      return op(() =>
        tx(async (c) => {
          const campaign = q.campaign_id ?? null;
          const { from, to } = q;
          const firstDay = Math.floor(from / DAY_MS) * DAY_MS;
          const steps = Math.ceil((to - firstDay) / DAY_MS) + 3;
          let done = 0;
          const progress = () => onProgress?.(Math.min(++done, steps), steps);
          await c.query(REPORT_SQL.exposuresTable);
          await c.query(REPORT_SQL.exposures, [from, to, campaign]);
          await c.query(REPORT_SQL.analyze);
          progress();
          const counts: ReportCount[] = [];
          // A day at a time, for the progress indicator (each an index range of events_name_ts); a range of more
          // than a few years in one go.
          const step = steps > 1000 ? to - firstDay : DAY_MS;
          for (let day = firstDay; day < to; day += step) {
            counts.push(...(await c.query<ReportCount>(REPORT_SQL.counts, [Math.max(from, day), Math.min(to, day + step), campaign])).rows);
            progress();
          }
          counts.push(...(await c.query<ReportCount>(REPORT_SQL.conversions, [from, to, campaign, q.click_ms, q.view_ms])).rows);
          progress();
          const arms = (await c.query<Pick<ReportArm, 'campaign_id' | 'arm' | 'visitors'>>(REPORT_SQL.armVisitors)).rows.map(
            (a): ReportArm => ({ ...a, converters: 0, revenue: 0 }),
          );
          for (const r of (await c.query<ReportArm>(REPORT_SQL.armConverters, [from, to, q.window_ms])).rows) {
            const a = arms.find((x) => x.campaign_id === r.campaign_id && x.arm === r.arm);
            if (a) Object.assign(a, { converters: r.converters, revenue: r.revenue });
          }
          progress();
          const events = (await c.query<{ n: number }>(REPORT_SQL.events, [from, to, campaign])).rows[0]!.n;
          return { counts, arms, events };
        }, 'BEGIN ISOLATION LEVEL REPEATABLE READ'),
      );
    },

    campaignPauses() {
      return op(async () => (await query<CampaignPause>('SELECT campaign_id, paused_at, reason, since FROM campaign_pauses ORDER BY campaign_id')).rows);
    },

    pauseCampaign(campaignId, at, reason) {
      return op(async () => {
        const r = await query(
          `INSERT INTO campaign_pauses (campaign_id, paused_at, reason, since) VALUES ($1, $2, $3, 0)
           ON CONFLICT (campaign_id) DO UPDATE SET paused_at = excluded.paused_at, reason = excluded.reason
           WHERE campaign_pauses.paused_at IS NULL`,
          [campaignId, at, reason],
        );
        return (r.rowCount ?? 0) > 0;
      });
    },

    resumeCampaign(campaignId, at) {
      return op(async () => {
        await query(
          `INSERT INTO campaign_pauses (campaign_id, paused_at, reason, since) VALUES ($1, NULL, NULL, $2)
           ON CONFLICT (campaign_id) DO UPDATE SET paused_at = NULL, reason = NULL, since = excluded.since`,
          [campaignId, at],
        );
      });
    },

    ping() {
      return op(async () => {
        await query('SELECT 1');
      });
    },

    close() {
      // Operations already started finish (an insert already called still commits and answers); new ones are refused.
      closing ??= (async () => {
        closed = true;
        await Promise.allSettled([...inflight]);
        await pool.end();
      })();
      return closing;
    },

    diagnostics() {
      return op(async () => {
        const { rows } = await query<{ v: number; sync: string }>(
          `SELECT (SELECT coalesce(max(version), 0) FROM kairos_migrations) AS v, current_setting('synchronous_commit') AS sync`,
        );
        return {
          schema,
          schemaVersion: rows[0]!.v,
          migrated,
          serverVersion,
          synchronousCommit: rows[0]!.sync,
          pool: { size: options.poolSize ?? 10, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount },
          lastPoolError,
        };
      });
    },
  };
  return store;
}
