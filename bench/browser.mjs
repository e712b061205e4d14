#!/usr/bin/env node
// `node bench/browser.mjs`: what Kairos costs a shop's page, side by side with its peers (issue 11).
//
// What. A blank local page (<h1> + <p>), the same page with the Kairos snippet (nothing eligible; an announcement
// bar shown on load; an exit offer shown on exit intent), and the same page with each peer's script-tag install:
// PostHog (posthog-js dist/array.js + the official snippet's stub), Plausible (@plausible-analytics/tracker, the
// ESM file as shipped, loaded by a <script type="module"> calling init()), ouibounce (build/ouibounce.min.js +
// ouibounce(el, {aggressive: true}) on a small hidden modal), Formbricks (@formbricks/js 5.1.0, the npm loader and
// its documented setup(); the runtime it injects is not on npm and 404s here) and Formbricks v1
// (formbricks-js-v1 = @formbricks/js 1.6.5, the last self-contained runtime, dist/index.umd.js + init()).
// Prints two markdown sections to stdout: "## Browser cost, side by side" and "## Bytes, side by side".
//
// Method (shared/research/performance.md §2 and its Appendix). Pages come from a node:http server on 127.0.0.1
// that also plays every peer's API host: unknown GET → 404 JSON, any POST → 204, OPTIONS → 204 + CORS. Kairos
// runs for real: one `node bin/kairos.js serve --no-demo` per config (idle, bar, exit; LOG_LEVEL=warn
// KAIROS_RATE_LIMIT=0), started once for the whole bench, on another port than the page (so the page's origin is
// in site.allowed_origins), serving the built widget from dist/widget (not rebuilt here). Each run is a fresh
// Chromium (/usr/bin/chromium, or $CHROMIUM_PATH, through playwright-core) with a fresh user-data-dir, headless,
// with every hostname but 127.0.0.1 unresolvable (--host-resolver-rules), navigator.webdriver false and a
// non-headless Chrome user agent (PostHog and Plausible drop bot traffic otherwise). Per run: CDP
// Performance.enable (threadTicks = main-thread CPU at 1×; timeTicks = wall time in the 4× CPU-throttled pass),
// goto (waitUntil load), [kairos-exit: the pointer leaves through the top edge as test/e2e/exit-offer.spec.ts
// does, with min_dwell_seconds: 0, as soon as the exit-intent chunk has arrived], settle, Performance.getMetrics
// (ScriptDuration, TaskDuration, JSHeapUsedSize), HeapProfiler.collectGarbage, JSHeapUsedSize again; `longtask`
// and `layout-shift` PerformanceObservers (buffered, from an init script); each script's Resource Timing
// renderBlockingStatus; every request the page made (and any to a host other than 127.0.0.1). Then, after
// measuring, a check that the bar / the offer really shows in its shadow-root host and that idle shows nothing:
// a run failing it is an error, not a figure. Scenarios round-robin, shuffled each round. Reported: median
// [p25–p75] over runs of (run − the blank page's median). Last, a repeat view: the bar page twice in one profile,
// with /v1/config answered 1 s late by a small proxy in front of Kairos, timing when the bar's host enters the DOM
// (first view: it waits for the network; repeat view: the config from the IndexedDB cache).
//
// Options: --runs N (7, the 1× pass) --throttle-runs N (7, the 4× pass; 0 skips it) --settle MS (3000)
//          --only a,b (scenarios; blank is always run) --repeat-runs N (5; 0 skips the repeat view).
// Env: CHROMIUM_PATH. Takes ~12 min at the defaults. Not part of npm test; run it on a quiet machine.
// Also `import { run } from './browser.mjs'; await run({ runs, throttleRuns, settle, only, repeatRuns })` → the
// same markdown (progress goes to stderr, or to options.log).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist', 'widget');
const nm = (...p) => join(root, 'node_modules', ...p);
const version = (pkg) => JSON.parse(readFileSync(nm(pkg, 'package.json'), 'utf8')).version;

/** Chromium flags exactly as performance.md §2: no outside network, no automation tells. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  '--disable-blink-features=AutomationControlled',
];
const FORMBRICKS_ID = 'clx0000000000000000000000';
const BAR_TEXT = 'Free delivery on orders over €50 this week.';
const EXIT_HEADLINE = 'Wait — 10% off if you order now';

// --- the files each install loads ------------------------------------------------------------------------------

/** Peer files the page server serves, by URL path. */
const PEER_FILES = {
  '/peer/posthog/array.js': nm('posthog-js', 'dist', 'array.js'),
  '/peer/plausible/plausible.js': nm('@plausible-analytics', 'tracker', 'plausible.js'),
  '/peer/ouibounce/ouibounce.min.js': nm('ouibounce', 'build', 'ouibounce.min.js'),
  '/peer/formbricks/index.js': nm('@formbricks', 'js', 'dist', 'index.js'),
  '/peer/formbricks-v1/index.umd.js': nm('formbricks-js-v1', 'dist', 'index.umd.js'),
};

/**
 * The scenarios. `head`/`body` get { origin (the page server), kairos: { idle, bar, exit, slow } URLs } and
 * return HTML. `kairos` names the Kairos server a scenario uses; `check` is the after-measuring verification.
 */
const SCENARIOS = {
  blank: { label: 'blank page', installs: '`<h1>` + `<p>`, no script' },
  'kairos-idle': {
    label: '**Kairos**, nothing eligible',
    installs: 'snippet (queue stub + async `kairos.js`), 4 campaigns none of which targets this page',
    kairos: 'idle',
    head: (u) => kairosSnippet(u.kairos.idle),
    check: (p) => (p.hosts.length === 0 ? null : `a campaign showed on the idle page: ${p.hosts.map((h) => h.id).join(', ')}`),
  },
  'kairos-bar': {
    label: '**Kairos**, announcement bar shown',
    installs: 'same snippet; the bar shows on page load',
    kairos: 'bar',
    head: (u) => kairosSnippet(u.kairos.bar),
    check: (p) => {
      const h = p.hosts.find((x) => x.id === 'summer-bar');
      return h && h.text.includes(BAR_TEXT) ? null : `the bar did not show (hosts: ${JSON.stringify(p.hosts)})`;
    },
  },
  'kairos-exit': {
    label: '**Kairos**, exit offer shown',
    installs: 'same snippet; exit intent right after load shows the offer',
    kairos: 'exit',
    exit: true,
    head: (u) => kairosSnippet(u.kairos.exit),
    check: (p) => {
      const h = p.hosts.find((x) => x.id === 'exit-stay10');
      return h && h.dialogOpen && h.text.includes(EXIT_HEADLINE) ? null : `the exit offer did not show (hosts: ${JSON.stringify(p.hosts)})`;
    },
  },
  posthog: {
    label: `PostHog (posthog-js ${version('posthog-js')})`,
    installs: '`dist/array.js` async + the snippet\'s stub (`_i` = [token, {api_host}])',
    head: (u) =>
      `<script>var ph=[];ph._i=[["phc_test",{api_host:${JSON.stringify(u.origin + '/ph')}}]];ph.people=[];ph.__SV=1;window.posthog=ph;</script>\n` +
      `<script async src="/peer/posthog/array.js"></script>`,
  },
  plausible: {
    label: `Plausible (@plausible-analytics/tracker ${version('@plausible-analytics/tracker')})`,
    installs: '`plausible.js` (ESM as shipped) + `init({domain, endpoint, captureOnLocalhost: true})` in a module script',
    head: (u) =>
      `<script type="module">import { init } from "/peer/plausible/plausible.js";\n` +
      `init({ domain: "shop.example", endpoint: ${JSON.stringify(u.origin + '/api/event')}, captureOnLocalhost: true });</script>`,
  },
  ouibounce: {
    label: `ouibounce ${version('ouibounce')}`,
    installs: '`build/ouibounce.min.js` + `ouibounce(el, {aggressive: true})` on a small hidden modal (end of body, as its README)',
    body: () =>
      `<div id="ouibounce-modal" style="display:none;position:fixed;inset:0;background:rgba(0,0,0,.5)">` +
      `<div style="background:#fff;max-width:24rem;margin:20vh auto;padding:1rem"><h2>Wait!</h2><p>10% off with code STAY10.</p>` +
      `<button onclick="this.closest('#ouibounce-modal').style.display='none'">No thanks</button></div></div>\n` +
      `<script src="/peer/ouibounce/ouibounce.min.js"></script>\n` +
      `<script>ouibounce(document.getElementById("ouibounce-modal"), { aggressive: true });</script>`,
  },
  formbricks: {
    label: `Formbricks (@formbricks/js ${version('@formbricks/js')}): the loader only, its runtime is not on npm`,
    installs: 'the npm loader `dist/index.js` + `setup({workspaceId, appUrl})` in a module script; the runtime it injects (`/js/formbricks.umd.cjs`, not on npm) 404s',
    head: (u) =>
      `<script type="module">import formbricks from "/peer/formbricks/index.js";\n` +
      `formbricks.setup({ workspaceId: "${FORMBRICKS_ID}", appUrl: ${JSON.stringify(u.origin + '/fb')} });</script>`,
  },
  'formbricks-v1': {
    label: `Formbricks v1 (@formbricks/js ${version('formbricks-js-v1')})`,
    installs: '`dist/index.umd.js` async, `onload` → `formbricks.init({environmentId, apiHost})` (its last self-contained runtime)',
    head: (u) =>
      `<script async src="/peer/formbricks-v1/index.umd.js" onload='formbricks.init({ environmentId: "${FORMBRICKS_ID}", apiHost: ${JSON.stringify(u.origin + '/fb1')} })'></script>`,
  },
};

const kairosSnippet = (api) =>
  `<script>window.kairos=window.kairos||function(){(kairos.q=kairos.q||[]).push(arguments)}</script>\n` +
  `<script async src="${api}/kairos.js" data-api="${api}"></script>`;

function page(name, urls) {
  const s = SCENARIOS[name] ?? SCENARIOS[name.replace(/-slow$/, '')];
  const u = name.endsWith('-slow') ? { ...urls, kairos: { bar: urls.kairos.slow } } : urls;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Linen Camp Shirt — Northwind Outfitters</title>
${s.head?.(u) ?? ''}
</head>
<body>
<h1>Linen Camp Shirt</h1>
<p>A relaxed short-sleeved shirt in washed European linen, with a camp collar, a straight hem and coconut buttons.
It breathes on hot days and softens with every wash. Made in Portugal from flax grown in Normandy; machine
washable at 30 °C. Model is 185 cm and wears size M.</p>
${s.body?.(u) ?? ''}
</body>
</html>
`;
}

// --- Kairos configs ----------------------------------------------------------------------------------------------

/**
 * A realistic shop config: an exit offer and a cart reminder on product pages, a sale bar on the sale pages, a
 * welcome modal on the second product page view. `variant` makes one of them eligible on the bench page
 * (/p/<scenario>): 'bar' opens the bar to every page, 'exit' opens the exit offer to every page with no dwell time.
 */
function kairosConfig(variant, pageOrigin) {
  const barPages = variant === 'bar' ? '{ include: ["/**"], exclude: ["/checkout", "/order-complete"] }' : '{ include: ["/sale", "/sale/**"] }';
  const exitPages = variant === 'exit' ? '{ include: ["/**"] }' : '{ include: ["/products/**", "/cart"] }';
  const exitTrigger = variant === 'exit' ? '{ type: exit_intent, min_dwell_seconds: 0 }' : '{ type: exit_intent }';
  const exitFrequency = variant === 'exit' ? 'always' : 'once_per_session';
  return `# bench/browser.mjs, variant ${variant}: written by the bench, thrown away after it
site:
  name: Northwind Outfitters
  allowed_origins: ["${pageOrigin}"]
fatigue: { modals_per_session: 1, modals_per_day: 3 }
cart:
  currency: EUR
  pages: ["/cart", "/checkout", "/order-complete"]
campaigns:
  - id: exit-stay10
    type: exit_offer
    priority: 40
    trigger: ${exitTrigger}
    pages: ${exitPages}
    frequency: ${exitFrequency}
    content:
      headline: ${EXIT_HEADLINE}
      text: "Here is a code just for you, {{first_name | friend}}. It applies to everything in your cart."
      button: Apply my 10% off
    coupon: { code: STAY10 }
    valid_minutes: 30
  - id: summer-bar
    type: announcement_bar
    position: top
    priority: 20
    pages: ${barPages}
    content:
      text: "${BAR_TEXT}"
      link: { label: Shop now, url: /sale }
      dismissible: true
    theme: { background: "#0f5c57", color: "#ffffff" }
  - id: cart-reminder
    type: cart_reminder
    priority: 50
    frequency: once_per_session
    pages: { include: ["/products/**"] }
    content:
      text: "Still thinking it over, {{first_name | friend}}? Your cart is saved."
  - id: welcome-10
    type: modal
    priority: 30
    trigger: { type: page_views, count: 2 }
    pages: { include: ["/products/**"] }
    frequency: once_per_session
    content:
      headline: Welcome to Northwind — 10% off your first order
      text: Use code WELCOME10 at checkout.
      button: { label: Start shopping, url: /products }
`;
}

// --- servers -------------------------------------------------------------------------------------------------------

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': '*',
  'access-control-max-age': '600',
};

/** The page server: bench pages, peer files, and a dummy API for every peer (404 GET, 204 POST/OPTIONS). */
function startPageServer(urlsRef) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    req.resume();
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') return void req.on('end', () => res.writeHead(204, CORS).end());
    const m = /^\/p\/([a-z0-9-]+)$/.exec(path);
    if (m && (SCENARIOS[m[1]] || m[1] === 'kairos-bar-slow')) {
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).end(page(m[1], urlsRef.current));
    }
    if (PEER_FILES[path]) {
      return void res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', ...CORS }).end(readFileSync(PEER_FILES[path]));
    }
    res.writeHead(404, { 'content-type': 'application/json', ...CORS }).end('{"error":"not found"}');
  });
  return listen(server);
}

/** A proxy in front of a Kairos server that answers GET /v1/config `delayMs` late (everything else at once). */
function startDelayProxy(target, delayMs) {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const forward = () => {
      const up = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    };
    if (req.method === 'GET' && req.url?.startsWith('/v1/config')) setTimeout(forward, delayMs);
    else forward();
  });
  return listen(server);
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(() => r())) }));
  });
}

async function freePort() {
  const { server } = await listen(createServer());
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** `kairos serve` on a free port with its own config and database; resolves once /healthz answers. */
async function startKairos(variant, pageOrigin, dir) {
  const configFile = join(dir, `kairos-${variant}.yaml`);
  const dbFile = join(dir, `kairos-${variant}.db`);
  writeFileSync(configFile, kairosConfig(variant, pageOrigin));
  const port = await freePort();
  const args = ['bin/kairos.js', 'serve', '--no-demo', '--config', configFile, '--db', dbFile, '--port', String(port), '--host', '127.0.0.1'];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', KAIROS_RATE_LIMIT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kairos serve (${variant}) exited ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(url + '/healthz')).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`kairos serve (${variant}) did not answer /healthz within 30 s:\n${out}`);
    await sleep(100);
  }
  return {
    url,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// --- the browser ---------------------------------------------------------------------------------------------------

function findChromium() {
  const exe = (f) => {
    try {
      accessSync(f, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (process.env.CHROMIUM_PATH) {
    if (!exe(process.env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable file`);
    return process.env.CHROMIUM_PATH;
  }
  if (exe('/usr/bin/chromium')) return '/usr/bin/chromium';
  // The project's own finder (installs Debian's chromium as root with apt-get), as npm test does.
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/browser.ts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = (r.stdout || '').trim().split('\n').pop();
  if (r.status === 0 && path && exe(path)) return path;
  throw new Error('no Chromium: install Debian\'s chromium (apt-get install chromium) or set CHROMIUM_PATH');
}

/** Runs in every page before its scripts: long tasks and layout shifts, buffered. */
const OBSERVERS = `(() => {
  const b = (window.__bench = { lt: [], cls: 0, shifts: [], loaf: [] });
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) b.lt.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  } catch {}
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        if (e.hadRecentInput) continue;
        b.cls += e.value;
        b.shifts.push({ value: e.value, sources: (e.sources || []).map((s) => s.node ? (s.node.nodeName + (s.node.id ? '#' + s.node.id : '')) : '?') });
      }
    }).observe({ type: 'layout-shift', buffered: true });
  } catch {}
  // Long animation frames (≥ 50 ms): which scripts ran in them and how long style and layout took, to say whose a
  // long task was.
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        b.loaf.push({
          start: e.startTime,
          duration: e.duration,
          styleLayout: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
          scripts: (e.scripts || []).map((s) => ({ src: s.sourceURL, fn: s.sourceFunctionName, invoker: s.invoker, dur: s.duration, forced: s.forcedStyleAndLayoutDuration })),
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {}
})();`;

/** After measuring: what the observers saw, each script's render-blocking status, and Kairos' hosts. */
function probe() {
  const b = window.__bench ?? { lt: [], cls: 0, shifts: [], loaf: [] };
  const hosts = [...document.querySelectorAll('kairos-campaign')].map((h) => ({
    id: h.getAttribute('data-campaign'),
    text: (h.shadowRoot?.textContent ?? '').slice(0, 300),
    dialogOpen: !!h.shadowRoot?.querySelector('dialog[open]'),
  }));
  const scripts = performance
    .getEntriesByType('resource')
    .filter((e) => e.initiatorType === 'script' || /\.(m?js|cjs)(\?|$)/.test(e.name))
    .map((e) => ({ name: e.name, initiator: e.initiatorType, blocking: e.renderBlockingStatus ?? 'n/a' }));
  return { lt: b.lt, cls: b.cls, shifts: b.shifts, loaf: b.loaf, hosts, scripts };
}

const pick = (metrics, name) => metrics.metrics.find((m) => m.name === name)?.value ?? NaN;

/** One measured page view in a fresh browser and profile. Throws on a failed check (the run is then an error). */
async function measure(env, name, pass) {
  const s = SCENARIOS[name];
  const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-ud-'));
  const ctx = await env.chromium.launchPersistentContext(dir, env.launch);
  try {
    const pageObj = ctx.pages()[0] ?? (await ctx.newPage());
    const requests = [];
    ctx.on('request', (r) => requests.push({ r, method: r.method(), url: r.url(), type: r.resourceType(), status: null, failure: null }));
    ctx.on('response', (res) => {
      const e = requests.find((x) => x.r === res.request());
      if (e) e.status = res.status();
    });
    ctx.on('requestfailed', (r) => {
      const e = requests.find((x) => x.r === r);
      if (e) e.failure = r.failure()?.errorText ?? 'failed';
    });
    const errors = [];
    pageObj.on('pageerror', (e) => errors.push(`pageerror: ${String(e.message ?? e).slice(0, 200)}`));
    pageObj.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text().slice(0, 200)}`);
    });
    await pageObj.addInitScript(OBSERVERS);
    const cdp = await ctx.newCDPSession(pageObj);
    await cdp.send('Performance.enable', { timeDomain: pass.timeDomain });
    if (pass.rate > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: pass.rate });

    // kairos-exit: a request for the exit-intent chunk means the trigger is about to be armed.
    const exitChunk = s.exit ? pageObj.waitForResponse((res) => /\/kairos-ui\/exit-intent-[^/]*\.js$/.test(res.url()), { timeout: 20_000 }) : null;
    exitChunk?.catch(() => {});
    await pageObj.goto(`${env.urls.origin}/p/${name}`, { waitUntil: 'load', timeout: 60_000 });
    let gestures = 0;
    if (s.exit) {
      await exitChunk;
      // The pointer leaves through the top edge (test/e2e/exit-offer.spec.ts); again if the trigger was not armed
      // yet. Watched through the network (the offer's chunks and POST /v1/offers), not by polling the page.
      const fired = () => requests.some((q) => /\/kairos-ui\/(exit-offer|ui-runtime|dialog)-|\/v1\/offers\//.test(q.url));
      while (!fired() && gestures < 20) {
        gestures++;
        await pageObj.mouse.move(400, 300);
        await pageObj.mouse.move(400, 40, { steps: 4 });
        await pageObj.mouse.move(400, -30);
        for (let i = 0; i < 10 && !fired(); i++) await sleep(50);
      }
      if (!fired()) throw new Error(`exit intent did not fire after ${gestures} gestures`);
    }
    await pageObj.waitForTimeout(env.settle);
    const m1 = await cdp.send('Performance.getMetrics');
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    const m2 = await cdp.send('Performance.getMetrics');
    const p = await pageObj.evaluate(probe);
    const problem = s.check?.(p);
    if (problem) throw new Error(problem);
    const done = requests.map(({ r: _r, ...rest }) => rest);
    return {
      script: pick(m1, 'ScriptDuration') * 1e3,
      task: pick(m1, 'TaskDuration') * 1e3,
      heap: pick(m1, 'JSHeapUsedSize') / 1024,
      heapGc: pick(m2, 'JSHeapUsedSize') / 1024,
      ltCount: p.lt.length,
      ltMs: p.lt.reduce((a, b) => a + b, 0),
      lt: p.lt,
      loaf: p.loaf,
      cls: p.cls,
      shifts: p.shifts,
      scripts: p.scripts,
      blocking: p.scripts.filter((x) => x.blocking === 'blocking').length,
      requests: done,
      offHost: done.filter((q) => !/^(https?|wss?):\/\/127\.0\.0\.1(:\d+)?\//.test(q.url) && !/^(data|blob):/.test(q.url)),
      errors,
      gestures,
    };
  } finally {
    await ctx.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Repeat view: the bar page, then the same page again in the same profile, with Kairos' /v1/config answered 1 s
 * late (a proxy). Times (from navigation start) when the bar's host enters the DOM and when /v1/config arrived.
 */
async function repeatView(env, runs, log) {
  const rows = [];
  const errors = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-ud-'));
    const ctx = await env.chromium.launchPersistentContext(dir, env.launch);
    try {
      const pg = ctx.pages()[0] ?? (await ctx.newPage());
      await pg.addInitScript(() => {
        window.__barAt = null;
        new MutationObserver((_, o) => {
          if (document.querySelector('kairos-campaign[data-campaign="summer-bar"]')) {
            window.__barAt = performance.now();
            o.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      const view = async () => {
        await pg.goto(`${env.urls.origin}/p/kairos-bar-slow`, { waitUntil: 'load', timeout: 30_000 });
        await pg.waitForFunction(() => window.__barAt !== null, null, { timeout: 10_000 });
        await pg.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/v1/config') && e.responseEnd > 0), null, { timeout: 10_000 });
        return pg.evaluate(() => ({
          bar: window.__barAt,
          config: performance.getEntriesByType('resource').find((e) => e.name.includes('/v1/config'))?.responseEnd ?? NaN,
        }));
      };
      const first = await view();
      await sleep(500); // the first view's writes to IndexedDB settle
      const repeat = await view();
      rows.push({ first, repeat });
      log(`[repeat view] ${i + 1}/${runs}: first view bar at ${first.bar.toFixed(0)} ms (config ${first.config.toFixed(0)} ms), repeat view bar at ${repeat.bar.toFixed(0)} ms (config ${repeat.config.toFixed(0)} ms)`);
    } catch (e) {
      errors.push(String(e.message ?? e).split('\n')[0]);
      log(`[repeat view] ${i + 1}/${runs}: ERROR ${errors.at(-1)}`);
    } finally {
      await ctx.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { rows, errors };
}

// --- statistics and formatting ---------------------------------------------------------------------------------

function quantile(values, q) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}
const median = (v) => quantile(v, 0.5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const n1 = (x) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }) : '—');
const n0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const n3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '—');
const kb = (bytes) => (bytes / 1024).toFixed(2);
const iqr = (v, f = n1) => `${f(median(v))} [${f(quantile(v, 0.25))}–${f(quantile(v, 0.75))}]`;
const shuffle = (a) => {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};

function sizes(buf) {
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    br: brotliCompressSync(buf, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length,
  };
}

/** Requests a scenario made, as "METHOD /path → status" with how many runs made each (query strings dropped). */
function requestSummary(runs) {
  const counts = new Map();
  for (const r of runs) {
    const seen = new Set();
    for (const q of r.requests) {
      const u = new URL(q.url);
      const host = u.hostname === '127.0.0.1' ? '' : u.host;
      const path = u.pathname.replace(/-[A-Za-z0-9_-]{6,8}\.js$/, '-*.js');
      const key = `${q.method} ${host}${path} → ${[q.status, q.failure].filter((x) => x !== null).join(' ') || '?'}`;
      if (!seen.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1), seen.add(key);
    }
  }
  return [...counts].map(([k, n]) => (n === runs.length ? k : `${k} (${n}/${runs.length} runs)`));
}

// --- the bench -------------------------------------------------------------------------------------------------

/**
 * Runs the bench and returns the markdown (both sections). options: { runs = 7, throttleRuns = 7, settle = 3000,
 * only = [] (scenario names; blank is always run), repeatRuns = 5, log = stderr, command }.
 */
export async function run(options = {}) {
  const opts = {
    runs: options.runs ?? 7,
    throttleRuns: options.throttleRuns ?? 7,
    settle: options.settle ?? 3000,
    only: options.only ?? [],
    repeatRuns: options.repeatRuns ?? 5,
  };
  const log = options.log ?? ((line) => process.stderr.write(line + '\n'));
  const command =
    options.command ??
    ['node bench/browser.mjs', `--runs ${opts.runs}`, `--throttle-runs ${opts.throttleRuns}`, `--settle ${opts.settle}`, opts.only.length ? `--only ${opts.only.join(',')}` : '', `--repeat-runs ${opts.repeatRuns}`]
      .filter(Boolean)
      .join(' ');
  for (const o of opts.only) if (!SCENARIOS[o]) throw new Error(`unknown scenario "${o}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const names = Object.keys(SCENARIOS).filter((n) => n === 'blank' || !opts.only.length || opts.only.includes(n));
  if (!existsSync(join(dist, 'kairos.js')) || !existsSync(join(dist, 'kairos-ui')))
    throw new Error('dist/widget is missing: build the widget first (npm run build); this bench does not build it');

  const executablePath = findChromium();
  const chromiumVersion = execFileSync(executablePath, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(' built')[0];
  const major = /(\d+)\./.exec(chromiumVersion)?.[1] ?? '156';
  const { chromium } = await import('playwright-core');
  const started = new Date();
  const t0 = Date.now();

  const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-browser-'));
  const urlsRef = { current: null };
  const pageServer = await startPageServer(urlsRef);
  const kairos = {};
  let proxy;
  const cleanup = async () => {
    await Promise.all(Object.values(kairos).map((k) => k.stop()));
    await proxy?.close();
    await pageServer.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const needed = new Set(names.map((n) => SCENARIOS[n].kairos).filter(Boolean));
    for (const v of ['idle', 'bar', 'exit']) if (needed.has(v)) kairos[v] = await startKairos(v, pageServer.url, dir);
    if (kairos.bar && opts.repeatRuns > 0) proxy = await startDelayProxy(kairos.bar.url, 1000);
    urlsRef.current = { origin: pageServer.url, kairos: { idle: kairos.idle?.url, bar: kairos.bar?.url, exit: kairos.exit?.url, slow: proxy?.url } };
    log(`[browser] ${chromiumVersion}; page server ${pageServer.url}; Kairos ${Object.entries(kairos).map(([v, k]) => `${v} ${k.url}`).join(', ')}${proxy ? `; delay proxy ${proxy.url}` : ''}`);

    const env = {
      chromium,
      urls: urlsRef.current,
      settle: opts.settle,
      launch: {
        executablePath,
        headless: true,
        args: ARGS,
        ignoreDefaultArgs: ['--enable-automation'],
        userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`,
        viewport: { width: 1280, height: 800 },
      },
    };

    const passes = [
      { key: '1x', title: '1× CPU, main-thread CPU time (threadTicks)', rate: 1, timeDomain: 'threadTicks', runs: opts.runs },
      { key: '4x', title: '4× CPU throttling, wall time (timeTicks)', rate: 4, timeDomain: 'timeTicks', runs: opts.throttleRuns },
    ].filter((p) => p.runs > 0);
    const results = {}; // pass → scenario → runs
    const errors = []; // { pass, scenario, message }
    for (const pass of passes) {
      results[pass.key] = Object.fromEntries(names.map((n) => [n, []]));
      for (let round = 1; round <= pass.runs; round++) {
        for (const name of shuffle([...names])) {
          try {
            const r = await measure(env, name, pass);
            results[pass.key][name].push(r);
            log(
              `[${pass.key}] round ${round}/${pass.runs} ${name.padEnd(13)} script ${n1(r.script)} ms, task ${n1(r.task)} ms, heap ${n0(r.heap)} KB (${n0(r.heapGc)} after GC), ` +
                `long tasks ${r.ltCount}, CLS ${n3(r.cls)}, requests ${r.requests.length}${r.offHost.length ? `, OFF-HOST ${r.offHost.length}` : ''}${r.gestures ? `, gestures ${r.gestures}` : ''}`,
            );
          } catch (e) {
            const message = String(e.message ?? e).split('\n')[0];
            errors.push({ pass: pass.key, scenario: name, message });
            log(`[${pass.key}] round ${round}/${pass.runs} ${name}: ERROR ${message}`);
          }
        }
      }
    }
    const repeat = names.includes('kairos-bar') && opts.repeatRuns > 0 ? await repeatView(env, opts.repeatRuns, log) : null;
    const minutes = (Date.now() - t0) / 60_000;
    const serverLogs = Object.entries(kairos)
      .map(([v, k]) => [v, k.output().trim()])
      .filter(([, out]) => out);

    const machine = {
      date: started.toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      vcpus: availableParallelism?.() ?? cpus().length,
      chromium: chromiumVersion,
      playwright: version('playwright-core'),
      node: process.version,
    };
    const browser = browserSection({ names, passes, results, errors, repeat, machine, command, opts, minutes, serverLogs });
    const bytes = bytesSection({ results, machine, command });
    return `${browser}\n\n${bytes}\n`;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanup();
  }
}

// --- markdown --------------------------------------------------------------------------------------------------

function machineLine(m) {
  return `${m.date} · ${m.cpu}, ${m.vcpus} vCPUs · ${m.chromium} (playwright-core ${m.playwright}) · Node ${m.node}`;
}

function browserSection({ names, passes, results, errors, repeat, machine, command, opts, minutes, serverLogs }) {
  const L = [];
  L.push('## Browser cost, side by side', '');
  L.push(`Machine and date: ${machineLine(machine)}.`);
  L.push(`Command: \`${command}\` (${n1(minutes)} min). Every figure in this section comes from that one run.`, '');
  L.push(
    'Method (shared/research/performance.md §2): a blank local page (`<h1>` + `<p>`) served from 127.0.0.1, the same page with each script-tag install, ' +
      'a fresh headless Chromium and a fresh profile per run, scenarios round-robin in a shuffled order each round, every hostname but 127.0.0.1 unresolvable, ' +
      '`navigator.webdriver` false and a non-headless user agent. Kairos is the real server (`node bin/kairos.js serve --no-demo`, one per config, ' +
      'on another origin than the page) with the built widget from `dist/widget`; the peers\' API hosts are the page server, which answers GET 404, POST 204. ' +
      `CDP \`Performance.getMetrics\` after \`load\` + ${opts.settle} ms (the exit offer: exit intent right after load, then the same settle); ` +
      'JSHeapUsed again after `HeapProfiler.collectGarbage`; long tasks and layout shifts from buffered PerformanceObservers. ' +
      'Δ = a run minus the blank page\'s median; shown as median [p25–p75] over runs. KB = 1,024 bytes.',
    '',
  );

  const deltas = (pass, name, key) => {
    const base = median(results[pass][`blank`].map((r) => r[key]));
    return results[pass][name].map((r) => r[key] - base);
  };
  const errs = (pass, name) => errors.filter((e) => e.pass === pass && e.scenario === name).length;

  for (const pass of passes) {
    const R = results[pass.key];
    const blank = R.blank;
    const unit = pass.rate === 1 ? 'CPU ms' : 'wall ms';
    L.push(`### ${pass.title}, ${pass.runs} runs per scenario`, '');
    L.push(
      `Blank page absolute medians: ScriptDuration ${n1(median(blank.map((r) => r.script)))} ${unit}, TaskDuration ${n1(median(blank.map((r) => r.task)))} ${unit}, ` +
        `JSHeapUsed ${n0(median(blank.map((r) => r.heap)))} KB (${n0(median(blank.map((r) => r.heapGc)))} KB after GC), long tasks ${n0(median(blank.map((r) => r.ltCount)))} (max ${n0(Math.max(0, ...blank.map((r) => r.ltCount)))}).`,
      '',
    );
    L.push(
      `| scenario | ScriptDuration Δ, ${unit} | ratio to Kairos idle | TaskDuration Δ, ${unit} | JSHeapUsed Δ KB | after GC Δ KB | long tasks > 50 ms, median count / ms (max count) | CLS, max | render-blocking scripts | requests (median) | runs (errors) |`,
      '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    );
    const idle = R['kairos-idle']?.length ? median(deltas(pass.key, 'kairos-idle', 'script')) : NaN;
    for (const name of names) {
      const rs = R[name];
      const s = SCENARIOS[name];
      if (!rs.length) {
        L.push(`| ${s.label} | — | — | — | — | — | — | — | — | — | 0 (${errs(pass.key, name)}) |`);
        continue;
      }
      const d = (k) => (name === 'blank' ? '—' : iqr(deltas(pass.key, name, k), k.startsWith('heap') ? n0 : n1));
      const sd = median(deltas(pass.key, name, 'script'));
      const ratio = name === 'blank' || name === 'kairos-idle' || !Number.isFinite(idle) ? '—' : `${(sd / idle).toFixed(1)}×`;
      L.push(
        `| ${s.label} | ${d('script')} | ${ratio} | ${d('task')} | ${d('heap')} | ${d('heapGc')} | ` +
          `${n0(median(rs.map((r) => r.ltCount)))} / ${n0(median(rs.map((r) => r.ltMs)))} (${Math.max(...rs.map((r) => r.ltCount))}) | ${n3(Math.max(...rs.map((r) => r.cls)))} | ` +
          `${Math.max(...rs.map((r) => r.blocking))} of ${n0(median(rs.map((r) => r.scripts.length)))} | ${n0(median(rs.map((r) => r.requests.length)))} | ${rs.length} (${errs(pass.key, name)}) |`,
      );
    }
    L.push('');
  }

  // Budgets (issue 11), at 1×.
  const one = results['1x'];
  if (one) {
    L.push('### Budgets (issue 11)', '');
    const kairosNames = names.filter((n) => n.startsWith('kairos-') && one[n]?.length);
    const budget = (name, limit) => {
      if (!one[name]?.length) return `- ${SCENARIOS[name].label}: not measured.`;
      const v = median(deltas('1x', name, 'script'));
      return `- ${SCENARIOS[name].label.replace(/\*/g, '')}: ScriptDuration Δ at 1× ${n1(v)} ms (median) against ≤ ${limit} ms → ${v <= limit ? '**met**' : `**over by ${n1(v - limit)} ms**`}.`;
    };
    L.push(budget('kairos-idle', 4), budget('kairos-bar', 8));
    for (const pass of passes) {
      const R = results[pass.key];
      const blankMax = Math.max(0, ...R.blank.map((r) => r.ltCount));
      const lt = kairosNames.filter((n) => R[n]?.length).map((n) => `${n} ${Math.max(...R[n].map((r) => r.ltCount))} (${n1(Math.max(...R[n].map((r) => r.ltMs)))} ms)`);
      const over = kairosNames.some((n) => R[n]?.some((r) => r.ltCount > 0));
      L.push(
        `- Long tasks at ${pass.rate}× (0 allowed), most in any run: ${lt.join(', ')}; blank page ${blankMax} → ${over ? '**not met** (see "Long tasks, and whose they were" below)' : '**met**'}.`,
      );
    }
    const clsMax = kairosNames.map((n) => `${n} ${n3(Math.max(...Object.values(results).flatMap((R) => (R[n] ?? []).map((r) => r.cls))))}`);
    const clsOver = kairosNames.some((n) => Object.values(results).some((R) => (R[n] ?? []).some((r) => r.cls > 0)));
    L.push(`- Layout shift (0 allowed), max CLS over all runs of both passes: ${clsMax.join(', ')} → ${clsOver ? '**not met**' : '**met**'}.`);
    const blockingKairos = kairosNames.flatMap((n) => Object.values(results).flatMap((R) => (R[n] ?? []).flatMap((r) => r.scripts.filter((x) => x.blocking === 'blocking' && /kairos/.test(x.name)))));
    const statuses = [...new Set(kairosNames.flatMap((n) => one[n].flatMap((r) => r.scripts.filter((x) => /kairos/.test(x.name)).map((x) => x.blocking))))];
    L.push(
      `- Render-blocking requests (none allowed): Kairos scripts with Resource Timing \`renderBlockingStatus\` "blocking": ${blockingKairos.length} (statuses seen: ${statuses.join(', ') || 'none'}) → ${blockingKairos.length ? '**not met**' : '**met**'}.`,
    );
    if (repeat?.rows.length) {
      const waited = repeat.rows.filter((r) => r.repeat.bar < r.repeat.config).length;
      L.push(
        `- Config from the IndexedDB cache on repeat views: in ${waited} of ${repeat.rows.length} repeat views the bar was in the DOM before the (1 s late) /v1/config answer arrived → ${waited === repeat.rows.length ? '**met**' : '**not met**'} (see below).`,
      );
    }
    L.push('');
  }

  if (repeat) {
    L.push('### Repeat view: the config from the IndexedDB cache', '');
    L.push(
      `The bar page twice in one fresh profile (second navigation = repeat view), ${opts.repeatRuns} runs at 1×, with Kairos behind a small proxy that answers ` +
        '`GET /v1/config` 1,000 ms late (all else at once). Times from navigation start (ms): when the bar\'s `<kairos-campaign>` host entered the DOM (a ' +
        'MutationObserver from an init script) and when the `/v1/config` response ended (Resource Timing). Same command as above.',
      '',
    );
    if (repeat.rows.length) {
      const col = (f) => iqr(repeat.rows.map(f), n0);
      L.push('| view | bar in the DOM, median [p25–p75] | /v1/config response end | bar before config? |', '|---|--:|--:|--:|');
      L.push(`| first view (empty cache) | ${col((r) => r.first.bar)} | ${col((r) => r.first.config)} | ${repeat.rows.filter((r) => r.first.bar < r.first.config).length}/${repeat.rows.length} |`);
      L.push(`| repeat view (config cached in IndexedDB) | ${col((r) => r.repeat.bar)} | ${col((r) => r.repeat.config)} | ${repeat.rows.filter((r) => r.repeat.bar < r.repeat.config).length}/${repeat.rows.length} |`);
      L.push(
        '',
        'On a repeat view the widget races the fresh config against a 400 ms timer (`FRESH_CONFIG_WAIT_MS` in widget/engine.ts) before deciding from the cached copy, ' +
          'so with a slow server the bar shows about 400 ms after the widget starts instead of after the network answers; with a server answering within 400 ms the fresh copy is used.',
      );
    }
    if (repeat.errors.length) L.push('', `Errors: ${repeat.errors.join('; ')}`);
    L.push('');
  }

  // What each scenario did.
  const first = passes[0]?.key;
  if (first) {
    L.push(`### What each page requested (${first} pass, all runs; query strings dropped, hashed chunk names as \`-*.js\`)`, '');
    for (const name of names) {
      const rs = results[first][name];
      if (!rs.length) continue;
      const reqs = requestSummary(rs);
      L.push(`- **${name}** (${SCENARIOS[name].installs}): ${reqs.length ? reqs.map((r) => `\`${r}\``).join(', ') : 'nothing'}.`);
    }
    const offHost = Object.values(results).flatMap((R) => Object.values(R).flatMap((rs) => rs.flatMap((r) => r.offHost)));
    L.push(
      '',
      `Requests to a host other than 127.0.0.1, all runs of all passes: **${offHost.length}**${offHost.length ? ` (${[...new Set(offHost.map((q) => new URL(q.url).host))].join(', ')})` : ''}.`,
      '',
    );
    L.push('Page errors and console errors/warnings (distinct messages; times, ports and line:column replaced; in how many runs of both passes):', '');
    const normalise = (m) =>
      m
        .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
        .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
        .replace(/:\d+:\d+\b/g, ':L:C');
    const runsOf = (name) => Object.values(results).reduce((a, R) => a + (R[name]?.length ?? 0), 0);
    let any = false;
    for (const name of names) {
      const msgs = new Map();
      for (const R of Object.values(results))
        for (const r of R[name] ?? [])
          for (const m of new Set(r.errors.map(normalise))) msgs.set(m, (msgs.get(m) ?? 0) + 1);
      if (!msgs.size) continue;
      any = true;
      L.push(`- ${name}: ${[...msgs].map(([m, c]) => `\`${m.replace(/`/g, "'").replace(/\s+/g, ' ')}\` (${c} of ${runsOf(name)} runs)`).join('; ')}`);
    }
    if (!any) L.push('- none');
    L.push('');
    const shifts = names.flatMap((n) => Object.values(results).flatMap((R) => (R[n] ?? []).filter((r) => r.cls > 0).map((r) => `${n}: ${r.shifts.map((s) => `${n3(s.value)} (${s.sources.join(', ') || '?'})`).join(', ')}`)));
    if (shifts.length) L.push('Layout shifts seen (value, moved nodes):', '', ...[...new Set(shifts)].map((s) => `- ${s}`), '');
    // Whose long tasks: the long animation frames (LoAF) of Kairos runs that had a long task.
    const short = (u) => (u || '?').replace(/^https?:\/\/127\.0\.0\.1:\d+/, '').replace(/-[A-Za-z0-9_-]{6,8}\.js$/, '-*.js');
    const frame = (f) => {
      const scripts = [...f.scripts].sort((a, b) => b.dur - a.dur).slice(0, 3);
      const list = scripts.map((x) => `${short(x.src)}${x.fn ? ` ${x.fn}` : ''} (${x.invoker}) ${n0(x.dur)} ms${x.forced > 1 ? `, ${n0(x.forced)} ms forced style/layout` : ''}`);
      return `${n0(f.duration)} ms frame at +${n0(f.start)} ms: style and layout ${n0(f.styleLayout)} ms; scripts: ${list.join('; ') || 'none'}`;
    };
    const lts = [];
    for (const n of names.filter((x) => x === 'blank' || x.startsWith('kairos-')))
      for (const [p, R] of Object.entries(results)) {
        const hit = (R[n] ?? []).filter((r) => r.ltCount);
        if (!hit.length) continue;
        const examples = hit.slice(0, 3).map((r) => {
          const big = [...r.loaf].sort((a, b) => b.duration - a.duration)[0];
          return `long tasks ${r.lt.map((x) => n0(x)).join(' + ')} ms${big ? `; longest ${frame(big)}` : ''}`;
        });
        lts.push(`- ${n} at ${p}: ${hit.length} of ${R[n].length} runs. ${examples.join(' · ')}${hit.length > 3 ? ' · …' : ''}`);
      }
    if (lts.length) {
      L.push(
        'Long tasks, and whose they were: a `longtask` entry does not say whose code ran, so the Long Animation Frame entries (≥ 50 ms, with the scripts that ran in ' +
          'them and the style-and-layout time) of the same runs are listed; the blank page\'s own are the harness\'s floor.',
        '',
        ...lts,
        '',
      );
    }
    if (errors.length) {
      L.push(`Runs that failed (errors, not figures): ${errors.length}: ${[...new Set(errors.map((e) => `${e.pass} ${e.scenario}: ${e.message}`))].join('; ')}.`, '');
    }
    if (serverLogs.length) L.push('Kairos server output (LOG_LEVEL=warn):', '', ...serverLogs.map(([v, out]) => `- ${v}: \`${out.slice(0, 600).replace(/`/g, "'").replace(/\s+/g, ' ')}\``), '');
  }
  return L.join('\n').trimEnd();
}

/** Kairos chunk names the browser requested in a scenario's runs (file names in dist/widget/kairos-ui). */
function requestedChunks(results, name) {
  const set = new Set();
  for (const R of Object.values(results)) for (const r of R[name] ?? []) for (const q of r.requests) {
    const m = /\/kairos-ui\/([^/?#]+\.js)$/.exec(new URL(q.url).pathname);
    if (m) set.add(m[1]);
  }
  return [...set].sort();
}

/** The static import closure of a manifest entry, as a fallback when the scenario did not run. */
function manifestChunks(entries) {
  const manifest = JSON.parse(readFileSync(join(dist, 'kairos-ui', '.vite', 'manifest.json'), 'utf8'));
  const out = new Set();
  const visit = (key) => {
    const e = manifest[key];
    if (!e || out.has(e.file)) return;
    out.add(e.file);
    for (const i of e.imports ?? []) visit(i);
  };
  for (const src of entries) visit(src);
  return [...out].sort();
}

function bytesSection({ results, machine, command }) {
  const L = [];
  L.push('## Bytes, side by side', '');
  L.push(
    `Machine and date: ${machineLine(machine)}. Command: \`${command}\`. ` +
      'Each file compressed on its own with node:zlib (gzip level 9; brotli quality 11), as a server or CDN serves it; an install\'s total is the sum of its files. ' +
      'Kairos\' chunk lists are what the browser requested in this run\'s `kairos-bar` / `kairos-exit` runs (else the static imports in `dist/widget/kairos-ui/.vite/manifest.json`).',
    '',
  );
  const rows = [];
  const ours = (label, files, note) => {
    const s = files.map((f) => sizes(readFileSync(join(dist, f))));
    rows.push({ label, files: files.map((f) => `\`${f.replace(/-[A-Za-z0-9_-]{6,8}\.js$/, '-*.js')}\``).join(' + '), note, raw: sum(s, 'raw'), gzip: sum(s, 'gzip'), br: sum(s, 'br') });
  };
  const chunks = (name, entries) => {
    const seen = requestedChunks(results, name);
    if (seen.length) return { files: seen, how: 'requested in the bench' };
    return { files: manifestChunks(entries), how: 'from the manifest (scenario not run)' };
  };
  ours('**Kairos** engine (every page; nothing eligible)', ['kairos.js'], 'requested in the bench: `kairos.js` only');
  const bar = chunks('kairos-bar', ['widget/campaigns/announcement-bar.tsx']);
  ours('**Kairos** with an announcement bar shown', ['kairos.js', ...bar.files.map((f) => `kairos-ui/${f}`)], bar.how);
  const exit = chunks('kairos-exit', ['widget/campaigns/exit-offer.tsx', 'widget/lazy/exit-intent.ts']);
  ours('**Kairos** with the exit offer shown', ['kairos.js', ...exit.files.map((f) => `kairos-ui/${f}`)], exit.how);
  const peer = (label, path, note) => {
    const s = sizes(readFileSync(PEER_FILES[path]));
    rows.push({ label, files: `\`${PEER_FILES[path].slice(root.length).replace(/^\/?node_modules\//, '')}\``, note, ...s });
  };
  peer(SCENARIOS.posthog.label, '/peer/posthog/array.js', 'the only script it requested here (remote config 404: no lazy extensions; with surveys on it adds `surveys.js`)');
  peer(SCENARIOS.plausible.label, '/peer/plausible/plausible.js', 'ESM as shipped, not bundled');
  peer(SCENARIOS.ouibounce.label, '/peer/ouibounce/ouibounce.min.js', 'plus the shop\'s own modal HTML/CSS (not counted)');
  peer(
    SCENARIOS.formbricks.label,
    '/peer/formbricks/index.js',
    'the loader only; the runtime it injects, `formbricks.umd.cjs`, is not on npm (built from source in performance.md §1a: 29,246 B raw, 9,487 gzip, 8,412 brotli — not measured here)',
  );
  peer(SCENARIOS['formbricks-v1'].label, '/peer/formbricks-v1/index.umd.js', 'self-contained; loads its surveys renderer from unpkg only when a survey shows');
  const engine = rows[0];
  L.push('| install | files | raw | gzip -9 | brotli -11 | brotli × Kairos engine | notes |', '|---|---|--:|--:|--:|--:|---|');
  for (const r of rows)
    L.push(`| ${r.label} | ${r.files} | ${n0(r.raw)} B | ${n0(r.gzip)} B (${kb(r.gzip)} KB) | ${n0(r.br)} B (${kb(r.br)} KB) | ${(r.br / engine.br).toFixed(2)}× | ${r.note} |`);
  return L.join('\n');
}
const sum = (list, k) => list.reduce((a, s) => a + s[k], 0);

// --- standalone --------------------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '7' },
      'throttle-runs': { type: 'string', default: '7' },
      settle: { type: 'string', default: '3000' },
      only: { type: 'string', default: '' },
      'repeat-runs': { type: 'string', default: '5' },
    },
  });
  const int = (name, v, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  try {
    const md = await run({
      runs: int('runs', values.runs, 1),
      throttleRuns: int('throttle-runs', values['throttle-runs'], 0),
      settle: int('settle', values.settle, 0),
      only: values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [],
      repeatRuns: int('repeat-runs', values['repeat-runs'], 0),
    });
    process.stdout.write(md);
  } catch (e) {
    console.error(e.stack ?? e);
    process.exitCode = 1;
  }
}
