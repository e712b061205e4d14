// `/products/<id>`: one product, read from the path.
import { products, findProduct } from '../products.js';
import { addItem, MAX_QUANTITY } from '../cart.js';
import { productAdded, productViewed } from '../analytics.js';
import { el, formatMoney, productUrl, categoryLabel, productImage, emptyState, replaceChildren } from '../ui.js';

/** The product id in `/products/<id>` (trailing slash allowed), or null. */
export function productIdFromPath(pathname) {
  const match = /^\/products\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

function relatedProducts(product) {
  const same = products.filter((p) => p.id !== product.id && p.category === product.category);
  const others = products.filter((p) => p.id !== product.id && p.category !== product.category);
  return [...same, ...others].slice(0, 4);
}

function addToCartForm(product) {
  const status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'add-status' });
  const input = el('input', {
    id: 'quantity',
    name: 'quantity',
    type: 'number',
    inputmode: 'numeric',
    min: 1,
    max: MAX_QUANTITY,
    step: 1,
    value: 1,
    required: true,
    'data-testid': 'quantity',
  });
  const form = el(
    'form',
    { class: 'add-form', novalidate: true },
    el('div', { class: 'field field-quantity' }, el('label', { for: 'quantity', text: 'Quantity' }), input),
    el('button', { type: 'submit', class: 'button button-large', 'data-testid': 'add-to-cart', text: 'Add to cart' }),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const quantity = Math.floor(Number(input.value));
    if (!Number.isFinite(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      input.setAttribute('aria-invalid', 'true');
      status.className = 'form-status is-error';
      replaceChildren(status, `Please choose a quantity from 1 to ${MAX_QUANTITY}.`);
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    const { cart, added } = addItem(product.id, quantity);
    status.className = 'form-status is-success';
    if (added > 0) {
      productAdded(product, added, cart.cart_id);
      replaceChildren(
        status,
        `Added ${added} × ${product.name} to your cart. `,
        el('a', { href: '/cart', text: 'View cart' }),
      );
    } else {
      replaceChildren(status, `Your cart already holds the maximum of ${MAX_QUANTITY}. `, el('a', { href: '/cart', text: 'View cart' }));
    }
  });
  return el('div', {}, form, status);
}

function relatedSection(product) {
  return el(
    'section',
    { class: 'related', 'aria-labelledby': 'related-heading' },
    el('h2', { id: 'related-heading', text: 'You may also like' }),
    el(
      'ul',
      { class: 'related-grid' },
      relatedProducts(product).map((p) =>
        el(
          'li',
          { class: 'related-card', 'data-testid': 'related-product' },
          el(
            'a',
            { href: productUrl(p.id) },
            el('span', { class: 'related-media' }, productImage(p, { size: 200 })),
            el('span', { class: 'related-name', text: p.name }),
            el('span', { class: 'related-price', text: formatMoney(p.price) }),
          ),
        ),
      ),
    ),
  );
}

/** @param {HTMLElement} main */
export function renderProduct(main) {
  const id = productIdFromPath(window.location.pathname);
  const product = id ? findProduct(id) : undefined;

  if (!product) {
    document.title = 'Product not found · Northwind Outfitters';
    replaceChildren(
      main,
      el(
        'div',
        { class: 'page-narrow', 'data-testid': 'not-found' },
        emptyState({
          title: 'Sorry, we couldn’t find that product',
          text: 'It may have sold out or moved. Everything we stock is on the shop page.',
          linkText: 'Back to the shop',
          headingLevel: 'h1',
        }),
      ),
    );
    return;
  }

  document.title = `${product.name} · Northwind Outfitters`;
  const categoryName = categoryLabel(product.category);
  replaceChildren(
    main,
    el(
      'nav',
      { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      el('ol', {},
        el('li', {}, el('a', { href: '/', text: 'Shop' })),
        el('li', { text: categoryName }),
        el('li', {}, el('span', { 'aria-current': 'page', text: product.name })),
      ),
    ),
    el(
      'article',
      { class: 'product', 'data-testid': 'product-detail', 'data-product-id': product.id },
      el('div', { class: 'product-media' },
        productImage(product, { alt: `Illustration of the ${product.name}`, className: 'product-image', lazy: false }),
      ),
      el(
        'div',
        { class: 'product-info' },
        el('p', { class: 'eyebrow', text: categoryName }),
        el('h1', { class: 'product-title', text: product.name }),
        el('p', { class: 'product-price', 'data-testid': 'product-price', text: formatMoney(product.price) }),
        el('p', { class: 'product-description', text: product.description }),
        addToCartForm(product),
        el(
          'ul',
          { class: 'perks' },
          el('li', { text: 'Free returns within 30 days' }),
          el('li', { text: `SKU ${product.sku}` }),
        ),
      ),
    ),
    relatedSection(product),
  );

  productViewed(product);
}
