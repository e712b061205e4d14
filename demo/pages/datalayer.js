// `/datalayer`: a one-page quick shop that reports what the shopper does ONLY as GA4 e-commerce pushes on
// window.dataLayer — it never calls kairos() itself. Kairos learns the cart from those pushes through its `datalayer`
// cart adapter (demo/kairos.yaml: cart.adapters). Its cart is its own, kept in localStorage under
// `kairos-demo-datalayer-cart` (the main demo shop's cart is `kairos-demo-cart`).
//
// Both ways shops push are used: GTM style ({ ecommerce: null } to reset, then { event, ecommerce }) for the
// cart, and gtag('event', 'purchase', …) — which pushes its `arguments` — for the order.
import { findProduct } from '../products.js';
import { el, formatMoney, productImage, categoryLabel, announce, replaceChildren } from '../ui.js';

export const QUICK_CART_KEY = 'kairos-demo-datalayer-cart';
const CURRENCY = 'EUR';
const MAX_QUANTITY = 99;
const PICKS = ['sunglasses-aviator', 'linen-shirt', 'knit-beanie', 'straw-hat', 'swim-shorts', 'canvas-tote'];

const dataLayer = (window.dataLayer = window.dataLayer || []);
/** The standard gtag.js stub: gtag() pushes its arguments object. */
const gtag =
  window.gtag ||
  (window.gtag = function gtag() {
    // eslint-disable-next-line prefer-rest-params
    dataLayer.push(arguments);
  });

// --- the cart: { items: [{ id, quantity }] } -----------------------------------------------------------------

let memory = { items: [] };

/** The stored cart, with only well-formed lines of products the catalogue has. */
function loadCart() {
  try {
    const raw = JSON.parse(window.localStorage.getItem(QUICK_CART_KEY) ?? 'null');
    if (raw && Array.isArray(raw.items)) {
      const items = [];
      for (const i of raw.items) {
        const quantity = Math.min(Math.floor(Number(i?.quantity)), MAX_QUANTITY);
        if (typeof i?.id === 'string' && findProduct(i.id) && quantity > 0 && !items.some((x) => x.id === i.id)) items.push({ id: i.id, quantity });
      }
      memory = { items };
    } else memory = { items: [] };
  } catch {
    // Storage unavailable or corrupt: the cart lives in memory for this page.
  }
  return { items: memory.items.map((i) => ({ ...i })) };
}

function saveCart(cart) {
  memory = cart;
  try {
    if (cart.items.length) window.localStorage.setItem(QUICK_CART_KEY, JSON.stringify(cart));
    else window.localStorage.removeItem(QUICK_CART_KEY);
  } catch {
    // See loadCart.
  }
}

/** Cart lines joined with the catalogue. */
const linesOf = (cart) => cart.items.map(({ id, quantity }) => ({ ...findProduct(id), quantity }));
/** Summed in cents, so 3 × 59.9 is 179.7. */
const totalOf = (lines) => lines.reduce((sum, l) => sum + Math.round(l.price * 100) * l.quantity, 0) / 100;

// --- GA4 --------------------------------------------------------------------------------------------------

/** A GA4 item; `image_url` is not GA4 standard, but Kairos's adapter (and its cart reminders) use it. */
const gaItem = (line) => ({
  item_id: line.id,
  item_name: line.name,
  item_category: line.category,
  price: line.price,
  quantity: line.quantity,
  image_url: new URL(line.image, window.location.origin).href,
});

const ecommerce = (lines, extra = {}) => ({ currency: CURRENCY, value: totalOf(lines), ...extra, items: lines.map(gaItem) });

/** Shows the last pushes on the page, so the demo explains itself. */
function log(entry) {
  const pre = document.querySelector('[data-testid="datalayer-log"]');
  if (!pre) return;
  const text = JSON.stringify(entry, (key, value) => (key === 'items' ? value.map((i) => `${i.quantity} × ${i.item_id}`) : value));
  pre.textContent = [text, ...pre.textContent.split('\n').filter(Boolean)].slice(0, 12).join('\n');
}

/** GTM style: clear the previous ecommerce object, then push the event (GA4's documented convention). */
function push(event, data) {
  try {
    dataLayer.push({ ecommerce: null });
    dataLayer.push({ event, ecommerce: data });
    log({ event, ecommerce: data });
  } catch {
    // A broken dataLayer must not break the shop.
  }
}

// --- the page ---------------------------------------------------------------------------------------------

function productCard(product, quantity, change) {
  return el(
    'li',
    { class: 'card', 'data-testid': 'product-card', 'data-product-id': product.id },
    el('article', { class: 'card-inner', 'aria-labelledby': `quick-${product.id}` },
      el('div', { class: 'card-media' }, productImage(product, { className: 'card-image' })),
      el('div', { class: 'card-body' },
        el('p', { class: 'eyebrow', text: categoryLabel(product.category) }),
        el('h3', { class: 'card-title', id: `quick-${product.id}`, text: product.name }),
        el('p', { class: 'price', text: formatMoney(product.price) }),
        el('p', { class: 'muted small', 'data-testid': 'in-cart', text: quantity ? `In your cart: ${quantity}` : '\u00a0' }),
      ),
      el('div', { class: 'card-actions' },
        el('button', {
          type: 'button',
          class: 'button button-block',
          'data-testid': 'add-to-cart',
          'aria-label': `Add ${product.name} to cart`,
          disabled: quantity >= MAX_QUANTITY,
          text: 'Add to cart',
          onclick: () => change(product.id, +1),
        }),
        el('button', {
          type: 'button',
          class: 'link-button',
          'data-testid': 'remove-from-cart',
          'aria-label': `Remove ${product.name} from cart`,
          disabled: !quantity,
          text: 'Remove',
          onclick: () => change(product.id, -quantity),
        }),
      ),
    ),
  );
}

function cartSummary(lines, placeOrder) {
  const count = lines.reduce((n, l) => n + l.quantity, 0);
  if (!count) return el('p', { class: 'muted', 'data-testid': 'quick-cart-empty', text: 'Your cart is empty: add something from the quick picks.' });
  return el('div', {},
    el('ul', { class: 'mini-lines', 'aria-label': 'Items in your cart' },
      lines.map((l) =>
        el('li', { class: 'mini-line', 'data-testid': 'cart-item', 'data-product-id': l.id },
          el('span', { class: 'mini-media' }, productImage(l, { size: 56 }), el('span', { class: 'mini-qty', 'data-testid': 'item-quantity', text: String(l.quantity) })),
          el('span', { class: 'mini-name', text: l.name }),
          el('span', { class: 'mini-price', text: formatMoney(totalOf([l])) }),
        ),
      ),
    ),
    el('dl', { class: 'summary-rows' },
      el('div', { class: 'summary-total' }, el('dt', { text: `Total (${count} ${count === 1 ? 'item' : 'items'})` }), el('dd', { 'data-testid': 'cart-total', text: formatMoney(totalOf(lines)) })),
    ),
    el('button', { type: 'button', class: 'button button-block button-large', 'data-testid': 'place-order', text: 'Place order', onclick: placeOrder }),
  );
}

function renderQuickShop(main) {
  const grid = main.querySelector('[data-role="product-grid"]');
  const summary = main.querySelector('[data-role="cart"]');
  const status = main.querySelector('[data-testid="order-status"]');
  if (!grid || !summary) return;

  function change(id, delta) {
    const cart = loadCart();
    const line = cart.items.find((i) => i.id === id);
    const before = line?.quantity ?? 0;
    const after = Math.max(0, Math.min(before + delta, MAX_QUANTITY));
    if (after === before) return;
    if (line) line.quantity = after;
    else cart.items.push({ id, quantity: after });
    cart.items = cart.items.filter((i) => i.quantity > 0);
    saveCart(cart);
    const product = findProduct(id);
    const moved = [{ ...product, quantity: Math.abs(after - before) }];
    push(after > before ? 'add_to_cart' : 'remove_from_cart', ecommerce(moved));
    if (status) status.textContent = '';
    announce(after > before ? `Added ${product.name} to your cart.` : `Removed ${product.name} from your cart.`);
    render(id, 'add-to-cart');
  }

  function placeOrder() {
    const lines = linesOf(loadCart());
    if (!lines.length) return;
    const orderId = 'DL-' + Math.random().toString(36).slice(2, 10).toUpperCase();
    push('begin_checkout', ecommerce(lines));
    const purchase = ecommerce(lines, { transaction_id: orderId });
    try {
      gtag('event', 'purchase', purchase);
      log(['event', 'purchase', purchase]);
    } catch {
      // See push.
    }
    saveCart({ items: [] });
    render();
    if (status) status.textContent = `Thank you! Order ${orderId} is placed (nothing is charged: this is a demo).`;
    main.querySelector('#quick-cart')?.focus();
  }

  /** Re-renders; `focusId`/`focusTestId` put focus back on the button that was used. */
  function render(focusId, focusTestId) {
    const lines = linesOf(loadCart());
    const qty = Object.fromEntries(lines.map((l) => [l.id, l.quantity]));
    replaceChildren(grid, PICKS.map(findProduct).filter(Boolean).map((p) => productCard(p, qty[p.id] ?? 0, change)));
    replaceChildren(summary, cartSummary(lines, placeOrder));
    const count = lines.reduce((n, l) => n + l.quantity, 0);
    for (const badge of document.querySelectorAll('[data-testid="cart-count"]')) {
      badge.textContent = String(count);
      badge.classList.toggle('is-empty', count === 0);
    }
    for (const label of document.querySelectorAll('[data-cart-label]')) label.textContent = count === 1 ? ' item' : ' items';
    if (focusId) grid.querySelector(`[data-product-id="${CSS.escape(focusId)}"] [data-testid="${focusTestId}"]`)?.focus();
  }

  render();
  // Another tab changed the cart: show it (it reported its own pushes).
  window.addEventListener('storage', (e) => {
    if (e.key === QUICK_CART_KEY || e.key === null) render();
  });
  // The shop's own view of its cart, once per page view: Kairos takes it as the truth (only when it holds something).
  const lines = linesOf(loadCart());
  if (lines.length) push('view_cart', ecommerce(lines));
}

const main = document.getElementById('main');
if (main) renderQuickShop(main);
