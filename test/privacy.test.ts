// Privacy on the server: DELETE /v1/visitors/:id (admin token) erases everything stored about one visitor —
// events, cart, webhook messages, offer grants — and nothing of anyone else's; retention deletes what is older
// than privacy.retention_days; the shopper's address lives only as long as a webhook needs it (a settled message
// keeps a redacted body, a closed cart forgets it after a week), and what is deleted is gone from the file's bytes.
// In-process (app.request), a real SQLite store, a fake clock.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createAbandonDetector } from '../server/abandon';
import { createApp } from '../server/app';
import { CLOSED_CART_EMAIL_MS } from '../server/carts';
import { createLogger } from '../server/log';
import { startRetention } from '../server/retention';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import { settledBody } from '../server/webhooks/redact';
import { loadedConfig } from './loaded-config';

const DAY = 86_400_000;
const TOKEN = 'admin-token-for-tests-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'kairos-privacy-'));
const configFile = join(dir, 'kairos.yaml');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const yaml = [
  'site: { allowed_origins: [https://shop.example] }',
  'privacy: { retention_days: 30 }',
  'webhooks:',
  '  endpoints: [{ url: "https://crm.example/hooks" }]',
  '  recovery_url: https://shop.example/cart',
  'campaigns:',
  '  - id: newsletter',
  '    type: newsletter_bar',
  '    content: { text: Join us }',
  '',
].join('\n');

const logLines: string[] = [];
const log = createLogger({ level: 'info', destination: { write: (s: string) => void logLines.push(s) } });
let clock = Date.UTC(2026, 6, 1, 9, 0, 0);
let store: SqliteStore;
let dbFile: string;
let app: ReturnType<typeof createApp>;
let n = 0;
const config = () => ({ current: loadedConfig(yaml, configFile), file: configFile });

beforeEach(async () => {
  await store?.close();
  dbFile = join(dir, `kairos-${++n}.db`);
  store = openSqliteStore(dbFile);
  app = createApp({ config: config(), store, widgetDir: join(dir, 'widget'), log, now: () => clock, adminToken: TOKEN });
  logLines.length = 0;
});
afterAll(() => store.close());

const ALICE = 'visitor_alice_0001';
const BOB = 'visitor_bob_000002';

/** What a visitor leaves behind: page views, a cart with an email, a lead (a queued webhook), an offer grant. */
async function visit(visitor: string, email: string, at = clock): Promise<void> {
  const ev = (i: number, name: string, props: Record<string, unknown>) => ({
    event_id: `${visitor}_${i}_${at}`.slice(0, 64),
    type: 'track' as const,
    name,
    ts: at,
    received_at: at,
    visitor_id: visitor,
    session_id: 'session_00000001',
    path: '/products/x',
    campaign_id: null,
    user_id: null,
    props,
  });
  await store.insertEvents([
    ev(1, 'Product Viewed', { product_id: 'x' }),
    ev(2, 'Product Added', { product_id: 'x', price: 20, quantity: 1, email }),
  ]);
  const lead = await app.request('/v1/leads', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Origin: 'https://shop.example' },
    body: JSON.stringify({ campaign_id: 'newsletter', visitor_id: visitor, session_id: 'session_00000001', email, consent: null }),
  });
  expect(lead.status).toBe(200);
  await store.grantOffer({ campaign_id: 'exit', visitor_id: visitor, now: at, deadline: at + 30 * 60_000, coupon: { pool: 'pool.txt', codes: ['CODE1', 'CODE2', 'CODE3'] } });
}

/** Every row in every table, as text, for "does this appear anywhere". */
function everything(): string {
  const db = new Database(dbFile, { readonly: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
    return tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all())).join('\n');
  } finally {
    db.close();
  }
}

const erase = (id: string, token: string | null = TOKEN) =>
  app.request(`/v1/visitors/${id}`, { method: 'DELETE', headers: token === null ? {} : { Authorization: `Bearer ${token}` } });

describe('DELETE /v1/visitors/:id', () => {
  it('erases the visitor’s events, cart, webhook messages and offer grants, and nobody else’s', async () => {
    await visit(ALICE, 'alice@example.com');
    await visit(BOB, 'bob@example.com');
    expect(everything()).toContain(ALICE);
    expect(everything()).toContain('alice@example.com');

    const res = await erase(ALICE);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ erased: { events: 3, carts: 1, messages: 1, grants: 1, preferences: 0 } });
    const left = everything();
    expect(left).not.toContain(ALICE);
    expect(left).not.toContain('alice@example.com');
    expect(left).toContain(BOB);
    expect(left).toContain('bob@example.com');
    // The code Alice was given stays used: it may be redeemed at the shop, and is never handed out again.
    const carol = await store.grantOffer({ campaign_id: 'exit', visitor_id: 'visitor_carol_003', now: clock, deadline: clock + 1, coupon: { pool: 'pool.txt', codes: ['CODE1', 'CODE2', 'CODE3'] } });
    expect(carol?.code).toBe('CODE3');
    // The log says what was erased, not whose.
    expect(logLines.join('\n')).not.toContain(ALICE);

    expect(await (await erase(ALICE)).json()).toEqual({ erased: { events: 0, carts: 0, messages: 0, grants: 0, preferences: 0 } }); // idempotent
  });

  it.each<[string, string | null, number, RegExp]>([
    ['no token', null, 401, /Authorization: Bearer/],
    ['a wrong token', 'not-the-token', 401, /wrong admin token/],
  ])('refuses %s and erases nothing', async (_name, token, status, error) => {
    await visit(ALICE, 'alice@example.com');
    const res = await erase(ALICE, token);
    expect(res.status).toBe(status);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect((await res.json()).error).toMatch(error);
    expect(everything()).toContain(ALICE);
  });

  it('is off without KAIROS_ADMIN_TOKEN, and refuses a malformed id', async () => {
    const off = createApp({ config: config(), store, widgetDir: join(dir, 'widget'), log, now: () => clock });
    const res = await off.request(`/v1/visitors/${ALICE}`, { method: 'DELETE', headers: { Authorization: 'Bearer anything' } });
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatch(/KAIROS_ADMIN_TOKEN/);
    expect((await erase('short')).status).toBe(400);
  });
});

describe('retention', () => {
  it('deletes events, idle carts, settled messages and expired grants older than retention_days, and keeps the rest', async () => {
    const today = clock;
    const old = today - 40 * DAY;
    clock = old;
    await visit(ALICE, 'alice@example.com', old);
    clock = old + 1; // the lead's webhook is settled (delivered) long ago
    const [msg] = await store.claimWebhooks({ now: clock, leaseMs: 60_000, limit: 10 });
    await store.settleWebhook(msg!.id, msg!.lease_token, { status: 'delivered', at: clock, http_status: 200 });
    clock = today;
    await visit(BOB, 'bob@example.com');

    const retention = startRetention({ store, config: config(), log, now: () => clock, tickMs: 3_600_000 });
    try {
      const removed = await retention.run();
      expect(removed).toEqual({ events: 3, carts: 1, messages: 1, grants: 1, preferences: 0 });
    } finally {
      await retention.stop();
    }
    const left = everything();
    expect(left).not.toContain('alice@example.com');
    expect(left).toContain('bob@example.com');
    expect(await store.countEvents()).toBe(3); // Bob's two events and his lead
  });
});

describe('the address lives only as long as delivery needs it', () => {
  /** Settles every due message as delivered at `at` (what the worker does after a 2xx), returning the bodies it "sent". */
  async function deliverAll(at: number): Promise<string[]> {
    const sent: string[] = [];
    for (const m of await store.claimWebhooks({ now: at, leaseMs: 60_000, limit: 100 })) {
      sent.push(m.body);
      expect(await store.settleWebhook(m.id, m.lease_token, { status: 'delivered', at, http_status: 204 })).toBe(true);
    }
    return sent;
  }
  const fileBytes = () => [dbFile, `${dbFile}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('\n');

  it('lead and cart.abandoned are sent with it; then the outbox keeps redacted bodies and, a week after abandonment, the cart forgets it', async () => {
    const start = clock;
    await visit(ALICE, 'alice@example.com');
    // The lead's webhook carries the address to the receiver; once delivered the stored body no longer does.
    const [leadBody] = await deliverAll(clock);
    expect(JSON.parse(leadBody!)).toMatchObject({ type: 'lead.captured', data: { email: 'alice@example.com' } });
    const [settled] = await store.listWebhooks({ status: 'delivered' });
    expect(JSON.parse(settled!.body)).toEqual({ type: 'lead.captured', timestamp: expect.any(String), data: { campaign_id: 'newsletter', visitor_id: ALICE }, redacted: true });
    // Only the cart holds the address now (an abandoned cart needs it).
    expect(await store.getCart(ALICE)).toMatchObject({ email: 'alice@example.com', state: 'open' });

    // An hour idle: abandoned; the webhook goes with the address.
    clock = start + 60 * 60_000;
    const configNow = config();
    expect(await createAbandonDetector({ store, config: configNow, log, now: () => clock }).tick()).toBe(1);
    const [cartBody] = await deliverAll(clock);
    expect(JSON.parse(cartBody!)).toMatchObject({ type: 'cart.abandoned', data: { email: 'alice@example.com', visitor_id: ALICE } });
    expect(everything().split('alice@example.com')).toHaveLength(2); // once: carts.email, for a new cart if she comes back

    // A week after the abandonment, nothing came: retention clears it.
    const retention = startRetention({ store, config: configNow, log, now: () => clock, tickMs: 3_600_000 });
    try {
      clock = start + 60 * 60_000 + CLOSED_CART_EMAIL_MS - 1;
      await retention.run();
      expect(await store.getCart(ALICE)).toMatchObject({ email: 'alice@example.com' });
      clock += 2;
      await retention.run();
    } finally {
      await retention.stop();
    }
    expect(await store.getCart(ALICE)).toMatchObject({ email: null, state: 'abandoned', total: 20 });
    expect(everything()).not.toContain('alice@example.com');
    expect(logLines.join('\n')).not.toContain('alice@example.com');
    expect(logLines.join('\n')).toContain('retention: emails of closed carts cleared');
    // And the bytes are gone from the file too (secure_delete), once the WAL is checkpointed by close().
    expect(await store.countEvents()).toBe(3);
    await store.close();
    expect(fileBytes()).not.toMatch(/alice@example\.com|alice%40example\.com/i);
    expect(fileBytes()).toContain(ALICE); // the scan sees what is there: her (pseudonymous) id on events and cart
  });

  it('an erased visitor’s address and id are gone from the file’s bytes', async () => {
    await visit(ALICE, 'alice@example.com');
    await visit(BOB, 'bob@example.com');
    expect((await erase(ALICE)).status).toBe(200);
    await store.close();
    expect(fileBytes()).not.toContain('alice@example.com');
    expect(fileBytes()).not.toContain(ALICE);
    expect(fileBytes()).toContain('bob@example.com');
  });
});

describe('what a settled webhook body and a log line keep', () => {
  it.each<[string, string, unknown]>([
    [
      'cart.abandoned: type, timestamp and the cart and visitor ids',
      JSON.stringify({ type: 'cart.abandoned', timestamp: 'T', data: { cart_id: 'cart_1', visitor_id: 'v1', email: 'a@example.com', user_id: 'customer-1', items: [{ id: 'x' }], total: 5, recovery_url: 'https://shop.example/cart?kairos_cart=cart_1' } }),
      { type: 'cart.abandoned', timestamp: 'T', data: { cart_id: 'cart_1', visitor_id: 'v1' }, redacted: true },
    ],
    [
      'lead.captured: the campaign instead of the address and the consent',
      JSON.stringify({ type: 'lead.captured', timestamp: 'T', data: { email: 'a@example.com', consent: { text: 'Yes', given_at: 'T' }, campaign_id: 'newsletter', visitor_id: 'v1', path: '/' } }),
      { type: 'lead.captured', timestamp: 'T', data: { campaign_id: 'newsletter', visitor_id: 'v1' }, redacted: true },
    ],
    ['an id that is not a string is dropped', JSON.stringify({ type: 'x', data: { cart_id: { email: 'a@example.com' } } }), { type: 'x', data: {}, redacted: true }],
    ['not JSON', 'email=a@example.com', { redacted: true }],
    ['JSON but not an object', JSON.stringify(['a@example.com']), { redacted: true }],
  ])('%s', (_, body, want) => {
    expect(JSON.parse(settledBody(body))).toEqual(want);
    expect(settledBody(settledBody(body))).toBe(settledBody(body)); // idempotent: settling twice changes nothing
  });

  it('the logger drops contact details and bodies that a careless call passes', () => {
    const lines: string[] = [];
    const l = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    l.info({ email: 'a@example.com', phone: '+44 7700 900 417', first_name: 'Ada', last_name: 'L', address: '12 St James Sq', traits: { x: 1 }, body: '{"email":"a@example.com"}', m: { email: 'b@example.com', body: 'x', phone: '1' }, count: 3 }, 'careless');
    const { time: _t, pid: _p, hostname: _h, ...line } = JSON.parse(lines.join('')) as Record<string, unknown>;
    expect(line).toEqual({ level: 30, m: {}, count: 3, msg: 'careless' });
  });
});

describe('what an event keeps', () => {
  it('no contact details and no query strings but utm_*, while the cart still learns the email', async () => {
    await store.insertEvents([
      {
        event_id: 'evt_identify_0001',
        type: 'identify',
        name: 'Identify',
        ts: clock,
        received_at: clock,
        visitor_id: ALICE,
        session_id: 'session_00000001',
        path: '/account?email=sentinel%40example.com&utm_source=news',
        campaign_id: null,
        user_id: 'customer-7',
        props: { email: 'sentinel@example.com', phone: '+44 20 7946 0000', plan: 'gold' },
      },
      {
        event_id: 'evt_added_000002',
        type: 'track',
        name: 'Product Added',
        ts: clock,
        received_at: clock,
        visitor_id: ALICE,
        session_id: 'session_00000001',
        path: '/products/x',
        campaign_id: null,
        user_id: null,
        props: {
          product_id: 'x',
          price: 20,
          url: 'https://shop.example/products/x?ref=sentinel%40example.com&utm_campaign=summer#reviews',
          products: [{ product_id: 'x', email: 'sentinel@example.com', image: '/img/x.png?token=secret-token' }],
          question: 'Is this waterproof? Really?',
        },
      },
    ]);
    const stored = await store.queryEvents();
    const identify = stored.find((e) => e.name === 'Identify');
    const added = stored.find((e) => e.name === 'Product Added');
    expect(identify!.props).toEqual({ plan: 'gold' });
    expect(identify!.path).toBe('/account?utm_source=news');
    expect(added!.props).toEqual({
      product_id: 'x',
      price: 20,
      url: 'https://shop.example/products/x?utm_campaign=summer',
      products: [{ product_id: 'x', image: '/img/x.png' }],
      question: 'Is this waterproof? Really?', // text, not a URL: left alone
    });
    expect(await store.getCart(ALICE)).toMatchObject({ email: 'sentinel@example.com' });
    // Only the cart (needed for cart.abandoned, erased with the visitor) holds the address.
    const db = new Database(dbFile, { readonly: true });
    try {
      expect(JSON.stringify(db.prepare('SELECT * FROM events').all())).not.toMatch(/sentinel|secret-token|7946/);
    } finally {
      db.close();
    }
  });
});
