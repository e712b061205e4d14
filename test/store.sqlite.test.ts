import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DUE_QUERIES, MIGRATIONS, buildEventQuery, openSqliteStore } from '../server/store/sqlite';
import type { Store } from '../server/store/types';
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
      expect(full.diagnostics()).toEqual({ journalMode: 'wal', synchronous: 'full', busyTimeoutMs: 5000, schemaVersion: MIGRATIONS.length });
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
