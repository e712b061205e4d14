// The WooCommerce Store API cart (GET /wp-json/wc/store/v1/cart) → a cart snapshot. Pure. Prices there are
// text in minor units ("1299") with their `currency_minor_unit` (2: cents); a variation's id is its product_id.
import { clean, id, num, obj, snapshot, type Snapshot } from './snapshot';

const minor = (m: Record<string, unknown>, key: string) => Math.round(num(m[key])) / 10 ** (typeof m['currency_minor_unit'] == 'number' ? m['currency_minor_unit'] : 2);

export function wooCart(c: unknown, currency: string): Snapshot | undefined {
  if (!obj(c) || !Array.isArray(c['items'])) return undefined;
  const totals = obj(c['totals']) ? c['totals'] : {};
  const lines = c['items'].filter(obj).map((i) => {
    const prices = obj(i['prices']) ? i['prices'] : {};
    const image = Array.isArray(i['images']) && obj(i['images'][0]) ? i['images'][0] : {};
    return clean({
      product_id: id(i['id']),
      name: i['name'],
      variant: Array.isArray(i['variation']) ? i['variation'].map((v) => (obj(v) ? v['value'] : '')).join(' / ') : '',
      price: minor(prices, 'price'),
      quantity: num(i['quantity']),
      image_url: image['src'],
    });
  });
  const code = totals['currency_code'];
  return snapshot(lines, (typeof code == 'string' && code) || currency, minor(totals, 'total_price'));
}
