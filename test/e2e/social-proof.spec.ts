// "n other people are looking at this" and "n bought in the last 24 hours" on the demo product page, with real
// browsers as the viewers: four contexts on one product each see "3 other people…"; a hidden tab stops its
// heartbeats and drops out of the count; closed tabs take the others below the floor and the card hides within
// one window. Purchases come from stored orders. Heartbeats here every 5 s, counted for 10 s (the demo: 15 s, 45 s).
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { collectPageErrors, fullDemoConfig, startKairos, waitFor, type Kairos } from './support';

/** A browser's own user agent: headless Chromium says "HeadlessChrome", which the server rightly takes for a bot. */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const PRODUCT = '/products/linen-shirt';

const config = fullDemoConfig
  .replace('presence: { interval_seconds: 15, window_seconds: 45,', 'presence: { interval_seconds: 5, window_seconds: 10,')
  .replaceAll('trigger: { type: page_views, count: 2 }', 'trigger: { type: page_views, count: 99 }');
if (!config.includes('interval_seconds: 5')) throw new Error('demo/kairos.yaml no longer sets presence as this spec expects');

let kairos: Kairos;
test.beforeAll(async () => {
  kairos = await startKairos({ config });
});
test.afterAll(() => kairos.stop());

const card = (page: Page, id = 'viewing-now') => page.locator(`kairos-campaign[data-campaign="${id}"] .proof .text`);

/** The server's count for the product, asked the way a crawler would: it is answered but not counted. */
async function serverCount(key = 'product:linen-shirt'): Promise<number> {
  const res = await fetch(kairos.url + '/v1/presence', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', 'User-Agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' },
    body: JSON.stringify({ visitor_id: 'probe-not-a-visitor', key }),
  });
  return ((await res.json()) as { count: number }).count;
}

async function viewer(browser: Browser): Promise<{ context: BrowserContext; page: Page; beats: () => number; errors: string[] }> {
  const context = await browser.newContext({ userAgent: USER_AGENT });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  let beats = 0;
  page.on('request', (r) => r.url().endsWith('/v1/presence') && beats++);
  await page.goto(kairos.url + PRODUCT);
  return { context, page, beats: () => beats, errors };
}

/** Makes the tab hidden or visible again, as switching tabs does (Playwright pages are always "visible"). */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((hidden) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);

test('four viewers see "3 other people"; a hidden tab stops counting; closed tabs take the card away within a window', async ({ browser }) => {
  test.setTimeout(90_000);
  const viewers = [];
  for (let i = 0; i < 4; i++) viewers.push(await viewer(browser));

  for (const v of viewers) await expect(card(v.page)).toHaveText('3 other people are looking at this', { timeout: 12_000 });
  expect(await serverCount()).toBe(4);
  // Nothing on the page moved: the card is an overlay.
  const layout = await viewers[0]!.page.evaluate(() => document.querySelector('main')!.getBoundingClientRect().toJSON());

  // The fourth tab is hidden: no more heartbeats from it; the server stops counting it after its window.
  const hidden = viewers[3]!;
  await setHidden(hidden.page, true);
  const beatsWhenHidden = hidden.beats();
  await waitFor('the server to drop the hidden tab', async () => (await serverCount()) === 3 || undefined, 15_000);
  for (const v of viewers.slice(0, 3)) await expect(card(v.page)).toHaveCount(0, { timeout: 8_000 }); // 2 others: below 3
  expect(hidden.beats()).toBe(beatsWhenHidden);

  // Back: a heartbeat at once, and the others see 3 again.
  await setHidden(hidden.page, false);
  await expect.poll(() => hidden.beats()).toBeGreaterThan(beatsWhenHidden);
  for (const v of viewers.slice(0, 3)) await expect(card(v.page)).toHaveText('3 other people are looking at this', { timeout: 8_000 });
  expect(await viewers[0]!.page.evaluate(() => document.querySelector('main')!.getBoundingClientRect().toJSON())).toEqual(layout);

  // Two leave: the other two see 1 other person, below the floor; the card goes within one window (10 s) + a beat.
  const left = Date.now();
  await viewers[0]!.context.close();
  await viewers[1]!.context.close();
  for (const v of viewers.slice(2)) await expect(card(v.page)).toHaveCount(0, { timeout: 16_000 });
  expect(Date.now() - left).toBeLessThan(16_000);
  expect(await serverCount()).toBe(2);

  // Shown once per viewer that saw it, announced politely once, and no page errors anywhere.
  const shown = kairos.events('Campaign Shown').filter((e) => e.campaign_id === 'viewing-now');
  expect(shown.length).toBeGreaterThanOrEqual(4);
  expect(shown[0]!.props).toMatchObject({ type: 'viewing_now', trigger: 'viewers' });
  for (const v of viewers) expect(v.errors).toEqual([]);
  for (const v of viewers.slice(2)) await v.context.close();
});

test('a lone viewer sees no count; bots are answered but never counted', async ({ browser }) => {
  const v = await viewer(browser);
  await v.page.goto(kairos.url + '/products/straw-hat');
  await expect.poll(() => v.beats(), { timeout: 8_000 }).toBeGreaterThan(1);
  await v.page.waitForTimeout(500);
  await expect(card(v.page)).toHaveCount(0);
  for (let i = 0; i < 5; i++) expect(await serverCount('product:straw-hat')).toBe(1);
  await v.context.close();
});

test('a shopper with Global Privacy Control on reads the count but is never counted', async ({ browser }) => {
  const gpc = await browser.newContext({ userAgent: USER_AGENT });
  await gpc.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }));
  const page = await gpc.newPage();
  const bodies: string[] = [];
  page.on('request', (r) => r.url().endsWith('/v1/presence') && bodies.push(r.postData() ?? ''));
  await page.goto(kairos.url + '/products/swim-shorts');
  await expect.poll(() => bodies.length, { timeout: 8_000 }).toBeGreaterThan(1);
  expect(bodies.every((b) => !b.includes('visitor_id'))).toBe(true);
  expect(await serverCount('product:swim-shorts')).toBe(0);
  // The control: the same visit without GPC is counted.
  const v = await viewer(browser);
  await v.page.goto(kairos.url + '/products/swim-shorts');
  await expect.poll(() => serverCount('product:swim-shorts'), { timeout: 8_000 }).toBe(1);
  await v.context.close();
  await gpc.close();
});

test('"bought in the last 24 hours" counts stored orders of this product, from 3 on', async ({ browser }) => {
  const order = (id: string, products: string[], ts = Date.now()) => ({
    event_id: `order-${id}-xxxxxxxx`,
    type: 'track',
    name: 'Order Completed',
    ts,
    visitor_id: `visitor-${id}-xxxx`,
    session_id: `session-${id}-xxxx`,
    props: { order_id: id, total: 10, products: products.map((product_id) => ({ product_id, price: 10, quantity: 1 })) },
  });
  const post = (events: unknown[]) =>
    fetch(kairos.url + '/v1/events', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ sent_at: Date.now(), events }) });
  // Three orders with the tote (one with two products), one with a hat: only the tote reaches the floor.
  expect((await post([order('o1', ['canvas-tote']), order('o2', ['straw-hat', 'canvas-tote']), order('o3', ['canvas-tote']), order('o4', ['straw-hat'])])).status).toBe(200);

  const v = await viewer(browser);
  await v.page.goto(kairos.url + '/products/canvas-tote');
  await expect(card(v.page, 'bought-today')).toHaveText('3 bought in the last 24 hours');
  await v.page.goto(kairos.url + '/products/straw-hat');
  await v.page.waitForLoadState('networkidle');
  await expect(card(v.page, 'bought-today')).toHaveCount(0);
  expect(v.errors).toEqual([]);
  await v.context.close();
});
