// The shopper's view of the first campaign type: the announcement bar from demo/kairos.yaml, rendered in a
// shadow root, accessible, moving nothing on the page, and staying dismissed once dismissed.
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { campaignText, collectPageErrors, layoutShifts, startKairos, waitFor, type Kairos } from './support';

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
  const shifts = await layoutShifts(page);
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

test('on a right-to-left page the bar is right-to-left too: text from the right, the dismiss button on the left', async ({ page }) => {
  await page.addInitScript(() => document.addEventListener('DOMContentLoaded', () => document.documentElement.setAttribute('dir', 'rtl')));
  await page.goto(kairos.url + '/');
  await expect(bar(page)).toHaveCount(1);
  const layout = await bar(page).evaluate((host) => {
    const root = host.shadowRoot!;
    const frame = root.querySelector('.bar')!;
    return {
      dir: host.getAttribute('dir'),
      direction: getComputedStyle(frame).direction,
      close: root.querySelector('.close')!.getBoundingClientRect().x,
      text: root.querySelector('.text')!.getBoundingClientRect().x,
    };
  });
  expect(layout).toMatchObject({ dir: 'rtl', direction: 'rtl' });
  expect(layout.close).toBeLessThan(layout.text);
});
