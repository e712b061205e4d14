// The newsletter bar's server half (server/leads.ts behind POST /v1/leads): a bad body, an unknown campaign, a bad
// address or missing consent get a 4xx naming the problem and store nothing; a good lead stores one `Lead Captured`
// event and queues exactly one `lead.captured` message per endpoint, in one transaction; a repeat adds nothing; the
// visitor's cart learns the address, so the lead feeds cart.abandoned. In-process (app.request), a real SQLite
// store, a fake clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createAbandonDetector } from '../server/abandon';
import { createApp } from '../server/app';
import { createLogger } from '../server/log';
import { leadEventId, leadMessageId, type LeadCapturedPayload } from '../server/leads';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import { loadedConfig } from './loaded-config';

const MIN = 60_000;
const CONSENT = 'Yes, send me Northwind’s newsletter. I can unsubscribe at any time.';
const dir = mkdtempSync(join(tmpdir(), 'kairos-leads-'));
const configFile = join(dir, 'kairos.yaml');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const yaml = [
  'site: { allowed_origins: [https://shop.example] }',
  'webhooks:',
  '  endpoints: [{ url: "https://crm.example/hooks/kairos" }, { url: "https://esp.example/in" }, { url: "https://crm.example/hooks/kairos" }]',
  '  recovery_url: https://shop.example/cart',
  '  abandon_after_minutes: 60',
  'campaigns:',
  '  - id: newsletter',
  '    type: newsletter_bar',
  `    content: { text: Get 10% off your first order, consent: ${JSON.stringify(CONSENT)} }`,
  '  - id: no-consent',
  '    type: newsletter_bar',
  '    content: { text: Stay in touch }',
  '  - id: bilingual',
  '    type: newsletter_bar',
  '    content:',
  '      en: { text: Join us, consent: "Yes, email me." }',
  '      cy: { text: Ymunwch â ni, consent: "Ie, e-bostiwch fi." }',
  '  - id: paused',
  '    type: newsletter_bar',
  '    enabled: false',
  '    content: { text: Paused }',
  '  - id: sale',
  '    type: announcement_bar',
  '    content: { text: Sale }',
  '',
].join('\n');

const logLines: string[] = [];
const log = createLogger({ level: 'info', destination: { write: (s: string) => void logLines.push(s) } });
let clock = Date.UTC(2026, 6, 1, 9, 0, 0);
let store: SqliteStore;
let app: ReturnType<typeof createApp>;
let n = 0;

beforeEach(async () => {
  await store?.close();
  store = openSqliteStore(join(dir, `kairos-${++n}.db`));
  const config = { current: loadedConfig(yaml, configFile), file: configFile };
  app = createApp({ config, store, widgetDir: join(dir, 'widget'), log, now: () => clock });
  logLines.length = 0;
});
afterAll(() => store.close());

const VISITOR = 'visitor-aaaa1111';
const lead = (over: Record<string, unknown> = {}) => ({
  campaign_id: 'newsletter',
  visitor_id: VISITOR,
  session_id: 'session-bbbb2222',
  email: 'ada@example.com',
  consent: CONSENT,
  path: '/products/linen-shirt?q=shirts&utm_source=news',
  ...over,
});
const post = (body: unknown, headers: Record<string, string> = {}) =>
  app.request('/v1/leads', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const error = async (res: Response) => ((await res.json()) as { error: string }).error;

/** Nothing was stored: no event, no outbox message, no cart. */
async function nothingStored(): Promise<void> {
  expect(await store.countEvents()).toBe(0);
  expect(await store.listWebhooks()).toEqual([]);
  expect(await store.getCart(VISITOR)).toBeNull();
}

describe('POST /v1/leads refuses, saying why, and stores nothing', () => {
  const { email: _email, ...noEmail } = lead();
  const { consent: _consent, ...noConsentKey } = lead();
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['a body that is not JSON', '{"email": ', 400, /^invalid JSON/],
    ['JSON that is not an object', '[1, 2]', 400, /^the body: /],
    ['no email', noEmail, 400, /^email: missing required field$/],
    ['no consent key (null when there is no checkbox)', noConsentKey, 400, /^consent: missing required field$/],
    ['a visitor id that is not one', lead({ visitor_id: 'x' }), 400, /^visitor_id: an opaque id/],
    ['no session id', lead({ session_id: undefined }), 400, /^session_id: missing required field$/],
    ['a path that is not a path', lead({ path: 'https://evil.example/' }), 400, /^path: a path starting with "\/"/],
    ['an unknown field', lead({ name: 'Ada' }), 400, /unrecognized key.*name/i],
    ['an email that is not text', lead({ email: 42 }), 400, /^email: /],
    ['an unknown campaign', lead({ campaign_id: 'nope' }), 404, /^campaign_id: no enabled newsletter_bar "nope"/],
    ['a campaign that is switched off', lead({ campaign_id: 'paused' }), 404, /^campaign_id: no enabled newsletter_bar "paused"/],
    ['a campaign that is not a newsletter bar', lead({ campaign_id: 'sale' }), 404, /^campaign_id: no enabled newsletter_bar "sale"/],
    ['consent not given where the campaign asks for it', lead({ consent: null }), 400, /^consent: this campaign asks for consent/],
    ['consent to other wording than the configured one', lead({ consent: 'Yes.' }), 400, /^consent: does not match the campaign’s consent wording/],
  ];
  it.each(cases)('%s → %i', async (_, body, status, reason) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(await error(res)).toMatch(reason);
    await nothingStored();
  });

  // The same rule as the server's carts and the widget (widget/email.ts): something@something, no blanks, ≤ 254.
  const invalid = ['', '   ', 'ada', 'ada@', '@example.com', 'ada@@example.com', 'ada lovelace@example.com', 'ada@exa mple.com', `${'a'.repeat(250)}@example.com`];
  it.each(invalid)('an invalid email %j → 400', async (email) => {
    const res = await post(lead({ email }));
    expect(res.status).toBe(400);
    expect(await error(res)).toBe('email: not an email address (expected something like name@example.com)');
    await nothingStored();
  });

  it('other sites cannot post leads (403), other content types are refused (415), a huge body is 413', async () => {
    expect((await post(lead(), { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(lead(), { 'Content-Type': 'multipart/form-data; boundary=x' })).status).toBe(415);
    expect((await post(lead({ email: `${'a'.repeat(9000)}@example.com` }))).status).toBe(413);
    await nothingStored();
  });
});

describe('a lead', () => {
  it('stores one Lead Captured event and queues exactly one lead.captured message per endpoint', async () => {
    const res = await post(lead({ email: '  ada@example.com ' }), { Origin: 'https://shop.example' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://shop.example');

    const events = await store.queryEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event_id: leadEventId('newsletter', VISITOR, 'ada@example.com'),
      type: 'track',
      name: 'Lead Captured',
      ts: clock,
      visitor_id: VISITOR,
      session_id: 'session-bbbb2222',
      campaign_id: 'newsletter',
      path: '/products/linen-shirt?utm_source=news', // the search term stripped, as for every event
      props: { consent: CONSENT, campaign: 'newsletter' }, // the address goes to the cart and the webhook, not the events table
    });
    expect(events[0]!.props).not.toHaveProperty('email');

    // Two distinct endpoints (the third is the first again): two messages, the same body.
    const messages = await store.listWebhooks();
    expect(messages.map((m) => [m.endpoint, m.status, m.next_attempt_at])).toEqual([
      ['https://crm.example/hooks/kairos', 'pending', clock],
      ['https://esp.example/in', 'pending', clock],
    ]);
    expect(new Set(messages.map((m) => m.id)).size).toBe(2);
    const payload = JSON.parse(messages[0]!.body) as LeadCapturedPayload;
    expect(payload).toEqual({
      type: 'lead.captured',
      timestamp: '2026-07-01T09:00:00.000Z',
      data: {
        email: 'ada@example.com',
        consent: { text: CONSENT, given_at: '2026-07-01T09:00:00.000Z' },
        campaign_id: 'newsletter',
        visitor_id: VISITOR,
        path: '/products/linen-shirt?utm_source=news',
      },
    });
    expect(messages[1]!.body).toBe(messages[0]!.body);
  });

  it('sent again (a double click, a retry, the address in other case) is 200 and adds nothing', async () => {
    expect((await post(lead())).status).toBe(200);
    const before = await store.listWebhooks();
    clock += 5 * MIN;
    for (const email of ['ada@example.com', 'ADA@Example.com ']) {
      const res = await post(lead({ email, session_id: 'session-cccc3333' }));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    }
    expect(await store.countEvents()).toBe(1);
    expect(await store.listWebhooks()).toEqual(before);

    // Another address from the same visitor is another lead.
    expect((await post(lead({ email: 'ada.lovelace@example.com' }))).status).toBe(200);
    expect(await store.countEvents()).toBe(2);
    expect(await store.listWebhooks()).toHaveLength(4);
  });

  it('of a campaign without consent wording carries consent null (whatever the client says)', async () => {
    expect((await post(lead({ campaign_id: 'no-consent', consent: null }))).status).toBe(200);
    expect((await post(lead({ campaign_id: 'no-consent', consent: 'I agree', visitor_id: 'visitor-dddd4444' }))).status).toBe(200);
    const bodies = (await store.listWebhooks()).map((m) => JSON.parse(m.body) as LeadCapturedPayload);
    expect(bodies).toHaveLength(4);
    for (const b of bodies) expect(b.data.consent).toBeNull();
    const events = await store.queryEvents({ name: 'Lead Captured' });
    for (const e of events) expect(e.props?.['consent']).toBeNull();
  });

  it('with copy per locale accepts the consent wording of any of its languages, records the one agreed to, and no other', async () => {
    expect((await post(lead({ campaign_id: 'bilingual', consent: 'Ie, e-bostiwch fi.' }))).status).toBe(200);
    expect((await post(lead({ campaign_id: 'bilingual', consent: 'Yes, email me.', visitor_id: 'visitor-eeee5555' }))).status).toBe(200);
    const refused = await post(lead({ campaign_id: 'bilingual', consent: 'Oui.', visitor_id: 'visitor-ffff6666' }));
    expect(refused.status).toBe(400);
    expect((await post(lead({ campaign_id: 'bilingual', consent: null, visitor_id: 'visitor-ffff6666' }))).status).toBe(400);
    const events = await store.queryEvents({ name: 'Lead Captured' });
    expect(events.map((e) => e.props?.['consent']).sort()).toEqual(['Ie, e-bostiwch fi.', 'Yes, email me.']);
  });

  it('gives the visitor’s cart its email, so a cart left behind is reported by cart.abandoned', async () => {
    const sent = await app.request('/v1/events', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({
        sent_at: clock,
        events: [
          { event_id: 'evt-add-00001', type: 'track', name: 'Product Added', ts: clock, visitor_id: VISITOR, session_id: 'session-bbbb2222', props: { product_id: 'linen-shirt', price: 59.9, quantity: 1 } },
        ],
      }),
    });
    expect(sent.status).toBe(200);
    expect((await store.getCart(VISITOR))?.email).toBeNull();

    clock += MIN;
    expect((await post(lead())).status).toBe(200);
    const cart = await store.getCart(VISITOR);
    expect(cart).toMatchObject({ email: 'ada@example.com', state: 'open', last_activity: clock - MIN, total: 59.9 });

    // An hour after the last cart activity: abandoned, and the message names the address the bar collected.
    clock += 60 * MIN;
    const config = { current: loadedConfig(yaml, configFile) };
    expect(await createAbandonDetector({ store, config, log, now: () => clock }).tick()).toBe(1);
    const abandoned = (await store.listWebhooks()).filter((m) => JSON.parse(m.body).type === 'cart.abandoned');
    expect(abandoned).toHaveLength(2);
    expect(JSON.parse(abandoned[0]!.body).data).toMatchObject({ visitor_id: VISITOR, email: 'ada@example.com' });
  });

  it('is written in one transaction: when the outbox write fails, the event is not stored either', async () => {
    // A message id already in the outbox makes the lead's insert fail halfway (after its event row).
    const eventId = leadEventId('newsletter', VISITOR, 'ada@example.com');
    await store.enqueueWebhooks([{ id: leadMessageId(eventId, 'https://esp.example/in'), endpoint: 'https://esp.example/in', body: '{}', created_at: clock, next_attempt_at: clock }]);
    const res = await post(lead());
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBeTruthy();
    expect(await store.countEvents()).toBe(0);
    expect(await store.getCart(VISITOR)).toBeNull();
    expect(await store.listWebhooks()).toHaveLength(1);
  });

  it('never puts the address in the log', async () => {
    await post(lead({ email: 'secret.shopper@example.com' }));
    await post(lead({ email: 'secret.shopper@' }));
    const all = logLines.join('\n');
    expect(logLines.length).toBeGreaterThanOrEqual(2);
    expect(all).not.toContain('secret.shopper');
  });
});
