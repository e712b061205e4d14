// `/`: the product grid, with category filters.
import { products, categories } from '../products.js';
import { addItem } from '../cart.js';
import { productAdded } from '../analytics.js';
import { el, formatMoney, productUrl, categoryLabel, productImage, announce, replaceChildren } from '../ui.js';

function productCard(product) {
  const button = el('button', {
    type: 'button',
    class: 'button button-block',
    'data-testid': 'add-to-cart',
    'data-product-id': product.id,
    'aria-label': `Add ${product.name} to cart`,
    text: 'Add to cart',
  });
  let resetTimer = 0;
  button.addEventListener('click', () => {
    const { cart, added } = addItem(product.id, 1);
    if (added > 0) {
      productAdded(product, added, cart.cart_id);
      announce(`Added ${product.name} to your cart.`);
      button.textContent = 'Added ✓';
      button.classList.add('is-done');
    } else {
      announce(`You already have the maximum quantity of ${product.name} in your cart.`);
    }
    clearTimeout(resetTimer);
    resetTimer = setTimeout(() => {
      button.textContent = 'Add to cart';
      button.classList.remove('is-done');
    }, 1600);
  });

  const headingId = `product-${product.id}`;
  return el(
    'li',
    { class: 'card', 'data-testid': 'product-card', 'data-product-id': product.id, 'data-category': product.category },
    el('article', { class: 'card-inner', 'aria-labelledby': headingId },
      el('div', { class: 'card-media' }, productImage(product, { className: 'card-image' })),
      el('div', { class: 'card-body' },
        el('p', { class: 'eyebrow', text: categoryLabel(product.category) }),
        el('h2', { class: 'card-title', id: headingId },
          el('a', { class: 'card-link', href: productUrl(product.id), text: product.name }),
        ),
        el('p', { class: 'price', text: formatMoney(product.price) }),
      ),
      el('div', { class: 'card-actions' }, button),
    ),
  );
}

/** @param {HTMLElement} main */
export function renderList(main) {
  const grid = main.querySelector('[data-role="product-grid"]');
  const filters = main.querySelector('[data-role="filters"]');
  if (!grid) return;
  const cards = products.map(productCard);
  replaceChildren(grid, cards);

  if (!filters) return;
  const options = [['all', 'All'], ...Object.entries(categories)];
  const buttons = options.map(([slug, label]) =>
    el('button', {
      type: 'button',
      class: 'chip',
      'aria-pressed': slug === 'all' ? 'true' : 'false',
      'data-category': slug,
      text: label,
      onclick: () => {
        for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.category === slug));
        let shown = 0;
        for (const card of cards) {
          const visible = slug === 'all' || card.dataset.category === slug;
          card.hidden = !visible;
          if (visible) shown++;
        }
        announce(`${shown} ${shown === 1 ? 'product' : 'products'} shown.`);
      },
    }),
  );
  replaceChildren(filters, buttons);
  filters.hidden = false;
}
