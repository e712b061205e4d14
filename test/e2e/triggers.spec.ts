// Every trigger in widget/triggers/ in real Chromium, with synthetic input: for each, a case where it fires and
// cases where it must not; exit intent's false positives of other tools (link clicks, entry, grazing the edge,
// after an SPA route change); the mobile composite and the signal it reports; nothing in a hidden tab; and
// `stop()` leaving no listener, timer, interval or animation frame behind, counted by wrapping the builtins in
// this test page only (the product never patches them).
import { expect, test, type Page } from '@playwright/test';
import { resolve } from 'node:path';
import { build, type Rollup } from 'vite';
import type { Trigger } from '../../server/schema';

const root = resolve(import.meta.dirname, '..', '..');
const ORIGIN = 'http://kairos.test';
let bundle = '';
const ENTRY = 'kairos-triggers-test-entry';

test.beforeAll(async () => {
  // The triggers (and setDebug, to see what they report) as one IIFE that sets window.__kairosTriggers.
  const entry = `export { startTrigger } from ${JSON.stringify(resolve(root, 'widget/triggers/index.ts'))};
export { exitIntent } from ${JSON.stringify(resolve(root, 'widget/triggers/exit-intent.ts'))};
export * from ${JSON.stringify(resolve(root, 'widget/lazy/triggers.ts'))};
export { setDebug } from ${JSON.stringify(resolve(root, 'widget/safe.ts'))};`;
  const out = (await build({
    configFile: false,
    logLevel: 'warn',
    // Vite resolves a lib entry against the root, so the virtual entry is matched by its end.
    plugins: [
      {
        name: 'entry',
        resolveId: (id) => (id.endsWith(ENTRY) ? '\0' + ENTRY : undefined),
        load: (id) => (id === '\0' + ENTRY ? entry : undefined),
      },
    ],
    build: {
      write: false,
      minify: false,
      target: 'es2020',
      lib: { entry: ENTRY, formats: ['iife'], name: '__kairosTriggers', fileName: () => 'triggers.js' },
    },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  bundle = (Array.isArray(out) ? out[0]! : out).output[0].code;
});

/** Test page only: counts what is active, and lets the test hide and show the tab. Runs before the bundle. */
function instrument() {
  const w = window as any;
  type L = [EventTarget, string, unknown, boolean, boolean];
  const listeners: L[] = [];
  const capture = (o: unknown) => (typeof o === 'boolean' ? o : !!(o as { capture?: boolean } | undefined)?.capture);
  const ET = EventTarget.prototype;
  const add = ET.addEventListener;
  const remove = ET.removeEventListener;
  const find = (t: EventTarget, type: string, fn: unknown, c: boolean) => listeners.findIndex((l) => l[0] === t && l[1] === type && l[2] === fn && l[3] === c);
  ET.addEventListener = function (this: EventTarget, type: string, fn: any, o?: any) {
    if (fn && find(this, type, fn, capture(o)) < 0) listeners.push([this, type, fn, capture(o), !!o?.passive]);
    return add.call(this, type, fn, o);
  };
  ET.removeEventListener = function (this: EventTarget, type: string, fn: any, o?: any) {
    const i = find(this, type, fn, capture(o));
    if (i >= 0) listeners.splice(i, 1);
    return remove.call(this, type, fn, o);
  };
  const counted = (set: Set<unknown>, start: string, clear: string, once: boolean) => {
    const s = w[start];
    const c = w[clear];
    w[start] = function (fn: any, ...rest: unknown[]) {
      const id = s.call(window, once ? (...a: unknown[]) => (set.delete(id), fn(...a)) : fn, ...rest);
      set.add(id);
      return id;
    };
    w[clear] = function (id: unknown) {
      set.delete(id);
      return c.call(window, id);
    };
  };
  const timeouts = new Set<unknown>();
  const intervals = new Set<unknown>();
  const frames = new Set<unknown>();
  counted(timeouts, 'setTimeout', 'clearTimeout', true);
  counted(intervals, 'setInterval', 'clearInterval', false);
  counted(frames, 'requestAnimationFrame', 'cancelAnimationFrame', true);

  const subscribers = new Set<(name: string) => void>();
  const name = (t: EventTarget) => (t === window ? 'window' : t === document ? 'document' : (t as Element).nodeName ?? String(t));
  w.__live = () => ({
    listeners: listeners.map((l) => `${name(l[0])} ${l[1]}${l[3] ? ' (capture)' : ''}`).sort(),
    active: listeners.filter((l) => !l[4]).map((l) => `${name(l[0])} ${l[1]}`),
    timeouts: timeouts.size,
    intervals: intervals.size,
    frames: frames.size,
    subscribers: subscribers.size,
  });

  let visibility: DocumentVisibilityState = 'visible';
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => visibility === 'hidden' });
  w.__setVisibility = (v: DocumentVisibilityState) => {
    visibility = v;
    document.dispatchEvent(new Event('visibilitychange'));
  };

  w.__fired = [] as (string | null)[];
  w.__track = (n: string) => subscribers.forEach((l) => l(n));
  w.__start = (trigger: unknown, env: { pageStartAgo?: number; [k: string]: unknown } = {}) => {
    const { pageStartAgo = 0, ...rest } = env;
    w.__stop = w.__kairosTriggers.startTrigger(trigger, (signal?: string) => w.__fired.push(signal ?? null), {
      win: window,
      now: () => Date.now(),
      pageStart: Date.now() - pageStartAgo,
      touch: false,
      pageViews: 1,
      cartItems: 0,
      newSession: false,
      onEvent(l: (name: string) => void) {
        subscribers.add(l);
        return () => subscribers.delete(l);
      },
      // The engine imports every trigger but page_load from chunks; here they are all in the same bundle.
      load: async () => w.__kairosTriggers,
      ...rest,
    });
  };
}

const BODY = `<body style="margin:0;height:5000px;font:16px sans-serif">
<nav style="position:fixed;top:0;left:0;right:0;height:30px;background:#eee">
  <a id="nav" href="#details" style="position:absolute;top:4px;left:10px">Home</a>
  <button id="buy" style="position:absolute;top:2px;left:120px">Add to cart</button>
</nav>
<div class="promo" style="position:absolute;top:300px;left:10px;padding:20px;background:#fee"><span id="inner">Summer sale</span></div>
<p id="plain" style="position:absolute;top:400px;left:10px">Plain text</p>
<div id="details" style="position:absolute;top:3000px">Details</div>
</body>`;

interface Opened {
  errors: string[];
  warnings: string[];
}

/** A blank shop page at a fake origin: instrumentation, then the bundle. `clock`: Playwright's clock, paused. */
async function open(page: Page, opts: { clock?: boolean } = {}): Promise<Opened> {
  const errors: string[] = [];
  const warnings: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.route(ORIGIN + '/**', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><html><head><script>(${instrument})()</script><script>${bundle}</script></head>${BODY}</html>`,
    }),
  );
  const t0 = new Date('2026-06-01T10:00:00Z').getTime();
  if (opts.clock) await page.clock.install({ time: t0 });
  await page.goto(ORIGIN + '/');
  if (opts.clock) await page.clock.pauseAt(t0 + 10_000);
  return { errors, warnings };
}

type Env = { pageStartAgo?: number; touch?: boolean; pageViews?: number; cartItems?: number; newSession?: boolean };
const start = (page: Page, trigger: Trigger, env: Env = {}) => page.evaluate(([t, e]) => (window as any).__start(t, e), [trigger, env] as const);
const stop = (page: Page) => page.evaluate(() => (window as any).__stop());
const fired = (page: Page): Promise<(string | null)[]> => page.evaluate(() => (window as any).__fired);
const live = (page: Page) => page.evaluate(() => (window as any).__live());
const setVisibility = (page: Page, v: 'hidden' | 'visible') => page.evaluate((x) => (window as any).__setVisibility(x), v);
const track = (page: Page, name: string) => page.evaluate((n) => (window as any).__track(n), name);
/** Real time passes; nothing that should not fire does. */
const settle = (page: Page, ms = 400) => page.waitForTimeout(ms);
const expectFired = (page: Page, signals: (string | null)[]) => expect.poll(() => fired(page)).toEqual(signals);

/** Scrolls, and waits until the page has seen it. */
const scrollPage = (page: Page, y: number) =>
  page.evaluate(
    (y) =>
      new Promise<void>((done) => {
        window.scrollTo(0, y);
        requestAnimationFrame(() => requestAnimationFrame(() => done()));
      }),
    y,
  );
/** Scrolls up from `from` by `step` px every animation frame, `frames` times (a flick, or a slow drag). */
const scrollUp = (page: Page, from: number, step: number, frames: number) =>
  page.evaluate(
    ([from, step, frames]) =>
      new Promise<void>((done) => {
        let i = 0;
        const next = () => {
          window.scrollTo(0, from - ++i * step);
          if (i < frames) requestAnimationFrame(next);
          else requestAnimationFrame(() => requestAnimationFrame(() => done()));
        };
        requestAnimationFrame(next);
      }),
    [from, step, frames] as const,
  );

/**
 * A wheel turn, once the page has received it and the scroll it starts has come to rest (Chromium delivers wheel
 * input asynchronously and animates the scroll in real time, which Playwright's clock does not hold back).
 */
async function wheel(page: Page, dy: number) {
  await page.evaluate(() => {
    (window as any).__wheel = new Promise<void>((done) => {
      const seen = () => (removeEventListener('wheel', seen, true), done());
      addEventListener('wheel', seen, true);
    });
  });
  await page.mouse.wheel(0, dy);
  await page.evaluate(() => (window as any).__wheel);
  for (let last = -1, y = -2, i = 0; y !== last && i < 40; i++) {
    last = y;
    await page.waitForTimeout(50);
    y = await page.evaluate(() => scrollY);
  }
}

const exitIntent = (over: Partial<Extract<Trigger, { type: 'exit_intent' }>> = {}): Trigger => ({
  type: 'exit_intent',
  min_dwell_seconds: 3,
  sensitivity_px: 12,
  mobile: { scroll_up: true, tab_return: true, inactivity_seconds: 30 },
  ...over,
});
/** The pointer, inside the page, goes up and out through the top edge. */
async function leaveTop(page: Page, x = 400) {
  await page.mouse.move(x, 300);
  await page.mouse.move(x, 40, { steps: 4 });
  await page.mouse.move(x, -30);
}

/** Something the shopper does. */
type Moment = (page: Page) => Promise<unknown>;
const none: Moment = async () => {};
const flickUp: Moment = (page) => scrollPage(page, 2000).then(() => scrollUp(page, 2000, 60, 8));
const desktopEnv: Env = { pageStartAgo: 5000 };
const touchEnv: Env = { touch: true, pageStartAgo: 5000 };

let opened: Opened;
test.afterEach(async () => {
  expect(opened.errors).toEqual([]);
});

test.describe('page_load', () => {
  test('fires delay_seconds after the page view began', async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, { type: 'page_load', delay_seconds: 0.5 });
    await page.clock.runFor(450);
    expect(await fired(page)).toEqual([]);
    await page.clock.runFor(100);
    expect(await fired(page)).toEqual([null]);
  });

  test('the delay counts from the page view, not from when the trigger was armed', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'page_load', delay_seconds: 5 }, { pageStartAgo: 6000 });
    await expectFired(page, [null]);
  });

  test('does not fire when stopped before the delay is over (the shopper left the page)', async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, { type: 'page_load', delay_seconds: 0.3 });
    await stop(page);
    await page.clock.runFor(600);
    expect(await fired(page)).toEqual([]);
  });
});

test.describe('time_on_page', () => {
  test('fires after that many seconds of visible time, and not before', async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, { type: 'time_on_page', seconds: 10 });
    await page.clock.runFor(9_900);
    expect(await fired(page)).toEqual([]);
    await page.clock.runFor(200);
    expect(await fired(page)).toEqual([null]);
  });

  test('time in a hidden tab does not count', async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, { type: 'time_on_page', seconds: 10 });
    await page.clock.runFor(6_000);
    await setVisibility(page, 'hidden');
    await page.clock.runFor(60_000);
    expect(await fired(page)).toEqual([]);
    await setVisibility(page, 'visible');
    await page.clock.runFor(3_900);
    expect(await fired(page)).toEqual([]);
    await page.clock.runFor(200);
    expect(await fired(page)).toEqual([null]);
  });
});

test.describe('scroll_depth', () => {
  test('fires once the bottom of the viewport passes the percentage', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'scroll_depth', percent: 50 });
    await scrollPage(page, 1000); // (1000 + 720) / 5000 = 34 %
    await settle(page, 200);
    expect(await fired(page)).toEqual([]);
    await scrollPage(page, 1900); // 52 %
    await expectFired(page, [null]);
  });

  test('fires at start when the page is already scrolled that far (restored position)', async ({ page }) => {
    opened = await open(page);
    await scrollPage(page, 4000);
    await start(page, { type: 'scroll_depth', percent: 90 });
    await expectFired(page, [null]);
  });

  test('does not fire above the percentage, however much the shopper scrolls there', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'scroll_depth', percent: 75 });
    for (const y of [500, 2000, 100, 3000, 0]) await scrollPage(page, y); // at most (3000 + 720) / 5000 = 74 %
    await settle(page, 200);
    expect(await fired(page)).toEqual([]);
  });
});

test.describe('inactivity', () => {
  test('fires after that many seconds without input; pointer, keys and wheel reset it', async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, { type: 'inactivity', seconds: 5 });
    await page.clock.runFor(4_000);
    await page.mouse.move(100, 100);
    await page.clock.runFor(4_000);
    await page.keyboard.press('Shift');
    await page.clock.runFor(4_000);
    await wheel(page, 200);
    await page.clock.runFor(4_000);
    expect(await fired(page)).toEqual([]);
    await page.clock.runFor(1_100);
    expect(await fired(page)).toEqual([null]);
  });

  test('time in a hidden tab is not idle time', async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, { type: 'inactivity', seconds: 5 });
    await page.clock.runFor(3_000);
    await setVisibility(page, 'hidden');
    await page.clock.runFor(30_000);
    await setVisibility(page, 'visible');
    await page.clock.runFor(1_900);
    expect(await fired(page)).toEqual([]);
    await page.clock.runFor(200);
    expect(await fired(page)).toEqual([null]);
  });
});

test.describe('click', () => {
  test('fires on a click on the selector or inside it', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'click', selector: '.promo' });
    await page.click('#inner');
    await expectFired(page, [null]);
  });

  test('does not fire on a click elsewhere', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'click', selector: '.promo' });
    await page.click('#plain');
    await page.click('#buy');
    await settle(page, 200);
    expect(await fired(page)).toEqual([]);
  });

  test('fires even when the host stops the click from propagating', async ({ page }) => {
    opened = await open(page);
    await page.evaluate(() => document.getElementById('inner')!.addEventListener('click', (e) => e.stopPropagation()));
    await start(page, { type: 'click', selector: '.promo' });
    await page.click('#inner');
    await expectFired(page, [null]);
  });

  test('an invalid selector never fires, throws nothing and is reported in debug mode', async ({ page }) => {
    opened = await open(page);
    await page.evaluate(() => (window as any).__kairosTriggers.setDebug(true));
    const before = await live(page);
    await start(page, { type: 'click', selector: '.promo[' });
    expect(await live(page)).toEqual(before);
    await page.click('#inner');
    await settle(page, 200);
    expect(await fired(page)).toEqual([]);
    expect(opened.warnings.join('\n')).toContain('[kairos] click trigger selector');
  });
});

test.describe('page_views', () => {
  test('fires on the nth page view of the session and after', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'page_views', count: 2 }, { pageViews: 3 });
    await expectFired(page, [null]);
  });

  test('does not fire before the nth page view', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'page_views', count: 2 }, { pageViews: 1 });
    await settle(page, 200);
    expect(await fired(page)).toEqual([]);
  });
});

test.describe('event', () => {
  test('fires on a tracked event of that name', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'event', name: 'Product Added' });
    await track(page, 'Product Added');
    await expectFired(page, [null]);
  });

  test('does not fire on other events (names are exact)', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'event', name: 'Product Added' });
    await track(page, 'Product Viewed');
    await track(page, 'product added');
    await settle(page, 200);
    expect(await fired(page)).toEqual([]);
  });
});

test.describe('cart', () => {
  test('fires when a new session begins with items in the cart', async ({ page }) => {
    opened = await open(page);
    await start(page, { type: 'cart' }, { newSession: true, cartItems: 2 });
    await expectFired(page, [null]);
  });

  for (const [name, env] of [
    ['in the same session', { newSession: false, cartItems: 2 }],
    ['with an empty cart', { newSession: true, cartItems: 0 }],
  ] as const) {
    test(`does not fire ${name}`, async ({ page }) => {
      opened = await open(page);
      await start(page, { type: 'cart' }, env);
      await settle(page, 200);
      expect(await fired(page)).toEqual([]);
    });
  }
});

test.describe('exit_intent, desktop', () => {
  test('fires when the pointer leaves through the top after the minimum dwell', async ({ page }) => {
    opened = await open(page);
    await start(page, exitIntent(), { pageStartAgo: 5000 });
    await leaveTop(page);
    await expectFired(page, ['pointer_exit']);
  });

  test('does not fire on entry: not before min_dwell_seconds, not when the pointer comes in from the top', async ({ page }) => {
    opened = await open(page);
    await page.mouse.move(400, -30); // the pointer is up in the browser's toolbar when the page loads
    await start(page, exitIntent({ min_dwell_seconds: 3 }));
    await page.mouse.move(400, 10);
    await page.mouse.move(400, 300, { steps: 5 }); // it comes in
    await leaveTop(page); // and straight out again, in the first seconds
    await settle(page);
    expect(await fired(page)).toEqual([]);
  });

  test('does not fire on a link click, a button click or Enter on a link, even heading straight up', async ({ page }) => {
    opened = await open(page);
    await start(page, exitIntent(), { pageStartAgo: 5000 });
    await page.click('#nav'); // at the top edge, then up into the toolbar
    await page.mouse.move(30, -30);
    await settle(page);
    await page.click('#buy');
    await page.mouse.move(150, -30);
    await settle(page);
    await page.mouse.move(400, 300);
    await page.focus('#nav');
    await page.keyboard.press('Enter');
    await leaveTop(page);
    await settle(page);
    expect(await fired(page)).toEqual([]);
    await page.waitForTimeout(1100); // the guard is over: a real exit counts again
    await leaveTop(page);
    await expectFired(page, ['pointer_exit']);
  });

  test('does not fire when the pointer grazes the top edge and comes back', async ({ page }) => {
    opened = await open(page, { clock: true }); // the clock stands still while the pointer is out and back
    await start(page, exitIntent(), { pageStartAgo: 5000 });
    for (let i = 0; i < 3; i++) {
      await page.mouse.move(400, 300);
      await page.mouse.move(400, 5, { steps: 3 });
      await page.mouse.move(400, -4);
      await page.mouse.move(400, 20); // back before the confirmation
      await page.clock.runFor(1_000);
    }
    expect(await fired(page)).toEqual([]);
    await leaveTop(page); // and when it stays out, it fires
    await page.clock.runFor(200);
    expect(await fired(page)).toEqual(['pointer_exit']);
  });

  test('does not fire when leaving through a side or the bottom, or while dragging a selection out', async ({ page }) => {
    opened = await open(page);
    await start(page, exitIntent(), { pageStartAgo: 5000 });
    for (const [x, y] of [
      [-30, 300], // left
      [300, 760], // bottom
      [1320, 5], // right, near the top
    ]) {
      await page.mouse.move(300, 300);
      await page.mouse.move(x!, y!);
      await settle(page, 300); // stays out
    }
    await page.mouse.move(20, 8);
    await page.mouse.move(-30, 8); // out through the left edge, in the top margin
    await settle(page, 300);
    await page.mouse.move(400, 300);
    await page.mouse.down(); // Chromium keeps a dragged selection in the document
    await leaveTop(page);
    await settle(page, 300);
    await page.mouse.up();
    await settle(page);
    expect(await fired(page)).toEqual([]);
  });

  // Exactly which pointerout counts, with events whose fields Playwright's mouse cannot set (movementY).
  type Out = { clientY: number; movementX?: number; movementY?: number; pointerType?: string; toBody?: boolean };
  const leaving: [string, Out, number, boolean][] = [
    ['above the viewport', { clientY: -5 }, 12, true],
    ['inside the top margin, moving up', { clientY: 8, movementY: -4 }, 12, true],
    ['inside the top margin, moving sideways', { clientY: 8, movementX: 6, movementY: 0 }, 12, false],
    ['inside the top margin, moving down', { clientY: 8, movementY: 3 }, 12, false],
    ['below the margin, moving up', { clientY: 20, movementY: -4 }, 12, false],
    ['below the default margin, within sensitivity_px 30', { clientY: 20, movementY: -4 }, 30, true],
    ['into another element, not out of the document', { clientY: -5, toBody: true }, 12, false],
    ['a touch pointer (a tap on a touch-screen laptop)', { clientY: -5, pointerType: 'touch' }, 12, false],
  ];
  for (const [name, init, sensitivity_px, fires] of leaving) {
    test(`pointerout ${name}: ${fires ? 'fires' : 'does not fire'}`, async ({ page }) => {
      opened = await open(page);
      await start(page, exitIntent({ sensitivity_px }), { pageStartAgo: 5000 });
      await page.evaluate(({ toBody, ...init }) => {
        const e = new PointerEvent('pointerout', { bubbles: true, pointerType: 'mouse', ...init, relatedTarget: toBody ? document.body : null });
        document.getElementById('plain')!.dispatchEvent(e);
      }, init);
      await settle(page, 300);
      expect(await fired(page)).toEqual(fires ? ['pointer_exit'] : []);
    });
  }

  test('does not fire after stop(): the SPA route changed and the engine stopped it, even mid-confirmation', async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, exitIntent(), { pageStartAgo: 5000 });
    await leaveTop(page); // out, and the confirmation is pending
    await page.evaluate(() => {
      history.pushState({}, '', '/checkout'); // the host's router, in this test page
      (window as any).__stop();
    });
    await page.clock.runFor(1_000);
    await leaveTop(page);
    await page.clock.runFor(1_000);
    expect(await fired(page)).toEqual([]);
  });

  test('on desktop, tab switches and idle time are not exits', async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, exitIntent(), { pageStartAgo: 5000 });
    await setVisibility(page, 'hidden');
    await setVisibility(page, 'visible');
    await page.clock.runFor(120_000);
    expect(await fired(page)).toEqual([]);
  });
});

test.describe('exit_intent, mobile composite', () => {

  test("'scroll_up': a fast scroll up after reading a viewport or more", async ({ page }) => {
    opened = await open(page);
    await start(page, exitIntent(), touchEnv);
    await scrollPage(page, 2000);
    await settle(page, 200);
    await scrollUp(page, 2000, 60, 8); // 60 px a frame ≈ 3.6 px/ms
    await expectFired(page, ['scroll_up']);
  });

  test("'scroll_up' does not fire on a slow scroll up, before a viewport was read, or within the dwell", async ({ page }) => {
    opened = await open(page);
    await start(page, exitIntent(), touchEnv);
    await scrollPage(page, 2000);
    await settle(page, 200);
    await scrollUp(page, 2000, 4, 60); // 4 px a frame ≈ 0.25 px/ms
    await stop(page);

    await scrollPage(page, 0);
    await start(page, exitIntent(), touchEnv);
    await scrollPage(page, 600); // less than one viewport (720 px) down
    await settle(page, 200);
    await scrollUp(page, 600, 60, 8);
    await stop(page);

    await scrollPage(page, 0);
    await start(page, exitIntent({ min_dwell_seconds: 30 }), touchEnv);
    await scrollPage(page, 2000);
    await settle(page, 200);
    await scrollUp(page, 2000, 60, 8);
    await settle(page);
    expect(await fired(page)).toEqual([]);
  });

  test("'tab_return': hidden after the dwell, fires when the tab is visible again", async ({ page }) => {
    opened = await open(page);
    await start(page, exitIntent(), touchEnv);
    await setVisibility(page, 'hidden');
    await settle(page, 200);
    expect(await fired(page)).toEqual([]);
    await setVisibility(page, 'visible');
    await expectFired(page, ['tab_return']);
  });

  test("'tab_return' does not fire within the dwell, just after a link click, or when switched off", async ({ page }) => {
    opened = await open(page);
    await start(page, exitIntent(), { touch: true }); // the page view just began
    await setVisibility(page, 'hidden');
    await setVisibility(page, 'visible');
    await stop(page);
    await start(page, exitIntent(), touchEnv);
    await page.click('#nav'); // a link that opens another tab
    await setVisibility(page, 'hidden');
    await setVisibility(page, 'visible');
    await stop(page);
    await start(page, exitIntent({ mobile: { scroll_up: true, tab_return: false, inactivity_seconds: 30 } }), touchEnv);
    await setVisibility(page, 'hidden');
    await setVisibility(page, 'visible');
    await settle(page);
    expect(await fired(page)).toEqual([]);
  });

  test("'inactivity': idle for inactivity_seconds", async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, exitIntent({ mobile: { scroll_up: true, tab_return: true, inactivity_seconds: 20 } }), touchEnv);
    await page.clock.runFor(15_000);
    await wheel(page, 100); // activity resets it
    await page.clock.runFor(19_000);
    expect(await fired(page)).toEqual([]);
    await page.clock.runFor(1_100);
    expect(await fired(page)).toEqual(['inactivity']);
  });

  test("'inactivity' does not fire when switched off; the pointer leaving does not count on touch devices", async ({ page }) => {
    opened = await open(page, { clock: true });
    await start(page, exitIntent({ mobile: { scroll_up: true, tab_return: true, inactivity_seconds: false } }), touchEnv);
    await page.clock.runFor(600_000);
    await leaveTop(page);
    await page.clock.runFor(1_000);
    expect(await fired(page)).toEqual([]);
  });
});

// Nothing pops up in a hidden tab: each trigger's moment arrives while hidden; it fires once visible again.
const whileHidden: [string, Trigger, Env, Moment][] = [
  ['page_load', { type: 'page_load', delay_seconds: 0 }, {}, none],
  ['page_views', { type: 'page_views', count: 1 }, {}, none],
  ['cart', { type: 'cart' }, { newSession: true, cartItems: 1 }, none],
  ['event', { type: 'event', name: 'Product Added' }, {}, (page) => track(page, 'Product Added')],
  ['click', { type: 'click', selector: '.promo' }, {}, (page) => page.evaluate(() => document.getElementById('inner')!.click())],
  ['scroll_depth', { type: 'scroll_depth', percent: 50 }, {}, (page) => scrollPage(page, 3000)],
  ['exit_intent (pointer)', exitIntent(), desktopEnv, leaveTop],
  ['exit_intent (scroll_up)', exitIntent(), touchEnv, flickUp],
];
test.describe('a hidden tab', () => {
  for (const [name, trigger, env, moment] of whileHidden) {
    test(`${name}: held while the tab is hidden, fired once it is visible`, async ({ page }) => {
      opened = await open(page);
      await setVisibility(page, 'hidden');
      await start(page, trigger, env);
      await moment(page);
      await settle(page);
      expect(await fired(page)).toEqual([]);
      await setVisibility(page, 'visible');
      await expect.poll(() => fired(page)).toHaveLength(1);
      await settle(page, 200);
      expect(await fired(page)).toHaveLength(1); // once
    });
  }

  test('held: a second moment while hidden still fires only once', async ({ page }) => {
    opened = await open(page);
    await setVisibility(page, 'hidden');
    await start(page, { type: 'click', selector: '.promo' });
    await page.evaluate(() => [1, 2, 3].forEach(() => document.getElementById('inner')!.click()));
    await setVisibility(page, 'visible');
    await settle(page, 200);
    expect(await fired(page)).toEqual([null]);
  });

  test('stop() while held: never fires, nothing left', async ({ page }) => {
    opened = await open(page);
    const before = await live(page);
    await setVisibility(page, 'hidden');
    await start(page, { type: 'page_views', count: 1 });
    await stop(page);
    await setVisibility(page, 'visible');
    await settle(page, 200);
    expect(await fired(page)).toEqual([]);
    expect(await live(page)).toEqual(before);
  });
});

// stop() leaves nothing: every trigger type, armed and busy (some input, throttles and timers mid-flight) then
// stopped; and fired (it cleans up after itself; a later stop() is harmless).
/** [type, armed (will not fire by itself), one that fires, its env, what makes it fire] */
const everyTrigger: [string, Trigger, Trigger, Env, Moment][] = [
  ['page_load', { type: 'page_load', delay_seconds: 60 }, { type: 'page_load', delay_seconds: 0.2 }, {}, none],
  ['time_on_page', { type: 'time_on_page', seconds: 60 }, { type: 'time_on_page', seconds: 0.2 }, {}, none],
  ['scroll_depth', { type: 'scroll_depth', percent: 90 }, { type: 'scroll_depth', percent: 50 }, {}, (page) => scrollPage(page, 3000)],
  ['inactivity', { type: 'inactivity', seconds: 60 }, { type: 'inactivity', seconds: 0.2 }, {}, none],
  ['click', { type: 'click', selector: '.promo' }, { type: 'click', selector: '.promo' }, {}, (page) => page.click('#inner')],
  ['page_views', { type: 'page_views', count: 2 }, { type: 'page_views', count: 1 }, {}, none],
  ['event', { type: 'event', name: 'Product Added' }, { type: 'event', name: 'Product Added' }, {}, (page) => track(page, 'Product Added')],
  ['cart', { type: 'cart' }, { type: 'cart' }, { newSession: true, cartItems: 1 }, none],
  ['exit_intent desktop', exitIntent(), exitIntent(), desktopEnv, leaveTop],
  ['exit_intent mobile', exitIntent(), exitIntent(), touchEnv, flickUp],
];
test.describe('stop() leaves no listeners or timers', () => {
  for (const [name, armed, fires, env, moment] of everyTrigger) {
    test(`${name}: armed, busy, stopped; and after firing`, async ({ page }) => {
      opened = await open(page);
      const before = await live(page);
      await start(page, armed, env.touch ? env : desktopEnv); // page_views 1 < 2, cart in the same session
      expect((await live(page)).active, 'every listener is passive').toEqual([]);
      await page.mouse.move(400, 300);
      await wheel(page, 40);
      await page.evaluate(() => window.scrollTo(0, 300));
      await stop(page);
      await stop(page);
      expect(await live(page)).toEqual(before);
      expect(await fired(page)).toEqual([]);

      await scrollPage(page, 0);
      await start(page, fires, env);
      await moment(page);
      await expect.poll(() => fired(page)).toHaveLength(1);
      expect(await live(page)).toEqual(before);
      await stop(page);
      expect(await live(page)).toEqual(before);
    });
  }

  test('scroll_depth: a pending animation frame is cancelled by stop()', async ({ page }) => {
    opened = await open(page);
    const before = await live(page);
    await start(page, { type: 'scroll_depth', percent: 90 });
    // Stop from inside the scroll event, right after the trigger's own handler asked for a frame.
    const seen = await page.evaluate(
      () =>
        new Promise<number[]>((done) => {
          const w = window as any;
          const onScroll = () => {
            removeEventListener('scroll', onScroll);
            const pending = w.__live().frames;
            w.__stop();
            done([pending, w.__live().frames]);
          };
          addEventListener('scroll', onScroll);
          window.scrollTo(0, 500);
        }),
    );
    expect(seen).toEqual([1, 0]);
    expect(await live(page)).toEqual(before);
  });

  test('exit_intent: a pending confirmation timer is cancelled by stop()', async ({ page }) => {
    opened = await open(page, { clock: true });
    const before = await live(page);
    await start(page, exitIntent(), { pageStartAgo: 5000 });
    await leaveTop(page);
    expect((await live(page)).timeouts).toBe(before.timeouts + 1);
    await stop(page);
    expect(await live(page)).toEqual(before);
    await page.clock.runFor(1_000);
    expect(await fired(page)).toEqual([]);
  });

  test('an unknown trigger type is reported, adds nothing, and its stop is harmless', async ({ page }) => {
    opened = await open(page);
    await page.evaluate(() => (window as any).__kairosTriggers.setDebug(true));
    const before = await live(page);
    await start(page, { type: 'teleport' } as unknown as Trigger);
    await stop(page);
    expect(await live(page)).toEqual(before);
    expect(opened.warnings.join('\n')).toContain('unknown type teleport');
  });
});
