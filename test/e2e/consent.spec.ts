// Consent and Global Privacy Control, as the server sees it: with `privacy.consent: required` the widget sends no
// event until the page calls kairos('consent', …) — then the page's events so far and everything after arrive —
// and the choice holds on the next page; with Global Privacy Control on, nothing is ever sent, while bars still
// show (they need no data). Counted on the server (stored events) and on the wire (requests to /v1/events).
import { expect, test, type Page } from '@playwright/test';
import { demoConfig, deviceState, startKairos, waitFor, type Kairos } from './support';

/** Requests the page makes to /v1/events (fetch or beacon). */
function eventRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/v1/events') seen.push(r.method());
  });
  return seen;
}

/** POST /v1/events requests the server answered, from its own request log (one JSON line per request). */
const postsLogged = (kairos: Kairos) =>
  kairos
    .output()
    .split('\n')
    .filter((l) => l.includes('"route":"/v1/events"') && l.includes('"method":"POST"')).length;

const settle = (page: Page) => page.waitForLoadState('networkidle').then(() => page.waitForTimeout(800));

/** What may be stored before consent: nothing that identifies the shopper. */
const BEFORE_CONSENT = ['config', 'consent', 'prefs'];

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
    expect(postsLogged(kairos)).toBe(0);
    expect(kairos.events()).toEqual([]);
    // The bar needs no consent: it shows.
    await expect(page.locator('kairos-campaign').first()).toBeAttached();
    // Nor is anything about the shopper kept on the device: no visitor id, session, profile or history.
    expect((await deviceState(page)).filter((k) => !BEFORE_CONSENT.includes(k))).toEqual([]);

    await page.evaluate(() => (window as unknown as { kairos: (...a: unknown[]) => void }).kairos('consent', { analytics: true, marketing: true }));
    // The cart page's view, held in memory until now, arrives; the earlier pages' events were never kept.
    await waitFor('the held page view', () => kairos.events('Page Viewed').find((e) => e.path === '/cart'));
    expect(postsLogged(kairos)).toBeGreaterThan(0);
    expect(kairos.events('Product Added')).toEqual([]);
    // Now the device keeps what it needs (the visitor id the server just saw, the session, the profile).
    await waitFor('device storage after consent', async () => (await deviceState(page)).includes('visitor'));
    const visitor = await deviceState<string>(page, 'visitor');
    expect(kairos.events('Page Viewed').find((e) => e.path === '/cart')?.visitor_id).toBe(visitor);

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
    expect(postsLogged(kairos)).toBe(0); // the first test on this server
    expect(kairos.events()).toEqual([]);
    // Nor is a profile kept for personalisation: the cart lived for its page only.
    expect(await deviceState(page)).not.toContain('profile');
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
    await waitFor('the profile kept on the device', async () => (await deviceState(page)).includes('profile'));
  });
});

test.describe('consent: cmp (IAB TCF v2)', () => {
  let kairos: Kairos;
  test.beforeAll(async () => {
    kairos = await startKairos({ config: demoConfig.replace(/^campaigns:/m, 'privacy: { consent: cmp }\n\ncampaigns:') });
  });
  test.afterAll(() => kairos.stop());

  /** A TCF v2 CMP as the page would have one: a __tcfapi that answers "UI shown" until the shopper decides. */
  const fakeCmp = () => {
    const listeners: ((d: unknown, ok: boolean) => void)[] = [];
    const w = window as unknown as Record<string, unknown>;
    w['__tcfapi'] = (command: string, version: number, cb: (d: unknown, ok: boolean) => void) => {
      if (command !== 'addEventListener' || version !== 2) return cb(null, false);
      listeners.push(cb);
      cb({ eventStatus: 'cmpuishown', gdprApplies: true, purpose: { consents: {} } }, true);
    };
    w['__decide'] = (consents: Record<string, boolean>) =>
      listeners.forEach((cb) => cb({ eventStatus: 'useractioncomplete', gdprApplies: true, purpose: { consents } }, true));
  };
  const decide = (page: Page, consents: Record<number, boolean>) =>
    page.evaluate((c) => (window as unknown as { __decide: (c: unknown) => void }).__decide(c), consents);

  test('nothing is sent or stored until the CMP reports consent to storage and measurement; then the page’s events go', async ({ page }) => {
    await page.addInitScript(fakeCmp);
    const requests = eventRequests(page);
    await page.goto(kairos.url + '/products/linen-shirt');
    await settle(page);
    await decide(page, { 1: true, 7: true }); // storage and ad measurement only: not enough
    await settle(page);
    expect(requests).toEqual([]);
    expect(postsLogged(kairos)).toBe(0);
    expect(kairos.events()).toEqual([]);
    expect((await deviceState(page)).filter((k) => !BEFORE_CONSENT.includes(k))).toEqual([]);

    await decide(page, { 1: true, 8: true });
    await waitFor('the held page view', () => kairos.events('Page Viewed').find((e) => e.path === '/products/linen-shirt'));
    await waitFor('device storage after consent', async () => (await deviceState(page)).includes('visitor'));
  });

  test('a CMP that says GDPR does not apply lets events through', async ({ page }) => {
    await page.addInitScript(() => {
      (window as unknown as Record<string, unknown>)['__tcfapi'] = (_c: string, _v: number, cb: (d: unknown, ok: boolean) => void) =>
        setTimeout(() => cb({ eventStatus: 'tcloaded', gdprApplies: false }, true), 300);
    });
    await page.goto(kairos.url + '/products/straw-hat');
    await waitFor('the page view', () => kairos.events('Page Viewed').find((e) => e.path === '/products/straw-hat'));
  });
});
