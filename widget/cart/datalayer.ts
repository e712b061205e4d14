// GA4 e-commerce on window.dataLayer → Segment e-commerce events. Pure: one dataLayer entry in, the events out.
// An entry is a GTM-style object ({ event: 'add_to_cart', ecommerce: { currency, value, items } }) or what gtag()
// pushes: its `arguments` (['event', 'add_to_cart', { currency, value, items }]).
import { clean, id, num, obj, type Props } from './snapshot';

const EVENTS: Record<string, string> = {
  view_item: 'Product Viewed',
  add_to_cart: 'Product Added',
  remove_from_cart: 'Product Removed',
  view_cart: 'Cart Viewed',
  begin_checkout: 'Checkout Started',
  purchase: 'Order Completed',
};

/** A GA4 item as Segment product properties (an image only from the non-standard image_url / image). */
export const gaProduct = (i: Record<string, unknown>): Props =>
  clean({
    product_id: id(i['item_id']) ?? id(i['item_name']),
    name: i['item_name'],
    price: num(i['price']),
    quantity: num(i['quantity'] ?? 1),
    category: i['item_category'],
    variant: i['item_variant'],
    image_url: i['image_url'] ?? i['image'],
  });

/** The Segment events one dataLayer entry stands for; none for anything else (including `{ ecommerce: null }`). */
export function fromDataLayer(entry: unknown, currency: string): [string, Props][] {
  if (!obj(entry)) return [];
  const gtag = entry[0] === 'event';
  const event = gtag ? entry[1] : entry['event'];
  const e = gtag ? entry[2] : entry['ecommerce'];
  const name = EVENTS[event as string];
  if (!obj(e) || typeof name != 'string') return [];
  const items = Array.isArray(e['items']) ? e['items'].filter(obj).map(gaProduct) : [];
  const cur = (typeof e['currency'] == 'string' && e['currency']) || currency;
  if (event == 'view_item') items.length = Math.min(items.length, 1);
  if (event == 'view_item' || event == 'add_to_cart' || event == 'remove_from_cart') return items.map((p) => [name, { ...p, currency: cur }]);
  const value = num(e['value']);
  return [
    [
      name,
      clean(
        event == 'purchase'
          ? { order_id: id(e['transaction_id']), total: value, revenue: value, currency: cur, products: items }
          : { currency: cur, value, products: items },
      ),
    ],
  ];
}
