// The cart adapters (widget/cart/*, widget/lazy/cart.ts): GA4 dataLayer pushes, Shopify's /cart.js and the
// WooCommerce Store API cart, each turned into the Segment e-commerce events the profile already understands.
// Payloads are fixtures in each platform's documented format (test/widget/fixtures). The real browser — focus,
// visibility, WooCommerce's DOM events, the server receiving Cart Viewed — is test/e2e/cart-adapters.spec.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Cart } from '../../server/schema';
import { fromDataLayer } from '../../widget/cart/datalayer';
import { shopifyCart } from '../../widget/cart/shopify';
import { differs, type Props, type Snapshot } from '../../widget/cart/snapshot';
import { wooCart } from '../../widget/cart/woocommerce';
import { start } from '../../widget/lazy/cart';
import { applyEvent, cartItems, cartValue, emptyProfile, type Profile } from '../../widget/profile';
import * as ga4 from './fixtures/ga4';
import * as shopify from './fixtures/shopify';
import * as woo from './fixtures/woocommerce';

const aviatorProps = {
  product_id: 'sunglasses-aviator',
  name: 'Aviator Sunglasses',
  price: 89,
  quantity: 1,
  category: 'sunglasses',
  image_url: 'https://shop.example/img/sunglasses-aviator.svg',
};
const shirtProps = { product_id: 'linen-shirt', name: 'Linen Camp Shirt', price: 59.9, quantity: 2, category: 'summer-wear', variant: 'M / Sand' };
const beanieProps = { product_id: 'knit-beanie', name: 'Knit Beanie', price: 25, quantity: 1, category: 'knitwear' };
const three = [aviatorProps, { ...shirtProps, quantity: 1 }, beanieProps];

describe('datalayer: one GA4 entry → Segment events', () => {
  it.each<[string, unknown, [string, Props][]]>([
    ['view_item → Product Viewed (the first item)', ga4.browsing[2], [['Product Viewed', { ...aviatorProps, currency: 'EUR' }]]],
    [
      'add_to_cart → one Product Added per item',
      ga4.browsing[4],
      [
        ['Product Added', { ...aviatorProps, currency: 'EUR' }],
        ['Product Added', { ...shirtProps, currency: 'EUR' }],
      ],
    ],
    ['remove_from_cart → Product Removed per item', ga4.browsing[6], [['Product Removed', { ...shirtProps, quantity: 1, currency: 'EUR' }]]],
    ['view_cart → Cart Viewed with the products', ga4.checkout[1], [['Cart Viewed', { currency: 'EUR', value: 173.9, products: three }]]],
    ['gtag arguments: begin_checkout → Checkout Started', ga4.checkout[2], [['Checkout Started', { currency: 'EUR', value: 173.9, products: three }]]],
    [
      'gtag array: purchase → Order Completed (order_id = transaction_id, total = value)',
      ga4.checkout[3],
      [['Order Completed', { order_id: 'T-100234', total: 173.9, revenue: 173.9, currency: 'EUR', products: three }]],
    ],
    ['a GA4 item without quantity counts 1', { event: 'add_to_cart', ecommerce: { items: [{ item_id: 7, price: '12.50' }] } }, [['Product Added', { product_id: '7', price: 12.5, quantity: 1, currency: 'USD' }]]],
    ['no item_id: item_name is the id', ['event', 'remove_from_cart', { currency: 'EUR', items: [{ item_name: 'Gift card' }] }], [['Product Removed', { product_id: 'Gift card', name: 'Gift card', quantity: 1, currency: 'EUR' }]]],
    ['a non-standard `image` is the image_url', { event: 'view_item', ecommerce: { items: [{ item_id: 'a', image: '/a.jpg' }] } }, [['Product Viewed', { product_id: 'a', quantity: 1, image_url: '/a.jpg', currency: 'USD' }]]],
    ['an empty view_cart with value 0 empties the cart', { event: 'view_cart', ecommerce: { currency: 'EUR', value: 0, items: [] } }, [['Cart Viewed', { currency: 'EUR', value: 0, products: [] }]]],
    ['the { ecommerce: null } reset', { ecommerce: null }, []],
    ['GTM’s own events', { event: 'gtm.dom' }, []],
    ['an event with a null ecommerce', { event: 'add_to_cart', ecommerce: null }, []],
    ['other GA4 events', { event: 'select_item', ecommerce: { items: [aviatorProps] } }, []],
    ['names from Object.prototype', { event: 'constructor', ecommerce: {} }, []],
    ['gtag config and consent calls', ga4.gtagArgs('config', 'G-XXXXXXX'), []],
    ['junk', 'add_to_cart', []],
    ['null', null, []],
  ])('%s', (_name, entry, expected) => {
    expect(fromDataLayer(entry, 'USD')).toEqual(expected);
  });
});

describe('shopify: /cart.js → the cart', () => {
  const shirt = {
    product_id: '41234567890123',
    name: 'Linen Camp Shirt',
    variant: 'M / Sand',
    price: 59.9,
    quantity: 2,
    category: 'summer-wear',
    image_url: shopify.linenShirtM.image!,
  };
  const aviator = { product_id: '41234567890200', name: 'Aviator Sunglasses', price: 89, quantity: 1, category: 'sunglasses', image_url: shopify.aviator.image! };
  it.each<[string, unknown, Snapshot | undefined]>([
    [
      'three lines, one a variant; cents → major units; the variant id is the product_id',
      shopify.threeLines,
      {
        currency: 'EUR',
        value: 233.8,
        products: [shirt, aviator, { product_id: '41234567890300', name: 'Knit Beanie', variant: 'Rust', price: 25, quantity: 1 }],
      },
    ],
    ['one variant on two lines (line item properties): one product, quantities summed', shopify.sameVariantTwice, { currency: 'EUR', value: 267, products: [{ ...aviator, quantity: 3 }] }],
    ['two variants of one product stay two products', shopify.shopifyCart([shopify.linenShirtM, shopify.linenShirtL]), { currency: 'EUR', value: 179.7, products: [shirt, { ...shirt, product_id: '41234567890124', variant: 'L / Sand', quantity: 1 }] }],
    ['the cart’s currency wins over the config’s', shopify.shopifyCart([shopify.aviator], 'CHF'), { currency: 'CHF', value: 89, products: [aviator] }],
    ['an empty cart: no products, value 0', shopify.emptyCart, { currency: 'EUR', value: 0, products: [] }],
    ['not a cart', { status: 404, message: 'Not Found' }, undefined],
    ['an HTML page parsed as nothing', null, undefined],
  ])('%s', (_name, body, expected) => {
    expect(shopifyCart(body, 'USD')).toEqual(expected);
  });
});

describe('woocommerce: the Store API cart → the cart', () => {
  it.each<[string, unknown, Snapshot | undefined]>([
    [
      'three lines, one a variation; minor units → major units',
      woo.threeLines,
      {
        currency: 'EUR',
        value: 171,
        products: [
          { product_id: '16', name: 'Beanie', price: 18, quantity: 2, image_url: woo.beanie.image! },
          { product_id: '25', name: 'Hoodie', variant: 'Blue / Yes', price: 45, quantity: 1, image_url: woo.hoodieBlue.image! },
          { product_id: '31', name: 'Sunglasses', price: 90, quantity: 1 },
        ],
      },
    ],
    ['a zero-decimal currency (currency_minor_unit 0)', woo.yenCart, { currency: 'JPY', value: 3000, products: [{ product_id: '16', name: 'Beanie', price: 1500, quantity: 2, image_url: woo.beanie.image! }] }],
    ['an empty cart: no products, value 0', woo.emptyCart, { currency: 'EUR', value: 0, products: [] }],
    ['an error answer', { code: 'woocommerce_rest_cart_error', message: 'Cart error', data: { status: 500 } }, undefined],
  ])('%s', (_name, body, expected) => {
    expect(wooCart(body, 'USD')).toEqual(expected);
  });

  it('a cart without totals falls back to the config’s currency', () => {
    const { totals: _t, ...body } = woo.wooCart([woo.sunglasses]);
    expect(wooCart(body, 'USD')).toMatchObject({ currency: 'USD', products: [{ product_id: '31', price: 90 }] });
  });
});

describe('differs: the shop’s cart against the profile’s', () => {
  const snap = shopifyCart(shopify.threeLines, 'EUR')!;
  const profileOf = (s: Snapshot) => applyEvent(emptyProfile(), 'Cart Viewed', { ...s }, 0);
  it.each<[string, Snapshot, Profile, boolean]>([
    ['the same products and quantities', snap, profileOf(snap), false],
    ['an empty cart and an empty profile', shopifyCart(shopify.emptyCart, 'EUR')!, emptyProfile(), false],
    ['a quantity changed', shopifyCart(shopify.shopifyCart([{ ...shopify.linenShirtM, quantity: 3 }, shopify.aviator, shopify.beanie]), 'EUR')!, profileOf(snap), true],
    ['a product added', shopifyCart(shopify.shopifyCart([shopify.linenShirtM, shopify.linenShirtL, shopify.aviator, shopify.beanie]), 'EUR')!, profileOf(snap), true],
    ['a product swapped for another', shopifyCart(shopify.shopifyCart([shopify.linenShirtL, shopify.aviator, shopify.beanie]), 'EUR')!, profileOf(snap), true],
    ['the shop’s cart emptied', shopifyCart(shopify.emptyCart, 'EUR')!, profileOf(snap), true],
    ['the profile knew nothing yet', snap, emptyProfile(), true],
  ])('%s → %s', (_name, s, p, expected) => {
    expect(differs(s, p)).toBe(expected);
  });
});

// --- start(): the adapters on a stand-in window --------------------------------------------------------------

type Listener = () => void;

/** A window with just what the adapters use; `fire` dispatches window/document/body events by name. */
function fakeWindow(path: string, extra: Record<string, unknown> = {}) {
  const listeners = new Map<string, Listener[]>();
  const on = (type: string, f: Listener) => listeners.set(type, [...(listeners.get(type) ?? []), f]);
  const document = { visibilityState: 'visible', addEventListener: on, body: { addEventListener: on } };
  const win = { location: { pathname: path }, document, addEventListener: on, ...extra };
  return { win: win as unknown as Window & Record<string, unknown>, fire: (type: string) => listeners.get(type)?.forEach((f) => f()), document };
}

const cartConfig = (...adapters: Cart['adapters']): Cart => ({ adapters, currency: 'EUR', pages: ['/cart/**'] });

/** Starts the adapters like the engine does: tracked events go to `tracked` and into the profile. */
function run(win: Window, cart: Cart, profile = emptyProfile()) {
  const tracked: [string, Record<string, unknown>][] = [];
  const env = {
    cart,
    win,
    profile: () => profile,
    track(name: string, props: Record<string, unknown>) {
      tracked.push([name, props]);
      profile = applyEvent(profile, name, props, 0);
    },
  };
  start(env);
  return { tracked, env, profile: () => profile };
}

describe('start: the datalayer adapter', () => {
  const datalayer = cartConfig({ type: 'datalayer', pages: ['/**'] });

  it('replays what was pushed before it started, then sees later pushes (GTM objects and gtag arguments)', () => {
    const dataLayer = [...ga4.browsing];
    const { win } = fakeWindow('/products/aviator', { dataLayer });
    const { tracked, profile } = run(win, datalayer);
    expect(tracked.map(([n]) => n)).toEqual(['Product Viewed', 'Product Added', 'Product Added', 'Product Removed']);
    expect(cartItems(profile())).toBe(2); // the aviator and one shirt

    const returned = dataLayer.push(...ga4.checkout);
    expect(returned).toBe(ga4.browsing.length + ga4.checkout.length); // Array.prototype.push's answer, kept
    expect(dataLayer).toHaveLength(returned);
    expect(tracked.slice(4).map(([n]) => n)).toEqual(['Cart Viewed', 'Checkout Started', 'Order Completed']);
    expect(profile().cart).toEqual({});
    expect(profile().orders).toMatchObject({ count: 1, total: 173.9, categories: ['sunglasses', 'summer-wear', 'knitwear'] });
  });

  it('never replays a push twice: not when started again, not from a second copy of the adapter', () => {
    const dataLayer: unknown[] = [...ga4.browsing];
    const { win } = fakeWindow('/', { dataLayer });
    const first = run(win, datalayer);
    run(win, datalayer); // start called again on the same page
    const other = run(fakeWindow('/', { dataLayer }).win, datalayer); // another window object, the same array
    expect(first.tracked).toHaveLength(4);
    expect(other.tracked).toHaveLength(0);
    dataLayer.push(ga4.checkout[1]);
    expect(first.tracked).toHaveLength(5);
    expect(other.tracked).toHaveLength(0);
  });

  it('creates window.dataLayer when the page has none, and a push that GTM wraps later still arrives', () => {
    const { win } = fakeWindow('/');
    const { tracked } = run(win, datalayer);
    const layer = win['dataLayer'] as unknown[];
    expect(Array.isArray(layer) && layer.length).toBe(0);
    // GTM replaces push with its own, which calls the one it found.
    const ours = layer.push;
    layer.push = (...a: unknown[]) => ours.apply(layer, a);
    layer.push({ ecommerce: null }, ga4.browsing[4]);
    expect(tracked.map(([n]) => n)).toEqual(['Product Added', 'Product Added']);
  });

  it('a broken entry or a throwing track never reaches the page; the push still happens', () => {
    const dataLayer: unknown[] = [];
    const { win } = fakeWindow('/', { dataLayer });
    start({ cart: datalayer, win, profile: emptyProfile, track: () => { throw new Error('engine broke'); } });
    const poisoned = { event: 'add_to_cart', get ecommerce(): never { throw new Error('getter'); } };
    expect(() => dataLayer.push(poisoned, ga4.browsing[4])).not.toThrow();
    expect(dataLayer).toHaveLength(2);
  });
});

describe('start: shopify and woocommerce read the cart, and track Cart Viewed only when it changed', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  /** A fetch answering from `answer()` (a body, or an Error to throw), recording the URLs asked. */
  function shop(answer: () => unknown) {
    const asked: string[] = [];
    const fetch = async (url: string) => {
      asked.push(url);
      const body = answer();
      if (body instanceof Error) throw body;
      return { ok: body !== 404, status: body === 404 ? 404 : 200, json: async () => (body === 'html' ? JSON.parse('<!doctype html>') : body) };
    };
    return { asked, fetch };
  }
  const settle = () => vi.advanceTimersByTimeAsync(400);

  it('shopify: Cart Viewed on start, nothing while unchanged, again when the cart changed and the tab regains focus', async () => {
    let cart: unknown = shopify.threeLines;
    const { asked, fetch } = shop(() => cart);
    const { win, fire, document } = fakeWindow('/collections/all', { fetch });
    const { tracked, profile } = run(win, cartConfig({ type: 'shopify', pages: ['/**'] }));
    await settle();
    expect(asked).toEqual(['/cart.js']);
    expect(tracked).toEqual([['Cart Viewed', shopifyCart(shopify.threeLines, 'EUR')]]);
    expect(cartValue(profile())).toBe(233.8);

    fire('focus');
    fire('visibilitychange'); // both fire when the shopper comes back: one read
    await settle();
    expect(asked).toHaveLength(2);
    expect(tracked).toHaveLength(1); // unchanged

    cart = shopify.shopifyCart([shopify.aviator]);
    document.visibilityState = 'hidden';
    fire('visibilitychange');
    await settle();
    expect(asked).toHaveLength(2); // hiding reads nothing
    document.visibilityState = 'visible';
    fire('visibilitychange');
    await settle();
    expect(tracked.at(-1)).toEqual(['Cart Viewed', { currency: 'EUR', value: 89, products: [expect.objectContaining({ product_id: '41234567890200', quantity: 1 })] }]);

    cart = shopify.emptyCart;
    fire('focus');
    await settle();
    expect(tracked.at(-1)).toEqual(['Cart Viewed', { currency: 'EUR', value: 0, products: [] }]);
    expect(profile().cart).toEqual({});
  });

  it('shopify: an empty cart and an empty profile send nothing; the configured url is used', async () => {
    const { asked, fetch } = shop(() => shopify.emptyCart);
    const { tracked } = run(fakeWindow('/', { fetch }).win, cartConfig({ type: 'shopify', pages: ['/**'], url: '/en-gb/cart.js' }));
    await settle();
    expect(asked).toEqual(['/en-gb/cart.js']);
    expect(tracked).toEqual([]);
  });

  it.each([
    ['a network error', () => new TypeError('Failed to fetch')],
    ['a 404', () => 404],
    ['invalid JSON', () => 'html'],
    ['JSON that is not a cart', () => ({ description: 'Cart not found' })],
  ])('shopify: %s is quiet (no event, nothing thrown) and the next read works', async (_name, failure) => {
    let fail = true;
    const { fetch } = shop(() => (fail ? failure() : shopify.threeLines));
    const { win, fire } = fakeWindow('/', { fetch });
    const { tracked } = run(win, cartConfig({ type: 'shopify', pages: ['/**'] }));
    await settle();
    expect(tracked).toEqual([]);
    fail = false;
    fire('focus');
    await settle();
    expect(tracked.map(([n]) => n)).toEqual(['Cart Viewed']);
  });

  it('woocommerce: reads the Store API on start, and after WooCommerce’s jQuery and Blocks cart events (debounced)', async () => {
    let cart: unknown = woo.threeLines;
    const { asked, fetch } = shop(() => cart);
    const jqHandlers: [string, Listener][] = [];
    const jQuery = (_el: unknown) => ({ on: (names: string, f: Listener) => jqHandlers.push([names, f]) });
    const { win, fire } = fakeWindow('/shop/', { fetch, jQuery });
    const { tracked } = run(win, cartConfig({ type: 'woocommerce', pages: ['/**'] }));
    await settle();
    expect(asked).toEqual(['/wp-json/wc/store/v1/cart']);
    expect(tracked).toEqual([['Cart Viewed', wooCart(woo.threeLines, 'EUR')]]);
    expect(jqHandlers.map(([n]) => n)).toEqual(['added_to_cart removed_from_cart updated_wc_div updated_cart_totals wc_fragments_refreshed']);

    cart = woo.wooCart([{ ...woo.beanie, quantity: 3 }, woo.hoodieBlue, woo.sunglasses]);
    jqHandlers[0]![1](); // jQuery(document.body).trigger('added_to_cart')
    jqHandlers[0]![1](); // … and wc_fragments_refreshed right after
    await settle();
    expect(asked).toHaveLength(2);
    expect(tracked.at(-1)![1]).toMatchObject({ value: 189, products: [{ product_id: '16', quantity: 3 }, {}, {}] });

    cart = woo.wooCart([woo.sunglasses]);
    fire('wc-blocks_removed_from_cart');
    await settle();
    expect(tracked.at(-1)![1]).toMatchObject({ value: 90, products: [{ product_id: '31' }] });
    expect(tracked).toHaveLength(3);
  });
});

describe('start: which adapter', () => {
  it.each<[string, string, Cart['adapters'], string | undefined]>([
    ['the first whose pages match wins', '/datalayer', [{ type: 'datalayer', pages: ['/datalayer/**'] }, { type: 'shopify', pages: ['/**'] }], 'datalayer'],
    ['a later one when the first does not match', '/products/x', [{ type: 'datalayer', pages: ['/datalayer/**'] }, { type: 'shopify', pages: ['/**'] }], 'shopify'],
    ['`events` does nothing', '/', [{ type: 'events', pages: ['/**'] }, { type: 'shopify', pages: ['/**'] }], undefined],
    ['no adapter matches: nothing', '/blog/post', [{ type: 'shopify', pages: ['/shop/**'] }], undefined],
  ])('%s', (_name, path, adapters, expected) => {
    const fetch = vi.fn(() => new Promise(() => undefined));
    const dataLayer: unknown[] = [];
    const { win } = fakeWindow(path, { fetch, dataLayer });
    run(win, cartConfig(...adapters));
    const used = fetch.mock.calls.length ? 'shopify' : dataLayer.push !== Array.prototype.push ? 'datalayer' : undefined;
    expect(used).toBe(expected);
  });

  it('a window without what an adapter needs: nothing thrown', () => {
    expect(() => run({ location: { pathname: '/' } } as unknown as Window, cartConfig({ type: 'woocommerce', pages: ['/**'] }))).not.toThrow();
  });
});
