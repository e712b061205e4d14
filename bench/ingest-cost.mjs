#!/usr/bin/env node
// `node bench/ingest-cost.mjs`: where the server's CPU goes for one durable 10-event batch (POST /v1/events), in
// process, without HTTP: JSON.parse, validation (server/events.ts parseBatch: the cheap pre-check, then zod),
// building the rows, and the SQLite store's insert (server/store/sqlite.ts: group commit of 50 batches, one
// SAVEPOINT each, synchronous=FULL), as CPU µs per batch (process.cpuUsage, user + system). Then the same rows
// into a bare table with better-sqlite3, once with no index and once per index of the real schema, so each index's
// share can be read off. The table grows by 50,000 events per round; the last rounds (~200,000–300,000 rows) are
// reported. bench/server.mjs measures the whole request over HTTP; this says why its figure is what it is.
//
// Options: --rounds N (6) --batches N (5000 per round). Pinned to vCPU 0. Prints a markdown section.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';
import * as lib from './lib.mjs';

const BATCH = 10;
const GROUP = 50;

export async function run(options = {}) {
  const rounds = Number(options.rounds ?? 6);
  const perRound = Number(options.batches ?? 5000);
  lib.pinSelf();
  register();
  const { parseBatch, toStoredEvents } = await import('../server/events.ts');
  const { openSqliteStore } = await import('../server/store/sqlite.ts');
  const { default: Database } = await import('better-sqlite3');
  const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-cost-'));

  const names = ['Page Viewed', 'Product Viewed', 'Campaign Shown', 'Experiment Viewed', 'Campaign Dismissed'];
  const body = (round) => {
    const visitor_id = randomBytes(12).toString('base64url');
    const now = Date.now() + round * 1000;
    const events = Array.from({ length: BATCH }, (_, j) => ({
      event_id: randomBytes(12).toString('base64url'),
      ts: now - (BATCH - j) * 1500,
      visitor_id,
      session_id: `s${visitor_id}`,
      type: j === 0 ? 'page' : 'track',
      name: names[j % names.length],
      path: '/products/sku-1',
      ...(j % 5 > 1 && { campaign_id: 'summer-bar' }),
      props: { product_id: 'sku-1', category: 'shirts', price: 25 },
    }));
    return JSON.stringify({ sent_at: now, events });
  };
  const cpu = (fn) => {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    return c.user + c.system;
  };
  const cpuAsync = async (fn) => {
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    return c.user + c.system;
  };

  // 1. The request's own steps, and the real store.
  const steps = { parse: [], validate: [], rows: [], store: [] };
  const store = openSqliteStore(join(dir, 'kairos.db'));
  for (let r = 0; r < rounds; r++) {
    const bodies = Array.from({ length: perRound }, () => body(r));
    steps.parse.push(cpu(() => bodies.forEach((b) => JSON.parse(b))) / perRound);
    let batches;
    steps.validate.push(cpu(() => (batches = bodies.map((b) => parseBatch(b)))) / perRound);
    if (!batches.every((b) => b.ok)) throw new Error('a generated batch did not validate');
    let rows;
    steps.rows.push(cpu(() => (rows = batches.map((b) => toStoredEvents(b.batch, Date.now())))) / perRound);
    steps.store.push(
      (await cpuAsync(async () => {
        for (let i = 0; i < rows.length; i += GROUP) await Promise.all(rows.slice(i, i + GROUP).map((x) => store.insertEvents(x)));
      })) / perRound,
    );
  }
  await store.close();

  // 2. The same rows into a bare table: no index, then one index of the real schema at a time.
  const variants = [
    ['the table alone (rowid, no index)', null],
    ['+ event_id (the dedup key, random)', 'CREATE UNIQUE INDEX i ON events (event_id)'],
    ['+ (visitor_id, ts)', 'CREATE INDEX i ON events (visitor_id, ts)'],
    ['+ (name, ts)', 'CREATE INDEX i ON events (name, ts)'],
    ['+ (campaign_id, ts) partial', 'CREATE INDEX i ON events (campaign_id, ts) WHERE campaign_id IS NOT NULL'],
    ['+ (visitor_id, event_id) instead of event_id', 'CREATE UNIQUE INDEX i ON events (visitor_id, event_id)'],
  ];
  const tableCosts = [];
  for (const [label, index] of variants) {
    const file = join(dir, `bare-${tableCosts.length}.db`);
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE events (event_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL,
      visitor_id TEXT NOT NULL, session_id TEXT NOT NULL, path TEXT, campaign_id TEXT, user_id TEXT, props TEXT) STRICT`);
    if (index) db.exec(index);
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const costs = [];
    for (let r = 0; r < rounds; r++) {
      const batches = Array.from({ length: perRound }, () => JSON.parse(body(r)).events.map((e) => [e.event_id, e.type, e.name, e.ts, Date.now(), e.visitor_id, e.session_id, e.path, e.campaign_id ?? null, null, JSON.stringify(e.props)]));
      costs.push(
        cpu(() => {
          for (let i = 0; i < batches.length; i += GROUP) {
            db.exec('BEGIN IMMEDIATE');
            for (const b of batches.slice(i, i + GROUP)) for (const row of b) insert.run(row);
            db.exec('COMMIT');
          }
        }) / perRound,
      );
    }
    db.close();
    tableCosts.push([label, costs]);
  }
  rmSync(dir, { recursive: true, force: true });

  // Report the last half of the rounds (the table at its largest), median.
  const late = (xs) => lib.median(xs.slice(Math.floor(xs.length / 2)));
  const { fmt } = lib;
  const base = late(tableCosts[0][1]);
  const command = ['node bench/ingest-cost.mjs', ...(options.argv ?? [])].join(' ');
  const lines = [
    '## Server: where a durable 10-event batch goes',
    '',
    `Command: \`${command}\` (also run by \`npm run bench\`). In process, no HTTP, pinned to vCPU 0: ${rounds} rounds of ${fmt(perRound)} batches of ` +
      `${BATCH} events (one visitor each, random 16-character ids, as the widget sends); CPU (user + system, \`process.cpuUsage\`) per batch, median of ` +
      `the last ${rounds - Math.floor(rounds / 2)} rounds (the table then holds ${fmt(Math.floor(rounds / 2) * perRound * BATCH)}–${fmt(rounds * perRound * BATCH)} events). ` +
      `Store: \`openSqliteStore\` as the server opens it (WAL, synchronous=FULL, group commits of ${GROUP} batches). Bare table: the same columns and ` +
      `rows through better-sqlite3 ${lib.packageVersion('better-sqlite3')}, one transaction per ${GROUP} batches, with no index and then with one index at a time. ` +
      `Machine: ${lib.machine()}. Date: ${lib.today()}.`,
    '',
    '| step | CPU µs per batch |',
    '|---|--:|',
    `| \`JSON.parse\` of the body | ${fmt(late(steps.parse), 1)} |`,
    `| \`parseBatch\` (JSON.parse + pre-check + zod) | ${fmt(late(steps.validate), 1)} |`,
    `| \`toStoredEvents\` (rows) | ${fmt(late(steps.rows), 1)} |`,
    `| **the store's insert** (4 B-trees per event: event_id key, (name, ts), (visitor_id, ts), (campaign_id, ts)) | **${fmt(late(steps.store), 1)}** |`,
    '',
    '| bare table | CPU µs per batch | over the table alone |',
    '|---|--:|--:|',
    ...tableCosts.map(([label, costs], i) => `| ${label} | ${fmt(late(costs), 1)} | ${i === 0 ? '—' : `+${fmt(late(costs) - base, 1)}`} |`),
    '',
  ];
  return lines.join('\n') + '\n';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, batches: { type: 'string' } } });
  console.log(await run({ ...values, argv: process.argv.slice(2) }));
}
