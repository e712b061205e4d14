// What the shopper has done, as far as targeting needs it: products and categories viewed, the cart, orders and
// identify traits. Built from the Segment-spec e-commerce events the shop already sends (Product Viewed, Product
// Added, Product Removed, Cart Viewed, Order Completed), as a pure reducer; the engine keeps it in IndexedDB.
export interface CartLine {
  quantity: number;
  /** Unit price in the cart currency (major units, e.g. 59.9). */
  price: number;
  category?: string;
  name?: string;
  /** Product image URL (Segment's `image_url`). */
  image?: string;
}

export interface Profile {
  viewed: { categories: string[]; products: string[] };
  cart: Record<string, CartLine>;
  /** ISO 4217 code of the cart, from the events' `currency`; absent until an event says. */
  currency?: string;
  /** `products`: ids bought, most recent last (absent in profiles stored before it existed). */
  orders: { count: number; total: number; categories: string[]; products?: string[]; last?: number };
  traits: Record<string, string | number | boolean | null>;
}

type Props = Record<string, unknown> | undefined;

const LIST_CAP = 50;

export const emptyProfile = (): Profile => ({
  viewed: { categories: [], products: [] },
  cart: {},
  orders: { count: 0, total: 0, categories: [] },
  traits: {},
});

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** Most recent last, unique, capped. */
const remember = (list: string[], v: string | undefined) => (v === undefined ? list : [...list.filter((x) => x !== v), v].slice(-LIST_CAP));

const productsOf = (p: Props): Record<string, unknown>[] =>
  Array.isArray(p?.['products']) ? (p['products'] as unknown[]).filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : [];

const lineFrom = (item: Record<string, unknown>, quantity: number): CartLine => {
  const line: CartLine = { quantity, price: num(item['price']) ?? 0 };
  for (const [to, from] of [['category'], ['name'], ['image', 'image_url']] as const) {
    const v = str(item[from ?? to]);
    if (v) line[to] = v;
  }
  return line;
};

/** The profile with the cart (and the event's currency, if it names one). */
const withCart = (profile: Profile, cart: Record<string, CartLine>, props: Props): Profile => {
  const currency = str(props?.['currency']);
  return currency ? { ...profile, cart, currency } : { ...profile, cart };
};

/** The profile after one tracked event. Unknown events and malformed props leave it as it was. */
export function applyEvent(profile: Profile, name: string, props: Props, now: number): Profile {
  const id = str(props?.['product_id']) ?? str(props?.['id']);
  switch (name) {
    case 'Product Viewed':
      return {
        ...profile,
        viewed: { categories: remember(profile.viewed.categories, str(props?.['category'])), products: remember(profile.viewed.products, id) },
      };
    case 'Product Added': {
      if (!id) return profile;
      const qty = num(props?.['quantity']) ?? 1;
      const prev = profile.cart[id];
      const line = lineFrom(props ?? {}, (prev?.quantity ?? 0) + qty);
      return withCart(profile, { ...profile.cart, [id]: line }, props);
    }
    case 'Product Removed': {
      if (!id || !profile.cart[id]) return profile;
      const left = profile.cart[id].quantity - (num(props?.['quantity']) ?? profile.cart[id].quantity);
      const cart = { ...profile.cart };
      if (left > 0) cart[id] = { ...cart[id]!, quantity: left };
      else delete cart[id];
      return { ...profile, cart };
    }
    case 'Cart Viewed':
    case 'Checkout Started': {
      // The shop's own view of the cart is the truth: it also knows about lines added before Kairos was installed.
      const products = productsOf(props);
      if (!products.length && num(props?.['value']) !== 0) return profile;
      const cart: Record<string, CartLine> = {};
      for (const item of products) {
        const pid = str(item['product_id']) ?? str(item['id']);
        if (pid) cart[pid] = lineFrom(item, num(item['quantity']) ?? 1);
      }
      return withCart(profile, cart, props);
    }
    case 'Order Completed': {
      const products = productsOf(props);
      const total = num(props?.['total']) ?? num(props?.['revenue']) ?? 0;
      let categories = profile.orders.categories;
      let bought = profile.orders.products ?? [];
      for (const item of products) (categories = remember(categories, str(item['category']))), (bought = remember(bought, str(item['product_id']) ?? str(item['id'])));
      return { ...profile, cart: {}, orders: { count: profile.orders.count + 1, total: profile.orders.total + total, categories, products: bought, last: now } };
    }
    default:
      return profile;
  }
}

export function applyTraits(profile: Profile, traits: Props): Profile {
  if (!traits) return profile;
  const next = { ...profile.traits };
  for (const [k, v] of Object.entries(traits))
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') next[k] = v;
  return { ...profile, traits: next };
}

export const cartItems = (p: Profile) => Object.values(p.cart).reduce((n, l) => n + l.quantity, 0);
export const cartValue = (p: Profile) => Math.round(Object.values(p.cart).reduce((n, l) => n + l.quantity * l.price, 0) * 100) / 100;

export const isProfile = (v: unknown): v is Profile =>
  !!v && typeof v === 'object' && typeof (v as Profile).cart === 'object' && typeof (v as Profile).orders === 'object';
