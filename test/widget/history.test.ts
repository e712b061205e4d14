// The per-shopper record of impressions, dismissals, clicks and conversions, and how two tabs' records merge.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { ATTRIBUTION_MS, emptyHistory, loadHistory, recordClick, recordDismissal, recordImpression, recordOrder, updateHistory, type History } from '../../widget/history';
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

  it('two tabs’ changes to the stored record never overwrite each other', async () => {
    const kv = memoryKV();
    // Each tab applies its change to whatever is stored at that moment, interleaved.
    await Promise.all([
      updateHistory(kv, (h) => recordImpression(h, 'a', NOW, 's1', true)),
      updateHistory(kv, (h) => recordImpression(h, 'b', NOW + 5, 's1', true)),
      updateHistory(kv, (h) => recordDismissal(h, 'b', NOW + 6, 's1')),
    ]);
    const stored = await loadHistory(kv);
    expect(Object.keys(stored.campaigns).sort()).toEqual(['a', 'b']);
    expect(stored.interruptions).toEqual([[NOW, 's1'], [NOW + 5, 's1']]);
    expect(stored.campaigns['b']!.dismissed).toEqual([NOW + 6, 's1']);
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
  type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;
  const apply = (h: History, o: Op): History =>
    o.op === 'shown' ? recordImpression(h, o.id, NOW + o.at, 's', o.modal) : recordDismissal(h, o.id, NOW + o.at, 's');

  test.prop([fc.array(opArb, { maxLength: 30 })])('the stored record is exactly every change applied in order', async (ops) => {
    const kv = memoryKV();
    for (const o of ops) await updateHistory(kv, (h) => apply(h, o));
    expect(await loadHistory(kv)).toEqual(ops.reduce(apply, emptyHistory()));
    const modals = ops.filter((o) => o.op === 'shown' && o.modal).length;
    expect((await loadHistory(kv)).interruptions).toHaveLength(Math.min(50, modals));
  });
});
