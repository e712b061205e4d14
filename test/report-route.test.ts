// GET /report in-process: who may read it, and in which formats (the page itself: test/report-html.test.ts and
// test/e2e/report.spec.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app';
import { createLogger } from '../server/log';
import type { Report } from '../server/report/types';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import { loadedConfig } from './loaded-config';

const TOKEN = 'report-token-123';
const NOW = Date.UTC(2026, 5, 10, 12);
const config = {
  current: loadedConfig(
    `campaigns:
  - { id: welcome, type: modal, content: { headline: Hello } }
`,
    'kairos.yaml',
  ),
};
const log = createLogger({ level: 'silent' });
let store: SqliteStore;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  store = openSqliteStore(':memory:');
  app = createApp({ config, store, log, widgetDir: '/nonexistent', demoDir: null, now: () => NOW, adminToken: TOKEN });
  await store.insertEvents(
    ['Campaign Shown', 'Campaign Shown', 'Campaign Clicked'].map((name, i) => ({
      event_id: `event-${i}-xxxxxx`,
      type: 'track' as const,
      name,
      ts: NOW - 60_000,
      received_at: NOW - 60_000,
      visitor_id: `visitor-${i}`,
      session_id: 'session-1',
      path: '/',
      campaign_id: 'welcome',
      user_id: null,
      props: null,
    })),
  );
});
afterAll(() => store.close());

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
const get = (path: string, authorization?: string) => app.request(path, authorization ? { headers: { Authorization: authorization } } : {});

describe('GET /report', () => {
  it('asks a browser for the token (Basic auth, any user name), and refuses a wrong one', async () => {
    const none = await get('/report');
    expect(none.status).toBe(401);
    expect(none.headers.get('WWW-Authenticate')).toMatch(/^Basic realm="Kairos report"/);
    expect((await get('/report', basic('admin', 'nope'))).status).toBe(401);
    expect((await get('/report', 'Bearer nope'))).toHaveProperty('status', 401);
  });

  it('serves the page with the token as a password or a bearer token: no script allowed, the style by nonce', async () => {
    for (const auth of [basic('anyone', TOKEN), `Bearer ${TOKEN}`]) {
      const res = await get('/report', auth);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      const csp = res.headers.get('Content-Security-Policy')!;
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).not.toMatch(/script-src/);
      const nonce = /style-src 'nonce-([^']+)'/.exec(csp)![1];
      const html = await res.text();
      expect(html).toContain(`<style nonce="${nonce}">`);
      expect(html).toContain('welcome');
      expect(html).not.toMatch(/<script/i);
    }
  });

  it('?format=json gives the numbers, ?format=csv a row per campaign and day', async () => {
    const json = (await (await get('/report?format=json&days=7', `Bearer ${TOKEN}`)).json()) as Report;
    expect(json.days).toBe(7);
    expect(json.campaigns[0]).toMatchObject({ id: 'welcome', status: 'running', totals: { impressions: 2, clicks: 1 } });
    const csv = await get('/report?format=csv&days=7', `Bearer ${TOKEN}`);
    expect(csv.headers.get('Content-Type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines).toHaveLength(1 + 7);
    expect(lines.at(-1)).toMatch(/^2026-06-10,welcome,running,2,1,/);
  });

  it.each([
    ['days=0', 400],
    ['days=abc', 400],
    ['format=xml', 400],
  ])('?%s → %i with the reason', async (query, status) => {
    const res = await get(`/report?${query}`, `Bearer ${TOKEN}`);
    expect(res.status).toBe(status);
    expect(await res.text()).toMatch(/days|format/);
  });

  it('is off without KAIROS_ADMIN_TOKEN', async () => {
    const off = createApp({ config, store, log, widgetDir: '/nonexistent', demoDir: null });
    const res = await off.request('/report', { headers: { Authorization: basic('a', 'anything') } });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/KAIROS_ADMIN_TOKEN/);
  });
});
