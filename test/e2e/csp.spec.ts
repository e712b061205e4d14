// The widget under a strict Content-Security-Policy with Trusted Types, as a careful shop sets it:
// `script-src 'nonce-R' 'strict-dynamic'; style-src 'nonce-R'; require-trusted-types-for 'script'` (plus
// `default-src 'self'` and a `connect-src` for the API), a fresh nonce per response, the widget loaded from the Kairos
// server's origin. With the nonce on the snippet's tag the whole flow runs — a modal and a bar show, the modal's
// button is followed, the modal closed, an order converts it, the bar is dismissed — with 0 `securitypolicyviolation` events, no
// uncaught error and no console error, and every event reaches the server; Trusted Types are shown to be enforced.
// Without the nonce, or with a wrong one, the widget is blocked and the page does not notice: the only violation is
// the blocked kairos.js itself, no error, the host's button works, nothing reaches the API. Last, the built bundle
// (dist/widget/kairos.js and kairos-ui/*.js) has no eval, no Function constructor, no string timers, and no HTML
// sink but Preact's `dangerouslySetInnerHTML` branch, which no widget component uses.
// (No other spec sets a CSP or a nonce: snippet/engine/modal/xss.spec.ts run without one.)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { hostPage, installProbes, loaderTag, startHost, strictCsp, type Host, type Probes } from './hosts';
import { deviceState, root, startKairos, waitFor, type Kairos } from './support';

let kairos: Kairos;
let host: Host;
/** The API's URL: the host starts first (the server's config must allow its origin), so pages read it late. */
let api = '';

test.beforeAll(async () => {
  host = await startHost(({ path, query, nonce }) => {
    // The snippet's loader tag: with this response's nonce (the default), none, or a wrong one.
    const variant = query.get('tag') ?? 'nonce';
    const tagNonce = variant === 'nonce' ? nonce : variant === 'wrong' ? 'd3Jvbmctbm9uY2U=' : undefined;
    const tag = loaderTag(`${api}/kairos.js`, api, tagNonce);
    const csp = strictCsp(nonce, api);
    // The shop's own calls: queued by the stub before the widget loads (or forever, if it never does).
    const calls = `kairos('track', 'Product Viewed', { product_id: 'csp-1', price: 49 });`;
    if (path === '/')
      return {
        csp,
        html: hostPage({
          title: 'CSP shop',
          nonce,
          tag,
          body: `<button id="order" type="button">Place order</button><h2 id="checkout">Checkout</h2>`,
          script: `${calls}
          document.getElementById('order').addEventListener('click', function () {
            kairos('track', 'Order Completed', { order_id: 'csp-order-1', total: 49 });
          });`,
        }),
      };
    return undefined;
  });
  kairos = await startKairos({
    config: `site: { name: CSP shop, allowed_origins: ["${host.url}"] }
fatigue: { modals_per_session: 1, modals_per_day: 3 }
campaigns:
  - id: csp-modal
    type: modal
    pages: { include: ["/"] }
    content:
      headline: "Welcome: 10% off today"
      text: Shown under a strict CSP with Trusted Types.
      button: { label: Shop the sale, url: "/#checkout" }
  - id: csp-bar
    type: announcement_bar
    position: bottom
    content: { text: Free returns all month, dismissible: true }
`,
    demo: false,
  });
  api = kairos.url;
});
test.afterAll(async () => {
  await kairos?.stop();
  await host?.close();
});

/** Requests the page makes to the API (the widget's script and chunks excepted). */
function apiCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on('request', (r) => r.url().startsWith(api + '/v1/') && calls.push(`${r.method()} ${new URL(r.url()).pathname}`));
  return calls;
}

const names = () => kairos.events().map((e) => `${e.name}${e.campaign_id ? ' ' + e.campaign_id : ''}`);

test('with the nonce, the full flow runs under strict CSP and Trusted Types with 0 violations', async ({ page }) => {
  const probes = await installProbes(page);
  await page.goto(host.url + '/');

  // load → a modal and a bar show
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Welcome: 10% off today');
  await expect(page.getByRole('region', { name: 'Announcement' })).toContainText('Free returns all month');
  // Styled (the constructable stylesheet applied despite style-src 'nonce-…'): the modal's button is not a bare one.
  const button = dialog.getByRole('link', { name: 'Shop the sale' }).or(dialog.getByRole('button', { name: 'Shop the sale' }));
  expect(await button.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(15, 92, 87)');

  // click → (the CTA leads to the checkout on this page) → the modal is closed → an order converts it → the bar is
  // dismissed. (A CTA to another page races the click's IndexedDB write against the unload: see the report.)
  await button.click();
  await waitFor('the click on the device record', () =>
    deviceState<{ campaigns: Record<string, { clicked?: number }> }>(page, 'history').then((h) => h?.campaigns['csp-modal']?.clicked),
  );
  await dialog.getByRole('button', { name: 'No thanks' }).click(); // following the CTA leaves the modal open
  await expect(dialog).toHaveCount(0);
  await page.locator('#add').click();
  await expect(page.locator('#count')).toHaveText('1'); // the host's own button, with the widget running
  await page.locator('#order').click();
  await waitFor(`the conversion (events so far: ${names().join(', ')})`, () => names().includes('Campaign Converted csp-modal'), 20_000);
  await page.getByRole('button', { name: /Dismiss/ }).click();
  await expect(page.getByRole('region', { name: 'Announcement' })).toHaveCount(0);
  await waitFor('the dismissal', () => names().includes('Campaign Dismissed csp-bar'), 20_000);

  expect(names()).toEqual(
    expect.arrayContaining([
      'Page Viewed',
      'Product Viewed',
      'Campaign Shown csp-modal',
      'Campaign Shown csp-bar',
      'Campaign Clicked csp-modal',
      'Order Completed',
      'Campaign Converted csp-modal',
      'Campaign Dismissed csp-modal',
      'Campaign Dismissed csp-bar',
    ]),
  );
  expect(probes.violations).toEqual([]);
  expect(probes.errors).toEqual([]);
  expect(probes.console).toEqual([]);

  // The policy was really in force: Trusted Types refuse a string to an HTML sink (a violation, then a TypeError).
  const sink = await page.evaluate(() => {
    try {
      document.body.insertAdjacentHTML('beforeend', '<i>x</i>');
      return 'accepted';
    } catch (e) {
      return (e as Error).name;
    }
  });
  expect(sink).toBe('TypeError');
  await waitFor('the probe violation to be reported', () => probes.violations.length > 0);
  expect(probes.violations.map((v) => v.directive)).toEqual(['require-trusted-types-for']);
});

for (const variant of ['none', 'wrong'] as const) {
  test(`with ${variant === 'none' ? 'no nonce' : 'a wrong nonce'} on the snippet's tag the widget is blocked and the page does not notice`, async ({ page }) => {
    const probes: Probes = await installProbes(page);
    const calls = apiCalls(page);
    const before = kairos.events().length;
    await page.goto(`${host.url}/?tag=${variant}`);
    // The host works: its own nonced script ran, its button counts, the queued kairos() call harmed nothing.
    await page.locator('#add').click();
    await page.locator('#add').click();
    await expect(page.locator('#count')).toHaveText('2');
    // The one violation there is, the browser's refusal of kairos.js (script-src-elem), once reported.
    await waitFor('the blocked script to be reported', () => probes.violations.length > 0);
    expect(probes.violations).toEqual([{ directive: 'script-src-elem', blocked: `${api}/kairos.js`, source: expect.any(String) }]);
    expect(await page.evaluate(() => typeof (window as unknown as { kairos?: { loaded?: true } }).kairos?.loaded)).toBe('undefined');
    expect(await page.locator('kairos-campaign').count()).toBe(0);
    expect(probes.errors).toEqual([]);
    // The console holds the browser's own CSP refusal of kairos.js, nothing else.
    expect(probes.console.map((m) => m.text)).toEqual([expect.stringMatching(/^Loading the script '.*\/kairos\.js' violates the following Content Security Policy directive/)]);
    expect(calls).toEqual([]);
    expect(kairos.events().length).toBe(before);
  });
}

test('the built bundle has no eval, no Function constructor, no string timers, and no HTML sink a widget component reaches', () => {
  const dir = join(root, 'dist', 'widget');
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.js')).map((f) => join(dir, f));
  expect(files.length).toBeGreaterThan(10); // kairos.js and the kairos-ui chunks: a scan of nothing proves nothing
  expect(files.map((f) => relative(dir, f))).toContain('kairos.js');

  const forbidden: [string, RegExp][] = [
    ['eval(', /(?<![\w$.])eval\s*\(/],
    ['new Function / Function(', /(?<![\w$.])(?:new\s+)?Function\s*\(/],
    ['a string passed to setTimeout/setInterval', /(?<![\w$])set(?:Timeout|Interval)\(\s*['"`]/],
    ['a <script> element made by code', /createElement\(\s*['"`]script['"`]/i],
    ['an inline event handler set by code', /setAttribute\(\s*['"`]on[a-z]/],
    ['outerHTML', /\bouterHTML\b/],
    ['insertAdjacentHTML', /\binsertAdjacentHTML\b/],
    ['document.write', /\bdocument\.write(?:ln)?\b/],
    ['srcdoc', /\bsrcdoc\b/],
    ['createContextualFragment', /\bcreateContextualFragment\b/],
  ];
  const found: string[] = [];
  const innerHTML: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [what, re] of forbidden) if (re.test(text)) found.push(`${relative(dir, file)}: ${what}`);
    for (const m of text.matchAll(/\binnerHTML\b/g)) innerHTML.push(`${relative(dir, file)}: …${text.slice(Math.max(0, m.index - 60), m.index + 30)}…`);
  }
  expect(found).toEqual([]);

  // innerHTML is there only as Preact's own `dangerouslySetInnerHTML` branch (a string into innerHTML, no Trusted
  // Types policy): reachable only by a component passing that prop, and no widget component does.
  for (const hit of innerHTML) expect(hit, 'innerHTML outside Preact’s dangerouslySetInnerHTML branch').toMatch(/__html/);
  const sources = (readdirSync(join(root, 'widget'), { recursive: true }) as string[]).filter((f) => /\.tsx?$/.test(f));
  expect(sources.length).toBeGreaterThan(20);
  const users = sources.filter((f) => readFileSync(join(root, 'widget', f), 'utf8').includes('dangerouslySetInnerHTML'));
  expect(users).toEqual([]);
  console.log(`[csp] bundle scan: ${files.length} files, 0 eval/Function/string timers/HTML sinks; innerHTML only in Preact's unused dangerouslySetInnerHTML branch (${innerHTML.length} occurrences)`);
});
