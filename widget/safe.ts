// One error boundary for every entry point: nothing Kairos throws may reach the host page
// (PRODUCT.md, "Never harm the host page"). Errors are logged once each, and only in debug mode.

let debug = false;
const seen = new Set<string>();

export function setDebug(on: boolean): void {
  debug = on;
}

export function isDebug(): boolean {
  return debug;
}

export function report(where: string, err: unknown): void {
  if (!debug) return;
  try {
    const key = where + ':' + String(err);
    if (seen.has(key)) return;
    seen.add(key);
    console.warn('[kairos] ' + where, err);
  } catch {
    // console itself may be patched or missing
  }
}

/** Wraps a callback so it can never throw, and so a returned promise can never reject unhandled. */
export function safe<A extends unknown[]>(where: string, fn: (...args: A) => unknown): (...args: A) => void {
  return (...args: A) => {
    try {
      const r = fn(...args);
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(undefined, (e: unknown) => report(where, e));
      }
    } catch (e) {
      report(where, e);
    }
  };
}

/**
 * JSON.stringify as the standard has it, even on a page where Prototype.js 1.6 put a `toJSON` on Array.prototype
 * (which would turn every array into a string: segmentio/analytics.js#626). Taken off for this one synchronous call.
 */
export function json(value: unknown): string {
  const p = Array.prototype as { toJSON?: unknown };
  const t = p.toJSON;
  delete p.toJSON;
  try {
    return JSON.stringify(value);
  } finally {
    if (t) p.toJSON = t;
  }
}

/**
 * The page's `fetch` as it was when Kairos loaded: a wrapper the page installs later cannot change what we send.
 * A call that throws at once (a broken wrapper installed earlier) becomes a rejection, which the callers handle.
 */
const pageFetch = globalThis.fetch;
export const fetchNow = async (...a: Parameters<typeof fetch>) => pageFetch(...a);
