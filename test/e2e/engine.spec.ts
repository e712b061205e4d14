// The campaign engine on the demo shop (demo/kairos.yaml): three modals want the shopper's second page view;
// exactly one shows — the highest priority — and after it is dismissed none shows again that session. Two tabs
// never interrupt at once. Debug mode explains each decision; preview shows one campaign and records nothing.
import { expect, test, type Page } from '@playwright/test';
import { collectPageErrors, collectPostedEvents, deviceState, fullDemoConfig, startKairos, waitFor, type Kairos } from './support';

let kairos: Kairos;
test.beforeAll(async () => {
  kairos = await startKairos({ config: fullDemoConfig });
});
test.afterAll(async () => {
  await kairos.stop();
});

/** The demo's three modals (bars come and go on their own edges). */
const modals = (page: Page) => page.locator(['welcome-10', 'sunglasses-guide', 'free-returns'].map((id) => `kairos-campaign[data-campaign="${id}"]`).join(', '));
const settle = (page: Page) => page.waitForLoadState('networkidle').then(() => page.waitForTimeout(800));

test('three modals eligible at once: exactly one shows, the highest priority; dismissed, none again that session', async ({ page }) => {
  const errors = collectPageErrors(page);
  await page.goto(kairos.url + '/products/sunglasses-aviator'); // viewing sunglasses puts the shopper in a segment
  await settle(page);
  await expect(modals(page)).toHaveCount(0); // the first page view triggers none of them

  await page.goto(kairos.url + '/'); // the second page view: all three modals are eligible and fire together
  const dialog = page.getByRole('dialog', { name: /Welcome to Northwind/ });
  await expect(dialog).toBeVisible();
  await settle(page);
  await expect(modals(page)).toHaveCount(1);
  await expect(modals(page)).toHaveAttribute('data-campaign', 'welcome-10');

  await page.keyboard.press('Escape');
  await expect(modals(page)).toHaveCount(0);
  for (const path of ['/cart', '/products/straw-hat', '/']) {
    await page.goto(kairos.url + path);
    await settle(page);
    await expect(modals(page)).toHaveCount(0);
  }
  const modalIds = ['welcome-10', 'sunglasses-guide', 'free-returns'];
  const shown = await waitFor('Campaign Shown in the store', () => kairos.events('Campaign Shown').filter((e) => modalIds.includes(e.campaign_id ?? '')));
  expect(shown.map((e) => e.campaign_id)).toEqual(['welcome-10']);
  expect(shown[0]!.props).toMatchObject({ type: 'modal', trigger: 'page_views' });
  await waitFor('Campaign Dismissed', () => kairos.events('Campaign Dismissed').find((e) => e.campaign_id === 'welcome-10'));
  expect(errors).toEqual([]);
});

test('a second tab shows no modal while the first shows one', async ({ browser }) => {
  const other = await startKairos({ config: fullDemoConfig.replace('modals_per_session: 1', 'modals_per_session: 5') });
  try {
    const context = await browser.newContext();
    const first = await context.newPage();
    await first.goto(other.url + '/');
    await settle(first);
    await first.goto(other.url + '/cart');
    await expect(first.getByRole('dialog')).toBeVisible(); // welcome-10, left open

    const second = await context.newPage();
    await second.goto(other.url + '/products/linen-shirt');
    await settle(second);
    await expect(modals(second)).toHaveCount(0);

    // Once the first tab's modal is closed, the budget (5 a session here) lets the second tab show the next one.
    await first.getByRole('button', { name: 'No thanks' }).click();
    await expect(modals(first)).toHaveCount(0);
    await second.reload();
    await expect(second.getByRole('dialog', { name: /Free returns/ })).toBeVisible();
    await context.close();
  } finally {
    await other.stop();
  }
});

test('?kairos_debug=1 explains every decision, layer by layer', async ({ page }) => {
  const lines: string[] = [];
  page.on('console', (m) => lines.push(m.text()));
  await page.goto(kairos.url + '/products/sunglasses-round?kairos_debug=1');
  await settle(page);
  await page.goto(kairos.url + '/?kairos_debug=1');
  await expect(page.getByRole('dialog')).toBeVisible();
  await waitFor('the losers explained', () => lines.some((l) => l.includes('free-returns (trigger fired): no — slot: another modal is showing')) || undefined);
  // sunglasses-guide passed its audience (a segment: the rule engine loaded lazily) and lost on the slot.
  expect(lines.some((l) => l.includes('sunglasses-guide (trigger fired): no — slot: another modal is showing'))).toBe(true);
  expect(lines).toContain('✗ slot: another modal is showing');
  expect(lines).toContain('✓ audience');
  expect(lines.some((l) => l.startsWith('[kairos] welcome-10 (page view): yes'))).toBe(true);

  await page.keyboard.press('Escape');
  await expect(modals(page)).toHaveCount(0); // dismissed (the dialog reports its close a moment after Escape)
  // The dismissal is on the device before the next page reads it.
  await waitFor('the dismissal stored', async () => {
    const h = await deviceState<{ campaigns: Record<string, { dismissed?: unknown }> }>(page, 'history');
    return Object.values(h?.campaigns ?? {}).some((c) => c.dismissed);
  });
  lines.length = 0;
  await page.goto(kairos.url + '/cart?kairos_debug=1');
  await waitFor('the next page explained', () => lines.some((l) => l.includes('welcome-10 (page view): no — frequency: shown 1×, limit 1 per session')) || undefined);
  await waitFor('the budget explained', () => lines.some((l) => l.includes('fatigue budget: 1 interruption(s) this session, budget 1')) || undefined);
  expect(lines.some((l) => l.includes('✗ recontact: dismissed in this session'))).toBe(true);
});

test('?kairos_preview=<id> shows a switched-off campaign now, with a badge, and records nothing', async ({ page }) => {
  const posted = collectPostedEvents(page);
  const before = kairos.events().length;
  await page.goto(kairos.url + '/?kairos_preview=autumn-preview');
  await expect(page.getByRole('region', { name: 'Announcement' })).toContainText('The autumn knitwear collection is here.');
  await expect(page.getByText('Kairos preview: autumn-preview')).toBeVisible();
  await expect(page.locator('kairos-campaign')).toHaveCount(1); // only the previewed campaign
  await page.getByRole('button', { name: 'Dismiss announcement' }).click();
  await settle(page);
  expect(posted).toEqual([]);
  expect(kairos.events()).toHaveLength(before);
});

test('?kairos_disable=1 turns Kairos off for the page', async ({ page }) => {
  const calls: string[] = [];
  page.on('request', (r) => r.url().includes('/v1/') && calls.push(r.url()));
  await page.goto(kairos.url + '/?kairos_disable=1');
  await page.getByTestId('add-to-cart').first().click();
  await settle(page);
  await expect(page.locator('kairos-campaign')).toHaveCount(0);
  expect(calls).toEqual([]);
});

test('an exit-intent modal loads its trigger on demand and shows when the pointer leaves through the top', async ({ page }) => {
  const exitConfig = fullDemoConfig.replace(
    /  - id: welcome-10\n    type: modal\n    priority: 30\n    trigger: \{ type: page_views, count: 2 \}/,
    '  - id: welcome-10\n    type: modal\n    priority: 30\n    trigger: { type: exit_intent, min_dwell_seconds: 1 }',
  );
  expect(exitConfig).not.toBe(fullDemoConfig);
  const other = await startKairos({ config: exitConfig });
  try {
    const chunks: string[] = [];
    page.on('request', (r) => r.url().includes('/kairos-ui/exit-intent-') && chunks.push(r.url()));
    await page.goto(other.url + '/');
    await settle(page);
    expect(chunks).toHaveLength(1); // fetched because a campaign on this page uses exit intent
    await expect(modals(page)).toHaveCount(0);
    await page.waitForTimeout(1000); // past min_dwell_seconds
    await page.mouse.move(400, 300);
    await page.mouse.move(400, 40, { steps: 4 });
    await page.mouse.move(400, -30);
    await expect(page.getByRole('dialog', { name: /Welcome to Northwind/ })).toBeVisible();
    const shown = await waitFor('Campaign Shown', () => other.events('Campaign Shown').find((e) => e.campaign_id === 'welcome-10'));
    expect(shown.props).toMatchObject({ trigger: 'exit_intent', signal: 'pointer_exit' });
  } finally {
    await other.stop();
  }
});
