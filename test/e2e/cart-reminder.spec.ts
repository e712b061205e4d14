// The abandoned-cart reminder on the demo shop (demo/kairos.yaml, campaign cart-reminder): a shopper fills the
// cart, leaves, and comes back in a new session (the clock moves on past the 30-minute session timeout) → a
// slide-in names the items and the total; never on the cart page; after an order, no reminder. The same on the
// one-page shop at /datalayer, which only pushes GA4 e-commerce events to window.dataLayer.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { collectPageErrors, fullDemoConfig, startKairos, waitFor, type Kairos } from './support';

let kairos: Kairos;
test.beforeAll(async () => {
  // The demo's welcome modals (second page view) stay away: this is about the cart.
  kairos = await startKairos({ config: fullDemoConfig.replaceAll('trigger: { type: page_views, count: 2 }', 'trigger: { type: page_views, count: 99 }') });
});
test.afterAll(() => kairos.stop());

const reminder = (page: Page) => page.locator('kairos-campaign[data-campaign="cart-reminder"]');
const settle = (page: Page) => page.waitForLoadState('networkidle').then(() => page.waitForTimeout(600));

/** Later, in a new session: the clock moves past the session timeout (30 min idle), as if the shopper came back. */
async function comeBackLater(page: Page, minutes = 45): Promise<void> {
  await page.clock.setSystemTime(Date.now() + minutes * 60_000);
}

async function addToCart(page: Page, path: string): Promise<void> {
  await page.goto(kairos.url + path);
  await page.getByTestId('add-to-cart').click();
  await settle(page);
}

test('a returning shopper with a full cart is reminded of the items and the total; never on the cart page', async ({ page }) => {
  const errors = collectPageErrors(page);
  await addToCart(page, '/products/linen-shirt');
  await addToCart(page, '/products/straw-hat');
  await expect(reminder(page)).toHaveCount(0); // the same session: no reminder

  await comeBackLater(page);
  await page.goto(kairos.url + '/cart'); // the first page of the new session is the cart: not there
  await settle(page);
  await expect(reminder(page)).toHaveCount(0);

  await comeBackLater(page, 90);
  await page.goto(kairos.url + '/');
  const panel = page.getByRole('dialog', { name: 'You left 2 items in your cart' });
  await expect(panel).toBeVisible();
  const lines = await reminder(page).evaluate((host) =>
    [...host.shadowRoot!.querySelectorAll('.line')].map((l) => [l.querySelector('.name')!.textContent, l.querySelector('img')?.getAttribute('src') ?? null]),
  );
  expect(lines.map(([name]) => name)).toEqual(['Linen Camp Shirt', 'Straw Sun Hat']);
  for (const [, src] of lines) expect(src).toMatch(/\/img\/.+\.svg$/);
  const prices = await page.evaluate(async () => {
    const url = '/products.js'; // a variable: TypeScript would try to resolve a literal specifier
    return (await import(url)).products as { id: string; price: number }[];
  });
  const total = prices.filter((p) => ['linen-shirt', 'straw-hat'].includes(p.id)).reduce((n, p) => n + p.price, 0);
  await expect(reminder(page).locator('.cart-total')).toHaveText(new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' }).format(total));
  // It does not take focus or block the page: the shop's own links still work.
  expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
  expect((await new AxeBuilder({ page }).include('kairos-campaign').analyze()).violations).toEqual([]);

  await reminder(page).getByRole('link', { name: 'Back to my cart' }).click();
  await page.waitForURL(kairos.url + '/cart');
  await waitFor('Campaign Clicked', () => kairos.events('Campaign Clicked').find((e) => e.campaign_id === 'cart-reminder'));
  expect(errors).toEqual([]);
});

test('after an order there is nothing to remind of', async ({ page }) => {
  await addToCart(page, '/products/merino-sweater');
  await page.goto(kairos.url + '/checkout');
  for (const [field, value] of Object.entries({ email: 'ada@example.com', name: 'Ada Lovelace', address: '12 St James Sq', postcode: 'SW1Y 4JH', city: 'London' }))
    await page.getByTestId(field).fill(value);
  await page.getByTestId('place-order').click();
  await page.waitForURL(/\/order-complete/);
  await settle(page);

  await comeBackLater(page);
  await page.goto(kairos.url + '/');
  await settle(page);
  await expect(reminder(page)).toHaveCount(0);
});

test('the same on the dataLayer-only page: GA4 pushes fill the cart, a purchase empties it', async ({ page }) => {
  const errors = collectPageErrors(page);
  const posted: string[] = [];
  page.on('request', (r) => r.url().endsWith('/v1/events') && posted.push(...JSON.parse(r.postData() ?? '{}').events.map((e: { name: string }) => e.name)));
  await page.goto(kairos.url + '/datalayer');
  await page.getByRole('button', { name: /Add .*Tote/ }).click();
  await page.getByRole('button', { name: /Add .*Swim Shorts/ }).click();
  await page.getByRole('button', { name: /Add .*Swim Shorts/ }).click();
  await settle(page);

  await comeBackLater(page);
  await page.goto(kairos.url + '/datalayer');
  await expect(page.getByRole('dialog', { name: 'You left 3 items in your cart' })).toBeVisible();
  const names = await reminder(page).evaluate((host) => [...host.shadowRoot!.querySelectorAll('.line .name')].map((n) => n.textContent));
  expect(names).toEqual(['Canvas Tote Bag', 'Striped Swim Shorts']);

  await page.getByTestId('place-order').click();
  await settle(page);
  await comeBackLater(page, 120);
  await page.goto(kairos.url + '/datalayer');
  await settle(page);
  await expect(reminder(page)).toHaveCount(0);
  expect(kairos.events('Order Completed').some((e) => e.path?.startsWith('/datalayer'))).toBe(true);
  expect(errors).toEqual([]);
});
