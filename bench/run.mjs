#!/usr/bin/env node
// `npm run bench`: runs the benchmarks and rewrites bench/RESULTS.md with their figures, each section with the
// command that made it, the machine and the date.
//
//   size      bench/size.mjs      what shoppers download, per file and per kind of page, against the budgets
//   browser   bench/browser.mjs   page cost (CDP ScriptDuration, TaskDuration, heap, long tasks, layout shift) and
//                                 bytes, side by side with Formbricks, PostHog, Plausible and ouibounce
//   server    bench/server.mjs    GET /v1/config (304) and POST /v1/events against bare node:http
//   cost      bench/ingest-cost.mjs  where a durable 10-event batch's server CPU goes (parse, zod, store, each index)
//   with --all, also:
//   ingest    bench/ingest.mjs    event ingest on SQLite / PostgreSQL, one and three instances
//   presence  bench/presence.mjs  "n viewing now" heartbeats, in process and on Redis; memory per viewer
//   report    bench/report.mjs    the report over 1,000,000 events
//
// Options: --only a,b (sections by name) --all --no-build. ~15 min by default, ~30 min with --all. A section not
// run this time is kept in RESULTS.md as it was (it names its own date). Exits 1 when a size budget is exceeded.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as lib from './lib.mjs';

const { values } = parseArgs({ options: { only: { type: 'string' }, all: { type: 'boolean', default: false }, 'no-build': { type: 'boolean', default: false } } });
const DEFAULT = ['size', 'browser', 'server', 'cost'];
const ALL = [...DEFAULT, 'ingest', 'presence', 'report'];
const chosen = values.only ? values.only.split(',') : values.all ? ALL : DEFAULT;
for (const name of chosen) if (!ALL.includes(name)) throw new Error(`unknown benchmark "${name}"; one of ${ALL.join(', ')}`);

const file = join(lib.root, 'bench', 'RESULTS.md');
const sections = [];
let failed = false;

for (const name of ALL.filter((n) => chosen.includes(n))) {
  const t0 = Date.now();
  console.error(`\n=== ${name} ===`);
  if (name === 'size') {
    const { run } = await import('./size.mjs');
    const { markdown, over } = run({ build: !values['no-build'] });
    if (over.length) failed = true;
    sections.push(markdown);
  } else if (name === 'browser') {
    const { run } = await import('./browser.mjs');
    sections.push(await run({}));
  } else if (name === 'server') {
    const { run } = await import('./server.mjs');
    sections.push(await run({}));
  } else if (name === 'cost') {
    const { run } = await import('./ingest-cost.mjs');
    sections.push(await run({}));
  } else {
    // The older benches are scripts printing progress and then one markdown section.
    const out = execFileSync(process.execPath, [join(lib.root, 'bench', `${name}.mjs`)], { cwd: lib.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const at = out.search(/^## /m);
    if (at < 0) throw new Error(`bench/${name}.mjs printed no section`);
    sections.push(out.slice(at));
  }
  console.error(`=== ${name}: ${Math.round((Date.now() - t0) / 1000)} s ===`);
}

// Merge: a section whose heading is produced now replaces the old one; the rest stay, in their order.
const split = (text) => {
  const parts = text.split(/^(?=## )/m);
  return { preamble: parts[0].startsWith('## ') ? '' : parts.shift(), parts };
};
const heading = (s) => s.slice(0, s.indexOf('\n')).trim();
const old = existsSync(file) ? split(readFileSync(file, 'utf8')) : { preamble: '', parts: [] };
const fresh = new Map(sections.flatMap((s) => split(s.trim() + '\n').parts).map((s) => [heading(s), s.trim() + '\n']));
const merged = old.parts.map((s) => fresh.get(heading(s)) ?? s.trim() + '\n');
for (const [h, s] of fresh) if (!old.parts.some((p) => heading(p) === h)) merged.push(s);
const ORDER = ['## Widget size', '## Browser', '## Bytes', '## Server: config', '## Server: where', '## Ingest', '## Presence', '## Report'];
const rank = (s) => ((i) => (i < 0 ? ORDER.length : i))(ORDER.findIndex((p) => s.startsWith(p)));
merged.sort((a, b) => rank(a) - rank(b));

const preamble = [
  '# Benchmark results',
  '',
  'Method: `../shared/research/performance.md` (medians of fresh-browser runs, main-thread CPU from CDP; server and load',
  'generator pinned to one vCPU with `taskset -c 0`; peers measured with the same commands in the same run). Written by',
  '`npm run bench` (`bench/run.mjs`); each section names the command that made it, the machine and the date.',
  `Last run: \`npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}\` on ${lib.today()}, ${lib.machine()} ` +
    `(sections: ${chosen.join(', ')}).`,
  '',
].join('\n');
writeFileSync(file, preamble + '\n' + merged.join('\n'));
console.error(`\nwrote ${file}`);
if (failed) process.exitCode = 1;
