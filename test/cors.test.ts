// CORS and origins over real HTTP (the real `kairos serve`; reliability.md §3 item 22): 20 origins — allow-listed
// ones exactly and with another port, scheme, case, a trailing slash, a subdomain, `null`, `file://`, suffix and
// userinfo attacks, a wildcard entry (not supported: written literally, it matches no real origin) and the server's
// own origin — against every /v1 route, preflights included. Proves: only allowed origins get
// Access-Control-Allow-Origin, and then exactly their serialised origin (never `*`, never other text from the request
// echoed); no response ever carries Access-Control-Allow-Credentials; every answer says `Vary: Origin`; writes from
// other origins are refused with 403 and a reason and store nothing (every table counted before and after).
// test/server.test.ts has isAllowedOrigin's table and the in-process basics; this runs the matrix on the real server.
//
// The rate limit is off for this server (KAIROS_RATE_LIMIT=0): one client sends ~600 requests here.
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, startServerProcess, type RawResponse, type ServerProcess } from './fuzz/server';

const TOKEN = 'cors-admin-token-0123456789abcdef';
const ALLOWED = ['https://shop.example', 'http://localhost:3000', 'https://Other-Shop.example:8443', 'https://*.wild.example'];
const config = [
  'site:',
  '  name: CORS shop',
  `  allowed_origins: [${ALLOWED.map((o) => JSON.stringify(o)).join(', ')}]`,
  'campaigns:',
  '  - id: newsletter',
  '    type: newsletter_bar',
  '    content: { text: Join us }',
  '  - id: stay10',
  '    type: exit_offer',
  '    content: { headline: Wait }',
  '    coupon: { code: STAY10 }',
  '  - id: dispatch',
  '    type: countdown_bar',
  '    countdown: { every: { time: "14:00", timezone: Europe/London } }',
  '    content: { text: "Order within {{countdown}}" }',
  '',
].join('\n');

let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess({ config, env: { KAIROS_RATE_LIMIT: '0', KAIROS_ADMIN_TOKEN: TOKEN } });
});
afterAll(async () => {
  await server?.stop();
});

/** [Origin as sent, the Access-Control-Allow-Origin it must get, or null for none]. `self` is the server's own. */
const origins = (self: string, port: number): Array<[string, string | null]> => [
  ['https://shop.example', 'https://shop.example'],
  ['https://SHOP.Example', 'https://shop.example'], // host names are case-insensitive
  ['https://shop.example:443', 'https://shop.example'], // the default port, spelt out
  ['https://shop.example/', 'https://shop.example'], // not what a browser sends; answered in serialised form
  ['http://shop.example', null], // another scheme
  ['https://shop.example:8443', null], // another port
  ['https://www.shop.example', null], // a subdomain
  ['https://shop.example.evil.com', null], // the suffix attack
  ['https://evilshop.example', null],
  ['https://shop.example@evil.com', null], // userinfo: the host is evil.com
  ['null', null], // sandboxed frames, file: pages, some redirects
  ['file://', null],
  ['chrome-extension://abcdefghijklmnop', null],
  ['http://localhost:3000', 'http://localhost:3000'],
  ['http://localhost:3001', null],
  ['https://other-shop.example:8443', 'https://other-shop.example:8443'], // listed with capitals
  ['https://other-shop.example', null],
  ['https://a.wild.example', null], // a wildcard entry is not a pattern
  [self, self], // the server's own pages (the demo shop)
  [`http://localhost:${port}`, `http://localhost:${port}`], // the same server under another loopback name
];

interface Route {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  write: boolean;
}
let n = 0;
const vid = () => `cors-visitor-${++n}`.padEnd(16, '0');
/** Every route under /v1, with a request it would take from an allowed origin. */
const routes = (): Route[] => [
  { method: 'GET', path: '/v1/config', write: false },
  { method: 'GET', path: '/v1/campaigns/newsletter/preview', write: false },
  { method: 'POST', path: '/v1/events', write: true, body: JSON.stringify({ sent_at: Date.now(), events: [{ event_id: vid(), type: 'page', name: 'Page Viewed', ts: Date.now(), visitor_id: vid(), session_id: 'cors-session-1' }] }) },
  { method: 'POST', path: '/v1/leads', write: true, body: JSON.stringify({ campaign_id: 'newsletter', visitor_id: vid(), session_id: 'cors-session-1', email: 'ada@example.com', consent: null }) },
  { method: 'POST', path: '/v1/offers/stay10', write: true, body: JSON.stringify({ visitor_id: vid() }) },
  { method: 'GET', path: '/v1/offers/verify?token=x.y', write: false },
  { method: 'GET', path: '/v1/countdowns/dispatch', write: false },
  { method: 'POST', path: '/v1/presence', write: true, body: JSON.stringify({ visitor_id: vid(), key: 'product:linen-shirt' }) },
  { method: 'GET', path: '/v1/purchases?product=linen-shirt', write: false },
  { method: 'GET', path: '/v1/context', write: false },
  { method: 'GET', path: '/v1/preferences/cors-user', write: false },
  { method: 'POST', path: '/v1/preferences/cors-user', write: true, body: JSON.stringify({ level: 'bars', off: [], at: Date.now(), visitor_id: vid() }) },
  { method: 'DELETE', path: `/v1/visitors/${vid()}`, write: true, headers: { authorization: `Bearer ${TOKEN}` } },
  { method: 'GET', path: '/v1/no-such-route', write: false },
];

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
afterAll(() => agent.destroy());
const call = (r: Route, origin: string) =>
  send(server, { method: r.method, path: r.path, headers: { origin, 'content-type': 'text/plain', ...r.headers }, ...(r.body !== undefined && { body: r.body }) }, agent);
const preflight = (r: Route, origin: string) =>
  send(server, { method: 'OPTIONS', path: r.path, headers: { origin, 'access-control-request-method': r.method, 'access-control-request-headers': 'content-type' } }, agent);

/** What every /v1 answer must satisfy, whoever asked. */
function checkAlways(res: RawResponse, what: string) {
  expect(res.status, what).toBeLessThan(500);
  expect(res.headers['access-control-allow-credentials'], what).toBeUndefined();
  expect(res.headers['access-control-allow-origin'], what).not.toBe('*');
  expect(String(res.headers['vary']), what).toMatch(/\bOrigin\b/);
}

describe('20 origins × every /v1 route, preflights included', () => {
  it('other origins get no CORS header, cannot write (403 with a reason) and store nothing', async () => {
    const all = origins(server.url, server.port).filter(([, acao]) => acao === null);
    expect(all.length).toBeGreaterThanOrEqual(12);
    const before = server.rowCounts();
    let checked = 0;
    for (const [origin] of all) {
      for (const r of routes()) {
        const what = `${origin} ${r.method} ${r.path}`;
        const res = await call(r, origin);
        checkAlways(res, what);
        expect(res.headers['access-control-allow-origin'], what).toBeUndefined();
        if (r.write) {
          expect(res.status, what).toBe(403);
          expect((JSON.parse(res.body.toString()) as { error: string }).error, what).toBe(`origin ${origin} not allowed; add it to site.allowed_origins`);
        }
        const pre = await preflight(r, origin);
        checkAlways(pre, `preflight ${what}`);
        expect(pre.status, `preflight ${what}`).toBe(403);
        expect(pre.headers['access-control-allow-origin'], `preflight ${what}`).toBeUndefined();
        expect(pre.headers['access-control-allow-methods'], `preflight ${what}`).toBeUndefined();
        checked += 2;
      }
    }
    expect(server.rowCounts()).toEqual(before);
    console.log(`cors: ${checked} requests from ${all.length} disallowed origins to ${routes().length} /v1 routes: 0 with a CORS header, 0 credentialed, 0 rows written`);
  });

  it('allowed origins get exactly their serialised origin, never credentials; their writes go through', async () => {
    const all = origins(server.url, server.port).filter((o): o is [string, string] => o[1] !== null);
    expect(all.length).toBeGreaterThanOrEqual(6);
    const before = server.rowCounts();
    let checked = 0;
    for (const [origin, acao] of all) {
      for (const r of routes()) {
        const what = `${origin} ${r.method} ${r.path}`;
        const res = await call(r, origin);
        checkAlways(res, what);
        expect(res.headers['access-control-allow-origin'], what).toBe(acao);
        if (r.write && r.method === 'POST') expect(res.status, `${what}: ${res.body.toString().slice(0, 200)}`).toBe(200);
        const pre = await preflight(r, origin);
        checkAlways(pre, `preflight ${what}`);
        expect(pre.status, `preflight ${what}`).toBe(204);
        expect(pre.headers['access-control-allow-origin'], `preflight ${what}`).toBe(acao);
        expect(pre.headers['access-control-allow-methods'], `preflight ${what}`).toBe('GET, POST');
        checked += 2;
      }
    }
    const after = server.rowCounts();
    expect(after['events']).toBeGreaterThan(before['events']!); // the writes really went through
    console.log(`cors: ${checked} requests from ${all.length} allowed origins: each answered with exactly its origin, 0 credentialed`);
  });
});
