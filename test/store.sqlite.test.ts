import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DUE_QUERIES, FORGET_EMAILS, MIGRATIONS, buildEventQuery, openSqliteStore } from '../server/store/sqlite';
import type { Store } from '../server/store/types';
import { settledBody } from '../server/webhooks/redact';
import { makeEvent, runStoreContract } from './store.contract';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'kairos-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const freshFile = () => join(dir, `store-${process.pid}-${++n}.db`);
const files = new WeakMap<Store, string>();

runStoreContract(
  'sqlite (file)',
  async () => {
    const file = freshFile();
    const s = openSqliteStore(file);
    files.set(s, file);
    return s;
  },
  async (closed) => {
    const file = files.get(closed)!;
    const s = openSqliteStore(file);
    files.set(s, file);
    return s;
  },
);

describe('SQLite store specifics', () => {
  const batchOf = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => makeEvent(`${prefix}_${String(i).padStart(4, '0')}`, {}, i));

  it('group commit: 50 concurrent calls share far fewer transactions', async () => {
    const s = openSqliteStore(freshFile());
    try {
      const before = s.stats().commits;
      const results = await Promise.all(Array.from({ length: 50 }, (_, b) => s.insertEvents(batchOf(`evt_gc${b}`, 10))));
      expect(results.every((r) => r.inserted === 10 && r.duplicates === 0)).toBe(true);
      const st = s.stats();
      expect(st.commits - before).toBeLessThanOrEqual(2);
      expect(st.maxBatchesPerCommit).toBeGreaterThanOrEqual(25);
      expect(st).toMatchObject({ batches: 50, inserted: 500, duplicates: 0, failedBatches: 0, pending: 0 });
      expect(await s.countEvents()).toBe(500);
    } finally {
      await s.close();
    }
  });

  it('calls made while a group is being written join the next group', async () => {
    const s = openSqliteStore(freshFile());
    try {
      const first = s.insertEvents(batchOf('evt_wave1', 5));
      const second = first.then(() => Promise.all([s.insertEvents(batchOf('evt_wave2a', 5)), s.insertEvents(batchOf('evt_wave2b', 5))]));
      await second;
      expect(s.stats().commits).toBe(2);
      expect(await s.countEvents()).toBe(15);
    } finally {
      await s.close();
    }
  });

  it('maxGroupEvents splits a large queue into several commits, all resolved', async () => {
    const s = openSqliteStore(freshFile(), { maxGroupEvents: 25 });
    try {
      const results = await Promise.all(Array.from({ length: 10 }, (_, b) => s.insertEvents(batchOf(`evt_split${b}`, 10))));
      expect(results.every((r) => r.inserted === 10)).toBe(true);
      expect(s.stats().commits).toBe(5); // 2 batches (20 events) per commit
      // A single batch larger than the cap is still written whole, atomically.
      expect(await s.insertEvents(batchOf('evt_huge', 60))).toEqual({ inserted: 60, duplicates: 0 });
      expect(await s.countEvents()).toBe(160);
    } finally {
      await s.close();
    }
  });

  it('rejects only the caller whose props JSON cannot encode (before touching the database)', async () => {
    const s = openSqliteStore(freshFile());
    try {
      const bad = makeEvent('evt_bigint_01', { props: { n: 1n } as unknown as Record<string, unknown> });
      const settled = await Promise.allSettled([s.insertEvents(batchOf('evt_okA', 3)), s.insertEvents([bad]), s.insertEvents(batchOf('evt_okB', 3))]);
      expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await s.countEvents()).toBe(6);
    } finally {
      await s.close();
    }
  });

  it('refuses values the schema forbids (fractional ms, unknown type) per batch', async () => {
    const s = openSqliteStore(freshFile());
    try {
      const settled = await Promise.allSettled([
        s.insertEvents([makeEvent('evt_frac_ts01', { ts: 1.5 })]),
        s.insertEvents([makeEvent('evt_badtype01', { type: 'click' as never })]),
        s.insertEvents(batchOf('evt_fine', 2)),
      ]);
      expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
      expect(s.stats().failedBatches).toBe(2);
      expect(await s.countEvents()).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('uses WAL, synchronous=FULL by default, NORMAL on request, and a busy timeout', async () => {
    const full = openSqliteStore(freshFile());
    const normal = openSqliteStore(freshFile(), { synchronous: 'normal', busyTimeoutMs: 1234 });
    try {
      expect(full.diagnostics()).toEqual({ journalMode: 'wal', synchronous: 'full', busyTimeoutMs: 5000, schemaVersion: MIGRATIONS.length, secureDelete: true });
      expect(normal.diagnostics()).toMatchObject({ journalMode: 'wal', synchronous: 'normal', busyTimeoutMs: 1234 });
    } finally {
      await full.close();
      await normal.close();
    }
  });

  it('creates missing parent directories', async () => {
    const file = join(dir, 'a', 'b', 'c', 'events.db');
    const s = openSqliteStore(file);
    await s.insertEvents(batchOf('evt_dirs', 1));
    await s.close();
    expect(existsSync(file)).toBe(true);
  });

  it('works in memory', async () => {
    const s = openSqliteStore(':memory:');
    expect(await s.insertEvents(batchOf('evt_mem', 3))).toEqual({ inserted: 3, duplicates: 0 });
    expect(await s.countEvents()).toBe(3);
    await s.close();
  });

  it('migrates once: user_version is set, reopening does not re-run, a newer schema is refused', async () => {
    const file = freshFile();
    await openSqliteStore(file).close();
    const raw = new Database(file);
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const indexes = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL").pluck().all();
    expect(indexes.sort()).toEqual(['events_campaign_ts', 'events_name_ts', 'events_visitor_ts']);
    raw.close();
    const again = openSqliteStore(file); // would throw "table events already exists" if it re-ran step 1
    expect(again.diagnostics().schemaVersion).toBe(MIGRATIONS.length);
    await again.close();

    const newer = new Database(file);
    newer.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    newer.close();
    expect(() => openSqliteStore(file)).toThrow(/newer than this Kairos understands/);
  });

  it('the filtered queries are served by an index without sorting', async () => {
    const file = freshFile();
    await openSqliteStore(file).close();
    const raw = new Database(file, { readonly: true });
    try {
      for (const q of [{ name: 'x' }, { visitor_id: 'visitor_aaaaaaaa' }, { campaign_id: 'summer-sale' }]) {
        const { sql, params } = buildEventQuery(q);
        const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
        expect(plan, JSON.stringify(q)).toMatch(/USING INDEX events_/);
        expect(plan, JSON.stringify(q)).not.toMatch(/TEMP B-TREE/);
      }
    } finally {
      raw.close();
    }
    expect(() => buildEventQuery({ limit: -1 })).toThrow(RangeError);
    expect(() => buildEventQuery({ limit: 1.5 })).toThrow(RangeError);
  });

  it('the timers\' queries (due carts, due webhooks) use their partial indexes, without sorting', async () => {
    const file = freshFile();
    await openSqliteStore(file).close();
    const raw = new Database(file, { readonly: true });
    try {
      const plan = (sql: string, ...params: unknown[]) =>
        (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
      expect(plan(DUE_QUERIES.carts, 1, 0, 10)).toMatch(/USING INDEX carts_due/);
      expect(plan(DUE_QUERIES.carts, 1, 0, 10)).not.toMatch(/TEMP B-TREE/);
      expect(plan(DUE_QUERIES.outbox, { now: 1, limit: 10 })).toMatch(/USING INDEX webhook_outbox_due/);
    } finally {
      raw.close();
    }
  });

  it('upgrades a database made by the first schema, keeping its events', async () => {
    const file = freshFile();
    const old = new Database(file);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO events (event_id, type, name, ts, received_at, visitor_id, session_id) VALUES ('evt_old_00001', 'track', 'x', 1, 1, 'v', 's')").run();
    old.close();
    const s = openSqliteStore(file);
    try {
      expect(s.diagnostics().schemaVersion).toBe(MIGRATIONS.length);
      expect(await s.countEvents()).toBe(1);
      expect(await s.outboxStats()).toEqual({ pending: 0, delivered: 0, failed: 0, disabled: 0 });
    } finally {
      await s.close();
    }
  });

  it('carts take the currency the events name, else the one the config gives now', async () => {
    let currency = 'EUR';
    const s = openSqliteStore(freshFile(), { cartCurrency: () => currency });
    try {
      const add = (id: string, visitor_id: string, props: Record<string, unknown>) =>
        makeEvent(id, { name: 'Product Added', visitor_id, campaign_id: null, props: { product_id: 'p', price: 1, ...props } });
      await s.insertEvents([add('evt_cur_00001', 'visitor_cur00001', {})]);
      currency = 'SEK'; // a config reload
      await s.insertEvents([add('evt_cur_00002', 'visitor_cur00002', {}), add('evt_cur_00003', 'visitor_cur00003', { currency: 'JPY' })]);
      expect((await s.getCart('visitor_cur00001'))!.currency).toBe('EUR');
      expect((await s.getCart('visitor_cur00002'))!.currency).toBe('SEK');
      expect((await s.getCart('visitor_cur00003'))!.currency).toBe('JPY');
    } finally {
      await s.close();
    }
  });

  it('an acknowledged event survives SIGKILL of the writing process', async () => {
    const file = freshFile();
    const script = join(dir, 'crash-writer.mts');
    const storeUrl = new URL('../server/store/sqlite.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { openSqliteStore } from ${JSON.stringify(storeUrl)};
       const s = openSqliteStore(${JSON.stringify(file)});
       const ev = (id) => ({ event_id: id, type: 'track', name: 'crash.test', ts: Date.now(), received_at: Date.now(),
         visitor_id: 'visitor_crash001', session_id: 'session_crash001', path: null, campaign_id: null, user_id: null, props: { id } });
       for (let b = 0; ; b++) {
         // several concurrent batches per round, so group commits are exercised too
         await Promise.all([0, 1, 2].map(async (k) => {
           const ids = Array.from({ length: 5 }, (_, i) => 'evt_k_' + b + '_' + k + '_' + i);
           await s.insertEvents(ids.map(ev));
           process.stdout.write(ids.join('\\n') + '\\n');
         }));
       }`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Set<string>();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let buf = '';
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(new Error(`writer made too little progress: ${acked.size} acked; stderr: ${stderr}`));
      }, 20_000);
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) if (l) acked.add(l);
        if (acked.size >= 600 && !child.killed) {
          child.kill('SIGKILL');
          clearTimeout(timer);
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        if (acked.size >= 600) done();
        else fail(new Error(`writer exited early (${acked.size} acked): ${stderr}`));
      });
    });
    const s = openSqliteStore(file);
    try {
      const stored = new Set((await s.queryEvents({ name: 'crash.test', limit: 1_000_000 })).map((e) => e.event_id));
      const lost = [...acked].filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      expect(stored.size).toBe(await s.countEvents());
    } finally {
      await s.close();
    }
  }, 30_000);
});

describe('SQLite: deleted data is gone from the file', () => {
  const T = 1_767_225_600_000;
  /** Every byte of the database file and of its WAL (if one is left), as latin1 text: one byte, one character. */
  const fileBytes = (file: string) => [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('\n');
  const lead = (visitor_id: string, email: string) => JSON.stringify({ type: 'lead.captured', timestamp: new Date(T).toISOString(), data: { email, visitor_id, campaign_id: 'newsletter' } });

  it('secure_delete: an erased visitor, a cleared cart email, a settled body and expired rows leave no bytes behind', async () => {
    const file = freshFile();
    const s = openSqliteStore(file);
    const ev = (id: string, visitor_id: string, name: string, props: Record<string, unknown>, over: Partial<Parameters<typeof makeEvent>[1]> = {}) =>
      makeEvent(id, { visitor_id, name, props, campaign_id: null, ts: T, received_at: T, ...over });
    // Erased: a visitor with a cart, a lead message and an event whose props name them.
    await s.insertEvents([
      ev('evt_erase_0001', 'visitor_erased_01', 'Identify', { email: 'erased.person@example.com', plan: 'erased-plan-marker' }, { type: 'identify' }),
      ev('evt_erase_0002', 'visitor_erased_01', 'Product Added', { product_id: 'erased-product-marker', price: 1 }),
    ]);
    await s.enqueueWebhooks([{ id: 'msg_erased_01', endpoint: 'https://crm.example/h', body: lead('visitor_erased_01', 'erased.person@example.com'), created_at: T, next_attempt_at: T, visitor_id: 'visitor_erased_01' }]);
    // Settled: delivered, its body redacted in place.
    await s.enqueueWebhooks([{ id: 'msg_settled_1', endpoint: 'https://crm.example/h', body: lead('visitor_settled_1', 'settled.person@example.com'), created_at: T, next_attempt_at: T, visitor_id: 'visitor_settled_1' }]);
    // Forgotten: an abandoned cart's email, cleared a week later.
    await s.insertEvents([
      ev('evt_forget_001', 'visitor_forget_01', 'Identify', { email: 'forgotten.person@example.com' }, { type: 'identify' }),
      ev('evt_forget_002', 'visitor_forget_01', 'Product Added', { product_id: 'sku-1', price: 1 }),
    ]);
    // Expired: old events.
    await s.insertEvents([ev('evt_expire_001', 'visitor_expire_01', 'Page Viewed', { title: 'expired-title-marker' }, { received_at: T - 1_000 })]);
    // A neighbour whose data stays.
    await s.insertEvents([
      ev('evt_kept_00001', 'visitor_kept_0001', 'Identify', { email: 'kept.person@example.com' }, { type: 'identify' }),
      ev('evt_kept_00002', 'visitor_kept_0001', 'Product Added', { product_id: 'kept-product-marker', price: 1 }),
    ]);

    for (const m of await s.claimWebhooks({ now: T, leaseMs: 1000, limit: 10 }))
      if (m.id === 'msg_settled_1') await s.settleWebhook(m.id, m.lease_token, { status: 'delivered', at: T + 1, http_status: 200 });
    const [cart] = (await s.dueCarts(T + 1, 10)).filter((c) => c.visitor_id === 'visitor_forget_01');
    expect(await s.abandonCarts(T + 1, [{ cart: cart!, messages: [] }])).toHaveLength(1);
    expect(await s.eraseVisitor('visitor_erased_01')).toMatchObject({ events: 2, carts: 1, messages: 1 });
    expect(await s.forgetCartEmails(T + 2)).toBe(1);
    expect(await s.deleteExpired(T)).toMatchObject({ events: 1 });
    expect(s.diagnostics().secureDelete).toBe(true);
    await s.close(); // checkpoints the WAL into the file

    const bytes = fileBytes(file);
    for (const gone of ['erased.person', 'visitor_erased_01', 'erased-plan-marker', 'erased-product-marker', 'settled.person', 'forgotten.person', 'expired-title-marker'])
      expect(bytes.includes(gone), gone).toBe(false);
    // The scan finds what is still there (so an empty result means something).
    for (const kept of ['kept.person@example.com', 'kept-product-marker', 'visitor_settled_1', 'visitor_forget_01']) expect(bytes.includes(kept), kept).toBe(true);
  });

  it('an erasure is gone from the file and the WAL at once, while the store stays open (the WAL is checkpointed and truncated)', async () => {
    const file = freshFile();
    const s = openSqliteStore(file);
    try {
      const e = (id: string, visitor_id: string, marker: string) =>
        makeEvent(id, { visitor_id, campaign_id: null, name: 'Identify', type: 'identify', props: { email: `${marker}@example.com`, plan: marker } });
      await s.insertEvents([e('evt_wal_erase1', 'visitor_walerase1', 'wal-erased-marker'), e('evt_wal_kept01', 'visitor_walkept01', 'wal-kept-marker')]);
      expect(fileBytes(file)).toContain('wal-erased-marker'); // written (to the WAL, at least)
      await s.eraseVisitor('visitor_walerase1');
      const bytes = fileBytes(file);
      expect(bytes).not.toContain('wal-erased-marker');
      expect(bytes).not.toContain('visitor_walerase1');
      expect(bytes).toContain('wal-kept-marker');
      expect(existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`).length : 0).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('(the control: without secure_delete the same delete leaves the bytes in the file)', () => {
    const file = freshFile();
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('secure_delete = OFF');
    raw.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)');
    raw.prepare('INSERT INTO t (v) VALUES (?)').run('deleted.but.there@example.com');
    raw.prepare('INSERT INTO t (v) VALUES (?)').run('kept@example.com');
    raw.exec('DELETE FROM t WHERE k = 1');
    raw.close();
    expect(fileBytes(file)).toContain('deleted.but.there@example.com');
  });

  it('the upgrade redacts the bodies of messages settled before it, and leaves pending ones whole', async () => {
    const file = freshFile();
    const old = new Database(file);
    for (const step of MIGRATIONS.slice(0, 4)) old.exec(step);
    old.pragma('user_version = 4');
    const insert = old.prepare(`INSERT INTO webhook_outbox (id, endpoint, body, created_at, status, next_attempt_at, settled_at, visitor_id) VALUES (?, 'https://crm.example/h', ?, 1, ?, 1, ?, 'visitor_upgrade_1')`);
    insert.run('msg_up_delivered', lead('visitor_upgrade_1', 'delivered.before@example.com'), 'delivered', 2);
    insert.run('msg_up_failed', lead('visitor_upgrade_1', 'failed.before@example.com'), 'failed', 2);
    insert.run('msg_up_pending', lead('visitor_upgrade_1', 'pending.before@example.com'), 'pending', null);
    old.close();
    const s = openSqliteStore(file);
    try {
      const byId = Object.fromEntries((await s.listWebhooks()).map((m) => [m.id, m.body]));
      expect(byId).toEqual({
        msg_up_delivered: settledBody(lead('visitor_upgrade_1', 'delivered.before@example.com')),
        msg_up_failed: settledBody(lead('visitor_upgrade_1', 'failed.before@example.com')),
        msg_up_pending: lead('visitor_upgrade_1', 'pending.before@example.com'),
      });
    } finally {
      await s.close();
    }
    const bytes = fileBytes(file);
    expect(bytes).not.toContain('delivered.before');
    expect(bytes).not.toContain('failed.before');
    expect(bytes).toContain('pending.before@example.com');
  });

  it('forgetCartEmails is served by its partial index', async () => {
    const file = freshFile();
    await openSqliteStore(file).close();
    const raw = new Database(file, { readonly: true });
    try {
      const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${FORGET_EMAILS}`).all(1) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
      expect(plan).toMatch(/USING INDEX carts_closed_email/);
    } finally {
      raw.close();
    }
  });
});
