// Who is browsing, as opaque random ids kept on the device: a visitor id that lasts, a session id that
// ends after 30 minutes without activity, and the shop's own user id once `identify` names one.
import { randomId } from './ids';
import type { KV } from './storage';
import { report } from './safe';

/** A session ends after this long without an event (the convention GA and Segment use). */
export const SESSION_IDLE_MS = 30 * 60_000;

export interface Session {
  id: string;
  /** Epoch ms of the last event in this session. */
  last: number;
}

const TOKEN = /^[A-Za-z0-9_-]{8,64}$/;
const isSession = (s: unknown): s is Session =>
  !!s && typeof s === 'object' && typeof (s as Session).id === 'string' && TOKEN.test((s as Session).id) && Number.isFinite((s as Session).last);

/** Pure: continues `prev` if it was active recently enough, else starts a new session. */
export function touchSession(prev: unknown, now: number, newId: () => string = randomId): Session {
  if (!isSession(prev) || now - prev.last >= SESSION_IDLE_MS) return { id: newId(), last: now };
  return { id: prev.id, last: Math.max(prev.last, now) };
}

export interface Identity {
  readonly visitorId: string;
  userId: string | undefined;
  /** Sessions of this visitor so far, the current one included. */
  readonly sessions: number;
  /** Page views in the current session, this one included. */
  readonly pageViews: number;
  /** utm_* of the current session (from the URL that started it, or the latest that carried any). */
  readonly utm: Record<string, string>;
  /** True when the current session began during this page's life. */
  readonly newSession: boolean;
  /** The session id for an event at `now`, renewing the session if it went idle. */
  session(now: number): string;
  /** Counts a page view; `utm` from its URL, if any. */
  pageView(now: number, utm: Record<string, string>): void;
  setUser(id: string): void;
}

interface SessionMeta {
  id: string;
  /** Sessions of this visitor so far. */
  count: number;
  page_views: number;
  utm: Record<string, string>;
}

export async function loadIdentity(kv: KV): Promise<Identity> {
  const [storedVisitor, storedSession, storedUser, storedMeta] = await Promise.all([
    kv.get<string>('visitor'),
    kv.get<Session>('session'),
    kv.get<string>('user'),
    kv.get<SessionMeta>('session_meta'),
  ]);
  const save = (key: string, value: unknown) => kv.set(key, value).catch((e) => report('identity', e));
  const visitorId = typeof storedVisitor === 'string' && TOKEN.test(storedVisitor) ? storedVisitor : randomId();
  if (visitorId !== storedVisitor) save('visitor', visitorId);
  let session: unknown = storedSession;
  let meta: SessionMeta =
    storedMeta && Number.isInteger(storedMeta.count) ? storedMeta : { id: '', count: 0, page_views: 0, utm: {} };
  const identity = {
    visitorId,
    userId: typeof storedUser === 'string' ? storedUser : undefined,
    sessions: meta.count,
    pageViews: meta.page_views,
    utm: meta.utm,
    newSession: false,
    session(now: number) {
      const next = touchSession(session, now);
      session = next;
      save('session', next);
      if (next.id !== meta.id) {
        identity.newSession = true;
        sync({ id: next.id, count: meta.count + 1, page_views: 0, utm: {} });
      }
      return next.id;
    },
    pageView(now: number, utm: Record<string, string>) {
      identity.session(now);
      sync({ ...meta, page_views: meta.page_views + 1, utm: Object.keys(utm).length ? utm : meta.utm });
    },
    setUser(id: string) {
      identity.userId = id;
      save('user', id);
    },
  };
  function sync(next: SessionMeta) {
    meta = next;
    save('session_meta', meta);
    identity.sessions = meta.count;
    identity.pageViews = meta.page_views;
    identity.utm = meta.utm;
  }
  return identity;
}
