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

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { EventQuery, Store, StoredEvent } from './types';

export interface SqliteStoreOptions {
  /** 'full' (default): durable across power loss. 'normal': durable across process crashes only. */
  synchronous?: 'full' | 'normal';
  /** How long a writer waits for another connection's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Upper bound of events written in one group transaction, to bound event-loop blocking (default 10 000). */
  maxGroupEvents?: number;
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
  diagnostics(): { journalMode: string; synchronous: 'off' | 'normal' | 'full' | 'extra'; busyTimeoutMs: number; schemaVersion: number };
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
];

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

interface Pending {
  rows: Row[];
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
    e.path ?? null,
    e.campaign_id ?? null,
    e.user_id ?? null,
    e.props == null ? null : JSON.stringify(e.props),
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
    count: db.prepare('SELECT count(*) AS n FROM events').pluck(),
    ping: db.prepare('SELECT 1').pluck(),
  };
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
          for (const row of p.rows) inserted += stmt.insert.run(row).changes;
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
        queue.push({ rows, resolve: resolvePromise, reject: rejectPromise });
        schedule();
      });
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

    async countEvents() {
      assertOpen();
      return stmt.count.get() as number;
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
      };
    },
  };
  return store;
}
