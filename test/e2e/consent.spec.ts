// Consent and Global Privacy Control, as the server sees it: with `privacy.consent: required` the widget sends no
// event until the page calls kairos('consent', …) — then the page's events so far and everything after arrive —
// and the choice holds on the next page; with Global Privacy Control on, nothing is ever sent, while bars still
// show (they need no data). Counted on the server (stored events) and on the wire (requests to /v1/events).
import { expect, test, type Page } from '@playwright/test';
import { demoConfig, startKairos, waitFor, type Kairos } from './support';

/** Requests the page makes to /v1/events (fetch or beacon). */
function eventRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/v1/events') seen.push(r.method());
  });
  return seen;
}

const settle = (page: Page) => page.waitForLoadState('networkidle').then(() => page.waitForTimeout(800));

test.describe('consent: required', () => {
  let kairos: Kairos;
  test.beforeAll(async () => {
    kairos = await startKairos({ config: demoConfig.replace(/^campaigns:/m, 'privacy: { consent: required }\n\ncampaigns:') });
  });
  test.afterAll(() => kairos.stop());

  test('no event leaves before consent; the page’s events and the rest arrive after it, and on the next page', async ({ page }) => {
    const requests = eventRequests(page);
    await page.goto(kairos.url + '/products/linen-shirt');
    await page.getByTestId('add-to-cart').click();
    await settle(page);
    await page.goto(kairos.url + '/cart');
    await settle(page);
    expect(requests).toEqual([]);
    expect(kairos.events()).toEqual([]);
    // The bar needs no consent: it shows.
    await expect(page.locator('kairos-campaign').first()).toBeAttached();

    await page.evaluate(() => (window as unknown as { kairos: (...a: unknown[]) => void }).kairos('consent', { analytics: true, marketing: true }));
    // The cart page's view, held in memory until now, arrives; the earlier pages' events were never kept.
    await waitFor('the held page view', () => kairos.events('Page Viewed').find((e) => e.path === '/cart'));
    expect(kairos.events('Product Added')).toEqual([]);

    await page.goto(kairos.url + '/products/straw-hat'); // the choice is remembered on this device
    await page.getByTestId('add-to-cart').click();
    await waitFor('Product Added after consent', () => kairos.events('Product Added')[0]);
  });
});

test.describe('consent: not_required (the default)', () => {
  let kairos: Kairos;
  test.beforeAll(async () => {
    kairos = await startKairos({ config: demoConfig });
  });
  test.afterAll(() => kairos.stop());

  test('with GPC on nothing is sent, even with consent given; bars still show', async ({ page }) => {
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }));
    const requests = eventRequests(page);
    await page.goto(kairos.url + '/');
    await page.evaluate(() => (window as unknown as { kairos: (...a: unknown[]) => void }).kairos('consent', { analytics: true }));
    await page.goto(kairos.url + '/products/linen-shirt');
    await page.getByTestId('add-to-cart').click();
    await expect(page.locator('kairos-campaign[data-campaign="free-shipping"]')).toHaveCount(1);
    await settle(page);
    await page.goto(kairos.url + '/cart'); // pagehide would flush anything queued
    await settle(page);
    expect(requests).toEqual([]);
    expect(kairos.events()).toEqual([]);
  });

  test('a first visit whose config comes late (nothing cached) still sends its events once it is there', async ({ page }) => {
    await page.route('**/v1/config', async (route) => {
      await new Promise((r) => setTimeout(r, 1500)); // past the widget's 400 ms wait: it starts without a config
      await route.continue();
    });
    await page.goto(kairos.url + '/products/canvas-tote');
    await waitFor('the first page view', () => kairos.events('Page Viewed').find((e) => e.path === '/products/canvas-tote'));
  });

  test('without GPC the same visit is recorded (the control)', async ({ page }) => {
    await page.goto(kairos.url + '/products/linen-shirt');
    await page.getByTestId('add-to-cart').click();
    await waitFor('Product Added', () => kairos.events('Product Added')[0]);
  });
});
