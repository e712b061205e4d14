// `/cart`: line items with quantity controls, subtotal and the way to checkout.
import { getCart, setQuantity, removeItem, subscribe, MAX_QUANTITY } from '../cart.js';
import { cartViewed, productAdded, productRemoved, totalOf } from '../analytics.js';
import { el, formatMoney, productUrl, categoryLabel, productImage, emptyState, announce, replaceChildren, cartLines } from '../ui.js';

/** Changes a line by `delta` units and reports it (a decrease to 0 removes the line). */
function changeQuantity(line, delta) {
  const { cart, before, after } = setQuantity(line.id, line.quantity + delta);
  const changed = after - before;
  if (changed > 0) {
    productAdded(line, changed, cart.cart_id);
    announce(`${line.name}: quantity ${after}.`);
  } else if (changed < 0) {
    productRemoved(line, -changed, cart.cart_id);
    announce(after === 0 ? `Removed ${line.name} from your cart.` : `${line.name}: quantity ${after}.`);
  }
  return after;
}

function lineItem(line, onChange) {
  const total = totalOf([line]);
  return el(
    'li',
    { class: 'line', 'data-testid': 'cart-item', 'data-product-id': line.id },
    el('a', { class: 'line-media', href: productUrl(line.id), tabindex: '-1', 'aria-hidden': 'true' }, productImage(line, { size: 120 })),
    el(
      'div',
      { class: 'line-info' },
      el('h2', { class: 'line-name' }, el('a', { href: productUrl(line.id), text: line.name })),
      el('p', { class: 'line-meta', text: categoryLabel(line.category) }),
      el('p', { class: 'line-unit', 'data-testid': 'unit-price' }, formatMoney(line.price), el('span', { class: 'muted', text: ' each' })),
    ),
    el(
      'div',
      { class: 'line-controls' },
      el(
        'div',
        { class: 'stepper', role: 'group', 'aria-label': `Quantity of ${line.name}` },
        el('button', {
          type: 'button',
          class: 'stepper-button',
          'data-action': 'decrease',
          'data-testid': 'decrease-quantity',
          'aria-label': line.quantity === 1 ? `Remove ${line.name}` : `Decrease quantity of ${line.name}`,
          text: '−',
          onclick: () => onChange(line, -1, 'decrease'),
        }),
        el('span', { class: 'stepper-value', 'data-testid': 'item-quantity', text: String(line.quantity) }),
        el('button', {
          type: 'button',
          class: 'stepper-button',
          'data-action': 'increase',
          'data-testid': 'increase-quantity',
          'aria-label': `Increase quantity of ${line.name}`,
          disabled: line.quantity >= MAX_QUANTITY,
          text: '+',
          onclick: () => onChange(line, +1, 'increase'),
        }),
      ),
      el('button', {
        type: 'button',
        class: 'link-button',
        'data-action': 'remove',
        'data-testid': 'remove-item',
        'aria-label': `Remove ${line.name} from cart`,
        text: 'Remove',
        onclick: () => onChange(line, -line.quantity, 'remove'),
      }),
    ),
    el('p', { class: 'line-total', 'data-testid': 'line-total', text: formatMoney(total) }),
  );
}

/** The code a discount link (/discount/CODE, as the exit offer's button uses) left in a cookie, if any. */
function discountNote() {
  const code = /(?:^|;\s*)discount_code=([A-Za-z0-9_-]+)/.exec(document.cookie)?.[1];
  return code ? el('p', { class: 'discount', 'data-testid': 'discount-code', text: `Discount code ${code} applied at checkout.` }) : null;
}

/** @param {HTMLElement} main */
export function renderCart(main) {
  const root = main.querySelector('[data-role="cart"]');
  if (!root) return;
  let changing = false;

  /** @param {{ id: string, action: string } | null} focusAfter control to focus after re-rendering */
  function render(focusAfter = null) {
    const cart = getCart();
    const lines = cartLines(cart);
    if (lines.length === 0) {
      replaceChildren(
        root,
        emptyState({ title: 'Your cart is empty', text: 'Find something you love in the shop.', linkText: 'Start shopping' }),
      );
      if (focusAfter) main.querySelector('h1')?.focus();
      return;
    }

    const onChange = (line, delta, action) => {
      const index = lines.findIndex((l) => l.id === line.id);
      changing = true;
      let after;
      try {
        after = changeQuantity(line, delta);
      } finally {
        changing = false;
      }
      if (after > 0) {
        render({ id: line.id, action });
      } else {
        // The line is gone: move focus to the next line's remove button (or the previous one).
        const next = lines[index + 1] ?? lines[index - 1];
        render(next ? { id: next.id, action: 'remove' } : { id: '', action: '' });
      }
    };

    const subtotal = totalOf(lines);
    const count = lines.reduce((n, l) => n + l.quantity, 0);
    replaceChildren(
      root,
      el('div', { class: 'cart-layout' },
        el('ul', { class: 'lines', 'aria-label': 'Items in your cart' }, lines.map((line) => lineItem(line, onChange))),
        el(
          'aside',
          { class: 'summary', 'aria-labelledby': 'summary-heading' },
          el('h2', { id: 'summary-heading', text: 'Order summary' }),
          el('dl', { class: 'summary-rows' },
            el('div', {}, el('dt', { text: `Items (${count})` }), el('dd', { text: formatMoney(subtotal) })),
            el('div', { class: 'summary-total' }, el('dt', { text: 'Subtotal' }), el('dd', { 'data-testid': 'subtotal', text: formatMoney(subtotal) })),
          ),
          discountNote(),
          el('p', { class: 'muted small', text: 'Shipping and taxes: none — this is a demo shop.' }),
          el('a', { class: 'button button-block button-large', href: '/checkout', 'data-testid': 'checkout', text: 'Checkout' }),
          el('a', { class: 'text-link', href: '/', text: 'Continue shopping' }),
        ),
      ),
    );

    if (focusAfter && focusAfter.id) {
      const lineEl = root.querySelector(`[data-testid="cart-item"][data-product-id="${CSS.escape(focusAfter.id)}"]`);
      const target = lineEl?.querySelector(`[data-action="${focusAfter.action}"]:not([disabled])`) ?? lineEl?.querySelector('[data-action="remove"]');
      if (target instanceof HTMLElement) target.focus();
    } else if (focusAfter) {
      main.querySelector('h1')?.focus();
    }
  }

  render();
  subscribe(() => {
    // Another tab or a back/forward restore changed the cart; our own changes re-render above.
    if (!changing) render();
  });

  const cart = getCart();
  cartViewed(cart.cart_id, cartLines(cart));
}
