// Events from the demo shop reach the store, once each; bad batches are refused with a reason and leave no trace.
import { expect, test } from '@playwright/test';
import { collectPostedEvents, startKairos, waitFor, type Kairos } from './support';

let kairos: Kairos;
test.beforeAll(async () => {
  kairos = await startKairos();
});
test.afterAll(async () => {
  await kairos.stop();
});

test('“Product Added” from the demo shop is in the SQLite store with the event_id the browser sent', async ({ page }) => {
  const posted = collectPostedEvents(page);
  await page.goto(kairos.url + '/products/sunglasses-aviator');
  await page.getByTestId('add-to-cart').click();
  await expect(page.getByTestId('cart-count')).toHaveText('1');

  const sent = await waitFor('the browser to post Product Added', () => posted.find((e) => e.name === 'Product Added'));
  const stored = await waitFor('Product Added in the store', () => kairos.events('Product Added')[0]);
  expect(stored.event_id).toBe(sent.event_id);
  expect(stored).toMatchObject({ type: 'track', path: '/products/sunglasses-aviator', props: { product_id: 'sunglasses-aviator', quantity: 1 } });
  // The page view of that page arrived too, from the same visitor.
  const view = kairos.events('Page Viewed').find((e) => e.path === '/products/sunglasses-aviator');
  expect(view?.visitor_id).toBe(stored.visitor_id);
});

const event = (id: string, name = 'Product Viewed') => ({
  event_id: id,
  type: 'track',
  name,
  ts: Date.now(),
  visitor_id: 'visitor-e2e-0001',
  session_id: 'session-e2e-0001',
  path: '/products/x',
});

test('posting the same batch twice stores it once', async ({ request }) => {
  const batch = { sent_at: Date.now(), events: [event('dup-test-000000001'), event('dup-test-000000002')] };
  const body = JSON.stringify(batch);
  const first = await request.post(kairos.url + '/v1/events', { data: body, headers: { 'content-type': 'text/plain' } });
  expect(first.status()).toBe(200);
  expect(await first.json()).toMatchObject({ accepted: 2, duplicates: 0 });
  const second = await request.post(kairos.url + '/v1/events', { data: body, headers: { 'content-type': 'text/plain' } });
  expect(second.status()).toBe(200);
  expect(await second.json()).toMatchObject({ accepted: 0, duplicates: 2 });
  expect(kairos.events().filter((e) => e.event_id.startsWith('dup-test-'))).toHaveLength(2);
});

const malformed: [string, string, RegExp][] = [
  ['not JSON at all', '{"sent_at": 1, "events": [', /invalid JSON/i],
  ['no events', JSON.stringify({ sent_at: Date.now(), events: [] }), /events/],
  ['an event without a visitor', JSON.stringify({ sent_at: Date.now(), events: [{ ...event('bad-test-00000001'), visitor_id: undefined }] }), /events\[0\]\.visitor_id/],
  [
    'one bad event among good ones',
    JSON.stringify({ sent_at: Date.now(), events: [event('bad-test-00000002'), { ...event('bad-test-00000003'), ts: 'yesterday' }] }),
    /events\[1\]\.ts/,
  ],
];

for (const [name, body, reason] of malformed) {
  test(`a malformed batch (${name}) gets 400 with the reason and stores nothing`, async ({ request }) => {
    const before = kairos.events().length;
    const res = await request.post(kairos.url + '/v1/events', { data: body, headers: { 'content-type': 'text/plain' } });
    expect(res.status()).toBe(400);
    expect((await res.json()).error).toMatch(reason);
    expect(kairos.events()).toHaveLength(before);
    expect(kairos.events().filter((e) => e.event_id.startsWith('bad-test-'))).toEqual([]);
  });
}
