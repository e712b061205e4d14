// What the server benchmarks share (bench/server.mjs, bench/ingest.mjs, bench/presence.mjs): starting servers
// pinned to vCPU 0 and waiting for them, procfs CPU and steal accounting, medians, the machine's description.
// Method: shared/research/performance.md §3 — server and load generator on the same vCPU (`taskset -c 0`), server
// CPU = utime + stime from procfs ÷ requests, steal % from the aggregate line of /proc/stat.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
/** A desktop Chrome user agent: the server's bot filter would leave autocannon's own out of some counts. */
export const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Pins this process (every thread: autocannon's generator runs here) to vCPU 0, where the servers run too. */
export function pinSelf() {
  execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
}

export function freePort() {
  return new Promise((done, fail) => {
    const s = createNetServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

/**
 * The real server, `bin/kairos.js serve --no-demo`, on vCPU 0. `env` is added to a copy of this process's
 * environment with the scale-out variables removed (a bench says which store it uses).
 */
export function spawnKairos({ port, configFile, dbFile, env = {} }) {
  const childEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const k of ['DATABASE_URL', 'KAIROS_DB_SCHEMA', 'REDIS_URL', 'KAIROS_SECRET', 'KAIROS_RATE_LIMIT']) delete childEnv[k];
  Object.assign(childEnv, env);
  const args = ['serve', '--no-demo', '--host', '127.0.0.1', '--port', String(port), '--config', configFile, '--db', dbFile];
  return pinned(join(root, 'bin', 'kairos.js'), args, childEnv);
}

/** A bench script's own internal mode (e.g. `--baseline-server PORT`), on vCPU 0. */
export function spawnScript(file, args) {
  return pinned(file, args, process.env);
}

function pinned(file, args, env) {
  const child = spawn('taskset', ['-c', '0', process.execPath, file, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.resume();
  child.exited = new Promise((done) => child.once('exit', done));
  return child;
}

/** Waits until `url` answers (any status) or the child exits; 30 s at most. */
export async function ready(url, child) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url, { method: 'OPTIONS' });
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`server at ${url} did not come up within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** SIGTERM (SIGKILL after 15 s) and wait. */
export async function stop(children) {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const t = setTimeout(() => children.forEach((ch) => ch.kill('SIGKILL')), 15_000);
  await Promise.all(children.map((ch) => ch.exited));
  clearTimeout(t);
}

/** utime + stime of a process, in clock ticks. */
export function procCpu(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** utime + stime of every process whose name is `name` or starts with `name:` (e.g. the postgres cluster), by pid. */
export function processesCpu(name) {
  const out = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm === name || comm.startsWith(`${name}:`)) out.set(pid, procCpu(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU ticks used between two processesCpu() readings by the processes alive at the second (new ones from 0). */
export function cpuDelta(before, after) {
  let n = 0;
  for (const [pid, ticks] of after) n += ticks - (before.get(pid) ?? 0);
  return n;
}

/** The aggregate cpu line of /proc/stat: steal and total ticks. */
export function stealTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { steal: line[7] ?? 0, total: line.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/** Steal % between two stealTicks() readings. */
export function stealPercent(a, b) {
  return b.total > a.total ? (100 * (b.steal - a.steal)) / (b.total - a.total) : 0;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export const fmt = (n, d = 0) => n.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d });

export function packageVersion(name) {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** "2 vCPU AMD EPYC …, 24 GiB, Node v20.…" */
export function machine() {
  const cpu = cpus();
  return `${cpu.length} vCPU ${cpu[0]?.model?.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export const today = () => new Date().toISOString().slice(0, 10);

/**
 * A widget's event batches, as POST /v1/events bodies: one visitor (of `visitors`) per batch, `size` events — page
 * and product views, a campaign shown and dismissed, an experiment exposure (what a page or two of a shopping
 * session sends) — with event ids unique across the run, so every batch stores `size` new rows.
 */
export function eventBatches({ size = 10, visitors = 100_000 } = {}) {
  const runId = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x');
  let counter = 0;
  const ids = Array.from({ length: visitors }, () => randomBytes(12).toString('base64url'));
  const products = Array.from({ length: 200 }, (_, i) => ({ id: `sku-${i}`, category: `cat-${i % 12}`, price: 5 + (i % 40) * 2.5 }));
  const templates = [
    (p) => ({ type: 'page', name: 'Page Viewed', path: `/products/${p.id}` }),
    (p) => ({ type: 'track', name: 'Product Viewed', path: `/products/${p.id}`, props: { product_id: p.id, category: p.category, price: p.price } }),
    () => ({ type: 'track', name: 'Campaign Shown', path: '/', campaign_id: 'summer-bar', props: { type: 'announcement_bar', trigger: 'page_load' } }),
    () => ({ type: 'track', name: 'Experiment Viewed', path: '/', campaign_id: 'summer-bar', props: { variant: 'b' } }),
    () => ({ type: 'track', name: 'Campaign Dismissed', path: '/', campaign_id: 'summer-bar', props: { ms: 4200 } }),
  ];
  return () => {
    const v = Math.floor(Math.random() * ids.length);
    const visitor_id = ids[v];
    const now = Date.now();
    const events = [];
    for (let j = 0; j < size; j++)
      events.push({ event_id: `${runId}${(++counter).toString(36)}`, ts: now - (size - j) * 1500, visitor_id, session_id: `s${visitor_id}`, ...templates[j % templates.length](products[(v + j) % products.length]) });
    return JSON.stringify({ sent_at: now, events });
  };
}
