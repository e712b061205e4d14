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
