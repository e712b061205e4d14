#!/usr/bin/env node
// `npm test`: every suite, one verdict. Steps:
//   1. find (or, on a fresh root machine, install) Chromium via test/browser.ts, and pass it on as CHROMIUM_PATH;
//   2. `tsc --noEmit` (a type error counts as one failure), then `npm run build` (the browser specs load the
//      built widget from dist/);
//   3. unit/integration tests: vitest (test/**/*.test.ts), output streamed, JSON report parsed;
//   4. browser tests: Playwright (test/e2e/**/*.spec.ts), output streamed, JSON report parsed;
//   5. a line per suite, then — always as the very last line — `N passed, N failed` (+ `, N skipped` if any).
// Exit status 0 only if nothing failed. A runner that crashes, hangs or writes no report counts as a failure.
//
// Environment:
//   KAIROS_SKIP_BUILD=1        skip step 2 (iterate on tests while the build is broken or slow; never in CI)
//   KAIROS_SUITE_TIMEOUT_MIN   minutes before a hung runner is killed and failed (default 40)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'kairos-run-all-'));
const timeoutMs = Number(process.env.KAIROS_SUITE_TIMEOUT_MIN || 40) * 60_000;
const env = { ...process.env };

/** @type {{ name: string, passed: number, failed: number, skipped: number, note?: string, status?: string }[]} */
const suites = [];
/** @type {string[]} */ const failures = [];
/** @type {string[]} */ const flaky = [];

const heading = (s) => console.log(`\n━━ ${s} ${'━'.repeat(Math.max(3, 70 - s.length))}`);
const bin = (name) => {
  const local = join(root, 'node_modules', '.bin', name);
  return existsSync(local) ? [local] : ['npx', '--no-install', name];
};

/** Runs a command with output streamed; resolves with its exit code (or a description of how it died). */
function run(argv, extraEnv = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(argv[0], argv.slice(1), { cwd: root, env: { ...env, ...extraEnv }, stdio: ['ignore', 'inherit', 'inherit'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n[run-all] ${argv.join(' ')} still running after ${timeoutMs / 60_000} min: killing it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, why: `could not start ${argv[0]}: ${e.message}`, secs: 0 });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      const why = timedOut ? `timed out after ${timeoutMs / 60_000} min` : signal ? `killed by ${signal}` : code ? `exit code ${code}` : '';
      resolve({ code: code ?? -1, why, secs });
    });
  });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function findSpecs(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.spec.ts'))
    .map((d) => join(d.parentPath ?? d.path, d.name));
}

// 1. Browser ---------------------------------------------------------------------------------------------------
heading('browser executable');
let browserError = '';
{
  const r = spawnSync(bin('tsx')[0], [...bin('tsx').slice(1), 'test/browser.ts'], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  });
  const path = (r.stdout || '').trim().split('\n').pop();
  if (r.status === 0 && path) {
    env.CHROMIUM_PATH = path;
    console.log(`chromium: ${path}`);
  } else {
    browserError = `no browser (test/browser.ts exit ${r.status ?? r.signal ?? r.error?.message})`;
    console.log(browserError);
  }
}

// 2. Build -----------------------------------------------------------------------------------------------------
let buildFailed = false;
heading('typecheck');
{
  // Vite and vitest strip types without checking them; this is where a type error fails the suite.
  const r = await run([...bin('tsc'), '--noEmit']);
  if (r.code !== 0) {
    suites.push({ name: 'typecheck', passed: 0, failed: 1, skipped: 0, status: `FAILED, counted as 1 failure (tsc ${r.why})` });
    failures.push(`typecheck › tsc --noEmit found errors (see above)`);
  } else {
    suites.push({ name: 'typecheck', passed: 0, failed: 0, skipped: 0, status: `ok (${r.secs}s)` });
  }
}

heading('build');
{
  const pkg = readJson(join(root, 'package.json')) ?? {};
  if (process.env.KAIROS_SKIP_BUILD === '1') {
    console.log('skipped (KAIROS_SKIP_BUILD=1)');
    suites.push({ name: 'build', passed: 0, failed: 0, skipped: 0, status: 'skipped (KAIROS_SKIP_BUILD=1)' });
  } else if (!pkg.scripts?.build) {
    console.log('no build script in package.json');
  } else {
    const r = await run(['npm', 'run', 'build']);
    if (r.code !== 0) {
      buildFailed = true;
      const why = `npm run build failed (${r.why})`;
      console.log(`\n[run-all] ${why}: browser specs will not run`);
      suites.push({ name: 'build', passed: 0, failed: 1, skipped: 0, status: `FAILED, counted as 1 failure (${why})` });
      failures.push(`build › ${why}`);
    } else {
      console.log(`build ok (${r.secs}s)`);
      suites.push({ name: 'build', passed: 0, failed: 0, skipped: 0, status: `ok (${r.secs}s)` });
    }
  }
}

// 3. Unit / integration (vitest) ------------------------------------------------------------------------------
heading('unit: vitest');
{
  const out = join(tmp, 'vitest.json');
  const r = await run([...bin('vitest'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, '--passWithNoTests']);
  const rep = readJson(out);
  const s = { name: 'unit', passed: 0, failed: 0, skipped: 0 };
  if (!rep) {
    s.failed = 1;
    s.note = `vitest produced no report (${r.why || 'exit code 0'})`;
    failures.push(`unit › ${s.note}`);
  } else {
    s.passed = rep.numPassedTests ?? 0;
    s.failed = rep.numFailedTests ?? 0;
    s.skipped = (rep.numPendingTests ?? 0) + (rep.numTodoTests ?? 0);
    for (const file of rep.testResults ?? []) {
      const name = relative(root, file.name ?? '?');
      const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
      for (const a of failedTests) failures.push(`unit › ${name} › ${a.fullName ?? a.title}`);
      // A file that failed to load or whose hooks threw has no failed test to count: count the file.
      if (file.status === 'failed' && failedTests.length === 0) {
        s.failed += 1;
        failures.push(`unit › ${name} › ${String(file.message || 'suite failed').split('\n')[0]}`);
      }
    }
    if (r.code !== 0 && s.failed === 0) {
      s.failed = 1;
      s.note = `vitest failed (${r.why}) although no test failed: an unhandled error? see above`;
      failures.push(`unit › ${s.note}`);
    }
  }
  suites.push(s);
}

// 4. Browser (Playwright) -------------------------------------------------------------------------------------
heading('browser: playwright');
{
  const specs = findSpecs(join(root, 'test', 'e2e'));
  const s = { name: 'browser', passed: 0, failed: 0, skipped: 0 };
  if (specs.length === 0) {
    s.note = 'no specs in test/e2e';
    console.log(s.note);
  } else if (buildFailed) {
    s.note = `${specs.length} spec file(s) not run: the build failed`;
    console.log(s.note);
  } else if (browserError) {
    s.failed = 1;
    s.note = browserError;
    failures.push(`browser › ${browserError}`);
  } else {
    const out = join(tmp, 'pw.json');
    const r = await run([...bin('playwright'), 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: out });
    const rep = readJson(out);
    if (!rep?.stats) {
      s.failed = 1;
      s.note = `playwright produced no report (${r.why || 'exit code 0'})`;
      failures.push(`browser › ${s.note}`);
    } else {
      s.passed = (rep.stats.expected ?? 0) + (rep.stats.flaky ?? 0);
      s.failed = rep.stats.unexpected ?? 0;
      s.skipped = rep.stats.skipped ?? 0;
      const walk = (suite, trail) => {
        for (const spec of suite.specs ?? []) {
          for (const t of spec.tests ?? []) {
            const file = relative(root, join(rep.config?.rootDir ?? join(root, 'test', 'e2e'), spec.file ?? suite.file ?? ''));
            const label = `${file}:${spec.line ?? ''} › ${[...trail, spec.title].join(' › ')}`;
            if (t.status === 'unexpected') failures.push(`browser › ${label}`);
            if (t.status === 'flaky') flaky.push(`browser › ${label}`);
          }
        }
        for (const child of suite.suites ?? []) walk(child, child.title && child.title !== child.file ? [...trail, child.title] : trail);
      };
      for (const top of rep.suites ?? []) walk(top, []);
      // Errors outside any test (config, global setup, a worker that died): count them.
      const errors = rep.errors ?? [];
      for (const e of errors) failures.push(`browser › ${String(e.message ?? e.value ?? 'error').split('\n')[0]}`);
      if (errors.length > 0 && s.failed === 0) s.failed = errors.length;
      if (r.code !== 0 && s.failed === 0) {
        s.failed = 1;
        s.note = `playwright failed (${r.why}) although no test failed: see above`;
        failures.push(`browser › ${s.note}`);
      }
    }
  }
  suites.push(s);
}

// 5. Summary --------------------------------------------------------------------------------------------------
rmSync(tmp, { recursive: true, force: true });
const counts = (s) => `${s.passed} passed, ${s.failed} failed${s.skipped > 0 ? `, ${s.skipped} skipped` : ''}`;
heading('summary');
if (flaky.length) {
  console.log(`flaky (failed, then passed on retry; counted as passed):`);
  for (const f of flaky) console.log(`  ~ ${f}`);
}
if (failures.length) {
  console.log(`failures:`);
  for (const f of failures.slice(0, 50)) console.log(`  ✗ ${f}`);
  if (failures.length > 50) console.log(`  … and ${failures.length - 50} more`);
}
for (const s of suites) console.log(`${s.name}: ${s.status ?? counts(s)}${s.note ? ` (${s.note})` : ''}`);
const total = suites.reduce((t, s) => ({ passed: t.passed + s.passed, failed: t.failed + s.failed, skipped: t.skipped + s.skipped }), {
  passed: 0,
  failed: 0,
  skipped: 0,
});
console.log(counts(total));
process.exitCode = total.failed === 0 ? 0 : 1;
