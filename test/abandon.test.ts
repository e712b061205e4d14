// Abandoned carts, from the shopper's events to the shop's webhook receiver: events go in through the real
// POST /v1/events (in-process), carts are kept by the real SQLite store, the detector and the delivery worker run
// on a fake clock, and a real HTTP receiver on 127.0.0.1 counts what arrives.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { abandonedPayload, createAbandonDetector, recoveryUrl, STALE_AFTER_MS, type CartAbandonedPayload } from '../server/abandon';
import { createApp } from '../server/app';
import { emptyCart } from '../server/carts';
import type { LoadedConfig } from '../server/config-watch';
import { createLogger } from '../server/log';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import { createDelivery } from '../server/webhooks/deliver';
import { loadedConfig } from './loaded-config';

const MIN = 60_000;
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const dir = mkdtempSync(join(tmpdir(), 'kairos-abandon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recoveryUrl', () => {
  const tags = 'kairos_cart=cart_1&utm_source=kairos&utm_medium=webhook&utm_campaign=cart_abandoned';
  const cases: Array<[string, string, string]> = [
    ['no query', 'https://shop.example/cart', `https://shop.example/cart?${tags}`],
    ['an existing query is kept as it is', 'https://shop.example/cart?lang=de&q=a%20b+c', `https://shop.example/cart?lang=de&q=a%20b+c&${tags}`],
    ['a bare "?"', 'https://shop.example/cart?', `https://shop.example/cart?${tags}`],
    ['a trailing "&"', 'https://shop.example/cart?lang=de&', `https://shop.example/cart?lang=de&${tags}`],
    ['the fragment stays last', 'https://shop.example/cart?lang=de#summary', `https://shop.example/cart?lang=de&${tags}#summary`],
    ['a fragment without query', 'https://shop.example/cart#top', `https://shop.example/cart?${tags}#top`],
    ['our own parameters are replaced, not doubled', 'https://shop.example/cart?utm_source=news&lang=de&utm%5Fmedium=x&kairos_cart=old', `https://shop.example/cart?lang=de&${tags}`],
    ['other utm tags stay', 'https://shop.example/cart?utm_term=shoes', `https://shop.example/cart?utm_term=shoes&${tags}`],
    ['root path', 'https://shop.example', `https://shop.example?${tags}`],
  ];
  it.each(cases)('%s', (_, base, want) => {
    expect(recoveryUrl(base, 'cart_1')).toBe(want);
    expect(() => new URL(want)).not.toThrow();
  });
  it('encodes the cart id', () => {
    expect(recoveryUrl('https://s.example/c', 'a b&c')).toContain('kairos_cart=a%20b%26c&');
  });
});

describe('abandonedPayload', () => {
  it('is the Standard Webhooks envelope with the cart in data', () => {
    const cart = {
      ...emptyCart('visitor_aaaaaaaa'),
      cart_id: 'cart_xyz',
      email: 'ada@example.com',
      user_id: 'customer-1',
      items: { 'sku-1': { quantity: 2, price: 19.99, name: 'Shirt', image: 'https://cdn.example/s.jpg', category: 'shirts' } },
      currency: 'USD',
      total: 39.98,
      last_activity: Date.UTC(2026, 6, 1, 9, 0, 0),
    };
    expect(abandonedPayload(cart, Date.UTC(2026, 6, 1, 10, 0, 0), { recoveryUrl: 'https://shop.example/cart?x=1', currency: 'EUR' })).toEqual({
      type: 'cart.abandoned',
      timestamp: '2026-07-01T10:00:00.000Z',
      data: {
        cart_id: 'cart_xyz',
        visitor_id: 'visitor_aaaaaaaa',
        email: 'ada@example.com',
        user_id: 'customer-1',
        items: [{ id: 'sku-1', name: 'Shirt', price: 19.99, quantity: 2, image: 'https://cdn.example/s.jpg', category: 'shirts' }],
        currency: 'USD',
        total: 39.98,
        last_activity: '2026-07-01T09:00:00.000Z',
        recovery_url: 'https://shop.example/cart?x=1&kairos_cart=cart_xyz&utm_source=kairos&utm_medium=webhook&utm_campaign=cart_abandoned',
      },
    });
  });
});

// --- the whole path, on a fake clock ----------------------------------------------------------------------------

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let receiver: Server;
let receiverUrl = '';
const received: Received[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/kairos`;
});
afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

function loaded(endpoints: string[], over = '', currency = 'EUR'): LoadedConfig {
  const yaml = [
    'site: { name: Test shop }',
    `cart: { currency: ${currency} }`,
    'webhooks:',
    `  endpoints: [${endpoints.map((u) => `{ url: "${u}" }`).join(', ')}]`,
    '  recovery_url: "https://shop.example/cart?lang=de"',
    '  allow_private_networks: true',
    over,
    '',
  ].join('\n');
  return loadedConfig(yaml, join(dir, 'kairos.yaml'));
}

const T0 = 1_800_000_000_000;
let clock = T0;
let file = '';
let n = 0;
let store: SqliteStore;
const config: { current: LoadedConfig } = { current: loaded([]) };
const log = createLogger({ level: 'silent' });
const now = () => clock;

function world() {
  const app = createApp({ config, store, widgetDir: join(dir, 'no-widget'), log, now });
  const detector = createAbandonDetector({ store, config, log, now });
  const delivery = createDelivery({ store, config, log, now, secret: SECRET, random: () => 0.5 });
  return { app, detector, delivery };
}
let w: ReturnType<typeof world>;

beforeEach(() => {
  clock = T0;
  received.length = 0;
  config.current = loaded([receiverUrl]);
  file = join(dir, `abandon-${++n}.db`);
  store = openSqliteStore(file, { cartCurrency: () => config.current.config.cart.currency });
  w = world();
});
afterEach(async () => {
  await w.delivery.stop();
  await store.close();
});

let seq = 0;
const VISITOR = 'visitor-AAAA1111';
function event(name: string, props: Record<string, unknown> = {}, over: Record<string, unknown> = {}) {
  return { event_id: `evt-abandon-${++seq}`.padEnd(12, 'x'), type: 'track', name, ts: clock, visitor_id: VISITOR, session_id: 'session-BBBB2222', props, ...over };
}
const identify = (email: string) => event('Identify', { email }, { type: 'identify', user_id: 'customer-1' });
const added = (product_id: string, price: number, more: Record<string, unknown> = {}) =>
  event('Product Added', { product_id, price, quantity: 1, name: `Product ${product_id}`, ...more });

/** Posts events as the widget does, at the current fake time. */
async function send(...events: ReturnType<typeof event>[]) {
  const res = await w.app.request('/v1/events', { method: 'POST', body: JSON.stringify({ sent_at: clock, events }), headers: { 'Content-Type': 'text/plain' } });
  expect(res.status).toBe(200);
}

/** Moves the clock to `t`, runs the detector and delivers what is due; resolves with the webhooks received so far. */
async function at(t: number) {
  clock = t;
  await w.detector.tick();
  await w.delivery.deliverDue();
  return received.map((r) => JSON.parse(r.body) as CartAbandonedPayload);
}

describe('cart.abandoned', () => {
  it('fires once, at last activity + 60 minutes (not at 59), with the cart in it', async () => {
    await send(identify('ada@example.com'), added('sunglasses-aviator', 89, { image_url: 'https://cdn.example/a.jpg', category: 'sunglasses' }));
    clock += 2 * MIN;
    await send(added('linen-shirt', 59.9, { quantity: 2 }));
    const last = clock;

    expect(await at(last + 59 * MIN)).toEqual([]);
    expect(await at(last + 60 * MIN)).toHaveLength(1);
    expect(await at(last + 61 * MIN)).toHaveLength(1);
    expect(await at(last + 24 * 60 * MIN)).toHaveLength(1);

    const [hook] = received;
    const payload = JSON.parse(hook!.body) as CartAbandonedPayload;
    const cart = await store.getCart(VISITOR);
    expect(payload).toEqual({
      type: 'cart.abandoned',
      timestamp: new Date(last + 60 * MIN).toISOString(),
      data: {
        cart_id: cart!.cart_id,
        visitor_id: VISITOR,
        email: 'ada@example.com',
        user_id: 'customer-1',
        items: [
          { id: 'sunglasses-aviator', name: 'Product sunglasses-aviator', price: 89, quantity: 1, image: 'https://cdn.example/a.jpg', category: 'sunglasses' },
          { id: 'linen-shirt', name: 'Product linen-shirt', price: 59.9, quantity: 2, image: null, category: null },
        ],
        currency: 'EUR',
        total: 208.8,
        last_activity: new Date(last).toISOString(),
        recovery_url: `https://shop.example/cart?lang=de&kairos_cart=${cart!.cart_id}&utm_source=kairos&utm_medium=webhook&utm_campaign=cart_abandoned`,
      },
    });
    expect(hook!.headers['webhook-id']).toMatch(/^msg_/);
    expect(hook!.headers['content-type']).toBe('application/json');
    expect(await store.outboxStats()).toEqual({ pending: 0, delivered: 1, failed: 0, disabled: 0 });
  });

  it('activity resets the clock: any cart event, from Product Added to Cart Viewed', async () => {
    await send(identify('ada@example.com'), added('a', 10));
    clock += 40 * MIN;
    await send(event('Cart Viewed', { products: [{ product_id: 'a', price: 10, quantity: 1 }] }));
    const last = clock;
    expect(await at(T0 + 60 * MIN)).toEqual([]);
    expect(await at(last + 60 * MIN - 1)).toEqual([]);
    expect(await at(last + 60 * MIN)).toHaveLength(1);
  });

  it('an order cancels it', async () => {
    await send(identify('ada@example.com'), added('a', 10));
    clock += 10 * MIN;
    await send(event('Checkout Started', { products: [{ product_id: 'a', price: 10, quantity: 1 }] }));
    clock += 5 * MIN;
    await send(event('Order Completed', { order_id: 'o-1', total: 10 }));
    expect(await at(clock + 24 * 60 * MIN)).toEqual([]);
  });

  it('a cart without an email never fires; a page view is not activity', async () => {
    await send(added('a', 10));
    expect(await at(T0 + 30 * MIN)).toEqual([]);
    await send(event('Page Viewed', {}, { type: 'page', path: '/' }));
    expect(await at(T0 + 7 * 24 * 60 * MIN)).toEqual([]);
    expect(await store.outboxStats()).toEqual({ pending: 0, delivered: 0, failed: 0, disabled: 0 });
  });

  it('an emptied cart never fires', async () => {
    await send(identify('ada@example.com'), added('a', 10));
    await send(event('Product Removed', { product_id: 'a' }));
    expect(await at(T0 + 24 * 60 * MIN)).toEqual([]);
  });

  it('coming back after it fired makes a new cart that can be abandoned again, with a new cart_id', async () => {
    await send(identify('ada@example.com'), added('a', 10));
    expect(await at(T0 + 60 * MIN)).toHaveLength(1);
    clock = T0 + 90 * MIN;
    await send(added('b', 5));
    expect(await at(T0 + 149 * MIN)).toHaveLength(1);
    const [first, second] = await at(T0 + 150 * MIN);
    expect(second!.data.cart_id).not.toBe(first!.data.cart_id);
    expect(second!.data.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(second!.data.total).toBe(15);
  });

  it('an order after it fired does not take back the webhook already queued', async () => {
    await send(identify('ada@example.com'), added('a', 10));
    clock = T0 + 60 * MIN;
    expect(await w.detector.tick()).toBe(1);
    await send(event('Order Completed', { order_id: 'o-1', total: 10 }));
    await w.delivery.deliverDue();
    expect(received).toHaveLength(1);
    expect(await store.getCart(VISITOR)).toMatchObject({ state: 'ordered', items: {} });
  });

  it('exactly once across a restart on the same database', async () => {
    await send(identify('ada@example.com'), added('a', 10));
    clock = T0 + 60 * MIN;
    expect(await w.detector.tick()).toBe(1);
    await w.delivery.stop();
    await store.close();
    store = openSqliteStore(file);
    w = world();
    expect(await at(T0 + 61 * MIN)).toHaveLength(1);
    expect(await at(T0 + 600 * MIN)).toHaveLength(1);
  });

  it('one message per endpoint, the same body, each with its own webhook-id', async () => {
    config.current = loaded([receiverUrl, `${receiverUrl}?second=1`]);
    await send(identify('ada@example.com'), added('a', 10));
    await at(T0 + 60 * MIN);
    expect(received).toHaveLength(2);
    expect(received[0]!.body).toBe(received[1]!.body);
    expect(received[0]!.headers['webhook-id']).not.toBe(received[1]!.headers['webhook-id']);
  });

  it('without endpoints nothing is marked; endpoints added by a config reload report the cart', async () => {
    config.current = loaded([]);
    await send(identify('ada@example.com'), added('a', 10));
    expect(await at(T0 + 120 * MIN)).toEqual([]);
    expect(await store.getCart(VISITOR)).toMatchObject({ state: 'open' });
    config.current = loaded([receiverUrl], '  abandon_after_minutes: 180');
    expect(await at(T0 + 179 * MIN)).toEqual([]);
    expect(await at(T0 + 180 * MIN)).toHaveLength(1);
  });

  it('a cart idle for more than a week past its time when endpoints appear is never reported', async () => {
    config.current = loaded([]);
    await send(identify('ada@example.com'), added('a', 10));
    config.current = loaded([receiverUrl]);
    const late = clock + 60 * MIN + STALE_AFTER_MS + MIN;
    expect(await at(late)).toEqual([]);
    expect(await store.getCart(VISITOR)).toMatchObject({ state: 'open' });
    await send(added('b', 5)); // the shopper is back: that activity is recent, and is reported as usual
    expect(await at(late + 60 * MIN)).toHaveLength(1);
  });

  it('the cart currency comes from the events, else from the config', async () => {
    config.current = loaded([receiverUrl], '', 'GBP');
    await send(identify('ada@example.com'), added('a', 10, { currency: 'CHF' }));
    await send(event('Identify', { email: 'bob@example.com' }, { type: 'identify', visitor_id: 'visitor-CCCC3333' }));
    await send(event('Product Added', { product_id: 'b', price: 3 }, { visitor_id: 'visitor-CCCC3333' }));
    const hooks = await at(T0 + 60 * MIN);
    expect(Object.fromEntries(hooks.map((h) => [h.data.email, h.data.currency]))).toEqual({ 'ada@example.com': 'CHF', 'bob@example.com': 'GBP' });
  });
});
