// The behaviour every event store must have, whatever the database. Each implementation's test file calls
// runStoreContract with a factory: test/store.sqlite.test.ts for SQLite; a PostgreSQL store calls it the same way.
//
//   open():         a NEW, EMPTY store (a fresh file, schema or truncated table) each time it is called.
//   reopen(store):  the same data opened again after `store` was closed (optional; the durability cases are
//                   skipped without it).
//
// Besides events: exit-offer grants, the carts that insertEvents keeps, and the webhook outbox.

import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import fc from 'fast-check';
import type { GrantRequest, NewOutboxMessage, Store, StoredEvent } from '../server/store/types';

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
