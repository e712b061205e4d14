// `/checkout`: contact and address form, order summary, "Place order" (no payment: it is a demo).
import { getCart, clearCart, subscribe } from '../cart.js';
import { checkoutStarted, totalOf } from '../analytics.js';
import { newOrderId, saveLastOrder } from '../order.js';
import { el, formatMoney, productImage, emptyState, replaceChildren, cartLines } from '../ui.js';

function summary(lines) {
  return el(
    'aside',
    { class: 'summary', 'aria-labelledby': 'summary-heading' },
    el('h2', { id: 'summary-heading', text: 'Order summary' }),
    el(
      'ul',
      { class: 'mini-lines' },
      lines.map((line) =>
        el(
          'li',
          { class: 'mini-line' },
          el('span', { class: 'mini-media' }, productImage(line, { size: 56 }), el('span', { class: 'mini-qty', 'aria-hidden': 'true', text: String(line.quantity) })),
          el('span', { class: 'mini-name' }, line.name, el('span', { class: 'visually-hidden', text: `, quantity ${line.quantity}` })),
          el('span', { class: 'mini-price', text: formatMoney(totalOf([line])) }),
        ),
      ),
    ),
    el('dl', { class: 'summary-rows' },
      el('div', { class: 'summary-total' }, el('dt', { text: 'Total' }), el('dd', { 'data-testid': 'checkout-total', text: formatMoney(totalOf(lines)) })),
    ),
    el('a', { class: 'text-link', href: '/cart', text: 'Edit cart' }),
  );
}

/** @param {HTMLElement} main */
export function renderCheckout(main) {
  const root = main.querySelector('[data-role="checkout"]');
  const form = main.querySelector('form[data-role="checkout-form"]');
  const summarySlot = main.querySelector('[data-role="summary"]');
  const error = main.querySelector('[data-role="form-error"]');
  if (!root || !(form instanceof HTMLFormElement) || !summarySlot) return;

  let placing = false;

  function render() {
    if (placing) return false;
    const lines = cartLines(getCart());
    if (lines.length === 0) {
      replaceChildren(root, emptyState({ title: 'Your cart is empty', text: 'Add something to your cart before checking out.', linkText: 'Back to the shop' }));
      return false;
    }
    replaceChildren(summarySlot, summary(lines));
    return true;
  }

  if (!render()) return;
  subscribe(render);

  form.addEventListener('input', () => {
    if (error && error.textContent && form.checkValidity()) error.textContent = '';
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (placing) return;
    if (!form.checkValidity()) {
      const firstInvalid = form.querySelector(':invalid');
      if (error) error.textContent = 'Please fill in the highlighted fields.';
      form.classList.add('was-validated');
      if (firstInvalid instanceof HTMLElement) firstInvalid.focus();
      form.reportValidity();
      return;
    }
    const cart = getCart();
    const lines = cartLines(cart);
    if (lines.length === 0) {
      render();
      return;
    }
    placing = true;
    const button = form.querySelector('[data-testid="place-order"]');
    if (button instanceof HTMLButtonElement) {
      button.disabled = true;
      button.textContent = 'Placing order…';
    }
    const email = String(new FormData(form).get('email') ?? '').trim();
    saveLastOrder({
      order_id: newOrderId(),
      cart_id: cart.cart_id,
      currency: 'EUR',
      total: totalOf(lines),
      created_at: Date.now(),
      email,
      items: lines.map(({ id, sku, name, category, price, image, quantity }) => ({ id, sku, name, category, price, image, quantity })),
    });
    clearCart();
    window.location.assign('/order-complete');
  });

  const cart = getCart();
  checkoutStarted(cart.cart_id, cartLines(cart));
}
