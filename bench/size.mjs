#!/usr/bin/env node
// `node bench/size.mjs [--no-build]`: what shoppers download — raw, gzip -9 and brotli -11 bytes of every file in
// dist/widget — against the budgets in PRODUCT.md, and what each kind of page loads in total. Builds first unless
// --no-build. Prints a markdown section; exits 1 when a file is over its budget (test/size.test.ts is the gate in
// npm test). bench/run.mjs imports run().
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist', 'widget');


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
const version = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

export function run({ build = true } = {}) {
  if (build) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
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
  const short = (f) => f.replace(/-[A-Za-z0-9_-]{6,8}\.js$/, '-*.js');
  const lines = [
    '## Widget size',
    '',
    `Command: \`node bench/size.mjs\` (also run by \`npm run bench\`; builds, then raw / gzip -9 / brotli -11 bytes of every file in ` +
      `\`dist/widget\`). Machine: ${cpus().length} vCPU ${cpus()[0]?.model?.trim() ?? 'unknown CPU'}, Node ${process.version}, Vite ${version('vite')}, ` +
      `Preact ${version('preact')}. Date: ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| file | what | raw | gzip -9 | brotli -11 | budget (brotli) |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| \`${short(r.file)}\` | ${r.what} | ${fmt(r.raw)} | ${fmt(r.gzip)} | ${fmt(r.br)} | ${fmt(r.budget)}${r.br > r.budget ? ' **over**' : ''} |`),
    '',
  ];
  // What each kind of page loads, from the files' own imports (the chunks a campaign's module pulls in).
  const sum = (names) => {
    const picked = rows.filter((r) => names.some((n) => short(r.file) === n));
    return { files: picked.map((r) => short(r.file).replace('kairos-ui/', '')), gzip: picked.reduce((n, r) => n + r.gzip, 0), br: picked.reduce((n, r) => n + r.br, 0) };
  };
  const pages = [
    ['nothing shows', ['kairos.js']],
    ['an announcement bar shows', ['kairos.js', 'kairos-ui/ui-runtime-*.js', 'kairos-ui/safe-*.js', 'kairos-ui/bar-*.js', 'kairos-ui/copy-*.js', 'kairos-ui/announcement-bar-*.js']],
    ['the exit offer shows', ['kairos.js', 'kairos-ui/exit-intent-*.js', 'kairos-ui/inactivity-*.js', 'kairos-ui/scope-*.js', 'kairos-ui/ui-runtime-*.js', 'kairos-ui/safe-*.js', 'kairos-ui/dialog-*.js', 'kairos-ui/copy-*.js', 'kairos-ui/exit-offer-*.js']],
  ];
  lines.push('| a page where … | files | gzip -9 | brotli -11 |', '|---|---|--:|--:|');
  for (const [what, names] of pages) {
    const t = sum(names);
    lines.push(`| ${what} | ${t.files.join(' + ')} | ${fmt(t.gzip)} | ${fmt(t.br)} |`);
  }
  const engine = rows[0];
  lines.push(
    '',
    `- Budgets: engine ≤ 8 KB brotli and < 10 KB gzip (Shopify's threshold): **${fmt(engine.br)} brotli (${engine.br} B), ${fmt(engine.gzip)} gzip** — ` +
      `${engine.br <= 8 * KB && engine.gzip < 10_000 ? 'met' : '**not met**'}; UI runtime ≤ 7 KB brotli; each campaign's UI ≤ 4 KB brotli: ` +
      `${rows.every((r) => r.br <= r.budget) ? 'every file within its budget' : `**over**: ${rows.filter((r) => r.br > r.budget).map((r) => short(r.file)).join(', ')}`}.`,
  );
  return { markdown: lines.join('\n') + '\n', over: rows.filter((r) => r.br > r.budget) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { markdown, over } = run({ build: !process.argv.includes('--no-build') });
  console.log(markdown);
  if (over.length) process.exitCode = 1;
}
