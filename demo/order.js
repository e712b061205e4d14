// The last placed order, kept in sessionStorage for the order-complete page (and a memory fallback).
import { randomId } from './cart.js';

export const ORDER_KEY = 'kairos-demo-last-order';
export const REPORTED_KEY = 'kairos-demo-order-reported';

const memory = new Map();

function sessionGet(key) {
  try {
    const value = window.sessionStorage.getItem(key);
    if (value !== null) return value;
  } catch {
    // Storage unavailable: fall through to memory.
  }
  return memory.get(key) ?? null;
}

function sessionSet(key, value) {
  memory.set(key, value);
  try {
    window.sessionStorage.setItem(key, value);
  } catch {
    // Memory only.
  }
}

export function newOrderId() {
  return `ORD-${randomId(10).toUpperCase()}`;
}

/**
 * @typedef {{ id: string, sku: string, name: string, category: string, price: number, image: string, quantity: number }} OrderItem
 * @typedef {{ order_id: string, cart_id: string | null, currency: 'EUR', total: number, created_at: number, email: string, items: OrderItem[] }} Order
 */

/** @param {Order} order */
export function saveLastOrder(order) {
  sessionSet(ORDER_KEY, JSON.stringify(order));
}

/** @returns {Order | null} */
export function loadLastOrder() {
  const raw = sessionGet(ORDER_KEY);
  if (!raw) return null;
  try {
    const order = JSON.parse(raw);
    if (!order || typeof order.order_id !== 'string' || !Array.isArray(order.items)) return null;
    const items = order.items.filter(
      (i) => i && typeof i.id === 'string' && typeof i.name === 'string' && Number.isFinite(i.price) && Number.isInteger(i.quantity) && i.quantity > 0,
    );
    return { ...order, items };
  } catch {
    return null;
  }
}

/** True the first time it is called for an order in this tab's session, false on reloads. */
export function markReported(orderId) {
  if (sessionGet(REPORTED_KEY) === orderId) return false;
  sessionSet(REPORTED_KEY, orderId);
  return true;
}
