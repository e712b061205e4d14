// Small DOM helpers shared by the pages. Text always goes in as text nodes, never as HTML.
import { findProduct, categoryLabel } from './products.js';

/**
 * Creates an element. `props`: `class`, `text`, `dataset`, `on<event>` handlers, anything else becomes an
 * attribute (`true` → empty attribute; `null`/`undefined`/`false` → left out). Strings among the children
 * become text nodes.
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const money = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });

/** @param {number} amount */
export function formatMoney(amount) {
  return money.format(amount);
}

export function productUrl(id) {
  return `/products/${encodeURIComponent(id)}`;
}

export { categoryLabel };

/**
 * Cart lines joined with the catalogue; lines whose product no longer exists are skipped.
 * @param {{ items: { id: string, quantity: number }[] }} cart
 */
export function cartLines(cart) {
  const lines = [];
  for (const { id, quantity } of cart.items) {
    const product = findProduct(id);
    if (product) lines.push({ ...product, quantity });
  }
  return lines;
}

/** Announces a message to screen readers through the page's polite live region. */
export function announce(message) {
  const region = document.getElementById('live-status');
  if (!region) return;
  region.textContent = '';
  // A fresh text node in a later task makes repeated messages announce again.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** Replaces the children of `node` with `children`. */
export function replaceChildren(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/** A product illustration. Decorative (empty alt) unless `alt` is given. */
export function productImage(product, { alt = '', className = '', size = 400, lazy = true } = {}) {
  return el('img', {
    src: product.image,
    alt,
    width: size,
    height: size,
    class: className || null,
    loading: lazy ? 'lazy' : null,
    decoding: 'async',
  });
}

/** An empty-state panel with a heading, text and a link. */
export function emptyState({ title, text, linkText = 'Continue shopping', href = '/', headingLevel = 'h2' }) {
  return el(
    'div',
    { class: 'empty-state' },
    el(headingLevel, { text: title }),
    el('p', { text }),
    el('a', { class: 'button', href, text: linkText }),
  );
}
