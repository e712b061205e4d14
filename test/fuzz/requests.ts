// Generators for test/fuzz.test.ts: fast-check arbitraries of valid bodies for every write route (built from the
// schemas in server/schema.ts, server/leads.ts, server/preferences.ts and the checks in server/app.ts), and of
// malformed requests made from them — each broken in a way its route's contract says must be refused: truncated
// JSON, wrong types, missing fields, 10 000-deep nesting, huge arrays, lone surrogates and NUL where an id is
// expected, `__proto__`/`constructor`/`prototype` keys, `1e309`, bytes that are not UTF-8, wrong content types,
// gzip bodies and gzip bombs, bodies over the cap, wrong methods, and bad query strings on top.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { EVENTS_BODY_LIMIT } from '../../server/app';
import { LEADS_BODY_LIMIT } from '../../server/leads';
import { PREFERENCES_BODY_LIMIT } from '../../server/preferences';

// --- the server's config and the routes ------------------------------------------------------------------------

export const ORIGIN = 'https://shop.example';
export const ADMIN_TOKEN = 'fuzz-admin-token-0123456789abcdef';
export const CONSENT = 'Yes, email me the newsletter. I can unsubscribe at any time.';
export const FUZZ_CONFIG = [
  'site:',
  '  name: Fuzz shop',
  `  allowed_origins: [${ORIGIN}]`,
  'campaigns:',
  '  - id: newsletter',
  '    type: newsletter_bar',
  `    content: { text: Join us, consent: "${CONSENT}" }`,
  '  - id: stay10',
  '    type: exit_offer',
  '    content: { headline: Wait }',
  '    coupon: { code: STAY10 }',
  '',
].join('\n');

/** Each write route's body cap, as the server sets it (app.ts; the inline ones are 4 KiB and 2 KiB there). */
export const CAPS = {
  events: EVENTS_BODY_LIMIT,
  leads: LEADS_BODY_LIMIT,
  offers: 4096,
  presence: 2048,
  preferences: PREFERENCES_BODY_LIMIT,
} as const;
export type BodyRoute = keyof typeof CAPS;
export const BODY_ROUTES = Object.keys(CAPS) as BodyRoute[];

// --- valid values ------------------------------------------------------------------------------------------------

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
/** `^[A-Za-z0-9_-]{8,64}$`: event, visitor and session ids. */
export const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 8, maxLength: 64 });
/** Any UTF-16 string: lone surrogates, NUL and all (valid where the schema only says "a string"). */
const anyString = (maxLength: number, minLength = 0) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, 40) }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength, maxLength: Math.min(maxLength, 40) }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength }) },
  );
const jsonScalar = fc.oneof(anyString(2000), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null));
/** Prop names: any string of ≤ 100 characters but `__proto__` (refused: it cannot be kept); `constructor` and `prototype` are fine. */
const propKey = fc.oneof(
  { weight: 5, arbitrary: anyString(100) },
  { weight: 1, arbitrary: fc.constantFrom('constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf') },
).filter((k) => k !== '__proto__');
const record = <T>(value: fc.Arbitrary<T>, maxKeys: number) => fc.dictionary(propKey, value, { maxKeys, noNullPrototype: true });
const propValue = fc.oneof(
  { weight: 4, arbitrary: jsonScalar },
  { weight: 1, arbitrary: fc.array(fc.oneof(jsonScalar, record(jsonScalar, 4)), { maxLength: 6 }) },
  { weight: 1, arbitrary: record(jsonScalar, 6) },
);
const campaignId = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/);
const path = fc.oneof(
  fc.constantFrom('/', '/products/linen-shirt', '/p?utm_source=news&email=a%40b.example', '/search?q=shoes#top'),
  anyString(300).map((s) => '/' + s),
);

export interface ValidEvent {
  event_id: string;
  type: 'track' | 'page' | 'identify';
  name: string;
  ts: number;
  visitor_id: string;
  session_id: string;
  path?: string;
  campaign_id?: string;
  user_id?: string;
  props?: Record<string, unknown>;
}

/** An event as the schema (server/schema.ts EventInput) allows it; its id is made unique by the caller. */
export const validEvent: fc.Arbitrary<ValidEvent> = fc.record(
  {
    event_id: token,
    type: fc.constantFrom('track', 'page', 'identify'),
    name: anyString(200, 1),
    ts: fc.oneof(fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
    visitor_id: token,
    session_id: token,
    path,
    campaign_id: campaignId,
    user_id: anyString(200, 1),
    props: record(propValue, 12),
  },
  { requiredKeys: ['event_id', 'type', 'name', 'ts', 'visitor_id', 'session_id'] },
);

export const validBatch = fc.record({
  sent_at: fc.oneof(fc.constant(0).map(() => Date.now()), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  events: fc.array(validEvent, { minLength: 1, maxLength: 30 }),
});

const email = fc.constantFrom('ada@example.com', 'Grace.Hopper+news@example.org', 'x@y.example');
export const validLead = fc.record({
  campaign_id: fc.constant('newsletter'),
  visitor_id: token,
  session_id: token,
  email,
  consent: fc.constant(CONSENT),
  path: fc.constantFrom('/', '/products/linen-shirt?utm_source=x'),
});
export const validOffer = fc.record({ visitor_id: token });
export const validPresence = fc.record(
  { visitor_id: token, key: fc.oneof(fc.constantFrom('product:linen-shirt', 'path:/'), fc.stringMatching(/^(product|path):[!-~]{1,40}$/)) },
  { requiredKeys: ['key'] },
);
export const validPreferences = fc.record({
  level: fc.constantFrom('all', 'fewer', 'bars', 'none'),
  off: fc.uniqueArray(campaignId, { maxLength: 5 }),
  at: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  visitor_id: token,
});

// --- malformed -------------------------------------------------------------------------------------------------

/** A JSON value that stands for raw JSON text (`1e309`, 10 000 nested brackets) once the body is serialised. */
class Raw {
  constructor(readonly text: string) {}
}
const RAW_MARK = '\u0007raw:';
/** JSON.stringify, with every Raw put in as its text. */
export function serialise(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof Raw ? `${RAW_MARK}${raws.push(v.text) - 1}` : v));
  return raws.length ? text.replace(/"\\u0007raw:(\d+)"/g, (_m, i: string) => raws[Number(i)]!) : text;
}

const deep = (levels: number, open = '[', close = ']', inner = '') => new Raw(open.repeat(levels) + inner + close.repeat(levels));
const deepObject = (levels: number) => new Raw('{"a":'.repeat(levels) + '1' + '}'.repeat(levels));
/** Not a valid value for a field of this kind. */
const badFor = {
  /** An id, a token, an enum member or a constrained string. */
  id: fc.oneof(
    fc.constantFrom<unknown>(null, true, 0, -1, 1.5, [], {}, '', 'short!', 'x'.repeat(65), 'has space1', 'ünïcödé-id', 'a\u0000bcdefgh', 'ab\ud800cdefgh', 'ab\udc00cdefgh', '\ud83dabcdefghi'),
    fc.constantFrom<unknown>(new Raw('1e309'), new Raw('-1e309'), new Raw('[[[[[[]]]]]]'), new Raw('{"__proto__":{"polluted":1}}')),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map((s) => `bad id ${s}`),
  ),
  /** An epoch-ms integer. */
  int: fc.constantFrom<unknown>(null, true, '1800000000000', 1.5, -1, Number.MAX_SAFE_INTEGER + 2, 1e300, [], {}, new Raw('1e309'), new Raw('-1e309'), new Raw('1e400'), new Raw('-0.5e1')),
  /** Any JSON string is fine, so only other types are wrong. */
  string: fc.constantFrom<unknown>(null, 0, 1e308, true, [], {}, ['a'], new Raw('1e309'), { name: 'x' }),
  array: fc.constantFrom<unknown>(null, 0, 'a', {}, true, new Raw('1e309')),
  object: fc.constantFrom<unknown>(null, 0, 'a', [], true, new Raw('1e309')),
};

type Field = [name: string, kind: keyof typeof badFor, required: boolean];
/** Per route: the fields of its body, what kind each is, and whether it is required. */
const FIELDS: Record<BodyRoute, Field[]> = {
  events: [
    ['sent_at', 'int', true],
    ['events', 'array', true],
  ],
  leads: [
    ['campaign_id', 'id', true],
    ['visitor_id', 'id', true],
    ['session_id', 'id', true],
    ['email', 'id', true],
    ['consent', 'id', true],
    ['path', 'id', false],
  ],
  offers: [['visitor_id', 'id', true]],
  presence: [
    ['key', 'id', true],
    ['visitor_id', 'id', false],
  ],
  preferences: [
    ['level', 'id', true],
    ['off', 'array', true],
    ['at', 'int', true],
    ['visitor_id', 'id', true],
  ],
};
const EVENT_FIELDS: Field[] = [
  ['event_id', 'id', true],
  ['type', 'id', true],
  ['name', 'string', true],
  ['ts', 'int', true],
  ['visitor_id', 'id', true],
  ['session_id', 'id', true],
  ['path', 'id', false],
  ['campaign_id', 'id', false],
  ['user_id', 'string', false],
  ['props', 'object', false],
];
/** Routes whose bodies refuse unknown keys (zod .strict()); presence and offers ignore them. */
const STRICT: ReadonlySet<BodyRoute> = new Set(['events', 'leads', 'preferences']);

const validBody: Record<BodyRoute, fc.Arbitrary<Record<string, unknown>>> = {
  events: validBatch.map((b) => ({ ...b, events: b.events.slice(0, 3) })),
  leads: validLead,
  offers: validOffer,
  presence: validPresence,
  preferences: validPreferences,
};

export interface FuzzRequest {
  /** What was done to it, for the failure message and the per-kind tally. */
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const routePath = (route: BodyRoute, user = 'user-1') =>
  route === 'offers' ? '/v1/offers/stay10' : route === 'preferences' ? `/v1/preferences/${encodeURIComponent(user)}` : `/v1/${route}`;

const JSON_TYPE = fc.constantFrom('text/plain', 'text/plain;charset=UTF-8', 'application/json', 'application/json; charset=utf-8', 'application/csp-report+json');
const post = (kind: string, route: BodyRoute, body: Buffer | string, type?: string, extra: Record<string, string> = {}): FuzzRequest => ({
  kind: `${route}: ${kind}`,
  method: 'POST',
  path: routePath(route),
  headers: { ...(type !== undefined && { 'content-type': type }), origin: ORIGIN, ...extra },
  body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
});

/** A body made malformed by one mutation of a valid one. */
const mutatedBody = (route: BodyRoute): fc.Arbitrary<{ kind: string; text: string | Buffer }> =>
  validBody[route].chain((base) => {
    const fields = FIELDS[route];
    const text = serialise(base);
    const evs = route === 'events' ? (base['events'] as Record<string, unknown>[]) : [];
    const cap = CAPS[route];
    const mutations: fc.Arbitrary<{ kind: string; text: string | Buffer }>[] = [
      fc.integer({ min: 0, max: text.length - 1 }).map((n) => ({ kind: 'truncated JSON', text: text.slice(0, n) })),
      fc.tuple(fc.constantFrom(...fields), fc.nat()).chain(([[name, kind]]) =>
        badFor[kind].map((bad) => ({ kind: `wrong type: ${name}`, text: serialise({ ...base, [name]: bad }) })),
      ),
      fc.constantFrom(...fields.filter((f) => f[2])).map(([name]) => {
        const { [name]: _gone, ...rest } = base;
        return { kind: `missing: ${name}`, text: serialise(rest) };
      }),
      // Whole bodies that are not an object of the right shape.
      fc
        .constantFrom<unknown>(null, 0, 'text', true, [], [base], new Raw('1e309'), new Raw('-'), new Raw('NaN'), new Raw('undefined'), new Raw("{'a':1}"), new Raw('{"a":1,}'))
        .map((v) => ({ kind: 'not an object', text: serialise(v) })),
      fc.constant({ kind: 'empty body', text: '' }),
      // The key that would reach Object.prototype, at the top: refused as unknown where keys are checked; where they
      // are not, the fields moved under it are simply missing.
      fc.constantFrom('__proto__', 'constructor', 'prototype').map((key) =>
        STRICT.has(route)
          ? { kind: `${key} key`, text: serialise({ [key]: { polluted: true }, ...base }) }
          : { kind: `${key} key`, text: serialise({ [key]: key === '__proto__' ? base : { prototype: base } }) },
      ),
      // Nesting as deep as the cap allows (10 000 levels where it is 256 KiB), as a field and as the whole body.
      fc.constantFrom(...fields).chain(([name]) =>
        fc.constantFrom('[', '{').map((open) => {
          const levels = Math.max(1, Math.min(10_000, Math.floor((cap - text.length - 64) / (open === '[' ? 2 : 6))));
          return { kind: `deep nesting (${levels})`, text: serialise({ ...base, [name]: open === '[' ? deep(levels) : deepObject(levels) }) };
        }),
      ),
      fc.constant({ kind: 'deep nesting (whole body)', text: deep(Math.min(10_000, Math.floor(cap / 2) - 1)).text }),
      // Arrays as long as the cap allows, where an array or an object belongs.
      fc.constantFrom(...fields).map(([name]) => {
        const n = Math.max(2, Math.floor((cap - text.length - 64) / 2));
        return { kind: `huge array (${n})`, text: serialise({ ...base, [name]: new Raw(`[${'0,'.repeat(n - 1)}0]`) }) };
      }),
      // A raw NUL, a raw control character, bytes that are not UTF-8 (a surrogate or an overlong form encoded, a cut
      // sequence, 0xFF), inserted anywhere.
      fc
        .tuple(
          fc.integer({ min: 0, max: text.length }),
          fc.constantFrom([0x00], [0x01], [0xff], [0xfe, 0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]),
        )
        .map(([at, bytes]) => {
          const b = Buffer.from(text, 'utf8');
          const i = Buffer.byteLength(text.slice(0, at), 'utf8');
          return { kind: `bytes ${bytes.map((x) => x.toString(16)).join(' ')}`, text: Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)]) };
        }),
      // Bodies over the cap: valid JSON padded past it.
      fc.integer({ min: 1, max: cap }).map((over) => ({ kind: 'over the cap', text: text.slice(0, -1) + `,"pad":"${'x'.repeat(Math.max(0, cap + over - text.length))}"}` })),
    ];
    if (STRICT.has(route))
      mutations.push(fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra').map((key) => ({ kind: `unknown key ${key}`, text: serialise({ ...base, [key]: 1 }) })));
    if (route === 'events') {
      // One bad event spoils the batch: a wrong field in it, a missing one, an unknown key, `__proto__` in props.
      mutations.push(
        fc.tuple(fc.nat(evs.length - 1), fc.constantFrom(...EVENT_FIELDS)).chain(([i, [name, kind]]) =>
          badFor[kind].map((bad) => ({ kind: `event: wrong type: ${name}`, text: serialise({ ...base, events: evs.map((e, j) => (j === i ? { ...e, [name]: bad } : e)) }) })),
        ),
        fc.tuple(fc.nat(evs.length - 1), fc.constantFrom(...EVENT_FIELDS.filter((f) => f[2]))).map(([i, [name]]) => ({
          kind: `event: missing ${name}`,
          text: serialise({ ...base, events: evs.map((e, j) => (j === i ? Object.fromEntries(Object.entries(e).filter(([k]) => k !== name)) : e)) }),
        })),
        fc.tuple(fc.nat(evs.length - 1), fc.constantFrom('__proto__', 'constructor', 'prototype')).map(([i, key]) => ({
          kind: `event: ${key} key`,
          text: serialise({ ...base, events: evs.map((e, j) => (j === i ? { [key]: { polluted: true }, ...e } : e)) }),
        })),
        fc.tuple(fc.nat(evs.length - 1), fc.constantFrom<unknown>(1, { polluted: 1 }, [1], 'x')).map(([i, v]) => ({
          kind: 'event: __proto__ in props',
          text: serialise({ ...base, events: evs.map((e, j) => (j === i ? { ...e, props: { ok: 1, ['__proto__']: v } } : e)) }),
        })),
        fc.tuple(fc.nat(evs.length - 1), fc.constantFrom(new Raw('1e309'), new Raw('-1e309'), 'x'.repeat(2001))).map(([i, v]) => ({
          kind: 'event: prop value out of range',
          text: serialise({ ...base, events: evs.map((e, j) => (j === i ? { ...e, props: { v } } : e)) }),
        })),
        fc.integer({ min: 101, max: 2000 }).map((n) => ({ kind: `events: ${n} in a batch`, text: serialise({ ...base, events: Array.from({ length: n }, () => evs[0]) }) })),
        fc.constant({ kind: 'events: none', text: serialise({ ...base, events: [] }) }),
      );
    }
    return fc.oneof(...mutations);
  });

/** A gzip bomb: ~1 GB of zeros in a few KB (1 024 gzip members of 1 MiB of zeros each, gzipped again). */
export function gzipBomb(): { body: Buffer; inflated: number } {
  const member = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  return { body: gzipSync(Buffer.concat(Array.from({ length: 1024 }, () => member)), { level: 9 }), inflated: 1024 * (1 << 20) };
}
let bomb: Buffer | undefined;

const malformedBodyRequest: fc.Arbitrary<FuzzRequest> = fc.constantFrom(...BODY_ROUTES).chain((route) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.tuple(mutatedBody(route), fc.option(JSON_TYPE, { nil: undefined })).map(([m, type]) => post(m.kind, route, m.text, type)) },
    // A valid body, but not sent as JSON.
    {
      weight: 1,
      arbitrary: fc
        .tuple(validBody[route], fc.constantFrom('multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'image/png', 'text/html', 'application/xml', 'application/octet-stream', 'application/jsonx', 'json'))
        .map(([b, type]) => post(`content type ${type}`, route, serialise(b), type)),
    },
    // A valid body, compressed: refused, never inflated.
    {
      weight: 1,
      arbitrary: fc.tuple(validBody[route], fc.constantFrom('gzip', 'deflate', 'br', 'x-gzip', 'gzip, gzip')).map(([b, enc]) => post(`content encoding ${enc}`, route, gzipSync(serialise(b)), 'text/plain', { 'content-encoding': enc })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('gzip', 'gzip, gzip').map((enc) => post(`gzip bomb (${enc})`, route, (bomb ??= gzipBomb().body), 'text/plain', { 'content-encoding': enc })),
    },
  ),
);

/** Wrong methods on the write routes, and writes to routes that do not exist. */
const wrongMethod: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom('/v1/events', '/v1/leads', '/v1/offers/stay10', '/v1/presence', '/v1/visitors/visitor-00000001', '/v1/nothing-here', '/v1/', '/v1/events/extra'),
    fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'POST', 'PROPFIND', 'PURGE', 'SEARCH'),
  )
  .filter(([p, m]) => !(m === 'POST' && ['/v1/events', '/v1/leads', '/v1/offers/stay10', '/v1/presence'].includes(p)) && !(m === 'DELETE' && p.startsWith('/v1/visitors/')))
  .map(([p, m]) => ({ kind: `method ${m} ${p}`, method: m, path: p, headers: { 'content-type': 'text/plain', origin: ORIGIN }, body: Buffer.from('{}') }));

/** DELETE /v1/visitors/:id without the token, with a wrong one, or with the token and an id that is not one. */
const badErasure: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom<string | undefined>(undefined, 'Bearer', 'Bearer wrong-token', `Basic ${Buffer.from('x:wrong').toString('base64')}`, `bearer ${ADMIN_TOKEN}x`, ADMIN_TOKEN, `Bearer ${ADMIN_TOKEN}`),
    fc.oneof(fc.constantFrom('short', '%ff%fe', '%00aaaaaaaa', 'a'.repeat(65), '..%2f..%2fetc', '%E2%80%AEabcdefgh'), token),
  )
  .filter(([auth, id]) => !(auth === `Bearer ${ADMIN_TOKEN}` && /^[A-Za-z0-9_-]{8,64}$/.test(id)))
  .map(([auth, id]) => ({ kind: `erasure ${auth === undefined ? 'without a token' : auth.includes(ADMIN_TOKEN) && auth.startsWith('Bearer ') ? 'with a bad id' : 'with a bad token'}`, method: 'DELETE', path: `/v1/visitors/${id}`, headers: auth === undefined ? ({} as Record<string, string>) : { authorization: auth } }));

/** Bad query strings and path parameters; on a write they change nothing about the answer to the malformed body. */
export const badQuery = fc.constantFrom(
  '?%',
  '?%zz=1',
  '?a=%00',
  '?%ff%fe=%c0%80',
  '?__proto__[polluted]=1&constructor[prototype][polluted]=1',
  '?a[]=1&a[b]=2&a=3',
  '?' + 'q=1&'.repeat(2000),
  '?' + 'x'.repeat(8000),
  '?\u00ff\u00fe',
  '??&&==',
  '#fragment',
);

/** A malformed request to a write route. */
export const malformedRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.oneof({ weight: 14, arbitrary: malformedBodyRequest }, { weight: 1, arbitrary: wrongMethod }, { weight: 1, arbitrary: badErasure }),
    fc.option(badQuery, { freq: 4, nil: undefined }),
  )
  .map(([r, q]) => (q === undefined ? r : { ...r, kind: `${r.kind} + query`, path: r.path + q }));

// --- valid requests, with what they should leave in the store -------------------------------------------------------

export type ValidRequest =
  | { route: 'events'; sent_at: number; events: ValidEvent[]; type?: string }
  | { route: 'leads'; body: Record<string, unknown>; type?: string }
  | { route: 'offers'; body: Record<string, unknown>; type?: string }
  | { route: 'presence'; body: Record<string, unknown>; type?: string }
  | { route: 'preferences'; user: string; body: Record<string, unknown>; type?: string };

export const validRequest: fc.Arbitrary<ValidRequest> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(validBatch, fc.option(JSON_TYPE, { nil: undefined })).map(([b, type]) => ({ route: 'events' as const, ...b, ...(type !== undefined && { type }) })) },
  { weight: 1, arbitrary: fc.tuple(validLead, JSON_TYPE).map(([body, type]) => ({ route: 'leads' as const, body, type })) },
  { weight: 1, arbitrary: fc.tuple(validOffer, JSON_TYPE).map(([body, type]) => ({ route: 'offers' as const, body, type })) },
  { weight: 1, arbitrary: fc.tuple(validPresence, JSON_TYPE).map(([body, type]) => ({ route: 'presence' as const, body, type })) },
  {
    weight: 1,
    arbitrary: fc.tuple(anyString(200, 1).filter((u) => !/[\u0000-\u001f\u007f]/.test(u)), validPreferences, JSON_TYPE).map(([user, body, type]) => ({ route: 'preferences' as const, user, body, type })),
  },
);

export function validHttp(v: ValidRequest): FuzzRequest {
  const body = v.route === 'events' ? { sent_at: v.sent_at, events: v.events } : v.body;
  return {
    kind: `valid ${v.route}`,
    method: 'POST',
    path: v.route === 'preferences' ? routePath('preferences', wellFormed(v.user)) : routePath(v.route),
    headers: { ...(v.type !== undefined && { 'content-type': v.type }), origin: ORIGIN },
    body: Buffer.from(serialise(body), 'utf8'),
  };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** String.prototype.toWellFormed (ES2024): each unpaired surrogate becomes U+FFFD, as UTF-8 encoding makes it. */
export const wellFormed = (s: string): string => s.replace(LONE_SURROGATE, '\ufffd');

export const EVENTS_CAP = CAPS.events;
