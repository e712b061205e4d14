// The server's cart, the pure part (server/carts.ts): which events touch a cart, and what a sequence of events
// leaves — lines, total, currency, who, last activity and the abandonment state — as tables of cases.
import { describe, expect, it } from 'vitest';
import { applyCartEvent, applyCartEvents, cartLines, emailOf, isCartRelevant, isDue, type CartEvent } from '../server/carts';
import type { StoredCart } from '../server/store/types';

const T = 1_767_225_600_000;
const MIN = 60_000;
const V = 'visitor_aaaaaaaa';

let ids = 0;
const opts = () => {
  ids = 0;
  return { defaultCurrency: 'EUR', newCartId: () => `cart_${++ids}` };
};

const e = (name: string, props: Record<string, unknown> | null = null, ts = T, over: Partial<CartEvent> = {}): CartEvent => ({
  type: 'track',
  name,
  ts,
  visitor_id: V,
  user_id: null,
  props,
  ...over,
});
const add = (id: string, price: number, ts = T, more: Record<string, unknown> = {}) => e('Product Added', { product_id: id, price, ...more }, ts);
const identify = (email: unknown, ts = T, user_id: string | null = 'customer-1') => e('Identify', { email }, ts, { type: 'identify', user_id });

describe('emailOf and isCartRelevant', () => {
  const cases: Array<[string, CartEvent, string | null, boolean]> = [
    ['identify with an email trait', identify('ada@example.com'), 'ada@example.com', true],
    ['an email is trimmed', identify('  ada@example.com '), 'ada@example.com', true],
    ['any event carrying props.email', e('Newsletter Signed Up', { email: 'n@example.com' }), 'n@example.com', true],
    ['not an email', identify('ada at example.com'), null, false],
    ['a number is not an email', identify(42), null, false],
    ['identify without email', e('Identify', { plan: 'vip' }, T, { type: 'identify' }), null, false],
    ['a cart event', add('sku', 10), null, true],
    ['each Segment cart event', e('Checkout Started', { products: [] }), null, true],
    ['a page view', e('Page Viewed', null, T, { type: 'page' }), null, false],
    ['a campaign event', e('Campaign Shown', { type: 'modal' }), null, false],
  ];
  it.each(cases)('%s', (_, ev, email, relevant) => {
    expect(emailOf(ev)).toBe(email);
    expect(isCartRelevant(ev)).toBe(relevant);
  });
});

describe('what a sequence of events leaves in the cart', () => {
  type Want = Partial<Omit<StoredCart, 'items'>> & { items?: Record<string, number>; lines?: number };
  const cases: Array<[string, CartEvent[], Want | null]> = [
    ['no events: no cart', [], null],
    ['a page view alone: no cart', [e('Page Viewed', null, T, { type: 'page' })], null],
    [
      'identify alone remembers the email, no cart yet',
      [identify('ada@example.com')],
      { email: 'ada@example.com', user_id: 'customer-1', cart_id: null, items: {}, last_activity: null, state: 'open' },
    ],
    [
      'adds sum quantities; total is price × quantity to the cent; currency defaults',
      [add('a', 19.99, T, { quantity: 2 }), add('b', 0.1, T + 1), add('b', 0.2, T + 2)],
      { cart_id: 'cart_1', items: { a: 2, b: 2 }, total: 40.38, currency: 'EUR', last_activity: T + 2, state: 'open' },
    ],
    ['the events\u2019 currency wins over the default', [add('a', 5, T, { currency: 'USD' }), add('b', 5, T + 1)], { currency: 'USD', total: 10 }],
    [
      'remove takes a quantity or the whole line',
      [add('a', 10, T, { quantity: 3 }), add('b', 1), e('Product Removed', { product_id: 'a', quantity: 1 }, T + 1), e('Product Removed', { product_id: 'b' }, T + 2)],
      { items: { a: 2 }, total: 20, last_activity: T + 2 },
    ],
    [
      'Cart Viewed replaces the lines with the shop\u2019s own view',
      [add('a', 10), e('Cart Viewed', { products: [{ product_id: 'z', price: 3, quantity: 4 }], currency: 'GBP' }, T + 5)],
      { items: { z: 4 }, total: 12, currency: 'GBP', last_activity: T + 5 },
    ],
    [
      'an email after the cart is added to it',
      [add('a', 10), identify('late@example.com', T + 10)],
      { email: 'late@example.com', user_id: 'customer-1', last_activity: T, cart_id: 'cart_1' },
    ],
    [
      'the email given before the cart stays with it',
      [identify('early@example.com'), add('a', 10, T + 10)],
      { email: 'early@example.com', cart_id: 'cart_1', last_activity: T + 10 },
    ],
    ['a newer email replaces an older one', [identify('one@example.com'), identify('two@example.com', T + 1)], { email: 'two@example.com' }],
    [
      'Order Completed empties the cart and closes the generation',
      [identify('a@example.com'), add('a', 10), e('Order Completed', { order_id: 'o1', total: 10 }, T + 5)],
      { items: {}, total: 0, state: 'ordered', cart_id: 'cart_1', last_activity: T + 5 },
    ],
    [
      'activity after an order starts a new generation',
      [add('a', 10), e('Order Completed', { order_id: 'o1' }, T + 5), add('b', 7, T + 6)],
      { items: { b: 1 }, total: 7, state: 'open', cart_id: 'cart_2', last_activity: T + 6 },
    ],
    [
      'a late event from before the order changes nothing',
      [add('a', 10, T + 1), e('Order Completed', { order_id: 'o1' }, T + 5), add('late', 7, T + 2)],
      { items: {}, state: 'ordered', cart_id: 'cart_1', last_activity: T + 5 },
    ],
    [
      'events are folded oldest first, whatever order they come in',
      [e('Product Removed', { product_id: 'a' }, T + 2), add('a', 10, T + 1), add('b', 1, T + 3)],
      { items: { b: 1 }, last_activity: T + 3 },
    ],
    [
      'an event older than the last activity on an open cart still counts, the clock does not go back',
      [add('a', 10, T + 10), add('b', 1, T + 5)],
      { items: { a: 1, b: 1 }, last_activity: T + 10 },
    ],
    ['identify events never change lines', [e('Product Added', { product_id: 'a', price: 1 }, T, { type: 'identify' })], null],
  ];
  it.each(cases)('%s', (_, events, want) => {
    const cart = applyCartEvents(null, events, opts());
    if (want === null) return expect(cart).toBeNull();
    const { items, ...rest } = want;
    expect(cart).toMatchObject(rest);
    if (items) expect(Object.fromEntries(Object.entries(cart!.items).map(([id, l]) => [id, l.quantity]))).toEqual(items);
  });
});

describe('generations and abandonment state', () => {
  const abandoned = (cart: StoredCart, at: number): StoredCart => ({ ...cart, state: 'abandoned', abandoned_at: at });

  it('newer activity on an abandoned cart re-arms it as a new generation that keeps its lines', () => {
    const o = opts();
    const cart = applyCartEvents(null, [identify('a@example.com'), add('a', 10, T)], o)!;
    const after = applyCartEvent(abandoned(cart, T + 60 * MIN), add('b', 5, T + 70 * MIN), o)!;
    expect(after).toMatchObject({ state: 'open', abandoned_at: null, cart_id: 'cart_2', last_activity: T + 70 * MIN, total: 15, email: 'a@example.com' });
  });

  it('a late event on an abandoned cart leaves it abandoned', () => {
    const o = opts();
    const cart = abandoned(applyCartEvents(null, [identify('a@example.com'), add('a', 10, T)], o)!, T + 60 * MIN);
    expect(applyCartEvent(cart, add('b', 5, T - 1), o)).toBe(cart);
    expect(applyCartEvent(cart, add('b', 5, T), o)).toBe(cart);
  });

  it('an event that changes nothing returns the very same cart (the store writes nothing)', () => {
    const o = opts();
    const cart = applyCartEvents(null, [identify('a@example.com'), add('a', 10)], o)!;
    expect(applyCartEvent(cart, identify('a@example.com', T + 1), o)).toBe(cart);
    expect(applyCartEvent(cart, e('Page Viewed', null, T + 1, { type: 'page' }), o)).toBe(cart);
    expect(applyCartEvents(cart, [], o)).toBe(cart);
  });

  const base = applyCartEvents(null, [identify('a@example.com'), add('a', 10, T)], opts())!;
  const due: Array<[string, StoredCart, number, boolean]> = [
    ['idle exactly the wait', base, T + 60 * MIN, true],
    ['a minute short', base, T + 59 * MIN, false],
    ['no email', { ...base, email: null }, T + 999 * MIN, false],
    ['no items', { ...base, items: {} }, T + 999 * MIN, false],
    ['items of quantity 0', { ...base, items: { a: { quantity: 0, price: 10 } } }, T + 999 * MIN, false],
    ['already abandoned', abandoned(base, T + 60 * MIN), T + 999 * MIN, false],
    ['ordered', { ...base, state: 'ordered', items: {} }, T + 999 * MIN, false],
  ];
  it.each(due)('isDue: %s', (_, cart, now, want) => {
    expect(isDue(cart, now, 60 * MIN)).toBe(want);
  });
});

describe('cartLines', () => {
  it('lists every line with id, name, price, quantity, image and category (null when unknown)', () => {
    const cart = applyCartEvents(
      null,
      [
        add('sunglasses-aviator', 89, T, { name: 'Aviator', image_url: 'https://cdn.example/a.jpg', category: 'sunglasses', quantity: 2 }),
        add('sku-2', 5, T + 1),
      ],
      opts(),
    )!;
    expect(cartLines(cart)).toEqual([
      { id: 'sunglasses-aviator', name: 'Aviator', price: 89, quantity: 2, image: 'https://cdn.example/a.jpg', category: 'sunglasses' },
      { id: 'sku-2', name: null, price: 5, quantity: 1, image: null, category: null },
    ]);
  });
});
