// The SSRF guard: a webhook endpoint comes from the config, but a URL that looks public can resolve to the
// server's own network (a metadata service, an admin port on localhost). Unless `webhooks.allow_private_networks`
// is set, an endpoint whose address is loopback, private, link-local, unique-local, CGNAT, "this network",
// multicast or reserved — or an IPv4-mapped / NAT64 IPv6 form of those — is refused.
//
// The check sits in the `lookup` that the HTTP client connects with, so the address checked is the address
// connected to (no gap for DNS rebinding between a check and the connect). Literal IP hosts never reach a lookup
// (node connects to them directly), so they are checked before the request.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** IPv4 ranges never reachable as webhook endpoints. */
const V4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];

/** IPv6 ranges never reachable as webhook endpoints. */
const V6: ReadonlyArray<[string, number]> = [
  ['::', 96], // unspecified (::), loopback (::1) and the deprecated IPv4-compatible addresses
  ['100::', 64], // discard
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const blocked = new BlockList();
for (const [net, prefix] of V4) {
  blocked.addSubnet(net, prefix, 'ipv4');
  // The same addresses written as IPv6: IPv4-mapped (::ffff:10.0.0.1) and through the NAT64 prefix.
  blocked.addSubnet(`::ffff:${net}`, 96 + prefix, 'ipv6');
  blocked.addSubnet(`64:ff9b::${net}`, 96 + prefix, 'ipv6');
}
for (const [net, prefix] of V6) blocked.addSubnet(net, prefix, 'ipv6');

/** True for an address a webhook may not be sent to (and for anything that is not an IP address). */
export function isForbiddenAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // [::1] → ::1, fe80::1%eth0 → fe80::1
  const family = isIP(ip);
  if (family === 0) return true;
  return blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

export class ForbiddenAddressError extends Error {
  readonly code = 'EKAIROSFORBIDDEN';
}

const refusal = (host: string, address: string) =>
  new ForbiddenAddressError(
    host === address
      ? `refused: ${address} is a loopback, private or link-local address (set webhooks.allow_private_networks: true to allow)`
      : `refused: ${host} resolves to ${address}, a loopback, private or link-local address (set webhooks.allow_private_networks: true to allow)`,
  );

/** For a URL's hostname: an error if it is a literal IP address that is forbidden. Names are checked at lookup. */
export function checkLiteralHost(hostname: string): ForbiddenAddressError | null {
  const ip = hostname.replace(/^\[|\]$/g, '');
  return isIP(ip.replace(/%.*$/, '')) !== 0 && isForbiddenAddress(ip) ? refusal(ip, ip) : null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A drop-in for dns.lookup (the `lookup` option of http.request / net.connect) that fails when any address the
 * name resolves to is forbidden: a name with one private address among public ones is refused as a whole.
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isForbiddenAddress(a.address));
    if (bad) return callback(refusal(hostname, bad.address), '');
    if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
    if (options.all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}
