// Rate limits on the write routes: the token bucket (server/rate-limit.ts) as tables and a property, then the
// middleware in-process (app.request, a temp SQLite store, a fake clock): 429 with Retry-After and a reason once a
// client's bucket is empty, other clients unaffected, CORS headers on the 429, preflights and reads free, the
// admin route exempt, X-Forwarded-For believed only as far as KAIROS_TRUST_PROXY_HOPS says, nothing in the log.
// In-process requests have no socket unless the test gives one (`peer`): without, every request is the client
// "unknown" told apart by its user agent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../server/app';
import type { ContextRequest, ContextService } from '../server/context/index';
import { createLogger } from '../server/log';
import { createRateLimiter, DEFAULT_RATE_LIMIT, defaultBurst, rateLimitFromEnv, type Take } from '../server/rate-limit';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import { loadedConfig } from './loaded-config';

// --- the bucket -----------------------------------------------------------------------------------------------

describe('createRateLimiter', () => {
  const limiter = (perMinute: number, burst: number, maxKeys?: number) => {
    let clock = 1_000_000;
    const l = createRateLimiter({ perMinute, burst, now: () => clock, ...(maxKeys !== undefined && { maxKeys }) });
    return { l, wait: (ms: number) => void (clock += ms) };
  };
  const OK: Take = { ok: true };
  const no = (retryAfterSeconds: number): Take => ({ ok: false, retryAfterSeconds });

  // [perMinute, burst, steps: [ms to wait first, what take() answers]]
  const table: Array<[string, number, number, Array<[number, Take]>]> = [
    ['a full bucket allows the burst at once, then says when the next token comes', 60, 3, [[0, OK], [0, OK], [0, OK], [0, no(1)], [0, no(1)]]],
    ['a token a second at 60/min', 60, 1, [[0, OK], [0, no(1)], [999, no(1)], [1, OK], [0, no(1)]]],
    ['at 6/min a token takes 10 s; Retry-After counts down', 6, 1, [[0, OK], [0, no(10)], [4_000, no(6)], [5_500, no(1)], [500, OK]]],
    ['a refusal spends nothing', 6, 1, [[0, OK], [0, no(10)], [0, no(10)], [0, no(10)], [10_000, OK]]],
    ['refills to the burst and no further', 60, 2, [[0, OK], [0, OK], [3_600_000, OK], [0, OK], [0, no(1)]]],
    ['partial refills add up', 120, 1, [[0, OK], [250, no(1)], [250, OK], [499, no(1)], [1, OK]]],
    ['fast rates round Retry-After up to a whole second', 6_000, 2, [[0, OK], [0, OK], [0, no(1)], [10, OK]]],
  ];
  it.each(table)('%s', (_name, perMinute, burst, steps) => {
    const { l, wait } = limiter(perMinute, burst);
    steps.forEach(([ms, expected], i) => {
      wait(ms);
      expect(l.take('client'), `step ${i}`).toEqual(expected);
    });
  });

  it('keys are independent', () => {
    const { l } = limiter(60, 1);
    expect(l.take('a')).toEqual(OK);
    expect(l.take('a').ok).toBe(false);
    expect(l.take('b')).toEqual(OK);
  });

  it('a clock that steps back refills nothing', () => {
    let clock = 1_000_000;
    const l = createRateLimiter({ perMinute: 60, burst: 1, now: () => clock });
    expect(l.take('a').ok).toBe(true);
    clock -= 60_000;
    expect(l.take('a').ok).toBe(false);
    clock += 60_000; // back where it was: still no time has passed for the bucket
    expect(l.take('a').ok).toBe(false);
    clock += 1_000;
    expect(l.take('a').ok).toBe(true);
  });

  it('idle buckets are swept: one that has had time to refill completely is dropped', () => {
    const { l, wait } = limiter(60, 30); // refills completely in 30 s
    for (let i = 0; i < 100; i++) l.take(`client-${i}`);
    expect(l.size()).toBe(100);
    wait(29_999);
    l.take('client-0'); // moves to the back; the other 99 are not idle long enough yet
    expect(l.size()).toBe(100);
    wait(1);
    l.take('someone');
    expect(l.size()).toBe(2); // client-0 (used 1 ms ago) and someone
  });

  it('maxKeys caps memory: the least recently used bucket gives way', () => {
    const { l } = limiter(60, 1, 3);
    for (const k of ['a', 'b', 'c']) expect(l.take(k).ok).toBe(true);
    expect(l.take('a').ok).toBe(false); // a is now the most recently used
    expect(l.take('d').ok).toBe(true); // b gives way
    expect(l.size()).toBe(3);
    expect(l.take('a').ok).toBe(false); // a's empty bucket was kept
    expect(l.take('b').ok).toBe(true); // b starts full again (c gives way)
    expect(l.size()).toBe(3);
  });

  it('refuses nonsense options', () => {
    const now = () => 0;
    expect(() => createRateLimiter({ perMinute: 0, burst: 1, now })).toThrow(RangeError);
    expect(() => createRateLimiter({ perMinute: Number.NaN, burst: 1, now })).toThrow(RangeError);
    expect(() => createRateLimiter({ perMinute: 60, burst: 0, now })).toThrow(RangeError);
    expect(() => createRateLimiter({ perMinute: 60, burst: 1, now, maxKeys: 0 })).toThrow(RangeError);
  });

  it('the default burst is half a minute of the rate', () => {
    expect(defaultBurst(DEFAULT_RATE_LIMIT)).toBe(300);
    expect(defaultBurst(10)).toBe(5);
    expect(defaultBurst(3)).toBe(2);
    expect(defaultBurst(1)).toBe(1);
  });

  const steps = fc.array(fc.record({ wait: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 120_000 })), key: fc.integer({ min: 0, max: 3 }) }), {
    minLength: 1,
    maxLength: 400,
  });
  fcTest.prop([fc.integer({ min: 1, max: 1_200 }), fc.integer({ min: 1, max: 50 }), steps], { numRuns: 300 })(
    'never more than burst + perMinute × elapsed minutes for any key, and a refused client that waits Retry-After gets in',
    (perMinute, burst, seq) => {
      let clock = 0;
      const l = createRateLimiter({ perMinute, burst, now: () => clock, maxKeys: 4 });
      const first = new Map<number, number>();
      const allowed = new Map<number, number>();
      for (const { wait, key } of seq) {
        clock += wait;
        if (!first.has(key)) first.set(key, clock);
        const r = l.take(String(key));
        if (r.ok) allowed.set(key, (allowed.get(key) ?? 0) + 1);
        const bound = burst + Math.floor((perMinute * (clock - first.get(key)!)) / 60_000);
        expect(allowed.get(key) ?? 0).toBeLessThanOrEqual(bound);
        if (!r.ok) {
          expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(1);
          expect(r.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil(60 / perMinute));
        }
      }
      // The promise a 429 makes: after Retry-After, one request passes.
      const probe = l.take('probe-0');
      expect(probe.ok).toBe(true);
      for (let i = 0; i < burst; i++) l.take('probe-0');
      const refused = l.take('probe-0');
      expect(refused.ok).toBe(false);
      if (!refused.ok) clock += refused.retryAfterSeconds * 1000;
      expect(l.take('probe-0').ok).toBe(true);
    },
  );

  it.each([
    [undefined, 600, false],
    ['', 600, false],
    ['0', 0, false],
    ['120', 120, false],
    [' 3000 ', 3000, false],
    ['-5', 600, true],
    ['10/s', 600, true],
    ['off', 600, true],
    ['1e3', 600, true],
  ] as const)('KAIROS_RATE_LIMIT=%j → %i (warned: %s)', (value, limit, warned) => {
    const warnings: string[] = [];
    expect(rateLimitFromEnv(value === undefined ? {} : { KAIROS_RATE_LIMIT: value }, (m) => warnings.push(m))).toBe(limit);
    expect(warnings.length > 0).toBe(warned);
  });
});

// --- the middleware -------------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'kairos-rate-'));
const configFile = join(dir, 'kairos.yaml');
const TOKEN = 'admin-token-for-tests-0123456789';
const ORIGIN = 'https://shop.example';
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const yaml = [
  `site: { allowed_origins: [${ORIGIN}] }`,
  'campaigns:',
  '  - id: newsletter',
  '    type: newsletter_bar',
  '    content: { text: Join us }',
  '',
].join('\n');
const config = { current: loadedConfig(yaml, configFile), file: configFile };

const logLines: string[] = [];
const log = createLogger({ level: 'info', destination: { write: (s: string) => void logLines.push(s) } });
let clock = Date.UTC(2026, 6, 1, 9, 0, 0);
let store: SqliteStore;
beforeAll(() => {
  store = openSqliteStore(join(dir, 'kairos.db'));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  clock = Date.UTC(2026, 6, 1, 9, 0, 0);
  logLines.length = 0;
});

/** 10 a minute: a burst of 5, then a token every 6 s. */
const makeApp = (over: Partial<AppDeps> = {}) =>
  createApp({ config, store, widgetDir: join(dir, 'widget'), log, now: () => clock, adminToken: TOKEN, rateLimit: 10, ...over });

interface Client {
  ua?: string;
  /** The socket's peer address (in-process requests have none unless given). */
  peer?: string;
  xff?: string;
  origin?: string;
}
const send = (app: ReturnType<typeof createApp>, path: string, init: { method?: string; body?: string; headers?: Record<string, string> }, who: Client = {}) =>
  app.request(
    path,
    {
      method: init.method ?? 'POST',
      ...(init.body !== undefined && { body: init.body }),
      headers: {
        'Content-Type': 'text/plain',
        'User-Agent': who.ua ?? UA,
        ...(who.origin !== undefined && { Origin: who.origin }),
        ...(who.xff !== undefined && { 'X-Forwarded-For': who.xff }),
        ...init.headers,
      },
    },
    who.peer ? { incoming: { socket: { remoteAddress: who.peer } } } : undefined,
  );
let v = 0;
const beat = (app: ReturnType<typeof createApp>, who: Client = {}) =>
  send(app, '/v1/presence', { body: JSON.stringify({ visitor_id: `visitor-${String(++v).padStart(6, '0')}`, key: 'product:tote' }) }, who);
const statuses = async (n: number, fire: () => Response | Promise<Response>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await fire()).status);
  return out;
};

describe('rate limits on the write routes', () => {
  it('the request after the burst gets 429 with Retry-After and a reason; another client is unaffected; after waiting it passes', async () => {
    const app = makeApp();
    expect(await statuses(5, () => beat(app))).toEqual([200, 200, 200, 200, 200]);
    const res = await beat(app);
    expect(res.status).toBe(429);
    expect(res.headers.get('Retry-After')).toBe('6');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: 'too many requests from this client; retry after 6 s' });

    expect((await beat(app, { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/141.0' })).status).toBe(200); // another browser
    expect((await beat(app, { peer: '203.0.113.50' })).status).toBe(200); // another address

    clock += 3_000;
    const later = await beat(app);
    expect(later.status).toBe(429);
    expect(later.headers.get('Retry-After')).toBe('3');
    clock += 3_000;
    expect((await beat(app)).status).toBe(200); // one token back
    expect((await beat(app)).status).toBe(429);
    clock += 30_000; // full again
    expect(await statuses(6, () => beat(app))).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('every write under /v1 draws from the one bucket; reads, preflights and the admin route do not', async () => {
    const app = makeApp();
    const who = { origin: ORIGIN };
    // Free: preflights, reads.
    const preflight = () =>
      send(app, '/v1/events', { method: 'OPTIONS', headers: { 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } }, who);
    expect(new Set(await statuses(20, preflight))).toEqual(new Set([204]));
    expect(new Set(await statuses(20, () => send(app, '/v1/config', { method: 'GET' }, who)))).toEqual(new Set([200]));
    expect(new Set(await statuses(20, () => send(app, '/v1/countdowns/none', { method: 'GET' }, who)))).toEqual(new Set([404]));

    // Each write route spends a token, whatever it answers.
    const event = { event_id: 'evt_rate_000001', type: 'track', name: 'Campaign Shown', ts: clock - 1000, visitor_id: 'visitor_rate_0001', session_id: 'session_00000001' };
    expect((await send(app, '/v1/events', { body: JSON.stringify({ sent_at: clock, events: [event] }) }, who)).status).toBe(200);
    const lead = { campaign_id: 'newsletter', visitor_id: 'visitor_rate_0001', session_id: 'session_00000001', email: 'ada@example.com', consent: null };
    expect((await send(app, '/v1/leads', { body: JSON.stringify(lead) }, who)).status).toBe(200);
    expect((await send(app, '/v1/offers/no-such-offer', { body: JSON.stringify({ visitor_id: 'visitor_rate_0001' }) }, who)).status).not.toBe(429);
    expect((await beat(app, who)).status).toBe(200);
    expect((await send(app, '/v1/events', { method: 'PUT', body: '{}' }, who)).status).toBe(405);
    // The bucket (5) is empty now: every write route is refused, and the answer carries CORS headers.
    const refused = [
      await send(app, '/v1/events', { body: JSON.stringify({ sent_at: clock, events: [{ ...event, event_id: 'evt_rate_000002' }] }) }, who),
      await send(app, '/v1/leads', { body: JSON.stringify(lead) }, who),
      await send(app, '/v1/offers/no-such-offer', { body: JSON.stringify({ visitor_id: 'visitor_rate_0001' }) }, who),
      await beat(app, who),
      await send(app, '/v1/preferences/user-1', { body: '{}' }, who),
      await send(app, '/v1/events', { method: 'DELETE' }, who),
    ];
    for (const res of refused) {
      expect(res.status).toBe(429);
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe(ORIGIN);
      expect(res.headers.get('Vary')).toContain('Origin');
      expect(res.headers.get('Retry-After')).toMatch(/^\d+$/);
    }

    // Still free while the bucket is empty: preflights, reads, and the admin erasure (guarded by its token).
    expect((await preflight()).status).toBe(204);
    expect((await send(app, '/v1/config', { method: 'GET' }, who)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const erase = await send(app, '/v1/visitors/visitor_rate_0001', { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(erase.status).toBe(200);
    }
  });

  it("a disallowed origin is refused (403) before it can spend anyone's tokens", async () => {
    const app = makeApp();
    expect(new Set(await statuses(10, () => beat(app, { origin: 'https://evil.example' })))).toEqual(new Set([403]));
    expect(await statuses(5, () => beat(app))).toEqual([200, 200, 200, 200, 200]);
  });

  it('X-Forwarded-For is ignored with 0 hops: two values, one client', async () => {
    const app = makeApp();
    const peer = '10.0.0.2';
    expect(await statuses(5, () => beat(app, { peer, xff: `198.51.100.${++v % 250}` }))).toEqual([200, 200, 200, 200, 200]);
    expect((await beat(app, { peer, xff: '198.51.100.251' })).status).toBe(429);
    expect((await beat(app, { peer, xff: '198.51.100.252' })).status).toBe(429);
  });

  it('X-Forwarded-For is honoured with 1 hop: the entry our proxy appended is the client, whatever the left part says', async () => {
    const app = makeApp({ trustProxyHops: 1 });
    const proxy = '10.0.0.2';
    // Two clients behind one proxy: separate buckets.
    expect(await statuses(5, () => beat(app, { peer: proxy, xff: '198.51.100.1' }))).toEqual([200, 200, 200, 200, 200]);
    expect((await beat(app, { peer: proxy, xff: '198.51.100.1' })).status).toBe(429);
    expect((await beat(app, { peer: proxy, xff: '198.51.100.2' })).status).toBe(200);
    // A client that sends its own X-Forwarded-For is still itself: the proxy appended its real address.
    expect((await beat(app, { peer: proxy, xff: '203.0.113.66, 198.51.100.1' })).status).toBe(429);
    // Another proxy instance, same client: same bucket.
    expect((await beat(app, { peer: '10.0.0.3', xff: '198.51.100.1' })).status).toBe(429);
    // No header (the request did not come through the proxy): the peer is the client.
    expect((await beat(app, { peer: '192.0.2.7' })).status).toBe(200);
  });

  it('KAIROS_RATE_LIMIT=0 turns it off; the default allows 300 at once, then 10 a second', async () => {
    const off = makeApp({ rateLimit: 0 });
    expect(new Set(await statuses(400, () => beat(off)))).toEqual(new Set([200]));

    const byDefault = makeApp({ rateLimit: undefined });
    expect(new Set(await statuses(300, () => beat(byDefault)))).toEqual(new Set([200]));
    const res = await beat(byDefault);
    expect(res.status).toBe(429);
    expect(res.headers.get('Retry-After')).toBe('1');
    clock += 1_000;
    expect(await statuses(11, () => beat(byDefault))).toEqual([...Array(10).fill(200), 429]);
  });

  it('a new UTC day is a new salt, so a new bucket: at most one extra burst a day', async () => {
    const app = makeApp();
    clock = Date.UTC(2026, 6, 1, 23, 59, 59);
    expect(await statuses(6, () => beat(app))).toEqual([200, 200, 200, 200, 200, 429]);
    clock += 1_000; // 00:00:00 UTC
    expect(await statuses(6, () => beat(app))).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('logs the 429 like any request — no address, user agent or client id', async () => {
    const app = makeApp({ trustProxyHops: 1 });
    const who = { peer: '10.0.0.2', xff: '198.51.100.77', ua: 'Mozilla/5.0 SecretBrowser/1.0' };
    await statuses(6, () => beat(app, who));
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['status'])).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Object.keys(lines[5]!).sort()).toEqual(['hostname', 'level', 'method', 'ms', 'msg', 'pid', 'route', 'status', 'time']);
    expect(lines[5]).toMatchObject({ method: 'POST', route: '/v1/presence', status: 429, msg: 'request' });
    const all = logLines.join('\n');
    for (const secret of ['10.0.0.2', '198.51.100.77', 'SecretBrowser']) expect(all).not.toContain(secret);
  });
});

describe('GeoIP and the trusted address', () => {
  const seen: Array<string | undefined> = [];
  const context: ContextService = {
    lookup: async (req: ContextRequest) => {
      seen.push(req.ip);
      return { body: { now: clock, location: null, weather: null }, vary: [] };
    },
    idle: async () => undefined,
    close: async () => undefined,
  };
  beforeEach(() => void (seen.length = 0));

  it('0 hops: the socket peer (or none in process), never X-Forwarded-For', async () => {
    const app = makeApp({ context });
    await send(app, '/v1/context', { method: 'GET' }, { xff: '81.2.69.142' });
    await send(app, '/v1/context', { method: 'GET' }, { xff: '81.2.69.142', peer: '::ffff:10.0.0.2' });
    expect(seen).toEqual([undefined, '10.0.0.2']);
  });

  it('1 hop: the address our proxy appended', async () => {
    const app = makeApp({ context, trustProxyHops: 1 });
    await send(app, '/v1/context', { method: 'GET' }, { xff: '203.0.113.66, 81.2.69.142', peer: '10.0.0.2' });
    await send(app, '/v1/context', { method: 'GET' }, { peer: '10.0.0.2' });
    expect(seen).toEqual(['81.2.69.142', '10.0.0.2']);
  });
});
