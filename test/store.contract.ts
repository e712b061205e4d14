// The behaviour every event store must have, whatever the database. Each implementation's test file calls
// runStoreContract with a factory: test/store.sqlite.test.ts for SQLite; a PostgreSQL store calls it the same way.
//
//   open():         a NEW, EMPTY store (a fresh file, schema or truncated table) each time it is called.
//   reopen(store):  the same data opened again after `store` was closed (optional; the durability case is
//                   skipped without it).

import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import fc from 'fast-check';
import type { Store, StoredEvent } from '../server/store/types';

/** A complete, valid event; `i` makes the defaults vary deterministically. */
export function makeEvent(event_id: string, over: Partial<StoredEvent> = {}, i = 0): StoredEvent {
  return {
    event_id,
    type: 'track',
    name: 'campaign.impression',
    ts: 1_767_225_600_000 + i * 1000,
    received_at: 1_767_225_600_500 + i * 1000,
    visitor_id: 'visitor_aaaaaaaa',
    session_id: 'session_aaaaaaaa',
    path: '/products/sunglasses',
    campaign_id: 'summer-sale',
    user_id: null,
    props: { variant: 'a' },
    ...over,
  };
}

const byId = (a: StoredEvent, b: StoredEvent) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);

export function runStoreContract(
  name: string,
  open: () => Promise<Store>,
  reopen?: (closed: Store) => Promise<Store>,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('is alive and empty when opened', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await store.countEvents()).toBe(0);
      expect(await store.queryEvents()).toEqual([]);
    });

    it('stores every field exactly and reads it back (props round-trip, nulls stay null)', async () => {
      const full = makeEvent('evt_full_0001', {
        type: 'page',
        name: 'page.view',
        ts: 1_767_225_601_234,
        received_at: 1_767_225_601_999,
        visitor_id: 'visitor_Zz09_-xy',
        session_id: 'session_Zz09_-xy',
        path: '/collections/été?utm_source=mail',
        campaign_id: 'exit-offer-10',
        user_id: 'customer:42',
        props: {
          str: 'Grüße 👋 "quoted" <b>not html</b>',
          int: 42,
          neg: -1.5,
          big: 9_007_199_254_740_991,
          yes: true,
          no: false,
          nothing: null,
          list: [1, 'two', { sku: 'SKU-1', price: 12.5 }],
          nested: { currency: 'EUR', total: 99.99 },
          empty: {},
        },
      });
      const bare = makeEvent('evt_bare_0001', {
        type: 'identify',
        name: 'identify',
        path: null,
        campaign_id: null,
        user_id: null,
        props: null,
      });
      const empty = makeEvent('evt_empty_001', { props: {} });
      expect(await store.insertEvents([full, bare, empty])).toEqual({ inserted: 3, duplicates: 0 });
      const got = (await store.queryEvents()).sort(byId);
      expect(got).toStrictEqual([bare, empty, full]);
    });

    it('an empty batch stores nothing', async () => {
      expect(await store.insertEvents([])).toEqual({ inserted: 0, duplicates: 0 });
      expect(await store.countEvents()).toBe(0);
    });

    it('deduplicates a resent batch by event_id', async () => {
      const batch = [makeEvent('evt_dup_00001'), makeEvent('evt_dup_00002'), makeEvent('evt_dup_00003')];
      expect(await store.insertEvents(batch)).toEqual({ inserted: 3, duplicates: 0 });
      expect(await store.insertEvents(batch)).toEqual({ inserted: 0, duplicates: 3 });
      // A retry that overlaps partly: only the new one is stored.
      const mixed = [makeEvent('evt_dup_00003'), makeEvent('evt_dup_00004')];
      expect(await store.insertEvents(mixed)).toEqual({ inserted: 1, duplicates: 1 });
      expect(await store.countEvents()).toBe(4);
    });

    it('counts a duplicate inside one batch once, keeping the first occurrence', async () => {
      const first = makeEvent('evt_same_0001', { name: 'first' });
      const again = makeEvent('evt_same_0001', { name: 'second' });
      const other = makeEvent('evt_same_0002');
      expect(await store.insertEvents([first, again, other])).toEqual({ inserted: 2, duplicates: 1 });
      expect(await store.countEvents()).toBe(2);
      const [stored] = await store.queryEvents({ name: 'first' });
      expect(stored).toStrictEqual(first);
      expect(await store.queryEvents({ name: 'second' })).toEqual([]);
    });

    it('50 concurrent batches of 10 all resolve with their own counts', async () => {
      const calls = Array.from({ length: 50 }, (_, b) =>
        store.insertEvents(Array.from({ length: 10 }, (_, i) => makeEvent(`evt_c${b}_${i}_pad`, {}, b * 10 + i))),
      );
      const results = await Promise.all(calls);
      expect(results).toEqual(Array.from({ length: 50 }, () => ({ inserted: 10, duplicates: 0 })));
      expect(await store.countEvents()).toBe(500);
    });

    it('one failing batch among concurrent good ones is rejected alone, and atomically', async () => {
      const good = Array.from({ length: 10 }, (_, b) =>
        Array.from({ length: 5 }, (_, i) => makeEvent(`evt_g${b}_${i}_pad`, {}, b * 5 + i)),
      );
      // A NOT NULL column left null: every SQL database refuses it. The batch's valid first event must not stay.
      const bad = [
        makeEvent('evt_bad_ok_01'),
        makeEvent('evt_bad_null1', { name: null as unknown as string }),
        makeEvent('evt_bad_ok_02'),
      ];
      const settled = await Promise.allSettled([
        ...good.slice(0, 5).map((b) => store.insertEvents(b)),
        store.insertEvents(bad),
        ...good.slice(5).map((b) => store.insertEvents(b)),
      ]);
      expect(settled.map((s) => s.status)).toEqual([...Array(5).fill('fulfilled'), 'rejected', ...Array(5).fill('fulfilled')]);
      for (const s of settled) if (s.status === 'fulfilled') expect(s.value).toEqual({ inserted: 5, duplicates: 0 });
      expect(await store.countEvents()).toBe(50);
      expect((await store.queryEvents({ limit: 1000 })).map((e) => e.event_id)).not.toContain('evt_bad_ok_01');
      // The rejected batch consumed no ids: fixed and resent, all of it is stored.
      const fixed = bad.map((e) => ({ ...e, name: 'fixed' }));
      expect(await store.insertEvents(fixed)).toEqual({ inserted: 3, duplicates: 0 });
      expect(await store.countEvents()).toBe(53);
    });

    it('close() writes what was already queued before it closes', async () => {
      const pending = store.insertEvents([makeEvent('evt_late_0001'), makeEvent('evt_late_0002')]);
      await store.close();
      expect(await pending).toEqual({ inserted: 2, duplicates: 0 });
      await store.close(); // idempotent
      await expect(store.insertEvents([makeEvent('evt_late_0003')])).rejects.toThrow();
      if (reopen) {
        store = await reopen(store);
        expect(await store.countEvents()).toBe(2);
      } else {
        store = await open(); // afterEach closes it
      }
    });

    it.skipIf(!reopen)('keeps the data across close and reopen', async () => {
      const events = Array.from({ length: 20 }, (_, i) => makeEvent(`evt_keep_${String(i).padStart(4, '0')}`, {}, i));
      await store.insertEvents(events);
      await store.close();
      store = await reopen!(store);
      expect(await store.countEvents()).toBe(20);
      expect((await store.queryEvents()).sort(byId)).toStrictEqual([...events].sort(byId));
      // And it still deduplicates against what was stored before.
      expect(await store.insertEvents(events.slice(0, 5))).toEqual({ inserted: 0, duplicates: 5 });
    });

    describe('queries', () => {
      // 3 visitors × 2 names × campaigns on some, ts deliberately not in insertion order.
      const visitors = ['visitor_aaaaaaaa', 'visitor_bbbbbbbb', 'visitor_cccccccc'];
      const names = ['campaign.impression', 'campaign.click'];
      const tsOrder = [7, 2, 11, 0, 5, 9, 1, 10, 3, 8, 4, 6];
      const all = tsOrder.map((t, i) =>
        makeEvent(`evt_q_${String(i).padStart(6, '0')}`, {
          ts: 1_767_225_600_000 + t * 60_000,
          visitor_id: visitors[i % 3]!,
          name: names[i % 2]!,
          campaign_id: i % 4 === 0 ? null : i % 4 === 1 ? 'summer-sale' : 'exit-offer',
        }),
      );
      const newestFirst = (es: StoredEvent[]) => [...es].sort((a, b) => b.ts - a.ts);

      beforeEach(async () => {
        await store.insertEvents(all);
      });

      it('returns newest first', async () => {
        const got = await store.queryEvents();
        expect(got.map((e) => e.ts)).toEqual(newestFirst(all).map((e) => e.ts));
      });

      it('filters by name, visitor_id and campaign_id, alone and combined', async () => {
        const cases: Array<[Parameters<Store['queryEvents']>[0], (e: StoredEvent) => boolean]> = [
          [{ name: 'campaign.click' }, (e) => e.name === 'campaign.click'],
          [{ visitor_id: 'visitor_bbbbbbbb' }, (e) => e.visitor_id === 'visitor_bbbbbbbb'],
          [{ campaign_id: 'summer-sale' }, (e) => e.campaign_id === 'summer-sale'],
          [{ campaign_id: 'exit-offer', name: 'campaign.impression' }, (e) => e.campaign_id === 'exit-offer' && e.name === 'campaign.impression'],
          [{ visitor_id: 'visitor_aaaaaaaa', name: 'campaign.click' }, (e) => e.visitor_id === 'visitor_aaaaaaaa' && e.name === 'campaign.click'],
          [{ name: 'no.such.event' }, () => false],
          [{ campaign_id: 'no-such-campaign' }, () => false],
        ];
        for (const [q, pred] of cases) {
          const want = newestFirst(all.filter(pred));
          expect(await store.queryEvents(q), JSON.stringify(q)).toStrictEqual(want);
        }
      });

      it('applies limit after filtering and ordering', async () => {
        expect(await store.queryEvents({ limit: 3 })).toStrictEqual(newestFirst(all).slice(0, 3));
        expect(await store.queryEvents({ name: 'campaign.impression', limit: 2 })).toStrictEqual(
          newestFirst(all.filter((e) => e.name === 'campaign.impression')).slice(0, 2),
        );
        expect(await store.queryEvents({ limit: 0 })).toEqual([]);
      });

      it('returns at most 100 by default', async () => {
        const more = Array.from({ length: 120 }, (_, i) => makeEvent(`evt_many_${String(i).padStart(4, '0')}`, {}, i));
        await store.insertEvents(more);
        expect(await store.countEvents()).toBe(132);
        expect(await store.queryEvents()).toHaveLength(100);
        expect(await store.queryEvents({ limit: 500 })).toHaveLength(132);
      });
    });

    it('property: stored ids == union of sent ids, and the inserted counts add up to the row count', async () => {
      const idPool = Array.from({ length: 24 }, (_, i) => `evt_prop_${String(i).padStart(3, '0')}`);
      const batch = fc.array(fc.integer({ min: 0, max: idPool.length - 1 }), { maxLength: 8 });
      // Rounds run one after another; the batches inside a round are sent concurrently.
      const rounds = fc.array(fc.array(batch, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 });
      await fc.assert(
        fc.asyncProperty(rounds, async (rs) => {
          const s = await open();
          try {
            const seen = new Set<string>();
            let sumInserted = 0;
            for (const round of rs) {
              const before = seen.size;
              const results = await Promise.all(
                round.map((b) => s.insertEvents(b.map((k) => makeEvent(idPool[k]!, {}, k)))),
              );
              round.forEach((b, i) => {
                expect(results[i]!.inserted + results[i]!.duplicates).toBe(b.length);
                for (const k of b) seen.add(idPool[k]!);
              });
              const roundInserted = results.reduce((n, r) => n + r.inserted, 0);
              expect(roundInserted).toBe(seen.size - before);
              sumInserted += roundInserted;
            }
            expect(await s.countEvents()).toBe(sumInserted);
            const stored = (await s.queryEvents({ limit: 10_000 })).map((e) => e.event_id).sort();
            expect(stored).toEqual([...seen].sort());
          } finally {
            await s.close();
          }
        }),
        { numRuns: 40 },
      );
    });
  });
}
