// Webhook delivery: signing (checked with the `standardwebhooks` package, a verifier nobody here wrote), the
// retry policy as tables, the SSRF guard, and the delivery worker against a real HTTP receiver on 127.0.0.1 with
// a real SQLite outbox and a fake clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../server/config-watch';
import { createLogger } from '../server/log';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import type { NewOutboxMessage } from '../server/store/types';
import { createDelivery, USER_AGENT, type DeliveryDeps } from '../server/webhooks/deliver';
import { postWebhook } from '../server/webhooks/http';
import { webhookSettings } from '../server/webhooks/index';
import { backoffMs, decide, GIVE_UP_AFTER_MS, retryAfterMs, RETRY_CAP_MS } from '../server/webhooks/policy';
import { parseSecret, signature } from '../server/webhooks/sign';
import { isForbiddenAddress } from '../server/webhooks/ssrf';
import { loadedConfig } from './loaded-config';

const SEC = 1000;
const HOUR = 3_600_000;
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1));
const SECRET = `whsec_${KEY.toString('base64')}`;
const dir = mkdtempSync(join(tmpdir(), 'kairos-webhooks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// --- signing ---------------------------------------------------------------------------------------------------

describe('the secret', () => {
  const cases: Array<[string, string | undefined, RegExp | null]> = [
    ['a 32-byte key', SECRET, null],
    ['surrounding blanks are ignored', `  ${SECRET}\n`, null],
    ['missing', undefined, /is not set/],
    ['empty', '', /is not set/],
    ['without the prefix', KEY.toString('base64'), /does not start with "whsec_"/],
    ['not base64', 'whsec_not*base64!', /not valid base64/],
    ['too short a key', `whsec_${Buffer.alloc(8, 1).toString('base64')}`, /decodes to 8 bytes/],
  ];
  it.each(cases)('%s', (_, secret, error) => {
    const r = parseSecret(secret);
    if (error === null) expect(r).toEqual({ ok: true, key: KEY });
    else {
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(error);
      // The message tells how to make one, and never echoes the secret.
      expect(!r.ok && r.error).toMatch(/openssl rand -base64 32/);
      if (secret) expect(!r.ok && r.error).not.toContain(secret.slice(6));
    }
  });
});

describe('signatures', () => {
  it('verify with the standardwebhooks package, and fail when anything changed', () => {
    const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"type":"cart.abandoned","data":{"total":12.5,"email":"ada@example.com"}}';
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature(KEY, id, ts, body) };
    const wh = new Webhook(SECRET);
    expect(wh.verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => wh.verify(body.replace('12.5', '1.25'), headers)).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(ts + 1) })).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 9).toString('base64')}`).verify(body, headers)).toThrow();
    // The same library's own signing agrees byte for byte.
    expect(headers['webhook-signature']).toBe(wh.sign(id, new Date(ts * 1000), body));
  });
});

// --- the policy ------------------------------------------------------------------------------------------------

describe('back-off', () => {
  const cases: Array<[number, number, number]> = [
    // attempts, random, delay
    [1, 0.999999, 29_999],
    [2, 0.999999, 59_999],
    [3, 0.5, 60_000],
    [5, 0.5, 240_000],
    [10, 0.999999, 15_359_984], // 30 s · 2^9 = 4 h 16 min
    [11, 0.999999, Math.floor(0.999999 * RETRY_CAP_MS)], // 30 s · 2^10 is past the 6 h cap
    [60, 0.999999, Math.floor(0.999999 * RETRY_CAP_MS)],
    [1, 0, 1_000], // full jitter may draw 0: still a second apart
  ];
  it.each(cases)('attempt %i, random %d → %i ms', (attempts, r, want) => {
    expect(backoffMs(attempts, () => r)).toBe(want);
  });
});

describe('Retry-After', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const cases: Array<[string | null, number | null]> = [
    ['120', 120_000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 12:05:00 GMT', 300_000],
    ['Thu, 01 Jan 2026 11:00:00 GMT', 0],
    [null, null],
    ['soon', null],
    ['-5', null],
    ['1.5', null],
  ];
  it.each(cases)('%s → %s', (value, want) => {
    expect(retryAfterMs(value, now)).toBe(want);
  });
});

describe('what an answer means', () => {
  const now = 1_800_000_000_000;
  const ctx = { now, firstAttemptAt: now - HOUR, attempts: 3, random: () => 0.5 };
  const res = (status: number, retryAfter: string | null = null) => ({ kind: 'response' as const, status, retryAfter });
  const cases: Array<[string, Parameters<typeof decide>[0], Partial<typeof ctx>, object]> = [
    ['200: delivered', res(200), {}, { status: 'delivered', http_status: 200 }],
    ['204: delivered', res(204), {}, { status: 'delivered', http_status: 204 }],
    ['410: endpoint disabled', res(410), {}, { status: 'disabled', http_status: 410 }],
    ['500: back off', res(500), {}, { status: 'pending', next_attempt_at: now + 60_000, error: 'answered 500' }],
    ['404: back off too', res(404), {}, { status: 'pending', next_attempt_at: now + 60_000 }],
    ['301: not followed, backed off', res(301), {}, { status: 'pending', error: expect.stringMatching(/redirects are not followed/) }],
    ['429 with Retry-After seconds', res(429, '120'), {}, { status: 'pending', next_attempt_at: now + 120_000 }],
    ['429 with an HTTP date', res(429, new Date(now + 600_000).toUTCString()), {}, { status: 'pending', next_attempt_at: now + 600_000 }],
    ['429 without Retry-After: back off', res(429), {}, { status: 'pending', next_attempt_at: now + 60_000 }],
    ['503 with Retry-After', res(503, '30'), {}, { status: 'pending', next_attempt_at: now + 30_000 }],
    ['a network error', { kind: 'error', message: 'ECONNREFUSED: connect', refused: false }, {}, { status: 'pending', error: 'ECONNREFUSED: connect' }],
    ['still failing 24 h after the first attempt: keep trying', res(500), { firstAttemptAt: now - GIVE_UP_AFTER_MS }, { status: 'pending' }],
    ['failing more than 24 h after it: give up', res(500), { firstAttemptAt: now - GIVE_UP_AFTER_MS - 1 }, { status: 'failed', error: expect.stringMatching(/gave up after 3 attempts/) }],
    ['a 2xx after 24 h is still delivered', res(200), { firstAttemptAt: now - 2 * GIVE_UP_AFTER_MS }, { status: 'delivered' }],
  ];
  it.each(cases)('%s', (_, result, over, want) => {
    expect(decide(result, { ...ctx, ...over })).toMatchObject(want);
  });
});

// --- the SSRF guard ---------------------------------------------------------------------------------------------

describe('SSRF guard: addresses', () => {
  const refused = [
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '100.127.255.255', '0.0.0.0', '0.1.2.3', '224.0.0.1', '239.255.255.250', '255.255.255.255', '198.18.0.1',
    '::1', '::', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fc00::1', 'fd12:3456::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '::ffff:192.168.0.1', '64:ff9b::10.0.0.1', '[::1]',
    'not-an-ip',
  ];
  const allowed = ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '169.255.0.1', '11.0.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '2001:db8::1'];
  it.each(refused)('refuses %s', (ip) => expect(isForbiddenAddress(ip)).toBe(true));
  it.each(allowed)('allows %s', (ip) => expect(isForbiddenAddress(ip)).toBe(false));
});

// --- a receiver ---------------------------------------------------------------------------------------------------

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; headers?: Record<string, string> } | 'hold';

/** A webhook receiver on 127.0.0.1 answering what `answer` says; `down()`/`up()` stop and restart it on its port. */
async function startReceiver() {
  const hits: Hit[] = [];
  let answer: (hit: Hit, n: number) => Answer = () => ({ status: 204 });
  const held: ServerResponse[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const hit = { path: req.url ?? '', headers: req.headers, body };
      hits.push(hit);
      const a = answer(hit, hits.length);
      if (a === 'hold') return void held.push(res);
      res.writeHead(a.status, a.headers).end();
    });
  };
  let server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    hits,
    port,
    url: `http://127.0.0.1:${port}/hooks/kairos`,
    answer(fn: (hit: Hit, n: number) => Answer) {
      answer = fn;
    },
    async down() {
      for (const r of held.splice(0)) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async up() {
      server = createServer(handler);
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    },
  };
}

let rx: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.down());

describe('SSRF guard: requests', () => {
  const post = (url: string, allowPrivate: boolean) => postWebhook(url, '{}', { 'content-type': 'application/json' }, { timeoutMs: 2000, allowPrivate });

  it('refuses loopback, private and link-local endpoints, by IP or by a name resolving there, before connecting', async () => {
    rx.answer(() => ({ status: 204 }));
    const before = rx.hits.length;
    const urls = [rx.url, `http://localhost:${rx.port}/h`, `http://[::1]:${rx.port}/h`, 'http://10.0.0.1/h', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:127.0.0.1]/h', 'https://192.168.0.10/h'];
    for (const url of urls) {
      const r = await post(url, false);
      expect(r, url).toMatchObject({ kind: 'error', refused: true, message: expect.stringMatching(/^refused: .*allow_private_networks/) });
    }
    expect((await post(`http://localhost:${rx.port}/h`, false)) as { message: string }).toMatchObject({ message: expect.stringContaining('localhost resolves to') });
    expect(rx.hits.length).toBe(before);
  });

  it('lets them through with allow_private_networks', async () => {
    const before = rx.hits.length;
    expect(await post(`http://localhost:${rx.port}/h`, true)).toMatchObject({ kind: 'response', status: 204 });
    expect(await post(rx.url, true)).toMatchObject({ kind: 'response', status: 204 });
    expect(rx.hits.length).toBe(before + 2);
  });

  it('a URL that is not http(s) is an error, not a crash', async () => {
    expect(await post('ftp://example.com/x', true)).toMatchObject({ kind: 'error', message: expect.stringMatching(/not http/) });
    expect(await post('not a url', true)).toMatchObject({ kind: 'error' });
  });
});

// --- the worker ------------------------------------------------------------------------------------------------

function loaded(endpoints: string[], allowPrivate = true): LoadedConfig {
  const yaml = [
    'webhooks:',
    `  endpoints: [${endpoints.map((u) => `{ url: "${u}" }`).join(', ')}]`,
    '  recovery_url: "https://shop.example/cart"',
    `  allow_private_networks: ${allowPrivate}`,
    '',
  ].join('\n');
  return loadedConfig(yaml, join(dir, 'kairos.yaml'));
}

const T0 = 1_800_000_000_000;
let clock = T0;
let store: SqliteStore;
let n = 0;
const config: { current: LoadedConfig } = { current: loaded([]) };
const logLines: string[] = [];
const log = createLogger({ level: 'info', destination: { write: (s: string) => void logLines.push(s) } });
const workers: Array<ReturnType<typeof createDelivery>> = [];

function worker(over: Partial<DeliveryDeps> = {}) {
  const w = createDelivery({ store, config, log, now: () => clock, secret: SECRET, random: () => 0.999999, ...over });
  workers.push(w);
  return w;
}

const message = (id: string, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage => ({
  id,
  endpoint: rx.url,
  body: JSON.stringify({ type: 'cart.abandoned', timestamp: new Date(clock).toISOString(), data: { cart_id: `cart_${id}` } }),
  created_at: clock,
  next_attempt_at: clock,
  ...over,
});
const status = async (id: string) => (await store.listWebhooks()).find((m) => m.id === id)!;

beforeEach(() => {
  clock = T0;
  rx.hits.length = 0;
  rx.answer(() => ({ status: 204 }));
  logLines.length = 0;
  config.current = loaded([rx.url]);
  store = openSqliteStore(join(dir, `outbox-${++n}.db`));
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await store.close();
});

describe('delivery', () => {
  it('POSTs the stored body, signed, with the Standard Webhooks headers, and marks it delivered', async () => {
    clock = Date.now(); // so the verifier's replay window (5 min of real time) accepts the timestamp
    const m = message('msg_first');
    await store.enqueueWebhooks([m]);
    expect(await worker().deliverDue()).toEqual({ attempted: 1, delivered: 1 });
    const [hit] = rx.hits;
    expect(hit!.path).toBe('/hooks/kairos');
    expect(hit!.body).toBe(m.body);
    expect(hit!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': 'msg_first',
      'webhook-timestamp': String(Math.floor(clock / 1000)),
    });
    expect(USER_AGENT).toMatch(/^Kairos-Webhooks\/\d+\.\d+\.\d+/);
    expect(new Webhook(SECRET).verify(hit!.body, hit!.headers as Record<string, string>)).toEqual(JSON.parse(m.body));
    expect(await status('msg_first')).toMatchObject({ status: 'delivered', attempts: 1, last_status: 204, settled_at: clock });
    // Delivered means done.
    clock += 10 * HOUR;
    expect(await worker().deliverDue()).toEqual({ attempted: 0, delivered: 0 });
    expect(rx.hits).toHaveLength(1);
  });

  it('a receiver that is down, then failing, gets it once it is back: same webhook-id, growing waits', async () => {
    await store.enqueueWebhooks([message('msg_retry')]);
    const w = worker();
    await rx.down(); // connection refused
    const waits: number[] = [];
    const attempt = async () => {
      await w.deliverDue();
      const m = await status('msg_retry');
      waits.push(m.next_attempt_at - clock);
      clock = m.next_attempt_at;
      return m;
    };
    expect(await attempt()).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringMatching(/ECONNREFUSED/) });
    await attempt();
    await rx.up();
    rx.answer(() => ({ status: 500 }));
    expect(await attempt()).toMatchObject({ status: 'pending', attempts: 3, last_status: 500, last_error: 'answered 500' });
    await attempt();
    // Not before its time.
    clock -= 1;
    expect(await w.deliverDue()).toEqual({ attempted: 0, delivered: 0 });
    clock += 1;
    rx.answer(() => ({ status: 200 }));
    expect(await w.deliverDue()).toEqual({ attempted: 1, delivered: 1 });

    expect(waits).toEqual([29_999, 59_999, 119_999, 239_999]);
    expect(await status('msg_retry')).toMatchObject({ status: 'delivered', attempts: 5, first_attempt_at: T0 });
    // Three attempts reached the receiver (two found it down): one id, one body, each attempt its own timestamp.
    expect(rx.hits).toHaveLength(3);
    expect(new Set(rx.hits.map((h) => h.headers['webhook-id']))).toEqual(new Set(['msg_retry']));
    expect(new Set(rx.hits.map((h) => h.body)).size).toBe(1);
    expect(new Set(rx.hits.map((h) => h.headers['webhook-timestamp'])).size).toBe(3);
    expect(logLines.filter((l) => l.includes('will retry'))).toHaveLength(4);
  });

  it('429 with Retry-After: the next attempt waits exactly that long', async () => {
    await store.enqueueWebhooks([message('msg_429')]);
    const w = worker();
    rx.answer((_, i) => (i === 1 ? { status: 429, headers: { 'Retry-After': '120' } } : i === 2 ? { status: 429, headers: { 'Retry-After': new Date(clock + 3 * HOUR).toUTCString() } } : { status: 204 }));
    await w.deliverDue();
    expect(await status('msg_429')).toMatchObject({ status: 'pending', next_attempt_at: T0 + 120 * SEC, last_status: 429 });
    clock = T0 + 119 * SEC;
    expect((await w.deliverDue()).attempted).toBe(0);
    clock = T0 + 120 * SEC;
    await w.deliverDue();
    const second = await status('msg_429');
    expect(second.next_attempt_at - clock).toBeGreaterThan(3 * HOUR - 2 * 60 * SEC);
    expect(second.next_attempt_at - clock).toBeLessThanOrEqual(3 * HOUR);
    clock = second.next_attempt_at;
    expect(await w.deliverDue()).toEqual({ attempted: 1, delivered: 1 });
  });

  it('410 Gone disables the endpoint: nothing more is sent to it; other endpoints go on', async () => {
    const gone = `${rx.url}/gone`;
    const other = `${rx.url}/other`;
    config.current = loaded([gone, other]);
    rx.answer((hit) => (hit.path.endsWith('/gone') ? { status: 410 } : { status: 204 }));
    await store.enqueueWebhooks([message('msg_g1', { endpoint: gone }), message('msg_g2', { endpoint: gone, next_attempt_at: T0 + HOUR }), message('msg_o1', { endpoint: other })]);
    const w = worker();
    await w.deliverDue();
    clock += 2 * HOUR;
    await store.enqueueWebhooks([message('msg_g3', { endpoint: gone }), message('msg_o2', { endpoint: other })]);
    await w.deliverDue();
    expect(Object.fromEntries((await store.listWebhooks()).map((m) => [m.id, m.status]))).toEqual({
      msg_g1: 'disabled',
      msg_g2: 'disabled',
      msg_o1: 'delivered',
      msg_g3: 'disabled',
      msg_o2: 'delivered',
    });
    expect(rx.hits.filter((h) => h.path.endsWith('/gone'))).toHaveLength(1);
    expect(await store.disabledEndpoints()).toMatchObject([{ url: gone }]);
    expect(await store.outboxStats()).toEqual({ pending: 0, delivered: 2, failed: 0, disabled: 3 });
    expect(logLines.some((l) => l.includes('410 Gone'))).toBe(true);
  });

  it('a redirect is not followed: it counts as a failure', async () => {
    rx.answer((hit) => (hit.path.endsWith('/moved') ? { status: 204 } : { status: 301, headers: { Location: `${rx.url}/moved` } }));
    await store.enqueueWebhooks([message('msg_3xx')]);
    await worker().deliverDue();
    expect(await status('msg_3xx')).toMatchObject({ status: 'pending', last_status: 301, last_error: expect.stringMatching(/redirects are not followed/) });
    expect(rx.hits.map((h) => h.path)).toEqual(['/hooks/kairos']);
  });

  it('gives up only after more than 24 h of failures, and says so', async () => {
    rx.answer(() => ({ status: 503 }));
    await store.enqueueWebhooks([message('msg_dead')]);
    const w = worker();
    let attempts = 0;
    for (;;) {
      await w.deliverDue();
      attempts++;
      const m = await status('msg_dead');
      if (m.status !== 'pending') break;
      expect(clock - T0).toBeLessThanOrEqual(GIVE_UP_AFTER_MS);
      clock = m.next_attempt_at;
    }
    expect(clock - T0).toBeGreaterThan(GIVE_UP_AFTER_MS);
    expect(await status('msg_dead')).toMatchObject({ status: 'failed', attempts, last_error: expect.stringMatching(/gave up after \d+ attempts over more than 24 h/) });
    expect(attempts).toBeGreaterThan(8);
    expect(logLines.some((l) => l.includes('webhook failed for good'))).toBe(true);
  });

  it('a receiver that never answers times out and is retried', async () => {
    rx.answer((_, i) => (i === 1 ? 'hold' : { status: 204 }));
    await store.enqueueWebhooks([message('msg_slow')]);
    const w = worker({ timeoutMs: 300 });
    await w.deliverDue();
    expect(await status('msg_slow')).toMatchObject({ status: 'pending', last_error: 'timed out after 300 ms' });
    clock = (await status('msg_slow')).next_attempt_at;
    expect(await w.deliverDue()).toEqual({ attempted: 1, delivered: 1 });
  });

  it('a worker that died mid-attempt: its message is taken over when the lease runs out, same webhook-id', async () => {
    await store.enqueueWebhooks([message('msg_orphan')]);
    // The first worker claimed it and crashed before recording anything.
    const [claimed] = await store.claimWebhooks({ now: clock, leaseMs: 60_000, limit: 10 });
    expect(claimed!.id).toBe('msg_orphan');
    const w = worker({ leaseMs: 60_000 });
    clock += 59_999;
    expect(await w.deliverDue()).toEqual({ attempted: 0, delivered: 0 });
    clock += 2;
    expect(await w.deliverDue()).toEqual({ attempted: 1, delivered: 1 });
    expect(rx.hits.map((h) => h.headers['webhook-id'])).toEqual(['msg_orphan']);
    expect(await status('msg_orphan')).toMatchObject({ attempts: 2, status: 'delivered' });
  });

  it('two workers on one outbox never send a message twice', async () => {
    await store.enqueueWebhooks(Array.from({ length: 20 }, (_, i) => message(`msg_pair_${i}`)));
    const [a, b] = [worker(), worker()];
    const results = await Promise.all([a.deliverDue(), b.deliverDue(), a.deliverDue(), b.deliverDue()]);
    expect(results.reduce((s, r) => s + r.delivered, 0)).toBe(20);
    expect(rx.hits).toHaveLength(20);
    expect(new Set(rx.hits.map((h) => h.headers['webhook-id'])).size).toBe(20);
  });

  it('an endpoint on a private network is refused unless allowed: logged, kept, delivered once allowed', async () => {
    config.current = loaded([rx.url], false);
    await store.enqueueWebhooks([message('msg_ssrf')]);
    const w = worker();
    await w.deliverDue();
    expect(rx.hits).toHaveLength(0);
    expect(await status('msg_ssrf')).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback, private or link-local address/) });
    expect(logLines.some((l) => l.includes('refused by the SSRF guard'))).toBe(true);
    // The operator allows it (hot reload): the next attempt goes through.
    config.current = loaded([rx.url], true);
    clock = (await status('msg_ssrf')).next_attempt_at;
    expect(await w.deliverDue()).toEqual({ attempted: 1, delivered: 1 });
  });

  const badSecrets: Array<[string, string | undefined]> = [
    ['missing', undefined],
    ['malformed', 'not-a-secret'],
  ];
  it.each(badSecrets)('a %s secret: one clear error, nothing sent, nothing dropped', async (_, secret) => {
    await store.enqueueWebhooks([message('msg_nosecret')]);
    const w = worker({ secret });
    for (let i = 0; i < 5; i++) {
      clock += HOUR;
      expect(await w.deliverDue()).toEqual({ attempted: 0, delivered: 0 });
    }
    expect(rx.hits).toHaveLength(0);
    const errors = logLines.filter((l) => l.includes('webhooks are not sent'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/KAIROS_WEBHOOK_SECRET/);
    expect(await status('msg_nosecret')).toMatchObject({ status: 'pending', attempts: 0 });
    // Fixed and restarted: delivered.
    expect(await worker({ secret: SECRET }).deliverDue()).toEqual({ attempted: 1, delivered: 1 });
  });

  it('stop() aborts an attempt in flight and releases it for the next start', async () => {
    rx.answer((_, i) => (i === 1 ? 'hold' : { status: 204 }));
    await store.enqueueWebhooks([message('msg_stop')]);
    const w = worker();
    const running = w.deliverDue();
    while (rx.hits.length === 0) await new Promise((r) => setTimeout(r, 10));
    await w.stop();
    await running;
    expect(await status('msg_stop')).toMatchObject({ status: 'pending', lease_until: null, next_attempt_at: clock });
    expect(await worker().deliverDue()).toEqual({ attempted: 1, delivered: 1 });
    expect(rx.hits.map((h) => h.headers['webhook-id'])).toEqual(['msg_stop', 'msg_stop']);
  });
});

describe('settings from the environment', () => {
  it('defaults, overrides, and a warning for nonsense', () => {
    const warnings: string[] = [];
    expect(webhookSettings({}, (m) => warnings.push(m))).toEqual({ secret: undefined, abandonEveryMs: 15_000, deliverEveryMs: 1_000, leaseMs: 60_000, timeoutMs: 10_000 });
    expect(
      webhookSettings(
        { KAIROS_WEBHOOK_SECRET: SECRET, KAIROS_ABANDON_TICK_MS: '200', KAIROS_WEBHOOK_TICK_MS: '50', KAIROS_WEBHOOK_LEASE_MS: '1500', KAIROS_WEBHOOK_TIMEOUT_MS: 'soon' },
        (m) => warnings.push(m),
      ),
    ).toEqual({ secret: SECRET, abandonEveryMs: 200, deliverEveryMs: 50, leaseMs: 1500, timeoutMs: 10_000 });
    expect(warnings).toEqual(['KAIROS_WEBHOOK_TIMEOUT_MS=soon is not a positive number of milliseconds; using 10000']);
  });
});
