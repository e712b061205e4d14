import { describe, it, expect, vi, afterEach } from 'vitest';
import type { PublicConfig } from '../../server/schema';
import { createConfigClient } from '../../widget/config-client';
import { memoryKV } from '../../widget/storage';
import { bar } from './helpers';

const API = 'https://kairos.example';

const fatigue = { modals_per_session: 1, modals_per_day: 3 };
const cart: PublicConfig['cart'] = { adapters: [{ type: 'events', pages: ['/**'] }], currency: 'EUR', pages: ['/cart/**'] };
const current: PublicConfig = { version: 'v2-7f3a9c', campaigns: [bar({ id: 'summer-sale', priority: 5 })], segments: {}, fatigue, cart };
const previous: PublicConfig = { version: 'v1-01b2c3', campaigns: [bar({ id: 'free-shipping' })], segments: {}, fatigue, cart };

type Call = { url: string; init: RequestInit | undefined };

function server(reply: () => Promise<Response> | Response) {
  const calls: Call[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    return reply();
  }) as typeof fetch;
  return { calls, fetchImpl };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

afterEach(() => {
  vi.useRealTimers();
});

describe('fetchFresh', () => {
  it('returns the server config and caches it for the next page', async () => {
    const kv = memoryKV();
    const { fetchImpl } = server(() => json(current));
    const client = createConfigClient({ api: API, kv, fetchImpl });
    expect(await client.cached()).toBeUndefined(); // a first visit has nothing cached

    expect(await client.fetchFresh()).toEqual(current);

    const nextPage = createConfigClient({ api: API, kv, fetchImpl: server(() => Promise.reject(new TypeError('offline'))).fetchImpl });
    expect(await nextPage.cached()).toEqual(current);
  });

  it('replaces an older cached config', async () => {
    const kv = memoryKV();
    await kv.set('config', previous);
    const client = createConfigClient({ api: API, kv, fetchImpl: server(() => json(current)).fetchImpl });
    expect(await client.cached()).toEqual(previous);
    await client.fetchFresh();
    expect(await client.cached()).toEqual(current);
  });

  it('asks GET {api}/v1/config without cookies and without custom headers (no CORS preflight)', async () => {
    const { calls, fetchImpl } = server(() => json(current));
    await createConfigClient({ api: API, kv: memoryKV(), fetchImpl }).fetchFresh();
    expect(calls).toHaveLength(1);
    const [{ url, init }] = calls as [Call];
    expect(url).toBe(API + '/v1/config');
    expect(init?.credentials).toBe('omit');
    expect(init?.method ?? 'GET').toBe('GET');
    expect([...new Headers(init?.headers).keys()]).toEqual([]);
    expect(init?.body).toBeUndefined();
  });

  const failures: [spec: string, reply: () => Promise<Response> | Response][] = [
    ['a 500', () => json({ error: 'boom' }, 500)],
    ['a 404', () => new Response('Not Found', { status: 404 })],
    ['a 503 whose body looks like a config (only a 2xx is trusted)', () => json(current, 503)],
    ['a 304 with no body', () => new Response(null, { status: 304 })],
    ['a body that is not JSON', () => new Response('<html>maintenance</html>', { status: 200 })],
    ['JSON without a version', () => json({ campaigns: [] })],
    ['JSON with a numeric version', () => json({ version: 1, campaigns: [] })],
    ['JSON whose campaigns are not a list', () => json({ version: 'v3', campaigns: {} })],
    ['JSON null', () => json(null)],
    ['a JSON array', () => json([current])],
    ['a network error', () => Promise.reject(new TypeError('Failed to fetch'))],
  ];

  describe.each(failures)('on %s', (_spec, reply) => {
    it('returns undefined and keeps the cached config', async () => {
      const kv = memoryKV();
      await kv.set('config', previous);
      const client = createConfigClient({ api: API, kv, fetchImpl: server(reply).fetchImpl });
      expect(await client.fetchFresh()).toBeUndefined();
      expect(await client.cached()).toEqual(previous);
    });

    it('returns undefined and caches nothing when nothing was cached', async () => {
      const kv = memoryKV();
      const client = createConfigClient({ api: API, kv, fetchImpl: server(reply).fetchImpl });
      expect(await client.fetchFresh()).toBeUndefined();
      expect(await client.cached()).toBeUndefined();
      expect(await kv.entries()).toEqual([]);
    });
  });

  it('gives up on a server that never answers after 5 seconds, keeping the cached config', async () => {
    vi.useFakeTimers();
    const kv = memoryKV();
    await kv.set('config', previous);
    let aborted = false;
    const fetchImpl = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => {
          aborted = true;
          reject(new DOMException('The operation was aborted.', 'AbortError'));
        });
      })) as typeof fetch;
    const client = createConfigClient({ api: API, kv, fetchImpl });

    let result: PublicConfig | undefined | 'pending' = 'pending';
    const done = client.fetchFresh().then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(result).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(aborted).toBe(true);
    expect(result).toBeUndefined();
    expect(await client.cached()).toEqual(previous);
  });

  it('a cache that fails to write still returns the fresh config', async () => {
    const kv = { ...memoryKV(), set: () => Promise.reject(new Error('QuotaExceededError')) };
    const client = createConfigClient({ api: API, kv, fetchImpl: server(() => json(current)).fetchImpl });
    expect(await client.fetchFresh()).toEqual(current);
  });
});

describe('cached', () => {
  it.each([
    ['a string', 'v1'],
    ['an object without campaigns', { version: 'v1' }],
    ['an object with a numeric version', { version: 1, campaigns: [] }],
    ['null', null],
  ])('ignores a corrupt cached value (%s)', async (_spec, stored) => {
    const kv = memoryKV();
    await kv.set('config', stored);
    const client = createConfigClient({ api: API, kv, fetchImpl: server(() => json(current)).fetchImpl });
    expect(await client.cached()).toBeUndefined();
  });

  it('does not touch the network', async () => {
    const kv = memoryKV();
    await kv.set('config', previous);
    const { calls, fetchImpl } = server(() => json(current));
    expect(await createConfigClient({ api: API, kv, fetchImpl }).cached()).toEqual(previous);
    expect(calls).toHaveLength(0);
  });
});
