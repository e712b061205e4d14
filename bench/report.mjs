#!/usr/bin/env node
// `node bench/report.mjs`: how long the report takes on a large store. Fills a fresh SQLite database (the server's
// own schema, via server/store/sqlite.ts) with N events spread over 30 days — shoppers who view pages, see
// campaigns (three of them A/B tests with a holdout), click, dismiss, leave, change preferences and order — then
// times makeReport (server/report/index.ts: counting in SQLite, then server/report/aggregate.ts) in-process, median of
// several runs, and `bin/kairos.js report --format json` end to end (a fresh process: tsx start-up, config, store,
// report, JSON out) with the CLI's own wall time.
//
// Options: --events N (1000000) --mix realistic|campaigns (realistic: 40 % page views and other shop events the
//          report skips; campaigns: every event is one the report reads, the worst case) --runs N (5) --keep.
// Not part of npm test. Results: bench/RESULTS.md, "Report".
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

register();
const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    mix: { type: 'string', default: 'realistic' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(values.events);
const RUNS = Number(values.runs);
const { openSqliteStore } = await import('../server/store/sqlite.ts');
const { makeReport } = await import('../server/report/index.ts');
const { loadConfigFile } = await import('../server/config.ts');

const dir = mkdtempSync(join(tmpdir(), 'kairos-report-bench-'));
const dbFile = join(dir, 'kairos.db');
const configFile = join(dir, 'kairos.yaml');
const CAMPAIGNS = ['welcome', 'exit', 'bar', 'reminder', 'proof', 'countdown', 'shipping', 'newsletter'];
writeFileSync(
  configFile,
  `auto_pause: { min_impressions: 1000, max_irritation_rate: 0.5 }
campaigns:
${CAMPAIGNS.map(
  (id, i) => `  - id: ${id}
    type: modal
    content: { headline: Hello }
${i < 3 ? `    holdout_percent: 10\n    variants: [{ id: a }, { id: b }]\n` : ''}`,
).join('')}`,
);

// --- the data -------------------------------------------------------------------------------------------------

let seed = 42;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const pick = (list) => list[Math.floor(random() * list.length)];
const DAY = 86_400_000;
const now = Date.now();
const start = now - 30 * DAY;

const fill = () => {
  const store = openSqliteStore(dbFile, { synchronous: 'normal' });
  return store.close();
};
await fill();
const { default: Database } = await import('better-sqlite3');
const db = new Database(dbFile);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
const insert = db.prepare(
  `INSERT INTO events (event_id, type, name, ts, received_at, visitor_id, session_id, path, campaign_id, user_id, props)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
);
const campaignsMix = values.mix === 'campaigns';
// Generated per shopper, then written in time order, as a live server receives them (rowid follows ts).
const events = [];
let written = 0;
let id = 0;
const t0 = performance.now();
{
  while (written < N) {
    // One shopper's visit: a few page views, a campaign or two, sometimes an order.
    const visitor = 'v' + (id++).toString(36).padStart(8, '0');
    let ts = start + Math.floor(random() * 30 * DAY);
    const add = (type, name, campaign, props) => {
      if (written >= N) return;
      events.push([type, name, ts, visitor, campaign, props ? JSON.stringify(props) : null]);
      written++;
      ts += 1000 + Math.floor(random() * 20_000);
    };
    const pages = campaignsMix ? 0 : 2 + Math.floor(random() * 3);
    for (let i = 0; i < pages; i++) add('page', 'Page Viewed', null, { title: 'Product' });
    for (let k = 0; k < 2; k++) {
      const c = pick(CAMPAIGNS);
      // The arms as the config splits them (10 / 45 / 45 %), so the sample-ratio check stays quiet.
      const arm = CAMPAIGNS.indexOf(c) < 3 ? (random() < 0.1 ? 'holdout' : random() < 0.5 ? 'a' : 'b') : undefined;
      if (arm) add('track', 'Experiment Viewed', c, { variant: arm });
      if (arm === 'holdout') continue; // held out: shown nothing
      add('track', 'Campaign Shown', c, { type: 'modal', trigger: 'page_load' });
      const r = random();
      if (r < 0.1) add('track', 'Campaign Clicked', c, { type: 'modal', url: '/sale' });
      else if (r < 0.5) add('track', 'Campaign Dismissed', c, { type: 'modal', ms: Math.floor(random() * 8000) });
      else if (r < 0.55) add('track', 'Campaign Left', c, { ms: 4000 });
      else if (r < 0.56) add('track', 'Preferences Changed', c, { level: 'fewer', off: '' });
    }
    if (random() < 0.08) add('track', 'Order Completed', null, { order_id: 'o' + id, revenue: 20 + Math.floor(random() * 200) });
  }
}
events.sort((a, b) => a[2] - b[2]);
db.transaction(() => {
  events.forEach(([type, name, ts, visitor, campaign, props], i) =>
    insert.run(`e${i.toString(36)}`, type, name, ts, ts, visitor, 's' + visitor, '/products/p1', campaign, props),
  );
})();
events.length = 0;
db.close();
const fillSecs = ((performance.now() - t0) / 1000).toFixed(1);

// --- the measurements -----------------------------------------------------------------------------------------

const loaded = await loadConfigFile(configFile);
if (!loaded.ok) throw new Error('bench config is broken');
const store = openSqliteStore(dbFile);
const times = [];
let report;
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  report = await makeReport(store, loaded.config, { days: 30, now });
  times.push(performance.now() - t);
}
await store.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cli = [];
for (let i = 0; i < Math.min(RUNS, 3); i++) {
  const t = performance.now();
  execFileSync(process.execPath, [join(root, 'bin', 'kairos.js'), 'report', '--db', dbFile, '--config', configFile, '--format', 'json'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cli.push(performance.now() - t);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`## Report

Command: \`node bench/report.mjs --events ${N} --mix ${values.mix}\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpu}, Node ${process.version}).
${N.toLocaleString('en')} events over 30 days written straight into a fresh database with the server's schema (${fillSecs} s);
${report.events_read.toLocaleString('en')} of them are events the report reads (${values.mix} mix), ${report.campaigns.length} campaigns, 3 with an A/B test and a holdout.

| what | median | runs |
|---|---:|---|
| \`makeReport\` in-process (counted in SQLite, assembled in JS) | ${(median(times) / 1000).toFixed(2)} s | ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} |
| \`kairos report --format json\` (new process: start-up, config, store, report) | ${(median(cli) / 1000).toFixed(2)} s | ${cli.map((t) => (t / 1000).toFixed(2)).join(', ')} |
`);
if (values.keep) console.log(`kept: ${dbFile} ${configFile}`);
else rmSync(dir, { recursive: true, force: true });
