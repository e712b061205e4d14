// Crash safety of event ingestion, for real (issue 10; research/reliability.md §3 test 19): the real `kairos serve`
// as a child process on a temp SQLite file takes 10,000 events from several concurrent senders speaking the widget's
// wire format (text/plain JSON batches of 1–50 events, `sent_at` set per attempt, unique event_ids), and is SIGKILLed
// 10 times at seeded random moments mid-load, restarted each time on the same file. Every sender keeps each batch
// until a 2xx answers it and resends it otherwise (a refused connection, a reset, a timeout), and — to be harsh —
// also resends some batches that were already acknowledged. It proves:
//   - after every kill, before the restart, every event acknowledged so far is in the file (0 lost);
//   - a resend of an acknowledged batch stores nothing new (the server reports it all as duplicates);
//   - at the end: rows == unique event_ids sent (all acknowledged by then), no event_id twice, and every stored
//     field equals what was sent (ts moved by the batch's clock-skew correction only, which is ≥ 0 and small here);
//   - the file passes `PRAGMA integrity_check`.
//
// Durability choice (server/store/sqlite.ts, header comment; openSqliteStore): WAL with `synchronous=FULL` by default,
// and `kairos serve` opens the store without overriding it (server/cli.ts, openStore). sqlite.org/pragma.html:
// "Transactions are durable across application crashes regardless of the synchronous setting or journal mode", so
// a SIGKILL (what this test does) cannot lose a committed transaction even under NORMAL; but "A transaction committed
// in WAL mode with synchronous=NORMAL might roll back following a power loss or system crash", which FULL prevents
// with an fsync of the WAL at each commit. This test cannot pull the power; it checks the setting (below) instead.
//
// Ack only after commit, read in the code: server/app.ts, the POST /v1/events handler, answers 200 only after
// `await store.insertEvents(rows)` resolves (and 503 if it rejects). In server/store/sqlite.ts, insertEvents only
// queues the batch; commitGroup() resolves each queued promise (`p.resolve(r)`) after `stmt.commit.run()` has
// returned ("Durable now"), and rejects every batch of the group if COMMIT throws. So no 2xx leaves the server for
// an event that is not committed, and an event committed just before a kill may be unacknowledged (its resend is
// then answered as a duplicate: "committed, ack lost" below).
//
// Budget: the full run (10 kills × 10,000 events) is what CI runs too; it takes 9–15 s on the 2-vCPU machine, most of
// it 11 server starts. KAIROS_CRASH_SEED picks another seed (printed on failure).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import type { EventInput } from '../server/schema';
import { openSqliteStore } from '../server/store/sqlite';
import { freePort } from './e2e/support';
import { prng } from './seeded';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const FULL = process.env.KAIROS_FULL === '1';
const SEED = Number(process.env.KAIROS_CRASH_SEED ?? 0x6b41) >>> 0;
const EVENTS = 10_000;
const KILLS = 10;
const SENDERS = 6;
/** Share of acknowledged batches that are sent once more anyway. */
const REPLAY_SHARE = 0.08;
const ORIGIN = 'https://shop.example';

const dir = mkdtempSync(join(tmpdir(), 'kairos-crash-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Like support.ts' waitFor, but polling every 10 ms: the kill points are counted in acknowledged batches, and the
 * whole load takes a few seconds. */
async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// --- the events ---------------------------------------------------------------------------------------------------

const NAMES = ['Product Viewed', 'Product Added', 'Checkout Started', 'Campaign Shown', 'Campaign Clicked', 'Order Completed'];
const TEXTS = ['Sommerschlussverkauf: Grüße', 'ελληνικά', '日本語のテキスト', 'emoji ☀️🕶️', 'quote " and \\ backslash', 'plain'];

function makeEvents(rand: () => number): EventInput[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const base = Date.now();
  const events: EventInput[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const visitor = int(0, 299);
    const kind = rand();
    const type = kind < 0.3 ? 'page' : kind < 0.35 ? 'identify' : 'track';
    const ev: EventInput = {
      event_id: `crash${SEED.toString(36)}-${String(i).padStart(5, '0')}-${int(0, 1e9).toString(36)}`,
      type,
      name: type === 'page' ? 'Page Viewed' : type === 'identify' ? 'Identify' : pick(NAMES),
      // The widget's clock: some time in the last hour (the batch's sent_at corrects it onto the server's).
      ts: base - int(0, 3_600_000),
      visitor_id: `visitor-${String(visitor).padStart(4, '0')}-crash`,
      session_id: `session-${String(visitor).padStart(4, '0')}-${int(0, 3)}`,
    };
    if (rand() < 0.8) ev.path = `/products/p-${int(1, 40)}${rand() < 0.2 ? `?utm_source=news&utm_campaign=s${int(1, 9)}` : ''}`;
    if (rand() < 0.3) ev.campaign_id = pick(['summer-bar', 'exit-offer', 'cart_reminder-1']);
    if (type === 'identify') ev.user_id = `customer-${visitor}`;
    if (rand() < 0.85) {
      const props: NonNullable<EventInput['props']> = { product_id: `p-${int(1, 40)}`, price: Math.round(rand() * 100_000) / 100, quantity: int(1, 5) };
      if (rand() < 0.5) props['label'] = pick(TEXTS);
      if (rand() < 0.3) props['tags'] = [pick(TEXTS), int(0, 9), rand() < 0.5, null];
      if (rand() < 0.2) props['products'] = [{ product_id: `p-${int(1, 40)}`, price: int(1, 500), ok: true }];
      if (rand() < 0.2) props['meta'] = { size: pick(['S', 'M', 'L']), gift: rand() < 0.5, note: null };
      ev.props = props;
    }
    events.push(ev);
  }
  return events;
}

// --- the test -----------------------------------------------------------------------------------------------------

interface Batch {
  id: number;
  events: EventInput[];
  /** Sent again after its acknowledgement (never more than once). */
  replay: boolean;
}

it(`${EVENTS.toLocaleString('en')} events, ${KILLS} SIGKILLs mid-load, clients resending what was not acknowledged: 0 lost, 0 duplicates, fields intact`, async () => {
  const started = Date.now();
  const rand = prng(SEED);
  const events = makeEvents(rand);
  const sentById = new Map(events.map((e) => [e.event_id, e]));

  // Batches of 1–50 (the widget's MAX_BATCH), dealt round-robin to the senders.
  const queues: Batch[][] = Array.from({ length: SENDERS }, () => []);
  let batches = 0;
  for (let i = 0; i < events.length; ) {
    const n = 1 + Math.floor(rand() * 50);
    queues[batches % SENDERS]!.push({ id: batches, events: events.slice(i, i + n), replay: false });
    batches++;
    i += n;
  }
  // Kill when this many batches have been acknowledged (seeded, spread over 3–95 % of the load), then after a further
  // 0–20 ms, so the kill lands anywhere in a request's life: parsing, queued for the group commit, committing, answering.
  const killAt = Array.from({ length: KILLS }, () => Math.floor(batches * (0.03 + rand() * 0.92))).sort((a, b) => a - b);
  const killDelayMs = killAt.map(() => Math.floor(rand() * 20));
  const replayRand = prng(SEED ^ 0x5eed);

  const configFile = join(dir, 'kairos.yaml');
  const dbFile = join(dir, 'kairos.db');
  writeFileSync(configFile, `site: { name: Crash shop, allowed_origins: ["${ORIGIN}"] }\ncampaigns: []\n`);
  const port = await freePort();
  let out = '';
  let server: ChildProcess | undefined;

  const start = async () => {
    const child = spawn(process.execPath, ['bin/kairos.js', 'serve', '--port', String(port), '--host', '127.0.0.1', '--config', configFile, '--db', dbFile, '--no-demo'], {
      cwd: root,
      // The rate limit is per client, and here six "browsers" share one address and user agent: off.
      env: { ...process.env, LOG_LEVEL: 'warn', KAIROS_RATE_LIMIT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitFor(`kairos serve on port ${port}`, () => {
      if (child.exitCode !== null) throw new Error(`kairos serve exited with ${child.exitCode}`);
      return get('/healthz').then((s) => s === 200, () => false);
    });
    server = child;
  };

  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  function get(path: string): Promise<number> {
    return new Promise((done, fail) => {
      const req = request({ host: '127.0.0.1', port, path, agent, timeout: 2_000 }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', fail);
      req.end();
    });
  }
  /** POST /v1/events as the widget does; resolves with the status and answer, rejects on a network error. */
  function post(body: string): Promise<{ status: number; answer: { accepted?: number; duplicates?: number; error?: string } }> {
    return new Promise((done, fail) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/v1/events', method: 'POST', agent, timeout: 10_000, headers: { 'Content-Type': 'text/plain;charset=UTF-8', Origin: ORIGIN, 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            try {
              done({ status: res.statusCode ?? 0, answer: JSON.parse(text) });
            } catch (e) {
              fail(e);
            }
          });
          res.on('error', fail);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', fail);
      req.end(body);
    });
  }

  const acked = new Set<string>();
  let ackedBatches = 0;
  const fig = { requests: 0, failedRequests: 0, resends: 0, replays: 0, duplicatesReported: 0, committedAckLost: 0, inFlightAtKill: [] as number[], rowsAtKill: [] as number[] };
  let inFlight = 0;
  const problems: string[] = [];

  const sender = async (queue: Batch[]) => {
    const attempts = new Map<number, number>();
    while (queue.length > 0 && problems.length === 0) {
      const batch = queue.shift()!;
      const tries = (attempts.get(batch.id) ?? 0) + 1;
      attempts.set(batch.id, tries);
      if (tries > 1 && !batch.replay) fig.resends++;
      fig.requests++;
      inFlight++;
      let r: Awaited<ReturnType<typeof post>> | undefined;
      try {
        r = await post(JSON.stringify({ sent_at: Date.now(), events: batch.events }));
      } catch {
        fig.failedRequests++;
      } finally {
        inFlight--;
      }
      if (r && r.status >= 200 && r.status < 300) {
        const { accepted = -1, duplicates = -1 } = r.answer;
        if (accepted + duplicates !== batch.events.length) problems.push(`batch ${batch.id}: answer ${JSON.stringify(r.answer)} for ${batch.events.length} events`);
        fig.duplicatesReported += duplicates;
        if (batch.replay) {
          // Every event of it was acknowledged before: if the server stores any of them now, it had lost them.
          if (accepted !== 0) problems.push(`replay of acknowledged batch ${batch.id} stored ${accepted} events again: they had been lost`);
          continue;
        }
        const fresh = batch.events.filter((e) => !acked.has(e.event_id)).length;
        // Duplicates among events never acknowledged: committed by an attempt whose answer the kill swallowed.
        fig.committedAckLost += Math.max(0, duplicates - (batch.events.length - fresh));
        for (const e of batch.events) acked.add(e.event_id);
        ackedBatches++;
        if (replayRand() < REPLAY_SHARE) {
          fig.replays++;
          // Later, behind a few others: it may well be in flight when a kill comes.
          queue.splice(Math.min(queue.length, 1 + Math.floor(replayRand() * 5)), 0, { ...batch, replay: true });
        }
      } else {
        if (r && r.status !== 503) {
          problems.push(`batch ${batch.id}: HTTP ${r.status} ${JSON.stringify(r.answer)}`);
          return;
        }
        // Not acknowledged: keep it, first in line, and back off a little (the widget backs off for seconds).
        queue.unshift(batch);
        await new Promise((res) => setTimeout(res, 10 + Math.floor(Math.random() * 30)));
      }
    }
  };

  const storedIds = (): Set<string> => {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return new Set(db.prepare('SELECT event_id FROM events').pluck().all() as string[]);
    } finally {
      db.close();
    }
  };

  const killer = async () => {
    for (let k = 0; k < KILLS; k++) {
      await waitFor(`${killAt[k]} acknowledged batches (kill ${k + 1})`, () => ackedBatches >= killAt[k]! || problems.length > 0, 60_000);
      if (problems.length > 0) return;
      await new Promise((r) => setTimeout(r, killDelayMs[k]));
      const victim = server!;
      fig.inFlightAtKill.push(inFlight);
      const dead = new Promise((r) => victim.once('exit', r));
      victim.kill('SIGKILL');
      await dead;
      // The process is gone and nothing has touched the file since: what was acknowledged must be in it. (An
      // answer read after the kill was written before it, i.e. after its commit, so it counts too.)
      await new Promise((r) => setImmediate(r));
      const stored = storedIds();
      fig.rowsAtKill.push(stored.size);
      const lost = [...acked].filter((id) => !stored.has(id));
      if (lost.length > 0) problems.push(`kill ${k + 1}: ${lost.length} acknowledged events missing from the file, e.g. ${lost.slice(0, 3).join(', ')}`);
      await start();
    }
  };

  try {
    await start();
    await Promise.all([...queues.map(sender), killer()]);
    expect(problems.join('\n')).toBe('');
    const loadMs = Date.now() - started;

    // A clean stop, then the file as it is.
    const last = server!;
    await new Promise((r) => {
      last.once('exit', r);
      last.kill('SIGTERM');
    });
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    let rows: Array<{ event_id: string; type: string; name: string; ts: number; received_at: number; visitor_id: string; session_id: string; path: string | null; campaign_id: string | null; user_id: string | null; props: string | null }>;
    let distinct: number;
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      rows = db.prepare('SELECT * FROM events').all() as typeof rows;
      distinct = db.prepare('SELECT COUNT(DISTINCT event_id) FROM events').pluck().get() as number;
    } finally {
      db.close();
    }

    const storedNow = new Set(rows.map((r) => r.event_id));
    const lost = [...acked].filter((id) => !storedNow.has(id));
    expect(acked.size, 'every event was acknowledged in the end').toBe(EVENTS);
    expect(lost, 'acknowledged events missing').toEqual([]);
    expect(rows.length, 'rows == unique event_ids sent').toBe(EVENTS);
    expect(distinct, 'no event_id twice').toBe(rows.length);

    // Every stored field is what was sent; ts moved only by the skew correction (receivedAt − sent_at: ≥ 0, small).
    const mismatches: string[] = [];
    for (const row of rows) {
      const sent = sentById.get(row.event_id);
      if (!sent) {
        mismatches.push(`${row.event_id}: never sent`);
        continue;
      }
      const expected = { type: sent.type, name: sent.name, visitor_id: sent.visitor_id, session_id: sent.session_id, path: sent.path ?? null, campaign_id: sent.campaign_id ?? null, user_id: sent.user_id ?? null, props: sent.props ?? null };
      const actual = { type: row.type, name: row.name, visitor_id: row.visitor_id, session_id: row.session_id, path: row.path, campaign_id: row.campaign_id, user_id: row.user_id, props: row.props === null ? null : (JSON.parse(row.props) as unknown) };
      if (JSON.stringify(actual) !== JSON.stringify(expected)) mismatches.push(`${row.event_id}: stored ${JSON.stringify(actual)}, sent ${JSON.stringify(expected)}`);
      const shift = row.ts - sent.ts;
      if (shift < 0 || shift > 15_000 || row.received_at < row.ts) mismatches.push(`${row.event_id}: ts ${sent.ts} stored as ${row.ts} (received ${row.received_at})`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);

    // What kairos serve runs with: WAL + synchronous=FULL (the default openStore uses).
    const probe = openSqliteStore(join(dir, 'probe.db'));
    try {
      expect(probe.diagnostics()).toMatchObject({ journalMode: 'wal', synchronous: 'full' });
    } finally {
      await probe.close();
    }

    // The kills really cut requests off: the servers never answered some, and resends were needed.
    expect(fig.failedRequests).toBeGreaterThan(0);
    expect(fig.resends).toBeGreaterThan(0);
    console.log(
      `crash: ${EVENTS.toLocaleString('en')} events in ${batches} batches from ${SENDERS} senders, ${KILLS} SIGKILLs (seed ${SEED}); ` +
        `${fig.requests} requests, ${fig.failedRequests} cut off or refused, ${fig.resends} resends of unacknowledged batches, ${fig.replays} acknowledged batches resent; ` +
        `${fig.duplicatesReported} events answered as duplicates, ${fig.committedAckLost} of them committed before a kill whose answer was lost; ` +
        `requests in flight at the kills: ${fig.inFlightAtKill.join(', ')}; rows at the kills: ${fig.rowsAtKill.join(', ')}; ` +
        `0 acknowledged lost, 0 duplicates, ${rows.length} rows; ${(loadMs / 1000).toFixed(1)} s${FULL ? ' (KAIROS_FULL)' : ''}`,
    );
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nseed ${SEED} (KAIROS_CRASH_SEED)\n--- server output ---\n${out.slice(-4000)}`);
  } finally {
    agent.destroy();
  }
}, 120_000);
