// The newsletter / lead bar on the demo shop: a bad address is refused beside the field with a clear message and
// nothing is sent; without the consent tick nothing is sent either; a failed request keeps the address and says
// so; a good address with consent shows the success text, is stored as `Lead Captured`, and the `lead.captured`
// webhook reaches the shop's receiver (a local HTTP server) with a valid Standard Webhooks signature. On a 320 px
// phone the form wraps inside the viewport; a preview checks the address and sends nothing.
//
// The config is the demo's (modals off) plus a newsletter bar at the top (priority 100: it wins that edge over the
// demo's other top bars) and a webhook endpoint on 127.0.0.1; a campaign the demo config may carry under the same
// id is replaced by this one.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { Webhook } from 'standardwebhooks';
import YAML from 'yaml';
import { collectPageErrors, demoConfig, deviceState, startKairos, startReceiver, waitFor, type Kairos, type ReceivedHook } from './support';

const SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
const ID = 'newsletter';
const CONSENT = 'Yes, email me Northwind’s newsletter. I can unsubscribe at any time.';
const TEXT = 'Get 10% off your first order: join the Northwind newsletter.';
const INVALID = 'Please enter a valid email address, like name@example.com.';
const MISSING = 'Please tick the box to agree.';
const SUCCESS = 'Thanks — you’re on the list.';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let received: ReceivedHook[] = [];
let kairos: Kairos;

function config(receiverUrl: string): string {
  const doc = YAML.parse(demoConfig) as { campaigns: Array<{ id: string }>; webhooks?: unknown };
  doc.webhooks = { endpoints: [{ url: receiverUrl }], recovery_url: 'http://localhost/cart', allow_private_networks: true };
  doc.campaigns = [
    ...doc.campaigns.filter((c) => c.id !== ID),
    {
      id: ID,
      type: 'newsletter_bar',
      position: 'top',
      priority: 100,
      pages: { include: ['/**'], exclude: ['/checkout', '/order-complete'] },
      content: { text: TEXT, consent: CONSENT },
    } as { id: string },
  ];
  return YAML.stringify(doc);
}

test.beforeAll(async () => {
  receiver = await startReceiver();
  received = receiver.received;
  // The signing secret, and a quick delivery tick.
  kairos = await startKairos({
    config: config(receiver.url),
    env: { KAIROS_WEBHOOK_SECRET: SECRET, KAIROS_WEBHOOK_TICK_MS: '200' },
  });
});
test.afterAll(async () => {
  await kairos?.stop();
  await receiver?.close();
});

const bar = (page: Page) => page.getByRole('region', { name: 'Newsletter' });
const field = (page: Page) => bar(page).getByRole('textbox', { name: 'Your email' });
const consent = (page: Page) => bar(page).getByRole('checkbox', { name: CONSENT });
const submit = (page: Page) => bar(page).getByRole('button', { name: 'Subscribe' });

/** Requests the page makes to POST /v1/leads. */
function leadRequests(page: Page): string[] {
  const sent: string[] = [];
  page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/v1/leads') && sent.push(r.postData() ?? ''));
  return sent;
}

test('a bad address or a missing consent tick is refused beside the field, and nothing is sent', async ({ page }) => {
  const errors = collectPageErrors(page);
  const sent = leadRequests(page);
  await page.goto(kairos.url + '/');
  await expect(bar(page)).toContainText(TEXT);
  await expect(field(page)).toHaveAttribute('type', 'email');
  await expect(field(page)).toHaveAttribute('autocomplete', 'email');

  await field(page).fill('ada@');
  await consent(page).check();
  await submit(page).click();
  await expect(bar(page).getByRole('alert')).toHaveText(INVALID);
  await expect(field(page)).toHaveAttribute('aria-invalid', 'true');
  await expect(field(page)).toBeFocused();
  // The message is the field's description, so a screen reader reads it with the field.
  const described = await field(page).getAttribute('aria-describedby');
  const errorId = await bar(page).getByRole('alert').getAttribute('id');
  expect(described?.split(' ')).toContain(errorId);
  expect((await new AxeBuilder({ page }).include(`kairos-campaign[data-campaign="${ID}"]`).analyze()).violations.map((v) => v.id)).toEqual([]);

  // Enter submits too; a good address without the consent tick: the checkbox says why.
  await consent(page).uncheck();
  await field(page).fill('ada@example.com');
  await field(page).press('Enter');
  await expect(bar(page).getByRole('alert')).toHaveText(MISSING);
  await expect(consent(page)).toHaveAttribute('aria-invalid', 'true');
  await expect(consent(page)).toBeFocused();
  await expect(field(page)).toHaveAttribute('aria-invalid', 'false');

  await page.waitForTimeout(300);
  expect(sent).toEqual([]);

  // The server cannot be reached: the failure message, and the address is still there to try again.
  await page.route('**/v1/leads', (route) => route.abort());
  await consent(page).check();
  await submit(page).click();
  await expect(bar(page).getByRole('alert')).toHaveText('Sorry, that did not work. Please try again.');
  await expect(field(page)).toHaveValue('ada@example.com');
  await expect(field(page)).toBeFocused();
  expect(kairos.events('Lead Captured')).toEqual([]);
  expect(errors).toEqual([]);
});

test('a good address with consent: the success text, the lead stored, and a signed lead.captured webhook', async ({ page }) => {
  const errors = collectPageErrors(page);
  const sent = leadRequests(page);
  await page.goto(kairos.url + '/products/linen-shirt');
  await field(page).fill(' grace@example.com ');
  await consent(page).check();
  await submit(page).click();

  const status = bar(page).getByRole('status');
  await expect(status).toHaveText(SUCCESS);
  await expect(status).toBeFocused(); // the form is gone; focus did not fall back to the page
  await expect(field(page)).toHaveCount(0);
  expect(sent).toHaveLength(1);
  const body = JSON.parse(sent[0]!) as { visitor_id: string };
  expect(body).toMatchObject({ campaign_id: ID, email: 'grace@example.com', consent: CONSENT, path: '/products/linen-shirt' });

  const lead = await waitFor('the Lead Captured event', () => kairos.events('Lead Captured').find((e) => e.visitor_id === body.visitor_id));
  expect(lead).toMatchObject({ campaign_id: ID, path: '/products/linen-shirt', props: { consent: CONSENT } });
  expect(lead.props).not.toHaveProperty('email'); // the address goes to the cart and the webhook, not the events table
  await waitFor('the sign-up counted as a click', () => kairos.events('Campaign Clicked').find((e) => e.campaign_id === ID && e.visitor_id === body.visitor_id));

  const ours = () => received.filter((r) => r.body.includes('"lead.captured"') && r.body.includes(lead.visitor_id));
  const hook = await waitFor('the lead.captured webhook', () => ours()[0]);
  expect(hook.headers['content-type']).toMatch(/^application\/json/);
  const payload = new Webhook(SECRET).verify(hook.body, {
    'webhook-id': String(hook.headers['webhook-id']),
    'webhook-timestamp': String(hook.headers['webhook-timestamp']),
    'webhook-signature': String(hook.headers['webhook-signature']),
  }) as { type: string; data: Record<string, unknown> };
  expect(payload.type).toBe('lead.captured');
  expect(payload.data).toMatchObject({ email: 'grace@example.com', campaign_id: ID, visitor_id: lead.visitor_id, path: '/products/linen-shirt' });
  expect((payload.data['consent'] as { text: string }).text).toBe(CONSENT);
  expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(hook.body, hook.headers as Record<string, string>)).toThrow();

  // The profile on this device knows it (for rules such as "not subscribed yet", and merge tags).
  expect((await deviceState<{ traits: unknown }>(page, 'profile'))?.traits).toMatchObject({ email: 'grace@example.com', newsletter: true });

  // Signed up: this device is not asked again.
  await page.reload();
  await expect(page.locator('kairos-campaign[data-campaign="welcome-bar"]')).toHaveCount(1);
  await page.waitForTimeout(300);
  await expect(bar(page)).toHaveCount(0);
  expect(ours()).toHaveLength(1);
  expect(errors).toEqual([]);
});

test('on a 320 px phone the form wraps inside the viewport; a preview checks the address but sends nothing', async ({ browser }) => {
  // Reduced motion: no slide-in, so the boxes measured are where the bar stays.
  const context = await browser.newContext({ viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const sent = leadRequests(page);
  await page.goto(kairos.url + `/?kairos_preview=${ID}`);
  await expect(submit(page)).toBeVisible();
  for (const el of [field(page), consent(page), submit(page), bar(page).getByRole('button', { name: 'Close' })]) {
    const box = (await el.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(320);
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);

  await field(page).fill('not an address');
  await submit(page).click();
  await expect(bar(page).getByRole('alert')).toHaveText(INVALID);
  await field(page).fill('preview@example.com');
  await consent(page).check();
  await submit(page).click();
  await expect(bar(page).getByRole('status')).toHaveText(SUCCESS);
  expect(sent).toEqual([]);
  expect(kairos.events('Lead Captured').filter((e) => e.props?.['email'] === 'preview@example.com')).toEqual([]);
  await context.close();
});
