// The shopper's view of the first campaign type: the announcement bar from demo/kairos.yaml, rendered in a
// shadow root, accessible, moving nothing on the page, and staying dismissed once dismissed.
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { campaignText, collectPageErrors, startKairos, waitFor, type Kairos } from './support';

let kairos: Kairos;
test.beforeAll(async () => {
  kairos = await startKairos();
});
test.afterAll(async () => {
  await kairos.stop();
});

const bar = (page: import('@playwright/test').Page) => page.locator('kairos-campaign[data-campaign="welcome-bar"]');

test('the demo shop shows the bar, rendered inside a shadow root', async ({ page }) => {
  const errors = collectPageErrors(page);
  await page.goto(kairos.url + '/');
  await expect(page.getByRole('region', { name: 'Announcement' })).toContainText('Summer sale: 20% off all sunglasses');
  const where = await bar(page).evaluate((host) => ({
    shadow: host.shadowRoot?.textContent ?? '',
    light: host.textContent,
    position: getComputedStyle(host).position,
  }));
  expect(where.shadow).toContain('Summer sale');
  expect(where.light).toBe(''); // nothing in the page's own DOM tree
  expect(where.position).toBe('fixed');
  await expect(page.getByRole('link', { name: 'Shop sunglasses' })).toHaveAttribute('href', '/products/sunglasses-aviator');
  expect(errors).toEqual([]);
});

test('the bar causes no layout shift and axe finds nothing wrong with it', async ({ page }) => {
  await page.goto(kairos.url + '/');
  await expect(bar(page)).toHaveCount(1);
  await page.waitForTimeout(400); // past the slide-in animation
  // Every layout shift since navigation, with what moved — the list names the culprit when this fails.
  const shifts = await page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const seen: string[] = [];
        new PerformanceObserver((list) => {
          type Source = { node?: Node; previousRect: DOMRectReadOnly; currentRect: DOMRectReadOnly };
          const rect = (r: DOMRectReadOnly) => `${r.x},${r.y} ${r.width}×${r.height}`;
          const what = (s: Source) =>
            `${(s.node as Element | undefined)?.outerHTML?.slice(0, 80) ?? s.node?.nodeName ?? 'a removed node'} ${rect(s.previousRect)} → ${rect(s.currentRect)}`;
          for (const e of list.getEntries() as (PerformanceEntry & { value: number; sources: Source[] })[])
            seen.push(`${e.value.toFixed(4)} at ${Math.round(e.startTime)} ms: ${e.sources.map(what).join(' | ')}`);
        }).observe({ type: 'layout-shift', buffered: true });
        setTimeout(() => resolve(seen), 200);
      }),
  );
  expect(shifts).toEqual([]);
  const axe = await new AxeBuilder({ page }).include('kairos-campaign').analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
});

test('the bar is not shown on pages the config excludes', async ({ page }) => {
  await page.goto(kairos.url + '/checkout');
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(600);
  expect(await campaignText(page, 'welcome-bar')).toBeNull();
});

test('a dismissed bar stays dismissed on the next page and after a reload', async ({ page }) => {
  await page.goto(kairos.url + '/');
  await page.getByRole('button', { name: 'Dismiss announcement' }).click();
  await expect(bar(page)).toHaveCount(0);

  await page.goto(kairos.url + '/products/sunglasses-round');
  await expect(page.getByTestId('product-detail')).toBeVisible();
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(600);
  expect(await campaignText(page, 'welcome-bar')).toBeNull();

  await page.reload();
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(600);
  expect(await campaignText(page, 'welcome-bar')).toBeNull();

  const dismissed = await waitFor('Campaign Dismissed in the store', () => kairos.events('Campaign Dismissed')[0]);
  expect(dismissed.campaign_id).toBe('welcome-bar');
});

test('following the bar’s link is recorded as a click and the shopper lands on the page', async ({ page }) => {
  await page.goto(kairos.url + '/');
  await page.getByRole('link', { name: 'Shop sunglasses' }).click();
  await expect(page).toHaveURL(/\/products\/sunglasses-aviator$/);
  const click = await waitFor('Campaign Clicked in the store', () => kairos.events('Campaign Clicked')[0]);
  expect(click).toMatchObject({ campaign_id: 'welcome-bar', props: { type: 'announcement_bar', url: '/products/sunglasses-aviator' } });
  expect(kairos.events('Campaign Shown').length).toBeGreaterThan(0);
});
