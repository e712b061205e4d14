// Experiments, the report and auto_pause against the real server and the demo shop, in real Chromium.
//
// An experiment: a page-load modal on the demo's linen shirt page with a 20 % holdout and two variants of its copy.
// Eight shoppers, each in a fresh browser context, visit the page; each sees the copy of the arm widget/bucket.ts
// assigns them (the holdout: nothing at all), some click it, some close it, some buy through the demo's checkout.
// The report (JSON) then counts exactly what they did: shoppers and converters per arm, impressions, clicks,
// dismissals, last-touch conversions and revenue. The HTML report asks for the admin token in the browser's login
// prompt, runs no script, draws its charts as SVG, fits a 360 px phone and passes axe.
//
// auto_pause: three shoppers close a nagging modal at once; within a few seconds the server pauses it, /v1/config
// drops it, the next shopper sees no modal (the bar next to it still shows), the report says why, and
// `kairos resume` brings it back.
//
// Shoppers get chosen visitor ids (stored on the device before the widget first loads, as a returning shopper's
// would be), so that every arm gets shoppers on every run; the arm each one lands in is still the widget's doing and
// is checked against `assign` and the server's `Experiment Viewed` events.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type Page, type TestInfo } from '@playwright/test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Report } from '../../server/report/types';
import { assign } from '../../widget/bucket';
import { campaignText, collectPageErrors, root, startKairos, waitFor, type Kairos } from './support';

const TOKEN = 'report-e2e-admin-token-7c41';
const ENV = { KAIROS_ADMIN_TOKEN: TOKEN, KAIROS_AUTO_PAUSE_SECONDS: '1' };
const BEARER = { authorization: `Bearer ${TOKEN}` };

/** The demo's prices (demo/products.js); the stored orders are checked against them. */
const PRICES = { 'linen-shirt': 59.9, 'sunglasses-aviator': 89 } as const;
type Product = keyof typeof PRICES;

const host = (page: Page, id: string) => page.locator(`kairos-campaign[data-campaign="${id}"]`);

/** Runs in a page: stores `id` as the visitor id in the widget's store on this device (IndexedDB kairos/state). */
function seedVisitor(id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('kairos');
    open.onupgradeneeded = () => open.result.createObjectStore('state');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('state', 'readwrite');
      tx.objectStore('state').put(id, 'visitor');
      tx.oncomplete = () => (db.close(), resolve());
      tx.onerror = () => reject(tx.error);
    };
  });
}

/**
 * A shopper on their own device: a fresh browser context. With `visitorId`, the device already knows that visitor id
 * when the widget first runs: it is stored from a page of the same origin without the widget (/healthz), so the
 * widget's first IndexedDB open does not also wait for the database to be created.
 */
async function shopper(browser: Browser, base: string, visitorId?: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (visitorId) {
    await page.goto(base + '/healthz');
    await page.evaluate(seedVisitor, visitorId);
  }
  return { context, page, errors: collectPageErrors(page) };
}

/** Adds the product on screen to the cart and orders it through the demo's checkout. */
async function buy(page: Page, base: string, product: Product): Promise<void> {
  await expect(page.getByTestId('product-detail')).toHaveAttribute('data-product-id', product);
  await page.getByTestId('add-to-cart').click();
  await expect(page.getByTestId('cart-count')).toHaveText('1');
  await page.goto(base + '/checkout');
  for (const [field, value] of Object.entries({ email: 'ada@example.com', name: 'Ada Lovelace', address: '12 St James Sq', postcode: 'SW1Y 4JH', city: 'London' }))
    await page.getByTestId(field).fill(value);
  await page.getByTestId('place-order').click();
  await page.waitForURL(/\/order-complete/);
  await expect(page.getByTestId('order-id')).toBeVisible();
}

/** GET /report?format=json with the admin token. */
async function reportJson(kairos: Kairos): Promise<Report> {
  const res = await fetch(kairos.url + '/report?format=json', { headers: BEARER });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Report;
}

/** Full-page screenshot into the test's output folder, attached to the report. */
async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(name);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

async function expectNoAxeViolations(page: Page): Promise<void> {
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------------

const EXPERIMENT = 'first-order';
const PRODUCT_PAGE = '/products/linen-shirt';
const CTA = { label: 'Shop sunglasses', url: '/products/sunglasses-aviator' };
const VARIANTS = [
  { id: 'percent', headline: '10% off your first order', text: 'Use code FIRST10 at checkout.' },
  { id: 'shipping', headline: 'Free shipping on your first order', text: 'No minimum spend, delivered in two days.' },
] as const;
const BASE_HEADLINE = 'Welcome to Northwind';
type Arm = 'holdout' | (typeof VARIANTS)[number]['id'];

const EXPERIMENT_CONFIG = `
site: { name: Report test }
fatigue: { modals_per_session: 5, modals_per_day: 10 }
campaigns:
  - id: ${EXPERIMENT}
    type: modal
    pages: { include: ["${PRODUCT_PAGE}"] }
    frequency: once
    holdout_percent: 20
    content:
      headline: ${BASE_HEADLINE}
      text: The campaign's own copy, which no arm of the experiment shows.
      button: { label: ${CTA.label}, url: ${CTA.url} }
    variants:
${VARIANTS.map(
  (v) => `      - id: ${v.id}
        weight: 1
        content:
          headline: "${v.headline}"
          text: "${v.text}"
          button: { label: ${CTA.label}, url: ${CTA.url} }`,
).join('\n')}
`;

/** The arm `assign` puts a visitor in: arm 0 is the holdout, then the variants in config order. */
const armOf = (visitorId: string): Arm => {
  const i = assign(EXPERIMENT, visitorId, { weights: VARIANTS.map(() => 1), holdout: 0.2 });
  return i === 0 ? 'holdout' : VARIANTS[i - 1]!.id;
};

/** What each shopper does: the arm they are meant to land in, what they do with the modal, what they buy. */
interface Plan {
  arm: Arm;
  act?: 'click' | 'dismiss';
  buys?: Product;
}
const PLAN: Plan[] = [
  { arm: 'holdout', buys: 'linen-shirt' }, // sees nothing and orders: a converter of the holdout, credited to no campaign
  { arm: 'percent', act: 'click', buys: 'sunglasses-aviator' }, // clicks through and orders what the campaign showed
  { arm: 'shipping', act: 'dismiss', buys: 'linen-shirt' }, // closes it, orders anyway: a view-through conversion
  { arm: 'percent', act: 'dismiss' },
  { arm: 'shipping', act: 'click' },
  { arm: 'holdout' },
  { arm: 'percent', act: 'click', buys: 'sunglasses-aviator' },
  { arm: 'shipping', act: 'dismiss' },
];

/** Visitor ids that land in the planned arms, the first that fit from a fixed list: the same on every run. */
function visitorsFor(plan: readonly Plan[]): (Plan & { id: string })[] {
  const used = new Set<string>();
  return plan.map((p) => {
    for (let n = 1; n <= 500; n++) {
      const id = `e2e-visitor-${String(n).padStart(3, '0')}`;
      if (!used.has(id) && armOf(id) === p.arm) {
        used.add(id);
        return { ...p, id };
      }
    }
    throw new Error(`no visitor id lands in arm ${p.arm}: is assign() still splitting 20/40/40?`);
  });
}

const cents = (n: number) => Math.round(n * 100) / 100;

test('a small experiment on the demo: each shopper sees their arm, and the report counts what they did', async ({ browser }, testInfo) => {
  test.setTimeout(60_000); // about 16 s alone, twice that next to other specs on two vCPUs
  const kairos = await startKairos({ config: EXPERIMENT_CONFIG, env: ENV });
  try {
    const visitors = visitorsFor(PLAN);

    const seeded = new Set(visitors.map((v) => v.id));

    for (const [n, v] of visitors.entries()) {
      const who = `shopper ${n} (${v.id}, ${v.arm})`;
      const { context, page, errors } = await shopper(browser, kairos.url, v.id);
      await page.goto(kairos.url + PRODUCT_PAGE);
      await expect(page.getByTestId('product-detail')).toBeVisible();

      // The widget decided with this device's visitor id, and put the shopper where assign() says.
      const viewed = await waitFor(`${who}: Experiment Viewed`, () => {
        const exposures = kairos.events('Experiment Viewed');
        // widget/storage.ts gives up on an IndexedDB that has not answered in 1.5 s and makes up a new visitor id for
        // the page: say so at once rather than time out (seen once, on a CPU-starved machine).
        const stray = exposures.find((e) => !seeded.has(e.visitor_id));
        if (stray) throw new Error(`${who}: the widget ignored the stored visitor id and used ${stray.visitor_id} (arm ${String(stray.props?.['variant'])})`);
        return exposures.find((e) => e.visitor_id === v.id);
      });
      expect(viewed, who).toMatchObject({ campaign_id: EXPERIMENT, props: { variant: v.arm } });

      const campaign = host(page, EXPERIMENT);
      if (v.arm === 'holdout') {
        // Held out: shown nothing at all; the page is the shop's.
        await expect(campaign, who).toHaveCount(0);
        await expect(page.getByRole('dialog')).toHaveCount(0);
        await expect(page.getByTestId('add-to-cart')).toBeEnabled();
      } else {
        const variant = VARIANTS.find((x) => x.id === v.arm)!;
        const dialog = page.getByRole('dialog', { name: variant.headline });
        await expect(dialog, who).toBeVisible();
        await expect(dialog).toContainText(variant.text);
        const text = (await campaignText(page, EXPERIMENT)) ?? '';
        for (const other of [BASE_HEADLINE, ...VARIANTS.filter((x) => x !== variant).map((x) => x.headline)]) expect(text, who).not.toContain(other);
        if (v.act === 'click') {
          await dialog.getByRole('link', { name: CTA.label }).click();
          await page.waitForURL(kairos.url + CTA.url);
          await expect(page.getByTestId('product-detail')).toHaveAttribute('data-product-id', 'sunglasses-aviator');
        } else {
          await dialog.getByRole('button', { name: 'No thanks' }).click();
          await expect(campaign).toHaveCount(0);
        }
      }
      if (v.buys) await buy(page, kairos.url, v.buys);

      // Everything this shopper did is on the server before they leave (nothing is left in the outbox).
      const expected = [
        'Experiment Viewed',
        ...(v.arm === 'holdout' ? [] : ['Campaign Shown']),
        ...(v.act === 'click' ? ['Campaign Clicked'] : v.act === 'dismiss' ? ['Campaign Dismissed'] : []),
        ...(v.buys ? ['Order Completed'] : []),
      ];
      const mine = await waitFor(`${who}: ${expected.join(', ')} stored`, () => {
        const rows = kairos.events().filter((e) => e.visitor_id === v.id);
        return expected.every((name) => rows.some((e) => e.name === name)) && rows;
      });
      if (v.arm === 'holdout') expect(mine.filter((e) => e.name === 'Campaign Shown'), who).toEqual([]);
      const order = mine.find((e) => e.name === 'Order Completed');
      if (v.buys) expect(order?.props?.['revenue'], who).toBe(PRICES[v.buys]);
      const dismissed = mine.find((e) => e.name === 'Campaign Dismissed');
      if (dismissed) {
        expect(dismissed.props).toMatchObject({ type: 'modal' });
        expect(dismissed.props?.['ms'], `${who}: time on screen`).toEqual(expect.any(Number));
        expect(dismissed.props!['ms'] as number).toBeGreaterThanOrEqual(0);
      }
      expect(errors, who).toEqual([]);
      await context.close();
    }

    // What the plan predicts.
    const shown = visitors.filter((v) => v.arm !== 'holdout');
    const credited = shown.filter((v) => v.buys); // last touch: only shoppers who saw the campaign
    const arms = (['holdout', ...VARIANTS.map((x) => x.id)] as Arm[]).map((arm) => {
      const inArm = visitors.filter((v) => v.arm === arm);
      const buyers = inArm.filter((v) => v.buys);
      return { id: arm, visitors: inArm.length, converters: buyers.length, revenue: cents(buyers.reduce((s, v) => s + PRICES[v.buys!], 0)) };
    });
    expect(arms.map((a) => a.visitors)).toEqual([2, 3, 3]); // the plan itself: every arm has shoppers

    const report = await reportJson(kairos);
    const c = report.campaigns.find((x) => x.id === EXPERIMENT)!;
    expect(c, 'the campaign in the report').toBeDefined();
    expect(c.status).toBe('running');
    expect(c.totals).toMatchObject({
      impressions: shown.length,
      clicks: visitors.filter((v) => v.act === 'click').length,
      dismissals: visitors.filter((v) => v.act === 'dismiss').length,
      conversions: credited.length,
      revenue: cents(credited.reduce((s, v) => s + PRICES[v.buys!], 0)),
    });
    expect(c.rates.dismiss).toBeCloseTo(visitors.filter((v) => v.act === 'dismiss').length / shown.length, 6);
    expect(report.totals.conversions).toBe(credited.length); // the holdout's order went to no campaign
    const e = c.experiment!;
    expect(e, 'the experiment in the report').toBeDefined();
    expect(e.control).toBe('holdout');
    expect(e.variants.map(({ id, visitors, converters, revenue }) => ({ id, visitors, converters, revenue }))).toEqual(arms);
    expect(e.variants.map((v) => v.share)).toEqual([expect.closeTo(0.2, 6), expect.closeTo(0.4, 6), expect.closeTo(0.4, 6)]);
    expect(e.variants.map((v) => v.control)).toEqual([true, false, false]);
    // Each arm's own campaign measures: the holdout saw nothing.
    expect(e.variants.map((v) => v.measures.impressions)).toEqual(arms.map((a) => (a.id === 'holdout' ? 0 : a.visitors)));
    expect(e.variants.map((v) => v.measures.clicks)).toEqual(arms.map((a) => visitors.filter((v) => v.arm === a.id && v.act === 'click').length));

    // CSV for spreadsheets, with the same token.
    const csv = await fetch(kairos.url + '/report?format=csv', { headers: BEARER });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await csv.text()).toContain(EXPERIMENT);

    // Without the token, or with a wrong one: 401 and a Basic challenge, so a browser shows its login prompt.
    for (const headers of [{} as Record<string, string>, { authorization: 'Basic ' + Buffer.from('admin:wrong').toString('base64') }, { authorization: 'Bearer wrong' }]) {
      const refused = await fetch(kairos.url + '/report', { headers });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(await refused.text()).not.toContain(EXPERIMENT);
    }

    // The HTML report, in a browser that answers the login prompt with the token as the password.
    const admin = await browser.newContext({ httpCredentials: { username: 'admin', password: TOKEN } });
    try {
      const page = await admin.newPage();
      const errors = collectPageErrors(page);
      const response = await page.goto(kairos.url + '/report');
      expect(response!.status()).toBe(200);
      expect(await response!.text()).not.toMatch(/<script/i);
      await expect(page.locator('script')).toHaveCount(0);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Shop report');
      await expect(page.getByRole('heading', { name: `Campaign ${EXPERIMENT}` })).toBeVisible();
      const charts = page.locator('svg[role=img]');
      expect(await charts.count()).toBeGreaterThan(0);
      await expect(charts.first()).toBeVisible();
      // The arms table: the shoppers and converters of each arm, as predicted.
      const armRows = page.getByRole('table', { name: `Arms of campaign ${EXPERIMENT}` }).locator('tbody tr');
      await expect(armRows).toHaveCount(arms.length);
      for (const [i, a] of arms.entries()) {
        await expect(armRows.nth(i).locator('th')).toHaveText(a.id === 'holdout' ? 'holdout (control)' : a.id);
        await expect(armRows.nth(i).locator('td').nth(1)).toHaveText(String(a.visitors));
        await expect(armRows.nth(i).locator('td').nth(2)).toHaveText(String(a.converters));
      }
      await screenshot(page, testInfo, 'report.png');
      await expectNoAxeViolations(page);

      // On a 360 px phone: nothing wider than the screen (wide tables scroll in their own region), and still no violations.
      await page.setViewportSize({ width: 360, height: 780 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await expect(charts.first()).toBeVisible();
      expect((await charts.first().boundingBox())!.width).toBeLessThanOrEqual(360);
      await screenshot(page, testInfo, 'report-360.png');
      await expectNoAxeViolations(page);
      expect(errors).toEqual([]);
    } finally {
      await admin.close();
    }
  } finally {
    await kairos.stop();
  }
});

// ---------------------------------------------------------------------------------------------------------------

const NAG = 'join-club';
const BAR = 'free-returns';
const PAUSE_CONFIG = `
site: { name: Auto-pause test }
fatigue: { modals_per_session: 5, modals_per_day: 10 }
auto_pause: { min_impressions: 3, max_dismiss_rate: 0.5 }
campaigns:
  - id: ${NAG}
    type: modal
    pages: { include: ["/products/**"] }
    content:
      headline: Join the Northwind club
      text: Members hear about new arrivals first.
  - id: ${BAR}
    type: announcement_bar
    position: bottom
    auto_pause: false
    content: { text: Free returns for 60 days }
`;

type PublicConfigBody = { campaigns: { id: string }[] };
async function liveConfig(kairos: Kairos): Promise<{ etag: string | null; ids: string[] }> {
  const res = await fetch(kairos.url + '/v1/config');
  expect(res.status).toBe(200);
  return { etag: res.headers.get('etag'), ids: ((await res.json()) as PublicConfigBody).campaigns.map((c) => c.id) };
}

test('auto_pause pauses an annoying campaign and the widget stops showing it', async ({ browser }, testInfo) => {
  test.setTimeout(45_000); // about 10 s alone; more next to other specs on two vCPUs
  const kairos = await startKairos({ config: PAUSE_CONFIG, env: ENV });
  try {
    const before = await liveConfig(kairos);
    expect(before.ids).toEqual([NAG, BAR]);

    // Three shoppers get the modal and close it at once.
    const shoppers = await Promise.all([0, 1, 2].map(() => shopper(browser, kairos.url)));
    await Promise.all(
      shoppers.map(async ({ page }, n) => {
        await page.goto(kairos.url + PRODUCT_PAGE);
        const dialog = page.getByRole('dialog', { name: 'Join the Northwind club' });
        await expect(dialog, `shopper ${n}`).toBeVisible();
        await dialog.getByRole('button', { name: 'No thanks' }).click();
        await expect(host(page, NAG)).toHaveCount(0);
      }),
    );
    await waitFor('the three dismissals stored', () => kairos.events('Campaign Dismissed').length === 3);
    expect(kairos.events('Campaign Shown').filter((e) => e.campaign_id === NAG)).toHaveLength(3);
    for (const { context, errors } of shoppers) {
      expect(errors).toEqual([]);
      await context.close();
    }

    // Within a few judging rounds (KAIROS_AUTO_PAUSE_SECONDS=1) the server pauses it and the public config drops it.
    const after = await waitFor('the modal gone from /v1/config', async () => {
      const live = await liveConfig(kairos);
      return !live.ids.includes(NAG) && live;
    });
    expect(after.ids).toEqual([BAR]);
    expect(after.etag).not.toBe(before.etag); // browsers holding the old config revalidate and get the new one

    // The next shopper: the bar shows (the widget runs, with the new config), the modal does not.
    {
      const { context, page, errors } = await shopper(browser, kairos.url);
      await page.goto(kairos.url + PRODUCT_PAGE);
      await expect(page.getByRole('region', { name: 'Announcement' })).toContainText('Free returns for 60 days');
      await page.waitForTimeout(800); // a page-load modal would have opened by now (it shows with the bar)
      await expect(host(page, NAG)).toHaveCount(0);
      await expect(page.getByRole('dialog')).toHaveCount(0);
      expect(errors).toEqual([]);
      await context.close();
    }

    const report = await reportJson(kairos);
    const nag = report.campaigns.find((c) => c.id === NAG)!;
    expect(nag.status).toBe('paused');
    expect(nag.pause?.reason).toMatch(/dismissed/);
    expect(nag.totals).toMatchObject({ impressions: 3, dismissals: 3 });
    expect(nag.rates.dismiss).toBe(1);
    expect(report.campaigns.find((c) => c.id === BAR)?.status).toBe('running');

    const admin = await browser.newContext({ httpCredentials: { username: 'admin', password: TOKEN } });
    try {
      const page = await admin.newPage();
      await page.goto(kairos.url + '/report');
      const notice = page.locator('.notice-paused');
      await expect(notice).toBeVisible();
      await expect(notice).toContainText('Paused automatically');
      await expect(notice).toContainText('dismissed');
      await expect(notice).toContainText(`npx kairos resume ${NAG}`);
      await screenshot(page, testInfo, 'report-paused.png');
      await expectNoAxeViolations(page);
    } finally {
      await admin.close();
    }

    // `kairos resume` (another process, on the same database) lifts the pause: the running server notices within a
    // round, and the next shopper sees the modal again (judged afresh: the old dismissals no longer count).
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/kairos.js', 'resume', NAG, '--db', kairos.dbFile, '--config', kairos.configFile], { cwd: root });
    expect(stdout).toContain(`${NAG}: resumed`);
    await waitFor('the modal back in /v1/config', async () => (await liveConfig(kairos)).ids.includes(NAG));
    {
      const { context, page } = await shopper(browser, kairos.url);
      await page.goto(kairos.url + PRODUCT_PAGE);
      await expect(page.getByRole('dialog', { name: 'Join the Northwind club' })).toBeVisible();
      await context.close();
    }
    expect((await reportJson(kairos)).campaigns.find((c) => c.id === NAG)?.status).toBe('running');
  } finally {
    await kairos.stop();
  }
});
