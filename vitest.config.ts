// Unit and integration tests (test/**/*.test.ts) in Node. Kept apart from vite.config.ts, which builds the widget;
// browser specs (test/e2e) belong to Playwright (playwright.config.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**', 'dist/**'],
    environment: 'node',
    // Two files at a time, one per vCPU of these machines (vitest's default leaves one free: 1 worker here, and the
    // suite mostly waits on servers and timers). In CI a failed test runs once more, as in playwright.config.ts.
    maxWorkers: 2,
    retry: process.env['CI'] ? 1 : 0,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
