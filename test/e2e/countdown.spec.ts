// The countdown bar on the demo shop, with both clocks moved: the server's (a real `kairos serve` child process
// with test/e2e/fake-clock.mjs preloaded, its clock set through KAIROS_FAKE_NOW_FILE) and the browser's
// (Playwright's page.clock). A recurring 14:00 same-day-dispatch cut-off in Europe/London (top bar) and in
// Asia/Almaty (UTC+5, no DST; bottom bar), at the same UTC time of day on either side of London's 2026 changes:
// London's time left moves by an hour, Almaty's does not. A browser clock hours off changes nothing (the bar counts
// on the server's clock). A deadline seconds away counts down, goes at zero, and stays gone — also after a reload.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { campaignText, collectPageErrors, root, startKairos, waitFor, type Kairos } from './support';

/** A browser's own user agent: headless Chromium says "HeadlessChrome", which servers may take for a bot. */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const HOUR = 3600_000;
const LAST_CALL_PAGE = '/products/linen-shirt';

const config = `
site: { name: Countdown test }
fatigue: { modals_per_session: 0 }
campaigns:
  - id: dispatch-london
    type: countdown_bar
    position: top
    pages: { exclude: ["/products/**"] }
    countdown: { every: { time: "14:00", timezone: Europe/London } }
    content:
      text: "Order within {{countdown}} for same-day dispatch"
      link: { label: Shop now, url: /products/linen-shirt }
  - id: dispatch-almaty
    type: countdown_bar
    position: bottom
    pages: { exclude: ["/products/**"] }
    countdown: { every: { time: "14:00", timezone: Asia/Almaty } }
    content: { text: "Almaty: order within {{countdown}}" }
  - id: last-call
    type: countdown_bar
    pages: { include: ["${LAST_CALL_PAGE}"] }
    countdown: { deadline: "2026-10-24T12:00:08Z" }
    show_within_minutes: 5
    content: { text: "Last call: {{countdown}} left" }
`;

const clockFile = join(mkdtempSync(join(tmpdir(), 'kairos-clock-')), 'now');
let kairos: Kairos;
test.beforeAll(async () => {
  writeFileSync(clockFile, '2026-10-24T10:46:10Z');
  const preload = `--import=${pathToFileURL(join(root, 'test', 'e2e', 'fake-clock.mjs')).href}`;
  kairos = await startKairos({ config, env: { KAIROS_FAKE_NOW_FILE: clockFile, NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} ${preload}`.trim() } });
});
test.afterAll(() => kairos.stop());

/** Sets the server's clock to `iso` (it runs on from there in real time); resolves once the server reads it. */
async function serverClockAt(iso: string): Promise<void> {
  const at = Date.parse(iso);
  writeFileSync(clockFile, iso);
  await waitFor(`the server clock at ${iso}`, async () => {
    const { now } = (await (await fetch(kairos.url + '/v1/countdowns/dispatch-london')).json()) as { now: number };
    return now >= at && now < at + 5_000;
  });
}

/** A page of the demo shop in a fresh browser context whose clock starts at `time`. */
async function shopAt(browser: Browser, time: number, path = '/') {
  const context = await browser.newContext({ userAgent: USER_AGENT });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  const asked: string[] = [];
  page.on('request', (r) => r.url().includes('/v1/countdowns/') && asked.push(r.url()));
  await page.clock.install({ time });
  await page.goto(kairos.url + path);
  return { context, page, errors, asked };
}

const text = (page: Page, id: string) => page.locator(`kairos-campaign[data-campaign="${id}"] .text`);

// Each case starts the server's clock 2 h 13 min 50 s before London's cut-off on a BST day (3 h 13 min 50 s on a
// GMT day): the minutes shown hold for 50 s, far longer than a case takes.
const cases = [
  { when: 'the day before the October change (BST)', at: '2026-10-24T10:46:10Z', london: '2 hr 13 min', almaty: '22 hr 13 min' },
  { when: 'the day after the October change (GMT)', at: '2026-10-26T10:46:10Z', london: '3 hr 13 min', almaty: '22 hr 13 min' },
  { when: 'the day before the March change (GMT)', at: '2026-03-28T10:46:10Z', london: '3 hr 13 min', almaty: '22 hr 13 min' },
  { when: 'the day after the March change (BST)', at: '2026-03-30T10:46:10Z', london: '2 hr 13 min', almaty: '22 hr 13 min' },
];

for (const c of cases) {
  test(`a 14:00 cut-off at 10:46 UTC on ${c.when}: London ${c.london}, Almaty ${c.almaty}`, async ({ browser }) => {
    await serverClockAt(c.at);
    const { context, page, errors, asked } = await shopAt(browser, Date.parse(c.at));
    await expect(text(page, 'dispatch-london')).toHaveText(`Order within ${c.london} for same-day dispatch`);
    await expect(text(page, 'dispatch-almaty')).toHaveText(`Almaty: order within ${c.almaty}`);
    await expect(page.getByRole('region', { name: 'Countdown', exact: true })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Countdown (bottom)' })).toBeVisible();
    expect(asked).toHaveLength(2);
    if (c === cases[0]) {
      await expect(page.getByRole('link', { name: 'Shop now' })).toHaveAttribute('href', '/products/linen-shirt');
      await page.clock.runFor(400); // past the slide-in animation
      const axe = await new AxeBuilder({ page }).include('kairos-campaign').analyze();
      expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    }
    expect(errors).toEqual([]);
    await context.close();
  });
}

test('a browser clock two hours fast, or a day slow, still shows the time left on the server’s clock', async ({ browser }) => {
  const at = cases[0]!.at;
  await serverClockAt(at);
  for (const skew of [2 * HOUR, -24 * HOUR]) {
    const { context, page, errors } = await shopAt(browser, Date.parse(at) + skew);
    await expect(text(page, 'dispatch-london')).toHaveText('Order within 2 hr 13 min for same-day dispatch');
    await expect(text(page, 'dispatch-almaty')).toHaveText('Almaty: order within 22 hr 13 min');
    expect(await page.evaluate(() => Date.now())).toBeGreaterThan(Date.parse(at) + skew - 60_000); // the page's clock really is off
    expect(errors).toEqual([]);
    await context.close();
  }
});

test('a deadline seconds away counts down, goes at zero, and never comes back', async ({ browser }) => {
  const at = '2026-10-24T12:00:00Z'; // the deadline is 12:00:08
  await serverClockAt(at);
  const { context, page, errors, asked } = await shopAt(browser, Date.parse(at), LAST_CALL_PAGE);
  const bar = text(page, 'last-call');
  const shown = page.locator('kairos-campaign[data-campaign="last-call"] .bar');
  await expect(bar).toHaveText(/^Last call: \d sec left$/);
  // Screen readers hear the first text; the live region does not follow the seconds.
  const live = page.locator('kairos-campaign[data-campaign="last-call"] [aria-live]');
  await expect(live).toHaveText(/^Last call: \d sec left$/);
  const announced = await live.textContent();

  // Count down (the page's clock, moved on in steps) to the last second; one more second and it is gone.
  for (let i = 0; i < 60 && (await bar.textContent()) !== 'Last call: 1 sec left'; i++) await page.clock.runFor(200);
  await expect(bar).toHaveText('Last call: 1 sec left');
  expect(announced).not.toBe('Last call: 1 sec left');
  await expect(live).toHaveText(announced!);
  await page.clock.runFor(1000);
  await expect(shown).toHaveCount(0);

  // Ten more minutes on the page: it stays gone, and nothing asks the server again.
  await page.clock.runFor(10 * 60_000);
  await expect(shown).toHaveCount(0);
  expect(asked).toHaveLength(1);

  // The server's clock past the deadline too: a reload gets null and shows nothing.
  await serverClockAt('2026-10-24T12:00:30Z');
  const answered = page.waitForResponse((r) => r.url().includes('/v1/countdowns/last-call'));
  await page.reload();
  expect(await (await answered).json()).toMatchObject({ deadline: null });
  await page.waitForTimeout(300);
  expect(await campaignText(page, 'last-call')).toBeNull();
  expect(errors).toEqual([]);
  await context.close();
});
