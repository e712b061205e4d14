// Who is the client, without keeping who they are: an opaque id from (address, user agent) for the things
// that must tell clients apart (rate limits on the write routes; presence dedup if it ever needs more than the
// visitor id), and the trusted-proxy rule that picks the address.
//
// The id is SHA-256(salt ‖ address ‖ '\0' ‖ user agent), cut to 128 bits, base64url (22 characters). The salt
// is the Plausible scheme: 32 random bytes, held only in this process's memory — never logged, never written
// anywhere, never answered — and replaced when the UTC day changes, the old one wiped and dropped: the hasher
// never holds more than today's salt. So an id cannot be reversed to an address by trying all addresses
// (the salt is unknown), and one visitor's ids of two days cannot be linked, not even by whoever runs the
// server, because yesterday's salt no longer exists. A restart starts a new salt too: fine for what the ids are
// for (a rate-limit bucket starts full again, at most one extra burst a day). With several instances behind a
// load balancer and REDIS_URL, the day's salt and the buckets are shared through Redis (server/shared-limits.ts,
// which says what that costs); without Redis each instance has its own salt and counts its own share.
//
// The address: the socket's peer by default. Behind proxies we run (a load balancer, a CDN), the peer is the
// proxy, and each proxy appends the address it saw to X-Forwarded-For; with KAIROS_TRUST_PROXY_HOPS=N the
// client is the N-th entry from the right — the left part of the header is whatever the client sent and is
// never believed. With 0 (the default) the header is ignored: any client can send it.
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

export interface ClientHasher {
  /** The opaque id of a client: 22 base64url characters; the same for the same inputs until the UTC day changes. */
  hash(address: string, userAgent: string): string;
  /** The UTC day (YYYY-MM-DD) of the one salt held: for tests. */
  day(): string;
}

export interface ClientHasherOptions {
  /** Epoch ms; the salt is replaced when its UTC day changes (either way: a clock set back gets a new salt too). */
  now: () => number;
  /** Where salts come from; default crypto.randomBytes. Tests pass their own to check the salt never leaks. */
  random?: (size: number) => Buffer;
  /**
   * The fleet's salt for a UTC day (server/shared-limits.ts, with REDIS_URL), so every instance gives a client the
   * same id; while it gives none, this process's own salt is used.
   */
  shared?: (day: string) => Buffer | undefined;
}

export const SALT_BYTES = 32;

export function createClientHasher(opts: ClientHasherOptions): ClientHasher {
  const random = opts.random ?? randomBytes;
  // The only salt there is. Replaced (and the old bytes zeroed) on a new UTC day.
  let held = { day: utcDay(opts.now()), salt: random(SALT_BYTES) };

  const current = () => {
    const today = utcDay(opts.now());
    const shared = opts.shared?.(today);
    if (shared) return shared;
    if (today !== held.day) {
      held.salt.fill(0);
      held = { day: today, salt: random(SALT_BYTES) };
    }
    return held.salt;
  };

  return {
    hash(address, userAgent) {
      const h = createHash('sha256').update(current()).update(address).update('\0').update(userAgent);
      return h.digest().subarray(0, 16).toString('base64url');
    },
    day() {
      current();
      return held.day;
    },
  };
}

/** 'YYYY-MM-DD' in UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

// --- the client's address -------------------------------------------------------------------------------------

/**
 * The client as the trusted proxies saw it: the `hops`-th address from the right of an X-Forwarded-For value
 * (several headers arrive joined by ", "), or the leftmost when there are fewer entries than hops (the outer
 * proxies were not on the way; the entry there is still one a trusted proxy wrote). Undefined with hops 0, no
 * header, or when any entry from the chosen one to the right is not an IP address (a misbehaving proxy): the
 * caller then uses the socket's peer. Ports and IPv6 brackets are stripped, IPv4-mapped IPv6 becomes IPv4.
 */
export function forwardedClient(header: string | undefined, hops: number): string | undefined {
  if (!(hops > 0) || header === undefined) return undefined;
  const entries = header.split(',').map((e) => e.trim());
  const trusted = entries.slice(Math.max(0, entries.length - hops));
  const addresses = trusted.map(normalizeAddress);
  if (addresses.some((a) => a === undefined)) return undefined;
  return addresses[0];
}

/**
 * The address to key a client by (and to look up in GeoIP): X-Forwarded-For as far as `hops` proxies vouch for
 * it, else the socket's peer; undefined when neither is known (an in-process request has no socket).
 */
export function clientAddress(req: { forwardedFor: string | undefined; socket: string | undefined; hops: number }): string | undefined {
  return forwardedClient(req.forwardedFor, req.hops) ?? (req.socket === undefined ? undefined : normalizeAddress(req.socket));
}

/** An IPv4 or IPv6 address, as written in a header or by a socket, in one form; undefined if it is not one. */
export function normalizeAddress(raw: string): string | undefined {
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(a); // [2001:db8::1] or [2001:db8::1]:443
  if (bracketed) a = bracketed[1]!;
  else {
    const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(a); // 192.0.2.1:443 (Azure, some LBs)
    if (withPort) a = withPort[1]!;
  }
  const version = isIP(a);
  if (version === 4) return a;
  if (version !== 6) return undefined;
  a = a.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  return mapped && isIP(mapped[1]!) === 4 ? mapped[1] : a;
}

/** KAIROS_TRUST_PROXY_HOPS: an integer ≥ 0, default 0; anything else is warned about and 0 is used. */
export function trustProxyHopsFromEnv(env: NodeJS.ProcessEnv, warn: (msg: string) => void = () => undefined): number {
  const raw = env['KAIROS_TRUST_PROXY_HOPS'];
  if (raw === undefined || raw.trim() === '') return 0;
  if (/^\d{1,3}$/.test(raw.trim())) return Number(raw.trim());
  warn(`KAIROS_TRUST_PROXY_HOPS=${raw} is not a number of proxies (0, 1, 2, …); ignoring X-Forwarded-For`);
  return 0;
}
