// The byte budgets from PRODUCT.md, checked on the built widget (npm test builds before it runs vitest):
// what every shopper downloads must stay small, and Preact must never creep into the first script.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const dist = join(import.meta.dirname, '..', 'dist', 'widget');
const brotli = (buf: Buffer) => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const KB = 1024;

describe.skipIf(!existsSync(join(dist, 'kairos.js')))('widget size budgets (dist/widget)', () => {
  const loader = readFileSync(join(dist, 'kairos.js'));
  const ui = readdirSync(join(dist, 'kairos-ui')).filter((f) => f.endsWith('.js'));
  const runtime = ui.filter((f) => f.startsWith('ui-runtime-'));
  const campaigns = ui.filter((f) => !f.startsWith('ui-runtime-'));

  it('the first script is at most 8 KB brotli and under Shopify’s 10 KB gzip threshold', () => {
    expect(brotli(loader)).toBeLessThanOrEqual(8 * KB);
    expect(gzipSync(loader, { level: 9 }).length).toBeLessThan(10 * KB);
  });

  it('the first script carries no UI framework and loads campaign UIs by URL', () => {
    expect(loader.toString()).not.toMatch(/preact|__H|useState/);
    for (const f of campaigns) expect(loader.toString()).toContain(f);
  });

  it('the shared UI runtime (Preact) is one chunk of at most 7 KB brotli', () => {
    expect(runtime).toHaveLength(1);
    expect(brotli(readFileSync(join(dist, 'kairos-ui', runtime[0]!)))).toBeLessThanOrEqual(7 * KB);
  });

  it.each(campaigns)('campaign UI %s is at most 4 KB brotli', (file) => {
    expect(brotli(readFileSync(join(dist, 'kairos-ui', file)))).toBeLessThanOrEqual(4 * KB);
  });
});
