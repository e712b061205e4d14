// Fault injection: a bug anywhere in the widget must not reach the host page. A copy of the widget is built in
// which every function of every module can be made to throw (fault-build.ts); a shop page with a working button,
// a bar, a modal behind an audience rule and a scroll trigger is visited as a shopper would (scroll, close the
// modal, an SPA route change, a tracked click, the preference centre, a link, real navigations), with
//   - each module group throwing from page load,
//   - each group switched on mid-visit, after both campaigns showed (listeners, timers and promise chains
//     installed earlier are then the ones that fail),
//   - one function at a time throwing (every function the visit reaches): an exploratory sweep, run only with
//     KAIROS_FAULT_SWEEP=1 (it takes many minutes). It still finds paths a single throwing function opens (a
//     rejected promise held across an await, a history write that fails leaving a bar shown twice); until those are
//     closed it is a tool that lists them, not a gate — npm test and test:full run the group cases above.
// Each must leave the page with nothing reaching window.onerror or unhandledrejection, no page error, and the
// host's own button working. The control visit (no fault) shows both campaigns and stores their events, and every
// faulted visit must actually have hit its injected throw, so the test can fail both ways.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import { buildFaultWidget, FAULT_GROUPS, widgetModules, type FaultBuild } from './fault-build';
import { collectPageErrors, freePort, root, startKairos, type Kairos } from './support';

const SWEEP = process.env['KAIROS_FAULT_SWEEP'] === '1';
/** Visits at once, each in its own browser context (its own IndexedDB: a new shopper). */
const PARALLEL = 3;
/** The widget counts as settled after this long without a call into its code and without a request in flight. */
const QUIET_MS = 700;

let widget: FaultBuild;
let kairos: Kairos;
let host: { url: string; close(): Promise<void> };
/** The visit without a fault (in beforeAll: the single-function faults need the functions it reaches). */
let control: Outcome;

const config = (origin: string) => `
site:
  name: Fault shop
  allowed_origins: ["${origin}"]
fatigue: { modals_per_session: 1, modals_per_day: 3 }
campaigns:
  - id: fault-bar
    type: announcement_bar
    position: bottom
    priority: 10
    content:
      text: "Free delivery this week."
      link: { label: Read more, url: /other?from=bar }
      dismissible: true
  - id: fault-modal
    type: modal
    priority: 20
    pages: { include: ["/"] }
    trigger: { type: scroll_depth, percent: 50 }
    audience: { device.viewport_width: { gte: 300 } }
    content:
      headline: Ten percent off today
      text: Use code FAULT10 at checkout.
      button: { label: Claim it, url: /other?from=modal }
`;

/** The shop: every path is this page (/, /spa/2 after a pushState, /other); a button that must keep working. */
const shopPage = (api: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fault shop</title>
<script>window.kairos=window.kairos||function(){(kairos.q=kairos.q||[]).push(arguments)}</script>
<script async src="/kairos.js" data-api="${api}"></script>
</head><body>
<h1 id="where">Fault shop</h1>
<button id="buy" type="button">Add to cart</button> <output id="count">0</output>
<button id="spa" type="button">Next page</button>
<div style="height: 3000px"></div>
<script>
  document.getElementById('buy').addEventListener('click', () => {
    const count = document.getElementById('count');
    count.textContent = String(Number(count.textContent) + 1);
    kairos('track', 'Product Added', { product_id: 'p1', price: 10, quantity: 1 });
  });
  document.getElementById('spa').addEventListener('click', () => {
    history.pushState({}, '', '/spa/2');
    document.getElementById('where').textContent = 'Fault shop, page 2';
  });
</script>
</body></html>`;

/** The shop on its own origin: the fault build at /kairos.js, the shipping build (dist/widget) under /real/. */
async function startHost(port: number, dir: string, api: string) {
  const html = shopPage(api);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/real/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html.replace('src="/kairos.js"', 'src="/real/kairos.js"'));
    const real = path.startsWith('/real/');
    const base = real ? join(root, 'dist', 'widget') : dir;
    const asset = real ? path.slice('/real'.length) : path;
    if (asset === '/kairos.js' || asset.startsWith('/kairos-ui/')) {
      const file = join(base, normalize(asset).slice(1));
      if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream' }).end(readFileSync(file));
      return;
    }
    if (path === '/' || path === '/other' || path.startsWith('/spa/')) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

// One worker runs the file's tests in order; after a failing test Playwright starts a new worker, which builds again.
test.beforeAll(async ({ browser }) => {
  test.setTimeout(90_000);
  widget = await buildFaultWidget();
  const port = await freePort();
  kairos = await startKairos({ config: config(`http://127.0.0.1:${port}`), demo: false, env: { KAIROS_RATE_LIMIT: '0' } });
  host = await startHost(port, widget.dir, kairos.url);
  console.log(`fault build: ${widget.sites.length} functions instrumented in ${widget.ms} ms`);
  control = await visit(browser, {});
});

test.afterAll(async () => {
  await host?.close();
  await kairos?.stop();
  if (widget) rmSync(widget.dir, { recursive: true, force: true });
});

// --- one visit -----------------------------------------------------------------------------------------------

/**
 * Runs in the page before anything else. Defines the decision the injected checks ask (`__kairosFaultOn(group,
 * site)`: throw?) and the page's own error listeners. The fault is a group or a site id. What happens is logged to
 * sessionStorage, synchronously, so that it survives navigations — an error thrown by a pagehide listener of a
 * page being left is kept too — and a fault switched on mid-visit stays on for the next page.
 */
function faultInit(initial: string | null) {
  const SEP = '\u0001';
  const append = (key: string, item: string) => sessionStorage.setItem(key, (sessionStorage.getItem(key) ?? '') + item + SEP);
  let fault: string | null = initial;
  try {
    fault = sessionStorage.getItem('kf-fault') ?? initial;
  } catch {
    return; // about:blank
  }
  const reached = new Set<string>();
  const hit = new Set<string>();
  const state = {
    calls: 0,
    set(f: string) {
      fault = f;
      sessionStorage.setItem('kf-fault', f);
    },
  };
  Object.defineProperty(window, '__kairosFault', { value: state });
  (window as unknown as { __kairosFaultOn: (g: string, s: string) => boolean }).__kairosFaultOn = (group, site) => {
    state.calls++;
    if (!reached.has(site)) reached.add(site), append('kf-reached', site);
    if (fault !== group && fault !== site) return false;
    if (!hit.has(site)) hit.add(site), append('kf-hits', site);
    return true;
  };
  const describe = (e: unknown) => (e instanceof Error ? e.stack || String(e) : String(e));
  addEventListener('error', (e) => append('kf-errors', 'window.onerror: ' + describe(e.error ?? e.message)));
  addEventListener('unhandledrejection', (e) => append('kf-errors', 'unhandledrejection: ' + describe(e.reason)));
}

/** What faultInit logged on every page of the visit. */
const readLog = (page: Page) =>
  page.evaluate(() => {
    const list = (key: string) => (sessionStorage.getItem(key) ?? '').split('\u0001').filter(Boolean);
    return { reached: list('kf-reached'), hits: list('kf-hits'), errors: list('kf-errors') };
  });

interface Outcome {
  fault: string;
  /** What reached window.onerror / unhandledrejection in the page. */
  windowErrors: string[];
  /** Playwright's pageerror: uncaught exceptions. */
  pageErrors: string[];
  /** What a shopper would notice: the host button not working, a modal that cannot be closed. */
  harm: string[];
  hits: Set<string>;
  reached: Set<string>;
  barShown: boolean;
  modalShown: boolean;
  posted: string[];
  visitorId: string | undefined;
}

/** Waits until `probe` holds (true), or the widget has settled without it (false). */
async function settle(page: Page, inFlight: () => number, probe: () => Promise<boolean>, capMs = 8_000): Promise<boolean> {
  const until = Date.now() + capMs;
  let calls = -1;
  let since = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return true;
    const now = await page.evaluate(() => (window as unknown as { __kairosFault: { calls: number } }).__kairosFault.calls).catch(() => -1);
    if (now !== calls || inFlight() > 0) (calls = now), (since = Date.now());
    else if (Date.now() - since >= QUIET_MS) return false;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A shopper's visit: three pages, every campaign interaction. `from`: a group or site throwing from the first page
 * load (`short`: the first page and the navigation away only — with boot failing, later pages are the same);
 * `flip`: a group switched on once both campaigns have shown.
 */
async function visit(browser: Browser, fault: { from?: string; flip?: string }, short = false): Promise<Outcome> {
  const out: Outcome = {
    fault: fault.from ?? fault.flip ?? 'none',
    windowErrors: [],
    pageErrors: [],
    harm: [],
    hits: new Set(),
    reached: new Set(),
    barShown: false,
    modalShown: false,
    posted: [],
    visitorId: undefined,
  };
  const context = await browser.newContext();
  let opened: Page | undefined;
  try {
    await context.addInitScript(faultInit, fault.from ?? null);
    const page = await context.newPage();
    opened = page;
    page.on('pageerror', (e) => out.pageErrors.push(e.stack ?? String(e)));
    let inFlight = 0;
    page.on('request', (req) => {
      inFlight++;
      if (req.method() !== 'POST' || !req.url().endsWith('/v1/events')) return;
      try {
        for (const e of JSON.parse(req.postData() ?? '{}').events ?? []) {
          out.posted.push(`${e.name}${e.campaign_id ? ' ' + e.campaign_id : ''}`);
          out.visitorId ??= e.visitor_id;
        }
      } catch {
        // a faulted transport may send anything; the server judges it
      }
    });
    page.on('requestfinished', () => inFlight--);
    page.on('requestfailed', () => inFlight--);
    const t0 = Date.now();
    const settled = async (probe: () => boolean | Promise<boolean>) => {
      const r = await settle(page, () => inFlight, async () => await probe());
      if (process.env['FI_DEBUG']) console.log(out.fault, 'settled', r, 'at', Date.now() - t0);
      return r;
    };
    /** Whether `name` has been posted more than `before` times (and nothing is in flight). */
    const count = (name: string) => out.posted.filter((p) => p === name).length;
    const sent = (name: string, before: number) => () => inFlight === 0 && count(name) > before;

    // One of each is what a shopper should ever see: more is harm, recorded once the visit ends (copies()), and
    // the scenario goes on with the first.
    const bar = page.getByRole('region', { name: 'Announcement' }).first();
    const modal = page.getByRole('dialog', { name: 'Ten percent off today' }).first();
    const panel = page.getByRole('dialog', { name: 'Offer preferences' }).first();
    const copies = async (where: string) => {
      for (const id of ['fault-bar', 'fault-modal']) {
        const n = await page.locator(`kairos-campaign[data-campaign="${id}"]`).count();
        if (n > 1) out.harm.push(`${n} copies of ${id} on the page ${where}`);
      }
    };
    let faulty = !!fault.from;
    /**
     * Whether `what` shows. Before any fault (the control; a visit before its switch) it must, and is waited for;
     * under a fault it may never, and the wait ends once the widget has settled.
     */
    const appears = (what: Locator) =>
      faulty ? settled(() => what.isVisible()) : what.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
    /** A dialog in the shopper's way is closed as a shopper would: its × button, else Escape. */
    const closeDialogs = async () => {
      for (const [dialog, name] of [[modal, 'the modal'], [panel, 'the preference panel']] as const) {
        if (!(await dialog.isVisible())) continue;
        await dialog.getByRole('button', { name: 'Close' }).click({ timeout: 2_000 }).catch(() => undefined);
        if (await dialog.isVisible()) await page.keyboard.press('Escape');
        if (await dialog.isVisible()) out.harm.push(`${name} could not be closed`);
      }
    };
    let clicks = 0;
    /** The shop's own button, clicked as a shopper would, still counts (and tracks Product Added). */
    const hostWorks = async (when: string) => {
      await closeDialogs();
      try {
        await page.locator('#buy').click({ timeout: 3_000 });
        clicks++;
        await expect(page.locator('#count')).toHaveText(String(clicks), { timeout: 2_000 });
      } catch (e) {
        out.harm.push(`the host button did not work ${when}: ${String(e).split('\n')[0]}`);
      }
    };

    try {
      // Page 1: the bar; the host button; a scroll that fires the modal (its audience rule loads the rule engine).
      await page.goto(host.url + '/');
      out.barShown = await appears(bar);
      await hostWorks('on page load');
      await copies('on page load');
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      out.modalShown = await appears(modal);
      if (fault.flip) {
        await page.evaluate((f) => (window as unknown as { __kairosFault: { set(f: string): void } }).__kairosFault.set(f), fault.flip);
        faulty = true;
      }
      await copies('once the modal showed');
      await closeDialogs();
      // An SPA route change (the Navigation API listener); a tracked event, and the batch timer that sends it.
      await page.locator('#spa').click({ timeout: 3_000 }).catch((e) => out.harm.push(`the SPA link did not work: ${String(e).split('\n')[0]}`));
      const added = count('Product Added');
      await hostWorks('after an SPA route change');
      await settled(sent('Product Added', added));
      // The preference centre, from the bar's link: "Fewer offers", saved.
      if (await bar.isVisible()) {
        await bar.getByRole('button', { name: 'Offer preferences' }).click({ timeout: 2_000 }).catch(() => undefined);
        if (await appears(panel)) {
          await panel.getByRole('radio', { name: /Fewer offers/ }).check({ timeout: 2_000 }).catch(() => undefined);
          await panel.getByRole('button', { name: 'Save' }).click({ timeout: 2_000 }).catch(() => undefined);
          await settled(async () => !(await panel.isVisible()));
        }
        await closeDialogs();
      }
      await copies('after the preference centre');
      // Page 2, by a real navigation with the bar up (pagehide: Campaign Left, the outbox handed to sendBeacon).
      await page.goto(host.url + '/other');
      if (short) await settled(async () => false);
      else {
        // The bar's link (a click) to page 3.
        if (await appears(bar))
          await Promise.all([page.waitForURL(/from=bar/, { timeout: 5_000 }), bar.getByRole('link', { name: 'Read more' }).click({ timeout: 2_000 })]).catch(() =>
            out.harm.push('the bar link did not navigate'),
          );
        else await page.goto(host.url + '/other?from=bar');

        // Page 3: dismiss the bar, the host button, and what is left to send goes.
        clicks = 0;
        const dismissed = count('Campaign Dismissed fault-bar');
        if (await appears(bar)) await bar.getByRole('button', { name: 'Dismiss announcement' }).click({ timeout: 2_000 }).catch(() => undefined);
        await hostWorks('on the third page');
        await settled(sent('Campaign Dismissed fault-bar', dismissed));
        await copies('at the end');
      }
    } catch (e) {
      out.harm.push(`the visit could not go on: ${String(e).split('\n')[0]}`);
    }
  } finally {
    const log = opened && (await readLog(opened).catch(() => undefined));
    if (log) {
      log.reached.forEach((s) => out.reached.add(s));
      log.hits.forEach((s) => out.hits.add(s));
      out.windowErrors.push(...log.errors);
    } else out.harm.push('the page could not be read at the end of the visit');
    await context.close();
  }
  return out;
}

async function pool<T, R>(items: readonly T[], n: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await run(items[i]!);
      }
    }),
  );
  return results;
}

/** What escaped, one line each: the kind and the first frames (they name the injected site and the path it took). */
const escaped = (o: Outcome) => [...o.windowErrors, ...o.pageErrors.map((e) => 'pageerror: ' + e)].map((e) => e.split('\n').slice(0, 7).map((l) => l.trim().replace(/\(?http:\/\/127\.0\.0\.1:\d+\/(kairos-ui\/)?/, '(').replace(/-[\w-]{6,8}\.js/, '.js')).join(' < '));

function expectHarmless(o: Outcome, what: string) {
  expect.soft(escaped(o), `${what}: errors reaching the page`).toEqual([]);
  expect.soft(o.harm, `${what}: harm the shopper would notice`).toEqual([]);
  expect.soft(o.hits.size, `${what}: the injected throw was never hit`).toBeGreaterThan(0);
}

// --- the tests -----------------------------------------------------------------------------------------------

test('every widget module is instrumented, in a group', () => {
  const modules = widgetModules();
  expect(modules.filter((m) => !m.group).map((m) => m.rel)).toEqual([]);
  for (const g of FAULT_GROUPS) expect(widget.sites.filter((s) => s.group === g).length, g).toBeGreaterThan(0);
});

test('control: without a fault both campaigns show, events are stored, and every group runs', async () => {
  expect(escaped(control)).toEqual([]);
  expect(control.harm).toEqual([]);
  expect(control.barShown).toBe(true);
  expect(control.modalShown).toBe(true);
  expect(control.hits.size).toBe(0);
  expect(control.visitorId).toBeTruthy();
  const stored = () => kairos.events().filter((e) => e.visitor_id === control.visitorId).map((e) => `${e.name}${e.campaign_id ? ' ' + e.campaign_id : ''}`);
  await expect.poll(stored).toEqual(
    expect.arrayContaining([
      'Page Viewed',
      'Campaign Shown fault-bar',
      'Campaign Shown fault-modal',
      'Campaign Dismissed fault-modal',
      'Product Added',
      'Preferences Changed fault-bar',
      'Campaign Left fault-bar',
      'Campaign Clicked fault-bar',
      'Campaign Dismissed fault-bar',
    ]),
  );
  const reachedBy = Object.fromEntries(FAULT_GROUPS.map((g) => [g, widget.sites.filter((s) => s.group === g && control.reached.has(s.id)).length]));
  console.log(`control visit: ${control.reached.size} of ${widget.sites.length} functions reached`, reachedBy);
  for (const g of FAULT_GROUPS) expect(reachedBy[g], `functions of ${g} the visit runs`).toBeGreaterThan(0);
});

test('each module group throwing from page load: nothing reaches the page, the shop works', async ({ browser }) => {
  test.setTimeout(90_000);
  const outcomes = await pool(FAULT_GROUPS, PARALLEL, (g) => visit(browser, { from: g }, true));
  for (const o of outcomes) {
    console.log(`fault ${o.fault} from load: ${o.hits.size} functions threw, ${escaped(o).length} errors reached the page`);
    expectHarmless(o, `${o.fault} from page load`);
  }
});

test('each module group switched on mid-visit, after both campaigns showed: nothing reaches the page', async ({ browser }) => {
  test.setTimeout(90_000);
  const outcomes = await pool(FAULT_GROUPS, PARALLEL, (g) => visit(browser, { flip: g }));
  for (const o of outcomes) {
    console.log(`fault ${o.fault} mid-visit: ${o.hits.size} functions threw, ${escaped(o).length} errors reached the page`);
    expect.soft(o.barShown && o.modalShown, `${o.fault} mid-visit: both campaigns showed before the switch`).toBe(true);
    expectHarmless(o, `${o.fault} switched on mid-visit`);
  }
});

// Every function the visit reaches, each throwing alone, takes minutes (288 visits): only with KAIROS_FAULT_SWEEP=1.
test('one function at a time throwing: nothing reaches the page', async ({ browser }) => {
  test.skip(!SWEEP, 'an exploratory sweep of every reached function, one at a time: KAIROS_FAULT_SWEEP=1 (see the header)');
  test.setTimeout(3_600_000);
  const reached = widget.sites.filter((s) => control.reached.has(s.id));
  expect(reached.length).toBeGreaterThan(0);
  const sites = reached;
  const started = Date.now();
  const outcomes = await pool(sites, PARALLEL, async (s) => {
    const o = await visit(browser, { from: s.id });
    // As they come: a long run cut short still says what it found.
    if (escaped(o).length || o.harm.length) console.log(`  ${o.fault}: ${[...escaped(o), ...o.harm].join(' || ')}`);
    return o;
  });
  const escapes = outcomes.filter((o) => escaped(o).length || o.harm.length);
  console.log(`single-function faults: ${outcomes.length} of ${reached.length} reached functions in ${Math.round((Date.now() - started) / 1000)} s; ${escapes.length} let something through`);
  console.log('  sites that let something through: ' + escapes.map((o) => o.fault).join(', '));
  for (const o of outcomes) expectHarmless(o, `${o.fault} throwing`);
});

// --- the shipping build ------------------------------------------------------------------------------------------
// Two of the paths the injection found open, reproduced with dist/widget and no injection at all: what a real page
// can do to reach them.

test('the shipping build: a kairos() call with an argument String() cannot convert does not throw into the page', async ({ page }) => {
  const errors = collectPageErrors(page);
  await page.goto(host.url + '/real/');
  await expect(page.getByRole('region', { name: 'Announcement' })).toBeVisible();
  // An object without a prototype (Object.create(null), a parsed query-string map in some libraries): the public
  // function builds its debug label with String(args[0]) before its error boundary.
  const thrown = await page.evaluate(() => {
    try {
      (window as unknown as { kairos(...a: unknown[]): void }).kairos(Object.create(null));
      return null;
    } catch (e) {
      return String(e);
    }
  });
  expect(thrown).toBeNull();
  expect(errors).toEqual([]);
});

test('the shipping build: a host fetch that throws when called does not reach the page from the batch timer', async ({ page }) => {
  const errors = collectPageErrors(page);
  // A host (or an extension) wrapping fetch and refusing some requests by throwing rather than rejecting. The page's
  // own listener sees an uncaught error in the same task, so nothing is left to a race with Playwright's pageerror.
  await page.addInitScript(() => {
    const original = window.fetch;
    const w = window as unknown as { refused: number; uncaught: string[] };
    w.refused = 0;
    w.uncaught = [];
    addEventListener('error', (e) => w.uncaught.push(String(e.error ?? e.message)));
    addEventListener('unhandledrejection', (e) => w.uncaught.push(String(e.reason)));
    window.fetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
      if (init?.method === 'POST') {
        w.refused++;
        throw new TypeError('this shop does not allow POST from third parties');
      }
      return original.call(this, input, init);
    } as typeof fetch;
  });
  await page.goto(host.url + '/real/');
  await expect(page.getByRole('region', { name: 'Announcement' })).toBeVisible();
  await page.locator('#buy').click();
  await expect(page.locator('#count')).toHaveText('1');
  // The transport's batch timer has tried to send (Page Viewed, Campaign Shown, Product Added).
  await expect.poll(() => page.evaluate(() => (window as unknown as { refused: number }).refused)).toBeGreaterThan(0);
  await page.locator('#buy').click();
  await expect(page.locator('#count')).toHaveText('2');
  expect(await page.evaluate(() => (window as unknown as { uncaught: string[] }).uncaught)).toEqual([]);
  expect(errors).toEqual([]);
});
