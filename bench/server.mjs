#!/usr/bin/env node
// `node bench/server.mjs`: the two requests every shop page makes of the server, each against a bare node:http
// server answering the same request in the same run (issue 11; PRODUCT.md asks for ≥ 0.5× the bare server):
//
//   GET  /v1/config, revalidated: If-None-Match with the current ETag → 304 (what every repeat page view sends)
//   POST /v1/events, a 10-event batch (2.2 KB, text/plain), answered only once the batch is durable in SQLite
//
// Kairos is the real server (`bin/kairos.js serve --no-demo --config demo/kairos.yaml`, a fresh SQLite file per
// measurement, LOG_LEVEL=warn) with its per-client write limit ON but raised so one load generator is not refused
// (KAIROS_RATE_LIMIT=100000000: every POST still pays for the client hash and the bucket). Requests carry an Origin
// the config allows, so the CORS check runs as it does for a shop on its own domain. The baseline is a bare
// node:http server (this file, --baseline-server) that answers the same requests: GET /v1/config with the same JSON
// bytes and ETag (304 on a match), POST /v1/events by reading and JSON-parsing the body and answering
// {"accepted":10,"duplicates":0} — no validation, no storage.
//
// Method as in shared/research/performance.md §3: autocannon (programmatic), 50 connections, 2 s warm-up
// discarded + 10 s measured, a fresh server per measurement, server and generator pinned to vCPU 0
// (`taskset -c 0`), four cases per round in rotating order, ratios taken within a round and their median reported;
// server CPU = utime + stime (procfs) ÷ requests; steal % from /proc/stat. Every POST's events are counted in the
// database after the server stops: every acknowledged event must be stored.
//
// Options: --rounds N (5) --duration S (10) --warmup S (2) --connections N (50) --only config|events.
// Standalone it prints a markdown section; bench/run.mjs imports run().
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as lib from './lib.mjs';

const self = fileURLToPath(import.meta.url);
const ORIGIN = 'https://shop.example';
const BATCH = 10;

if (process.argv[2] === '--baseline-server') baselineServer(Number(process.argv[3]), process.argv[4], process.argv[5]);
else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      only: { type: 'string' },
    },
  });
  console.log(await run({ ...values, argv: process.argv.slice(2) }));
}

/** The floor: the same answers, nothing else. Config body and ETag are Kairos' own, passed by the parent. */
function baselineServer(port, etag, bodyBase64) {
  const configBody = Buffer.from(bodyBase64, 'base64');
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/config') {
      const headers = { ETag: etag, 'Cache-Control': 'no-cache', Vary: 'Origin' };
      if (req.headers.origin) headers['Access-Control-Allow-Origin'] = req.headers.origin;
      if (req.headers['if-none-match'] === etag) return res.writeHead(304, headers).end();
      return res.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Content-Length': configBody.length }).end(configBody);
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (req.method !== 'POST' || req.url !== '/v1/events' || !Array.isArray(body.events)) throw new Error('bad request');
        const answer = JSON.stringify({ accepted: body.events.length, duplicates: 0 });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer), Vary: 'Origin', 'Access-Control-Allow-Origin': ORIGIN });
        res.end(answer);
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.listen(port, '127.0.0.1', () => console.log('listening'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

export async function run(options = {}) {
  const opts = {
    rounds: Number(options.rounds ?? 5),
    duration: Number(options.duration ?? 10),
    warmup: Number(options.warmup ?? 2),
    connections: Number(options.connections ?? 50),
  };
  const only = options.only ? new Set(String(options.only).split(',')) : null;
  const { default: autocannon } = await import('autocannon');
  const { default: Database } = await import('better-sqlite3');
  lib.pinSelf();

  // The demo shop's config (every campaign type) in a temp dir, with the shop's origin allowed.
  const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-server-'));
  cpSync(join(lib.root, 'demo', 'coupons'), join(dir, 'coupons'), { recursive: true });
  for (const f of ['kairos.yaml', 'weather.json']) copyFileSync(join(lib.root, 'demo', f), join(dir, f));
  const yaml = readFileSync(join(dir, 'kairos.yaml'), 'utf8').replace('allowed_origins: []', `allowed_origins: ["${ORIGIN}"]`);
  writeFileSync(join(dir, 'kairos.yaml'), yaml);
  const configFile = join(dir, 'kairos.yaml');

  // --- the requests ---
  const batch = lib.eventBatches({ size: BATCH });
  const sampleBytes = Buffer.byteLength(batch());

  // Kairos' config answer, fetched once from a real server: the baseline serves the same bytes and ETag.
  const probe = await startKairos('probe');
  const first = await fetch(`${probe.url}/v1/config`, { headers: { Origin: ORIGIN } });
  const configBody = Buffer.from(await first.arrayBuffer());
  const etag = first.headers.get('etag');
  await lib.stop([probe.child]);
  if (first.status !== 200 || !etag) throw new Error(`GET /v1/config answered ${first.status} without an ETag`);

  const requests = {
    config: { method: 'GET', path: '/v1/config', headers: { origin: ORIGIN, 'if-none-match': etag, 'user-agent': lib.UA }, expect: 304 },
    events: {
      method: 'POST',
      path: '/v1/events',
      headers: { origin: ORIGIN, 'content-type': 'text/plain', 'user-agent': lib.UA },
      setupRequest: (req) => ({ ...req, body: batch() }),
      expect: 200,
    },
  };
  const cases = [
    { key: 'config-bare', path: 'config', server: 'bare', name: 'GET /v1/config → 304, bare node:http' },
    { key: 'config-kairos', path: 'config', server: 'kairos', name: 'GET /v1/config → 304, Kairos' },
    { key: 'events-bare', path: 'events', server: 'bare', name: `POST /v1/events (${BATCH} events), bare node:http (parse, answer)` },
    { key: 'events-kairos', path: 'events', server: 'kairos', name: `POST /v1/events (${BATCH} events), Kairos (validate, store durably in SQLite)` },
  ].filter((c) => !only || only.has(c.path));
  const results = new Map(cases.map((c) => [c.key, []]));

  console.error(`server bench: ${opts.rounds} round(s) × ${cases.length} cases, ${opts.connections} connections, ${opts.warmup} s + ${opts.duration} s; servers and generator on vCPU 0`);
  try {
    for (let round = 0; round < opts.rounds; round++) {
      for (let i = 0; i < cases.length; i++) {
        const c = cases[(i + round) % cases.length];
        const r = await measure(c);
        results.get(c.key).push(r);
        console.error(
          `  round ${round + 1} ${c.key.padEnd(13)} ${lib.fmt(r.rps).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  server ${r.cpuUs.toFixed(1)} µs/req  ` +
            `steal ${r.steal.toFixed(1)} %  unexpected ${r.unexpected}${r.stored !== undefined ? `  stored ${lib.fmt(r.stored)}/${lib.fmt(r.acked)}` : ''}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // --- report ---
  const { fmt, median } = lib;
  const command = ['node bench/server.mjs', ...(options.argv ?? [])].join(' ');
  const lines = [
    '## Server: config revalidation and event ingest against bare node:http',
    '',
    `Command: \`${command}\` (also run by \`npm run bench\`). ${opts.rounds} rounds × ${cases.length} cases, ${opts.connections} connections, ` +
      `${opts.warmup} s warm-up discarded + ${opts.duration} s measured, a fresh server (and SQLite file) per measurement, cases in rotating order. ` +
      `Kairos: \`bin/kairos.js serve --no-demo --config demo/kairos.yaml\` (the demo's ${configBody.length}-byte public config, the shop's origin ` +
      `allowed), \`LOG_LEVEL=warn\`, the write limit on but raised (\`KAIROS_RATE_LIMIT=100000000\`). Requests: \`GET /v1/config\` with ` +
      `\`If-None-Match\` = the current ETag and an \`Origin\`; \`POST /v1/events\`, \`text/plain\`, ${BATCH} events (${sampleBytes} bytes: page and ` +
      `product views, a campaign shown and dismissed, an experiment exposure) of one of 100,000 visitors, ids unique across the run. Baseline: a bare ` +
      `\`node:http\` server answering the same requests (same config bytes and ETag, 304 on a match; the POST body read, JSON-parsed, answered ` +
      `\`{"accepted":10,"duplicates":0}\`). Server and autocannon ${lib.packageVersion('autocannon')} both pinned with \`taskset -c 0\`. ` +
      `Ratio: Kairos ÷ baseline within each round, median over rounds. Server CPU: utime + stime (procfs) ÷ requests. ` +
      `Machine: ${lib.machine()}. Date: ${lib.today()}.`,
    '',
    '| case | req/s median (min–max) | ratio to bare | p50 ms | p99 ms | server CPU µs / request | ⇒ req/s per core | steal % | unexpected answers | stored / acknowledged events | rounds |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  const ratios = {};
  for (const c of cases) {
    const rs = results.get(c.key);
    const rps = rs.map((r) => r.rps);
    const bare = c.server === 'kairos' ? results.get(`${c.path}-bare`) : null;
    const ratio = bare ? median(rs.map((r, i) => r.rps / bare[i].rps)) : 1;
    if (bare) ratios[c.path] = ratio;
    const cpuUs = median(rs.map((r) => r.cpuUs));
    const stored = rs[0].stored !== undefined ? `${fmt(rs.reduce((n, r) => n + r.stored, 0))} / ${fmt(rs.reduce((n, r) => n + r.acked, 0))}` : '—';
    lines.push(
      `| ${c.name} | ${fmt(median(rps))} (${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))}) | ${bare ? `**${fmt(ratio, 2)}**` : '1.00'} | ` +
        `${fmt(median(rs.map((r) => r.p50)), 1)} | ${fmt(median(rs.map((r) => r.p99)), 1)} | ${fmt(cpuUs, 1)} | ${fmt(1e6 / cpuUs)} | ` +
        `${fmt(median(rs.map((r) => r.steal)), 1)} | ${rs.reduce((n, r) => n + r.unexpected, 0)} | ${stored} | ${rs.length} |`,
    );
  }
  lines.push('');
  for (const [path, ratio] of Object.entries(ratios))
    lines.push(`- Budget (PRODUCT.md, issue 11): ${path === 'config' ? '`GET /v1/config` 304' : '`POST /v1/events`'} ≥ 0.50× bare: **${fmt(ratio, 2)}×**, ${ratio >= 0.5 ? 'met' : `**not met** (short by ${fmt(0.5 - ratio, 2)})`}.`);
  if (ratios.events !== undefined)
    lines.push(`- Where a POST's server CPU goes (parse, zod, the store's insert, each index): "Server: where a durable 10-event batch goes" (\`node bench/ingest-cost.mjs\`).`);
  return lines.join('\n') + '\n';

  // --- helpers (closures over opts) ---

  async function startKairos(tag) {
    const port = await lib.freePort();
    const dbFile = join(dir, `${tag}-${port}.db`);
    const child = lib.spawnKairos({ port, configFile, dbFile, env: { KAIROS_RATE_LIMIT: '100000000' } });
    const url = `http://127.0.0.1:${port}`;
    await lib.ready(`${url}/v1/events`, child);
    return { child, url, dbFile };
  }

  async function startBare() {
    const port = await lib.freePort();
    const child = lib.spawnScript(self, ['--baseline-server', String(port), etag, configBody.toString('base64')]);
    const url = `http://127.0.0.1:${port}`;
    await lib.ready(`${url}/v1/events`, child);
    return { child, url };
  }

  async function measure(c) {
    const server = c.server === 'kairos' ? await startKairos(c.key) : await startBare();
    const request = requests[c.path];
    try {
      // One answer checked by hand.
      const check = request.method === 'GET'
        ? await fetch(server.url + request.path, { headers: request.headers })
        : await fetch(server.url + request.path, { method: 'POST', headers: request.headers, body: batch() });
      const text = await check.text();
      if (check.status !== request.expect || (c.path === 'events' && JSON.parse(text).accepted !== BATCH))
        throw new Error(`${c.key}: unexpected answer ${check.status} ${text}`);

      const warm = await load(server.url, request, opts.warmup);
      const cpu0 = lib.procCpu(server.child.pid);
      const st0 = lib.stealTicks();
      const r = await load(server.url, request, opts.duration);
      const st1 = lib.stealTicks();
      const cpu1 = lib.procCpu(server.child.pid);
      const expected = (res) => res.statusCodeStats?.[String(request.expect)]?.count ?? 0;
      const unexpected = (res) => res.requests.total - expected(res) + res.errors + res.timeouts;
      const out = {
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        cpuUs: (((cpu1 - cpu0) / lib.CLK_TCK) * 1e6) / r.requests.total,
        steal: lib.stealPercent(st0, st1),
        unexpected: Math.max(0, unexpected(r)) + Math.max(0, unexpected(warm)),
      };
      if (c.server === 'kairos' && c.path === 'events') {
        out.acked = (1 + expected(warm) + expected(r)) * BATCH;
        await lib.stop([server.child]);
        const db = new Database(server.dbFile, { readonly: true, fileMustExist: true });
        try {
          out.stored = db.prepare('SELECT count(*) AS n FROM events').get().n;
        } finally {
          db.close();
        }
      }
      return out;
    } finally {
      await lib.stop([server.child]);
      if (server.dbFile) for (const suffix of ['', '-wal', '-shm', '.secret']) rmSync(server.dbFile + suffix, { force: true });
    }
  }

  function load(url, request, seconds) {
    const { expect: _expect, ...req } = request;
    return new Promise((done, fail) => {
      autocannon({ url, connections: opts.connections, duration: seconds, requests: [req] }, (err, res) => (err ? fail(err) : done(res)));
    });
  }
}
