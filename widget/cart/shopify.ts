// Shopify's Ajax Cart API (GET /cart.js) → a cart snapshot. Pure. Prices there are integers in cents (the
// amount × 100, whatever the currency); a line is a variant, so the variant id is the product_id.
import { clean, id, num, obj, snapshot, type Snapshot } from './snapshot';

const cents = (v: unknown) => num(v) / 100;

export function shopifyCart(c: unknown, currency: string): Snapshot | undefined {
  if (!obj(c) || !Array.isArray(c['items'])) return undefined;
  const lines = c['items'].filter(obj).map((i) =>
    clean({
      product_id: id(i['variant_id'] ?? i['id']),
      name: i['product_title'] ?? i['title'],
      variant: i['variant_title'],
      price: cents(i['price']),
      quantity: num(i['quantity']),
      category: i['product_type'],
      image_url: (obj(i['featured_image']) && i['featured_image']['url']) || i['image'],
    }),
  );
  return snapshot(lines, (typeof c['currency'] == 'string' && c['currency']) || currency, cents(c['total_price']));
}
