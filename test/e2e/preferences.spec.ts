// The shopper's preference centre against the real server: the "Offer preferences" link in a campaign opens the
// panel; what the shopper picks changes what shows at once, holds after a reload, and — for an identified shopper
// — follows them to a second browser (another context: nothing shared but the server). kairos('preferences')
// opens the panel when nothing shows (a shop's footer link), so "nothing at all" can be undone.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { deviceState, startKairos, waitFor, type Kairos } from './support';

const CONFIG = `
site: { name: Preferences test }
fatigue: { modals_per_session: 5, modals_per_day: 10 }
preferences:
  topics:
    - { id: sales, label: Sales and discounts }
    - { id: news, label: New arrivals }
campaigns:
  - id: welcome
    type: modal
    topics: [sales]
    content: { headline: Welcome offer, text: 10% off today }
  - id: returns
    type: announcement_bar
    position: top
    content: { text: Free returns for 60 days }
  - id: arrivals
    type: announcement_bar
    position: bottom
    topics: [news]
    content: { text: New arrivals every Friday }
`;

type KairosFn = (...a: unknown[]) => void;
const campaign = (page: Page, id: string) => page.locator(`kairos-campaign[data-campaign="${id}"]`);
const panel = (page: Page) => page.locator('kairos-campaign[data-kairos="preferences"] dialog');

/** Opens the panel from `id`'s link, picks `level` (and unticks `topicsOff`), saves. */
async function choose(page: Page, from: string, level: string, topicsOff: string[] = []): Promise<void> {
  await campaign(page, from).getByRole('button', { name: 'Offer preferences' }).click();
  await expect(panel(page)).toBeVisible();
  await panel(page).getByRole('radio', { name: new RegExp('^' + level) }).check();
  for (const t of topicsOff) await panel(page).getByRole('checkbox', { name: t }).uncheck();
  await panel(page).getByRole('button', { name: 'Save' }).click();
  await expect(panel(page)).toHaveCount(0);
}

/** Waits long enough for a page-load campaign to have shown if it was going to (the widget waits ≤ 400 ms for its config). */
const settle = (page: Page) => page.waitForLoadState('networkidle').then(() => page.waitForTimeout(1000));

test.describe('preference centre', () => {
  let kairos: Kairos;
  test.beforeAll(async () => {
    kairos = await startKairos({ config: CONFIG });
  });
  test.afterAll(() => kairos.stop());

  test('"no pop-ups" takes the modal down at once, keeps the bars, and holds after a reload', async ({ page }) => {
    await page.goto(kairos.url + '/');
    await expect(campaign(page, 'welcome').locator('dialog')).toBeVisible();
    await expect(campaign(page, 'returns')).toBeAttached();
    await choose(page, 'welcome', 'No pop-ups');
    await expect(campaign(page, 'welcome')).toHaveCount(0);
    await expect(campaign(page, 'returns')).toBeAttached();
    await expect(campaign(page, 'arrivals')).toBeAttached();

    await page.reload();
    await expect(campaign(page, 'returns')).toBeAttached();
    await settle(page);
    await expect(campaign(page, 'welcome')).toHaveCount(0);
    // The panel shows the stored choice.
    await campaign(page, 'returns').getByRole('button', { name: 'Offer preferences' }).click();
    await expect(panel(page).getByRole('radio', { name: /^No pop-ups/ })).toBeChecked();
    await panel(page).getByRole('button', { name: 'Cancel' }).click();
    await expect(panel(page)).toHaveCount(0);

    const changed = await waitFor('the Preferences Changed event', () => kairos.events('Preferences Changed')[0]);
    expect(changed).toMatchObject({ campaign_id: 'welcome', props: { level: 'bars', off: '' } });
  });

  test('a topic turned off hides only the campaigns about it; "nothing at all" hides everything, and kairos("preferences") undoes it', async ({ page }) => {
    await page.goto(kairos.url + '/');
    await expect(campaign(page, 'arrivals')).toBeAttached();
    await page.keyboard.press('Escape'); // the welcome modal: out of the way
    await expect(campaign(page, 'welcome')).toHaveCount(0);
    await choose(page, 'returns', 'All offers', ['New arrivals']);
    await expect(campaign(page, 'arrivals')).toHaveCount(0);
    await expect(campaign(page, 'returns')).toBeAttached();

    await choose(page, 'returns', 'Nothing at all');
    await expect(page.locator('kairos-campaign[data-campaign]')).toHaveCount(0);
    await page.reload();
    await settle(page);
    await expect(page.locator('kairos-campaign[data-campaign]')).toHaveCount(0);

    await page.evaluate(() => (window as unknown as { kairos: KairosFn }).kairos('preferences'));
    await expect(panel(page).getByRole('radio', { name: /^Nothing at all/ })).toBeChecked();
    await expect(panel(page).getByRole('checkbox', { name: 'New arrivals' })).not.toBeChecked();
    await panel(page).getByRole('radio', { name: /^All offers/ }).check();
    await panel(page).getByRole('checkbox', { name: 'New arrivals' }).check();
    await panel(page).getByRole('button', { name: 'Save' }).click();
    await expect(campaign(page, 'returns')).toBeAttached();
    await expect(campaign(page, 'arrivals')).toBeAttached();
  });

  test('an identified shopper’s choice follows them to a second browser', async ({ browser }: { browser: Browser }) => {
    const identify = () => {
      const w = window as unknown as { kairos: KairosFn & { q?: unknown[] } };
      w.kairos = w.kairos || (((...a: unknown[]) => (w.kairos.q = w.kairos.q || []).push(a)) as KairosFn);
      w.kairos('identify', 'shopper-42', { first_name: 'Ada' });
    };
    const first = await browser.newContext();
    const a = await first.newPage();
    await a.addInitScript(identify);
    await a.goto(kairos.url + '/');
    await expect(campaign(a, 'welcome').locator('dialog')).toBeVisible();
    await choose(a, 'welcome', 'No pop-ups', ['New arrivals']);
    const stored = await waitFor('the server copy', async () => {
      const r = await fetch(kairos.url + '/v1/preferences/shopper-42');
      return r.ok && ((await r.json()) as { level: string; off: string[] });
    });
    expect(stored).toMatchObject({ level: 'bars', off: ['news'] });
    await first.close();

    // Another browser: no shared storage. Before identify the modal may show; once the shopper is known, their
    // choice arrives and applies — and on the next page nothing but the bar they allowed shows at all.
    const second = await browser.newContext();
    const b = await second.newPage();
    await b.addInitScript(identify);
    const pulled = b.waitForResponse((r) => r.url().endsWith('/v1/preferences/shopper-42') && r.request().method() === 'GET');
    await b.goto(kairos.url + '/products/linen-shirt');
    expect((await pulled).status()).toBe(200);
    await waitFor('the choice stored on this device', async () => (await deviceState<{ level: string }>(b, 'prefs'))?.level === 'bars');
    await expect(campaign(b, 'returns')).toBeAttached();
    await expect(campaign(b, 'welcome')).toHaveCount(0);
    await b.goto(kairos.url + '/');
    await expect(campaign(b, 'returns')).toBeAttached();
    await settle(b);
    await expect(campaign(b, 'welcome')).toHaveCount(0);
    await expect(campaign(b, 'arrivals')).toHaveCount(0);
    await second.close();

    // A shopper who is not identified in the second browser keeps the defaults (the choice is per shopper).
    const third = await browser.newContext();
    const c = await third.newPage();
    await c.goto(kairos.url + '/');
    await expect(campaign(c, 'welcome').locator('dialog')).toBeVisible();
    await third.close();
  });

  test('the server answers bad preference writes with a reason and keeps the newest choice', async () => {
    const post = (user: string, body: unknown) =>
      fetch(`${kairos.url}/v1/preferences/${encodeURIComponent(user)}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
    const visitor_id = 'visitor_pref_0001';
    const bad = await post('u-1', { level: 'some', off: [], at: 1, visitor_id });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^level: /);
    expect((await post('u-1', '{"level":')).status).toBe(400);

    const now = Date.now();
    expect(await (await post('u-1', { level: 'fewer', off: [], at: now, visitor_id })).json()).toMatchObject({ kept: true });
    // An older choice (another device that saved earlier but synced later) does not win.
    expect(await (await post('u-1', { level: 'all', off: [], at: now - 60_000, visitor_id })).json()).toMatchObject({
      kept: false,
      preferences: { level: 'fewer' },
    });
    expect((await fetch(`${kairos.url}/v1/preferences/nobody`)).status).toBe(404);
  });
});
