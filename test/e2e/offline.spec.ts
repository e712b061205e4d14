// The shop must not depend on Kairos being up. The demo shop is hosted on its own origin (as a real shop is);
// the Kairos server is stopped mid-visit: the shop keeps working with no uncaught error, and events made
// meanwhile arrive — once each — when the server is back.
import { expect, test } from '@playwright/test';
import { collectPageErrors, startKairosWithShop, startShop, waitFor, type Kairos } from './support';

let kairos: Kairos;
let shop: Awaited<ReturnType<typeof startShop>>;

test.beforeAll(async () => {
  ({ kairos, shop } = await startKairosWithShop());
});
test.afterAll(async () => {
  await kairos.stop();
  await shop.close();
});

test('with the server stopped the shop still works, and events queued meanwhile arrive once it is back', async ({ page }) => {
  const errors = collectPageErrors(page);

  // Online first: the widget caches the config and shows the bar.
  await page.goto(shop.url + '/');
  await expect(page.getByRole('region', { name: 'Announcement' })).toBeVisible();
  await waitFor('the first page view in the store', () => kairos.events('Page Viewed')[0]);

  await kairos.stop();

  // Offline: browse, add to the cart, view the cart — everything the shop does still works.
  await page.goto(shop.url + '/products/knit-beanie');
  await page.getByTestId('add-to-cart').click();
  await expect(page.getByTestId('cart-count')).toHaveText('1');
  await page.goto(shop.url + '/cart');
  await expect(page.getByTestId('cart-item')).toHaveCount(1);
  // The bar still shows, from the config cached on the shopper's device.
  await expect(page.getByRole('region', { name: 'Announcement' })).toBeVisible();
  await page.waitForTimeout(1500); // let the widget try, fail and back off
  expect(kairos.events('Product Added')).toEqual([]);

  await kairos.start();
  // The next page load sends what the outbox kept.
  await page.goto(shop.url + '/');
  const added = await waitFor('Product Added to arrive', () => kairos.events('Product Added')[0]);
  expect(added.props).toMatchObject({ product_id: 'knit-beanie' });
  await waitFor('Cart Viewed to arrive', () => kairos.events('Cart Viewed')[0]);
  await page.waitForTimeout(1000);
  const all = kairos.events();
  expect(new Set(all.map((e) => e.event_id)).size).toBe(all.length);
  expect(all.filter((e) => e.name === 'Product Added')).toHaveLength(1);
  expect(all.filter((e) => e.name === 'Page Viewed' && e.path === '/cart')).toHaveLength(1);

  expect(errors).toEqual([]);
});
