// The daily-salted client hash (server/client-hash.ts): stable within a UTC day, different across days, one salt
// held at a time and never in the output; and the trusted-proxy rule that picks the client's address from
// X-Forwarded-For, as a table.
import { randomBytes } from 'node:crypto';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  clientAddress,
  createClientHasher,
  forwardedClient,
  normalizeAddress,
  SALT_BYTES,
  trustProxyHopsFromEnv,
  utcDay,
} from '../server/client-hash';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36';
const DAY = 86_400_000;
const day1 = Date.UTC(2026, 6, 1, 0, 0, 0);

/** A hasher on a movable clock whose salts the test can see. */
function setup(start = day1 + 9 * 3600_000) {
  let clock = start;
  const salts: Buffer[] = [];
  const hasher = createClientHasher({
    now: () => clock,
    random: (n) => {
      const salt = randomBytes(n);
      salts.push(salt);
      return salt;
    },
  });
  return { hasher, salts, at: (t: number) => void (clock = t), get clock() { return clock; } };
}

describe('createClientHasher', () => {
  it('same inputs the same day: the same short base64url id', () => {
    const { hasher, at } = setup();
    const a = hasher.hash('203.0.113.9', UA);
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    at(day1 + 23 * 3600_000 + 59 * 60_000 + 59_999); // 23:59:59.999 UTC, same day
    expect(hasher.hash('203.0.113.9', UA)).toBe(a);
    expect(hasher.day()).toBe('2026-07-01');
  });

  it('a different address or user agent: a different id', () => {
    const { hasher } = setup();
    const ids = new Set([
      hasher.hash('203.0.113.9', UA),
      hasher.hash('203.0.113.10', UA),
      hasher.hash('203.0.113.9', UA + ' Edg/140.0'),
      hasher.hash('203.0.113.9', ''),
      hasher.hash('2001:db8::9', UA),
      // The separator keeps the fields apart: "a" + "bc" is not "ab" + "c".
      hasher.hash('203.0.113.9x', 'y'),
      hasher.hash('203.0.113.9', 'xy'),
    ]);
    expect(ids.size).toBe(7);
  });

  it('two hashers (two processes, a restart) have different salts: different ids for the same client', () => {
    expect(setup().hasher.hash('203.0.113.9', UA)).not.toBe(setup().hasher.hash('203.0.113.9', UA));
  });

  it('the salt rotates at the UTC day change: the next day gives a different id for the same inputs', () => {
    const { hasher, salts, at } = setup();
    const monday = hasher.hash('203.0.113.9', UA);
    expect(salts).toHaveLength(1);
    at(day1 + DAY); // 00:00:00.000 UTC the next day
    const tuesday = hasher.hash('203.0.113.9', UA);
    expect(tuesday).not.toBe(monday);
    expect(hasher.day()).toBe('2026-07-02');
    expect(hasher.hash('203.0.113.9', UA)).toBe(tuesday); // stable again within the new day
    expect(salts).toHaveLength(2);
  });

  it('holds one salt only: the old one is wiped, and even the old day cannot bring its ids back', () => {
    const { hasher, salts, at } = setup();
    const monday = hasher.hash('203.0.113.9', UA);
    for (let i = 0; i < 50; i++) hasher.hash(`198.51.100.${i}`, UA); // many hashes, one salt
    expect(salts).toHaveLength(1);
    at(day1 + DAY + 1);
    hasher.hash('203.0.113.9', UA);
    expect(salts).toHaveLength(2);
    expect(salts[0]!.equals(Buffer.alloc(SALT_BYTES))).toBe(true); // zeroed
    expect(salts[1]!.equals(Buffer.alloc(SALT_BYTES))).toBe(false);
    // A clock set back to Monday gets a third salt, not Monday's: Monday's ids are gone for good.
    at(day1 + 9 * 3600_000);
    expect(hasher.hash('203.0.113.9', UA)).not.toBe(monday);
    expect(salts).toHaveLength(3);
    expect(salts[1]!.equals(Buffer.alloc(SALT_BYTES))).toBe(true);
  });

  it('the salt never appears in the output, nor on the hasher', () => {
    const { hasher, salts } = setup();
    const ids = Array.from({ length: 200 }, (_, i) => hasher.hash(`10.0.${i >> 8}.${i & 255}`, UA));
    const salt = salts[0]!;
    const forms = [salt.toString('hex'), salt.toString('base64'), salt.toString('base64url'), salt.toString('latin1')];
    for (const id of ids) {
      // 22 characters of a digest, never a run of the salt's own encodings (8 characters is ~2^-48 by chance).
      for (const f of forms) for (let i = 0; i + 8 <= f.length; i += 4) expect(id).not.toContain(f.slice(i, i + 8));
    }
    // Nothing on the object to read it from: two functions, no state.
    expect(Object.keys(hasher).sort()).toEqual(['day', 'hash']);
    expect(JSON.stringify(hasher)).toBe('{}');
  });

  fcTest.prop([fc.oneof(fc.ipV4(), fc.ipV6()), fc.string({ minLength: 8, maxLength: 200 })], { numRuns: 500 })(
    'an id never contains the address or the user agent, and has one shape',
    (address, ua) => {
      const { hasher } = setup();
      const id = hasher.hash(address, ua);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(id).not.toContain(address);
      expect(id).not.toContain(ua);
    },
  );

  it('utcDay is the UTC calendar day, whatever the local zone', () => {
    expect(utcDay(Date.UTC(2026, 0, 1, 23, 59, 59, 999))).toBe('2026-01-01');
    expect(utcDay(Date.UTC(2026, 0, 2))).toBe('2026-01-02');
  });
});

describe('the client address', () => {
  // [X-Forwarded-For, hops, expected client (undefined: use the socket's peer)]
  const table: Array<[string | undefined, number, string | undefined]> = [
    // hops 0: the header is never read
    ['203.0.113.9', 0, undefined],
    ['203.0.113.9, 10.0.0.1', 0, undefined],
    // no header
    [undefined, 1, undefined],
    // one proxy: the rightmost entry is what it saw; anything left of it is the client's own claim
    ['203.0.113.9', 1, '203.0.113.9'],
    ['1.1.1.1, 203.0.113.9', 1, '203.0.113.9'],
    ['spoofed, 1.1.1.1, 203.0.113.9', 1, '203.0.113.9'],
    // two proxies: the second from the right
    ['203.0.113.9, 10.0.0.2', 2, '203.0.113.9'],
    ['6.6.6.6, 203.0.113.9, 10.0.0.2', 2, '203.0.113.9'],
    // fewer entries than hops: the leftmost, which a trusted proxy wrote
    ['203.0.113.9', 2, '203.0.113.9'],
    ['203.0.113.9, 10.0.0.2', 5, '203.0.113.9'],
    // spaces, tabs, no spaces
    ['  203.0.113.9  ', 1, '203.0.113.9'],
    ['6.6.6.6,203.0.113.9,10.0.0.2', 2, '203.0.113.9'],
    ['6.6.6.6 ,\t203.0.113.9 , 10.0.0.2', 2, '203.0.113.9'],
    // IPv6: plain, bracketed, with a port, upper case, IPv4-mapped
    ['2001:db8::9', 1, '2001:db8::9'],
    ['[2001:db8::9]', 1, '2001:db8::9'],
    ['[2001:db8::9]:51234', 1, '2001:db8::9'],
    ['2001:DB8::9', 1, '2001:db8::9'],
    ['::ffff:203.0.113.9', 1, '203.0.113.9'],
    ['6.6.6.6, 2001:db8::9, 10.0.0.2', 2, '2001:db8::9'],
    // IPv4 with a port
    ['203.0.113.9:51234', 1, '203.0.113.9'],
    // malformed: nothing usable in the trusted part, so the socket's peer counts
    ['', 1, undefined],
    [' ', 1, undefined],
    ['unknown', 1, undefined],
    ['not an address', 1, undefined],
    ['203.0.113.999', 1, undefined],
    ['203.0.113', 1, undefined],
    ['203.0.113.9,', 1, undefined], // a trailing comma: the rightmost entry is empty
    ['203.0.113.9, , 10.0.0.2', 2, undefined],
    ['203.0.113.9, garbage', 2, undefined], // a trusted proxy wrote garbage
    ['2001:db8::9:51234:1:2:3:4:5', 1, undefined],
    ['[2001:db8::9', 1, undefined],
    ['203.0.113.9 10.0.0.2', 1, undefined], // two addresses without a comma
    // malformed only left of the trusted part: the client's own claim, never read
    ['<script>, 203.0.113.9', 1, '203.0.113.9'],
    [',,, 203.0.113.9, 10.0.0.2', 2, '203.0.113.9'],
  ];
  it.each(table)('X-Forwarded-For %j with %i hops → %j', (header, hops, expected) => {
    expect(forwardedClient(header, hops)).toBe(expected);
  });

  it('falls back to the socket peer, normalised; with neither, undefined', () => {
    expect(clientAddress({ forwardedFor: '203.0.113.9', socket: '::ffff:127.0.0.1', hops: 0 })).toBe('127.0.0.1');
    expect(clientAddress({ forwardedFor: 'garbage', socket: '10.0.0.2', hops: 1 })).toBe('10.0.0.2');
    expect(clientAddress({ forwardedFor: undefined, socket: '10.0.0.2', hops: 1 })).toBe('10.0.0.2');
    expect(clientAddress({ forwardedFor: '203.0.113.9', socket: '10.0.0.2', hops: 1 })).toBe('203.0.113.9');
    expect(clientAddress({ forwardedFor: undefined, socket: undefined, hops: 0 })).toBeUndefined();
  });

  it('normalizeAddress accepts addresses only', () => {
    expect(normalizeAddress('::1')).toBe('::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1%eth0');
    expect(normalizeAddress('localhost')).toBeUndefined();
    expect(normalizeAddress('203.0.113.09')).toBeUndefined();
  });

  it.each([
    [undefined, 0, false],
    ['', 0, false],
    ['0', 0, false],
    ['1', 1, false],
    [' 2 ', 2, false],
    ['-1', 0, true],
    ['1.5', 0, true],
    ['yes', 0, true],
    ['true', 0, true],
  ] as const)('KAIROS_TRUST_PROXY_HOPS=%j → %i (warned: %s)', (value, hops, warned) => {
    const warnings: string[] = [];
    expect(trustProxyHopsFromEnv(value === undefined ? {} : { KAIROS_TRUST_PROXY_HOPS: value }, (m) => warnings.push(m))).toBe(hops);
    expect(warnings.length > 0).toBe(warned);
  });
});
