// The snippet as a site owner pastes it into any page: calls made before the script loads are kept, pasting it
// twice is harmless, SPA navigation counts page views only when the URL really changes, and misuse of the API
// never throws into the page.
import { expect, test } from '@playwright/test';
import { collectPageErrors, collectPostedEvents, startKairosWithShop, startShop, waitFor, type Kairos } from './support';

const stub = `<script>window.kairos=window.kairos||function(){(kairos.q=kairos.q||[]).push(arguments)}</script>`;
const page = (body: string, head = '') => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>${head}</head><body>${body}</body></html>`;

let kairos: Kairos;
let shop: Awaited<ReturnType<typeof startShop>>;

test.beforeAll(async () => {
  ({ kairos, shop } = await startKairosWithShop((api) => {
    const tag = `<script async src="${api}/kairos.js" data-api="${api}"></script>`;
    return {
      '/twice': page('<main>twice</main>', stub + tag + tag + `<script>kairos('track', 'Early Call', { n: 1 })</script>`),
      '/spa': page(
        `<main>spa</main>
         <button id="push" onclick="history.pushState({}, '', '/spa/next')">push</button>
         <button id="same" onclick="history.replaceState({}, '', location.href)">same</button>
         <button id="hash" onclick="location.hash = 'section'">hash</button>
         <button id="back" onclick="history.back()">back</button>`,
        stub + tag,
      ),
      '/misuse': page('<main>misuse</main>', stub + tag + `<script>kairos('nonsense'); kairos('track'); kairos('track', 'Ok After Misuse', 5); kairos('track', 'Fine', { a: 1 })</script>`),
    };
  }));
});
test.afterAll(async () => {
  await kairos.stop();
  await shop.close();
});

test('pasted twice, the widget runs once: one bar, one page view, queued calls kept', async ({ page: tab }) => {
  const errors = collectPageErrors(tab);
  const posted = collectPostedEvents(tab);
  await tab.goto(shop.url + '/twice');
  await expect(tab.getByRole('region', { name: 'Announcement' })).toBeVisible();
  await waitFor('the early call to be posted', () => posted.find((e) => e.name === 'Early Call'));
  await tab.waitForTimeout(1000);
  expect(await tab.locator('kairos-campaign').count()).toBe(1);
  expect(posted.filter((e) => e.name === 'Page Viewed')).toHaveLength(1);
  expect(posted.filter((e) => e.name === 'Early Call')).toHaveLength(1);
  expect(errors).toEqual([]);
});

test('an SPA counts a page view when the URL changes, not for a hash jump or a same-URL replaceState', async ({ page: tab }) => {
  const posted = collectPostedEvents(tab);
  const views = () => posted.filter((e) => e.name === 'Page Viewed').length;
  await tab.goto(shop.url + '/spa');
  await waitFor('the first page view', () => views() === 1 || undefined);
  await tab.click('#same');
  await tab.click('#hash');
  await tab.waitForTimeout(1200);
  expect(views()).toBe(1);
  await tab.click('#push');
  await waitFor('a page view for /spa/next', () => views() === 2 || undefined, 5000);
  await tab.click('#back');
  await waitFor('a page view for going back', () => views() === 3 || undefined, 5000);
  await waitFor('page views in the store', () => kairos.events('Page Viewed').length >= 3 || undefined);
  expect(kairos.events('Page Viewed').map((e) => e.path)).toEqual(expect.arrayContaining(['/spa', '/spa/next']));
});

test('misusing the API never throws into the page, and good calls after it still work', async ({ page: tab }) => {
  const errors = collectPageErrors(tab);
  const posted = collectPostedEvents(tab);
  await tab.goto(shop.url + '/misuse');
  await waitFor('the good call to be posted', () => posted.find((e) => e.name === 'Fine'));
  expect(posted.find((e) => e.name === 'Ok After Misuse')).toBeUndefined(); // props must be an object: refused
  expect(errors).toEqual([]);
  // Calls after load go through the real function, also without throwing.
  await tab.evaluate(() => (window as unknown as { kairos: (...a: unknown[]) => void }).kairos('track', 42));
  expect(errors).toEqual([]);
});
