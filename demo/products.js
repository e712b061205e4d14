// The demo catalogue. Plain data: prices are numbers in EUR, images are local SVG illustrations.

/** @typedef {{ id: string, sku: string, name: string, category: string, price: number, currency: 'EUR', description: string, image: string }} Product */

/** Category slugs (used in events and rules) and their display names. */
export const categories = Object.freeze({
  sunglasses: 'Sunglasses',
  'summer-wear': 'Summer wear',
  knitwear: 'Knitwear',
  accessories: 'Accessories',
});

/** @type {readonly Product[]} */
export const products = Object.freeze(
  [
    {
      id: 'sunglasses-aviator',
      sku: 'NW-SUN-001',
      name: 'Aviator Sunglasses',
      category: 'sunglasses',
      price: 89,
      description:
        'A timeless teardrop shape in a light brushed-gold frame. Polarised navy lenses cut glare on the water and the motorway, with full UV400 protection.',
    },
    {
      id: 'sunglasses-round',
      sku: 'NW-SUN-002',
      name: 'Round Tortoise Sunglasses',
      category: 'sunglasses',
      price: 74.5,
      description:
        'Hand-polished acetate in a warm tortoiseshell pattern, with smoky lenses and a keyhole bridge that sits comfortably on most faces.',
    },
    {
      id: 'linen-shirt',
      sku: 'NW-SUM-001',
      name: 'Linen Camp Shirt',
      category: 'summer-wear',
      price: 59.9,
      description:
        'Breezy European linen with a relaxed camp collar and a straight hem made to be worn untucked. Gets softer with every wash.',
    },
    {
      id: 'swim-shorts',
      sku: 'NW-SUM-002',
      name: 'Striped Swim Shorts',
      category: 'summer-wear',
      price: 39.9,
      description:
        'Quick-drying recycled polyester in coral and cream stripes, with a mesh lining, an elastic drawstring waist and a zip back pocket.',
    },
    {
      id: 'merino-sweater',
      sku: 'NW-KNT-001',
      name: 'Merino Crew Sweater',
      category: 'knitwear',
      price: 99,
      description:
        'Fine-gauge merino wool in rust, with ribbed cuffs and hem. Warm without bulk, breathable, and naturally odour-resistant.',
    },
    {
      id: 'knit-beanie',
      sku: 'NW-KNT-002',
      name: 'Ribbed Knit Beanie',
      category: 'knitwear',
      price: 24.9,
      description:
        'A chunky rib-knit beanie in deep teal with a turned-up mustard cuff and a cream pompom. One size, soft wool blend.',
    },
    {
      id: 'straw-hat',
      sku: 'NW-ACC-001',
      name: 'Straw Sun Hat',
      category: 'accessories',
      price: 34.9,
      description:
        'Woven paper straw with a wide, packable brim and a navy grosgrain ribbon. Light enough to forget you are wearing it.',
    },
    {
      id: 'canvas-tote',
      sku: 'NW-ACC-002',
      name: 'Canvas Tote Bag',
      category: 'accessories',
      price: 29.9,
      description:
        'Heavyweight organic cotton canvas with reinforced navy handles and a screen-printed mountain badge. Fits a beach towel and then some.',
    },
  ].map((p) => Object.freeze({ ...p, currency: /** @type {const} */ ('EUR'), image: `/img/${p.id}.svg` })),
);

/** @param {string} id @returns {Product | undefined} */
export function findProduct(id) {
  return products.find((p) => p.id === id);
}

/** @param {string} slug */
export function categoryLabel(slug) {
  return Object.prototype.hasOwnProperty.call(categories, slug) ? categories[slug] : slug;
}
