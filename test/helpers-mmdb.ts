// A MaxMind DB (.mmdb) writer just big enough for tests: no well-kept npm package writes the format, and real
// GeoIP databases are far too large (and licensed) to commit. Follows the MaxMind DB spec v2.0:
//
//   [binary search tree][16 zero bytes][data section]["\xAB\xCD\xEFMaxMind.com"][metadata map]
//
// The tree has one level per address bit (32 for an IPv4 database, 128 for IPv6, where IPv4 networks live
// under ::/96); each node holds two records (left: bit 0, right: bit 1) of 24 or 28 bits. A record below
// node_count is the next node, node_count itself means "no data", and node_count + 16 + offset points at a
// value in the data section. Values are typed by a control byte: type in the top 3 bits (0 = extended: the type
// minus 7 follows in the next byte), the payload size in the low 5 bits (29, 30, 31: 1, 2, 3 more size bytes).
// Networks must not overlap (no record is both data and a subtree).

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue } | Typed;
interface Typed {
  $type: 'uint16' | 'uint32' | 'uint64' | 'double';
  value: number;
}
export const u16 = (value: number): Typed => ({ $type: 'uint16', value });
export const u32 = (value: number): Typed => ({ $type: 'uint32', value });
export const u64 = (value: number): Typed => ({ $type: 'uint64', value });
export const f64 = (value: number): Typed => ({ $type: 'double', value });

const TYPE = { utf8: 2, double: 3, uint16: 5, uint32: 6, map: 7, uint64: 9, array: 11, boolean: 14 } as const;

function control(type: number, size: number): Buffer {
  const extended = type > 7;
  let bits: number;
  let extra: number[];
  if (size < 29) [bits, extra] = [size, []];
  else if (size < 285) [bits, extra] = [29, [size - 29]];
  else if (size < 65_821) [bits, extra] = [30, [(size - 285) >> 8, (size - 285) & 0xff]];
  else [bits, extra] = [31, [(size - 65_821) >> 16, ((size - 65_821) >> 8) & 0xff, (size - 65_821) & 0xff]];
  return Buffer.from([((extended ? 0 : type) << 5) | bits, ...(extended ? [type - 7] : []), ...extra]);
}

function unsigned(type: number, n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256); // big-endian, no leading zeros
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

export function encode(v: MmdbValue): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([control(TYPE.utf8, b.length), b]);
  }
  if (typeof v === 'boolean') return control(TYPE.boolean, v ? 1 : 0);
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v < 2 ** 32 ? unsigned(TYPE.uint32, v) : encode(f64(v));
  if (Array.isArray(v)) return Buffer.concat([control(TYPE.array, v.length), ...v.map(encode)]);
  if (typeof v.$type === 'string' && typeof v.value === 'number') {
    const t = v as Typed;
    if (t.$type !== 'double') return unsigned(TYPE[t.$type], t.value);
    const b = Buffer.alloc(8);
    b.writeDoubleBE(t.value);
    return Buffer.concat([control(TYPE.double, 8), b]);
  }
  const entries = Object.entries(v as Record<string, MmdbValue>);
  return Buffer.concat([control(TYPE.map, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])]);
}

/** An address as bytes: 4 for IPv4 (dotted quad), 16 for IPv6 (with `::`). */
function addressBytes(ip: string): number[] {
  if (ip.includes('.')) return ip.split('.').map(Number);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

type Rec = { node: number } | { data: number } | null;

export interface MmdbOptions {
  ipVersion?: 4 | 6;
  recordSize?: 24 | 28;
  databaseType?: string;
  /** Unix seconds. */
  buildEpoch?: number;
}

/** A whole .mmdb file mapping each network (`81.2.69.0/24`, `2a02:c7c::/32`) to its value. */
export function writeMmdb(networks: ReadonlyArray<readonly [cidr: string, value: MmdbValue]>, opts: MmdbOptions = {}): Buffer {
  const ipVersion = opts.ipVersion ?? 6;
  const recordSize = opts.recordSize ?? 24;
  const nodes: [Rec, Rec][] = [[null, null]];
  const data: Buffer[] = [];
  const offsets = new Map<string, number>();
  let dataSize = 0;

  for (const [cidr, value] of networks) {
    const [ip, len] = cidr.split('/') as [string, string];
    let bytes = addressBytes(ip);
    let prefix = Number(len);
    if (bytes.length === 4 && ipVersion === 6) [bytes, prefix] = [[...Array<number>(12).fill(0), ...bytes], prefix + 96];
    if (bytes.length * 8 !== (ipVersion === 4 ? 32 : 128)) throw new Error(`${cidr} does not fit an IPv${ipVersion} database`);
    const key = JSON.stringify(value);
    let offset = offsets.get(key);
    if (offset === undefined) {
      const b = encode(value);
      offsets.set(key, (offset = dataSize));
      data.push(b);
      dataSize += b.length;
    }
    let node = 0;
    for (let i = 0; i < prefix; i++) {
      const bit = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
      const rec = nodes[node]![bit]!;
      if (i === prefix - 1) {
        if (rec) throw new Error(`${cidr} overlaps another network`);
        nodes[node]![bit] = { data: offset };
      } else if (rec && 'node' in rec) node = rec.node;
      else if (rec) throw new Error(`${cidr} overlaps another network`);
      else {
        nodes.push([null, null]);
        nodes[node]![bit] = { node: nodes.length - 1 };
        node = nodes.length - 1;
      }
    }
  }

  const count = nodes.length;
  const value = (r: Rec) => (r === null ? count : 'node' in r ? r.node : count + 16 + r.data);
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(count * nodeBytes);
  nodes.forEach(([l, r], i) => {
    const [left, right] = [value(l), value(r)];
    const at = i * nodeBytes;
    if (recordSize === 24) {
      tree.writeUIntBE(left, at, 3);
      tree.writeUIntBE(right, at + 3, 3);
    } else {
      // 28 bits: the middle byte holds the top nibble of each record (left's high, right's low).
      tree.writeUIntBE(left & 0xffffff, at, 3);
      tree[at + 3] = ((left >>> 24) << 4) | (right >>> 24);
      tree.writeUIntBE(right & 0xffffff, at + 4, 3);
    }
  });

  const metadata = encode({
    node_count: u32(count),
    record_size: u16(recordSize),
    ip_version: u16(ipVersion),
    database_type: opts.databaseType ?? 'Kairos-Test-City',
    languages: ['en'],
    binary_format_major_version: u16(2),
    binary_format_minor_version: u16(0),
    build_epoch: u64(opts.buildEpoch ?? 1_767_225_600),
    description: { en: 'Kairos test database' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata]);
}

/** A GeoLite2/DB-IP City shaped record. */
export function cityRecord(country: string, city: string | undefined, lat: number, lon: number, region?: string): MmdbValue {
  return {
    country: { iso_code: country },
    ...(city !== undefined && { city: { names: { en: city } } }),
    location: { latitude: f64(lat), longitude: f64(lon) },
    ...(region !== undefined && { subdivisions: [{ names: { en: region } }] }),
  };
}
