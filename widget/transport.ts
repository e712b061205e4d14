// The one way events leave the browser.
//
// - Persist first: every event is written to its own key in an IndexedDB outbox before any send, so a
//   closed tab, a crash or a server outage loses nothing; the next page load sends what is left.
//   One key per event (not one array) so two tabs never overwrite each other's outbox.
// - Batches go as text/plain JSON: a "simple" CORS request, so no preflight — a preflight cannot finish
//   while a page unloads (PostHog/posthog-js#4139).
// - In-page sends use fetch(keepalive); when the page is hidden we hand what is pending to sendBeacon
//   (or keepalive fetch) without waiting for an answer, and keep it in the outbox: the server
//   deduplicates on event_id, so a resend on the next page is harmless and a lost beacon is not a loss.
// - Failures back off exponentially with jitter, and an answer that takes over 10 s is one. Kairos' own 4xx
//   answer (JSON, other than 408/429) means the batch itself is bad and retrying cannot help, so it is dropped
//   (and reported in debug mode); any other 4xx — a proxy's page, a broken fetch wrapper's doing — is retried.
import type { EventBatch, EventInput } from '../server/schema';
import type { KV } from './storage';
import { fetchNow, json, report, safe } from './safe';

export interface Transport {
  send(event: EventInput): void;
  /** Sends what is pending now. `leaving`: the page is being hidden; fire and forget. */
  flush(leaving?: boolean): void;
  /** Loads events earlier pages left in the outbox and schedules their delivery. */
  restore(): Promise<void>;
}

export interface TransportOptions {
  endpoint: string;
  outbox: KV;
  now?: () => number;
  /** Delay before a batch is sent, so events of one moment travel together. */
  batchDelayMs?: number;
  fetchImpl?: typeof fetch;
  beacon?: ((url: string, body: string) => boolean) | null;
}

const MAX_BATCH = 50;
/** keepalive and sendBeacon share a 64 KiB in-flight quota per page; stay clear of it. */
const MAX_BODY = 60_000;
/** The quota counts bytes: non-ASCII text (Japanese, Greek, emoji…) takes 2–4 bytes a character. */
const utf8 = new TextEncoder();
const MAX_OUTBOX = 1000;
const BACKOFF_MIN_MS = 2_000;
const BACKOFF_MAX_MS = 5 * 60_000;
const SEND_TIMEOUT_MS = 10_000;

export function createTransport(opts: TransportOptions): Transport {
  const now = opts.now ?? Date.now;
  const doFetch = opts.fetchImpl ?? fetchNow;
  const delay = opts.batchDelayMs ?? 500;
  const pending = new Map<string, EventInput>();
  const inFlight = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let blockedUntil = 0;

  const schedule = (ms: number) => {
    if (timer !== undefined) return;
    timer = setTimeout(
      safe('send', () => {
        timer = undefined;
        flush(false);
      }),
      ms,
    );
  };

  const take = (skip: Set<string>): EventInput[] => {
    const batch: EventInput[] = [];
    let size = 40;
    for (const ev of pending.values()) {
      if (skip.has(ev.event_id)) continue;
      const len = utf8.encode(json(ev)).length + 1;
      if (batch.length >= MAX_BATCH || (batch.length > 0 && size + len > MAX_BODY)) break;
      batch.push(ev);
      size += len;
    }
    return batch;
  };

  const forget = (events: EventInput[]) => {
    for (const ev of events) pending.delete(ev.event_id);
    opts.outbox.delMany(events.map((e) => e.event_id)).catch((e) => report('outbox', e));
  };

  const body = (events: EventInput[]) => {
    const batch: EventBatch = { sent_at: now(), events };
    return json(batch);
  };

  function flush(leaving = false): void {
    if (leaving) {
      // Everything still pending goes now; nothing is removed until a later page sees it acknowledged.
      const handedOver = new Set(inFlight);
      for (let batch = take(handedOver); batch.length; batch = take(handedOver)) {
        batch.forEach((e) => handedOver.add(e.event_id));
        const text = body(batch);
        let queued = false;
        try {
          queued = opts.beacon ? opts.beacon(opts.endpoint, text) : false;
        } catch (e) {
          report('beacon', e);
        }
        if (!queued) doFetch(opts.endpoint, fetchInit(text)).catch(() => undefined);
      }
      return;
    }
    if (now() < blockedUntil) return schedule(blockedUntil - now());
    const batch = take(inFlight);
    if (!batch.length) return;
    batch.forEach((e) => inFlight.add(e.event_id));
    // An answer that never comes counts as a failure (and backs off), rather than holding the batch forever.
    doFetch(opts.endpoint, fetchInit(body(batch), AbortSignal.timeout?.(SEND_TIMEOUT_MS)))
      .then((res) => {
        if (res.ok) {
          failures = 0;
          forget(batch);
        } else if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          // The batch itself is bad: retrying it cannot help. When the server names the bad events, only
          // those are dropped and the rest go again; otherwise the whole batch is. A 4xx that is not Kairos'
          // JSON answer (a proxy's page, a page's fetch wrapper gone wrong) fails the send: kept, and retried.
          return res.json().then((answer: { error: string; rejected?: { index: number }[] }) => {
            const bad = new Set((answer.rejected ?? []).map((r) => r.index));
            const named = batch.filter((_, i) => bad.has(i));
            const dropped = named.length ? named : batch;
            report('events rejected: ' + answer.error, dropped.map((e) => e.name));
            forget(dropped);
          });
        } else {
          throw new Error('HTTP ' + res.status);
        }
      })
      .catch((e: unknown) => {
        failures++;
        const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1));
        blockedUntil = now() + backoff * (0.5 + Math.random() / 2);
        report('transport', e);
      })
      .finally(() => {
        batch.forEach((e) => inFlight.delete(e.event_id));
        if (pending.size) schedule(Math.max(0, blockedUntil - now()));
      })
      .catch((e) => report('transport', e));
  }

  const admit = (ev: EventInput): boolean => {
    if (utf8.encode(json(ev)).length + 40 > MAX_BODY) {
      // No browser would carry it (and the server's limits refuse it): kept, it would block the queue forever.
      report('event too large', ev.name);
      return false;
    }
    if (pending.size >= MAX_OUTBOX) {
      // Bounded: under a long outage the oldest events give way to the newest.
      const oldest = pending.keys().next().value as string;
      pending.delete(oldest);
      opts.outbox.del(oldest).catch(() => undefined);
    }
    pending.set(ev.event_id, ev);
    return true;
  };

  return {
    send(ev) {
      if (!admit(ev)) return;
      opts.outbox.set(ev.event_id, ev).catch((e) => report('outbox', e));
      schedule(delay);
    },
    flush,
    async restore() {
      const saved = await opts.outbox.entries<EventInput>();
      saved.sort((a, b) => a[1].ts - b[1].ts);
      for (const [key, ev] of saved)
        if (!pending.has(ev.event_id) && !admit(ev)) opts.outbox.del(key).catch(() => undefined);
      if (pending.size) schedule(delay);
    },
  };
}

function fetchInit(text: string, signal?: AbortSignal): RequestInit {
  return {
    signal,
    method: 'POST',
    body: text,
    headers: { 'Content-Type': 'text/plain' },
    keepalive: true,
    credentials: 'omit',
    mode: 'cors',
  };
}
