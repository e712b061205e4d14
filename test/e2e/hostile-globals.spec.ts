// Hostile globals: a shop page that has patched, replaced, frozen or removed the builtins the widget might use
// (Prototype 1.6's toJSON family, a broken bind, wrapped or throwing fetch, a replaced JSON, Object.prototype
// keys, frozen intrinsics, no sendBeacon, an AMD loader, a Promise polyfill, collection and URL shims, our
// element name taken, missing APIs) gets exactly what a clean page gets. Each fixture in test/e2e/hostile/ runs
// in the host page before the snippet; the same scripted visit (a bar shown and dismissed, host calls to
// kairos('track', …), a second page with a modal closed, identify) runs on the clean control page and on each
// fixture page, each in a fresh browser context, against one real Kairos server. Compared with the control:
// the events the server stored and the request bodies the widget sent (byte for byte, after normalising ids,
// times and durations), 0 uncaught errors or unhandled rejections, and the bar and the modal pixel for pixel
// (≤ 0.1 % differing pixels). Three fixtures (DEGRADES) the widget cannot survive yet: there it only has to
// stay out of the way — no uncaught error, the host page works.
//
// The fixtures run four at a time, each in its own context, in one test (a failing test restarts the worker, so
// one test per fixture would redo the control after every failure); each fixture is a step of its own in the
// report. KAIROS_HOSTILE=prototype-1.6,url-polyfill runs only those; KAIROS_HOSTILE_DEBUG=1 runs the widget in
// debug mode and prints its console, to see why a fixture fails.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { freePort, root, startKairos, type Kairos } from './support';

const FIXTURES = [
  'prototype-1.6',
  'broken-bind',
  'fetch-drops-init',
  'fetch-throws',
  'fetch-throws-on-post',
  'fetch-late-wrap',
  'fetch-readonly',
  'json-replaced',
  'object-prototype-enumerable',
  'frozen-intrinsics',
  'no-sendbeacon',
  'amd-loader',
  'promise-polyfill',
  'collections-polyfill',
  'url-polyfill',
  'element-name-taken',
  'missing-apis',
] as const;
type Fixture = (typeof FIXTURES)[number] | 'control';
/**
 * Fixtures the widget does not survive yet, and why: on these it must degrade silently — no uncaught error, the
 * host's own steps still work — but what it shows and sends is not asserted. Each needs a pristine builtin from a
 * fresh realm (a hidden iframe, as Sentry does), which costs the first script bytes it does not have (8 KB budget).
 * (A fetch that throws when called is survived: the widget falls back to XMLHttpRequest, see widget/safe.ts.)
 */
const DEGRADES: Partial<Record<Fixture, string>> = {
  'fetch-drops-init': 'the page wrapped fetch before we loaded and drops our method and body: our POSTs arrive as GETs (kept in the outbox, retried)',
  'collections-polyfill': 'a pre-ES2015 Map/Set shim without iterators replaced the native ones: the engine stops at start',
  'url-polyfill': 'a URL/URLSearchParams shim without iteration replaced the native ones: the first page view fails, nothing starts',
};

const CONCURRENCY = 4;
/** KAIROS_HOSTILE_DEBUG=1: the widget in debug mode, its console output printed per run (to diagnose a fixture). */
const DEBUG = process.env.KAIROS_HOSTILE_DEBUG === '1';
const MAX_DIFF = 0.001; // ≤ 0.1 % of an overlay's pixels may differ from the control's
const BAR = '[data-campaign="hg-bar"]';
const MODAL = '[data-campaign="hg-modal"]';
/** What the control visit must produce, in order of time; the fixtures are compared with the control's details. */
const EXPECTED = [
  'Page Viewed',
  'Early Call',
  'Campaign Shown hg-bar',
  'Campaign Dismissed hg-bar',
  'Product Viewed',
  'Product Added',
  'Page Viewed',
  'Campaign Shown hg-modal',
  'Campaign Dismissed hg-modal',
  'Identify',
  'Visit Finished',
];

/** A bar on every page, and a modal on the second page view of the session. */
const config = (shop: string) => `
site: { name: Hostile Globals Shop, allowed_origins: ["${shop}"] }
fatigue: { modals_per_session: 1, modals_per_day: 3 }
campaigns:
  - id: hg-bar
    type: announcement_bar
    position: bottom
    priority: 10
    content:
      text: "Sommerschlussverkauf: 20 % auf alle Sonnenbrillen — Größe tauschen kostenlos"
      link: { label: Zur Auswahl, url: /next }
      dismissible: true
    theme: { background: "#0f5c57", color: "#ffffff" }
  - id: hg-modal
    type: modal
    priority: 30
    trigger: { type: page_views, count: 2 }
    frequency: once_per_session
    content:
      headline: Willkommen — 10 % auf Ihre erste Bestellung
      text: "Code WELCOME10 an der Kasse. Gilt für alles, auch im Sale."
      button: { label: Jetzt einkaufen, url: /next }
`;

/**
 * The host page: the fixture's script (chosen by the `hostile` cookie, so every run loads the same HTML from the
 * same URL), the snippet, and buttons whose inline handlers are the shop's own calls to kairos().
 */
const hostPage = (api: string, second: boolean) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${second ? 'Checkout soon' : 'Sunglasses'} — Hostile Globals Shop</title>
<style>
  html, body { margin: 0; background: #f4f1ea; color: #1d232a; font: 16px/1.5 "DejaVu Sans", sans-serif; }
  main { padding: 24px 32px; }
  button { display: inline-block; margin: 4px 8px 4px 0; padding: 6px 12px; font: inherit; }
</style>
<script src="/hostile.js"></script>
<script>window.kairos=window.kairos||function(){(kairos.q=kairos.q||[]).push(arguments)}</script>
${second ? '' : `<script>kairos('track', 'Early Call', { queued: true, list: ['a', 'b'] })</script>`}
<script async src="/kairos.js" data-api="${api}"${DEBUG ? ' data-debug' : ''}></script>
</head><body><main>
<h1>${second ? 'Your basket' : 'Aviator sunglasses'}</h1>
<p>Host content the widget must leave alone.</p>
<button id="counter" type="button" onclick="this.textContent = String(Number(this.textContent) + 1)">0</button>
<button id="leave" type="button" onclick="kairos('track', 'Product Viewed', { product_id: 'sunglasses-aviator', name: 'Aviator “Größe M” ☀ 日本', price: 89.5, currency: 'EUR', sizes: ['S', 'M', 'L'], in_stock: true, dims: { width_mm: 140, label: 'weit' } }); kairos('track', 'Product Added', { product_id: 'sunglasses-aviator', price: 89.5, quantity: 2, currency: 'EUR' }); location.href = '/next'">Add and go to the basket</button>
<button id="identify" type="button" onclick="kairos('identify', 'user-42', { plan: 'vip', name: 'Zoë' })">Sign in</button>
<button id="finish" type="button" onclick="kairos('track', 'Visit Finished', { steps: ['bar', 'modal'], ok: true })">Finish</button>
</main></body></html>`;

/** Reports uncaught errors and unhandled rejections through a console.error captured before any page script. */
const ERROR_HOOKS = `(() => {
  const say = console.error.bind(console);
  const S = String;
  addEventListener('error', (e) => say('[hostile-uncaught] ' + S((e.error && e.error.stack) || e.message || (e.target && (e.target.src || e.target.href)) || e.type)), true);
  addEventListener('unhandledrejection', (e) => say('[hostile-unhandled] ' + S((e.reason && e.reason.stack) || e.reason)));
})();`;

const cookie = (req: IncomingMessage, name: string) => new RegExp(`(?:^|;\\s*)${name}=([\\w.-]+)`).exec(req.headers.cookie ?? '')?.[1];

/**
 * The shop's origin: the host pages, the fixture scripts and the built widget (as a shop self-hosting it would).
 * Each run's pages point the snippet at its own API path on the recorder (`api(run)`), named by the `run` cookie.
 */
async function startHost(api: (run: string) => string): Promise<{ url: string; close(): Promise<void> }> {
  const widget = join(root, 'dist', 'widget');
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (type: string, body: string | Buffer) => res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    if (path === '/' || path === '/next') return send('text/html; charset=utf-8', hostPage(api(cookie(req, 'run') ?? 'none'), path === '/next'));
    if (path === '/hostile.js') {
      const name = cookie(req, 'hostile') ?? 'control';
      if (name !== 'control' && !(FIXTURES as readonly string[]).includes(name)) return void res.writeHead(404).end();
      return send('text/javascript; charset=utf-8', readFileSync(join(import.meta.dirname, 'hostile', name + '.js')));
    }
    if (path === '/kairos.js' || /^\/kairos-ui\/[\w.-]+\.js$/.test(path)) return send('text/javascript; charset=utf-8', readFileSync(join(widget, path)));
    res.writeHead(404).end('not found');
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

interface Raw {
  method: string;
  type: string;
  /** Sec-Fetch-Mode: `no-cors` for a beacon, `cors` for fetch. */
  mode: string;
  body: string;
}

/**
 * A pass-through in front of the Kairos server that keeps every request to /v1/events exactly as it arrived,
 * per run (`/r/<run>/v1/…` → `/v1/…`). Recorded here rather than with page.on('request'), which does not see
 * the beacons a page sends while it unloads.
 */
async function startRecorder(target: string): Promise<{ api(run: string): string; raw(run: string): Raw[]; close(): Promise<void> }> {
  const runs = new Map<string, Raw[]>();
  const raw = (run: string) => runs.get(run) ?? (runs.set(run, []), runs.get(run)!);
  const server: Server = createServer((req, res) => {
    const m = /^\/r\/([\w.-]+)(\/.*)$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (m[2]!.startsWith('/v1/events')) raw(m[1]!).push({
          method: req.method ?? '',
          type: req.headers['content-type'] ?? '',
          mode: String(req.headers['sec-fetch-mode'] ?? ''),
          body: body.toString('utf8'),
        });
      const up = httpRequest(target + m[2], { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(body);
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://localhost:${port}`;
  return { api: (run) => `${url}/r/${run}`, raw, close: () => new Promise((r) => server.close(() => r())) };
}

type Json = Record<string, unknown>;

interface Run {
  fixture: Fixture;
  /** Steps of the visit that could not be done (an overlay that never showed, a button that never came). */
  problems: string[];
  /** pageerror events and what the error/unhandledrejection listeners saw. */
  errors: string[];
  /** Requests to /v1/events that were not one canonical text/plain JSON POST of { sent_at, events }. */
  badBodies: string[];
  /** Every event the widget sent (deduplicated by event_id), normalised, in order of time. */
  sent: string[];
  /** The rows the server stored for this run's visitor, normalised, in order of time. */
  stored: string[];
  bar?: { png: Buffer; text: string } | undefined;
  modal?: { png: Buffer; text: string } | undefined;
  /** Requests to /v1/events, and how many of them were beacons. */
  requests: number;
  beacons: number;
  ms: number;
}

/**
 * Ids, times and durations differ from run to run; the rest must not. Events are put in order of time (ties keep
 * the order given: the order they were sent in). Keys keep their order (a replaced stringify that reorders them is
 * a difference), visitor and session ids become V0/S0… by order of first use, event ids, times and durations go.
 */
function normalise(events: Json[], byTime = true): string[] {
  const sorted = byTime ? [...events].sort((a, b) => Number(a['ts']) - Number(b['ts'])) : events; // stable: ties keep the order given
  const ids = new Map<string, string>();
  const idOf = (prefix: string, v: unknown) => {
    const key = prefix + String(v);
    if (!ids.has(key)) ids.set(key, prefix + [...ids.keys()].filter((k) => k.startsWith(prefix)).length);
    return ids.get(key);
  };
  return sorted.map((e) =>
    JSON.stringify(e, function (key, value: unknown) {
      if (this !== e && !(key === 'ms' && this === e['props'])) return value;
      if (key === 'event_id' || key === 'ts') return `<${key}>`;
      if (key === 'visitor_id') return idOf('V', value);
      if (key === 'session_id') return idOf('S', value);
      if (key === 'ms') return typeof value === 'number' && value >= 0 ? '<ms>' : value;
      return value;
    }),
  );
}

const label = (e: string) => {
  const o = JSON.parse(e) as Json;
  return `${String(o['name'])}${o['campaign_id'] ? ' ' + String(o['campaign_id']) : ''}`;
};

function diffRatio(a: Buffer | undefined, b: Buffer | undefined): number {
  if (!a || !b) return 1;
  const pa = PNG.sync.read(a);
  const pb = PNG.sync.read(b);
  if (pa.width !== pb.width || pa.height !== pb.height) return 1;
  return pixelmatch(pa.data, pb.data, undefined, pa.width, pa.height, { threshold: 0.1 }) / (pa.width * pa.height);
}

async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

let kairos: Kairos;
let recorder: Awaited<ReturnType<typeof startRecorder>>;
let host: Awaited<ReturnType<typeof startHost>>;
let control: Run;
let runs = 0;

/** Time allowed for something a working widget does at once; the machine may be busy (2 vCPUs, other tests). */
const PATIENCE = 8000;

/** The scripted visit, in a fresh context (empty device state) with `fixture` as the page's hostile script. */
async function visit(browser: Browser, fixture: Fixture, reference?: Run): Promise<Run> {
  const started = Date.now();
  const runId = `${fixture}.${runs++}`;
  const context = await browser.newContext({
    viewport: { width: 1000, height: 700 },
    deviceScaleFactor: 1,
    reducedMotion: 'reduce',
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  await context.addCookies([
    { name: 'hostile', value: fixture, url: host.url },
    { name: 'run', value: runId, url: host.url },
  ]);
  await context.addInitScript(ERROR_HOOKS);
  const page: Page = await context.newPage();
  const run: Run = { fixture, problems: [], errors: [], badBodies: [], sent: [], stored: [], requests: 0, beacons: 0, ms: 0 };
  page.on('pageerror', (e) => run.errors.push('pageerror: ' + String(e.stack ?? e)));
  page.on('console', (m) => {
    if (/^\[hostile-/.test(m.text())) run.errors.push(m.text());
    else if (DEBUG) console.log(`  [${fixture}] ${m.type()}: ${m.text()}`);
  });

  // Anything the widget sent that names the event, in whatever shape (a broken stringify still counts as sent).
  const posted = (name: string, campaign?: string) =>
    recorder.raw(runId).some((r) => r.body.includes(name) && (!campaign || r.body.includes(campaign)));
  const step = async (what: string, action: () => Promise<unknown>): Promise<boolean> => {
    try {
      await action();
      return true;
    } catch (e) {
      run.problems.push(`${what}: ${String((e as Error).message ?? e).split('\n')[0]}`);
      return false;
    }
  };
  // Waiting for a request only paces the visit; once one never came, the others get a short wait, so a broken
  // fixture costs seconds, not minutes (its failure is certain by then).
  let sendWait = PATIENCE;
  // A request that is not a POST, or an uncaught error, means sending is broken: no need to wait any longer.
  const mangled = () => run.errors.length > 0 || recorder.raw(runId).some((r) => r.method !== 'POST');
  const waitPosted = (name: string, campaign?: string) =>
    step(`"${name}${campaign ? ' ' + campaign : ''}" sent`, async () => {
      if (!(await until(() => posted(name, campaign) || mangled(), sendWait)) || !posted(name, campaign)) {
        sendWait = 1000;
        throw new Error('not sent');
      }
    });
  const shoot = async (selector: string, settled: (text: string) => boolean) => {
    const target = page.locator(selector);
    let text = '';
    await until(async () => settled((text = (await target.textContent({ timeout: 1000 }).catch(() => '')) ?? '')), 2000);
    return { png: await target.screenshot({ animations: 'disabled', caret: 'hide', timeout: PATIENCE }), text };
  };

  // Page 1: the bar shows; the host's own button still works meanwhile; the bar is dismissed.
  await step('open the first page', () => page.goto(host.url + '/', { timeout: PATIENCE }));
  const [, barShown] = await Promise.all([
    step('the host page works', async () => {
      await page.click('#counter', { timeout: PATIENCE });
      await expect(page.locator('#counter')).toHaveText('1', { timeout: PATIENCE });
    }),
    step('the bar shows', () => expect(page.locator(`${BAR} [role=region]`)).toBeVisible({ timeout: PATIENCE })),
  ]);
  if (barShown) {
    await step('screenshot the bar', async () => {
      // The bar fills its screen-reader live region one tick after it shows: its text has settled when it matches.
      const want = reference?.bar?.text;
      run.bar = await shoot(`${BAR} .bar`, (text) => (want ? text === want : /kostenlos.*kostenlos/.test(text)));
    });
    await step('dismiss the bar', async () => {
      await page.locator(BAR).getByRole('button', { name: 'Dismiss announcement' }).click({ timeout: PATIENCE });
      await expect(page.locator(BAR)).toHaveCount(0, { timeout: PATIENCE });
    });
    // Paces the visit: the dismissal is on the device (it was recorded before this event was sent) before page 2.
    await waitPosted('Campaign Dismissed', 'hg-bar');
  } else sendWait = 1000;
  // Two calls and a navigation in one handler: the events are still pending when the page hides (the beacon's moment).
  await step('track and leave', () =>
    Promise.all([page.waitForURL(host.url + '/next', { timeout: PATIENCE }), page.click('#leave', { timeout: PATIENCE })]),
  );

  // Page 2: the modal shows (second page view), is closed with "No thanks"; identify; the last call. A widget
  // that could not draw the bar will not draw the modal either: it gets a short wait.
  const modalWait = run.bar ? PATIENCE : 2000;
  if (await step('the modal shows', () => expect(page.locator(`${MODAL} dialog`)).toBeVisible({ timeout: modalWait }))) {
    await step('screenshot the modal', async () => {
      const want = reference?.modal?.text;
      run.modal = await shoot(`${MODAL} dialog`, (text) => (want ? text === want : /WELCOME10/.test(text)));
    });
    await step('close the modal', async () => {
      await page.locator(MODAL).getByRole('button', { name: 'No thanks' }).click({ timeout: PATIENCE });
      await expect(page.locator(MODAL)).toHaveCount(0, { timeout: PATIENCE });
    });
  }
  await step('identify and finish', async () => {
    await page.click('#identify', { timeout: PATIENCE });
    await page.click('#finish', { timeout: PATIENCE });
  });
  await waitPosted('Visit Finished');

  // What was sent: each body must be exactly what native JSON.stringify writes for { sent_at, events } (but see
  // json-replaced below).
  const events = new Map<string, Json>();
  for (const r of recorder.raw(runId)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.body);
    } catch {
      run.badBodies.push(`${r.method} "${r.type}": not JSON: "${r.body.slice(0, 120)}"`);
      continue;
    }
    const batch = parsed as { sent_at?: unknown; events?: unknown };
    const why = [
      r.method !== 'POST' && `method ${r.method}`,
      !r.type.startsWith('text/plain') && `content-type "${r.type}"`,
      JSON.stringify(Object.keys(batch ?? {})) !== '["sent_at","events"]' && `keys ${JSON.stringify(Object.keys(batch ?? {}))}`,
      typeof batch?.sent_at !== 'number' && 'sent_at not a number',
      !Array.isArray(batch?.events) && 'events not an array',
      // The one exception: a page whose own JSON escapes non-ASCII writes the same JSON in other bytes (the server
      // stores the same events, which the comparison with the control checks).
      fixture !== 'json-replaced' && JSON.stringify(parsed) !== r.body && 'bytes differ from native JSON.stringify',
    ].filter(Boolean);
    if (why.length) run.badBodies.push(`${r.method} "${r.type}": ${why.join(', ')}: ${r.body.slice(0, 160)}`);
    if (Array.isArray(batch?.events))
      for (const e of batch.events as Json[]) if (e && typeof e === 'object' && !events.has(String(e['event_id']))) events.set(String(e['event_id']), e);
  }
  const inOrder = [...events.values()].sort((a, b) => Number(a['ts']) - Number(b['ts']));
  run.sent = normalise(inOrder);
  run.requests = recorder.raw(runId).length;
  run.beacons = recorder.raw(runId).filter((r) => r.mode === 'no-cors').length;

  // What the server stored for this run's visitor: once the last event is in, everything before it is.
  const visitors = new Set([...events.values()].map((e) => String(e['visitor_id'])));
  const rows = () => kairos.events().filter((r) => visitors.has(r.visitor_id));
  if (visitors.size && !(await until(() => rows().some((r) => r.name === 'Visit Finished'), sendWait))) run.problems.push('"Visit Finished" not stored');
  // In the order of the events sent: the server corrects each batch's times by its sent_at, so stored times of
  // events sent in different batches a few ms apart may cross.
  const order = inOrder.map((e) => String(e['event_id']));
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  run.stored = normalise(rows().sort((a, b) => rank(a.event_id) - rank(b.event_id)).map((r) => ({ ...r }) as unknown as Json), false);

  await context.close();
  run.ms = Date.now() - started;
  return run;
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(60_000);
  // The recorder's port must be known to the host, and the host's origin to the server's allow-list.
  let api: (run: string) => string = () => '';
  host = await startHost((run) => api(run));
  kairos = await startKairos({ config: config(host.url), demo: false });
  recorder = await startRecorder(kairos.url);
  api = recorder.api;
  control = await visit(browser, 'control');
  // The control itself must be the visit we mean, or every comparison below would be empty.
  expect(control.problems, 'control visit').toEqual([]);
  expect(control.errors, 'control errors').toEqual([]);
  expect(control.badBodies, 'control bodies').toEqual([]);
  expect(control.sent.map(label), 'control events sent').toEqual(EXPECTED);
  expect(control.stored.map(label), 'control events stored').toEqual(EXPECTED);
  expect(control.bar?.text).toMatch(/kostenlos.*kostenlos/); // the text, and the live region repeating it
  expect(control.modal?.text).toMatch(/WELCOME10/);
  console.log(`hostile globals: control visit ${control.ms} ms, ${control.sent.length} events in ${control.requests} requests (${control.beacons} beacons)`);
});

test.afterAll(async () => {
  await kairos?.stop();
  await recorder?.close();
  await host?.close();
});

test('every hostile fixture: the same events and bodies as the clean page, no uncaught error, the same overlays', async ({ browser }) => {
  test.setTimeout(120_000);
  // Fixtures run side by side (each in its own context), so the whole suite fits its CI time; KAIROS_HOSTILE=a,b
  // runs only those.
  const only = process.env.KAIROS_HOSTILE?.split(',').filter(Boolean);
  const todo = FIXTURES.filter((f) => !only || only.includes(f));
  const runs: Run[] = [];
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < todo.length) {
        const fixture = todo[next++]!;
        runs.push(await visit(browser, fixture, control));
      }
    }),
  );
  runs.sort((a, b) => todo.indexOf(a.fixture as (typeof FIXTURES)[number]) - todo.indexOf(b.fixture as (typeof FIXTURES)[number]));
  console.log(`hostile globals: ${runs.length} fixtures in ${Date.now() - started} ms, ${CONCURRENCY} at a time`);

  for (const run of runs) {
    await test.step(run.fixture, () => {
      const barDiff = diffRatio(control.bar?.png, run.bar?.png);
      const modalDiff = diffRatio(control.modal?.png, run.modal?.png);
      const figures = `${run.sent.length}/${control.sent.length} events sent, ${run.stored.length}/${control.stored.length} stored, ${run.requests} requests (${run.beacons} beacons), ${run.errors.length} uncaught errors, bar diff ${(barDiff * 100).toFixed(3)} %, modal diff ${(modalDiff * 100).toFixed(3)} %, ${run.ms} ms`;
      test.info().annotations.push({ type: run.fixture, description: figures });
      console.log(`hostile globals: ${run.fixture}: ${figures}`);
      const f = run.fixture;
      expect.soft(run.errors, `${f}: uncaught errors and unhandled rejections`).toEqual([]);
      if (f in DEGRADES) {
        // Kairos cannot work here; it must stay out of the way: no error (above), the host's own steps work.
        const host = run.problems.filter((p) => /^(open the first page|the host page works|track and leave|identify and finish)/.test(p));
        expect.soft(host, `${f}: the host page's own steps`).toEqual([]);
        return;
      }
      expect.soft(run.problems, `${f}: steps of the visit that failed`).toEqual([]);
      expect.soft(run.badBodies, `${f}: request bodies that are not canonical text/plain JSON`).toEqual([]);
      expect.soft(run.sent, `${f}: events sent (normalised), vs the control`).toEqual(control.sent);
      expect.soft(run.stored, `${f}: events stored by the server (normalised), vs the control`).toEqual(control.stored);
      expect.soft(run.bar?.text, `${f}: bar text`).toBe(control.bar?.text);
      expect.soft(run.modal?.text, `${f}: modal text`).toBe(control.modal?.text);
      expect.soft(barDiff, `${f}: bar, share of pixels differing from the control`).toBeLessThanOrEqual(MAX_DIFF);
      expect.soft(modalDiff, `${f}: modal, share of pixels differing from the control`).toBeLessThanOrEqual(MAX_DIFF);
    });
  }
});
