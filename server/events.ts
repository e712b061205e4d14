// POST /v1/events, the part without HTTP: a request body → a validated batch → the rows the store keeps.
// Pure functions of their inputs (the receive time is passed in), so the rules are tested without a server.
//
// A batch is all-or-nothing: one bad event rejects the batch and nothing is stored (PRODUCT.md: "never a
// stored row"). So that a client is not stuck resending a batch that can never pass, the answer lists which
// events are bad (`rejected`), and the client drops those and resends the rest under the same event_ids.
import type { z } from 'zod';
import { EventBatch, EventInput } from './schema';
import type { StoredEvent } from './store/types';

export interface BatchIssue {
  /** e.g. `events[2].visitor_id`; empty for the batch itself. */
  path: string;
  message: string;
}

export interface RejectedEvent {
  index: number;
  event_id?: string;
  reason: string;
}

export type BatchResult =
  | { ok: true; batch: EventBatch }
  | { ok: false; error: string; issues: BatchIssue[]; rejected: RejectedEvent[] };

const MAX_ISSUES = 100;

/** At most this many events in a batch (EventBatch in server/schema.ts). */
const MAX_EVENTS = 100;

/**
 * Parses and validates a request body. Never throws, and its work is bounded by the body's size: the schema's
 * validator (zod) spends microseconds on every issue it reports, and a 256 KiB body can hold 100 000 wrong values
 * (an `events` list of zeros, props full of nested lists), which took seconds of one CPU — seconds in which this
 * process answered nobody. So the batch's size and the shape of each event's props are checked first, cheaply,
 * stopping at the first problem; zod then only sees bodies whose every list is short.
 */
export function parseBatch(body: string): BatchResult {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { ok: false, error: `invalid JSON: ${reason}`, issues: [], rejected: [] };
  }
  const events = (data as { events?: unknown } | null)?.events;
  if (Array.isArray(events) && events.length > MAX_EVENTS) {
    const issue = { path: 'events', message: `a batch holds at most ${MAX_EVENTS} events` };
    return { ok: false, error: describe(issue), issues: [issue], rejected: [] };
  }
  const props = Array.isArray(events) ? events.map((ev, index) => propsProblem(ev, index)) : [];
  const first = props.find((p) => p !== undefined);
  if (first) return { ok: false, error: describe(first), issues: [first], rejected: rejectedEvents(data, props) };

  const parsed = EventBatch.safeParse(data);
  if (parsed.success) return { ok: true, batch: parsed.data };
  const issues = parsed.error.issues.slice(0, MAX_ISSUES).map(toIssue);
  return { ok: false, error: describe(issues[0]!), issues, rejected: rejectedEvents(data, props) };
}

const isScalar = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The first thing wrong with the shape of an event's props (PropValue in server/schema.ts: scalars, or lists of
 * at most 100 scalars or objects of scalars, or objects of scalars; at most 50 properties), or undefined; lengths
 * of strings and keys are left to the schema. Also refuses a property named "__proto__": JSON.parse keeps it as an
 * own key, but every object built from it later drops it, so the event could only be stored without it.
 */
function propsProblem(ev: unknown, index: number): BatchIssue | undefined {
  const props = isPlainObject(ev) ? ev['props'] : undefined;
  if (!isPlainObject(props)) return undefined; // missing, or a wrong type the schema names in one issue
  const at = (...path: PropertyKey[]) => formatPath(['events', index, 'props', ...path]);
  const proto = (o: object, ...path: PropertyKey[]) =>
    Object.hasOwn(o, '__proto__') ? { path: at(...path, '__proto__'), message: 'a property may not be named "__proto__"' } : undefined;
  const flat = (o: Record<string, unknown>, ...path: PropertyKey[]): BatchIssue | undefined => {
    const bad = proto(o, ...path);
    if (bad) return bad;
    for (const [k, x] of Object.entries(o)) if (!isScalar(x)) return { path: at(...path, k), message: 'expected a string, a finite number, true, false or null' };
    return undefined;
  };
  const keys = Object.keys(props);
  if (keys.length > 50) return { path: at(), message: 'at most 50 properties' };
  const bad = proto(props);
  if (bad) return bad;
  for (const k of keys) {
    const v = props[k];
    if (isScalar(v)) continue;
    if (isPlainObject(v)) {
      const inner = flat(v, k);
      if (inner) return inner;
      continue;
    }
    if (!Array.isArray(v)) return { path: at(k), message: 'expected a string, a finite number, true, false, null, a list or an object' };
    if (v.length > 100) return { path: at(k), message: 'a list holds at most 100 items' };
    for (const [i, x] of v.entries()) {
      if (isScalar(x)) continue;
      if (!isPlainObject(x)) return { path: at(k, i), message: 'a list holds scalars or objects of scalars' };
      const inner = flat(x, k, i);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * Each event that fails on its own, judged alone (a batch-level problem such as `sent_at` names no event). `props`
 * holds each event's props problem, found already; the schema judges only the events without one.
 */
function rejectedEvents(data: unknown, props: ReadonlyArray<BatchIssue | undefined>): RejectedEvent[] {
  const events = (data as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) return [];
  const out: RejectedEvent[] = [];
  events.forEach((ev, index) => {
    let reason: string;
    const problem = props[index];
    if (problem) reason = describe(problem);
    else {
      const r = EventInput.safeParse(ev);
      if (r.success) return;
      const issue = toIssue(r.error.issues[0]!);
      reason = describe({ ...issue, path: joinPath(`events[${index}]`, issue.path) });
    }
    const id = (ev as { event_id?: unknown } | null)?.event_id;
    out.push(typeof id === 'string' ? { index, event_id: id, reason } : { index, reason });
  });
  return out;
}

function toIssue(issue: z.core.$ZodIssue): BatchIssue {
  return { path: formatPath(issue.path), message: friendlier(issue.message) };
}

function describe(issue: BatchIssue): string {
  return `${issue.path || 'the batch'}: ${issue.message}`;
}

function friendlier(message: string): string {
  // zod words a missing field as a type error; the person reading the 400 wants to know it is missing.
  return /received undefined$/.test(message) ? 'missing required field' : message;
}

function joinPath(prefix: string, rest: string): string {
  return rest === '' ? prefix : rest.startsWith('[') ? prefix + rest : `${prefix}.${rest}`;
}

/** ['events', 2, 'visitor_id'] → `events[2].visitor_id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The rows to store. Event times move onto the server's clock by the batch's skew (`receivedAt - sent_at`), so
 * a shopper whose clock is an hour off does not land in the wrong hour; an event can never be later than its
 * arrival, nor before the epoch. What a stored event may keep (no contact details, no query strings) is applied
 * by the store as it writes, so every way in (this route, leads) gets it once.
 */
export function toStoredEvents(batch: EventBatch, receivedAt: number): StoredEvent[] {
  const skew = receivedAt - batch.sent_at;
  return batch.events.map((ev) => ({
    event_id: ev.event_id,
    type: ev.type,
    name: ev.name,
    ts: Math.max(0, Math.min(ev.ts + skew, receivedAt)),
    received_at: receivedAt,
    visitor_id: ev.visitor_id,
    session_id: ev.session_id,
    path: ev.path ?? null, // the store strips its query (storedProps, stripQuery): every write path gets the same
    campaign_id: ev.campaign_id ?? null,
    user_id: ev.user_id ?? null,
    props: ev.props ?? null,
  }));
}

/**
 * `/p?q=shoes&utm_source=news&email=a@b#top` → `/p?utm_source=news`. Query strings carry search terms, emails
 * and tokens (PRODUCT.md, Privacy by default); only campaign tags (`utm_*`) are kept, byte for byte, in order.
 * The fragment never reaches a server in a real request and is dropped too.
 */
export function stripQuery(path: string): string {
  const hash = path.indexOf('#');
  const noHash = hash === -1 ? path : path.slice(0, hash);
  const q = noHash.indexOf('?');
  if (q === -1) return noHash;
  const kept = noHash
    .slice(q + 1)
    .split('&')
    .filter((pair) => isUtmKey(pair.split('=', 1)[0]!));
  return kept.length > 0 ? `${noHash.slice(0, q)}?${kept.join('&')}` : noHash.slice(0, q);
}

/**
 * Contact details never stored with an event. A cart still learns the email from the event as it arrives
 * (server/carts.ts), because cart.abandoned needs it; the events table, kept for reports, never holds it.
 */
export const UNSTORED_PROPS: ReadonlySet<string> = new Set(['email', 'phone', 'first_name', 'last_name', 'address']);

/** A URL or site path with a query: `https://…?…` or `/…?…` (no spaces). */
const URL_WITH_QUERY = /^(https?:\/\/[^\s/?#]+)?\/[^\s?#]*[?#]\S*$/i;

/**
 * Props as they are stored: without contact details (UNSTORED_PROPS, also inside lists of objects such as
 * `products`), and every URL or path value with its query string stripped except `utm_*` (stripQuery), so
 * `?email=…` or a token in a tracked URL is never stored.
 */
export function storedProps(props: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (props == null) return null;
  const clean = (v: unknown): unknown => {
    if (typeof v === 'string') return URL_WITH_QUERY.test(v) ? stripUrl(v) : v;
    if (Array.isArray(v)) return v.map(clean);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !UNSTORED_PROPS.has(k)).map(([k, x]) => [k, clean(x)]));
    return v;
  };
  return clean(props) as Record<string, unknown>;
}

function stripUrl(v: string): string {
  const origin = /^https?:\/\/[^\s/?#]+/i.exec(v)?.[0] ?? '';
  return origin + stripQuery(v.slice(origin.length));
}

function isUtmKey(raw: string): boolean {
  let key = raw;
  try {
    key = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    /* a malformed escape: judge the raw text */
  }
  return /^utm_[A-Za-z0-9_]+$/i.test(key);
}
