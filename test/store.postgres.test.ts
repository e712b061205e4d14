// The PostgreSQL store (server/store/postgres.ts): the store contract, then what only PostgreSQL has — several
// instances (pools) on one schema: migrations started together, the outbox claimed from both, the same events
// and one visitor's cart written through both.
//
// PostgreSQL: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test. Each store gets a schema of its own
// (dropped afterwards). When the server is not reachable the suite is skipped with a warning — or fails, when
// KAIROS_REQUIRE_SERVICES is set (CI).
import pg from 'pg';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startServer } from '../server/cli';
import { createLogger } from '../server/log';
import { DUE_QUERIES, FORGET_EMAILS, MIGRATIONS, buildEventQuery, openPostgresStore, type PostgresStore } from '../server/store/postgres';
import { openSqliteStore } from '../server/store/sqlite';
import type { NewOutboxMessage, ReportData, Store, StoredEvent } from '../server/store/types';
import { checkService, DATABASE_URL, postgresDown } from './services';
import { makeEvent, runStoreContract } from './store.contract';
import { prng } from './seeded';

const RUN = `kairos_t_${process.pid}_${Date.now().toString(36)}`;

const pgDown = await postgresDown(DATABASE_URL);
checkService('PostgreSQL', DATABASE_URL, pgDown, 'PostgreSQL store tests');

let schemas = 0;
const created = new Set<string>();
/** A schema name of this run's own; every one is dropped after the file. */
function freshSchema(): string {
  const name = `${RUN}_${++schemas}`;
  created.add(name);
  return name;
}

let admin: pg.Pool | undefined;
const sql = async <R extends pg.QueryResultRow>(text: string, params?: unknown[]) => (await admin!.query<R>(text, params)).rows;

if (!pgDown) {
  admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  admin.on('error', () => {});
  afterAll(async () => {
    for (const s of created) await admin!.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(s)} CASCADE`);
    await admin!.end();
  });

  const schemaOf = new WeakMap<Store, string>();
  const openIn = async (schema: string, poolSize?: number) => {
    const s = await openPostgresStore(DATABASE_URL, { schema, ...(poolSize && { poolSize }) });
    schemaOf.set(s, schema);
    return s;
  };
  runStoreContract(
    'postgres',
    () => openIn(freshSchema()),
    (closed) => openIn(schemaOf.get(closed)!),
  );

  describe('PostgreSQL store specifics', () => {
    /** Two stores on one schema, like two server instances sharing a database. */
    async function twoInstances(): Promise<[PostgresStore, PostgresStore]> {
      const schema = freshSchema();
      const a = await openPostgresStore(DATABASE_URL, { schema });
      const b = await openPostgresStore(DATABASE_URL, { schema });
      return [a, b];
    }

    it('migrations: three instances opening one empty schema at once all start, and each step is applied once', async () => {
      const schema = freshSchema();
      const stores = await Promise.all([0, 1, 2].map(() => openPostgresStore(DATABASE_URL, { schema })));
      try {
        const diag = await Promise.all(stores.map((s) => s.diagnostics()));
        expect(diag.map((d) => d.schemaVersion)).toEqual([MIGRATIONS.length, MIGRATIONS.length, MIGRATIONS.length]);
        expect(diag.reduce((n, d) => n + d.migrated, 0)).toBe(MIGRATIONS.length);
        const rows = await sql<{ version: number }>(`SELECT version FROM ${pg.escapeIdentifier(schema)}.kairos_migrations ORDER BY version`);
        expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
        const tables = await sql<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema]);
        expect(tables.map((t) => t.table_name)).toEqual([
          'campaign_pauses',
          'carts',
          'events',
          'kairos_migrations',
          'offer_grants',
          'offer_pool_codes',
          'preferences',
          'webhook_endpoints_disabled',
          'webhook_outbox',
        ]);
        const indexes = await sql<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'events' ORDER BY 1`, [schema]);
        expect(indexes.map((i) => i.indexname)).toEqual(['events_campaign_ts', 'events_name_ts', 'events_pkey', 'events_visitor_ts']);
        // All three work on the one schema.
        await stores[0]!.insertEvents([makeEvent('evt_mig_00001')]);
        expect(await Promise.all(stores.map((s) => s.countEvents()))).toEqual([1, 1, 1]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      // Opening again applies nothing.
      const again = await openPostgresStore(DATABASE_URL, { schema });
      expect((await again.diagnostics()).migrated).toBe(0);
      await again.close();
    });

    it('migrations: a schema newer than this Kairos is refused', async () => {
      const schema = freshSchema();
      await (await openPostgresStore(DATABASE_URL, { schema })).close();
      await sql(`INSERT INTO ${pg.escapeIdentifier(schema)}.kairos_migrations (version) VALUES ($1)`, [MIGRATIONS.length + 1]);
      await expect(openPostgresStore(DATABASE_URL, { schema })).rejects.toThrow(/newer than this Kairos understands/);
    });

    it('outbox: 200 concurrent claims across two instances never claim one message twice', async () => {
      const [a, b] = await twoInstances();
      try {
        const T = 1_767_225_600_000;
        const N = 600;
        const messages: NewOutboxMessage[] = Array.from({ length: N }, (_, i) => ({
          id: `msg_${String(i).padStart(4, '0')}`,
          endpoint: `https://hooks${i % 3}.example/h`,
          body: `{"n":${i}}`,
          created_at: T,
          next_attempt_at: T + (i % 7),
        }));
        await a.enqueueWebhooks(messages.slice(0, N / 2));
        await b.enqueueWebhooks(messages.slice(N / 2));
        const claims = await Promise.all(
          Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).claimWebhooks({ now: T + 10, leaseMs: 60_000, limit: 5 })),
        );
        const ids = claims.flat().map((m) => m.id);
        expect(ids.length).toBeGreaterThan(0);
        expect(new Set(ids).size).toBe(ids.length); // never the same message twice
        expect(claims.flat().every((m) => m.attempts === 1)).toBe(true);
        // Whatever a claim skipped (locked by another at that moment) is still there for the next one, once.
        const rest: string[] = [];
        for (let got = -1; got !== 0; ) {
          const more = await (rest.length % 2 ? a : b).claimWebhooks({ now: T + 10, leaseMs: 60_000, limit: 50 });
          got = more.length;
          rest.push(...more.map((m) => m.id));
        }
        expect(new Set([...ids, ...rest]).size).toBe(ids.length + rest.length);
        expect(ids.length + rest.length).toBe(N);
        // Each settles with its own lease only.
        const [first] = await a.listWebhooks({ limit: 1 });
        const claimed = claims.flat().find((m) => m.id === first!.id) ?? null;
        if (claimed) {
          expect(await b.settleWebhook(claimed.id, 'lease_not_this_one', { status: 'delivered', at: T + 11, http_status: 200 })).toBe(false);
          expect(await b.settleWebhook(claimed.id, claimed.lease_token, { status: 'delivered', at: T + 11, http_status: 200 })).toBe(true);
        }
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('events: the same 100 events sent through two instances 5 times each, at once, are stored once; inserted sums to 100', async () => {
      const [a, b] = await twoInstances();
      try {
        const T = 1_767_225_600_000;
        // A few visitors adding to their carts, so the cart fold runs under the same race.
        const events = Array.from({ length: 100 }, (_, i) =>
          makeEvent(`evt_race_${String(i).padStart(4, '0')}`, {
            visitor_id: `visitor_race_${i % 4}`,
            name: i % 2 ? 'Product Added' : 'Page Viewed',
            props: i % 2 ? { product_id: `sku-${i % 3}`, price: 1, quantity: 1 } : { n: i },
            campaign_id: null,
            ts: T + i,
          }),
        );
        const results = await Promise.all(Array.from({ length: 10 }, (_, k) => (k % 2 ? a : b).insertEvents(events)));
        expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(100);
        expect(results.every((r) => r.inserted + r.duplicates === 100)).toBe(true);
        expect(await a.countEvents()).toBe(100);
        expect((await b.queryEvents({ limit: 1000 })).map((e) => e.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
        // Each Product Added counted once in its visitor's cart.
        for (let v = 0; v < 4; v++) {
          const adds = events.filter((e) => e.visitor_id === `visitor_race_${v}` && e.name === 'Product Added').length;
          const cart = await a.getCart(`visitor_race_${v}`);
          expect(Object.values(cart?.items ?? {}).reduce((n, l) => n + l.quantity, 0), `visitor_race_${v}`).toBe(adds);
        }
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('carts: one visitor’s different events arriving at once through two instances lose no update', async () => {
      const [a, b] = await twoInstances();
      try {
        const T = 1_767_225_600_000;
        const V = 'visitor_samecart';
        const batches = Array.from({ length: 40 }, (_, i) => [
          makeEvent(`evt_cart_race_${i}`, { visitor_id: V, campaign_id: null, name: 'Product Added', ts: T + i, props: { product_id: `sku-${i % 5}`, price: 2.5, quantity: 1 } }),
        ]);
        await Promise.all(batches.map((batch, i) => (i % 2 ? a : b).insertEvents(batch)));
        const cart = await b.getCart(V);
        expect(Object.values(cart!.items).reduce((n, l) => n + l.quantity, 0)).toBe(40);
        expect(cart).toMatchObject({ total: 100, last_activity: T + 39, state: 'open' });
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('offer pools: concurrent grants through two instances never hand one code to two visitors', async () => {
      const [a, b] = await twoInstances();
      try {
        const T = 1_767_225_600_000;
        const codes = Array.from({ length: 25 }, (_, i) => `POOL${i}`);
        const grants = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            (i % 2 ? a : b).grantOffer({ campaign_id: 'exit', visitor_id: `visitor_${i % 40}`, now: T, deadline: T + 1, coupon: { pool: 'codes.txt', codes } }),
          ),
        );
        const byVisitor = new Map<string, string>();
        for (const g of grants) {
          if (!g) continue;
          const had = byVisitor.get(g.visitor_id);
          if (had) expect(g.code, g.visitor_id).toBe(had); // one grant per visitor, whichever instance asked
          byVisitor.set(g.visitor_id, g.code);
        }
        expect(byVisitor.size).toBe(25);
        expect(new Set(byVisitor.values()).size).toBe(25);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('stores text PostgreSQL cannot hold (U+0000, an unpaired surrogate) as U+FFFD instead of failing the batch forever', async () => {
      const s = await openPostgresStore(DATABASE_URL, { schema: freshSchema() });
      try {
        const odd = makeEvent('evt_nul_000001', { name: 'a\0b', props: { text: 'x\0y', lone: 'z\ud800', pair: '👋', ['k\0']: 1 } });
        expect(await s.insertEvents([odd])).toEqual({ inserted: 1, duplicates: 0 });
        const [got] = await s.queryEvents();
        expect(got).toMatchObject({ name: 'a\ufffdb', props: { text: 'x\ufffdy', lone: 'z\ufffd', pair: '👋', ['k\ufffd']: 1 } });
      } finally {
        await s.close();
      }
    });

    it('refuses values the schema forbids (fractional ms, unknown type) per batch', async () => {
      const s = await openPostgresStore(DATABASE_URL, { schema: freshSchema() });
      try {
        const settled = await Promise.allSettled([
          s.insertEvents([makeEvent('evt_frac_ts01', { ts: 1.5 })]),
          s.insertEvents([makeEvent('evt_badtype01', { type: 'click' as never })]),
          s.insertEvents([makeEvent('evt_bigint_01', { props: { n: 1n } as unknown as Record<string, unknown> })]),
          s.insertEvents([makeEvent('evt_fine_0001'), makeEvent('evt_fine_0002')]),
        ]);
        expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled']);
        expect(await s.countEvents()).toBe(2);
      } finally {
        await s.close();
      }
    });

    it('schemas isolate stores; a bad schema name is refused; diagnostics report the server', async () => {
      const one = await openPostgresStore(DATABASE_URL, { schema: freshSchema() });
      const two = await openPostgresStore(DATABASE_URL, { schema: freshSchema(), poolSize: 2 });
      try {
        await one.insertEvents([makeEvent('evt_iso_00001')]);
        expect(await two.countEvents()).toBe(0);
        const d = await two.diagnostics();
        expect(d).toMatchObject({ schema: two.schema, schemaVersion: MIGRATIONS.length, migrated: MIGRATIONS.length, pool: { size: 2 }, lastPoolError: null });
        expect(d.synchronousCommit).toEqual(expect.any(String));
      } finally {
        await one.close();
        await two.close();
      }
      await expect(openPostgresStore(DATABASE_URL, { schema: 'x"; DROP TABLE y; --' })).rejects.toThrow(/plain identifier/);
    });

    it('the report and countOrders count what SQLite counts, on the same random events (odd prop types included)', async () => {
      const DAY = 86_400_000;
      const T = Date.UTC(2026, 5, 10);
      const rand = prng(7);
      const pick = <X,>(xs: readonly X[]): X => xs[Math.floor(rand() * xs.length)]!;
      const visitors = Array.from({ length: 30 }, (_, i) => `visitor_diff_${i}`);
      const campaigns = ['welcome', 'bar', 'exit'];
      // What SQLite makes of odd values is what PostgreSQL must make of them: numbers, numeric strings, text, booleans.
      const ms = [500, 1999, 2000, 9000, '1500', true, false, null, undefined, { v: 1 }];
      const money = [10, 12.5, '7.25 EUR', 'abc', true, null, undefined, [1]];
      // (Not a bare string, nor a list of strings: SQLite's countOrders fails on those with "malformed JSON", where
      // PostgreSQL's counts no match; see the next case.)
      const products = [[{ product_id: 'sku-1' }, { product_id: 'sku-2' }], [{ product_id: 12 }], { a: { product_id: 'sku-1' } }, [{ id: 'sku-1' }], [3, null], undefined];
      const events: StoredEvent[] = [];
      for (let i = 0; i < 1500; i++) {
        const visitor = pick(visitors);
        const campaign = pick(campaigns);
        const ts = T - 7 * DAY + Math.floor(rand() * 9 * DAY / 60_000) * 60_000; // whole minutes: same-ts touches happen
        const name = pick(['Campaign Shown', 'Campaign Shown', 'Campaign Clicked', 'Campaign Dismissed', 'Campaign Left', 'Page Viewed', 'Preferences Changed', 'Order Completed', 'Experiment Viewed']);
        const props: Record<string, unknown> = {};
        const set = (k: string, v: unknown) => v !== undefined && (props[k] = v);
        if (name === 'Campaign Dismissed') set('ms', pick(ms));
        if (name === 'Preferences Changed') set('level', pick(['all', 'fewer', 'none', 3, undefined]));
        if (name === 'Order Completed') (set('revenue', pick(money)), set('total', pick(money)), set('products', pick(products)));
        // One arm per shopper and campaign, so SQLite's choice among exposures at the same instant cannot matter.
        if (name === 'Experiment Viewed') set('variant', ['a', 'b', 'holdout'][(visitors.indexOf(visitor) + campaign.length) % 3]);
        const page = name === 'Page Viewed' || name === 'Order Completed';
        events.push(makeEvent(`evt_diff_${i}`, { name, ts, received_at: ts, visitor_id: visitor, campaign_id: page ? null : campaign, props }));
      }
      const lite = openSqliteStore(':memory:');
      const pgs = await openPostgresStore(DATABASE_URL, { schema: freshSchema() });
      try {
        await lite.insertEvents(events);
        await pgs.insertEvents(events);
        const normal = (d: ReportData) => ({
          events: d.events,
          counts: d.counts
            .map((r) => ({ ...r, revenue: r.revenue == null ? r.revenue : Math.round(r.revenue * 1e6) / 1e6 }))
            .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
          arms: d.arms.map((a) => ({ ...a, revenue: Math.round(a.revenue * 1e6) / 1e6 })).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
        });
        for (const q of [
          { from: T - 5 * DAY, to: T + DAY, click_ms: 3 * DAY, view_ms: DAY, window_ms: 3 * DAY },
          { from: T - 2 * DAY - 3_600_000, to: T, click_ms: DAY, view_ms: 7_200_000, window_ms: DAY, campaign_id: 'bar' },
        ]) {
          const want = normal(await lite.reportData(q));
          expect(want.counts.length).toBeGreaterThan(8); // something to compare, in every query
          expect(want.arms.length).toBeGreaterThan(2);
          expect(normal(await pgs.reportData(q)), JSON.stringify(q)).toStrictEqual(want);
        }
        for (const [product, since] of [['sku-1', 0], ['sku-2', T], ['12', 0], ['sku-9', 0]] as const)
          expect(await pgs.countOrders(product, since), product).toBe(await lite.countOrders(product, since));
        expect(await lite.countOrders('sku-1', 0)).toBeGreaterThan(10);
      } finally {
        await lite.close();
        await pgs.close();
      }
    });

    it('countOrders matches product_id as JSON in lists (or objects) of products, and skips products of any other shape', async () => {
      const s = await openPostgresStore(DATABASE_URL, { schema: freshSchema() });
      try {
        const order = (id: string, products: unknown, ts = 1000) =>
          makeEvent(id, { name: 'Order Completed', ts, campaign_id: null, props: { order_id: id, ...(products !== undefined && { products }) } });
        await s.insertEvents([
          order('evt_o_list', [{ product_id: 'sku-1', quantity: 2 }, { product_id: 'sku-1' }]), // one order, however many lines
          order('evt_o_obj', { first: { product_id: 'sku-1' } }),
          order('evt_o_old', [{ product_id: 'sku-1' }], 10),
          order('evt_o_str', 'sku-1'),
          order('evt_o_strs', ['sku-1']),
          order('evt_o_num', [{ product_id: 1 }]),
          order('evt_o_none', undefined),
          makeEvent('evt_not_order', { name: 'Product Added', ts: 1000, props: { products: [{ product_id: 'sku-1' }] } }),
        ]);
        expect(await s.countOrders('sku-1', 100)).toBe(2);
        expect(await s.countOrders('sku-1', 0)).toBe(3);
        expect(await s.countOrders('1', 0)).toBe(0); // the number 1 is not the string "1"
      } finally {
        await s.close();
      }
    });

    it('the timers\' queries (due carts, due webhooks) and forgetCartEmails can be served by their partial indexes', async () => {
      const schema = freshSchema();
      await (await openPostgresStore(DATABASE_URL, { schema })).close();
      const client = await admin!.connect();
      try {
        await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
        await client.query('SET enable_seqscan = off'); // an empty table would rather be scanned: ask whether the index can serve
        const plan = async (text: string, params: unknown[]) =>
          (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(await plan(DUE_QUERIES.carts, [1, 0, 10])).toMatch(/Index Scan using carts_due/);
        expect(await plan(DUE_QUERIES.outbox, [1, 2, 10, []])).toMatch(/Index Scan using webhook_outbox_due/);
        expect(await plan(FORGET_EMAILS, [1])).toMatch(/carts_closed_email/);
      } finally {
        await client.query('RESET ALL');
        client.release();
      }
    });

    it('the filtered event queries read an index (no sort of the whole table)', async () => {
      const schema = freshSchema();
      const s = await openPostgresStore(DATABASE_URL, { schema });
      try {
        await s.insertEvents(Array.from({ length: 50 }, (_, i) => makeEvent(`evt_plan_${i}`, { visitor_id: `visitor_${i % 5}` } as Partial<StoredEvent>, i)));
        const client = await admin!.connect();
        try {
          await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
          await client.query('SET enable_seqscan = off'); // a 50-row table would rather be scanned: ask whether an index can serve
          for (const q of [{ name: 'x' }, { visitor_id: 'visitor_1' }, { campaign_id: 'summer-sale' }]) {
            const { sql: text, params } = buildEventQuery(q);
            const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
            expect(plan, JSON.stringify(q)).toMatch(/Index Scan Backward using events_/);
          }
        } finally {
          await client.query('RESET ALL');
          client.release();
        }
      } finally {
        await s.close();
      }
    });
  });

  describe('the server on PostgreSQL (DATABASE_URL)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-pg-server-'));
    const configFile = join(dir, 'kairos.yaml');
    writeFileSync(configFile, 'campaigns:\n  - { id: hello, type: announcement_bar, content: { text: Hi } }\n');
    afterEach(() => vi.unstubAllEnvs());
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('stores events in PostgreSQL, deduplicated, and reports from there; the SQLite file is never made', async () => {
      const schema = freshSchema();
      vi.stubEnv('DATABASE_URL', DATABASE_URL);
      vi.stubEnv('KAIROS_DB_SCHEMA', schema);
      vi.stubEnv('KAIROS_SECRET', 'a-shared-secret-for-every-instance');
      vi.stubEnv('KAIROS_ADMIN_TOKEN', 'admin-token-1');
      const dbFile = join(dir, 'never.db');
      const server = await startServer({ configFile, dbFile, port: 0, log: createLogger({ level: 'silent' }) });
      try {
        const now = Date.now();
        const events = ['Campaign Shown', 'Campaign Clicked'].map((name, i) => ({
          event_id: `pg-server-${i}-xx`,
          type: 'track',
          name,
          ts: now - 1000,
          visitor_id: 'visitor_pg_server_1',
          session_id: 'session_pg_server',
          campaign_id: 'hello',
        }));
        const post = () => fetch(`${server.url}/v1/events`, { method: 'POST', body: JSON.stringify({ sent_at: now, events }) }).then((r) => r.json());
        expect(await post()).toEqual({ accepted: 2, duplicates: 0 });
        expect(await post()).toEqual({ accepted: 0, duplicates: 2 });
        const rows = await sql<{ n: string }>(`SELECT count(*) AS n FROM ${pg.escapeIdentifier(schema)}.events`);
        expect(Number(rows[0]!.n)).toBe(2);
        const report = await (await fetch(`${server.url}/report?format=json`, { headers: { Authorization: 'Bearer admin-token-1' } })).json();
        expect(report.campaigns[0]).toMatchObject({ id: 'hello', totals: { impressions: 1, clicks: 1 } });
        expect(existsSync(dbFile)).toBe(false);
      } finally {
        await server.close();
      }
    });

    it('refuses to start without KAIROS_SECRET: instances must sign offer grants with one key', async () => {
      vi.stubEnv('DATABASE_URL', DATABASE_URL);
      vi.stubEnv('KAIROS_SECRET', '');
      await expect(startServer({ configFile, dbFile: join(dir, 'x.db'), port: 0, log: createLogger({ level: 'silent' }) })).rejects.toThrow(/set KAIROS_SECRET/);
    });
  });
}
