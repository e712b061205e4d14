// Browser tests (test/e2e/**/*.spec.ts) drive the system's Chromium (see test/browser.ts). Specs start their own
// servers on free ports, so spec files run in two workers, one per vCPU of these machines (5 min instead of 10).
// Tests that count time use Playwright's fake clock, so a busy CPU does not fail them. `npm test`
// (test/run-all.mjs) adds a JSON reporter on the command line; `npx playwright test` alone uses `list`.
import { defineConfig } from '@playwright/test';
import { findChromium, launchArgs } from './test/browser';

const CI = !!process.env.CI;

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 2,
  retries: CI ? 1 : 0,
  forbidOnly: CI,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  reporter: 'list',
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: findChromium(), args: launchArgs },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
