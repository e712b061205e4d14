// Entry module for every page: keeps the header's cart badge current and renders the page named by
// <body data-page="…">.
import { refresh, subscribe, getCart } from './cart.js';
import { cartLines } from './ui.js';
import { renderList } from './pages/list.js';
import { renderProduct } from './pages/product.js';
import { renderCart } from './pages/cart.js';
import { renderCheckout } from './pages/checkout.js';
import { renderOrderComplete } from './pages/order-complete.js';

const pages = {
  list: renderList,
  product: renderProduct,
  cart: renderCart,
  checkout: renderCheckout,
  'order-complete': renderOrderComplete,
};

function updateBadge(cart) {
  // Count only products the catalogue still has, like the cart page does.
  const count = cartLines(cart).reduce((n, line) => n + line.quantity, 0);
  for (const badge of document.querySelectorAll('[data-testid="cart-count"]')) {
    badge.textContent = String(count);
    badge.classList.toggle('is-empty', count === 0);
  }
  for (const label of document.querySelectorAll('[data-cart-label]')) {
    label.textContent = count === 1 ? ' item' : ' items';
  }
}

function boot() {
  updateBadge(getCart());
  subscribe(updateBadge);
  // Back/forward cache restores show the page as it was: re-read the cart.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) refresh();
  });

  const main = document.getElementById('main');
  const render = pages[document.body.dataset.page ?? ''];
  if (main && render) render(main);
}

boot();
