// `/order-complete`: thanks, order id, items and total. Reports the order once per order, not per reload.
import { getCart, clearCart } from '../cart.js';
import { orderCompleted, totalOf } from '../analytics.js';
import { loadLastOrder, markReported } from '../order.js';
import { el, formatMoney, productImage, emptyState, replaceChildren } from '../ui.js';

/** @param {HTMLElement} main */
export function renderOrderComplete(main) {
  const root = main.querySelector('[data-role="order"]');
  if (!root) return;
  const order = loadLastOrder();

  if (!order || order.items.length === 0) {
    const heading = main.querySelector('h1');
    if (heading) heading.textContent = 'No recent order';
    document.title = 'No recent order · Northwind Outfitters';
    main.querySelector('.success-mark')?.remove();
    replaceChildren(
      root,
      emptyState({ title: 'Nothing to show yet', text: 'Orders you place in this tab show up here.', linkText: 'Back to the shop' }),
    );
    return;
  }

  const total = totalOf(order.items);
  replaceChildren(
    root,
    el('p', { class: 'lead' },
      'Your order number is ',
      el('strong', { class: 'order-id', 'data-testid': 'order-id', text: order.order_id }),
      '.',
    ),
    order.email ? el('p', { class: 'muted', text: `In a real shop a confirmation would now be on its way to ${order.email}. This is a demo, so nothing was charged and nothing will ship.` }) : null,
    el('section', { class: 'summary order-summary', 'aria-labelledby': 'order-items-heading' },
      el('h2', { id: 'order-items-heading', text: 'What you ordered' }),
      el('ul', { class: 'mini-lines' },
        order.items.map((item) =>
          el('li', { class: 'mini-line', 'data-testid': 'order-item' },
            el('span', { class: 'mini-media' }, productImage(item, { size: 56 }), el('span', { class: 'mini-qty', 'aria-hidden': 'true', text: String(item.quantity) })),
            el('span', { class: 'mini-name' }, item.name, el('span', { class: 'visually-hidden', text: `, quantity ${item.quantity}` })),
            el('span', { class: 'mini-price', text: formatMoney(totalOf([item])) }),
          ),
        ),
      ),
      el('dl', { class: 'summary-rows' },
        el('div', { class: 'summary-total' }, el('dt', { text: 'Total' }), el('dd', { 'data-testid': 'order-total', text: formatMoney(total) })),
      ),
    ),
    el('a', { class: 'button', href: '/', text: 'Continue shopping' }),
  );

  if (markReported(order.order_id)) {
    // Checkout already emptied the cart; make sure it stays emptied if that cart somehow survived.
    const cart = getCart();
    if (cart.items.length > 0 && cart.cart_id === order.cart_id) clearCart();
    orderCompleted(order);
  }
}
