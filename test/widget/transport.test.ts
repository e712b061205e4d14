import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import type { EventBatch, EventInput } from '../../server/schema';
import { memoryKV, type KV } from '../../widget/storage';
import { createTransport, type TransportOptions } from '../../widget/transport';
import { event } from './helpers';

const ENDPOINT = 'https://kairos.example/v1/events';
const T0 = 1_780_000_000_000;

// ---------------------------------------------------------------------------------------------------------
// A fake collector: answers from a script of replies (then 204), and records every POST it was sent.

type Reply = number | 'network' | { status: number; json: unknown } | (() => Promise<Response>);

interface Post {
  url: string;
  init: RequestInit;
  batch: EventBatch;
  /** What the collector answered: a status, or 'network' for a failed request. */
  answer: number | 'network' | 'pending';
}

function collector(...replies: Reply[]) {
  const posts: Post[] = [];
  const fetchImpl = vi.fn(async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const post: Post = { url: String(url), init: init!, batch: JSON.parse(String(init!.body)) as EventBatch, answer: 'pending' };
    posts.push(post);
    const reply = replies.shift() ?? 204;
    if (reply === 'network') {
      post.answer = 'network';
      throw new TypeError('Failed to fetch');
    }
    if (typeof reply === 'function') {
      const res = await reply();
      post.answer = res.status;
      return res;
    }
    if (typeof reply === 'number') {
      post.answer = reply;
      return new Response(null, { status: reply });
    }
    post.answer = reply.status;
    return new Response(JSON.stringify(reply.json), { status: reply.status, headers: { 'Content-Type': 'application/json' } });
  });
  return {
    posts,
    fetchImpl: fetchImpl as unknown as typeof fetch,
    /** event_ids the collector acknowledged with a 2xx, in arrival order. */
    delivered: () => posts.filter((p) => typeof p.answer === 'number' && p.answer < 300).flatMap((p) => p.batch.events.map((e) => e.event_id)),
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const outboxIds = async (kv: KV) => (await kv.entries<EventInput>()).map(([k]) => k).sort();
const ids = (events: readonly EventInput[]) => events.map((e) => e.event_id);
const sorted = (xs: string[]) => [...xs].sort();

/** Advances the fake clock and lets promise chains (fetch → outbox) settle. */
async function advance(ms: number) {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function transport(over: Partial<TransportOptions> & { outbox: KV }) {
  return createTransport({ endpoint: ENDPOINT, now: () => Date.now(), beacon: null, ...over });
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------------------

describe('batching', () => {
  it('events of one moment travel together in one text/plain keepalive POST', async () => {
    const server = collector();
    const outbox = memoryKV();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    const evs = [event({ name: 'page' }), event({ name: 'campaign_shown' }), event({ name: 'added_to_cart' })];

    t.send(evs[0]!);
    await advance(100);
    t.send(evs[1]!);
    await advance(300);
    t.send(evs[2]!);
    await advance(99);
    expect(server.posts).toHaveLength(0); // 499 ms after the first event: still gathering

    await advance(1);
    expect(server.posts).toHaveLength(1);
    const [post] = server.posts;
    expect(post!.url).toBe(ENDPOINT);
    expect(post!.init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' });
    expect(new Headers(post!.init.headers).get('content-type')).toBe('text/plain');
    expect(post!.batch).toEqual({ sent_at: T0 + 500, events: evs });
  });

  it('sends no custom header that would need a CORS preflight', async () => {
    const server = collector();
    const t = transport({ outbox: memoryKV(), fetchImpl: server.fetchImpl });
    t.send(event());
    await advance(500);
    expect([...new Headers(server.posts[0]!.init.headers).keys()]).toEqual(['content-type']);
  });

  it('honours a custom batch delay', async () => {
    const server = collector();
    const t = transport({ outbox: memoryKV(), fetchImpl: server.fetchImpl, batchDelayMs: 2_000 });
    t.send(event());
    await advance(1_999);
    expect(server.posts).toHaveLength(0);
    await advance(1);
    expect(server.posts).toHaveLength(1);
  });

  it('an event after a batch went travels in the next batch', async () => {
    const server = collector();
    const t = transport({ outbox: memoryKV(), fetchImpl: server.fetchImpl });
    const [a, b] = [event(), event()];
    t.send(a);
    await advance(500);
    t.send(b);
    await advance(500);
    expect(server.posts.map((p) => ids(p.batch.events))).toEqual([[a.event_id], [b.event_id]]);
  });

  it('a batch holds at most 50 events; the rest follow, each event once and in order', async () => {
    const server = collector();
    const outbox = memoryKV();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    const evs = Array.from({ length: 120 }, (_, i) => event({ ts: T0 + i }));
    evs.forEach((e) => t.send(e));
    await advance(500);
    await advance(10); // the follow-up batches go at once, one after the other

    expect(server.posts.map((p) => p.batch.events.length)).toEqual([50, 50, 20]);
    expect(server.delivered()).toEqual(ids(evs));
    expect(await outboxIds(outbox)).toEqual([]);
  });

  it('a batch body stays under 60 000 bytes, also for text outside ASCII (keepalive allows 64 KiB)', async () => {
    const server = collector();
    const t = transport({ outbox: memoryKV(), fetchImpl: server.fetchImpl });
    // A Japanese shop: product titles are 3 bytes a character in UTF-8.
    const evs = Array.from({ length: 50 }, () => event({ props: { title: '夏のサングラス'.repeat(100) } }));
    evs.forEach((e) => t.send(e));
    for (let i = 0; i < 5; i++) await advance(500);

    const bytes = server.posts.map((p) => new TextEncoder().encode(String(p.init.body)).length);
    expect(Math.max(...bytes)).toBeLessThanOrEqual(60_000);
    expect(sorted(server.delivered())).toEqual(sorted(ids(evs)));
  });
});

describe('an event too large for any request', () => {
  it('is refused at once instead of blocking every event behind it', async () => {
    const server = collector();
    const outbox = memoryKV();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    const huge = event({ props: { text: 'x'.repeat(61_000) } });
    const small = event();
    t.send(huge);
    t.send(small);
    await advance(500);
    expect(server.delivered()).toEqual([small.event_id]);
    expect(await outboxIds(outbox)).toEqual([]);
  });

  it('left in the outbox by an earlier version, it is removed on restore', async () => {
    const outbox = memoryKV();
    const huge = event({ props: { text: 'x'.repeat(61_000) } });
    await outbox.set(huge.event_id, huge);
    const server = collector();
    await transport({ outbox, fetchImpl: server.fetchImpl }).restore();
    await advance(500);
    expect(server.posts).toHaveLength(0);
    expect(await outboxIds(outbox)).toEqual([]);
  });
});

describe('the outbox', () => {
  it('holds every event before it is sent and lets it go only after a 2xx', async () => {
    const answer = deferred<Response>();
    const outbox = memoryKV();
    const seenAtSend: string[][] = [];
    const server = collector(() => answer.promise);
    const fetchImpl = (async (url, init) => {
      seenAtSend.push(await outboxIds(outbox));
      return server.fetchImpl(url, init);
    }) as typeof fetch;
    const t = transport({ outbox, fetchImpl });
    const evs = [event(), event()];

    t.send(evs[0]!);
    expect(await outboxIds(outbox)).toEqual([evs[0]!.event_id]); // persisted at once, before any send
    t.send(evs[1]!);
    await advance(500);
    expect(seenAtSend).toEqual([sorted(ids(evs))]);

    await advance(10_000); // the collector has not answered yet
    expect(await outboxIds(outbox)).toEqual(sorted(ids(evs)));

    answer.resolve(new Response(null, { status: 200 }));
    await advance(0);
    expect(await outboxIds(outbox)).toEqual([]);
    expect(server.posts).toHaveLength(1);
  });

  it('keeps at most 1000 events: the oldest give way to the newest', async () => {
    const outbox = memoryKV();
    const server = collector();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    const evs = Array.from({ length: 1005 }, (_, i) => event({ ts: T0 + i }));
    evs.forEach((e) => t.send(e)); // all within one moment: nothing has gone yet
    await advance(0);

    const kept = await outboxIds(outbox);
    expect(kept).toHaveLength(1000);
    expect(kept).toEqual(sorted(ids(evs.slice(5))));

    for (let i = 0; i < 25; i++) await advance(500);
    expect(server.delivered()).toEqual(ids(evs.slice(5)));
    expect(await outboxIds(outbox)).toEqual([]);
  });
});

describe('failures', () => {
  it('a network error keeps the events and retries after a back-off; nothing is lost', async () => {
    const server = collector('network');
    const outbox = memoryKV();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    const first = event();
    t.send(first);
    await advance(500);
    expect(server.posts).toHaveLength(1);
    expect(await outboxIds(outbox)).toEqual([first.event_id]);

    const duringOutage = event();
    t.send(duringOutage);
    await advance(999); // the back-off is at least one second
    expect(server.posts).toHaveLength(1);

    await advance(1_001); // and at most two after the first failure
    expect(server.posts).toHaveLength(2);
    expect(sorted(server.delivered())).toEqual(sorted([first.event_id, duringOutage.event_id]));
    expect(await outboxIds(outbox)).toEqual([]);
  });

  it('backs off longer after each failure, and forgets the back-off after a success', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999); // the longest jitter: back-off ≈ 2 s, 4 s, 8 s
    const server = collector('network', 'network', 'network');
    const t = transport({ outbox: memoryKV(), fetchImpl: server.fetchImpl });
    t.send(event());
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const before = server.posts.length;
      await advance(100);
      if (server.posts.length > before) times.push(Date.now() - T0);
    }
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(1_900);
    expect(gaps[1]).toBeGreaterThanOrEqual(3_900);
    expect(gaps[2]).toBeGreaterThanOrEqual(7_900);

    // After the success the next event goes after the normal batch delay.
    t.send(event());
    await advance(500);
    expect(server.posts).toHaveLength(5);
  });

  it.each([
    ['500 Internal Server Error', 500],
    ['503 Service Unavailable', 503],
    ['429 Too Many Requests', 429],
    ['408 Request Timeout', 408],
  ])('a %s is retried until it goes through', async (_spec, status) => {
    const server = collector(status, status);
    const outbox = memoryKV();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    const ev = event();
    t.send(ev);
    await advance(500);
    expect(await outboxIds(outbox)).toEqual([ev.event_id]);
    for (let i = 0; i < 10; i++) await advance(1_000);

    expect(server.posts.map((p) => p.answer)).toEqual([status, status, 204]);
    expect(server.delivered()).toEqual([ev.event_id]);
    expect(await outboxIds(outbox)).toEqual([]);
  });

  it('a 400 naming one bad event drops only that one and resends the others', async () => {
    const server = collector({
      status: 400,
      json: { error: 'events[1].name: too long', rejected: [{ index: 1, event_id: 'x', reason: 'too long' }] },
    });
    const outbox = memoryKV();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    const [good1, bad, good2] = [event(), event({ name: 'x'.repeat(300) }), event()];
    [good1, bad, good2].forEach((e) => t.send(e));
    await advance(500);
    await advance(10); // the others go again at once

    expect(server.posts.map((p) => ids(p.batch.events))).toEqual([
      ids([good1, bad, good2]),
      ids([good1, good2]),
    ]);
    expect(server.delivered()).toEqual(ids([good1, good2]));
    expect(await outboxIds(outbox)).toEqual([]);
    await advance(60_000);
    expect(server.posts).toHaveLength(2);
  });

  it.each([
    ['a 400 without `rejected`', { status: 400, json: { error: 'sent_at: expected a number' } }],
    ['a 400 with an empty `rejected`', { status: 400, json: { error: 'invalid JSON', rejected: [] } }],
    ['a 400 naming only events outside the batch', { status: 400, json: { error: 'x', rejected: [{ index: 7 }] } }],
  ] as const)('%s drops the whole batch and does not retry it', async (_spec, reply) => {
    const server = collector(reply);
    const outbox = memoryKV();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    t.send(event());
    t.send(event());
    await advance(500);
    expect(await outboxIds(outbox)).toEqual([]);

    await advance(10 * 60_000);
    expect(server.posts).toHaveLength(1);

    // The transport is not stuck: the next event goes out normally.
    const next = event();
    t.send(next);
    await advance(500);
    expect(server.delivered()).toEqual([next.event_id]);
  });
});

describe('a 4xx that is not Kairos\' answer', () => {
  // A proxy's error page, or a page's fetch wrapper that turned our POST into something else: the batch is not
  // known to be bad, so it is kept and retried with back-off, like a network error.
  it.each([
    ['a 413 with no JSON body', 413],
    ['a 404 with no JSON body', 404],
    ['a 400 whose body is JSON null', { status: 400, json: null }],
  ] as const)('%s keeps the batch and retries it after a back-off', async (_spec, reply) => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999); // the longest jitter: back-off ≈ 2 s, then 4 s
    const server = collector(...Array<typeof reply>(10).fill(reply));
    const outbox = memoryKV();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    const evs = [event(), event()];
    evs.forEach((e) => t.send(e));
    await advance(500);
    expect(server.posts).toHaveLength(1);
    expect(await outboxIds(outbox)).toEqual(sorted(ids(evs)));

    await advance(2_000);
    expect(server.posts).toHaveLength(2);
    expect(server.posts.map((p) => sorted(ids(p.batch.events)))).toEqual([sorted(ids(evs)), sorted(ids(evs))]);
    await advance(60_000);
    expect(server.posts.length).toBeLessThan(8); // backing off: 2, 4, 8, 16, 32 s
    expect(await outboxIds(outbox)).toEqual(sorted(ids(evs)));
  });
});

describe('leaving the page', () => {
  it('flush(true) hands pending events to the beacon at once and keeps them in the outbox', async () => {
    const server = collector();
    const outbox = memoryKV();
    const beacon = vi.fn((_url: string, _body: string) => true);
    const t = transport({ outbox, fetchImpl: server.fetchImpl, beacon });
    const evs = [event(), event()];
    evs.forEach((e) => t.send(e));

    t.flush(true); // before the batch delay is over
    expect(beacon).toHaveBeenCalledTimes(1);
    const [url, body] = beacon.mock.calls[0]!;
    expect(url).toBe(ENDPOINT);
    expect(JSON.parse(body)).toEqual({ sent_at: T0, events: evs });
    expect(server.posts).toHaveLength(0);
    await advance(0);
    expect(await outboxIds(outbox)).toEqual(sorted(ids(evs))); // the next page resends unless acknowledged
  });

  it.each([
    ['the beacon refuses (returns false)', () => false],
    ['the beacon throws', () => {
      throw new Error('Illegal invocation');
    }],
  ])('when %s, the events go by keepalive fetch instead', async (_spec, impl) => {
    const server = collector();
    const outbox = memoryKV();
    const beacon = vi.fn(impl);
    const t = transport({ outbox, fetchImpl: server.fetchImpl, beacon });
    const evs = [event(), event()];
    evs.forEach((e) => t.send(e));

    t.flush(true);
    expect(beacon).toHaveBeenCalledTimes(1);
    expect(server.posts).toHaveLength(1);
    expect(server.posts[0]!.init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' });
    expect(new Headers(server.posts[0]!.init.headers).get('content-type')).toBe('text/plain');
    expect(server.posts[0]!.batch.events).toEqual(evs);
  });

  it('without sendBeacon, the events go by keepalive fetch', async () => {
    const server = collector();
    const t = transport({ outbox: memoryKV(), fetchImpl: server.fetchImpl, beacon: null });
    const ev = event();
    t.send(ev);
    t.flush(true);
    expect(server.posts.map((p) => ids(p.batch.events))).toEqual([[ev.event_id]]);
    expect(server.posts[0]!.init.keepalive).toBe(true);
  });

  it('hands over everything pending in batches of at most 50', () => {
    const beacon = vi.fn((_url: string, _body: string) => true);
    const t = transport({ outbox: memoryKV(), fetchImpl: collector().fetchImpl, beacon });
    const evs = Array.from({ length: 120 }, () => event());
    evs.forEach((e) => t.send(e));
    t.flush(true);
    const batches = beacon.mock.calls.map(([, body]) => (JSON.parse(body) as EventBatch).events);
    expect(batches.map((b) => b.length)).toEqual([50, 50, 20]);
    expect(batches.flat()).toEqual(evs);
  });

  it('does not hand the beacon a batch that is already on its way', async () => {
    const answer = deferred<Response>();
    const server = collector(() => answer.promise);
    const beacon = vi.fn((_url: string, _body: string) => true);
    const t = transport({ outbox: memoryKV(), fetchImpl: server.fetchImpl, beacon });
    const inFlight = event();
    t.send(inFlight);
    await advance(500);
    const later = event();
    t.send(later);

    t.flush(true);
    expect(beacon.mock.calls.map(([, body]) => ids((JSON.parse(body) as EventBatch).events))).toEqual([[later.event_id]]);
    answer.resolve(new Response(null, { status: 204 }));
    await advance(0);
  });

  it('flush(true) with nothing pending sends nothing', () => {
    const server = collector();
    const beacon = vi.fn(() => true);
    transport({ outbox: memoryKV(), fetchImpl: server.fetchImpl, beacon }).flush(true);
    expect(beacon).not.toHaveBeenCalled();
    expect(server.posts).toHaveLength(0);
  });

  it('if the shopper comes back instead of leaving, the events are still delivered and cleared', async () => {
    const server = collector();
    const outbox = memoryKV();
    const t = transport({ outbox, fetchImpl: server.fetchImpl, beacon: () => true });
    const ev = event();
    t.send(ev);
    t.flush(true);
    await advance(500);
    expect(server.delivered()).toEqual([ev.event_id]);
    expect(await outboxIds(outbox)).toEqual([]);
  });
});

describe('the next page', () => {
  it('restore() delivers what the previous page left, each event exactly once', async () => {
    const outbox = memoryKV();
    const page1 = collector();
    const t1 = transport({ outbox, fetchImpl: page1.fetchImpl });
    const delivered = event({ ts: T0 });
    t1.send(delivered);
    await advance(500);
    expect(page1.delivered()).toEqual([delivered.event_id]);

    const left = [event({ ts: T0 + 1_000 }), event({ ts: T0 + 1_100 }), event({ ts: T0 + 1_200 })];
    left.forEach((e) => t1.send(e));
    vi.clearAllTimers(); // the shopper navigates away before the batch goes: page 1 is gone
    expect(page1.posts).toHaveLength(1);

    const page2 = collector();
    const t2 = transport({ outbox, fetchImpl: page2.fetchImpl });
    const fresh = event({ ts: T0 + 5_000 });
    t2.send(fresh); // page 2 tracks its own page view before the outbox is read
    await t2.restore();
    await t2.restore(); // a second restore must not duplicate anything
    await advance(500);
    await advance(10);

    const all = page2.posts.flatMap((p) => ids(p.batch.events));
    expect(sorted(all)).toEqual(sorted(ids([...left, fresh])));
    expect(new Set(all).size).toBe(all.length);
    expect(await outboxIds(outbox)).toEqual([]);
  });

  it('restore() sends the oldest left-over events first', async () => {
    const outbox = memoryKV();
    const [a, b, c] = [event({ ts: T0 + 3 }), event({ ts: T0 + 1 }), event({ ts: T0 + 2 })];
    for (const e of [a, b, c]) await outbox.set(e.event_id, e);

    const server = collector();
    const t = transport({ outbox, fetchImpl: server.fetchImpl });
    await t.restore();
    await advance(500);
    expect(server.posts.map((p) => ids(p.batch.events))).toEqual([ids([b, c, a])]);
  });

  it('restore() of an empty outbox sends nothing', async () => {
    const server = collector();
    const t = transport({ outbox: memoryKV(), fetchImpl: server.fetchImpl });
    await t.restore();
    await advance(60_000);
    expect(server.posts).toHaveLength(0);
  });

  it('events a page handed to a lost beacon are delivered by the next page', async () => {
    const outbox = memoryKV();
    const t1 = transport({ outbox, fetchImpl: collector().fetchImpl, beacon: () => true });
    const ev = event();
    t1.send(ev);
    t1.flush(true); // the page hides; the beacon is queued but never arrives
    vi.clearAllTimers();

    const server = collector();
    const t2 = transport({ outbox, fetchImpl: server.fetchImpl });
    await t2.restore();
    await advance(500);
    expect(server.delivered()).toEqual([ev.event_id]);
  });
});
