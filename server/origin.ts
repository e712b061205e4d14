// Which browser origins may call /v1/*: the server itself plus site.allowed_origins from the live config.
//
// "The server itself" is the host the request was sent to (the Host header, as the URL the adapter builds from
// it), under either scheme: behind a TLS-terminating proxy the server sees http:// while the page's Origin says
// https:// for the same host. A page can only carry this server's host in its Origin if that host served the
// page, so this admits nobody else. localhost, 127.0.0.1 and [::1] on the same port count as one server, so the
// demo works whichever of them is in the address bar. A proxy that rewrites Host needs the public origin in
// site.allowed_origins.

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Normalised allow-lists, per config object (configs are immutable; a reload brings a new array). */
const normalised = new WeakMap<readonly string[], Set<string>>();

function allowList(origins: readonly string[]): Set<string> {
  let set = normalised.get(origins);
  if (!set) {
    set = new Set(origins.map(normaliseOrigin).filter((o): o is string => o !== undefined));
    normalised.set(origins, set);
  }
  return set;
}

/** Origins seen lately, normalised: a shop's pages send the same few on every request. Bounded. */
const seen = new Map<string, string | undefined>();

/** `https://Shop.example:443` → `https://shop.example`; undefined for anything that is not an http(s) origin. */
export function normaliseOrigin(origin: string): string | undefined {
  if (seen.has(origin)) return seen.get(origin);
  if (seen.size >= 1000) seen.clear();
  const o = parseOrigin(origin);
  seen.set(origin, o);
  return o;
}

function parseOrigin(origin: string): string | undefined {
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

export function isAllowedOrigin(origin: string, requestUrl: string, allowed: readonly string[]): boolean {
  const o = normaliseOrigin(origin);
  if (!o) return false; // includes the opaque origin "null" (sandboxed frames, file:)
  if (allowList(allowed).has(o)) return true;
  let self: URL;
  let from: URL;
  try {
    self = new URL(requestUrl);
    from = new URL(o);
  } catch {
    return false;
  }
  if (from.host === self.host) return true;
  return LOOPBACK.has(from.hostname) && LOOPBACK.has(self.hostname) && portOf(from) === portOf(self);
}

function portOf(u: URL): string {
  return u.port || (u.protocol === 'https:' ? '443' : '80');
}
