// No personal data left behind: a full demo session against the real `kairos serve`, seeded with sentinels — an
// email, a phone number, a first name, an IP address (X-Forwarded-For and X-Real-IP), a user agent, and a landing
// URL whose query names the email and the phone — then every byte the server wrote (the SQLite file, its -wal and
// -shm if left, everything else in its directory) and everything it printed is searched for each of them.
//
// The session: land on /?email=…&phone=…&utm_source=news, view a product, add it to the cart, identify with the
// email, phone and first name, sign up to the newsletter bar with the email, view the cart, open the checkout (and
// type the email into its form), leave. The server then does what a shop's server does over the next days,
// fast-forwarded (test/e2e/fake-clock.mjs moves its clock): the lead.captured webhook is delivered at once; a
// minute later (webhooks.abandon_after_minutes: 1) the cart is abandoned and cart.abandoned is delivered — both to
// a local receiver, which must get the email (delivery still works); a week after that, retention clears the
// abandoned cart's address (server/carts.ts CLOSED_CART_EMAIL_MS). Then the server stops (close() checkpoints the
// WAL) and the scan runs. The session must have left rows — events, a cart, delivered webhooks — so the test
// cannot pass by storing nothing.
import { expect, test } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import YAML from 'yaml';
import { demoConfig, root, startKairos, startReceiver, waitFor, type Kairos, type ReceivedHook } from './support';

const EMAIL = 'sentinel.kairos.7f3a@example.org';
const PHONE = '+44 7700 900 417';
const FIRST_NAME = 'Sentinelfirstname';
const IP = '203.0.113.77';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 SentinelUA/9.9';
const LANDING = `/?email=${encodeURIComponent(EMAIL)}&phone=${encodeURIComponent(PHONE)}&utm_source=news`;

/** Every form a sentinel could be written in: as sent, lowercase, URL-encoded (both space styles), digits only. */
const NEEDLES: Record<string, string[]> = {
  email: [EMAIL, encodeURIComponent(EMAIL), 'sentinel.kairos.7f3a'],
  phone: [PHONE, encodeURIComponent(PHONE), encodeURIComponent(PHONE).replaceAll('%20', '+'), '+447700900417', '7700 900 417', '7700900417'],
  first_name: [FIRST_NAME],
  ip: [IP],
  user_agent: ['SentinelUA/9.9', 'SentinelUA%2F9.9', 'SentinelUA'],
};

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const DAY = 86_400_000;

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let received: ReceivedHook[] = [];
let kairos: Kairos;
const clockFile = join(mkdtempSync(join(tmpdir(), 'kairos-privacy-clock-')), 'now');

/** The demo (modals off, so nothing covers the shop) with webhooks to the receiver, abandonment after a minute, and the newsletter bar at once. */
function config(receiverUrl: string): string {
  const doc = YAML.parse(demoConfig) as { campaigns: Array<{ id: string; trigger?: unknown }>; webhooks?: unknown };
  doc.webhooks = { endpoints: [{ url: receiverUrl }], recovery_url: 'https://shop.example/cart', allow_private_networks: true, abandon_after_minutes: 1 };
  const newsletter = doc.campaigns.find((c) => c.id === 'newsletter');
  if (!newsletter) throw new Error('demo/kairos.yaml has no newsletter campaign any more; update test/e2e/privacy.spec.ts');
  newsletter.trigger = { type: 'page_load' };
  return YAML.stringify(doc);
}

test.beforeAll(async () => {
  receiver = await startReceiver();
  received = receiver.received;
  const preload = `--import=${pathToFileURL(join(root, 'test', 'e2e', 'fake-clock.mjs')).href}`;
  kairos = await startKairos({
    config: config(receiver.url),
    env: {
      LOG_LEVEL: 'trace', // the most the server ever prints
      KAIROS_WEBHOOK_SECRET: SECRET,
      KAIROS_WEBHOOK_TICK_MS: '100',
      KAIROS_ABANDON_TICK_MS: '100',
      KAIROS_RETENTION_TICK_MS: '200',
      KAIROS_TRUST_PROXY_HOPS: '1', // believe X-Forwarded-For, so the server really handles the sentinel address (rate limits, GeoIP)
      KAIROS_FAKE_NOW_FILE: clockFile, // absent until the test moves the clock: real time until then
      NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} ${preload}`.trim(),
    },
  });
});
test.afterAll(async () => {
  await kairos?.stop();
  await receiver?.close();
});

/** Moves the server's clock to `at` (it runs on from there); resolves once the server reads it. */
async function serverClockAt(at: number): Promise<void> {
  writeFileSync(clockFile, String(at));
  await waitFor(`the server clock at ${new Date(at).toISOString()}`, async () => {
    const { now } = (await (await fetch(kairos.url + '/v1/countdowns/same-day-dispatch')).json()) as { now: number };
    return now >= at && now < at + 60_000;
  });
}

/** Reads the database (read-only, beside the running server: WAL allows it). */
function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(kairos.dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Which tables hold the text in any column (read through SQL, so it sees committed rows wherever they are). */
function tablesHolding(text: string): string[] {
  const tables = query<{ name: string }>(`SELECT name FROM sqlite_schema WHERE type = 'table'`).map((t) => t.name);
  return tables.filter((t) => query<Record<string, unknown>>(`SELECT * FROM "${t}"`).some((row) => JSON.stringify(row).toLowerCase().includes(text.toLowerCase())));
}

/** Each needle found (case-insensitively) in `haystack`, as `kind: needle @ offset: …context…`. */
function findSentinels(haystack: string, where: string): string[] {
  const lower = haystack.toLowerCase();
  const found: string[] = [];
  for (const [kind, needles] of Object.entries(NEEDLES))
    for (const needle of needles) {
      const at = lower.indexOf(needle.toLowerCase());
      if (at !== -1) found.push(`${where}: ${kind} "${needle}" at ${at}: …${JSON.stringify(haystack.slice(Math.max(0, at - 60), at + needle.length + 60))}…`);
    }
  return found;
}

test('a full demo session leaves no sentinel in the database, its WAL or the logs; webhooks still deliver the address', async ({ browser }) => {
  test.setTimeout(45_000);
  const context = await browser.newContext({ userAgent: UA, extraHTTPHeaders: { 'X-Forwarded-For': IP, 'X-Real-IP': IP } });
  const page = await context.newPage();
  const settle = () => page.waitForLoadState('networkidle');

  // Land from a newsletter link whose query names the shopper.
  await page.goto(kairos.url + LANDING);
  await settle();
  // A product: viewed, added to the cart with the demo's own button.
  await page.goto(kairos.url + '/products/linen-shirt');
  await page.getByTestId('add-to-cart').click();
  await expect(page.getByTestId('cart-count').first()).toHaveText('1');
  // The shop identifies the shopper with contact details.
  await page.evaluate(
    ({ email, phone, first_name }) => (window as unknown as { kairos: (...a: unknown[]) => void }).kairos('identify', 'u-1', { email, phone, first_name }),
    { email: EMAIL, phone: PHONE, first_name: FIRST_NAME },
  );
  // The newsletter bar on the home page: the sentinel address, with the consent tick.
  await page.goto(kairos.url + '/');
  const bar = page.getByRole('region', { name: 'Newsletter' });
  await bar.getByRole('textbox', { name: 'Your email' }).fill(EMAIL);
  await bar.getByRole('checkbox').check();
  await bar.getByRole('button', { name: 'Subscribe' }).click();
  await expect(bar.getByRole('status')).toHaveText(/on the list/);
  // Cart, then checkout, where the shopper types the address into the shop's form — and leaves.
  await page.goto(kairos.url + '/cart');
  await settle();
  await page.goto(kairos.url + '/checkout');
  await page.getByTestId('email').fill(EMAIL);
  await page.getByTestId('name').fill(`${FIRST_NAME} Shopper`);
  await settle();
  for (const name of ['Page Viewed', 'Product Viewed', 'Product Added', 'Identify', 'Lead Captured', 'Cart Viewed', 'Checkout Started'])
    await waitFor(`a stored ${name}`, () => kairos.events(name).length > 0);
  await context.close(); // the tab is gone: nothing more arrives
  const visitor = kairos.events('Product Added')[0]!.visitor_id;

  // The lead.captured webhook reached the receiver with the address, signed.
  const hook = (type: string) => received.find((r) => r.body.includes(`"${type}"`));
  const lead = await waitFor('the lead.captured webhook', () => hook('lead.captured'));
  const verify = (r: ReceivedHook) => new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
  expect(verify(lead).data).toMatchObject({ email: EMAIL, visitor_id: visitor });

  // A minute and a bit later (server time): abandoned, and cart.abandoned delivered with the address.
  await serverClockAt(Date.now() + 90_000);
  const abandoned = await waitFor('the cart.abandoned webhook', () => hook('cart.abandoned'));
  const payload = verify(abandoned).data as { email: string; visitor_id: string; user_id: string; items: Array<{ id: string }> };
  expect(payload).toMatchObject({ email: EMAIL, visitor_id: visitor, user_id: 'u-1', items: [{ id: 'linen-shirt' }] });
  await waitFor('both messages recorded as delivered', () => query<{ n: number }>(`SELECT count(*) AS n FROM webhook_outbox WHERE status = 'delivered'`)[0]!.n === 2);
  // Until the week is out the address is in one place only: the abandoned cart, for a new cart if the shopper comes back.
  expect(tablesHolding(EMAIL)).toEqual(['carts']);

  // A week and a day later: retention has cleared it.
  await serverClockAt(Date.now() + 90_000 + 8 * DAY);
  await waitFor('the closed cart’s address cleared', () => query<{ email: string | null }>('SELECT email FROM carts WHERE visitor_id = ?', visitor)[0]?.email === null);
  expect(tablesHolding(EMAIL)).toEqual([]);
  await kairos.stop(); // close() checkpoints the WAL into the file

  // Every byte the server left on disk — read before anything else opens the database — and everything it printed.
  const dir = dirname(kairos.dbFile);
  const files = Object.fromEntries(
    readdirSync(dir)
      .filter((f) => statSync(join(dir, f)).isFile())
      .map((f) => [f, readFileSync(join(dir, f)).toString('latin1')]),
  );
  expect(Object.keys(files)).toContain('kairos.db');
  expect(files['kairos.db-wal'] ?? '').toBe(''); // checkpointed and removed (or emptied) at close
  const output = kairos.output();
  expect(output).toMatch(/webhook delivered/); // the log is there, at trace level
  const found = [...Object.entries(files).flatMap(([f, bytes]) => findSentinels(bytes, f)), ...findSentinels(output, 'server output')];
  expect(found).toEqual([]);

  // The session left rows: its events (the landing keeps only utm_source), a cart, two delivered webhooks.
  const events = kairos.events();
  expect([...new Set(events.map((e) => e.name))]).toEqual(
    expect.arrayContaining(['Page Viewed', 'Product Viewed', 'Product Added', 'Identify', 'Campaign Shown', 'Lead Captured', 'Cart Viewed', 'Checkout Started']),
  );
  expect(events.find((e) => e.name === 'Page Viewed')).toMatchObject({ path: '/?utm_source=news' });
  expect(events.find((e) => e.name === 'Identify')!.props).toEqual({});
  expect(query('SELECT state, email, user_id, total > 0 AS has_total FROM carts WHERE visitor_id = ?', visitor)).toEqual([{ state: 'abandoned', email: null, user_id: 'u-1', has_total: 1 }]);
  const outbox = query<{ status: string; body: string }>('SELECT status, body FROM webhook_outbox ORDER BY created_at');
  expect(outbox.map((m) => [m.status, JSON.parse(m.body)])).toEqual([
    ['delivered', { type: 'lead.captured', timestamp: expect.any(String), data: { campaign_id: 'newsletter', visitor_id: visitor }, redacted: true }],
    ['delivered', { type: 'cart.abandoned', timestamp: expect.any(String), data: { cart_id: expect.any(String), visitor_id: visitor }, redacted: true }],
  ]);
  // The scan is not blind: the visitor's pseudonymous id is in the file, and the receiver's copy has the address.
  expect(files['kairos.db']).toContain(visitor);
  expect(findSentinels(lead.body + abandoned.body, 'receiver')).not.toEqual([]);
});
