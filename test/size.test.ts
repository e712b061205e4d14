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
  const manifest = JSON.parse(readFileSync(join(dist, 'kairos-ui', '.vite', 'manifest.json'), 'utf8')) as Record<string, { file: string; isEntry?: boolean }>;
  // Entries: one per campaign UI (widget/campaigns) and per lazily loaded piece of the engine (widget/lazy).
  const entries = Object.values(manifest).filter((c) => c.isEntry).map((c) => c.file);
  const ui = readdirSync(join(dist, 'kairos-ui')).filter((f) => f.endsWith('.js'));
  const runtime = ui.filter((f) => f.startsWith('ui-runtime-'));

  it('the first script is at most 8 KB brotli and under Shopify’s 10 KB gzip threshold', () => {
    expect(brotli(loader)).toBeLessThanOrEqual(8 * KB);
    expect(gzipSync(loader, { level: 9 }).length).toBeLessThan(10_000); // Theme Check counts bytes, not KiB
  });

  it('the first script carries no UI framework and loads every lazy entry by URL', () => {
    expect(loader.toString()).not.toMatch(/preact|__H|useState/);
    expect(entries.length).toBeGreaterThanOrEqual(4);
    // The engine holds each entry's hash and rebuilds `<name>-<hash>.js` (vite.config.ts, virtual:kairos-ui).
    for (const f of entries) expect(loader.toString()).toContain(`\`${/-([\w-]{6})\.js$/.exec(f)![1]}\``);
  });

  it('lazy engine parts (widget/lazy) never pull in the UI runtime: no Preact for targeting, triggers or adapters', () => {
    const lazy = Object.entries(manifest).filter(([src, c]) => c.isEntry && src.includes('widget/lazy/'));
    expect(lazy.length).toBeGreaterThanOrEqual(5);
    for (const [, c] of lazy) expect(readFileSync(join(dist, 'kairos-ui', c.file), 'utf8')).not.toContain('ui-runtime-');
  });

  it('the shared UI runtime (Preact) is one chunk of at most 7 KB brotli', () => {
    expect(runtime).toHaveLength(1);
    expect(brotli(readFileSync(join(dist, 'kairos-ui', runtime[0]!)))).toBeLessThanOrEqual(7 * KB);
  });

  it.each(ui.filter((f) => !runtime.includes(f)))('%s (a campaign UI, lazy engine part or shared chunk) is at most 4 KB brotli', (file) => {
    expect(brotli(readFileSync(join(dist, 'kairos-ui', file)))).toBeLessThanOrEqual(4 * KB);
  });
});
