// The marketer's loop: save kairos.yaml while the server runs, and the next page load shows the change;
// save a mistake, and the server says where it is and keeps serving the last good config.
import { writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { campaignText, demoConfig, startKairos, waitFor, type Kairos } from './support';

let kairos: Kairos;
test.beforeAll(async () => {
  kairos = await startKairos();
});
test.afterAll(async () => {
  await kairos.stop();
});

const OLD = 'Summer sale: 20% off all sunglasses until Sunday.';
const NEW = 'Flash sale: knitwear 30% off today only.';

test('an edit shows on a freshly loaded page within 2 s; a broken edit is reported and the old config keeps serving', async ({ page }) => {
  await page.goto(kairos.url + '/');
  await waitFor('the bar', async () => (await campaignText(page, 'welcome-bar'))?.includes(OLD));

  // When the server serves the edit, polled every 50 ms (polling by page loads measured the loads' own pace, a
  // second or more per try); then a page loaded from then on shows it.
  const saved = Date.now();
  writeFileSync(kairos.configFile, demoConfig.replace(OLD, NEW));
  await waitFor('the server to serve the edit', async () => JSON.stringify(await (await fetch(kairos.url + '/v1/config')).json()).includes(NEW) || undefined, 5_000);
  expect(Date.now() - saved).toBeLessThanOrEqual(2_000);
  await page.goto(kairos.url + '/');
  await waitFor('the new text on a fresh page', async () => (await campaignText(page, 'welcome-bar'))?.includes(NEW), 5_000);

  // A broken save: text must be a string of at most 280 characters, and `position` only top or bottom.
  const broken = demoConfig.replace(OLD, NEW).replace(/(- id: welcome-bar\n\s+type: announcement_bar\n\s+)position: bottom$/m, '$1position: middle');
  expect(broken).toContain('position: middle');
  writeFileSync(kairos.configFile, broken);
  const line = broken.split('\n').findIndex((l) => l.includes('position: middle')) + 1;
  const col = broken.split('\n')[line - 1]!.indexOf('middle') + 1;
  const index = [...broken.matchAll(/^  - id: (\S+)/gm)].findIndex((m) => m[1] === 'welcome-bar');
  const where = `kairos.yaml:${line}:${col} campaigns[${index}].position`;
  await waitFor(`the server to print "${where}"`, () => kairos.output().includes(where) || undefined, 5_000);

  const config = await (await fetch(kairos.url + '/v1/config')).json();
  expect(config.campaigns.find((c: { id: string }) => c.id === 'welcome-bar')).toMatchObject({ position: 'bottom', content: { text: NEW } });
  await page.goto(kairos.url + '/');
  await waitFor('the last good bar', async () => (await campaignText(page, 'welcome-bar'))?.includes(NEW));
  const res = await fetch(kairos.url + '/healthz');
  expect(res.status).toBe(200);
});
