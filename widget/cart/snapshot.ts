// The shared vocabulary of the cart adapters: Segment product properties built from whatever a platform says,
// and the "does the shop's cart differ from what the profile knows" check that keeps Cart Viewed rare. Pure.
import type { Profile } from '../profile';

/** Segment product properties: product_id, name, price (major units), quantity, category, image_url … */
export type Line = Record<string, string | number>;
export type Props = Record<string, string | number | Line[]>;
/** The shop's cart, ready to be sent as Cart Viewed. */
export interface Snapshot {
  products: Line[];
  currency: string;
  value: number;
}

type Obj = Record<string, unknown>;
export const obj = (x: unknown): x is Obj => !!x && typeof x == 'object';
/** A number, also from numeric text ("59.90"); NaN otherwise (dropped by `clean`). */
export const num = (v: unknown): number => (typeof v == 'string' ? parseFloat(v) : typeof v == 'number' ? v : NaN);
/** An id as text; undefined stays undefined. */
export const id = (v: unknown): string | undefined => (v == null || v === '' ? undefined : String(v));

/**
 * Keeps what the event schema accepts: finite numbers, non-empty text (at most 2000 characters) and lists
 * (at most 100 entries); drops undefined, null, NaN, empty text and anything else.
 */
export function clean(o: Obj): Props {
  const out: Props = {};
  for (const k in o) {
    const v = o[k];
    if (typeof v == 'number' ? isFinite(v) : typeof v == 'string' && v) out[k] = typeof v == 'string' ? v.slice(0, 2000) : (v as number);
    else if (Array.isArray(v)) out[k] = v.slice(0, 100) as Line[];
  }
  return out;
}

/** The shop's lines as one snapshot: one line per product_id (quantities of repeated ids summed). */
export function snapshot(lines: Props[], currency: string, value: number): Snapshot {
  const by = new Map<string, Line>();
  for (const l of lines as Line[]) {
    const key = l['product_id'];
    if (key === undefined) continue;
    const prev = by.get(key as string);
    by.set(key as string, prev ? { ...prev, quantity: +prev['quantity']! + +l['quantity']! } : l);
  }
  const products = [...by.values()].slice(0, 100);
  // An empty cart says value 0: the profile takes that as "emptied" (and only that).
  return { products, currency, value: products.length && isFinite(value) ? value : 0 };
}

/** Whether the shop's cart holds other products or quantities than the profile's cart. */
export function differs(s: Snapshot, p: Profile): boolean {
  return Object.keys(p.cart).length != s.products.length || s.products.some((l) => p.cart[l['product_id']!]?.quantity !== l['quantity']);
}
