// The server's limits over real HTTP on loopback (the real `kairos serve`, so the node:http timeouts are the ones
// server/cli.ts sets: HTTP_TIMEOUTS). Proves (reliability.md §3 items 16–17):
// - body caps: on every write route a body of exactly the cap is not refused for its size, cap + 1 byte is a 413
//   with a JSON reason (with a Content-Length and chunked), cap + 50 % gets its 413 too and the keep-alive
//   connection is closed cleanly (the answer says `Connection: close`, the next request goes out on a new socket
//   and succeeds); the maximal legal batch (100 events, as large as fits under the cap) is accepted and stored whole;
// - slow clients: headers sent at 1 byte/s are cut off by headersTimeout (a 408 with a reason, then the socket is
//   closed), a body trickled at 1 byte/s gets Node's 408 at requestTimeout, a keep-alive connection idle longer than
//   headersTimeout still works (keepAliveTimeout), and normal requests keep being answered while 200 slow sockets
//   are open (their p99 is measured against a baseline and printed);
// - the rate limit per client over real HTTP: two clients behind our proxy (X-Forwarded-For, 1 trusted hop), one
//   limited (429, Retry-After, CORS headers, a reason), the other not; a spoofed left part of the header changes
//   nothing. (The limiter itself: test/rate-limit.test.ts.)
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_TIMEOUTS } from '../server/cli';
import { BODY_ROUTES, CAPS, CONSENT, FUZZ_CONFIG, ORIGIN, serialise, type BodyRoute } from './fuzz/requests';
import { percentile, send, startServerProcess, type ServerProcess } from './fuzz/server';

let server: ServerProcess;
let limited: ServerProcess;
beforeAll(async () => {
  // The first server does not rate-limit (KAIROS_RATE_LIMIT=0): these tests send more than a burst from one client.
  [server, limited] = await Promise.all([
    startServerProcess({ config: FUZZ_CONFIG, env: { KAIROS_RATE_LIMIT: '0' } }),
    startServerProcess({ config: FUZZ_CONFIG, env: { KAIROS_RATE_LIMIT: '10', KAIROS_TRUST_PROXY_HOPS: '1' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), limited?.stop()]);
});

let seq = 0;
const id = (p: string) => `${p}-${process.pid}-${++seq}`.padEnd(12, '0');
/** A valid body for each write route (different each call where the store keys on it). */
function validBody(route: BodyRoute): Record<string, unknown> {
  switch (route) {
    case 'events':
      return { sent_at: Date.now(), events: [{ event_id: id('cap'), type: 'track', name: 'Cap Test', ts: Date.now(), visitor_id: 'visitor-cap-1', session_id: 'session-cap-1' }] };
    case 'leads':
      return { campaign_id: 'newsletter', visitor_id: id('lead'), session_id: 'session-cap-1', email: 'ada@example.com', consent: CONSENT };
    case 'offers':
      return { visitor_id: id('offer') };
    case 'presence':
      return { visitor_id: id('viewer'), key: 'product:linen-shirt' };
    case 'preferences':
      return { level: 'fewer', off: [], at: Date.now(), visitor_id: id('prefs') };
  }
}
const pathOf = (route: BodyRoute) => (route === 'offers' ? '/v1/offers/stay10' : route === 'preferences' ? '/v1/preferences/user-cap' : `/v1/${route}`);
/** A valid JSON body of exactly `size` bytes: trailing whitespace is still JSON. */
const ofSize = (route: BodyRoute, size: number) => {
  const text = serialise(validBody(route));
  if (text.length > size) throw new Error(`${route}: a valid body is already ${text.length} bytes`);
  return Buffer.from(text + ' '.repeat(size - text.length));
};
const reason = (body: Buffer) => (JSON.parse(body.toString('utf8')) as { error?: unknown }).error;
const headers = { 'content-type': 'text/plain', origin: ORIGIN };

describe('body caps on every write route', () => {
  it.each(BODY_ROUTES)('%s: exactly the cap is taken; cap + 1 byte is a 413 with a reason, with a Content-Length and chunked', async (route) => {
    const cap = CAPS[route];
    const at = await send(server, { method: 'POST', path: pathOf(route), headers, body: ofSize(route, cap) });
    expect(at.status, at.body.toString()).toBe(200);

    const over = await send(server, { method: 'POST', path: pathOf(route), headers, body: ofSize(route, cap + 1) });
    expect(over.status).toBe(413);
    expect(reason(over.body)).toMatch(/too large/);

    // No Content-Length: the cap is counted as the body streams in.
    const chunked = await send(server, { method: 'POST', path: pathOf(route), headers: { ...headers, 'transfer-encoding': 'chunked' }, body: ofSize(route, cap + 1) });
    expect(chunked.status).toBe(413);
    expect(reason(chunked.body)).toMatch(/too large/);
  });

  it.each(BODY_ROUTES)('%s: one and a half times the cap gets its 413 and closes the keep-alive connection cleanly; the next request works', async (route) => {
    const cap = CAPS[route];
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(server, { method: 'GET', path: '/healthz' }, agent);
      const again = await send(server, { method: 'GET', path: '/healthz' }, agent);
      expect(again.socket).toBe(first.socket); // keep-alive works: one socket for both

      const big = await send(server, { method: 'POST', path: pathOf(route), headers, body: ofSize(route, Math.floor(cap * 1.5)) }, agent);
      expect(big.status).toBe(413);
      expect(reason(big.body)).toMatch(/too large/);
      // The body was refused before it was read: the server says it closes this connection, so no client sends
      // its next request on it.
      expect(big.headers['connection']).toBe('close');

      const next = await send(server, { method: 'POST', path: pathOf(route), headers, body: ofSize(route, 400) }, agent);
      expect(next.status).toBe(200);
      expect(next.socket).not.toBe(big.socket);
    } finally {
      agent.destroy();
    }
  });

  it('DELETE /v1/visitors/:id reads no body: one sent anyway is not read, and the connection is closed cleanly', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const res = await send(server, { method: 'DELETE', path: '/v1/visitors/visitor-cap-1', headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(1 << 20, 'x') }, agent);
      expect(res.status).toBe(403); // no admin token configured: admin routes are off
      expect(reason(res.body)).toMatch(/admin routes are off/);
      expect(res.headers['connection']).toBe('close');
      expect((await send(server, { method: 'GET', path: '/healthz' }, agent)).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('the maximal legal batch — 100 events, each as large as fits under the cap — is accepted and stored whole', async () => {
    const now = Date.now();
    const event = (i: number, fill: number) => ({
      event_id: `max-batch-${String(i).padStart(3, '0')}`.padEnd(64, 'x'),
      type: 'track' as const,
      name: `Max ${i} `.padEnd(200, 'n'),
      ts: now,
      visitor_id: 'v'.repeat(64),
      session_id: 's'.repeat(64),
      path: '/products/' + 'p'.repeat(190),
      campaign_id: 'c'.repeat(64),
      user_id: 'u'.repeat(200),
      props: {
        list: Array.from({ length: 5 }, (_, k) => ({ sku: `sku-${k}`, price: 19.99, qty: 1 })),
        flag: true,
        none: null,
        text: 't'.repeat(fill),
      },
    });
    const size = (fill: number) => Buffer.byteLength(serialise({ sent_at: now, events: Array.from({ length: 100 }, (_, i) => event(i, fill)) }));
    const perEvent = Math.floor((CAPS.events - size(0)) / 100);
    const batch = { sent_at: now, events: Array.from({ length: 100 }, (_, i) => event(i, perEvent)) };
    const body = Buffer.from(serialise(batch));
    expect(body.length).toBeLessThanOrEqual(CAPS.events);
    expect(body.length).toBeGreaterThan(CAPS.events - 100);
    expect(perEvent).toBeLessThanOrEqual(2000); // still a legal prop string

    const res = await send(server, { method: 'POST', path: '/v1/events', headers, body });
    expect(res.status, res.body.toString().slice(0, 300)).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ accepted: 100, duplicates: 0 });
    const db = new Database(server.dbFile, { readonly: true });
    try {
      const rows = db.prepare("SELECT event_id, name, path, user_id, props FROM events WHERE event_id LIKE 'max-batch-%' ORDER BY event_id").all() as Array<Record<string, string>>;
      expect(rows.map((r) => ({ ...r, props: JSON.parse(r['props']!) }))).toEqual(
        batch.events.map((e) => ({ event_id: e.event_id, name: e.name, path: e.path, user_id: e.user_id, props: e.props })),
      );
    } finally {
      db.close();
    }
    console.log(`limits: the maximal batch, ${body.length} bytes (cap ${CAPS.events}), 100 events of ~${Math.round(body.length / 100)} bytes: accepted and stored whole`);
  });
});

// --- slow clients --------------------------------------------------------------------------------------------

/** A raw socket; resolves when it is connected. Collects what the server sends and when it closes. */
function rawSocket(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let got = '';
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - t0)));
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => undefined); // a reset after the server gave up on us is expected
    socket.once('connect', () => resolve({ socket, received: () => got, closed }));
    socket.once('error', reject);
  });
}

/** Writes `text` one byte per `everyMs` until the socket closes; stops then. */
function trickle(socket: Socket, text: string, everyMs = 1000): void {
  let i = 0;
  const tick = () => {
    if (socket.destroyed || i >= text.length) return;
    socket.write(text[i++]!);
    setTimeout(tick, everyMs).unref();
  };
  tick();
}

describe('slow clients', () => {
  const { headersTimeout, requestTimeout, connectionsCheckingInterval } = HTTP_TIMEOUTS;

  it('slow-loris headers and a trickled body are cut off by the timeouts; normal requests go on meanwhile', { timeout: requestTimeout + 40_000 }, async () => {
    const normal = async (n: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      const ms: number[] = [];
      try {
        for (let i = 0; i < n; i++) {
          const batch = [0, 1, 2, 3].map(async () => {
            const r = await send(server, { method: 'GET', path: '/v1/config', headers: { origin: ORIGIN } }, agent);
            expect(r.status).toBe(200);
            ms.push(r.ms);
          });
          await Promise.all(batch);
        }
      } finally {
        agent.destroy();
      }
      return ms;
    };
    const baseline = await normal(30);

    // A keep-alive connection that will sit idle for longer than headersTimeout between two requests.
    const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const idleFirst = await send(server, { method: 'GET', path: '/healthz' }, idleAgent);
    const idleSince = performance.now();

    // Headers at 1 byte/s, never finished.
    const loris = await rawSocket(server.port);
    loris.socket.write('POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    trickle(loris.socket, 'X-Slow: ' + 'a'.repeat(100));
    // A body at 1 byte/s: the headers are complete, the body never will be.
    const drip = await rawSocket(server.port);
    drip.socket.write(`POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n`);
    trickle(drip.socket, '{"sent_at":' + '1'.repeat(900));
    // 200 more slow-loris sockets.
    const crowd = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const s = await rawSocket(server.port);
        s.socket.write('GET /v1/config HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        trickle(s.socket, 'X-Slow: ' + 'b'.repeat(100), 2000);
        return s;
      }),
    );

    // With the crowd open: normal requests are still answered, at about their usual latency.
    const openAtStart = crowd.filter((s) => !s.socket.destroyed).length;
    const crowded = await normal(30);
    const stillOpen = crowd.filter((s) => !s.socket.destroyed).length;

    const lorisMs = await loris.closed;
    const crowdMs = await Promise.all(crowd.map((s) => s.closed));
    // The idle keep-alive connection, after more than headersTimeout: still served, on the same socket.
    const idleFor = headersTimeout + 2 * connectionsCheckingInterval;
    await new Promise((r) => setTimeout(r, Math.max(0, idleFor - (performance.now() - idleSince))));
    const idleAgain = await send(server, { method: 'GET', path: '/healthz' }, idleAgent);
    idleAgent.destroy();
    const dripMs = await drip.closed;

    const [b99, c99] = [percentile(baseline, 99), percentile(crowded, 99)];
    console.log(
      [
        `limits: slow-loris headers closed after ${(lorisMs / 1000).toFixed(1)} s (headersTimeout ${headersTimeout / 1000} s, checked every ${connectionsCheckingInterval / 1000} s), answer ${JSON.stringify(loris.received().split('\r\n')[0])}`,
        `limits: trickled body cut off after ${(dripMs / 1000).toFixed(1)} s (requestTimeout ${requestTimeout / 1000} s), answer ${JSON.stringify(drip.received().split('\r\n')[0])}`,
        `limits: 200 slow sockets (${openAtStart} open when the measurement began, ${stillOpen} at its end) closed after ${(Math.min(...crowdMs) / 1000).toFixed(1)}–${(Math.max(...crowdMs) / 1000).toFixed(1)} s`,
        `limits: normal requests p99 ${b99.toFixed(1)} ms alone, ${c99.toFixed(1)} ms with 200 slow sockets open (×${(c99 / b99).toFixed(2)}; bar ≤ 2×)`,
      ].join('\n'),
    );

    // Cut off by the header timeout: not before it, and within it plus the check interval (and slack for a busy CI).
    expect(lorisMs).toBeGreaterThan(headersTimeout - 1000);
    expect(lorisMs).toBeLessThan(headersTimeout + connectionsCheckingInterval + 5_000);
    expect(loris.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(loris.received()).toMatch(/\r\n\r\n\{"error":"[^"]+"\}$/);
    for (const ms of crowdMs) expect(ms).toBeLessThan(headersTimeout + connectionsCheckingInterval + 8_000);

    // The trickled body: Node's 408 at requestTimeout, with our JSON reason.
    expect(dripMs).toBeGreaterThan(requestTimeout - 1000);
    expect(dripMs).toBeLessThan(requestTimeout + connectionsCheckingInterval + 5_000);
    expect(drip.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(drip.received()).toContain('"error":"the request took longer than');

    expect(idleAgain.status).toBe(200);
    expect(idleAgain.socket).toBe(idleFirst.socket);

    // Normal requests never failed (checked in normal()); their latency is printed above. The bound is loose: the
    // bar is 2×, but CI machines are shared and noisy.
    expect(openAtStart).toBe(200);
    expect(c99).toBeLessThan(Math.max(10 * b99, 1_000));
  });
});

// --- the rate limit over real HTTP ------------------------------------------------------------------------------

describe('rate limit per client (KAIROS_RATE_LIMIT=10: bursts of 5; behind one trusted proxy)', () => {
  const beat = (xff: string | undefined) =>
    send(limited, {
      method: 'POST',
      path: '/v1/presence',
      headers: { ...headers, ...(xff !== undefined && { 'x-forwarded-for': xff }) },
      body: JSON.stringify({ key: 'product:linen-shirt' }),
    });

  it('one client is limited (429 with Retry-After, CORS headers and a reason), another is not; a spoofed left part changes nothing', async () => {
    const a = '198.51.100.1';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await beat(a)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const refused = await beat(a);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(refused.headers['vary']).toMatch(/Origin/);
    expect(reason(refused.body)).toMatch(/^too many requests from this client; retry after \d+ s$/);
    // The client puts its own "address" in front: our proxy appended the real one, which is what counts.
    expect((await beat(`203.0.113.9, ${a}`)).status).toBe(429);

    // Another client behind the same proxy, and one that reached us directly (the socket's peer): their own buckets.
    expect((await beat('198.51.100.2')).status).toBe(200);
    expect((await beat(undefined)).status).toBe(200);
  });
});
