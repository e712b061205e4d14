// Stacking: on host pages that fight for the top of the screen, our close buttons stay reachable. With the real
// built widget and server, each page shows a modal (a <dialog> opened with showModal(): the top layer) and a bar
// at the top and at the bottom; for each close button, the point at its centre is on screen, hit-testing there
// finds our campaign's host in the page and the button itself inside our shadow root, and a real mouse click there
// closes the campaign. Cases: a fixed header with z-index 2147483647, <body> transformed / filtered / will-change,
// overflow: hidden on html and body, a host overlay (position: fixed; inset: 0; z-index: 2147483647) already
// open, a host <dialog> already open with showModal(), and isolation / contain: paint on <body>. modal.spec.ts
// covers the dialog's own hit-testing (backdrop, focus trap) on a plain page; this extends it to hostile ones.
import { expect, test, type Page, type Route } from '@playwright/test';
import { collectPageErrors, startKairos, type Kairos } from './support';

const CONFIG = `
site: { name: Stacking }
fatigue: { modals_per_session: 1, modals_per_day: 3 }
campaigns:
  - id: top-bar
    type: announcement_bar
    position: top
    content: { text: "Free shipping over €75", dismissible: true }
    theme: { background: "#1f2a44", color: "#ffffff" }
  - id: bottom-bar
    type: announcement_bar
    position: bottom
    content: { text: "Summer sale: 20% off all sunglasses", dismissible: true }
    theme: { background: "#0f5c57", color: "#ffffff" }
  - id: offer
    type: modal
    frequency: always
    content: { headline: "Wait — 10% off if you order now", text: "Use code STAY10 at checkout." }
`;
const MODAL = 'offer';
const BARS = ['top-bar', 'bottom-bar'] as const;

/** A long shop page (it scrolls), with the case's CSS and markup. */
const page = (css: string, extra = '') =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stacking</title><style>${css}</style>` +
  `<script async src="/kairos.js"></script></head><body>${extra}<main>${Array.from({ length: 60 }, (_, i) => `<p>Product line ${i}: sunglasses, shirts and shorts.</p>`).join('')}</main></body></html>`;

const HOST_OVERLAY = `<div id="host-overlay" style="position: fixed; inset: 0; z-index: 2147483647; background: rgba(0, 0, 0, 0.5)">
  <div role="dialog" aria-label="Cookies" style="margin: 120px auto; width: 400px; padding: 24px; background: #fff">We use cookies. <button>OK</button></div></div>`;

const CASES: Record<string, string> = {
  'fixed header, z-index 2147483647': page(
    'body { margin: 0; padding-top: 140px; }',
    '<header style="position: fixed; top: 0; left: 0; right: 0; height: 140px; z-index: 2147483647; background: #222; color: #fff">Northwind — menu</header>',
  ),
  'body transformed (translateZ(0))': page('body { transform: translateZ(0); }'),
  'body filter and will-change': page('body { filter: saturate(1.2); will-change: transform; }'),
  'overflow: hidden on html and body': page('html, body { overflow: hidden; height: 100%; }'),
  'host overlay open (fixed, inset 0, z-index 2147483647)': page('', HOST_OVERLAY),
  'host <dialog> open with showModal()': page(
    'dialog::backdrop { background: rgba(0, 0, 0, 0.5); }',
    '<dialog id="host-dialog">Sign in to see your orders. <button>Sign in</button></dialog><script>document.getElementById("host-dialog").showModal()</script>',
  ),
  'isolation and contain: paint on body': page('body { isolation: isolate; contain: paint; }'),
};

// Tracing snapshots the DOM at every step (these pages are large, and the steps many): 3–4× the run time. A trace
// is still recorded when a failed test is retried (CI retries once).
test.use({ trace: 'on-first-retry' });

let kairos: Kairos;
test.beforeAll(async () => {
  kairos = await startKairos({ config: CONFIG, demo: false });
});
test.afterAll(() => kairos.stop());

/** Where a campaign's close button is, and what hit-testing finds at its centre, in the page and in our shadow root. */
function probe(tab: Page, id: string) {
  return tab.evaluate((id) => {
    const host = document.querySelector(`kairos-campaign[data-campaign="${id}"]`);
    const button = host?.shadowRoot?.querySelector<HTMLElement>('.close');
    if (!host || !button) return null;
    const r = button.getBoundingClientRect();
    const x = r.x + r.width / 2;
    const y = r.y + r.height / 2;
    const onScreen = r.width > 0 && x >= 0 && y >= 0 && x <= innerWidth && y <= innerHeight;
    const top = document.elementFromPoint(x, y);
    const inner = host.shadowRoot!.elementFromPoint(x, y);
    const name = (el: Element | null) => (el ? el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') : 'nothing');
    return { x, y, onScreen, page: top === host ? 'ours' : name(top), shadow: inner && button.contains(inner) ? 'close button' : name(inner) };
  }, id);
}

const hosts = (tab: Page, id: string) => tab.locator(`kairos-campaign[data-campaign="${id}"]`).count();

/** Checks one close button: on screen, hit by elementFromPoint (page and shadow root), and a real click closes. */
async function closeByMouse(tab: Page, id: string): Promise<string> {
  const p = await probe(tab, id);
  if (!p) return 'not shown';
  const hit = `on screen ${p.onScreen}, page hit ${p.page}, shadow hit ${p.shadow}`;
  if (!p.onScreen || p.page !== 'ours' || p.shadow !== 'close button') return hit;
  await tab.mouse.click(p.x, p.y);
  try {
    await expect.poll(() => hosts(tab, id), { timeout: 3000 }).toBe(0);
  } catch {
    return `${hit}, but the click did not close it`;
  }
  return 'ok';
}

for (const [name, html] of Object.entries(CASES)) {
  test(`${name}: the modal's and the bars' close buttons are hit and close by mouse`, async ({ browser }) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, reducedMotion: 'reduce' });
    const tab = await context.newPage();
    const errors = collectPageErrors(tab);
    await tab.route(kairos.url + '/stacking', (route: Route) => route.fulfill({ contentType: 'text/html', body: html }));
    await tab.goto(kairos.url + '/stacking');
    await expect(tab.locator(`kairos-campaign[data-campaign="${MODAL}"] dialog[open]`)).toBeVisible();
    for (const id of BARS) await expect(tab.locator(`kairos-campaign[data-campaign="${id}"] .close`)).toHaveCount(1);
    // Scrolled a little, as a shopper would be: fixed overlays must not scroll away with the page.
    await tab.mouse.wheel(0, 400);
    await tab.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

    const outcome: string[] = [await closeByMouse(tab, MODAL)];
    // A host <dialog> opened with showModal() makes everything outside it inert, ours included, and nothing we
    // could do (z-index, a popover in the top layer) changes that; our own modal is fine because it opened later.
    // The bars become reachable when the host closes its dialog, so that is when they are checked.
    if (name.startsWith('host <dialog>')) await tab.evaluate(() => (document.getElementById('host-dialog') as HTMLDialogElement).close());
    for (const id of BARS) outcome.push(await closeByMouse(tab, id));
    console.log(`[stacking] ${name}: modal ${outcome[0]}; ${BARS.map((id, i) => `${id} ${outcome[i + 1]}`).join('; ')}`);
    test.info().annotations.push({ type: 'close buttons', description: outcome.join('; ') });
    expect(outcome).toEqual(['ok', 'ok', 'ok']);
    expect(errors).toEqual([]);
    await context.close();
  });
}
