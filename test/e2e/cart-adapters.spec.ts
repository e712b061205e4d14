// The Shopify and WooCommerce cart adapters in a real browser: a shop on its own origin (a small node:http server
// below) answers /cart.js or the Store API cart from an in-memory cart the test changes; the real `kairos serve`
// must receive Cart Viewed with the shop's products, currency and value — again when the cart changed and the
// shopper comes back (focus) or WooCommerce says so (its DOM or jQuery events), and not when nothing changed.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { collectPageErrors, freePort, root, startKairos, waitFor, type Kairos } from './support';
import * as shopify from '../widget/fixtures/shopify';
import * as woo from '../widget/fixtures/woocommerce';

/** A shop page with the snippet; `head` goes before it (the jQuery stand-in). */
const shopPage = (api: string, head = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test shop</title>
${head}
<script>window.kairos=window.kairos||function(){(kairos.q=kairos.q||[]).push(arguments)}</script>
<script async src="${api}/kairos.js"></script>
</head><body><main><h1>Test shop</h1></main></body></html>`;

/**
 * A shop on 127.0.0.1: `/` and `/products/*` are pages, `cartPath` answers `cart()` as JSON. Kairos starts
 * after it (the config must allow the shop's origin), so the page reads the API's URL when it is asked for.
 */
async function startShop(cartPath: string, cart: () => unknown, head = '') {
  let api = '';
  const reads: number[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === cartPath) {
      reads.push(Date.now());
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(cart()));
    } else if (path === '/' || path.startsWith('/products/')) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(shopPage(api, head));
    else res.writeHead(404).end('not found');
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${port}`;
  const config = (adapter: string) => `site:
  name: Cart adapter shop
  allowed_origins: ["${url}"]
cart:
  currency: EUR
  adapters:
    - { type: ${adapter}, pages: ["/**"] }
`;
  return {
    url,
    reads,
    config,
    setApi: (u: string) => void (api = u),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

type Shop = Awaited<ReturnType<typeof startShop>>;

/** Kairos for this shop: its config allows the shop's origin and names the adapter. */
async function kairosFor(shop: Shop, adapter: string): Promise<Kairos> {
  const kairos = await startKairos({ config: shop.config(adapter), demo: false });
  shop.setApi(kairos.url);
  return kairos;
}

const cartViewed = (kairos: Kairos) => kairos.events('Cart Viewed');

/** Waits for the n-th Cart Viewed in the store and gives its props. */
const nthCartViewed = async (kairos: Kairos, n: number) => (await waitFor(`Cart Viewed #${n}`, () => cartViewed(kairos)[n - 1])).props;

/** The tab is left and comes back: the window regains focus. */
const regainFocus = (page: Page) => page.evaluate(() => window.dispatchEvent(new Event('focus')));

/** Reloads and lets the adapter read the cart and the transport send what it would: nothing must follow. */
async function reloadAndSettle(page: Page, kairos: Kairos, shop: Shop) {
  const reads = shop.reads.length;
  const views = kairos.events('Page Viewed').length;
  await page.reload();
  await waitFor('the cart read after the reload', () => shop.reads.length > reads);
  await waitFor('the reload’s Page Viewed', () => kairos.events('Page Viewed').length > views);
  await page.waitForTimeout(1_500); // more than the transport's 500 ms batch delay after the cart read
}

test('shopify: /cart.js becomes Cart Viewed on load, again after a change when the tab regains focus, not on an unchanged reload', async ({ page }) => {
  let lines = [shopify.linenShirtM, shopify.aviator, shopify.beanie];
  const shop = await startShop('/cart.js', () => shopify.shopifyCart(lines));
  const kairos = await kairosFor(shop, 'shopify');
  try {
    const errors = collectPageErrors(page);
    await page.goto(shop.url + '/');
    expect(await nthCartViewed(kairos, 1)).toEqual({
      currency: 'EUR',
      value: 233.8,
      products: [
        // Stored without the image URLs' query strings (?v=…), as every URL in an event (server/events.ts).
        { product_id: '41234567890123', name: 'Linen Camp Shirt', variant: 'M / Sand', price: 59.9, quantity: 2, category: 'summer-wear', image_url: noQuery(shopify.linenShirtM.image) },
        { product_id: '41234567890200', name: 'Aviator Sunglasses', price: 89, quantity: 1, category: 'sunglasses', image_url: noQuery(shopify.aviator.image) },
        { product_id: '41234567890300', name: 'Knit Beanie', variant: 'Rust', price: 25, quantity: 1 },
      ],
    });

    // Focus without a change: read, compared, nothing sent.
    await regainFocus(page);
    await waitFor('the re-read on focus', () => shop.reads.length >= 2);

    // Changed in another tab (quantity, a line gone, a line added), then the shopper comes back.
    lines = [{ ...shopify.linenShirtM, quantity: 1 }, shopify.linenShirtL, shopify.aviator];
    await regainFocus(page);
    const second = await nthCartViewed(kairos, 2);
    expect(second).toMatchObject({ currency: 'EUR', value: 208.8 });
    expect((second!['products'] as { product_id: string; quantity: number }[]).map((p) => [p.product_id, p.quantity])).toEqual([
      ['41234567890123', 1],
      ['41234567890124', 1],
      ['41234567890200', 1],
    ]);

    await reloadAndSettle(page, kairos, shop);
    expect(cartViewed(kairos)).toHaveLength(2);

    // Emptied (an order elsewhere, the cart expired): Cart Viewed with no products and value 0.
    lines = [];
    await page.goto(shop.url + '/products/aviator-sunglasses');
    expect(await nthCartViewed(kairos, 3)).toEqual({ currency: 'EUR', value: 0, products: [] });
    expect(cartViewed(kairos).map((e) => e.path)).toEqual(['/', '/', '/products/aviator-sunglasses']);
    expect(errors).toEqual([]);
  } finally {
    await kairos.stop();
    await shop.close();
  }
});

/** A stand-in for jQuery's custom events, which never reach addEventListener: on() and trigger() only. */
const jQueryShim = `<script>window.jQuery=function(el){return{on:function(names,f){names.split(' ').forEach(function(n){(el.$h=el.$h||{})[n]=((el.$h||{})[n]||[]).concat(f)})},trigger:function(n){((el.$h||{})[n]||[]).forEach(function(f){f({type:n})})}}}</script>`;

test('woocommerce: the Store API cart becomes Cart Viewed on load and after WooCommerce’s cart events, not on an unchanged reload', async ({ page }) => {
  let lines = [woo.beanie, woo.hoodieBlue];
  const shop = await startShop('/wp-json/wc/store/v1/cart', () => woo.wooCart(lines), jQueryShim);
  const kairos = await kairosFor(shop, 'woocommerce');
  try {
    const errors = collectPageErrors(page);
    await page.goto(shop.url + '/');
    expect(await nthCartViewed(kairos, 1)).toEqual({
      currency: 'EUR',
      value: 81,
      products: [
        { product_id: '16', name: 'Beanie', price: 18, quantity: 2, image_url: woo.beanie.image },
        { product_id: '25', name: 'Hoodie', variant: 'Blue / Yes', price: 45, quantity: 1, image_url: woo.hoodieBlue.image },
      ],
    });

    // The Blocks' add-to-cart button: a DOM event on document.body.
    lines = [woo.beanie, woo.hoodieBlue, woo.sunglasses];
    await page.evaluate(() => document.body.dispatchEvent(new Event('wc-blocks_added_to_cart')));
    expect(await nthCartViewed(kairos, 2)).toMatchObject({ value: 171, products: [{ product_id: '16' }, { product_id: '25' }, { product_id: '31', price: 90 }] });

    // The classic cart page: jQuery(document.body).trigger('removed_from_cart'), then the fragments refresh.
    lines = [woo.sunglasses];
    await page.evaluate(() => {
      const $ = (window as unknown as { jQuery(el: unknown): { trigger(n: string): void } }).jQuery;
      $(document.body).trigger('removed_from_cart');
      $(document.body).trigger('wc_fragments_refreshed');
    });
    expect(await nthCartViewed(kairos, 3)).toMatchObject({ value: 90, products: [{ product_id: '31', quantity: 1 }] });

    await reloadAndSettle(page, kairos, shop);
    expect(cartViewed(kairos)).toHaveLength(3);
    expect(errors).toEqual([]);
  } finally {
    await kairos.stop();
    await shop.close();
  }
});

test('a shop whose cart endpoint fails: no Cart Viewed, no page error', async ({ page }) => {
  const shop = await startShop('/cart.js', () => undefined); // JSON.stringify(undefined): an empty, invalid body
  const kairos = await kairosFor(shop, 'shopify');
  try {
    const errors = collectPageErrors(page);
    await page.goto(shop.url + '/');
    await waitFor('the cart read', () => shop.reads.length >= 1);
    await waitFor('Page Viewed', () => kairos.events('Page Viewed').length >= 1);
    await page.waitForTimeout(1_000);
    expect(cartViewed(kairos)).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    await kairos.stop();
    await shop.close();
  }
});

test('the datalayer demo page: GA4 pushes only, and Kairos stores the Segment events (cart, reload, order)', async ({ page }) => {
  // The page never talks to Kairos itself: everything below comes through the datalayer adapter.
  for (const file of ['demo/datalayer.html', 'demo/pages/datalayer.js']) expect(readFileSync(join(root, file), 'utf8')).not.toMatch(/kairos\(\s*['"]track/);
  const kairos = await startKairos({
    config: `site:
  name: Northwind Outfitters
cart:
  adapters:
    - { type: datalayer, pages: ["/datalayer", "/datalayer/**", "/datalayer.html"] }
    - { type: events }
`,
  });
  try {
    const errors = collectPageErrors(page);
    await page.goto(kairos.url + '/datalayer');
    const card = (id: string) => page.locator(`[data-testid="product-card"][data-product-id="${id}"]`);
    await card('sunglasses-aviator').getByTestId('add-to-cart').click(); // maybe before the adapter started: replayed
    await card('sunglasses-aviator').getByTestId('add-to-cart').click();
    await card('linen-shirt').getByTestId('add-to-cart').click();
    await card('linen-shirt').getByTestId('remove-from-cart').click();
    await expect(page.getByTestId('cart-total')).toHaveText(/178/);

    const added = await waitFor('3 × Product Added', () => kairos.events('Product Added').length === 3 && kairos.events('Product Added'));
    expect(added.map((e) => [e.props!['product_id'], e.props!['quantity']])).toEqual([
      ['sunglasses-aviator', 1],
      ['sunglasses-aviator', 1],
      ['linen-shirt', 1],
    ]);
    expect(added[0]!.props).toMatchObject({ name: 'Aviator Sunglasses', price: 89, category: 'sunglasses', currency: 'EUR', image_url: kairos.url + '/img/sunglasses-aviator.svg' });
    expect(added[0]!.path).toBe('/datalayer');
    await waitFor('Product Removed', () => kairos.events('Product Removed')[0]?.props?.['product_id'] === 'linen-shirt');

    // A new page view: the page pushes view_cart with what its cart holds.
    await page.reload();
    const viewed = await waitFor('Cart Viewed', () => kairos.events('Cart Viewed')[0]);
    expect(viewed.props).toMatchObject({ currency: 'EUR', value: 178, products: [{ product_id: 'sunglasses-aviator', quantity: 2, price: 89 }] });

    await page.getByTestId('place-order').click();
    const orderId = /Order (DL-[A-Z0-9]+)/.exec((await page.getByTestId('order-status').textContent()) ?? '')?.[1];
    expect(orderId).toBeTruthy();
    const order = await waitFor('Order Completed', () => kairos.events('Order Completed')[0]);
    expect(order.props).toMatchObject({ order_id: orderId, total: 178, currency: 'EUR', products: [{ product_id: 'sunglasses-aviator', quantity: 2 }] });
    await waitFor('Checkout Started', () => kairos.events('Checkout Started')[0]);
    await expect(page.getByTestId('quick-cart-empty')).toBeVisible();
    expect(await page.evaluate(() => localStorage.getItem('kairos-demo-datalayer-cart'))).toBeNull();

    // Reloaded once more, the dataLayer is new and the cart empty: nothing is replayed twice, no new events.
    await page.reload();
    await waitFor('the third Page Viewed', () => kairos.events('Page Viewed').length >= 3);
    await page.waitForTimeout(1_000);
    for (const name of ['Product Added', 'Product Removed', 'Cart Viewed', 'Checkout Started', 'Order Completed'])
      expect([name, kairos.events(name).length]).toEqual([name, name === 'Product Added' ? 3 : 1]);
    expect(errors).toEqual([]);
  } finally {
    await kairos.stop();
  }
});

const noQuery = (url: string | null) => url?.replace(/[?#].*$/, '') ?? null;
