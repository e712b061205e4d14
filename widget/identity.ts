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
  page_views: number;
  utm: Record<string, string>;
}

export async function loadIdentity(kv: KV): Promise<Identity> {
  const [storedVisitor, storedSession, storedUser, storedCount, storedMeta] = await Promise.all([
    kv.get<string>('visitor'),
    kv.get<Session>('session'),
    kv.get<string>('user'),
    kv.get<number>('sessions'),
    kv.get<SessionMeta>('session_meta'),
  ]);
  const visitorId = typeof storedVisitor === 'string' && TOKEN.test(storedVisitor) ? storedVisitor : randomId();
  if (visitorId !== storedVisitor) kv.set('visitor', visitorId).catch((e) => report('identity', e));
  let session: unknown = storedSession;
  let sessions = Number.isInteger(storedCount) && storedCount! > 0 ? storedCount! : isSession(storedSession) ? 1 : 0;
  let meta: SessionMeta =
    storedMeta && isSession(storedSession) && storedMeta.id === storedSession.id
      ? storedMeta
      : { id: isSession(storedSession) ? storedSession.id : '', page_views: 0, utm: {} };
  let newSession = false;
  const save = (key: string, value: unknown) => kv.set(key, value).catch((e) => report('identity', e));

  const identity: Identity = {
    visitorId,
    userId: typeof storedUser === 'string' ? storedUser : undefined,
    get sessions() {
      return sessions;
    },
    get pageViews() {
      return meta.page_views;
    },
    get utm() {
      return meta.utm;
    },
    get newSession() {
      return newSession;
    },
    session(now) {
      const next = touchSession(session, now);
      session = next;
      save('session', next);
      if (next.id !== meta.id) {
        sessions++;
        newSession = true;
        meta = { id: next.id, page_views: 0, utm: {} };
        save('sessions', sessions);
        save('session_meta', meta);
      }
      return next.id;
    },
    pageView(now, utm) {
      identity.session(now);
      meta = { ...meta, page_views: meta.page_views + 1, utm: Object.keys(utm).length ? utm : meta.utm };
      save('session_meta', meta);
    },
    setUser(id) {
      identity.userId = id;
      save('user', id);
    },
  };
  return identity;
}
