// Config fan-out (server/config-share.ts): three ConfigSources on three temp copies of one kairos.yaml, each shared
// through a real Redis like three server instances. Changes are polled for, never slept on.
//
// Redis: REDIS_URL, else redis://127.0.0.1:6379, with a key prefix of each test's own (deleted afterwards). When it
// is not reachable the Redis tests are skipped with a warning — or fail, when KAIROS_REQUIRE_SERVICES is set (CI).
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { checkService, redisDown as redisDownAt, REDIS_URL } from './services';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { shareConfig, type SharedConfig, type ShareLog } from '../server/config-share';
import { ConfigSource, type ConfigLog } from '../server/config-watch';

const RUN_PREFIX = `kairos-test-${process.pid}-${Date.now().toString(36)}:`;


const redisDown = await redisDownAt(REDIS_URL);
const skipRedis = checkService('Redis', REDIS_URL, redisDown, 'config fan-out tests');

/** A client of our own for looking at what the instances left in Redis, and for cleaning up. */
let admin: Redis | undefined;
let prefixes = 0;
const freshPrefix = () => `${RUN_PREFIX}${++prefixes}:`;

if (!skipRedis) {
  beforeAll(() => {
    admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
  });
  afterAll(async () => {
    if (!admin) return;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await admin.scan(cursor, 'MATCH', `${RUN_PREFIX.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    if (keys.length) await admin.del(...keys);
    admin.disconnect();
  });
}

/** Changes must reach the fleet within 2 s; polled. */
const live = { timeout: 2_000, interval: 20 };
/** After an outage: ioredis retries at most every 2 s. */
const recovery = { timeout: 6_000, interval: 50 };

const bar = (text: string) => ['campaigns:', '  - id: bar', '    type: announcement_bar', '    content:', `      text: ${text}`, ''].join('\n');
const offer = ['campaigns:', '  - id: stay', '    type: exit_offer', '    content: { headline: Wait }', '    coupon: { pool: codes.txt }', ''].join('\n');

function recordingLog() {
  const info: string[] = [];
  const warn: string[] = [];
  const error: string[] = [];
  const log: ConfigLog & ShareLog = {
    info: (a: object | string, msg?: string) => void info.push(typeof a === 'string' ? a : `${msg} ${JSON.stringify(a)}`),
    warn: (msg) => void warn.push(msg),
    error: (msg) => void error.push(msg),
  };
  return { log, info, warn, error };
}

interface Instance extends ReturnType<typeof recordingLog> {
  name: string;
  dir: string;
  file: string;
  source: ConfigSource;
  share: SharedConfig;
  /** Closes its share and source, as a stopped server would. */
  stop(): Promise<void>;
}

let root: string;
const toClose: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kairos-share-'));
});

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
  await rm(root, { recursive: true, force: true });
});

interface InstanceOptions {
  prefix: string;
  url?: string;
  /** kairos.yaml; left as it is when omitted (a restart). */
  yaml?: string;
  /** When kairos.yaml was last saved. Default: now. */
  savedAt?: Date;
  /** Other files beside kairos.yaml. */
  files?: Record<string, string>;
}

/** One server instance: a ConfigSource on `<root>/<name>/kairos.yaml`, shared through Redis. */
async function instance(name: string, o: InstanceOptions): Promise<Instance> {
  const dir = join(root, name);
  const file = join(dir, 'kairos.yaml');
  await mkdir(dir, { recursive: true });
  for (const [f, content] of Object.entries(o.files ?? {})) await writeFile(join(dir, f), content);
  if (o.yaml !== undefined) await writeFile(file, o.yaml);
  if (o.savedAt) await utimes(file, o.savedAt, o.savedAt);
  const rec = recordingLog();
  const source = await ConfigSource.open(file, rec.log);
  const share = await shareConfig({ source, url: o.url ?? REDIS_URL, prefix: o.prefix, instanceId: name, log: rec.log, timeoutMs: 1000 });
  const closers = [source, share];
  toClose.push(...closers);
  const stop = async () => {
    for (const c of closers.reverse()) {
      toClose.splice(toClose.indexOf(c), 1);
      await c.close();
    }
  };
  return { name, dir, file, source, share, stop, ...rec };
}

const version = (i: Instance) => i.source.current.public.version;
const textOf = (i: Instance) => (i.source.current.public.campaigns[0]?.content as { text?: string } | undefined)?.text;
const anHourAgo = () => new Date(Date.now() - 3_600_000);

async function fleetState(prefix: string): Promise<{ seq: string | null; current: { seq: number; version: string; text: string; from: string } | null }> {
  const [seq, current] = await Promise.all([admin!.get(`${prefix}config:seq`), admin!.get(`${prefix}config:current`)]);
  return { seq, current: current === null ? null : JSON.parse(current) };
}

/** Three instances on copies of one kairos.yaml, saved an hour ago; `c` gets the coupon pool file that `b` lacks. */
async function threeInstances(prefix: string) {
  const savedAt = anHourAgo();
  const a = await instance('a', { prefix, yaml: bar('One'), savedAt, files: { 'codes.txt': 'STAY-AAA\nSTAY-BBB\n' } });
  const b = await instance('b', { prefix, yaml: bar('One'), savedAt });
  const c = await instance('c', { prefix, yaml: bar('One'), savedAt, files: { 'codes.txt': 'STAY-CCC\n' } });
  return { a, b, c };
}

describe.skipIf(skipRedis)('config fan-out through Redis', () => {
  it('a save on one instance reaches every instance; the first to start published its file, the others did not', async () => {
    const prefix = freshPrefix();
    const { a, b, c } = await threeInstances(prefix);
    const v1 = version(a);
    expect([version(b), version(c)]).toEqual([v1, v1]);
    // Redis held nothing: a published its file; b and c found the same text there.
    expect(await fleetState(prefix)).toMatchObject({ seq: '1', current: { seq: 1, version: v1, text: bar('One'), from: 'a' } });

    await writeFile(a.file, bar('Two'));
    await vi.waitFor(() => expect(textOf(a)).toBe('Two'), live);
    await vi.waitFor(() => expect([version(b), version(c)]).toEqual([version(a), version(a)]), live);
    expect(textOf(b)).toBe('Two');
    expect(b.info).toContain(`config reloaded ${JSON.stringify({ version: version(a), origin: 'instance a (seq 2)' })}`);
    expect(await fleetState(prefix)).toMatchObject({ seq: '2', current: { seq: 2, version: version(a), text: bar('Two'), from: 'a' } });

    // Any instance's save: c's now.
    await writeFile(c.file, bar('Three'));
    await vi.waitFor(() => expect([textOf(a), textOf(b), textOf(c)]).toEqual(['Three', 'Three', 'Three']), live);
    expect([a.error, b.error, c.error, a.warn, b.warn, c.warn]).toEqual([[], [], [], [], [], []]);
  });

  it('a broken save changes nothing anywhere and publishes nothing', async () => {
    const prefix = freshPrefix();
    const { a, b, c } = await threeInstances(prefix);
    const before = version(a);

    await writeFile(a.file, bar('""'));
    // The error is logged where the save is handled: had it been good, the publish would have followed from there.
    await vi.waitFor(() => expect(a.error).toEqual([`${a.file}:5:13 campaigns[0].content.text: must not be empty`]), live);
    expect([version(a), version(b), version(c)]).toEqual([before, before, before]);
    expect((await fleetState(prefix)).seq).toBe('1');

    // And the next good save goes out as usual.
    await writeFile(a.file, bar('Fixed'));
    await vi.waitFor(() => expect([textOf(b), textOf(c)]).toEqual(['Fixed', 'Fixed']), live);
  });

  it('a text that is invalid on one instance (its pool file is missing) is logged there and kept out; the others apply it', async () => {
    const prefix = freshPrefix();
    const { a, b, c } = await threeInstances(prefix);
    const before = version(b);

    await writeFile(a.file, offer);
    await vi.waitFor(() => expect(a.source.current.public.campaigns[0]?.type).toBe('exit_offer'), live);
    await vi.waitFor(() => expect(version(c)).toBe(version(a)), live);
    await vi.waitFor(
      () => expect(b.error[0]).toBe(`${b.file}:5:21 campaigns[0].coupon.pool: the coupon pool file ${join(b.dir, 'codes.txt')} does not exist`),
      live,
    );
    expect(b.error).toEqual([
      b.error[0],
      `config fan-out: config ${version(a)} from instance a (seq 2) is not valid with this instance's files (errors above); still serving ${before}`,
    ]);
    expect(version(b)).toBe(before);
    // c resolves the pool beside its own file, with its own codes.
    expect(c.error).toEqual([]);

    // b keeps listening: the next text valid there arrives.
    await writeFile(a.file, bar('After'));
    await vi.waitFor(() => expect([textOf(b), textOf(c)]).toEqual(['After', 'After']), live);
  });

  it('an instance that starts after a change adopts the fleet text; one started with a newer file publishes it', async () => {
    const prefix = freshPrefix();
    const { a, b, c } = await threeInstances(prefix);
    await b.stop();

    await writeFile(a.file, bar('Changed'));
    await vi.waitFor(() => expect(textOf(c)).toBe('Changed'), live);

    // b restarts on its own file, still "One" and saved an hour ago: the fleet's later text wins.
    const b2 = await instance('b', { prefix });
    expect(textOf(b2)).toBe('Changed');
    expect(version(b2)).toBe(version(a));
    expect((await fleetState(prefix)).seq).toBe('2');

    // A deploy: d starts with a file saved after the fleet's text; it wins everywhere.
    const d = await instance('d', { prefix, yaml: bar('Deployed') });
    expect(textOf(d)).toBe('Deployed');
    await vi.waitFor(() => expect([textOf(a), textOf(b2), textOf(c)]).toEqual(['Deployed', 'Deployed', 'Deployed']), live);
    expect(await fleetState(prefix)).toMatchObject({ seq: '3', current: { from: 'd', text: bar('Deployed') } });
  });

  it('catches up after a Redis outage: adopts what it missed, then publishes a save made while cut off', async () => {
    const prefix = freshPrefix();
    const proxy = await tcpProxy(REDIS_URL);
    toClose.push(proxy);
    const savedAt = anHourAgo();
    const a = await instance('a', { prefix, yaml: bar('One'), savedAt, url: proxy.url });
    const b = await instance('b', { prefix, yaml: bar('One'), savedAt });

    // Missed while cut off: b's save. a hears it on reconnect (from current, not the channel).
    await proxy.down();
    await vi.waitFor(() => expect(a.warn).toHaveLength(1), live);
    expect(a.warn[0]).toMatch(/^config fan-out unavailable: Redis config fan-out.* is unavailable: .*; serving this instance's config until Redis is back$/);
    await writeFile(b.file, bar('While a was away'));
    await vi.waitFor(() => expect(textOf(b)).toBe('While a was away'), live);
    await proxy.up();
    await vi.waitFor(() => expect(textOf(a)).toBe('While a was away'), recovery);
    expect(a.info).toContain('config fan-out: Redis is back; catching up with the fleet');

    // Saved while cut off: a's save, newer than anything in Redis, goes out when Redis is back.
    await proxy.down();
    await vi.waitFor(() => expect(a.warn).toHaveLength(2), live);
    await writeFile(a.file, bar('Saved offline'));
    await vi.waitFor(() => expect(textOf(a)).toBe('Saved offline'), live);
    await proxy.up();
    await vi.waitFor(() => expect(textOf(b)).toBe('Saved offline'), recovery);

    // Subscribed again: messages reach a as before.
    await writeFile(b.file, bar('Back to normal'));
    await vi.waitFor(() => expect(textOf(a)).toBe('Back to normal'), live);
    expect(a.error).toEqual([]);
  });

  it('an instance started while Redis is down joins the fleet when it comes back', async () => {
    const prefix = freshPrefix();
    const proxy = await tcpProxy(REDIS_URL);
    toClose.push(proxy);
    const b = await instance('b', { prefix, yaml: bar('One'), savedAt: anHourAgo() });
    await proxy.down();
    const a = await instance('a', { prefix, yaml: bar('Newer'), url: proxy.url });
    expect(textOf(a)).toBe('Newer');
    expect(a.warn).toHaveLength(1);

    // Its file was saved after the fleet's: published once Redis is back.
    await proxy.up();
    await vi.waitFor(() => expect(textOf(b)).toBe('Newer'), recovery);
    // And it subscribed, though it never had before.
    await writeFile(b.file, bar('From b'));
    await vi.waitFor(() => expect(textOf(a)).toBe('From b'), live);
  });
});

// No Redis needed: the point is that there is none.
describe('config fan-out without Redis', () => {
  it('starts, serves its own file and its saves, says so once, and does not crash', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const a = await instance('a', { prefix: 'kairos-test-nowhere:', yaml: bar('Own'), url });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(textOf(a)).toBe('Own');

    await writeFile(a.file, bar('Still own'));
    await vi.waitFor(() => expect(textOf(a)).toBe('Still own'), live);
    // Several reconnect attempts have failed by now; one line about it.
    expect(a.warn).toHaveLength(1);
    expect(a.warn[0]).toMatch(/^config fan-out unavailable: Redis config fan-out.* at redis:\/\/127\.0\.0\.1:\d+ is unavailable: .*ECONNREFUSED/);
    expect(a.error).toEqual([]);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** A TCP proxy to Redis that can be cut (every connection dropped, new ones refused) and restored on the same port. */
async function tcpProxy(target: string) {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const up = () =>
    new Promise<void>((done, fail) => {
      const s = createServer((client) => {
        const upstream = connect(Number(to.port || 6379), to.hostname);
        track(client);
        track(upstream);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      s.once('error', fail);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        done();
      });
    });
  const down = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise<void>((done) => s.close(() => done()));
  };
  await up();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return { url: url.toString(), up, down, close: down };
}
