import { describe, it, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { loadIdentity, SESSION_IDLE_MS, touchSession, type Session } from '../../widget/identity';
import { memoryKV, type KV } from '../../widget/storage';

const T = 1_780_000_000_000;
const MIN = 60_000;
const OLD = 'session_previous';
const NEW = 'session_brandnew';
const TOKEN = /^[A-Za-z0-9_-]{8,64}$/;

describe('touchSession', () => {
  it('a session ends after 30 minutes without activity', () => {
    expect(SESSION_IDLE_MS).toBe(30 * MIN);
  });

  const prev: Session = { id: OLD, last: T };
  const cases: [spec: string, previous: unknown, now: number, expected: Session][] = [
    ['no previous session: a new one', undefined, T, { id: NEW, last: T }],
    ['a second later: same session, last updated', prev, T + 1_000, { id: OLD, last: T + 1_000 }],
    ['29:59.999 later: same session', prev, T + SESSION_IDLE_MS - 1, { id: OLD, last: T + SESSION_IDLE_MS - 1 }],
    ['exactly 30 minutes later: a new session', prev, T + SESSION_IDLE_MS, { id: NEW, last: T + SESSION_IDLE_MS }],
    ['a day later: a new session', prev, T + 24 * 60 * MIN, { id: NEW, last: T + 24 * 60 * MIN }],
    ['the same instant: same session', prev, T, { id: OLD, last: T }],
    ['clock went back a minute: same session, last kept', prev, T - MIN, { id: OLD, last: T }],
    ['clock went back an hour: same session, last kept', prev, T - 60 * MIN, { id: OLD, last: T }],
    // whatever storage hands back, a broken value starts a new session
    ['stored null: a new one', null, T, { id: NEW, last: T }],
    ['stored a string: a new one', 'session_previous', T, { id: NEW, last: T }],
    ['stored a number: a new one', 42, T, { id: NEW, last: T }],
    ['stored an empty object: a new one', {}, T, { id: NEW, last: T }],
    ['id too short: a new one', { id: 'short', last: T }, T, { id: NEW, last: T }],
    ['id with bad characters: a new one', { id: 'session previous', last: T }, T, { id: NEW, last: T }],
    ['id not a string: a new one', { id: 12345678, last: T }, T, { id: NEW, last: T }],
    ['id an array: a new one', { id: [OLD], last: T }, T, { id: NEW, last: T }],
    ['last missing: a new one', { id: OLD }, T, { id: NEW, last: T }],
    ['last NaN: a new one', { id: OLD, last: NaN }, T, { id: NEW, last: T }],
    ['last Infinity: a new one', { id: OLD, last: Infinity }, T, { id: NEW, last: T }],
    ['last a string: a new one', { id: OLD, last: String(T) }, T, { id: NEW, last: T }],
  ];

  it.each(cases)('%s', (_spec, previous, now, expected) => {
    expect(touchSession(previous, now, () => NEW)).toEqual(expected);
  });

  it('makes a new id only when it starts a new session', () => {
    let made = 0;
    const newId = () => (made++, NEW);
    touchSession({ id: OLD, last: T }, T + MIN, newId);
    expect(made).toBe(0);
    touchSession({ id: OLD, last: T }, T + SESSION_IDLE_MS, newId);
    expect(made).toBe(1);
  });

  it('uses random 16-character ids by default', () => {
    const a = touchSession(undefined, T);
    const b = touchSession(undefined, T);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(a.id).not.toBe(b.id);
  });

  // A shopper active every few minutes keeps one session however long they browse.
  test.prop([fc.array(fc.integer({ min: 0, max: SESSION_IDLE_MS - 1 }), { minLength: 1, maxLength: 50 })])(
    'gaps under 30 minutes never end a session',
    (gaps) => {
      let s = touchSession(undefined, T, () => NEW);
      let now = T;
      for (const gap of gaps) s = touchSession(s, (now += gap), () => 'never_used_id');
      expect(s).toEqual({ id: NEW, last: now });
    },
  );

  test.prop([fc.integer({ min: 0, max: 10 * SESSION_IDLE_MS }), fc.integer({ min: -SESSION_IDLE_MS, max: 3 * SESSION_IDLE_MS })])(
    'the result is always a valid session whose last is never earlier than now',
    (lastOffset, nowOffset) => {
      const s = touchSession({ id: OLD, last: T + lastOffset }, T + nowOffset, () => NEW);
      expect(s.id).toMatch(TOKEN);
      expect(s.last).toBeGreaterThanOrEqual(T + nowOffset);
    },
  );
});

describe('loadIdentity', () => {
  /** Lets the fire-and-forget writes of loadIdentity settle. */
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it('gives a first-time visitor a visitor id and keeps it for the next page', async () => {
    const kv = memoryKV();
    const first = await loadIdentity(kv);
    expect(first.visitorId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    await settle();
    expect(await kv.get('visitor')).toBe(first.visitorId);

    const next = await loadIdentity(kv);
    expect(next.visitorId).toBe(first.visitorId);
  });

  it('two different devices (stores) get different visitor ids', async () => {
    const a = await loadIdentity(memoryKV());
    const b = await loadIdentity(memoryKV());
    expect(a.visitorId).not.toBe(b.visitorId);
  });

  it('does not rewrite a visitor id that is already stored', async () => {
    const kv = memoryKV();
    await kv.set('visitor', 'visitor_12345678');
    const writes: string[] = [];
    const spy: KV = { ...kv, set: (k, v) => (writes.push(k), kv.set(k, v)) };
    const identity = await loadIdentity(spy);
    await settle();
    expect(identity.visitorId).toBe('visitor_12345678');
    expect(writes).not.toContain('visitor');
  });

  it.each([
    ['too short', 'abc'],
    ['bad characters', 'visitor id with spaces'],
    ['a number', 12345678],
    ['an object', { id: 'visitor_12345678' }],
    ['an empty string', ''],
  ] as const)('replaces a corrupt stored visitor id (%s) and stores the new one', async (_spec, stored) => {
    const kv = memoryKV();
    await kv.set('visitor', stored);
    const identity = await loadIdentity(kv);
    expect(identity.visitorId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    await settle();
    expect(await kv.get('visitor')).toBe(identity.visitorId);
    expect((await loadIdentity(kv)).visitorId).toBe(identity.visitorId);
  });

  it('has no user until identify names one; setUser is remembered on the next page', async () => {
    const kv = memoryKV();
    const first = await loadIdentity(kv);
    expect(first.userId).toBeUndefined();
    first.setUser('customer-42');
    expect(first.userId).toBe('customer-42');
    await settle();
    expect((await loadIdentity(kv)).userId).toBe('customer-42');
  });

  it('keeps the session across pages while the shopper is active', async () => {
    const kv = memoryKV();
    const page1 = await loadIdentity(kv);
    const s1 = page1.session(T);
    expect(page1.session(T + 5 * MIN)).toBe(s1);
    await settle();

    const page2 = await loadIdentity(kv);
    expect(page2.session(T + 20 * MIN)).toBe(s1);
    await settle();
    expect(await kv.get('session')).toEqual({ id: s1, last: T + 20 * MIN });
  });

  it('starts a new session on a page visited after 30 idle minutes', async () => {
    const kv = memoryKV();
    const s1 = (await loadIdentity(kv)).session(T);
    await settle();
    const s2 = (await loadIdentity(kv)).session(T + SESSION_IDLE_MS);
    expect(s2).not.toBe(s1);
    expect(s2).toMatch(TOKEN);
  });

  it('ignores a corrupt stored session', async () => {
    const kv = memoryKV();
    await kv.set('session', { id: 'x', last: 'yesterday' });
    const s = (await loadIdentity(kv)).session(T);
    expect(s).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('a storage that fails to write never breaks the page', async () => {
    const kv = memoryKV();
    const broken: KV = { ...kv, set: () => Promise.reject(new Error('QuotaExceededError')) };
    const identity = await loadIdentity(broken);
    expect(() => identity.setUser('u1')).not.toThrow();
    expect(identity.session(T)).toMatch(TOKEN);
    expect(identity.session(T + MIN)).toBe(identity.session(T + 2 * MIN));
    await settle();
  });
});
