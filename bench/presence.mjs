#!/usr/bin/env node
// `node bench/presence.mjs`: "n people viewing now" under load. Starts the real server (bin/kairos.js serve) once
// with the in-process presence store and once with REDIS_URL, plus a bare node:http server answering the same
// request with a fixed JSON body (the baseline), and drives POST /v1/presence with autocannon: 50 connections,
// 2 s warm-up (discarded), 10 s measured, visitor ids drawn from 100,000 viewers over 1,000 product keys.
// Method as in shared/research/performance.md §3: a fresh server per measurement, server and load generator
// pinned to the same vCPU (taskset -c 0), server CPU from procfs (utime + stime) per request, steal % from
// /proc/stat, several rounds in rotating order, medians reported. Then memory per 1,000 viewers: heapUsed delta
// of a standalone createMemoryPresence filled with N viewers (after a forced GC), and Redis's used_memory delta
// (INFO memory) and MEMORY USAGE over the keys, for the same viewers.
//
// Options: --rounds N (5) --duration S (10) --warmup S (2) --connections N (50) --viewers N (100000)
//          --keys N (1000) --no-redis. Env: REDIS_URL (default redis://127.0.0.1:6379). Not part of npm test.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLK_TCK, fmt, freePort, median, pinSelf, procCpu, stealTicks } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const FIXED = JSON.stringify({ count: 1, others: 0, window_seconds: 45 });
/** 16 url-safe characters, like the widget's visitor ids (widget/ids.ts). */
const visitorId = () => randomBytes(12).toString('base64url');
let redisStoreModule; // see loadRedisStore()

// --- internal modes: the baseline server, and the memory probe (a child with --expose-gc) --------------------

if (process.argv[2] === '--baseline-server') {
  // The same request, parsed the same way, answered with a fixed body: the floor any presence endpoint sits on.
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (req.method !== 'POST' || req.url !== '/v1/presence' || typeof body.visitor_id !== 'string') throw new Error('bad request');
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(FIXED) });
        res.end(FIXED);
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.listen(Number(process.argv[3]), '127.0.0.1', () => console.log('listening'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else if (process.argv[2] === '--memory-probe') {
  const [viewers, keys] = [Number(process.argv[3]), Number(process.argv[4])];
  const { register } = await import('tsx/esm/api');
  register();
  const { createMemoryPresence } = await import('../server/presence/memory.ts');
  const now = Date.now();
  const settle = () => {
    for (let i = 0; i < 4; i++) globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  // Warm the code paths (and the JIT) on a store that is thrown away.
  const warm = createMemoryPresence({ sweepEveryMs: 0 });
  for (let i = 0; i < 20_000; i++) await warm.beat(`product:w${i % 100}`, visitorId(), now, 45_000);
  await warm.close();
  const before = settle();
  const store = createMemoryPresence({ sweepEveryMs: 0 });
  // Distinct times, as in real traffic (each last-seen time is then a number of its own on the heap).
  for (let i = 0; i < viewers; i++) await store.beat(`product:p${i % keys}`, visitorId(), now + Math.floor(i / 10), 45_000);
  const after = settle();
  // The store alone: one beat on a full store (the next viewers, mostly new), in µs.
  const ops = 200_000;
  const next = Array.from({ length: ops }, visitorId);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await store.beat(`product:p${i % keys}`, next[i], now + 10_000 + Math.floor(i / 10), 45_000);
  const beatUs = Number(process.hrtime.bigint() - t0) / 1e3 / ops;
  console.log(JSON.stringify({ viewers, keys, size: await store.size(), bytes: after - before, beatUs }));
  await store.close();
} else {
  await main();
}

// --- the benchmark --------------------------------------------------------------------------------------------

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      viewers: { type: 'string', default: '100000' },
      keys: { type: 'string', default: '1000' },
      'no-redis': { type: 'boolean', default: false },
    },
  });
  const opts = {
    rounds: Number(values.rounds),
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
    viewers: Number(values.viewers),
    keys: Number(values.keys),
  };
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const { default: autocannon } = await import('autocannon');
  const { Redis } = await import('ioredis');
  const acVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'autocannon', 'package.json'), 'utf8')).version;

  // The load generator (this process, every thread) on vCPU 0, where the servers run too.
  pinSelf();

  let redisInfo = null;
  if (!values['no-redis']) {
    const probe = new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1000 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      const info = await probe.info('server');
      redisInfo = { version: /redis_version:(\S+)/.exec(info)?.[1], pid: Number(/process_id:(\d+)/.exec(info)?.[1]) };
    } catch (e) {
      console.warn(`Redis not reachable at ${redisUrl} (${e.message}): the Redis case is skipped`);
    } finally {
      probe.disconnect();
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-presence-'));
  const configFile = join(dir, 'kairos.yaml');
  writeFileSync(configFile, 'site: { name: Presence bench }\ncampaigns: []\n');

  // The request stream: a random viewer each time, each viewer on one product.
  const ids = Array.from({ length: opts.viewers }, visitorId);
  const request = {
    method: 'POST',
    path: '/v1/presence',
    headers: { 'content-type': 'text/plain', 'user-agent': UA },
    setupRequest: (req) => {
      const i = Math.floor(Math.random() * ids.length);
      req.body = `{"visitor_id":"${ids[i]}","key":"product:p${i % opts.keys}"}`;
      return req;
    },
  };

  const cases = [
    { name: 'bare node:http, fixed JSON (baseline)', kind: 'baseline' },
    { name: 'Kairos, in-process store', kind: 'memory' },
    ...(redisInfo ? [{ name: `Kairos, Redis store (REDIS_URL, Redis ${redisInfo.version})`, kind: 'redis' }] : []),
  ];
  const results = new Map(cases.map((c) => [c.kind, []]));

  console.log(
    `presence bench: ${opts.rounds} round(s) × ${cases.length} cases, ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.duration} s, ` +
      `${opts.viewers.toLocaleString('en')} viewers over ${opts.keys.toLocaleString('en')} keys; server and generator on vCPU 0`,
  );
  for (let round = 0; round < opts.rounds; round++) {
    const order = cases.map((_, i) => cases[(i + round) % cases.length]);
    for (const c of order) {
      const r = await measure(c.kind);
      results.get(c.kind).push(r);
      console.log(
        `  round ${round + 1} ${c.kind.padEnd(8)} ${Math.round(r.rps).toLocaleString('en').padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ` +
          `server ${r.cpuUs.toFixed(1)} µs/req${r.redisUs !== undefined ? `, redis ${r.redisUs.toFixed(1)} µs/req` : ''}  steal ${r.steal.toFixed(1)} %  non-2xx ${r.non2xx}  errors ${r.errors}`,
      );
    }
  }

  // Memory per 1,000 viewers.
  const shapes = [
    { viewers: opts.viewers, keys: opts.keys },
    { viewers: opts.viewers, keys: Math.max(1, Math.floor(opts.keys / 10)) },
  ];
  const memory = [];
  for (const shape of shapes) {
    const out = execFileSync(process.execPath, ['--expose-gc', self, '--memory-probe', String(shape.viewers), String(shape.keys)], { cwd: root, encoding: 'utf8' });
    const m = JSON.parse(out.trim().split('\n').pop());
    memory.push({ store: 'in process (heapUsed Δ after GC)', ...shape, bytes: m.bytes, beatUs: m.beatUs });
    if (redisInfo) memory.push(...(await redisMemory(shape)));
  }

  rmSync(dir, { recursive: true, force: true });

  // --- report ---
  const base = results.get('baseline');
  console.log(
    `\npresence — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, autocannon ${acVersion}` +
      `${redisInfo ? `, Redis ${redisInfo.version} at ${redisUrl.replace(/\/\/[^@/]*@/, '//')} (not pinned)` : ''}\n`,
  );
  console.log('| case | req/s median (min–max) | ratio to baseline | p50 ms | p99 ms | server CPU µs / request | ⇒ req/s per core | Redis CPU µs / request | steal % median | non-2xx | rounds |');
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const c of cases) {
    const rs = results.get(c.kind);
    const rps = rs.map((r) => r.rps);
    const ratio = median(rs.map((r, i) => r.rps / base[i].rps));
    const cpu = median(rs.map((r) => r.cpuUs));
    const redis = rs[0].redisUs !== undefined ? fmt(median(rs.map((r) => r.redisUs)), 1) : '—';
    console.log(
      `| ${c.name} | ${fmt(median(rps))} (${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))}) | ${fmt(ratio, 2)} | ${fmt(median(rs.map((r) => r.p50)), 1)} | ` +
        `${fmt(median(rs.map((r) => r.p99)), 1)} | ${fmt(cpu, 1)} | ${fmt(1e6 / cpu)} | ${redis} | ${fmt(median(rs.map((r) => r.steal)), 1)} | ` +
        `${rs.reduce((n, r) => n + r.non2xx + r.errors, 0)} | ${rs.length} |`,
    );
  }
  console.log('\n| store | viewers | keys (viewers per key) | bytes per viewer | **per 1,000 viewers** | one beat, store alone |');
  console.log('|---|--:|--:|--:|--:|--:|');
  for (const m of memory)
    console.log(
      `| ${m.store} | ${fmt(m.viewers)} | ${fmt(m.keys)} (${fmt(m.viewers / m.keys)}) | ${fmt(m.bytes / m.viewers)} | **${fmt(m.bytes / (m.viewers / 1000) / 1024, 1)} KB** | ` +
        `${m.beatUs !== undefined ? `${fmt(m.beatUs, 1)} µs` : '″'} |`,
    );

  // --- helpers (closures over opts) ---

  async function measure(kind) {
    const port = await freePort();
    const prefix = `kairos-bench-${process.pid}-${Date.now().toString(36)}:`;
    let child;
    if (kind === 'baseline') {
      child = spawn('taskset', ['-c', '0', process.execPath, self, '--baseline-server', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    } else {
      // One load generator is one client: the per-client write limit would answer most heartbeats with 429.
      const env = { ...process.env, LOG_LEVEL: 'warn', KAIROS_RATE_LIMIT: '0' };
      delete env.REDIS_URL;
      if (kind === 'redis') Object.assign(env, { REDIS_URL: redisUrl, KAIROS_REDIS_PREFIX: prefix });
      const args = ['serve', '--no-demo', '--host', '127.0.0.1', '--port', String(port), '--config', configFile, '--db', join(dir, `${kind}-${port}.db`)];
      child = spawn('taskset', ['-c', '0', process.execPath, join(root, 'bin', 'kairos.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    }
    child.stdout.resume();
    const exited = new Promise((done) => child.once('exit', done));
    try {
      const url = `http://127.0.0.1:${port}`;
      await ready(url, child);
      // One answer checked by hand: the shape the widget expects.
      const sample = await fetch(`${url}/v1/presence`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', 'User-Agent': UA },
        body: JSON.stringify({ visitor_id: ids[0], key: 'product:p0' }),
      });
      const body = await sample.json();
      if (sample.status !== 200 || typeof body.count !== 'number' || typeof body.others !== 'number' || body.window_seconds !== 45)
        throw new Error(`${kind}: unexpected answer ${sample.status} ${JSON.stringify(body)}`);

      await run(url, opts.warmup);
      const cpu0 = procCpu(child.pid);
      const redis0 = kind === 'redis' ? procCpu(redisInfo.pid) : 0;
      const stat0 = stealTicks();
      const r = await run(url, opts.duration);
      const stat1 = stealTicks();
      const cpu1 = procCpu(child.pid);
      const redis1 = kind === 'redis' ? procCpu(redisInfo.pid) : 0;
      const total = r.requests.total;
      return {
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        cpuUs: (((cpu1 - cpu0) / CLK_TCK) * 1e6) / total,
        ...(kind === 'redis' && { redisUs: (((redis1 - redis0) / CLK_TCK) * 1e6) / total }),
        steal: stat1.total > stat0.total ? (100 * (stat1.steal - stat0.steal)) / (stat1.total - stat0.total) : 0,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
      };
    } finally {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      if (kind === 'redis') await dropKeys(prefix);
    }
  }

  function run(url, seconds) {
    return new Promise((done, fail) => {
      autocannon({ url, connections: opts.connections, duration: seconds, requests: [request] }, (err, res) => (err ? fail(err) : done(res)));
    });
  }

  async function ready(url, child) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
      try {
        const res = await fetch(url + '/v1/presence', { method: 'OPTIONS' });
        await res.arrayBuffer();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`server at ${url} did not come up within 20 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async function redisMemory(shape) {
    const { createRedisPresence } = await loadRedisStore();
    const prefix = `kairos-bench-mem-${process.pid}-${Date.now().toString(36)}:`;
    const admin = new Redis(redisUrl);
    const store = createRedisPresence({ url: redisUrl, prefix });
    try {
      await store.ready();
      const used = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
      const before = await used();
      const now = Date.now();
      for (let i = 0; i < shape.viewers; i += 2000) {
        const batch = [];
        for (let j = i; j < Math.min(shape.viewers, i + 2000); j++) batch.push(store.beat(`product:p${j % shape.keys}`, visitorId(), now + Math.floor(j / 10), 600_000));
        await Promise.all(batch);
      }
      const after = await used();
      const keys = await scanKeys(admin, prefix);
      const pipe = admin.pipeline();
      for (const k of keys) pipe.memory('USAGE', k, 'SAMPLES', 0);
      const usage = (await pipe.exec()).reduce((n, [, v]) => n + Number(v), 0);
      const encoding = await admin.object('ENCODING', keys[0]);
      // The store alone: beats issued 100 at a time over its one connection (what a busy server does), in µs.
      const ops = 20_000;
      const next = Array.from({ length: ops }, visitorId);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < ops; i += 100) {
        const batch = [];
        for (let j = i; j < i + 100; j++) batch.push(store.beat(`product:p${j % shape.keys}`, next[j], now + 20_000 + Math.floor(j / 10), 600_000));
        await Promise.all(batch);
      }
      const beatUs = Number(process.hrtime.bigint() - t0) / 1e3 / ops;
      return [
        { store: `Redis, used_memory Δ (${encoding})`, ...shape, bytes: after - before, beatUs },
        { store: `Redis, MEMORY USAGE over the keys (${encoding})`, ...shape, bytes: usage },
      ];
    } finally {
      await store.close();
      await dropKeys(prefix, admin);
      admin.disconnect();
    }
  }

  async function dropKeys(prefix, client) {
    const admin = client ?? new Redis(redisUrl);
    try {
      const keys = await scanKeys(admin, prefix);
      for (let i = 0; i < keys.length; i += 1000) await admin.del(...keys.slice(i, i + 1000));
    } finally {
      if (!client) admin.disconnect();
    }
  }
}

/** server/presence/redis.ts, through tsx the way bin/kairos.js loads the server. */
async function loadRedisStore() {
  if (!redisStoreModule) {
    const { register } = await import('tsx/esm/api');
    register();
    redisStoreModule = await import('../server/presence/redis.ts');
  }
  return redisStoreModule;
}

async function scanKeys(redis, prefix) {
  const keys = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}
