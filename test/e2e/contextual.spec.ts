// Contextual banners on the demo shop (demo/kairos.yaml): the heatwave offer goes to summer buyers and not to
// knitwear-only buyers when the forecast (demo/weather.json, static provider) says it will be hot; the
// free-shipping bar follows the cart live; two bars at once move nothing on the page; `push: true` keeps the
// page's content clear of a bar and gives the space back.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { campaignText, collectPageErrors, fullDemoConfig, layoutShifts, startKairos, waitFor, type Kairos } from './support';

/** The demo without its second-page-view modals: this is about bars. */
const config = fullDemoConfig.replaceAll('trigger: { type: page_views, count: 2 }', 'trigger: { type: page_views, count: 99 }');

const settle = (page: Page) => page.waitForLoadState('networkidle').then(() => page.waitForTimeout(500));
const host = (page: Page, id: string) => page.locator(`kairos-campaign[data-campaign="${id}"]`);

/** A finished order of one product, as the demo's order page tracks it. */
async function ordered(page: Page, category: string): Promise<void> {
  await page.evaluate((category) => {
    (window as unknown as { kairos: (...args: unknown[]) => void }).kairos('track', 'Order Completed', {
      order_id: 'o-' + category,
      total: 50,
      currency: 'EUR',
      products: [{ product_id: category + '-1', category, price: 50, quantity: 1 }],
    });
  }, category);
}

test.describe('weather', () => {
  let kairos: Kairos;
  test.beforeAll(async () => {
    kairos = await startKairos({ config });
  });
  test.afterAll(() => kairos.stop());

  /** Orders `categories` (on the cart page, where the heatwave offer is not shown), then opens the home page. */
  async function shopperWhoBought(page: Page, categories: string[]): Promise<void> {
    await page.goto(kairos.url + '/cart');
    for (const c of categories) await ordered(page, c);
    await settle(page);
    await page.goto(kairos.url + '/');
    await settle(page);
  }

  test('a heatwave coming: the summer buyer sees the sunglasses offer', async ({ page }) => {
    const errors = collectPageErrors(page);
    await shopperWhoBought(page, ['sunglasses']);
    await expect(page.getByRole('region', { name: 'Announcement' }).filter({ hasText: 'Heatwave' })).toBeVisible();
    expect(await campaignText(page, 'heatwave')).toContain('15% off sunglasses and summer wear');
    expect(errors).toEqual([]);
  });

  test('a heatwave coming: the shopper who only buys knitwear sees nothing of it', async ({ page }) => {
    await shopperWhoBought(page, ['knitwear', 'knitwear']);
    await expect(host(page, 'heatwave')).toHaveCount(0);
    // Not for want of a forecast: a buyer of knitwear *and* sunglasses is a summer buyer after all.
    await page.goto(kairos.url + '/cart');
    await ordered(page, 'sunglasses');
    await settle(page);
    await page.goto(kairos.url + '/');
    await expect(host(page, 'heatwave')).toHaveCount(1);
  });

  test('no heatwave in the forecast: nobody sees it', async ({ page }) => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-mild-'));
    const mild = join(dir, 'mild.json');
    const day = { max_temp_c: 18, min_temp_c: 9, precipitation_mm: 3, condition: 'showers' };
    writeFileSync(mild, JSON.stringify({ current: { temp_c: 14, condition: 'cloudy' }, daily: Array(7).fill(day) }));
    const cool = await startKairos({ config: config.replace(/file: "[^"]*weather\.json"/, `file: ${JSON.stringify(mild)}`) });
    try {
      await page.goto(cool.url + '/');
      await ordered(page, 'sunglasses');
      await settle(page);
      await page.goto(cool.url + '/');
      await settle(page);
      await expect(host(page, 'heatwave')).toHaveCount(0);
      const context = await (await page.request.get(cool.url + '/v1/context')).json();
      expect(context.weather.daily[0].max_temp_c).toBe(18);
    } finally {
      await cool.stop();
    }
  });
});

test.describe('bars', () => {
  let kairos: Kairos;
  test.beforeAll(async () => {
    kairos = await startKairos({ config });
  });
  test.afterAll(() => kairos.stop());

  const freeShipping = (page: Page) => page.getByRole('region', { name: 'Free shipping' });

  test('the free-shipping bar counts down to the threshold as items are added, live', async ({ page }) => {
    const errors = collectPageErrors(page);
    await page.goto(kairos.url + '/products/canvas-tote');
    await expect(freeShipping(page)).toContainText('Free shipping on orders over €75.00');
    await page.getByTestId('add-to-cart').click(); // €29.90
    await expect(freeShipping(page)).toContainText('€45.10 away from free shipping');
    await page.getByTestId('add-to-cart').click(); // €59.80
    await expect(freeShipping(page)).toContainText('€15.20 away from free shipping');
    await page.goto(kairos.url + '/products/linen-shirt');
    await expect(freeShipping(page)).toContainText('€15.20 away from free shipping');
    await page.getByTestId('add-to-cart').click(); // €119.70
    await expect(freeShipping(page)).toContainText('You’ve unlocked free shipping');
    // The change is announced to screen readers, politely.
    await expect(host(page, 'free-shipping').locator('[aria-live="polite"]')).toHaveText('You’ve unlocked free shipping');
    const axe = await new AxeBuilder({ page }).include('kairos-campaign').analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('two bars at once (top and bottom) cause no layout shift and do not overlap', async ({ page }) => {
    await page.goto(kairos.url + '/products/linen-shirt');
    await page.getByTestId('add-to-cart').click();
    await page.goto(kairos.url + '/products/straw-hat');
    await expect(host(page, 'free-shipping')).toHaveCount(1);
    await expect(host(page, 'welcome-bar')).toHaveCount(1);
    await page.waitForTimeout(500); // past the slide-in
    const shifts = await layoutShifts(page);
    expect(shifts).toEqual([]);
    const top = await host(page, 'free-shipping').boundingBox();
    const bottom = await host(page, 'welcome-bar').boundingBox();
    const viewport = page.viewportSize()!;
    expect(top!.y).toBe(0);
    expect(Math.round(bottom!.y + bottom!.height)).toBe(viewport.height);
    expect(top!.y + top!.height).toBeLessThan(bottom!.y);
  });

  test('a countdown with nothing to count down to gives its edge to the bar it beat', async ({ page }) => {
    // A deadline long past: the countdown (priority 15) has nothing to show on /cart, and the welcome bar
    // (priority 10), which lost the bottom edge to it, shows after all.
    const quiet = await startKairos({ config: config.replace(/countdown: \{ every: .*\}$/m, 'countdown: { deadline: "2020-01-01T00:00" }') });
    try {
      await page.goto(quiet.url + '/cart');
      await expect(host(page, 'welcome-bar')).toHaveCount(1);
      await expect(host(page, 'same-day-dispatch')).toHaveCount(0);
    } finally {
      await quiet.stop();
    }
  });

  test('push: true pads the page by the bar, so nothing hides under it, and gives the space back on dismiss', async ({ page }) => {
    const pushed = await startKairos({
      config: config.replace('    threshold: 75\n', '    threshold: 75\n    push: true\n'),
    });
    try {
      await page.goto(pushed.url + '/products/canvas-tote');
      await expect(freeShipping(page)).toBeVisible();
      const height = await waitFor('the bar to take its height', async () => {
        const h = (await host(page, 'free-shipping').boundingBox())?.height ?? 0;
        return h > 30 && h;
      });
      await expect.poll(() => page.evaluate(() => parseFloat(getComputedStyle(document.body).paddingTop))).toBeCloseTo(height, 0);
      await freeShipping(page).getByRole('button', { name: 'Dismiss' }).click();
      await expect(host(page, 'free-shipping')).toHaveCount(0);
      expect(await page.evaluate(() => getComputedStyle(document.body).paddingTop)).toBe('0px');
    } finally {
      await pushed.stop();
    }
  });
});
