// The HTTP surface, in-process (app.request, no port): what a browser, a shop owner's curl and an editor see.
// A real SQLite store in a temp dir, a fake widget build, and the real demo/ shop.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, EVENTS_BODY_LIMIT, type AppDeps } from '../server/app';
import type { LoadedConfig } from '../server/config-watch';
import { stripQuery } from '../server/events';
import { createLogger } from '../server/log';
import { isAllowedOrigin } from '../server/origin';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import type { Store } from '../server/store/types';
import { loadedConfig } from './loaded-config';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const demoDir = join(root, 'demo');
const dir = mkdtempSync(join(tmpdir(), 'kairos-server-'));
const widgetDir = join(dir, 'widget');
const configFile = join(dir, 'kairos.yaml');

const KAIROS_JS = '/* kairos loader */ console.log("kairos");\n';
const CHUNK_JS = 'export const mount = () => () => {};\n';

function configYaml(text: string, origins: string[] = ['https://shop.example']): string {
  return [
    'site:',
    '  name: Test shop',
    `  allowed_origins: [${origins.join(', ')}]`,
    'campaigns:',
    '  - id: welcome',
    '    type: announcement_bar',
    '    content:',
    `      text: ${text}`,
    '',
  ].join('\n');
}

function loaded(yaml: string): LoadedConfig {
  return loadedConfig(yaml, configFile);
}

/** A config source whose `current` the tests swap, as a hot reload would. */
const config: { current: LoadedConfig; file: string } = { current: loaded(configYaml('Hello')), file: configFile };

let clock = 1_800_000_000_000;
const logLines: string[] = [];
const log = createLogger({ level: 'info', destination: { write: (s: string) => void logLines.push(s) } });

let store: SqliteStore;
let app: ReturnType<typeof createApp>;

function makeApp(over: Partial<AppDeps> = {}) {
  return createApp({ config, store, widgetDir, demoDir, log, now: () => clock, ...over });
}

beforeAll(() => {
  writeFileSync(configFile, configYaml('Hello'));
  mkdirSync(join(widgetDir, 'kairos-ui'), { recursive: true });
  writeFileSync(join(widgetDir, 'kairos.js'), KAIROS_JS);
  writeFileSync(join(widgetDir, 'kairos-ui', 'x-abc123.js'), CHUNK_JS);
  writeFileSync(join(widgetDir, 'secret.txt'), 'not for the web');
  store = openSqliteStore(join(dir, 'events.db'));
  app = makeApp();
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

// --- helpers ------------------------------------------------------------------------------------------------

let seq = 0;
/** A unique, valid event id (8–64 of [A-Za-z0-9_-]). */
const newId = () => `evt-${process.pid}-${++seq}`.padEnd(12, 'x');

function event(over: Record<string, unknown> = {}) {
  return {
    event_id: newId(),
    type: 'track',
    name: 'Campaign Shown',
    ts: clock - 1000,
    visitor_id: 'visitor-AAAA1111',
    session_id: 'session-BBBB2222',
    ...over,
  };
}

function post(body: unknown, headers: Record<string, string> = {}) {
  return app.request('/v1/events', {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
  });
}

async function stored(eventId: string) {
  const rows = await store.queryEvents({ limit: 10_000 });
  return rows.find((r) => r.event_id === eventId);
}

// --- GET /v1/config -----------------------------------------------------------------------------------------

describe('GET /v1/config', () => {
  it('answers the public config with its ETag, revalidated on every load', async () => {
    const res = await app.request('/v1/config');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('ETag')).toBe(config.current.etag);
    expect(res.headers.get('Cache-Control')).toBe('no-cache');
    const body = (await res.json()) as { version: string; campaigns: { id: string; content: { text: string } }[] };
    expect(body.version).toBe(config.current.public.version);
    expect(body.campaigns.map((c) => c.content.text)).toEqual(['Hello']);
    // The public config carries no site settings (allowed origins are the server's business).
    expect(JSON.stringify(body)).not.toContain('shop.example');
  });

  const inm: [name: string, header: (etag: string) => string, status: number][] = [
    ['the same ETag', (e) => e, 304],
    ['a weak form of it', (e) => `W/${e}`, 304],
    ['a list holding it', (e) => `"other", ${e}`, 304],
    ['*', () => '*', 304],
    ['another ETag', () => '"stale"', 200],
  ];
  it.each(inm)('If-None-Match with %s → %i', async (_name, header, status) => {
    const res = await app.request('/v1/config', { headers: { 'If-None-Match': header(config.current.etag) } });
    expect(res.status).toBe(status);
    expect(res.headers.get('ETag')).toBe(config.current.etag);
    if (status === 304) expect(await res.text()).toBe('');
  });

  it('a changed config gets a new ETag, and the old one no longer matches', async () => {
    const before = config.current;
    try {
      config.current = loaded(configYaml('Goodbye'));
      expect(config.current.etag).not.toBe(before.etag);
      const res = await app.request('/v1/config', { headers: { 'If-None-Match': before.etag } });
      expect(res.status).toBe(200);
      expect(res.headers.get('ETag')).toBe(config.current.etag);
      expect(((await res.json()) as { campaigns: { content: { text: string } }[] }).campaigns[0]!.content.text).toBe('Goodbye');
    } finally {
      config.current = before;
    }
  });
});

// --- POST /v1/events ----------------------------------------------------------------------------------------

describe('POST /v1/events', () => {
  it('stores every event under its event_id, times corrected for the client clock’s skew', async () => {
    // The shopper's clock is 60 s behind the server's.
    const sentAt = clock - 60_000;
    const a = event({ ts: sentAt - 2_000, path: '/products/aviator-gold', campaign_id: 'welcome', props: { sku: 'NW-1' } });
    const b = event({ type: 'page', name: 'Page Viewed', ts: sentAt - 500 });
    const res = await post({ sent_at: sentAt, events: [a, b] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0 });

    expect(await stored(a.event_id)).toEqual({
      event_id: a.event_id,
      type: 'track',
      name: 'Campaign Shown',
      ts: clock - 2_000,
      received_at: clock,
      visitor_id: a.visitor_id,
      session_id: a.session_id,
      path: '/products/aviator-gold',
      campaign_id: 'welcome',
      user_id: null,
      props: { sku: 'NW-1' },
    });
    expect(await stored(b.event_id)).toMatchObject({ ts: clock - 500, path: null, campaign_id: null, props: null });
  });

  it('never dates an event after its arrival', async () => {
    const e = event({ ts: clock + 5_000 }); // later than the batch's own sent_at: a client bug
    expect((await post({ sent_at: clock, events: [e] })).status).toBe(200);
    expect((await stored(e.event_id))!.ts).toBe(clock);
  });

  it('a batch sent twice (a retry) is stored once and answered with the duplicates', async () => {
    const batch = { sent_at: clock, events: [event(), event(), event()] };
    expect(await (await post(batch)).json()).toEqual({ accepted: 3, duplicates: 0 });
    const count = await store.countEvents();
    const again = await post(batch);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 3 });
    expect(await store.countEvents()).toBe(count);
  });

  it('accepts application/json as well as text/plain', async () => {
    const res = await post({ sent_at: clock, events: [event()] }, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
  });

  // [name, body, status, error]: each is refused with the reason, and nothing is stored.
  const bad: [name: string, body: string, status: number, error: RegExp][] = [
    ['malformed JSON', '{"sent_at": 1, "events": [', 400, /^invalid JSON: /],
    ['an empty body', '', 400, /^invalid JSON: /],
    ['JSON that is not a batch', '[1, 2, 3]', 400, /expected object/],
    ['a batch without sent_at', JSON.stringify({ events: [event()] }), 400, /^sent_at: missing required field$/],
    ['an empty batch', JSON.stringify({ sent_at: clock, events: [] }), 400, /^events: a batch holds at least one event$/],
    [
      'more than 100 events',
      JSON.stringify({ sent_at: clock, events: Array.from({ length: 101 }, () => event()) }),
      400,
      /^events: a batch holds at most 100 events$/,
    ],
    ['an unknown field', JSON.stringify({ sent_at: clock, events: [event({ ip: '203.0.113.9' })] }), 400, /^events\[0\]: .*"ip"/],
  ];
  it.each(bad)('%s → %i with the reason, nothing stored', async (_name, body, status, error) => {
    const count = await store.countEvents();
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toMatch(error);
    expect(await store.countEvents()).toBe(count);
  });

  it('one bad event rejects the whole batch, naming the event so the client can drop just that one', async () => {
    const good = event();
    const badOne = event({ visitor_id: 'no' });
    const alsoGood = event();
    const count = await store.countEvents();
    const res = await post({ sent_at: clock, events: [good, badOne, alsoGood] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string; message: string }[]; rejected: unknown[] };
    expect(body.error).toMatch(/^events\[1\]\.visitor_id: an opaque id of 8–64 characters/);
    expect(body.issues[0]).toMatchObject({ path: 'events[1].visitor_id' });
    expect(body.rejected).toEqual([{ index: 1, event_id: badOne.event_id, reason: body.error }]);
    expect(await store.countEvents()).toBe(count);
    expect(await stored(good.event_id)).toBeUndefined();

    // The client's next move: drop the rejected event and resend the rest.
    const retry = await post({ sent_at: clock, events: [good, alsoGood] });
    expect(await retry.json()).toEqual({ accepted: 2, duplicates: 0 });
  });

  it('an event without an object shape is rejected by index, without an event_id', async () => {
    const res = await post({ sent_at: clock, events: [event(), 'oops'] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { rejected: unknown[] }).rejected).toEqual([{ index: 1, reason: expect.stringMatching(/^events\[1\]: /) }]);
  });

  it('a body over 256 KiB is refused with 413 before it is read, and without a Content-Length too', async () => {
    const count = await store.countEvents();
    const big = 'x'.repeat(EVENTS_BODY_LIMIT + 1);
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/too large/);

    const chunk = new TextEncoder().encode('y'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent++ < 8) ctl.enqueue(chunk);
        else ctl.close();
      },
    });
    const streamed = await app.request('/v1/events', {
      method: 'POST',
      body: stream,
      headers: { 'Content-Type': 'text/plain' },
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await store.countEvents()).toBe(count);
  });

  it('refuses other content types with 415', async () => {
    const res = await post({ sent_at: clock, events: [event()] }, { 'Content-Type': 'multipart/form-data; boundary=x' });
    expect(res.status).toBe(415);
  });

  it('a store that fails answers 503 so the client retries, and says so in the log', async () => {
    const failing: Store = {
      ...store,
      insertEvents: () => Promise.reject(new Error('SQLITE_FULL: database or disk is full')),
    };
    const res = await makeApp({ store: failing }).request('/v1/events', {
      method: 'POST',
      body: JSON.stringify({ sent_at: clock, events: [event()] }),
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBeTruthy();
    expect(((await res.json()) as { error: string }).error).toMatch(/retry/);
    expect(logLines.some((l) => l.includes('SQLITE_FULL'))).toBe(true);
  });

  it('GET /v1/events is a 405, not a 404', async () => {
    const res = await app.request('/v1/events');
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toContain('POST');
  });
});

describe('query strings in stored paths', () => {
  // [path the browser sent, path stored]
  const paths: [string, string][] = [
    ['/products/aviator-gold', '/products/aviator-gold'],
    ['/search?q=red+shoes', '/search'],
    ['/p?utm_source=news&utm_medium=email', '/p?utm_source=news&utm_medium=email'],
    ['/p?email=a%40b.example&utm_campaign=summer&token=abc', '/p?utm_campaign=summer'],
    ['/p?UTM_Source=x', '/p?UTM_Source=x'],
    ['/p?utm=1&utmost=2', '/p'],
    ['/p#section', '/p'],
    ['/p?utm_source=x#frag?utm_medium=y', '/p?utm_source=x'],
    ['/p?', '/p'],
  ];

  it.each(paths)('%s → %s', async (sent, kept) => {
    expect(stripQuery(sent)).toBe(kept);
  });

  it('applies when events are stored', async () => {
    const events = paths.map(([path]) => event({ path }));
    expect((await post({ sent_at: clock, events })).status).toBe(200);
    for (const [i, e] of events.entries()) expect((await stored(e.event_id))!.path).toBe(paths[i]![1]);
  });
});

// --- CORS ---------------------------------------------------------------------------------------------------

describe('origins', () => {
  // [origin, the URL the request was sent to, allowed]
  const cases: [origin: string, url: string, allowed: boolean][] = [
    ['https://shop.example', 'http://kairos.example/v1/events', true],
    ['https://SHOP.example:443', 'http://kairos.example/v1/events', true],
    ['http://shop.example', 'http://kairos.example/v1/events', false],
    ['https://evil.example', 'http://kairos.example/v1/events', false],
    ['https://shop.example.evil.example', 'http://kairos.example/v1/events', false],
    ['https://kairos.example', 'http://kairos.example/v1/events', true], // TLS ends at a proxy in front
    ['http://localhost:8787', 'http://localhost:8787/v1/events', true],
    ['http://127.0.0.1:8787', 'http://localhost:8787/v1/events', true],
    ['http://[::1]:8787', 'http://127.0.0.1:8787/v1/events', true],
    ['http://localhost:3000', 'http://localhost:8787/v1/events', false],
    ['null', 'http://localhost:8787/v1/events', false],
  ];
  it.each(cases)('%s calling %s → allowed %s', (origin, url, allowed) => {
    expect(isAllowedOrigin(origin, url, ['https://shop.example'])).toBe(allowed);
  });

  it('an allowed origin gets Access-Control-Allow-Origin, without credentials', async () => {
    const res = await post({ sent_at: clock, events: [event()] }, { Origin: 'https://shop.example' });
    expect(res.status).toBe(200);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://shop.example');
    expect(res.headers.get('Access-Control-Allow-Credentials')).toBeNull();
    expect(res.headers.get('Vary')).toMatch(/Origin/);
  });

  it('the server’s own pages may post (the demo shop)', async () => {
    const res = await post({ sent_at: clock, events: [event()] }, { Origin: 'http://localhost' });
    expect(res.status).toBe(200);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('http://localhost');
  });

  it('a disallowed origin cannot post: 403 naming the fix, nothing stored', async () => {
    const count = await store.countEvents();
    const res = await post({ sent_at: clock, events: [event()] }, { Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'origin https://evil.example not allowed; add it to site.allowed_origins' });
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(await store.countEvents()).toBe(count);
  });

  it('requests without an Origin (curl, server to server) are allowed', async () => {
    expect((await post({ sent_at: clock, events: [event()] })).status).toBe(200);
  });

  it('a disallowed origin reading the config gets it without the header, so the browser withholds it', async () => {
    const res = await app.request('/v1/config', { headers: { Origin: 'https://evil.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
    const ok = await app.request('/v1/config', { headers: { Origin: 'https://shop.example' } });
    expect(ok.headers.get('Access-Control-Allow-Origin')).toBe('https://shop.example');
  });

  it('allowed origins follow the live config (hot reload)', async () => {
    const before = config.current;
    try {
      const origin = { Origin: 'https://new-shop.example' };
      expect((await post({ sent_at: clock, events: [event()] }, origin)).status).toBe(403);
      config.current = loaded(configYaml('Hello', ['https://shop.example', 'https://new-shop.example']));
      expect((await post({ sent_at: clock, events: [event()] }, origin)).status).toBe(200);
    } finally {
      config.current = before;
    }
  });

  it('answers a preflight for an allowed origin', async () => {
    const res = await app.request('/v1/events', {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://shop.example');
    expect(res.headers.get('Access-Control-Allow-Methods')).toBe('GET, POST');
    expect(res.headers.get('Access-Control-Allow-Headers')).toBe('Content-Type');
    expect(res.headers.get('Access-Control-Max-Age')).toBe('86400');
  });

  it('refuses a preflight from a disallowed origin', async () => {
    const res = await app.request('/v1/events', { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});

// --- schema, health ------------------------------------------------------------------------------------------

describe('GET /schema.json', () => {
  it('is the JSON Schema of kairos.yaml, for editor autocomplete', async () => {
    const res = await app.request('/schema.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/(schema\+)?json/);
    expect(res.headers.get('Cache-Control')).toBe('no-cache');
    const schema = (await res.json()) as { $schema: string; properties: Record<string, unknown> };
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.properties).toHaveProperty('campaigns');
    expect(schema.properties).toHaveProperty('site');
  });
});

describe('GET /healthz', () => {
  it('reports the config version and uptime once the store answers', async () => {
    const t0 = clock;
    const fresh = makeApp();
    clock += 42_500;
    try {
      const res = await fresh.request('/healthz');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, config_version: config.current.public.version, uptime_s: 42 });
    } finally {
      clock = t0;
    }
  });

  it('is 503 when the store does not answer', async () => {
    const down: Store = { ...store, ping: () => Promise.reject(new Error('the event store is closed')) };
    const res = await makeApp({ store: down }).request('/healthz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false, error: 'the event store is closed' });
  });
});

// --- the widget ---------------------------------------------------------------------------------------------

describe('the widget files', () => {
  it('/kairos.js: JavaScript, cached five minutes, revalidated by ETag', async () => {
    const res = await app.request('/kairos.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=300');
    expect(await res.text()).toBe(KAIROS_JS);
    const etag = res.headers.get('ETag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await app.request('/kairos.js', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('/kairos-ui/*: content-hashed chunks cached for a year, importable from any shop', async () => {
    const res = await app.request('/kairos-ui/x-abc123.js', { headers: { Origin: 'https://shop.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(await res.text()).toBe(CHUNK_JS);
  });

  it.each(['/kairos-ui/missing.js', '/kairos-ui/../secret.txt', '/kairos-ui/%2e%2e/secret.txt', '/kairos-ui/..%2fsecret.txt', '/kairos-ui/'])(
    '%s → 404',
    async (path) => {
      const res = await app.request(path);
      expect(res.status).toBe(404);
      expect(res.headers.get('Cache-Control') ?? '').not.toMatch(/immutable/);
    },
  );

  it('without a build, /kairos.js says how to make one', async () => {
    const res = await makeApp({ widgetDir: join(dir, 'no-build') }).request('/kairos.js');
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('widget not built: run npm run build');
  });
});

// --- the demo shop ------------------------------------------------------------------------------------------

describe('the demo shop', () => {
  const demo = (f: string) => readFileSync(join(demoDir, f), 'utf8');
  // [path, status, content type, the file it serves]
  const routes: [path: string, status: number, type: string | null, file: string | null][] = [
    ['/', 200, 'text/html; charset=utf-8', 'index.html'],
    ['/products/aviator-gold', 200, 'text/html; charset=utf-8', 'product.html'],
    ['/products/aviator-gold/', 200, 'text/html; charset=utf-8', 'product.html'],
    ['/products.js', 200, 'text/javascript; charset=utf-8', 'products.js'],
    ['/cart', 200, 'text/html; charset=utf-8', 'cart.html'],
    ['/checkout', 200, 'text/html; charset=utf-8', 'checkout.html'],
    ['/order-complete', 200, 'text/html; charset=utf-8', 'order-complete.html'],
    ['/shop.css', 200, 'text/css; charset=utf-8', 'shop.css'],
    ['/pages/product.js', 200, 'text/javascript; charset=utf-8', 'pages/product.js'],
    ['/img/favicon.svg', 200, 'image/svg+xml', 'img/favicon.svg'],
    ['/kairos.yaml', 404, null, null],
    ['/../package.json', 404, null, null],
    ['/%2e%2e/package.json', 404, null, null],
    ['/..%2fpackage.json', 404, null, null],
    ['/products/a/b', 404, null, null],
    ['/nope.html', 404, null, null],
    ['/img/', 404, null, null],
  ];
  it.each(routes)('%s → %i', async (path, status, type, file) => {
    const res = await app.request(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    if (status !== 200) return;
    expect(res.headers.get('Content-Type')).toBe(type);
    expect(res.headers.get('Cache-Control')).toBe('no-cache');
    expect(await res.text()).toBe(demo(file!));
  });

  it('never serves config files or dotfiles, even when they sit in the demo directory', async () => {
    const shop = join(dir, 'shop');
    mkdirSync(join(shop, 'data'), { recursive: true });
    for (const f of ['index.html', 'kairos.yaml', 'kairos.yml', 'kairos.json', 'custom-config.txt', '.env', 'data/products.json'])
      writeFileSync(join(shop, f), `contents of ${f}`);
    const own = makeApp({ demoDir: shop, config: { current: config.current, file: join(shop, 'custom-config.txt') } });
    const status = async (p: string) => (await own.request(p)).status;
    expect(await status('/')).toBe(200);
    expect(await status('/data/products.json')).toBe(200);
    for (const p of ['/kairos.yaml', '/kairos.yml', '/kairos.json', '/custom-config.txt', '/.env', '/%2eenv']) expect(await status(p), p).toBe(404);
  });

  it('is not served without a demo directory, while the API is', async () => {
    const noDemo = makeApp({ demoDir: null });
    expect((await noDemo.request('/')).status).toBe(404);
    expect((await noDemo.request('/products/aviator-gold')).status).toBe(404);
    expect((await noDemo.request('/healthz')).status).toBe(200);
  });

  it('unknown API paths are JSON 404s, not demo pages', async () => {
    const res = await app.request('/v1/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });
});

// --- logging ------------------------------------------------------------------------------------------------

describe('request log', () => {
  it('one line per request: method, route pattern, status, ms — and no shopper data', async () => {
    logLines.length = 0;
    const e = event({ visitor_id: 'visitor-SECRET99', user_id: 'shopper@example.com', props: { email: 'shopper@example.com' } });
    await app.request('/v1/events?token=sekrit', {
      method: 'POST',
      body: JSON.stringify({ sent_at: clock, events: [e] }),
      headers: {
        'Content-Type': 'text/plain',
        Origin: 'https://shop.example',
        'User-Agent': 'Mozilla/5.0 SecretBrowser',
        'X-Forwarded-For': '203.0.113.77',
      },
    });
    await app.request('/products/aviator-gold?q=secret-search');
    await app.request('/does-not-exist');

    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map(({ method, route, status }) => ({ method, route, status }))).toEqual([
      { method: 'POST', route: '/v1/events', status: 200 },
      { method: 'GET', route: '/products/:id', status: 200 },
      { method: 'GET', route: '/*', status: 404 },
    ]);
    for (const l of lines) expect(typeof l.ms).toBe('number');
    const all = logLines.join('\n');
    for (const secret of ['SECRET', 'shopper@example.com', 'sekrit', 'secret-search', '203.0.113.77', 'aviator-gold', e.event_id])
      expect(all).not.toContain(secret);
  });
});
