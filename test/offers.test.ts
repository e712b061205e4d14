// Exit offers, the server half (server/offers.ts behind POST /v1/offers/:id): one code and one deadline per visitor
// and campaign, fixed the first time; pool codes never handed out twice; a signed token the checkout can verify.
// In-process (app.request), a real SQLite store, a fake clock.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app';
import type { LoadedConfig } from '../server/config-watch';
import { createLogger } from '../server/log';
import { readPool, signGrant, verifyGrant } from '../server/offers';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import { assign } from '../widget/bucket';
import { loadedConfig } from './loaded-config';

const dir = mkdtempSync(join(tmpdir(), 'kairos-offers-'));
const configFile = join(dir, 'kairos.yaml');
const MINUTE = 60_000;
writeFileSync(join(dir, 'pool.txt'), 'CODE-1\nCODE-2\n');

const yaml = [
  'site: { allowed_origins: [https://shop.example] }',
  'campaigns:',
  '  - id: pooled',
  '    type: exit_offer',
  '    content: { headline: Wait }',
  '    coupon: { pool: pool.txt }',
  '    valid_minutes: 30',
  '  - id: fixed',
  '    type: exit_offer',
  '    content: { headline: Wait }',
  '    coupon: { code: STAY10 }',
  '  - id: off',
  '    type: exit_offer',
  '    enabled: false',
  '    content: { headline: Wait }',
  '    coupon: { code: OFF }',
  '  - id: bar',
  '    type: announcement_bar',
  '    content: { text: Hi }',
  '  - id: tested',
  '    type: exit_offer',
  '    content: { headline: Wait }',
  '    coupon: { code: TEN }',
  '    variants:',
  '      - id: ten',
  '      - id: fifteen',
  '        coupon: { code: FIFTEEN }',
  '        valid_minutes: 10',
  '',
].join('\n');

function loaded(): LoadedConfig {
  return loadedConfig(yaml, configFile);
}

let clock = 1_800_000_000_000;
let store: SqliteStore;
let app: ReturnType<typeof createApp>;
const SECRET = 'test-secret';
beforeAll(() => {
  store = openSqliteStore(join(dir, 'kairos.db'));
  const log = createLogger({ level: 'silent' });
  app = createApp({ config: { current: loaded(), file: configFile }, store, widgetDir: join(dir, 'widget'), demoDir: dir, log, now: () => clock, secret: SECRET });
});
afterAll(() => store.close());

const ask = (id: string, visitor: unknown, headers: Record<string, string> = {}) =>
  app.request(`/v1/offers/${id}`, { method: 'POST', headers: { 'Content-Type': 'text/plain', ...headers }, body: JSON.stringify({ visitor_id: visitor }) });

describe('POST /v1/offers/:id', () => {
  it('fixes the deadline and the code the first time; every later answer is the same, until the deadline', async () => {
    const first = await ask('pooled', 'visitor-aaaa');
    expect(first.status).toBe(200);
    const a = (await first.json()) as { code: string; deadline: number; now: number; token: string };
    expect(a).toMatchObject({ campaign_id: 'pooled', code: 'CODE-1', deadline: clock + 30 * MINUTE, now: clock });

    clock += 10 * MINUTE; // a reload, a new tab, the next session: the same offer, the deadline did not move
    const again = (await (await ask('pooled', 'visitor-aaaa')).json()) as typeof a;
    expect([again.code, again.deadline]).toEqual([a.code, a.deadline]);

    clock += 20 * MINUTE; // the deadline: gone, for good
    const late = await ask('pooled', 'visitor-aaaa');
    expect(late.status).toBe(410);
    expect(await late.json()).toEqual({ error: 'this offer has ended', deadline: a.deadline });
    clock += 24 * 60 * MINUTE;
    expect((await ask('pooled', 'visitor-aaaa')).status).toBe(410);
  });

  it('hands each pool code to one visitor only, and says so when the pool is used up', async () => {
    const b = (await (await ask('pooled', 'visitor-bbbb')).json()) as { code: string };
    expect(b.code).toBe('CODE-2');
    const c = await ask('pooled', 'visitor-cccc');
    expect(c.status).toBe(409);
    expect(((await c.json()) as { error: string }).error).toMatch(/every code in the pool has been handed out/);
  });

  it('gives everyone the fixed code, each with a deadline of their own', async () => {
    const x = (await (await ask('fixed', 'visitor-xxxx')).json()) as { code: string; deadline: number };
    clock += MINUTE;
    const y = (await (await ask('fixed', 'visitor-yyyy')).json()) as { code: string; deadline: number };
    expect([x.code, y.code]).toEqual(['STAY10', 'STAY10']);
    expect(y.deadline - x.deadline).toBe(MINUTE);
    expect(x.deadline - (clock - MINUTE)).toBe(30 * MINUTE); // valid_minutes defaults to 30
  });

  it('an A/B test of offers: each shopper gets the coupon and deadline of the variant the widget shows them', async () => {
    const visitors = Array.from({ length: 12 }, (_, i) => `visitor-ab-${i}`);
    const answers = await Promise.all(visitors.map(async (v) => (await (await ask('tested', v)).json()) as { code: string; deadline: number }));
    visitors.forEach((v, i) => {
      const arm = assign('tested', v, { weights: [1, 1] });
      expect(answers[i]).toMatchObject(arm === 0 ? { code: 'TEN', deadline: clock + 30 * MINUTE } : { code: 'FIFTEEN', deadline: clock + 10 * MINUTE });
    });
    expect(new Set(answers.map((a) => a.code))).toEqual(new Set(['TEN', 'FIFTEEN']));
  });

  it.each([
    ['no such campaign', 'nope', 'visitor-aaaa', 404],
    ['a switched-off offer', 'off', 'visitor-aaaa', 404],
    ['a campaign that is not an exit offer', 'bar', 'visitor-aaaa', 404],
    ['a visitor id that is not one', 'fixed', 'x', 400],
    ['no visitor id', 'fixed', undefined, 400],
  ])('%s → %i', async (_name, id, visitor, status) => {
    const res = await ask(id, visitor);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toBeTruthy();
  });

  it('refuses browsers on origins the config does not allow', async () => {
    expect((await ask('fixed', 'visitor-zzzz', { Origin: 'https://evil.example' })).status).toBe(403);
    const ok = await ask('fixed', 'visitor-zzzz', { Origin: 'https://shop.example' });
    expect(ok.headers.get('Access-Control-Allow-Origin')).toBe('https://shop.example');
  });

  it('never serves the pool file from the demo directory', async () => {
    expect((await app.request('/pool.txt')).status).toBe(404);
  });
});

describe('signed grants', () => {
  it('verify with the server secret, and not when anything was changed', async () => {
    const res = (await (await ask('fixed', 'visitor-sign')).json()) as { token: string; deadline: number };
    const ok = await app.request('/v1/offers/verify?token=' + encodeURIComponent(res.token));
    expect(await ok.json()).toEqual({ valid: true, expired: false, campaign_id: 'fixed', visitor_id: 'visitor-sign', code: 'STAY10', deadline: res.deadline });

    const longer = signGrant('another secret', { campaign_id: 'fixed', visitor_id: 'visitor-sign', code: 'STAY10', issued_at: 0, deadline: res.deadline + 9e9 });
    expect((await app.request('/v1/offers/verify?token=' + longer)).status).toBe(400);
    expect(verifyGrant(SECRET, res.token.replace(/^./, (c) => (c === 'e' ? 'f' : 'e')))).toBeUndefined();
    expect(verifyGrant(SECRET, 'not-a-token')).toBeUndefined();

    clock = res.deadline;
    const late = await app.request('/v1/offers/verify?token=' + encodeURIComponent(res.token));
    expect(await late.json()).toMatchObject({ valid: false, expired: true });
  });
});

describe('readPool', () => {
  it('skips blank lines and comments, and rereads the file when it changes', () => {
    const file = resolve(dir, 'grow.txt');
    writeFileSync(file, '# codes\nA-1\n\n');
    expect(readPool(file)).toEqual(['A-1']);
    writeFileSync(file, '# codes\nA-1\nA-2 \n');
    expect(readPool(file)).toEqual(['A-1', 'A-2']);
  });
  it.each([
    ['has a code with a space', 'A 1\n', /"A 1" is not a code/],
    ['lists a code twice', 'A-1\nA-1\n', /:2: "A-1" appears twice/],
    ['is empty', '\n# none\n', /holds no codes/],
  ])('fails clearly when the file %s', (_name, text, error) => {
    const file = resolve(dir, `bad-${Math.random()}.txt`);
    writeFileSync(file, text);
    expect(() => readPool(file)).toThrow(error);
  });
});
