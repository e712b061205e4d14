// The per-shopper record of impressions, dismissals, clicks and conversions, and how two tabs' records merge.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { ATTRIBUTION_MS, emptyHistory, loadHistory, mergeHistory, recordClick, recordDismissal, recordImpression, recordOrder, saveHistory, type History } from '../../widget/history';
import { memoryKV } from '../../widget/storage';

const NOW = Date.UTC(2026, 6, 1);

describe('history', () => {
  it('counts impressions per campaign, and interruptions only for modals', () => {
    let h = recordImpression(emptyHistory(), 'bar', NOW, 's1', false);
    h = recordImpression(h, 'modal', NOW + 1, 's1', true);
    expect(h.campaigns['bar']).toEqual({ shown: [[NOW, 's1']], total: 1 });
    expect(h.interruptions).toEqual([[NOW + 1, 's1']]);
  });

  it('keeps at most 50 impressions listed, but the total keeps counting', () => {
    let h = emptyHistory();
    for (let i = 0; i < 60; i++) h = recordImpression(h, 'x', NOW + i, 's', true);
    expect(h.campaigns['x']!.shown).toHaveLength(50);
    expect(h.campaigns['x']!.total).toBe(60);
    expect(h.interruptions).toHaveLength(50);
  });

  it('an order converts the campaigns clicked within the attribution window, once', () => {
    let h = recordClick(emptyHistory(), 'recent', NOW - 1000);
    h = recordClick(h, 'old', NOW - ATTRIBUTION_MS - 1);
    const first = recordOrder(h, NOW);
    expect(first.converted).toEqual(['recent']);
    expect(recordOrder(first.history, NOW + 1).converted).toEqual([]);
  });

  it('two tabs’ records merge without losing either', async () => {
    const kv = memoryKV();
    const tabA = recordImpression(emptyHistory(), 'a', NOW, 's1', true);
    const tabB = recordDismissal(recordImpression(emptyHistory(), 'b', NOW + 5, 's1', true), 'b', NOW + 6, 's1');
    await saveHistory(kv, tabA);
    const merged = await saveHistory(kv, tabB);
    expect(Object.keys(merged.campaigns).sort()).toEqual(['a', 'b']);
    expect(merged.interruptions).toEqual([[NOW, 's1'], [NOW + 5, 's1']]);
    expect(merged.campaigns['b']!.dismissed).toEqual([NOW + 6, 's1']);
    expect(await loadHistory(kv)).toEqual(merged);
  });

  it('a corrupt stored record is replaced, not trusted', async () => {
    const kv = memoryKV();
    await kv.set('history', 'garbage');
    expect(await loadHistory(kv)).toEqual(emptyHistory());
  });

  const opArb = fc.oneof(
    fc.record({ op: fc.constant('shown' as const), id: fc.constantFrom('a', 'b'), at: fc.integer({ min: 0, max: 1000 }), modal: fc.boolean() }),
    fc.record({ op: fc.constant('dismiss' as const), id: fc.constantFrom('a', 'b'), at: fc.integer({ min: 0, max: 1000 }) }),
  );
  const build = (ops: (typeof opArb extends fc.Arbitrary<infer T> ? T : never)[]): History =>
    ops.reduce((h, o) => (o.op === 'shown' ? recordImpression(h, o.id, NOW + o.at, 's', o.modal) : recordDismissal(h, o.id, NOW + o.at, 's')), emptyHistory());

  test.prop([fc.array(opArb, { maxLength: 20 }), fc.array(opArb, { maxLength: 20 })])('merging is commutative and loses no interruption', (x, y) => {
    const [a, b] = [build(x), build(y)];
    const ab = mergeHistory(a, b);
    expect(ab).toEqual(mergeHistory(b, a));
    for (const i of [...a.interruptions, ...b.interruptions]) expect(ab.interruptions).toContainEqual(i);
  });
});
