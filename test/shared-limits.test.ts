// Rate limits across instances (server/shared-limits.ts) against a real Redis: two apps, like two instances behind
// a load balancer, give a client one bucket between them and the same id; with Redis gone each falls back to its
// own bucket. Skipped without Redis, failed under KAIROS_REQUIRE_SERVICES (CI).
import { Redis } from 'ioredis';
import { checkService, redisDown, REDIS_URL } from './services';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app';
import { createClientHasher, SALT_BYTES, utcDay } from '../server/client-hash';
import { createLogger } from '../server/log';
import { openSharedLimits, type SharedLimits } from '../server/shared-limits';
import { openSqliteStore } from '../server/store/sqlite';
import { loadedConfig } from './loaded-config';

const RUN = `kairos-limits-${process.pid}-${Date.now().toString(36)}`;


const skipRedis = checkService('Redis', REDIS_URL, await redisDown(), 'shared rate-limit tests');

describe.skipIf(skipRedis)('rate limits shared through Redis', () => {
  const PER_MINUTE = 60;
  const BURST = 30;
  const opened: SharedLimits[] = [];
  let prefixes = 0;
  const open = async (prefix: string, url = REDIS_URL) => {
    const s = await openSharedLimits({ url, prefix, perMinute: PER_MINUTE, burst: BURST, timeoutMs: 300 });
    opened.push(s);
    return s;
  };
  const freshPrefix = () => `${RUN}-${++prefixes}:`;
  afterAll(async () => {
    for (const s of opened) await s.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${RUN}-*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const config = { current: loadedConfig('campaigns: []\n', 'kairos.yaml') };
  const log = createLogger({ level: 'silent' });
  const store = openSqliteStore(':memory:');
  afterAll(() => store.close());
  const instance = (sharedLimits?: SharedLimits) =>
    createApp({ config, store, log, widgetDir: '/nonexistent', demoDir: null, rateLimit: PER_MINUTE, ...(sharedLimits && { sharedLimits }) });
  /** One write from the same client (in-process requests: one address), answered 429 or not. */
  const write = async (app: ReturnType<typeof instance>) =>
    (await app.request('/v1/events', { method: 'POST', headers: { 'User-Agent': 'the-same-browser' }, body: '{}' })).status;

  it('two instances give a client one bucket: the burst is spent across both, then both say 429', async () => {
    const prefix = freshPrefix();
    const [a, b] = [instance(await open(prefix)), instance(await open(prefix))];
    const statuses: number[] = [];
    for (let i = 0; i < BURST; i++) statuses.push(await write(i % 2 ? a : b));
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(await write(a)).toBe(429);
    expect(await write(b)).toBe(429);
  });

  it('without sharing each instance counts its own share: twice the burst gets through', async () => {
    const [a, b] = [instance(), instance()];
    let passed = 0;
    for (let i = 0; i < 2 * BURST + 2; i++) if ((await write(i % 2 ? a : b)) !== 429) passed++;
    expect(passed).toBe(2 * BURST);
  });

  it('one salt per day for the fleet, so a client has the same id everywhere; it expires a minute after the day', async () => {
    const prefix = freshPrefix();
    const [x, y] = [await open(prefix), await open(prefix)];
    const day = utcDay(Date.now());
    expect(x.salt(day)?.length).toBe(SALT_BYTES);
    expect(x.salt(day)!.equals(y.salt(day)!)).toBe(true);
    const hash = (s: SharedLimits) => createClientHasher({ now: Date.now, shared: (d) => s.salt(d) }).hash('203.0.113.7', 'ua');
    expect(hash(x)).toBe(hash(y));
    expect(createClientHasher({ now: Date.now }).hash('203.0.113.7', 'ua')).not.toBe(hash(x)); // a salt of its own
    const redis = new Redis(REDIS_URL);
    const ttl = await redis.pttl(`${prefix}salt:${day}`);
    redis.disconnect();
    const expected = Date.parse(`${day}T00:00:00Z`) + 86_400_000 + 60_000 - Date.now();
    expect(Math.abs(ttl - expected)).toBeLessThan(5_000);
    expect((await open(freshPrefix())).salt(day)!.equals(x.salt(day)!)).toBe(false); // another fleet, another salt
  });

  it('Redis unreachable: starts at once, take() gives way to the instance’s own bucket', async () => {
    const t0 = Date.now();
    const down = await open(freshPrefix(), 'redis://127.0.0.1:1');
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await down.take('client')).toBeUndefined();
    expect(down.salt(utcDay(Date.now()))).toBeUndefined();
    const app = instance(down);
    const statuses: number[] = [];
    for (let i = 0; i <= BURST; i++) statuses.push(await write(app));
    expect(statuses.slice(0, BURST).includes(429)).toBe(false);
    expect(statuses[BURST]).toBe(429);
  });
});
