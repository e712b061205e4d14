// Reports shop events to Kairos (Segment e-commerce v2 names and properties) and to the GA4 dataLayer.
// Kairos may be the queue stub, the real widget, absent or broken: every call is guarded, nothing is
// returned, and the shop never depends on it. Properties stay flat: scalars, or arrays of flat objects.

const CURRENCY = 'EUR';

/** Money is summed in cents so 3 × 59.9 is 179.7, not 179.70000000000002. */
export function toCents(amount) {
  return Math.round(Number(amount) * 100);
}

/** @param {{ price: number, quantity: number }[]} items */
export function totalOf(items) {
  return items.reduce((sum, i) => sum + toCents(i.price) * i.quantity, 0) / 100;
}

function absoluteUrl(path) {
  try {
    return new URL(path, window.location.origin).href;
  } catch {
    return path;
  }
}

function track(name, props) {
  try {
    if (typeof window.kairos === 'function') window.kairos('track', name, props);
  } catch {
    // Kairos is broken: the shop carries on.
  }
}

function pushDataLayer(event, ecommerce) {
  try {
    const dataLayer = (window.dataLayer = window.dataLayer || []);
    dataLayer.push({ ecommerce: null }); // clear the previous ecommerce object (GA4 convention)
    dataLayer.push({ event, ecommerce });
  } catch {
    // A broken dataLayer must not break the shop either.
  }
}

/**
 * An item is a product (or an order line snapshot) with a quantity.
 * @typedef {{ id: string, sku: string, name: string, category: string, price: number, image: string, quantity: number }} Item
 */

/** Segment product properties. @param {Item} item */
function productProps(item) {
  return {
    product_id: item.id,
    sku: item.sku,
    name: item.name,
    category: item.category,
    price: item.price,
    quantity: item.quantity,
    url: absoluteUrl(`/products/${encodeURIComponent(item.id)}`),
    image_url: absoluteUrl(item.image),
  };
}

/** GA4 item. @param {Item} item */
function gaItem(item) {
  return {
    item_id: item.id,
    item_name: item.name,
    item_category: item.category,
    price: item.price,
    quantity: item.quantity,
  };
}

/** @param {Item[]} items */
function gaEcommerce(items, extra = {}) {
  return { currency: CURRENCY, value: totalOf(items), ...extra, items: items.map(gaItem) };
}

/** @param {Omit<Item, 'quantity'>} product */
export function productViewed(product) {
  const { quantity: _omit, ...props } = productProps({ ...product, quantity: 1 });
  track('Product Viewed', { ...props, currency: CURRENCY });
  pushDataLayer('view_item', gaEcommerce([{ ...product, quantity: 1 }]));
}

/** @param {Omit<Item, 'quantity'>} product @param {number} quantity @param {string | null} cartId */
export function productAdded(product, quantity, cartId) {
  const item = { ...product, quantity };
  track('Product Added', { ...productProps(item), currency: CURRENCY, cart_id: cartId });
  pushDataLayer('add_to_cart', gaEcommerce([item]));
}

/** @param {Omit<Item, 'quantity'>} product @param {number} quantity @param {string | null} cartId */
export function productRemoved(product, quantity, cartId) {
  const item = { ...product, quantity };
  track('Product Removed', { ...productProps(item), currency: CURRENCY, cart_id: cartId });
  pushDataLayer('remove_from_cart', gaEcommerce([item]));
}

/** @param {string | null} cartId @param {Item[]} items */
export function cartViewed(cartId, items) {
  track('Cart Viewed', {
    cart_id: cartId,
    currency: CURRENCY,
    value: totalOf(items),
    products: items.map(productProps),
  });
  pushDataLayer('view_cart', gaEcommerce(items));
}

/** @param {string | null} cartId @param {Item[]} items */
export function checkoutStarted(cartId, items) {
  track('Checkout Started', {
    cart_id: cartId,
    currency: CURRENCY,
    value: totalOf(items),
    products: items.map(productProps),
  });
  pushDataLayer('begin_checkout', gaEcommerce(items));
}

/** @param {{ order_id: string, cart_id: string | null, total: number, items: Item[] }} order */
export function orderCompleted(order) {
  const total = totalOf(order.items);
  track('Order Completed', {
    order_id: order.order_id,
    cart_id: order.cart_id,
    currency: CURRENCY,
    revenue: total,
    total,
    products: order.items.map(productProps),
  });
  pushDataLayer('purchase', gaEcommerce(order.items, { transaction_id: order.order_id }));
}
