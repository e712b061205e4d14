#!/usr/bin/env node
// `node bench/ingest.mjs`: event ingest — POST /v1/events with a 10-event batch, acknowledged only once durable —
// on one instance with SQLite, one instance with PostgreSQL, and three instances sharing one PostgreSQL schema, each
// beside a bare node:http baseline answering the same request in the same round (one process for the one-instance
// cases, three processes behind the same three-URL round-robin for the three-instance case).
//
// Load: autocannon (programmatic), 48 connections, 2 s warm-up (discarded), 10 s measured. Every request is built by
// `setupRequest`: one visitor (of 100,000) and 10 events with ids unique across the whole run, so every request
// stores 10 new rows. Three instances: autocannon takes an array of URLs and gives connection i to URL i mod 3 (48
// connections → 16 each): one generator, one latency histogram, a round-robin per connection as a load balancer with
// keep-alive would do.
//
// Method as in shared/research/performance.md §3: a fresh server (and a fresh SQLite file or PostgreSQL schema) per
// measurement, servers and load generator pinned to the same vCPU (taskset -c 0), server CPU (utime + stime, summed
// over the instances) per request from procfs, steal % from /proc/stat, rounds in rotating order, medians reported.
// PostgreSQL is the machine's own cluster and is NOT pinned (it runs on the other vCPU): its CPU per request is the
// whole cluster's (every postgres process, WAL writer included), read from procfs too. After each measurement the
// rows stored are counted against the 2xx answers: every acknowledged event must be there.
//
// Options: --rounds N (3) --duration S (10) --warmup S (2) --connections N (48) --batch N (10) --visitors N (100000)
//          --no-postgres. Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). Not part of npm test.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLK_TCK, cpuDelta, eventBatches, fmt, freePort, median, pinSelf, procCpu, processesCpu, stealTicks } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

// --- internal mode: the baseline server ------------------------------------------------------------------------

if (process.argv[2] === '--baseline-server') {
  // The same request, read and parsed the same way, answered as Kairos answers it, storing nothing: the floor any
  // ingest endpoint sits on.
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (req.method !== 'POST' || req.url !== '/v1/events' || !Array.isArray(body.events)) throw new Error('bad request');
        const answer = JSON.stringify({ accepted: body.events.length, duplicates: 0 });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
        res.end(answer);
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.listen(Number(process.argv[3]), '127.0.0.1', () => console.log('listening'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  await main();
}

// --- the benchmark --------------------------------------------------------------------------------------------

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '48' },
      batch: { type: 'string', default: '10' },
      visitors: { type: 'string', default: '100000' },
      'no-postgres': { type: 'boolean', default: false },
    },
  });
  const opts = {
    rounds: Number(values.rounds),
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
    batch: Number(values.batch),
    visitors: Number(values.visitors),
  };
  const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const { default: autocannon } = await import('autocannon');
  const { default: pg } = await import('pg');
  const { default: Database } = await import('better-sqlite3');
  const acVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'autocannon', 'package.json'), 'utf8')).version;

  // The load generator (this process, every thread) on vCPU 0, where the servers run too.
  pinSelf();

  let admin = null;
  let pgVersion = null;
  if (!values['no-postgres']) {
    const probe = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 2000 });
    probe.on('error', () => {});
    try {
      pgVersion = (await probe.query('SHOW server_version')).rows[0].server_version;
      const settings = (await probe.query(`SELECT name, current_setting(name) AS value FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers', 'commit_delay') ORDER BY name`)).rows;
      pgVersion += ` (${settings.map((s) => `${s.name}=${s.value}`).join(', ')})`;
      admin = probe;
    } catch (e) {
      console.warn(`PostgreSQL not reachable at ${databaseUrl} (${e.message}): the PostgreSQL cases are skipped`);
      await probe.end().catch(() => {});
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-ingest-'));
  const configFile = join(dir, 'kairos.yaml');
  writeFileSync(configFile, 'site: { name: Ingest bench }\ncampaigns: []\n');

  // --- the request stream: a widget's batch, unique ids ---
  const body = eventBatches({ size: opts.batch, visitors: opts.visitors });
  const runId = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x'); // names the PostgreSQL schemas
  const sampleBytes = Buffer.byteLength(body());
  const request = {
    method: 'POST',
    path: '/v1/events',
    headers: { 'content-type': 'text/plain', 'user-agent': UA },
    setupRequest: (req) => {
      req.body = body();
      return req;
    },
  };

  const cases = [
    { kind: 'base1', name: 'bare node:http ×1 (baseline)', instances: 1, baseline: null },
    { kind: 'sqlite1', name: 'Kairos ×1, SQLite (synchronous=FULL, group commit)', instances: 1, baseline: 'base1' },
    ...(admin
      ? [
          { kind: 'pg1', name: 'Kairos ×1, PostgreSQL', instances: 1, baseline: 'base1' },
          { kind: 'base3', name: 'bare node:http ×3 (baseline, round-robin)', instances: 3, baseline: null },
          { kind: 'pg3', name: 'Kairos ×3, PostgreSQL (one schema, round-robin)', instances: 3, baseline: 'base3' },
        ]
      : []),
  ];
  const results = new Map(cases.map((c) => [c.kind, []]));

  console.log(
    `ingest bench: ${opts.rounds} round(s) × ${cases.length} cases, ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.duration} s, ` +
      `${opts.batch} events (${sampleBytes} bytes) per request; servers and generator on vCPU 0`,
  );
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const order = cases.map((_, i) => cases[(i + round) % cases.length]);
      for (const c of order) {
        const r = await measure(c);
        results.get(c.kind).push(r);
        if (r.stored !== undefined && r.stored < r.acked) console.error(`  ${c.kind}: ${r.acked - r.stored} acknowledged events are NOT stored`);
        console.log(
          `  round ${round + 1} ${c.kind.padEnd(7)} ${Math.round(r.rps).toLocaleString('en').padStart(6)} req/s ${Math.round(r.rps * opts.batch).toLocaleString('en').padStart(7)} events/s  ` +
            `p50 ${r.p50} ms  p99 ${r.p99} ms  server ${r.cpuUs.toFixed(1)} µs/req${r.pgUs !== undefined ? `, postgres ${r.pgUs.toFixed(1)} µs/req` : ''}  ` +
            `steal ${r.steal.toFixed(1)} %  non-2xx ${r.non2xx}  errors ${r.errors}${r.stored !== undefined ? `  stored ${r.stored.toLocaleString('en')}/${r.acked.toLocaleString('en')}` : ''}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin?.end();
  }

  // --- report ---
  const cpu = cpus();
  const command = ['node bench/ingest.mjs', ...process.argv.slice(2)].join(' ');
  console.log(`\n## Ingest\n`);
  console.log(
    `Command: \`${command}\` (${opts.rounds} rounds × ${cases.length} cases, ${opts.connections} connections, ${opts.warmup} s warm-up discarded + ${opts.duration} s measured, ` +
      `a fresh server — and a fresh SQLite file or PostgreSQL schema — per measurement, cases in rotating order). Each request is \`POST /v1/events\`, ` +
      `\`Content-Type: text/plain\`, a Chrome User-Agent, one visitor (of ${fmt(opts.visitors)}) and ${opts.batch} events (${sampleBytes} bytes: page and product views, ` +
      `a campaign shown and dismissed, an experiment exposure; no cart events) with event ids unique across the run, built by autocannon's \`setupRequest\`; ` +
      `Kairos answers once the batch is committed. Servers: \`bin/kairos.js serve --no-demo\` with \`LOG_LEVEL=warn KAIROS_RATE_LIMIT=0\` (no Redis), ` +
      `or the baseline, a bare \`node:http\` server that parses the same body and answers \`{"accepted":${opts.batch},"duplicates":0}\`. ` +
      `Three instances: autocannon's own URL list (connection i goes to URL i mod 3: ${opts.connections} connections → ` +
      `${[0, 1, 2].map((k) => Math.floor(opts.connections / 3) + (k < opts.connections % 3 ? 1 : 0)).join('/')}), one generator and one latency histogram, ` +
      `beside three bare servers driven the same way. Every server and autocannon are pinned with \`taskset -c 0\` (performance.md §3), so three instances ` +
      `share one vCPU; PostgreSQL is the machine's cluster, not pinned (it works on the other vCPU), and its CPU is every postgres process's (WAL writer ` +
      `included) per request. "Stored / acknowledged": rows counted after each measurement against 2xx answers × ${opts.batch} (requests still in ` +
      `flight when a run stops are stored but not counted as answered). Machine: ${cpu.length} vCPU ${cpu[0]?.model ?? 'unknown CPU'}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, autocannon ${acVersion}${pgVersion ? `, PostgreSQL ${pgVersion}` : ''}. ` +
      `Date: ${new Date().toISOString().slice(0, 10)}.\n`,
  );
  console.log('| case | events/s median (min–max) | req/s median | ratio to its baseline | p50 ms | p99 ms | server CPU µs / request | PostgreSQL CPU µs / request | steal % | non-2xx + errors | stored / acknowledged | rounds |');
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const c of cases) {
    const rs = results.get(c.kind);
    const rps = rs.map((r) => r.rps);
    const base = c.baseline && results.get(c.baseline);
    const ratio = base ? `${fmt(median(rs.map((r, i) => r.rps / base[i].rps)), 2)} (of ${c.baseline === 'base1' ? '×1' : '×3'})` : '1.00';
    const pgUs = rs[0].pgUs !== undefined ? fmt(median(rs.map((r) => r.pgUs)), 1) : '—';
    const stored = rs[0].stored !== undefined ? `${fmt(rs.reduce((n, r) => n + r.stored, 0))} / ${fmt(rs.reduce((n, r) => n + r.acked, 0))}` : '—';
    console.log(
      `| ${c.name} | ${fmt(median(rps) * opts.batch)} (${fmt(Math.min(...rps) * opts.batch)}–${fmt(Math.max(...rps) * opts.batch)}) | ${fmt(median(rps))} | ${ratio} | ` +
        `${fmt(median(rs.map((r) => r.p50)), 1)} | ${fmt(median(rs.map((r) => r.p99)), 1)} | ${fmt(median(rs.map((r) => r.cpuUs)), 1)} | ${pgUs} | ` +
        `${fmt(median(rs.map((r) => r.steal)), 1)} | ${rs.reduce((n, r) => n + r.non2xx + r.errors, 0)} | ${stored} | ${rs.length} |`,
    );
  }

  // --- helpers (closures over opts) ---

  async function measure(c) {
    const ports = await Promise.all(Array.from({ length: c.instances }, freePort));
    const schema = `kairos_bench_${runId.toLowerCase()}_${c.kind}_${Date.now().toString(36)}`;
    const dbFile = join(dir, `${c.kind}-${ports[0]}.db`);
    const children = ports.map((port) => {
      if (c.kind.startsWith('base'))
        return spawn('taskset', ['-c', '0', process.execPath, self, '--baseline-server', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      // One load generator is one client: the per-client write limit would answer most requests with 429.
      const env = { ...process.env, LOG_LEVEL: 'warn', KAIROS_RATE_LIMIT: '0' };
      for (const k of ['DATABASE_URL', 'KAIROS_DB_SCHEMA', 'REDIS_URL', 'KAIROS_SECRET']) delete env[k];
      if (c.kind.startsWith('pg')) Object.assign(env, { DATABASE_URL: databaseUrl, KAIROS_DB_SCHEMA: schema, KAIROS_SECRET: `bench-${runId}` });
      const args = ['serve', '--no-demo', '--host', '127.0.0.1', '--port', String(port), '--config', configFile, '--db', dbFile];
      return spawn('taskset', ['-c', '0', process.execPath, join(root, 'bin', 'kairos.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    });
    for (const child of children) child.stdout.resume();
    const exited = children.map((child) => new Promise((done) => child.once('exit', done)));
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    try {
      // One at a time: the first applies the schema's migrations, the others find them done.
      for (let i = 0; i < urls.length; i++) await ready(urls[i], children[i]);
      // One answer checked by hand per instance: 10 accepted.
      for (const url of urls) {
        const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'Content-Type': 'text/plain', 'User-Agent': UA }, body: body() });
        const answer = await res.json();
        if (res.status !== 200 || answer.accepted !== opts.batch) throw new Error(`${c.kind}: unexpected answer ${res.status} ${JSON.stringify(answer)}`);
      }

      const warm = await run(urls, opts.warmup);
      const cpu0 = children.reduce((n, ch) => n + procCpu(ch.pid), 0);
      const pg0 = c.kind.startsWith('pg') ? processesCpu('postgres') : null;
      const stat0 = stealTicks();
      const r = await run(urls, opts.duration);
      const stat1 = stealTicks();
      const pg1 = c.kind.startsWith('pg') ? processesCpu('postgres') : null;
      const cpu1 = children.reduce((n, ch) => n + procCpu(ch.pid), 0);
      const total = r.requests.total;
      const acked = (urls.length + warm['2xx'] + r['2xx']) * opts.batch;
      return {
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        cpuUs: (((cpu1 - cpu0) / CLK_TCK) * 1e6) / total,
        ...(pg0 && { pgUs: ((cpuDelta(pg0, pg1) / CLK_TCK) * 1e6) / total }),
        steal: stat1.total > stat0.total ? (100 * (stat1.steal - stat0.steal)) / (stat1.total - stat0.total) : 0,
        non2xx: r.non2xx + warm.non2xx,
        errors: r.errors + r.timeouts + warm.errors + warm.timeouts,
        ...(!c.kind.startsWith('base') && { acked, stored: await storedAfter(c, children, exited, { schema, dbFile }) }),
      };
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => children.forEach((ch) => ch.kill('SIGKILL')), 15_000);
      await Promise.all(exited);
      clearTimeout(t);
      if (c.kind.startsWith('pg')) await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      rmSync(dbFile, { force: true });
      for (const suffix of ['-wal', '-shm', '.secret']) rmSync(dbFile + suffix, { force: true });
    }
  }

  /** The events stored, counted once the servers have stopped (SIGTERM: everything acknowledged is written). */
  async function storedAfter(c, children, exited, { schema, dbFile }) {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(exited);
    if (c.kind.startsWith('pg')) return Number((await admin.query(`SELECT count(*) AS n FROM ${pg.escapeIdentifier(schema)}.events`)).rows[0].n);
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT count(*) AS n FROM events').get().n;
    } finally {
      db.close();
    }
  }

  function run(urls, seconds) {
    return new Promise((done, fail) => {
      autocannon({ url: urls.length === 1 ? urls[0] : urls, connections: opts.connections, duration: seconds, requests: [request] }, (err, res) => (err ? fail(err) : done(res)));
    });
  }

  async function ready(url, child) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
      try {
        const res = await fetch(url + '/v1/events', { method: 'OPTIONS' });
        await res.arrayBuffer();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`server at ${url} did not come up within 30 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}
