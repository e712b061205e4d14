// GET /v1/context, location side: the CDN geo headers the config trusts (and only those), a GeoIP database (a
// tiny .mmdb written by test/helpers-mmdb.ts and read by the `maxmind` package), the shop's own location, 0.1°
// rounding everywhere; and the route itself: JSON shape, caching headers, hot reload, no address in the logs.
import { copyFileSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Reader, type CityResponse } from 'maxmind';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app';
import { createContextService, type ContextAnswer } from '../server/context/index';
import { coordinates, locationFromHeaders } from '../server/context/location';
import { createLogger } from '../server/log';
import { createMemoryPresence } from '../server/presence/memory';
import type { Context } from '../server/schema';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import { cityRecord, writeMmdb } from './helpers-mmdb';
import { loadedConfig } from './loaded-config';

const dir = mkdtempSync(join(tmpdir(), 'kairos-context-'));
const configFile = join(dir, 'kairos.yaml');
const SHOP = 'location: { country: DE, region: Hamburg, city: Hamburg, lat: 53.5511, lon: 9.9937 }';
const live = (yaml: string) => ({ current: loadedConfig(`${yaml}\ncampaigns: []\n`, configFile), file: configFile });
const ctxOf = (yaml: string): Context => loadedConfig(`context: ${yaml}\n`, configFile).config.context;

/** The test database: a London range, an IPv6 range, and loopback (for the real-socket test). */
const NETWORKS = [
  ['81.2.69.0/24', cityRecord('GB', 'London', 51.5142, -0.0931, 'England')],
  ['2a02:c7c::/32', cityRecord('GB', 'Manchester', 53.4809, -2.2374, 'England')],
  ['127.0.0.0/8', cityRecord('NL', 'Amsterdam', 52.3676, 4.9041, 'North Holland')],
  ['203.0.113.0/24', { country: { iso_code: 'XX' } }], // no usable country
] as const;

let clock = Date.parse('2026-07-01T10:20:00Z');
const silent = createLogger({ level: 'silent' });

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } }) };
}

describe('a hand-written .mmdb, read by the maxmind package', () => {
  it.each([
    [6, 24],
    [6, 28],
    [4, 24],
    [4, 28],
  ] as const)('IPv%i tree with %i-bit records', (ipVersion, recordSize) => {
    const nets = NETWORKS.filter(([n]) => ipVersion === 6 || !n.includes(':'));
    const reader = new Reader<CityResponse>(writeMmdb(nets, { ipVersion, recordSize }));
    expect(reader.metadata).toMatchObject({ ipVersion, recordSize, binaryFormatMajorVersion: 2, databaseType: 'Kairos-Test-City' });
    expect(reader.get('81.2.69.142')).toEqual({
      country: { iso_code: 'GB' },
      city: { names: { en: 'London' } },
      location: { latitude: 51.5142, longitude: -0.0931 },
      subdivisions: [{ names: { en: 'England' } }],
    });
    expect(reader.getWithPrefixLength('81.2.69.1')[1]).toBe(24); // the /24 (counted from the IPv4 subtree in an IPv6 tree)
    expect(reader.get('81.2.70.1')).toBeNull();
    expect(reader.get('8.8.8.8')).toBeNull();
    if (ipVersion === 6) expect(reader.get('2a02:c7c:1234::1')?.city?.names.en).toBe('Manchester');
  });
});

describe('location from geo headers', () => {
  const cf = {
    'cf-ipcountry': 'GB',
    'cf-region': 'England',
    'cf-ipcity': 'London',
    'cf-iplatitude': '51.50740',
    'cf-iplongitude': '-0.12780',
  };
  const from = (ctx: string, headers: Record<string, string>) => locationFromHeaders(ctxOf(ctx), (n) => headers[n.toLowerCase()]);

  it('cloudflare: every field, coordinates rounded to 0.1°', () => {
    expect(from('{ geo_headers: cloudflare }', cf)).toEqual({ country: 'GB', region: 'England', city: 'London', lat: 51.5, lon: -0.1, source: 'cloudflare' });
  });

  it('vercel: the URL-encoded city decoded', () => {
    const h = {
      'x-vercel-ip-country': 'BR',
      'x-vercel-ip-country-region': 'SP',
      'x-vercel-ip-city': 'S%C3%A3o%20Paulo',
      'x-vercel-ip-latitude': '-23.5505',
      'x-vercel-ip-longitude': '-46.6333',
    };
    expect(from('{ geo_headers: vercel }', h)).toEqual({ country: 'BR', region: 'SP', city: 'São Paulo', lat: -23.6, lon: -46.6, source: 'vercel' });
    expect(from('{ geo_headers: vercel }', { ...h, 'x-vercel-ip-city': '%E0%A4%A' })).not.toHaveProperty('city'); // malformed encoding
  });

  it('custom: the configured header names', () => {
    const ctx = '{ geo_headers: custom, custom_headers: { country: X-Geo-Country, city: X-Geo-City, lat: X-Geo-Lat, lon: X-Geo-Lon } }';
    expect(from(ctx, { 'x-geo-country': 'fr', 'x-geo-city': 'Lyon', 'x-geo-lat': '45.764', 'x-geo-lon': '4.8357' })).toEqual({
      country: 'FR',
      city: 'Lyon',
      lat: 45.8,
      lon: 4.8,
      source: 'custom',
    });
    expect(from(ctx, { 'x-geo-country': 'FR', 'x-geo-city': 'Saint-%C3%89tienne' })).toMatchObject({ city: 'Saint-Étienne' });
    expect(from(ctx, { 'cf-ipcountry': 'GB' })).toBeNull(); // only the configured names count
  });

  it('no trust (geo_headers: none): every header ignored', () => {
    expect(from('{ geo_headers: none }', cf)).toBeNull();
    expect(from('{}', { 'x-vercel-ip-country': 'US' })).toBeNull();
  });

  it.each([
    ['XX (unknown)', { 'cf-ipcountry': 'XX' }],
    ['T1 (Tor)', { 'cf-ipcountry': 'T1' }],
    ['a three-letter code', { 'cf-ipcountry': 'GBR' }],
    ['no country at all', { 'cf-ipcity': 'London' }],
  ])('%s is no location', (_name, h) => {
    expect(from('{ geo_headers: cloudflare }', { ...cf, 'cf-ipcountry': '', ...h })).toBeNull();
  });

  it('malformed fields are dropped, the rest kept', () => {
    expect(from('{ geo_headers: cloudflare }', { ...cf, 'cf-iplatitude': '51.5abc', 'cf-ipcity': 'x'.repeat(101) })).toEqual({
      country: 'GB',
      region: 'England',
      source: 'cloudflare',
    });
    expect(from('{ geo_headers: cloudflare }', { ...cf, 'cf-iplatitude': '91', 'cf-region': 'Eng\u0001land' })).toEqual({
      country: 'GB',
      city: 'London',
      source: 'cloudflare',
    });
  });

  it('rounds to 0.1° (about 10 km), never finer, with no -0', () => {
    expect(coordinates('52.5200066', '13.404954')).toEqual({ lat: 52.5, lon: 13.4 });
    expect(coordinates(-33.86785, 151.20732)).toEqual({ lat: -33.9, lon: 151.2 });
    expect(coordinates('0.04', '-0.04')).toEqual({ lat: 0, lon: 0 });
    expect(Object.is(coordinates('0.04', '-0.04').lon, 0)).toBe(true);
    expect(coordinates('1e2', '3')).toEqual({}); // only plain decimals
  });
});

describe('the context service: headers, then GeoIP, then the shop', () => {
  const geoFile = join(dir, 'city.mmdb');
  writeFileSync(geoFile, writeMmdb(NETWORKS));

  const service = (yaml: string, log = silent) => createContextService({ config: live(`context: ${yaml}`), log, now: () => clock, geoipCheckMs: 0 });
  const ask = async (s: ReturnType<typeof service>, headers: Record<string, string> = {}, ip?: string) =>
    (await s.lookup({ header: (n) => headers[n.toLowerCase()], ip })).body;

  it('GeoIP by the socket address, IPv4, IPv4-mapped IPv6 and IPv6', async () => {
    const s = service(`{ geoip_file: city.mmdb, ${SHOP} }`);
    const london = { country: 'GB', region: 'England', city: 'London', lat: 51.5, lon: -0.1, source: 'geoip' };
    expect((await ask(s, {}, '81.2.69.142')).location).toEqual(london);
    expect((await ask(s, {}, '::ffff:81.2.69.142')).location).toEqual(london);
    expect((await ask(s, {}, '2a02:c7c:1:2::3')).location).toMatchObject({ city: 'Manchester', lat: 53.5, lon: -2.2 });
  });

  it('falls back to the shop: an address not in the database, one without a country, none at all', async () => {
    const s = service(`{ geoip_file: city.mmdb, ${SHOP} }`);
    const shop = { country: 'DE', region: 'Hamburg', city: 'Hamburg', lat: 53.6, lon: 10, source: 'shop' };
    expect((await ask(s, {}, '8.8.8.8')).location).toEqual(shop);
    expect((await ask(s, {}, '203.0.113.9')).location).toEqual(shop);
    expect((await ask(s, {}, undefined)).location).toEqual(shop);
    expect((await ask(s, {}, 'not-an-ip')).location).toEqual(shop);
  });

  it('trusted headers first; untrusted ones ignored; XX falls through to GeoIP', async () => {
    const cf = { 'cf-ipcountry': 'FR', 'cf-iplatitude': '48.8566', 'cf-iplongitude': '2.3522' };
    expect((await ask(service(`{ geo_headers: cloudflare, geoip_file: city.mmdb }`), cf, '81.2.69.142')).location).toMatchObject({ country: 'FR', source: 'cloudflare' });
    expect((await ask(service(`{ geoip_file: city.mmdb }`), cf, '81.2.69.142')).location).toMatchObject({ country: 'GB', source: 'geoip' });
    expect((await ask(service(`{ geo_headers: cloudflare, geoip_file: city.mmdb }`), { ...cf, 'cf-ipcountry': 'XX' }, '81.2.69.142')).location).toMatchObject({ source: 'geoip' });
    expect((await ask(service(`{ geo_headers: vercel, ${SHOP} }`), cf)).location).toMatchObject({ source: 'shop' });
  });

  it('nothing known: location and weather null', async () => {
    expect(await ask(service('{}'), {}, '81.2.69.142')).toEqual({ now: clock, location: null, weather: null });
  });

  it('reopens the database when the file changes, or the config names another; a bad file is logged once and skipped', async () => {
    const file = join(dir, 'changing.mmdb');
    writeFileSync(file, writeMmdb([['81.2.69.0/24', cityRecord('GB', 'London', 51.5, -0.1)]]));
    const { lines, log } = capture();
    const config = live(`context: { geoip_file: changing.mmdb, ${SHOP} }`);
    const s = createContextService({ config, log, now: () => clock, geoipCheckMs: 0 });
    const city = async () => (await s.lookup({ header: () => undefined, ip: '81.2.69.142' })).body.location?.city;

    expect(await city()).toBe('London');
    writeFileSync(file, writeMmdb([['81.2.69.0/24', cityRecord('GB', 'Croydon', 51.37, -0.1)]]));
    expect(await city()).toBe('Croydon');

    writeFileSync(file, 'not a database');
    expect(await city()).toBe('Hamburg');
    expect(await city()).toBe('Hamburg');
    const warnings = () => lines.filter((l) => l.includes('GeoIP database')).filter((l) => JSON.parse(l).level === 40);
    expect(warnings()).toHaveLength(1);

    // A hot reload to another file, which is gone by the time it is read (a config naming a file that is not
    // there at load time is a config error; see config.test.ts).
    writeFileSync(join(dir, 'missing.mmdb'), 'soon gone');
    config.current = loadedConfig(`context: { geoip_file: missing.mmdb, ${SHOP} }\n`, configFile);
    unlinkSync(join(dir, 'missing.mmdb'));
    expect(await city()).toBe('Hamburg');
    expect(await city()).toBe('Hamburg');
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toContain('ENOENT');

    config.current = loadedConfig(`context: { geoip_file: city.mmdb, ${SHOP} }\n`, configFile);
    expect(await city()).toBe('London');
    for (const l of lines) expect(l).not.toContain('81.2.69.142');
  });
});

describe('GET /v1/context', () => {
  let store: SqliteStore;
  beforeAll(() => {
    store = openSqliteStore(join(dir, 'kairos.db'));
    copyFileSync(new URL('./fixtures/weather/static.json', import.meta.url), join(dir, 'forecast.json'));
  });
  afterAll(() => store.close());

  const app = (config: ReturnType<typeof live>, log = silent) =>
    createApp({ config, store, widgetDir: dir, log, now: () => clock, presence: createMemoryPresence() });
  const get = (a: ReturnType<typeof app>, headers: Record<string, string> = {}, ip?: string) =>
    a.request('/v1/context', { headers }, ip ? { incoming: { socket: { remoteAddress: ip } } } : undefined);

  it('answers location and weather as JSON, private for five minutes, varying on the trusted headers', async () => {
    const a = app(live('context: { geo_headers: cloudflare, weather: { provider: static, file: forecast.json } }'));
    const res = await get(a, { 'cf-ipcountry': 'GB', 'cf-ipcity': 'London', 'cf-iplatitude': '51.5074', 'cf-iplongitude': '-0.1278', Origin: 'http://localhost' });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('Cache-Control')).toBe('private, max-age=300');
    const vary = (res.headers.get('Vary') ?? '').split(/,\s*/).map((h) => h.toLowerCase());
    expect(vary).toEqual(expect.arrayContaining(['cf-ipcountry', 'cf-region', 'cf-ipcity', 'cf-iplatitude', 'cf-iplongitude', 'origin']));
    const body = (await res.json()) as ContextAnswer;
    const forecast = JSON.parse(readFileSync(join(dir, 'forecast.json'), 'utf8')) as object;
    expect(body).toEqual({
      now: clock,
      location: { country: 'GB', city: 'London', lat: 51.5, lon: -0.1, source: 'cloudflare' },
      weather: { provider: 'static', fetched_at: clock, stale: false, ...forecast },
    });
    expect(Object.keys(body)).toEqual(['now', 'location', 'weather']);
    expect(Object.keys(body.weather!)).toEqual(['provider', 'fetched_at', 'stale', 'current', 'daily']);
  });

  it('follows hot reloads of context', async () => {
    const config = live('context: {}');
    const a = app(config);
    const h = { 'x-vercel-ip-country': 'US', 'x-vercel-ip-city': 'New%20York', 'x-vercel-ip-latitude': '40.7128', 'x-vercel-ip-longitude': '-74.006' };
    expect(await (await get(a, h)).json()).toMatchObject({ location: null, weather: null });
    expect((await get(a, h)).headers.get('Vary')).toBe('Origin');
    config.current = loadedConfig('context: { geo_headers: vercel, weather: { provider: static, file: forecast.json } }\n', configFile);
    const res = await get(a, h);
    expect(await res.json()).toMatchObject({ location: { country: 'US', city: 'New York', lat: 40.7, lon: -74, source: 'vercel' }, weather: { provider: 'static' } });
    expect(res.headers.get('Vary')).toContain('x-vercel-ip-city');
  });

  it('a static file that is missing gives weather: null (logged once), not an error', async () => {
    const { lines, log } = capture();
    writeFileSync(join(dir, 'nowhere.json'), '{}'); // there when the config is loaded, gone when it is read
    const a = app(live(`context: { ${SHOP}, weather: { provider: static, file: nowhere.json } }`), log);
    unlinkSync(join(dir, 'nowhere.json'));
    for (let i = 0; i < 3; i++) expect(await (await get(a)).json()).toMatchObject({ location: { source: 'shop' }, weather: null });
    expect(lines.filter((l) => l.includes('nowhere.json'))).toHaveLength(1);
  });

  it('logs no address and no precise coordinates', async () => {
    const { lines, log } = capture();
    const a = app(live(`context: { geo_headers: cloudflare, geoip_file: city.mmdb, ${SHOP}, weather: { provider: static, file: forecast.json } }`), log);
    await get(a, {}, '81.2.69.142');
    await get(a, { 'cf-ipcountry': 'GB', 'cf-iplatitude': '51.50740', 'cf-iplongitude': '-0.12780' }, '81.2.69.143');
    await get(a, { 'cf-ipcountry': 'XX' }, '2a02:c7c:1:2::3');
    expect(lines.length).toBeGreaterThan(2);
    const all = lines.join('\n');
    for (const secret of ['81.2.69.142', '81.2.69.143', '2a02:c7c', '51.5074', '-0.1278', '51.5142']) expect(all).not.toContain(secret);
  });

  it('on a real socket: GeoIP uses the peer address, never X-Forwarded-For', async () => {
    const a = app(live(`context: { geoip_file: city.mmdb, ${SHOP} }`));
    const server = serve({ fetch: a.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await new Promise<void>((done) => (server.listening ? done() : server.once('listening', () => done())));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/context`;
      const body = (await (await fetch(url, { headers: { 'X-Forwarded-For': '81.2.69.142' } })).json()) as ContextAnswer;
      expect(body.location).toEqual({ country: 'NL', region: 'North Holland', city: 'Amsterdam', lat: 52.4, lon: 4.9, source: 'geoip' });
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});
