#!/usr/bin/env node
// `npm run bench`: builds the widget and reports what shoppers download — raw, gzip and brotli bytes of every
// file in dist/widget — against the budgets in PRODUCT.md. The other benchmarks are scripts of their own for now
// (bench/presence.mjs, bench/report.mjs, bench/ingest.mjs; issue 11 gathers them here with load-time CPU); results
// go to bench/RESULTS.md with the command and the machine.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist', 'widget');

if (!process.argv.includes('--no-build')) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });

const KB = 1024;
const LAZY = {
  'targeting-': 'rule engine, when a campaign has an audience',
  'exit-intent-': 'exit-intent trigger, when a campaign uses it',
  'debug-': 'debug explanations and preview, only with ?kairos_debug / ?kairos_preview',
  'cart-reminder-': 'one campaign UI, when it shows',
  'cart-': 'cart adapters (datalayer, shopify, woocommerce), when the config uses one',
  'dialog-': 'shared by modal campaigns (accessible dialog shell)',
  'copy-': 'shared by campaign UIs (merge tags, plurals, money)',
  'presence-': 'presence heartbeats and the viewers trigger, where a campaign uses it',
  'proof-': 'shared by the social-proof cards',
  'bar-': 'shared by the bars (edges, safe areas, push)',
  'scope-': 'shared by lazy triggers (trigger bookkeeping)',
  'pages-': 'shared by lazy chunks (page globs)',
  'safe-': 'the error boundary, shared by the UI runtime and lazy chunks',
  'triggers-': 'every trigger but page_load, exit intent and viewers, where a campaign uses one',
  'inactivity-': 'shared by lazy triggers (the inactivity trigger, also part of mobile exit intent)',
  'cmp-': 'IAB TCF v2 consent, only with privacy.consent: cmp',
  'prefs-': 'the preference centre: opens the panel, syncs an identified shopper’s choice',
  'preferences-panel-': 'the preference panel, when the shopper opens it',
};
const what = (f) =>
  f.startsWith('ui-runtime-') ? 'UI runtime (Preact), once per page' : (Object.entries(LAZY).find(([p]) => f.startsWith(p))?.[1] ?? 'one campaign UI, when it shows');
const files = [
  ['kairos.js', 'engine, loaded by every page', 8 * KB],
  ...readdirSync(join(dist, 'kairos-ui'))
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => [`kairos-ui/${f}`, what(f), f.startsWith('ui-runtime-') ? 7 * KB : 4 * KB]),
];

const rows = files.map(([file, what, budget]) => {
  const buf = readFileSync(join(dist, file));
  const br = brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { file, what, raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length, br, budget };
});

const fmt = (n) => (n / KB).toFixed(2) + ' KB';
console.log(`\nwidget size — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}\n`);
console.log('| file | what | raw | gzip -9 | brotli -11 | budget (brotli) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows)
  console.log(`| \`${r.file.replace(/-[A-Za-z0-9_-]{6,8}\.js$/, '-*.js')}\` | ${r.what} | ${fmt(r.raw)} | ${fmt(r.gzip)} | ${fmt(r.br)} | ${fmt(r.budget)}${r.br > r.budget ? ' **over**' : ''} |`);
const over = rows.filter((r) => r.br > r.budget);
if (over.length) process.exitCode = 1;
