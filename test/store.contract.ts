// The behaviour every event store must have, whatever the database. Each implementation's test file calls
// runStoreContract with a factory: test/store.sqlite.test.ts for SQLite; a PostgreSQL store calls it the same way.
//
//   open():         a NEW, EMPTY store (a fresh file, schema or truncated table) each time it is called.
//   reopen(store):  the same data opened again after `store` was closed (optional; the durability cases are
//                   skipped without it).
//
// Besides events: exit-offer grants, the carts that insertEvents keeps, the webhook outbox, and privacy: erasing a
// visitor, retention, settled webhook bodies that no longer hold personal data, closed carts forgetting the email.

import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import fc from 'fast-check';
import type { GrantRequest, NewOutboxMessage, ReportCount, Store, StoredEvent } from '../server/store/types';
import { settledBody } from '../server/webhooks/redact';

/** A complete, valid event; `i` makes the defaults vary deterministically. */

/** An outbox message due at `at`, for the outbox and abandonment cases. */
const outboxMessage = (id: string, at: number, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage => ({
  id,
  endpoint: 'https://hooks.example/kairos',
  body: `{"id":"${id}"}`,
  created_at: at,
  next_attempt_at: at,
  ...over,
});

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

    // --- exit-offer grants -------------------------------------------------------------------------------------

    describe('grantOffer', () => {
      const T = 1_767_225_600_000;
      const req = (visitor_id: string, coupon: GrantRequest['coupon'], over: Partial<GrantRequest> = {}): GrantRequest => ({
        campaign_id: 'exit-10',
        visitor_id,
        now: T,
        deadline: T + 30 * 60_000,
        coupon,
        ...over,
      });
      const pool = (codes: string[], name = 'codes.txt') => ({ pool: name, codes });

      it('a fixed code: the first grant fixes code and deadline; later calls get the same grant', async () => {
        const first = await store.grantOffer(req('visitor_aaaaaaaa', { code: 'SAVE10' }));
        expect(first).toEqual({ campaign_id: 'exit-10', visitor_id: 'visitor_aaaaaaaa', code: 'SAVE10', issued_at: T, deadline: T + 1_800_000 });
        // A reload an hour later, after the config changed the code and the deadline: nothing moves.
        const later = await store.grantOffer(req('visitor_aaaaaaaa', { code: 'SAVE20' }, { now: T + 3_600_000, deadline: T + 9_999_999 }));
        expect(later).toEqual(first);
        // Everyone gets the fixed code, each with their own deadline.
        const other = await store.grantOffer(req('visitor_bbbbbbbb', { code: 'SAVE10' }, { now: T + 5, deadline: T + 5 + 1_800_000 }));
        expect(other).toMatchObject({ code: 'SAVE10', issued_at: T + 5, deadline: T + 5 + 1_800_000 });
      });

      it('grants are per campaign', async () => {
        await store.grantOffer(req('visitor_aaaaaaaa', { code: 'A' }));
        const b = await store.grantOffer(req('visitor_aaaaaaaa', { code: 'B' }, { campaign_id: 'exit-20' }));
        expect(b).toMatchObject({ campaign_id: 'exit-20', code: 'B' });
      });

      it('a pool hands each unused code to one visitor, then resolves null; existing grants stay', async () => {
        const codes = ['P1', 'P2', 'P3'];
        const got = [];
        for (const v of ['visitor_1111aaaa', 'visitor_2222aaaa', 'visitor_3333aaaa']) got.push(await store.grantOffer(req(v, pool(codes))));
        expect(new Set(got.map((g) => g!.code))).toEqual(new Set(codes));
        expect(await store.grantOffer(req('visitor_4444aaaa', pool(codes)))).toBeNull();
        // The visitor who has one keeps it even now that the pool is empty.
        expect(await store.grantOffer(req('visitor_2222aaaa', pool(codes)))).toEqual(got[1]);
        // Codes added to the pool file later are handed out.
        expect(await store.grantOffer(req('visitor_4444aaaa', pool([...codes, 'P4'])))).toMatchObject({ code: 'P4' });
      });

      it('a pool code is never handed to two visitors, even by concurrent calls, across campaigns sharing the pool', async () => {
        const codes = Array.from({ length: 10 }, (_, i) => `CODE${i}`);
        const calls = Array.from({ length: 30 }, (_, i) =>
          store.grantOffer(req(`visitor_${String(i).padStart(8, '0')}`, pool(codes), { campaign_id: i % 2 ? 'exit-a' : 'exit-b' })),
        );
        const grants = await Promise.all(calls);
        const handed = grants.filter((g) => g !== null).map((g) => g.code);
        expect(handed).toHaveLength(10);
        expect(new Set(handed).size).toBe(10);
        expect(grants.filter((g) => g === null)).toHaveLength(20);
        // Another pool (another file) has its own codes.
        expect(await store.grantOffer(req('visitor_zzzzzzzz', pool(['CODE0'], 'other.txt')))).toMatchObject({ code: 'CODE0' });
      });

      it('concurrent calls for one visitor get one grant', async () => {
        const codes = ['X1', 'X2', 'X3', 'X4'];
        const grants = await Promise.all(Array.from({ length: 5 }, () => store.grantOffer(req('visitor_samesame', pool(codes)))));
        expect(new Set(grants.map((g) => JSON.stringify(g))).size).toBe(1);
        // Only one code was used up.
        const rest = await Promise.all(['visitor_o1o1o1o1', 'visitor_o2o2o2o2', 'visitor_o3o3o3o3'].map((v) => store.grantOffer(req(v, pool(codes)))));
        expect(rest.every((g) => g !== null)).toBe(true);
      });

      it.skipIf(!reopen)('grants and used codes survive close and reopen', async () => {
        const codes = ['R1', 'R2'];
        const g = await store.grantOffer(req('visitor_keepkeep', pool(codes)));
        await store.close();
        store = await reopen!(store);
        expect(await store.grantOffer(req('visitor_keepkeep', pool(codes)))).toEqual(g);
        const next = await store.grantOffer(req('visitor_newnewnw', pool(codes)));
        expect(next!.code).not.toBe(g!.code);
        expect(await store.grantOffer(req('visitor_lastlast', pool(codes)))).toBeNull();
      });
    });

    // --- carts ---------------------------------------------------------------------------------------------------

    describe('carts kept by insertEvents', () => {
      const T = 1_767_225_600_000;
      const V = 'visitor_cartcart';
      let k = 0;
      const ev = (name: string, props: Record<string, unknown> | null, over: Partial<StoredEvent> = {}) =>
        makeEvent(`evt_cart_${String(++k).padStart(5, '0')}`, { name, props, visitor_id: V, campaign_id: null, ts: T, received_at: T, ...over });
      const added = (product_id: string, price: number, over: Partial<StoredEvent> = {}, quantity = 1) =>
        ev('Product Added', { product_id, price, quantity, name: `Item ${product_id}`, currency: 'USD' }, over);

      it('a cart event and an email make a cart; the newest cart event is its last activity', async () => {
        await store.insertEvents([
          ev('Identify', { email: 'ada@example.com' }, { type: 'identify', user_id: 'customer-1' }),
          added('sku-1', 19.99, { ts: T + 1000 }, 2),
          added('sku-2', 5.01, { ts: T + 2000, user_id: 'customer-1' }),
          ev('Page Viewed', null, { type: 'page', ts: T + 3000 }),
        ]);
        const cart = await store.getCart(V);
        expect(cart).toMatchObject({
          visitor_id: V,
          email: 'ada@example.com',
          user_id: 'customer-1',
          currency: 'USD',
          total: 44.99,
          last_activity: T + 2000,
          state: 'open',
          abandoned_at: null,
        });
        expect(cart!.cart_id).toEqual(expect.any(String));
        expect(cart!.items).toEqual({
          'sku-1': { quantity: 2, price: 19.99, name: 'Item sku-1' },
          'sku-2': { quantity: 1, price: 5.01, name: 'Item sku-2' },
        });
        expect(await store.getCart('visitor_nobody00')).toBeNull();
      });

      it('a resent batch changes nothing: quantities are not counted twice', async () => {
        const batch = [added('sku-1', 10)];
        await store.insertEvents(batch);
        await store.insertEvents(batch);
        await store.insertEvents([batch[0]!, added('sku-1', 10, { ts: T + 1 })]);
        expect((await store.getCart(V))!.items['sku-1']!.quantity).toBe(2);
      });

      it('a rejected batch leaves the cart as it was', async () => {
        await store.insertEvents([added('sku-1', 10)]);
        const before = await store.getCart(V);
        await expect(store.insertEvents([added('sku-2', 20, { ts: T + 5 }), makeEvent('evt_cart_badbad', { name: null as unknown as string })])).rejects.toThrow();
        expect(await store.getCart(V)).toEqual(before);
      });

      it('an email seen before any cart event is remembered for the cart', async () => {
        await store.insertEvents([ev('Newsletter Signed Up', { email: 'early@example.com' })]);
        expect(await store.getCart(V)).toMatchObject({ email: 'early@example.com', cart_id: null, items: {} });
        await store.insertEvents([added('sku-1', 10, { ts: T + 60_000 })]);
        expect(await store.getCart(V)).toMatchObject({ email: 'early@example.com', last_activity: T + 60_000 });
      });

      it('dueCarts lists open carts with an email and items idle since the cutoff, oldest first', async () => {
        const mk = (v: string, ts: number, email: string | null, items = true) => [
          ...(email ? [ev('Identify', { email }, { type: 'identify', visitor_id: v, ts })] : []),
          ...(items ? [added('sku-1', 10, { visitor_id: v, ts })] : []),
        ];
        await store.insertEvents([
          ...mk('visitor_due2due2', T + 20, 'b@example.com'),
          ...mk('visitor_due1due1', T + 10, 'a@example.com'),
          ...mk('visitor_noemail0', T, null),
          ...mk('visitor_noitems0', T, 'c@example.com', false),
          ...mk('visitor_toonew00', T + 100, 'd@example.com'),
        ]);
        expect((await store.dueCarts(T + 50, 10)).map((c) => c.visitor_id)).toEqual(['visitor_due1due1', 'visitor_due2due2']);
        expect((await store.dueCarts(T + 50, 1)).map((c) => c.visitor_id)).toEqual(['visitor_due1due1']);
        // `since` leaves out carts idle since before it (too old to report).
        expect((await store.dueCarts(T + 50, 10, T + 10)).map((c) => c.visitor_id)).toEqual(['visitor_due2due2']);
        // An order takes a cart out.
        await store.insertEvents([ev('Order Completed', { order_id: 'o-1', total: 10 }, { visitor_id: 'visitor_due1due1', ts: T + 30 })]);
        expect((await store.dueCarts(T + 50, 10)).map((c) => c.visitor_id)).toEqual(['visitor_due2due2']);
        expect(await store.getCart('visitor_due1due1')).toMatchObject({ state: 'ordered', items: {}, total: 0 });
      });

      const message = (id: string, over: Partial<NewOutboxMessage> = {}) => outboxMessage(id, T, over);

      it('abandonCarts marks a generation once and queues its messages in the same step', async () => {
        await store.insertEvents([ev('Identify', { email: 'a@example.com' }, { type: 'identify' }), added('sku-1', 10)]);
        const [cart] = await store.dueCarts(T + 60_000, 10);
        const entry = { cart: cart!, messages: [message('msg_a1'), message('msg_a2', { endpoint: 'https://other.example/h' })] };
        expect(await store.abandonCarts(T + 60_000, [entry])).toEqual([cart!.cart_id]);
        // A second detector (or a restart) with the same view: nothing more.
        expect(await store.abandonCarts(T + 61_000, [{ ...entry, messages: [message('msg_a3')] }])).toEqual([]);
        expect(await store.getCart(V)).toMatchObject({ state: 'abandoned', abandoned_at: T + 60_000, cart_id: cart!.cart_id });
        expect(await store.outboxStats()).toEqual({ pending: 2, delivered: 0, failed: 0, disabled: 0 });
        expect((await store.listWebhooks()).map((m) => m.id)).toEqual(['msg_a1', 'msg_a2']);
        expect(await store.dueCarts(T + 999_999, 10)).toEqual([]);

        // New activity: a new generation, open again, with the lines it had.
        await store.insertEvents([added('sku-2', 5, { ts: T + 120_000 })]);
        const next = await store.getCart(V);
        expect(next).toMatchObject({ state: 'open', abandoned_at: null, last_activity: T + 120_000, total: 15 });
        expect(next!.cart_id).not.toBe(cart!.cart_id);
      });

      it('abandonCarts skips a cart that changed after it was read', async () => {
        await store.insertEvents([ev('Identify', { email: 'a@example.com' }, { type: 'identify' }), added('sku-1', 10)]);
        const [seen] = await store.dueCarts(T + 60_000, 10);
        await store.insertEvents([added('sku-1', 10, { ts: T + 30_000 })]); // activity meanwhile
        expect(await store.abandonCarts(T + 60_000, [{ cart: seen!, messages: [message('msg_b1')] }])).toEqual([]);
        expect(await store.outboxStats()).toMatchObject({ pending: 0 });
        expect(await store.getCart(V)).toMatchObject({ state: 'open' });
      });

      it.skipIf(!reopen)('carts survive close and reopen', async () => {
        await store.insertEvents([ev('Identify', { email: 'a@example.com' }, { type: 'identify' }), added('sku-1', 10)]);
        const before = await store.getCart(V);
        await store.close();
        store = await reopen!(store);
        expect(await store.getCart(V)).toEqual(before);
      });
    });

    // --- webhook outbox ----------------------------------------------------------------------------------------

    describe('webhook outbox', () => {
      const T = 1_767_225_600_000;
      const message = (id: string, over: Partial<NewOutboxMessage> = {}) => outboxMessage(id, T, over);

      it('claims due messages by lease: one worker at a time, taken over when the lease runs out', async () => {
        await store.enqueueWebhooks([message('msg_1'), message('msg_later', { next_attempt_at: T + 60_000 })]);
        const [a, ...none] = await store.claimWebhooks({ now: T, leaseMs: 30_000, limit: 10 });
        expect(none).toEqual([]);
        expect(a).toMatchObject({ id: 'msg_1', body: '{"id":"msg_1"}', attempts: 1, first_attempt_at: T, lease_until: T + 30_000, status: 'pending' });
        // Leased: nobody else gets it, not even later within the lease.
        expect(await store.claimWebhooks({ now: T + 29_999, leaseMs: 30_000, limit: 10 })).toEqual([]);
        // The worker died: after the lease another takes it over (and the later message is due now too).
        const taken = await store.claimWebhooks({ now: T + 60_001, leaseMs: 30_000, limit: 10 });
        expect(taken.map((m) => [m.id, m.attempts, m.first_attempt_at])).toEqual([
          ['msg_1', 2, T],
          ['msg_later', 1, T + 60_001],
        ]);
        // The first worker's late outcome is not recorded: its lease is gone.
        expect(await store.settleWebhook('msg_1', a!.lease_token, { status: 'delivered', at: T + 60_002, http_status: 200 })).toBe(false);
        expect(await store.settleWebhook('msg_1', taken[0]!.lease_token, { status: 'delivered', at: T + 60_003, http_status: 204 })).toBe(true);
        expect((await store.listWebhooks({ status: 'delivered' }))[0]).toMatchObject({ id: 'msg_1', settled_at: T + 60_003, last_status: 204, lease_until: null });
      });

      it('exclude and limit', async () => {
        await store.enqueueWebhooks([message('msg_1'), message('msg_2'), message('msg_3')]);
        expect((await store.claimWebhooks({ now: T, leaseMs: 1000, limit: 1, exclude: ['msg_1'] })).map((m) => m.id)).toEqual(['msg_2']);
      });

      it('a retry waits for its time and keeps its id; failed is final', async () => {
        await store.enqueueWebhooks([message('msg_r')]);
        let [m] = await store.claimWebhooks({ now: T, leaseMs: 1000, limit: 10 });
        expect(await store.settleWebhook('msg_r', m!.lease_token, { status: 'pending', next_attempt_at: T + 30_000, error: 'answered 500', http_status: 500 })).toBe(true);
        expect(await store.claimWebhooks({ now: T + 29_999, leaseMs: 1000, limit: 10 })).toEqual([]);
        [m] = await store.claimWebhooks({ now: T + 30_000, leaseMs: 1000, limit: 10 });
        expect(m).toMatchObject({ id: 'msg_r', attempts: 2, last_error: 'answered 500', last_status: 500 });
        await store.settleWebhook('msg_r', m!.lease_token, { status: 'failed', at: T + 30_001, error: 'gave up' });
        expect(await store.claimWebhooks({ now: T + 9e9, leaseMs: 1000, limit: 10 })).toEqual([]);
        expect(await store.outboxStats()).toEqual({ pending: 0, delivered: 0, failed: 1, disabled: 0 });
      });

      it('disabling an endpoint disables its pending messages and every later one; other endpoints go on', async () => {
        const gone = 'https://gone.example/h';
        await store.enqueueWebhooks([message('msg_g1', { endpoint: gone }), message('msg_g2', { endpoint: gone, next_attempt_at: T + 5000 }), message('msg_ok')]);
        const claimed = await store.claimWebhooks({ now: T, leaseMs: 1000, limit: 10 });
        const g1 = claimed.find((m) => m.id === 'msg_g1')!;
        await store.settleWebhook('msg_g1', g1.lease_token, { status: 'disabled', at: T + 1, error: 'answered 410 Gone', http_status: 410 });
        await store.enqueueWebhooks([message('msg_g3', { endpoint: gone, created_at: T + 2 })]);
        const byId = Object.fromEntries((await store.listWebhooks()).map((m) => [m.id, m.status]));
        expect(byId).toEqual({ msg_g1: 'disabled', msg_g2: 'disabled', msg_ok: 'pending', msg_g3: 'disabled' });
        expect(await store.disabledEndpoints()).toEqual([{ url: gone, disabled_at: T + 1, reason: 'answered 410 Gone' }]);
        // Only the other endpoint's message is ever offered again.
        expect((await store.claimWebhooks({ now: T + 9e9, leaseMs: 1000, limit: 10 })).map((m) => m.id)).toEqual(['msg_ok']);
      });

      it.skipIf(!reopen)('queued messages and leases survive close and reopen', async () => {
        await store.enqueueWebhooks([message('msg_keep')]);
        await store.claimWebhooks({ now: T, leaseMs: 10_000, limit: 10 });
        await store.close();
        store = await reopen!(store);
        expect(await store.claimWebhooks({ now: T + 5_000, leaseMs: 10_000, limit: 10 })).toEqual([]);
        expect(await store.claimWebhooks({ now: T + 10_001, leaseMs: 10_000, limit: 10 })).toMatchObject([{ id: 'msg_keep', attempts: 2 }]);
      });
    });

    // --- privacy: erasure, retention, what settled messages and closed carts keep ---------------------------------

    describe('offer preferences of identified shoppers', () => {
      const T = 1_767_225_600_000;
      const DAY = 86_400_000;
      const prefs = (level: 'all' | 'fewer' | 'bars' | 'none', at: number, off: string[] = []) => ({ level, off, at });

      it('keep the newest choice by when it was made, whichever device saves last', async () => {
        expect(await store.getPreferences('customer-7')).toBeNull();
        expect(await store.putPreferences('customer-7', 'visitor_phone_0001', prefs('bars', T, ['news']), T)).toBe(true);
        expect(await store.getPreferences('customer-7')).toEqual(prefs('bars', T, ['news']));
        // An older choice arriving later (a laptop that was offline) loses; a newer one wins.
        expect(await store.putPreferences('customer-7', 'visitor_laptop_001', prefs('all', T - 1), T + 5)).toBe(false);
        expect(await store.getPreferences('customer-7')).toEqual(prefs('bars', T, ['news']));
        expect(await store.putPreferences('customer-7', 'visitor_laptop_001', prefs('none', T + 1), T + 6)).toBe(true);
        expect(await store.getPreferences('customer-7')).toEqual(prefs('none', T + 1));
        // The same instant again does not overwrite (ties keep what is there).
        expect(await store.putPreferences('customer-7', 'visitor_phone_0001', prefs('all', T + 1), T + 7)).toBe(false);
        // Other shoppers are separate.
        expect(await store.getPreferences('customer-8')).toBeNull();
      });

      it('are erased with the visitor whose device saved them, and expire when untouched for the retention period', async () => {
        await store.putPreferences('customer-1', 'visitor_erase_aaaa', prefs('fewer', T), T);
        await store.putPreferences('customer-2', 'visitor_erase_bbbb', prefs('bars', T), T);
        await store.putPreferences('customer-3', 'visitor_old_00001', prefs('none', T - 40 * DAY), T - 40 * DAY);
        expect(await store.eraseVisitor('visitor_erase_aaaa')).toMatchObject({ preferences: 1 });
        expect(await store.getPreferences('customer-1')).toBeNull();
        expect(await store.getPreferences('customer-2')).toEqual(prefs('bars', T));
        expect(await store.deleteExpired(T - DAY)).toMatchObject({ preferences: 1 });
        expect(await store.getPreferences('customer-3')).toBeNull();
        expect(await store.getPreferences('customer-2')).toEqual(prefs('bars', T));
      });
    });

    describe('the report: reportData counts', () => {
      const DAY = 86_400_000;
      const T = Date.UTC(2026, 5, 10, 12); // 10 June 2026, noon UTC
      const dayOf = (ts: number) => Math.floor(ts / DAY);
      let k = 0;
      const ev = (name: string, ts: number, visitor: string, campaign: string | null, props: StoredEvent['props'] = null) =>
        makeEvent(`rep-${++k}`, { name, ts, received_at: ts, visitor_id: visitor, campaign_id: campaign, props });
      const query = { from: T - 5 * DAY, to: T + DAY, click_ms: 7 * DAY, view_ms: DAY, window_ms: 7 * DAY };
      const sum = (rows: readonly ReportCount[], campaign: string, key: keyof ReportCount) =>
        rows.filter((r) => r.campaign_id === campaign).reduce((n, r) => n + Number(r[key] ?? 0), 0);

      it('impressions, clicks and dismissals per campaign and day; a dismissal within 2 s is a quick close', async () => {
        await store.insertEvents([
          ev('Campaign Shown', T, 'v1', 'welcome'),
          ev('Campaign Shown', T + 1000, 'v2', 'welcome'),
          ev('Campaign Shown', T - DAY, 'v3', 'welcome'),
          ev('Campaign Clicked', T + 5000, 'v1', 'welcome'),
          ev('Campaign Dismissed', T + 2000, 'v2', 'welcome', { type: 'modal', ms: 1500 }),
          ev('Campaign Dismissed', T - DAY + 9000, 'v3', 'welcome', { type: 'modal', ms: 9000 }),
          ev('Campaign Dismissed', T - DAY + 9000, 'v4', 'welcome', { type: 'modal', ms: 2000 }), // 2 s is not within 2 s
          ev('Campaign Shown', T - 10 * DAY, 'v5', 'welcome'), // before the range
          ev('Page Viewed', T, 'v1', null),
        ]);
        const { counts, events } = await store.reportData(query);
        expect(sum(counts, 'welcome', 'impressions')).toBe(3);
        expect(sum(counts, 'welcome', 'clicks')).toBe(1);
        expect(sum(counts, 'welcome', 'dismissals')).toBe(3);
        expect(sum(counts, 'welcome', 'quick_closes')).toBe(1);
        const today = counts.filter((r) => r.day === dayOf(T));
        expect(sum(today, 'welcome', 'impressions')).toBe(2);
        expect(events).toBe(7); // the report's kinds in the range, not the page view
      });

      it('leaving within 10 s counts unless another page follows within 30 min; fewer offers unless back to all', async () => {
        await store.insertEvents([
          ev('Campaign Left', T, 'gone', 'bar'),
          ev('Campaign Left', T, 'stayed', 'bar'),
          ev('Page Viewed', T + 60_000, 'stayed', null),
          ev('Campaign Left', T, 'late', 'bar'),
          ev('Page Viewed', T + 31 * 60_000, 'late', null),
          ev('Preferences Changed', T, 'p1', 'bar', { level: 'fewer', off: '' }),
          ev('Preferences Changed', T, 'p2', 'bar', { level: 'none', off: '' }),
          ev('Preferences Changed', T, 'p3', 'bar', { level: 'all', off: 'sales' }),
          ev('Preferences Changed', T, 'p4', null, { level: 'none', off: '' }), // from the footer link: no campaign
        ]);
        const { counts } = await store.reportData(query);
        expect(sum(counts, 'bar', 'left')).toBe(2);
        expect(sum(counts, 'bar', 'fewer')).toBe(2);
      });

      it.each([
        ['a click 3 days before', [['Campaign Clicked', -3 * DAY, 'a']], 'a'],
        ['a click 8 days before (outside click_days)', [['Campaign Clicked', -8 * DAY, 'a']], null],
        ['an impression 2 hours before', [['Campaign Shown', -2 * 3_600_000, 'a']], 'a'],
        ['an impression 2 days before (outside view_days)', [['Campaign Shown', -2 * DAY, 'a']], null],
        ['last touch: a click 3 days before, then an impression of another an hour before', [['Campaign Clicked', -3 * DAY, 'a'], ['Campaign Shown', -3_600_000, 'b']], 'b'],
        ['last touch: an impression 20 h before, then a click of another 2 days before', [['Campaign Shown', -20 * 3_600_000, 'a'], ['Campaign Clicked', -2 * DAY, 'b']], 'a'],
        ['a touch after the order does not count', [['Campaign Clicked', 60_000, 'a']], null],
        ['a click and an impression at the same moment: the click', [['Campaign Shown', -1000, 'b'], ['Campaign Clicked', -1000, 'a']], 'a'],
        ['a touch before the range still counts for an order in it', [['Campaign Clicked', -6 * DAY, 'a']], 'a'],
      ] as const)('an order is credited by last touch: %s', async (_, touches, credited) => {
        const order = T - 4 * DAY + 3_600_000;
        await store.insertEvents([
          ...touches.map(([name, at, c]) => ev(name, order + at, 'buyer', c)),
          ev('Order Completed', order, 'buyer', null, { order_id: 'o1', revenue: 42.5 }),
          ev('Order Completed', order, 'someone-else', null, { order_id: 'o2', total: 99 }),
        ]);
        const { counts } = await store.reportData(query);
        for (const c of ['a', 'b']) {
          expect(sum(counts, c, 'conversions')).toBe(c === credited ? 1 : 0);
          expect(sum(counts, c, 'revenue')).toBe(c === credited ? 42.5 : 0);
        }
        if (credited) expect(counts.find((r) => r.conversions)?.day).toBe(dayOf(order));
      });

      it('experiments: each shopper in the arm of their first exposure; converters ordered within the window after it', async () => {
        await store.insertEvents([
          ev('Experiment Viewed', T - 3 * DAY, 'h1', 'welcome', { variant: 'holdout' }),
          ev('Experiment Viewed', T - 3 * DAY, 'h2', 'welcome', { variant: 'holdout' }),
          ev('Experiment Viewed', T - 3 * DAY, 'a1', 'welcome', { variant: 'a' }),
          ev('Experiment Viewed', T - 2 * DAY, 'a1', 'welcome', { variant: 'b' }), // a later exposure: still a
          ev('Experiment Viewed', T - 3 * DAY, 'b1', 'welcome', { variant: 'b' }),
          ev('Campaign Shown', T - 3 * DAY, 'a1', 'welcome'),
          ev('Campaign Shown', T - 3 * DAY, 'b1', 'welcome'),
          ev('Order Completed', T - 2 * DAY, 'h1', null, { order_id: 'x', revenue: 10 }), // held out, still a converter
          ev('Order Completed', T - 4 * DAY, 'h2', null, { order_id: 'y', revenue: 10 }), // before exposure: no
          ev('Order Completed', T - 2 * DAY, 'a1', null, { order_id: 'z', revenue: 30 }),
          ev('Order Completed', T - 1 * DAY, 'a1', null, { order_id: 'z2', revenue: 20 }), // a second order: one converter
        ]);
        const { arms, counts } = await store.reportData(query);
        const arm = (id: string) => arms.find((r) => r.campaign_id === 'welcome' && r.arm === id);
        expect(arm('holdout')).toMatchObject({ visitors: 2, converters: 1, revenue: 10 });
        expect(arm('a')).toMatchObject({ visitors: 1, converters: 1, revenue: 50 });
        expect(arm('b')).toMatchObject({ visitors: 1, converters: 0, revenue: 0 });
        expect(counts.filter((r) => r.arm === 'a').reduce((n, r) => n + (r.impressions ?? 0), 0)).toBe(1);
      });

      it('one campaign only, with campaign_id', async () => {
        await store.insertEvents([ev('Campaign Shown', T, 'v1', 'welcome'), ev('Campaign Shown', T, 'v1', 'bar')]);
        const { counts } = await store.reportData({ ...query, campaign_id: 'bar' });
        expect(counts.map((r) => r.campaign_id)).toEqual(['bar']);
      });
    });

    describe('auto-pause state', () => {
      it('pauses once (the first reason stays), resumes, and remembers since when to judge', async () => {
        expect(await store.campaignPauses()).toEqual([]);
        expect(await store.pauseCampaign('welcome', 1000, 'too many dismissals')).toBe(true);
        expect(await store.pauseCampaign('welcome', 2000, 'another reason')).toBe(false);
        expect(await store.campaignPauses()).toEqual([{ campaign_id: 'welcome', paused_at: 1000, reason: 'too many dismissals', since: 0 }]);
        await store.resumeCampaign('welcome', 3000);
        expect(await store.campaignPauses()).toEqual([{ campaign_id: 'welcome', paused_at: null, reason: null, since: 3000 }]);
        expect(await store.pauseCampaign('welcome', 4000, 'again')).toBe(true);
        expect((await store.campaignPauses())[0]).toMatchObject({ paused_at: 4000, since: 3000 });
      });
    });

    describe('privacy', () => {
      const T = 1_767_225_600_000;
      const DAY = 86_400_000;
      const A = 'visitor_erase_aaaa';
      const B = 'visitor_erase_bbbb';
      const codes = ['CODE-1', 'CODE-2', 'CODE-3', 'CODE-4'];
      const grant = (visitor_id: string, over: Partial<GrantRequest> = {}) =>
        store.grantOffer({ campaign_id: 'exit-10', visitor_id, now: T, deadline: T + 30 * 60_000, coupon: { pool: 'codes.txt', codes }, ...over });
      /** A webhook body as abandon.ts writes it: an address, a user id and the cart. */
      const abandonedBody = (visitor_id: string, email: string) =>
        JSON.stringify({
          type: 'cart.abandoned',
          timestamp: new Date(T).toISOString(),
          data: { cart_id: `cart_${visitor_id}`, visitor_id, email, user_id: 'customer-7', items: [{ id: 'sku-1', name: 'Linen shirt', price: 10, quantity: 1 }], total: 10 },
        });
      const allMessages = async () => store.listWebhooks({ limit: 10_000 });

      /** What a visitor leaves behind: events (one identify with an email), a cart, two webhook messages, a grant. */
      async function leave(visitor_id: string, tag: string, at = T): Promise<void> {
        const e = (suffix: string, over: Partial<StoredEvent>) =>
          makeEvent(`evt_${tag}_${suffix}`, { visitor_id, campaign_id: null, ts: at, received_at: at, ...over });
        await store.insertEvents([
          e('view', { name: 'Product Viewed', props: { product_id: 'sku-1' } }),
          e('ident', { type: 'identify', name: 'Identify', props: { email: `${tag}@example.com` } }),
          e('add', { name: 'Product Added', props: { product_id: 'sku-1', price: 10, quantity: 1 } }),
        ]);
        await store.enqueueWebhooks([
          outboxMessage(`msg_${tag}_lead`, at, { visitor_id, body: JSON.stringify({ type: 'lead.captured', data: { email: `${tag}@example.com`, visitor_id } }) }),
          outboxMessage(`msg_${tag}_cart`, at, { visitor_id, body: abandonedBody(visitor_id, `${tag}@example.com`), endpoint: 'https://other.example/h' }),
        ]);
        expect(await grant(visitor_id, { now: at, deadline: at + 30 * 60_000 })).not.toBeNull();
      }

      it('eraseVisitor removes that visitor’s events, cart, webhook messages (sent or not) and grants, and nothing of another’s', async () => {
        await leave(A, 'alice');
        await leave(B, 'bob');
        // One of Alice's messages is delivered, the other is in flight (leased): both go.
        const claimed = await store.claimWebhooks({ now: T, leaseMs: 60_000, limit: 10 });
        const aliceLead = claimed.find((m) => m.id === 'msg_alice_lead')!;
        expect(await store.settleWebhook(aliceLead.id, aliceLead.lease_token, { status: 'delivered', at: T + 1, http_status: 204 })).toBe(true);
        const bobBefore = { events: await store.queryEvents({ visitor_id: B }), cart: await store.getCart(B) };
        const aliceGrant = await grant(A);

        expect(await store.eraseVisitor(A)).toEqual({ events: 3, carts: 1, messages: 2, grants: 1, preferences: 0 });
        expect(await store.queryEvents({ visitor_id: A })).toEqual([]);
        expect(await store.getCart(A)).toBeNull();
        expect((await allMessages()).map((m) => m.id).sort()).toEqual(['msg_bob_cart', 'msg_bob_lead']);
        expect(JSON.stringify(await allMessages())).not.toContain('alice');
        // Bob is untouched: his events, his cart (with its email), his messages, his grant.
        expect(await store.queryEvents({ visitor_id: B })).toEqual(bobBefore.events);
        expect(await store.getCart(B)).toEqual(bobBefore.cart);
        expect(bobBefore.cart).toMatchObject({ email: 'bob@example.com' });
        expect(await store.countEvents()).toBe(3);
        const bobGrant = await grant(B, { now: T + 5, deadline: T + 99 });
        expect(bobGrant).toMatchObject({ visitor_id: B, deadline: T + 30 * 60_000 });
        // A pool code handed out stays used (the shop may still redeem it): a new visitor gets a code never given.
        const given = new Set([aliceGrant!.code, bobGrant!.code]);
        const carol = await grant('visitor_erase_cccc');
        expect(carol).not.toBeNull();
        expect(given.has(carol!.code)).toBe(false);
        // Alice coming back is a new visitor to the store: a new grant (not her old code).
        const again = await grant(A, { now: T + 10, deadline: T + 10 + 30 * 60_000 });
        expect(again).toMatchObject({ deadline: T + 10 + 30 * 60_000 });
        expect(given.has(again!.code) || again!.code === carol!.code).toBe(false);

        // Idempotent; an unknown visitor erases nothing.
        await store.eraseVisitor(A);
        expect(await store.eraseVisitor(A)).toEqual({ events: 0, carts: 0, messages: 0, grants: 0, preferences: 0 });
        expect(await store.eraseVisitor('visitor_nobody_00')).toEqual({ events: 0, carts: 0, messages: 0, grants: 0, preferences: 0 });
      });

      it('deleteExpired removes events received, carts idle, messages settled and grants expired before the cutoff; keeps the rest', async () => {
        const old = T - 40 * DAY;
        await leave(A, 'alice', old);
        await leave(B, 'bob', T);
        // Alice's lead was delivered long ago and her cart message failed for good long ago; Bob's lead was delivered
        // just now and his cart message is still pending. A very old message still pending is kept: it is not sent yet.
        await store.enqueueWebhooks([outboxMessage('msg_old_pending', old - DAY, { next_attempt_at: T + DAY })]);
        const settle = async (id: string, now: number, outcome: Parameters<Store['settleWebhook']>[2]) => {
          const [m] = await store.claimWebhooks({ now, leaseMs: 1000, limit: 10, exclude: (await allMessages()).map((x) => x.id).filter((x) => x !== id) });
          expect(m?.id).toBe(id);
          expect(await store.settleWebhook(id, m!.lease_token, outcome)).toBe(true);
        };
        await settle('msg_alice_lead', old, { status: 'delivered', at: old + 1, http_status: 200 });
        await settle('msg_alice_cart', old, { status: 'failed', at: old + 2, error: 'gave up' });
        await settle('msg_bob_lead', T, { status: 'delivered', at: T + 1, http_status: 200 });
        // An event exactly at the cutoff is kept (strictly before is old).
        await store.insertEvents([makeEvent('evt_at_cutoff', { visitor_id: 'visitor_edge_0000', received_at: T - DAY, ts: T - DAY })]);

        const cutoff = T - DAY;
        expect(await store.deleteExpired(cutoff)).toEqual({ events: 3, carts: 1, messages: 2, grants: 1, preferences: 0 });
        expect(await store.queryEvents({ visitor_id: A })).toEqual([]);
        expect(await store.getCart(A)).toBeNull();
        expect((await store.queryEvents({ visitor_id: B })).map((e) => e.event_id).sort()).toEqual(['evt_bob_add', 'evt_bob_ident', 'evt_bob_view']);
        expect(await store.queryEvents({ visitor_id: 'visitor_edge_0000' })).toHaveLength(1);
        expect(await store.getCart(B)).toMatchObject({ email: 'bob@example.com', last_activity: T });
        expect((await allMessages()).map((m) => [m.id, m.status]).sort()).toEqual([
          ['msg_bob_cart', 'pending'],
          ['msg_bob_lead', 'delivered'],
          ['msg_old_pending', 'pending'],
        ]);
        // Alice's expired grant is gone (a new one would be new), Bob's is kept; her code stays used.
        expect(await grant(B, { now: T + 5, deadline: T + 99 })).toMatchObject({ visitor_id: B, deadline: T + 30 * 60_000 });
        const fresh = await grant(A, { now: T, deadline: T + 1 });
        expect(fresh).toMatchObject({ deadline: T + 1 });
        expect(await store.countEvents()).toBe(4);

        // Nothing older is left: a second run removes nothing.
        expect(await store.deleteExpired(cutoff)).toEqual({ events: 0, carts: 0, messages: 0, grants: 0, preferences: 0 });
      });

      it('a cart that only remembers an email (signed up, nothing in the cart yet) lives as long as its visitor’s events', async () => {
        const cutoff = T - DAY;
        const ident = (id: string, visitor: string, at: number, email: string) =>
          makeEvent(id, { type: 'identify', name: 'identify', visitor_id: visitor, ts: at, received_at: at, campaign_id: null, props: { email } });
        await store.insertEvents([
          ident('evt_keep_ident', 'visitor_keep_0001', T - 2 * DAY, 'keep@example.com'),
          makeEvent('evt_keep_view', { name: 'Page Viewed', type: 'page', visitor_id: 'visitor_keep_0001', ts: T, received_at: T, campaign_id: null, props: null }),
          ident('evt_gone_ident', 'visitor_gone_0001', T - 40 * DAY, 'gone@example.com'),
        ]);
        expect(await store.getCart('visitor_keep_0001')).toMatchObject({ email: 'keep@example.com', last_activity: null });
        expect(await store.deleteExpired(cutoff)).toMatchObject({ carts: 1 });
        expect(await store.getCart('visitor_keep_0001')).toMatchObject({ email: 'keep@example.com' });
        expect(await store.getCart('visitor_gone_0001')).toBeNull();
      });

      it('deleteExpired removes every old event, however many, and no new one', async () => {
        const n = 6_000; // more than one chunk in the SQLite store (5,000)
        const olds = Array.from({ length: n }, (_, i) => makeEvent(`evt_old_${String(i).padStart(5, '0')}`, { received_at: T - DAY - i }, i));
        const news = Array.from({ length: 5 }, (_, i) => makeEvent(`evt_new_${i}`, { received_at: T + i }, i));
        await store.insertEvents([...olds, ...news]);
        expect(await store.deleteExpired(T)).toMatchObject({ events: n });
        expect((await store.queryEvents({ limit: 100 })).map((e) => e.event_id).sort()).toEqual(news.map((e) => e.event_id));
      });

      it('a settled message keeps a redacted body (type and ids); a pending one keeps the body it must send', async () => {
        const gone = 'https://gone.example/h';
        const body = (v: string) => abandonedBody(v, `${v}@example.com`);
        await store.enqueueWebhooks([
          outboxMessage('msg_deliver', T, { body: body('visitor_dddd') }),
          outboxMessage('msg_fail', T, { body: body('visitor_ffff') }),
          outboxMessage('msg_retry', T, { body: body('visitor_rrrr') }),
          outboxMessage('msg_gone_1', T, { body: body('visitor_gggg'), endpoint: gone }),
          outboxMessage('msg_gone_2', T, { body: body('visitor_hhhh'), endpoint: gone, next_attempt_at: T + 5000 }),
        ]);
        const claimed = Object.fromEntries((await store.claimWebhooks({ now: T, leaseMs: 1000, limit: 10 })).map((m) => [m.id, m]));
        expect(claimed['msg_deliver']!.body).toBe(body('visitor_dddd')); // what the worker sends is the whole body
        await store.settleWebhook('msg_deliver', claimed['msg_deliver']!.lease_token, { status: 'delivered', at: T + 1, http_status: 200 });
        await store.settleWebhook('msg_fail', claimed['msg_fail']!.lease_token, { status: 'failed', at: T + 1, error: 'gave up' });
        await store.settleWebhook('msg_retry', claimed['msg_retry']!.lease_token, { status: 'pending', next_attempt_at: T + 30_000, error: 'answered 500', http_status: 500 });
        await store.settleWebhook('msg_gone_1', claimed['msg_gone_1']!.lease_token, { status: 'disabled', at: T + 1, error: 'answered 410 Gone', http_status: 410 });
        await store.enqueueWebhooks([outboxMessage('msg_gone_3', T + 2, { body: body('visitor_iiii'), endpoint: gone })]);

        const byId = Object.fromEntries((await allMessages()).map((m) => [m.id, m]));
        expect(Object.fromEntries(Object.entries(byId).map(([id, m]) => [id, m.status]))).toEqual({
          msg_deliver: 'delivered',
          msg_fail: 'failed',
          msg_retry: 'pending',
          msg_gone_1: 'disabled',
          msg_gone_2: 'disabled',
          msg_gone_3: 'disabled',
        });
        for (const [id, v] of [['msg_deliver', 'visitor_dddd'], ['msg_fail', 'visitor_ffff'], ['msg_gone_1', 'visitor_gggg'], ['msg_gone_2', 'visitor_hhhh'], ['msg_gone_3', 'visitor_iiii']] as const) {
          const kept = byId[id]!.body;
          expect(kept, id).toBe(settledBody(body(v)));
          expect(JSON.parse(kept), id).toEqual({ type: 'cart.abandoned', timestamp: new Date(T).toISOString(), data: { cart_id: `cart_${v}`, visitor_id: v }, redacted: true });
          expect(kept, id).not.toMatch(/@example\.com|customer-7|Linen/);
        }
        // The retry still has everything it must send, and sends it.
        expect(byId['msg_retry']!.body).toBe(body('visitor_rrrr'));
        const [retry] = await store.claimWebhooks({ now: T + 30_000, leaseMs: 1000, limit: 10 });
        expect(retry).toMatchObject({ id: 'msg_retry', body: body('visitor_rrrr'), attempts: 2 });
        // The record an operator reads is intact: status, attempts, errors, when.
        expect(byId['msg_fail']).toMatchObject({ attempts: 1, last_error: 'gave up', settled_at: T + 1 });
      });

      it('forgetCartEmails clears the email of closed carts (abandoned, ordered) closed before the time, and never of an open cart', async () => {
        const ev = (v: string, name: string, props: Record<string, unknown>, ts: number, over: Partial<StoredEvent> = {}) =>
          makeEvent(`evt_fg_${v}_${name.replace(/\W/g, '')}_${ts}`, { visitor_id: v, name, props, ts, received_at: ts, campaign_id: null, ...over });
        const ident = (v: string, ts: number) => ev(v, 'Identify', { email: `${v}@example.com` }, ts, { type: 'identify' });
        const add = (v: string, ts: number, product_id = 'sku-1') => ev(v, 'Product Added', { product_id, price: 10, quantity: 1 }, ts);
        const OPEN = 'visitor_fg_open', ABANDONED = 'visitor_fg_aban', ORDERED = 'visitor_fg_ordr', LATER = 'visitor_fg_late';
        await store.insertEvents([
          ident(OPEN, T - 30 * DAY), add(OPEN, T - 30 * DAY), // open and idle for a month: may still be re-armed
          ident(ABANDONED, T), add(ABANDONED, T),
          ident(ORDERED, T), add(ORDERED, T), ev(ORDERED, 'Order Completed', { order_id: 'o-1', total: 10 }, T + 5),
          ident(LATER, T), add(LATER, T),
        ]);
        const due = (await store.dueCarts(T + 60_000, 10)).filter((c) => c.visitor_id === ABANDONED || c.visitor_id === LATER);
        const at: Record<string, number> = { [ABANDONED]: T + 60_000, [LATER]: T + 120_000 };
        for (const cart of due) expect(await store.abandonCarts(at[cart.visitor_id]!, [{ cart, messages: [] }])).toHaveLength(1);

        expect(await store.forgetCartEmails(T + 5)).toBe(0); // nothing closed before then
        expect(await store.forgetCartEmails(T + 60_001)).toBe(2); // the order (T + 5) and the first abandonment
        expect(await store.getCart(ORDERED)).toMatchObject({ email: null, state: 'ordered' });
        const abandoned = await store.getCart(ABANDONED);
        expect(abandoned).toMatchObject({ email: null, state: 'abandoned', abandoned_at: T + 60_000, total: 10 });
        expect(await store.getCart(LATER)).toMatchObject({ email: `${LATER}@example.com`, state: 'abandoned' });
        expect(await store.getCart(OPEN)).toMatchObject({ email: `${OPEN}@example.com`, state: 'open' });
        expect(await store.forgetCartEmails(T + 9e9)).toBe(1); // LATER; the open cart keeps its email whatever the time
        expect(await store.getCart(OPEN)).toMatchObject({ email: `${OPEN}@example.com` });
        expect(await store.forgetCartEmails(T + 9e9)).toBe(0);

        // Coming back: a new generation without an address is never due; a new identify makes it due again.
        await store.insertEvents([add(ABANDONED, T + 2 * DAY, 'sku-2')]);
        expect(await store.getCart(ABANDONED)).toMatchObject({ state: 'open', email: null, total: 20 });
        expect((await store.dueCarts(T + 9e9, 10)).map((c) => c.visitor_id)).toEqual([OPEN]);
        await store.insertEvents([ident(ABANDONED, T + 2 * DAY + 1)]);
        expect((await store.dueCarts(T + 9e9, 10)).map((c) => c.visitor_id)).toEqual([OPEN, ABANDONED]);
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
