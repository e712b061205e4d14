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
  /** The session id for an event at `now`, renewing the session if it went idle. */
  session(now: number): string;
  setUser(id: string): void;
}

export async function loadIdentity(kv: KV): Promise<Identity> {
  const [storedVisitor, storedSession, storedUser] = await Promise.all([
    kv.get<string>('visitor'),
    kv.get<Session>('session'),
    kv.get<string>('user'),
  ]);
  const visitorId = typeof storedVisitor === 'string' && TOKEN.test(storedVisitor) ? storedVisitor : randomId();
  if (visitorId !== storedVisitor) kv.set('visitor', visitorId).catch((e) => report('identity', e));
  let session: unknown = storedSession;
  const identity: Identity = {
    visitorId,
    userId: typeof storedUser === 'string' ? storedUser : undefined,
    session(now) {
      const next = touchSession(session, now);
      session = next;
      kv.set('session', next).catch((e) => report('identity', e));
      return next.id;
    },
    setUser(id) {
      identity.userId = id;
      kv.set('user', id).catch((e) => report('identity', e));
    },
  };
  return identity;
}
