// GET /v1/countdowns/:id (server/countdown.ts's countdownAnswer behind server/app.ts): a countdown bar's deadline as
// an instant on the server's clock. In-process (app.request), a real SQLite store, an injected clock: fixed
// deadlines and holiday presets, a recurring 14:00 cut-off in Europe/London on both sides of the 2026-03-29 and
// 2026-10-25 changes (and in Asia/Almaty, which has none), days and excluded dates, a passed deadline, 404s, CORS,
// and a hot reload.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app';
import type { LoadedConfig } from '../server/config-watch';
import { createLogger } from '../server/log';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import { loadedConfig } from './loaded-config';

const dir = mkdtempSync(join(tmpdir(), 'kairos-countdown-'));
const configFile = join(dir, 'kairos.yaml');
const text = 'content: { text: "Order within {{countdown}} for same-day dispatch" }';

const yaml = [
  'site: { allowed_origins: [https://shop.example] }',
  'campaigns:',
  '  - id: sale-end',
  '    type: countdown_bar',
  '    countdown: { deadline: 2026-12-24T18:00, timezone: Europe/London }',
  `    ${text}`,
  '  - id: offset-wins',
  '    type: countdown_bar',
  '    countdown: { deadline: "2026-12-24T18:00+01:00", timezone: Asia/Almaty }',
  `    ${text}`,
  '  - id: xmas',
  '    type: countdown_bar',
  '    countdown: { holiday: christmas_eve, year: 2026, timezone: Europe/Berlin }',
  `    ${text}`,
  '  - id: dispatch-london',
  '    type: countdown_bar',
  '    countdown: { every: { time: "14:00", timezone: Europe/London } }',
  `    ${text}`,
  '  - id: dispatch-almaty',
  '    type: countdown_bar',
  '    countdown: { every: { time: "14:00", timezone: Asia/Almaty } }',
  `    ${text}`,
  '  - id: weekdays',
  '    type: countdown_bar',
  '    countdown: { every: { time: "14:00", days: [mon, tue, wed, thu, fri], timezone: Europe/London, except: [2026-10-26] } }',
  `    ${text}`,
  '  - id: off',
  '    type: countdown_bar',
  '    enabled: false',
  '    countdown: { deadline: 2026-12-24T18:00 }',
  `    ${text}`,
  '  - id: bar',
  '    type: announcement_bar',
  '    content: { text: Hi }',
  '',
].join('\n');

const live: { current: LoadedConfig; file: string } = { current: loadedConfig(yaml, configFile), file: configFile };
let clock = Date.parse('2026-07-01T10:00:00Z');
let store: SqliteStore;
let app: ReturnType<typeof createApp>;
beforeAll(() => {
  store = openSqliteStore(join(dir, 'kairos.db'));
  app = createApp({ config: live, store, widgetDir: join(dir, 'widget'), log: createLogger({ level: 'silent' }), now: () => clock });
});
afterAll(() => store.close());

const get = (id: string, headers: Record<string, string> = {}) => app.request(`/v1/countdowns/${id}`, { headers });

/** The answer at `at` (an ISO instant), as { now, deadline } with the deadline as an ISO string for readable failures. */
async function at(id: string, iso: string): Promise<{ now: string; deadline: string | null }> {
  clock = Date.parse(iso);
  const res = await get(id);
  expect(res.status).toBe(200);
  expect(res.headers.get('Cache-Control')).toBe('no-store');
  const body = (await res.json()) as { now: number; deadline: number | null };
  expect(Object.keys(body).sort()).toEqual(['deadline', 'now']);
  return { now: new Date(body.now).toISOString(), deadline: body.deadline === null ? null : new Date(body.deadline).toISOString() };
}

describe('GET /v1/countdowns/:id — fixed deadlines', () => {
  it('answers the server clock and the deadline as epoch ms, uncached', async () => {
    clock = Date.parse('2026-12-24T15:46:30Z');
    const res = await get('sale-end');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({ now: clock, deadline: Date.parse('2026-12-24T18:00:00Z') });
  });

  it('reads the wall-clock deadline in its zone (GMT in December), and an explicit offset wins over the zone', async () => {
    expect(await at('sale-end', '2026-12-01T00:00:00Z')).toEqual({ now: '2026-12-01T00:00:00.000Z', deadline: '2026-12-24T18:00:00.000Z' });
    expect((await at('offset-wins', '2026-12-01T00:00:00Z')).deadline).toBe('2026-12-24T17:00:00.000Z');
  });

  it('resolves a holiday preset in its year and zone (christmas_eve 18:00 in Berlin = 17:00 UTC)', async () => {
    expect((await at('xmas', '2026-12-20T12:00:00Z')).deadline).toBe('2026-12-24T17:00:00.000Z');
  });

  it('a passed fixed deadline is null — at the very instant and ever after; it never rolls over', async () => {
    expect((await at('sale-end', '2026-12-24T17:59:59.999Z')).deadline).toBe('2026-12-24T18:00:00.000Z');
    expect(await at('sale-end', '2026-12-24T18:00:00Z')).toEqual({ now: '2026-12-24T18:00:00.000Z', deadline: null });
    expect((await at('sale-end', '2027-12-24T12:00:00Z')).deadline).toBeNull();
    expect((await at('xmas', '2027-12-20T12:00:00Z')).deadline).toBeNull();
  });
});

describe('GET /v1/countdowns/:id — a recurring 14:00 cut-off', () => {
  // Europe/London: GMT (UTC+0) until 2026-03-29 01:00 UTC, BST (UTC+1) until 2026-10-25 01:00 UTC, then GMT.
  it.each([
    ['spring: the day before the change (GMT)', '2026-03-28T11:46:30Z', '2026-03-28T14:00:00.000Z'],
    ['spring: past the cut-off the day before → the next day, across the change (23 h away)', '2026-03-28T15:00:00Z', '2026-03-29T13:00:00.000Z'],
    ['spring: just before the change, in the night', '2026-03-29T00:59:00Z', '2026-03-29T13:00:00.000Z'],
    ['spring: the day of the change (BST)', '2026-03-29T09:00:00Z', '2026-03-29T13:00:00.000Z'],
    ['spring: the day after the change (BST)', '2026-03-30T10:46:30Z', '2026-03-30T13:00:00.000Z'],
    ['autumn: the day before the change (BST)', '2026-10-24T10:46:30Z', '2026-10-24T13:00:00.000Z'],
    ['autumn: past the cut-off the day before → the next day, across the change (25 h away)', '2026-10-24T13:00:00Z', '2026-10-25T14:00:00.000Z'],
    ['autumn: the day of the change (GMT)', '2026-10-25T09:00:00Z', '2026-10-25T14:00:00.000Z'],
    ['autumn: the day after the change (GMT)', '2026-10-26T11:46:30Z', '2026-10-26T14:00:00.000Z'],
  ])('Europe/London, %s', async (_, now, deadline) => {
    expect(await at('dispatch-london', now)).toEqual({ now: new Date(now).toISOString(), deadline });
  });

  it.each([
    ['on the day of London’s spring change', '2026-03-29T06:46:30Z', '2026-03-29T09:00:00.000Z'],
    ['on the day of London’s autumn change', '2026-10-25T06:46:30Z', '2026-10-25T09:00:00.000Z'],
    ['past the cut-off (14:00 local = 09:00 UTC) → tomorrow, exactly 24 h on', '2026-10-25T09:00:00Z', '2026-10-26T09:00:00.000Z'],
  ])('Asia/Almaty (UTC+5 all year), %s', async (_, now, deadline) => {
    expect((await at('dispatch-almaty', now)).deadline).toBe(deadline);
  });

  it('skips days not listed and excluded dates: Friday after the cut-off → Tuesday (Monday 2026-10-26 is excluded)', async () => {
    expect((await at('weekdays', '2026-10-23T14:00:00Z')).deadline).toBe('2026-10-27T14:00:00.000Z');
    expect((await at('weekdays', '2026-10-22T12:00:00Z')).deadline).toBe('2026-10-22T13:00:00.000Z'); // Thursday, BST
  });
});

describe('GET /v1/countdowns/:id — what it refuses', () => {
  it.each([
    ['an unknown id', 'nope', /no campaign "nope"/],
    ['another campaign type', 'bar', /"bar" is not a countdown_bar \(its type is announcement_bar\)/],
    ['a countdown that is switched off', 'off', /"off" is switched off/],
  ])('%s → 404 with the reason, uncached', async (_, id, reason) => {
    const res = await get(id);
    expect(res.status).toBe(404);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(((await res.json()) as { error: string }).error).toMatch(reason);
  });

  it('is GET only', async () => {
    expect((await app.request('/v1/countdowns/sale-end', { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('GET /v1/countdowns/:id — CORS and hot reload', () => {
  it('lets an allowed shop origin read the answer, and keeps it from any other (like every /v1 GET)', async () => {
    clock = Date.parse('2026-12-01T00:00:00Z');
    const ok = await get('sale-end', { Origin: 'https://shop.example' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('Access-Control-Allow-Origin')).toBe('https://shop.example');
    expect(ok.headers.get('Vary')).toMatch(/Origin/);
    const other = await get('sale-end', { Origin: 'https://evil.example' });
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull();
    const preflight = await app.request('/v1/countdowns/sale-end', {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('https://shop.example');
  });

  it('reads the live config on every request: a changed deadline applies at once', async () => {
    const before = live.current;
    try {
      live.current = loadedConfig(yaml.replace('2026-12-24T18:00, timezone: Europe/London', '2026-12-31T23:59, timezone: Europe/London'), configFile);
      expect((await at('sale-end', '2026-12-01T00:00:00Z')).deadline).toBe('2026-12-31T23:59:00.000Z');
    } finally {
      live.current = before;
    }
  });
});
