// The shopper's profile, as targeting sees it, built from the e-commerce events the shop already sends.
import { describe, expect, it } from 'vitest';
import { applyEvent, applyTraits, cartItems, cartValue, emptyProfile, type Profile } from '../../widget/profile';

const NOW = Date.UTC(2026, 6, 1);
const run = (...events: [string, Record<string, unknown>?][]): Profile =>
  events.reduce((p, [name, props]) => applyEvent(p, name, props, NOW), emptyProfile());

const aviator = { product_id: 'sunglasses-aviator', category: 'sunglasses', price: 89, quantity: 1 };
const beanie = { product_id: 'knit-beanie', category: 'knitwear', price: 25, quantity: 2 };

describe('profile from events', () => {
  it('remembers viewed products and categories, most recent last, without repeats', () => {
    const p = run(['Product Viewed', aviator], ['Product Viewed', beanie], ['Product Viewed', aviator]);
    expect(p.viewed).toEqual({ categories: ['knitwear', 'sunglasses'], products: ['knit-beanie', 'sunglasses-aviator'] });
  });

  it('builds the cart from Product Added and Product Removed', () => {
    const p = run(['Product Added', aviator], ['Product Added', beanie], ['Product Added', aviator], ['Product Removed', { ...beanie, quantity: 1 }]);
    expect(cartItems(p)).toBe(3);
    expect(cartValue(p)).toBe(89 * 2 + 25);
    expect(run(['Product Added', aviator], ['Product Removed', aviator]).cart).toEqual({});
  });

  it('keeps what a cart reminder shows: name, image (Segment image_url), category, and the currency', () => {
    const p = run(['Product Added', { ...aviator, name: 'Aviator', image_url: 'https://shop.example/a.jpg', currency: 'GBP' }]);
    expect(p.cart['sunglasses-aviator']).toEqual({ quantity: 1, price: 89, category: 'sunglasses', name: 'Aviator', image: 'https://shop.example/a.jpg' });
    expect(p.currency).toBe('GBP');
    expect(run(['Product Added', aviator]).currency).toBeUndefined(); // not said: the shop default applies
  });

  it('takes the shop’s own cart from Cart Viewed as the truth', () => {
    const p = run(['Product Added', aviator], ['Cart Viewed', { products: [beanie] }]);
    expect(Object.keys(p.cart)).toEqual(['knit-beanie']);
    expect(cartItems(p)).toBe(2);
  });

  it('an order empties the cart and counts: orders, total, categories and products bought, when', () => {
    const p = run(['Product Added', aviator], ['Order Completed', { order_id: 'o1', total: 89, products: [aviator] }]);
    expect(p.cart).toEqual({});
    expect(p.orders).toEqual({ count: 1, total: 89, categories: ['sunglasses'], products: [String(aviator['product_id'])], last: NOW });
  });

  it('products bought accumulate across orders, each once, most recent last; an `id` stands in for `product_id`', () => {
    const p = run(
      ['Order Completed', { total: 10, products: [{ product_id: 'a', category: 'x' }, { id: 'b' }] }],
      ['Order Completed', { total: 5, products: [{ product_id: 'a' }] }],
    );
    expect(p.orders.products).toEqual(['b', 'a']);
    expect(p.orders.total).toBe(15);
  });

  it('ignores unknown events and malformed props', () => {
    expect(run(['Something Else', aviator])).toEqual(emptyProfile());
    expect(run(['Product Added', { price: 'free' }])).toEqual(emptyProfile());
    expect(run(['Product Removed', { product_id: 'never-added' }])).toEqual(emptyProfile());
    expect(run(['Order Completed', { products: 'none' }]).orders.count).toBe(1);
  });

  it('keeps identify traits that are plain values', () => {
    const p = applyTraits(emptyProfile(), { plan: 'vip', orders: 3, subscribed: true, nested: { no: 1 } });
    expect(p.traits).toEqual({ plan: 'vip', orders: 3, subscribed: true });
  });
});
