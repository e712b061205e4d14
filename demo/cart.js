// The cart model: { cart_id, items: [{ id, quantity }] } persisted in localStorage under `kairos-demo-cart`.
// Storage can be unavailable (private mode, disabled cookies, quota): then the cart lives in memory.

export const CART_KEY = 'kairos-demo-cart';
export const MAX_QUANTITY = 99;

/** @typedef {{ id: string, quantity: number }} CartItem */
/** @typedef {{ cart_id: string | null, items: CartItem[] }} Cart */

let storageUsable = true;
/** @type {Cart} */
let memory = { cart_id: null, items: [] };
/** @type {Set<(cart: Cart) => void>} */
const listeners = new Set();

/** A random id of [a-z0-9], `length` characters long. */
export function randomId(length = 16) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  try {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    for (const b of bytes) out += alphabet[b % alphabet.length];
  } catch {
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  }
  return out;
}

/** @param {unknown} n */
function clampQuantity(n) {
  const q = Math.floor(Number(n));
  return Number.isFinite(q) ? Math.min(Math.max(q, 0), MAX_QUANTITY) : 0;
}

/** Anything read from storage is untrusted: keep only well-formed items. @returns {Cart} */
function sanitise(raw) {
  const cart = { cart_id: null, items: [] };
  if (!raw || typeof raw !== 'object') return cart;
  if (typeof raw.cart_id === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(raw.cart_id)) cart.cart_id = raw.cart_id;
  if (Array.isArray(raw.items)) {
    for (const item of raw.items) {
      if (!item || typeof item.id !== 'string' || cart.items.some((i) => i.id === item.id)) continue;
      const quantity = clampQuantity(item.quantity);
      if (quantity > 0) cart.items.push({ id: item.id, quantity });
    }
  }
  return cart;
}

/** @param {Cart} cart @returns {Cart} */
function copy(cart) {
  return { cart_id: cart.cart_id, items: cart.items.map((i) => ({ ...i })) };
}

/** The current cart (a copy: change it through the functions below). @returns {Cart} */
export function getCart() {
  if (storageUsable) {
    try {
      const stored = window.localStorage.getItem(CART_KEY);
      memory = stored === null ? { cart_id: null, items: [] } : sanitise(JSON.parse(stored));
    } catch (err) {
      // JSON.parse failures mean a corrupt entry: start afresh. Anything else: storage is unusable.
      if (!(err instanceof SyntaxError)) storageUsable = false;
    }
  }
  return copy(memory);
}

/** @param {Cart} cart */
function save(cart) {
  memory = copy(cart);
  if (storageUsable) {
    try {
      if (cart.items.length === 0 && cart.cart_id === null) window.localStorage.removeItem(CART_KEY);
      else window.localStorage.setItem(CART_KEY, JSON.stringify(cart));
    } catch {
      storageUsable = false;
    }
  }
  notify();
}

function notify() {
  const cart = copy(memory);
  for (const fn of listeners) {
    try {
      fn(cart);
    } catch (err) {
      console.error(err);
    }
  }
}

/**
 * Adds `quantity` of a product (capped at MAX_QUANTITY per line). A cart without an id gets a new one.
 * @returns {{ cart: Cart, added: number }} `added` is how many were actually added.
 */
export function addItem(id, quantity = 1) {
  const cart = getCart();
  if (!cart.cart_id) cart.cart_id = `cart_${randomId()}`;
  const wanted = clampQuantity(quantity);
  const line = cart.items.find((i) => i.id === id);
  const before = line ? line.quantity : 0;
  const after = Math.min(before + wanted, MAX_QUANTITY);
  if (line) line.quantity = after;
  else if (after > 0) cart.items.push({ id, quantity: after });
  save(cart);
  return { cart, added: after - before };
}

/**
 * Sets a line's quantity; 0 or less removes it.
 * @returns {{ cart: Cart, before: number, after: number }}
 */
export function setQuantity(id, quantity) {
  const cart = getCart();
  const line = cart.items.find((i) => i.id === id);
  if (!line) return { cart, before: 0, after: 0 };
  const before = line.quantity;
  const after = clampQuantity(quantity);
  if (after === 0) cart.items = cart.items.filter((i) => i.id !== id);
  else line.quantity = after;
  save(cart);
  return { cart, before, after };
}

/** Removes a line. @returns {{ cart: Cart, removed: number }} how many units were removed. */
export function removeItem(id) {
  const { cart, before } = setQuantity(id, 0);
  return { cart, removed: before };
}

/** Empties the cart and forgets its id: the next item starts a new cart. */
export function clearCart() {
  save({ cart_id: null, items: [] });
}

/** @param {Cart} [cart] */
export function itemCount(cart = getCart()) {
  return cart.items.reduce((n, i) => n + i.quantity, 0);
}

/** Calls `fn(cart)` whenever the cart changes, here or in another tab. @returns {() => void} unsubscribe */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Re-reads storage and tells subscribers, e.g. after a back/forward cache restore. */
export function refresh() {
  getCart();
  notify();
}

try {
  window.addEventListener('storage', (event) => {
    if (event.key === CART_KEY || event.key === null) refresh();
  });
} catch {
  // No window events (not a browser): nothing to sync.
}
