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
 * Where calling it throws (a broken wrapper, or no fetch at all), the request goes by XMLHttpRequest instead,
 * answered with as much of a Response as the widget reads (ok, status, json). Never throws.
 */
const pageFetch = globalThis.fetch;
type Answer = Pick<Response, 'ok' | 'status' | 'json'>;
export function fetchNow(url: string, init: RequestInit): Promise<Answer> {
  try {
    return pageFetch(url, init);
  } catch {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open(init.method ?? 'GET', url);
      x.onload = () => resolve({ ok: x.status < 300, status: x.status, json: async () => JSON.parse(x.responseText) });
      x.onerror = reject;
      x.send(init.body as string | null | undefined);
    });
  }
}
