// The delivery worker: `deliverDue(now)` takes the outbox messages due at `now` by lease (a message whose worker
// crashed mid-attempt is taken over once its lease runs out), POSTs each, signed, and records the outcome
// (policy.ts). Messages leave the outbox only as delivered, failed (after more than 24 h of trying) or disabled
// (their endpoint answered 410); a missing or malformed secret keeps everything queued. Settling for good also
// redacts the stored body (redact.ts): the address it carried was for the receiver, not for the outbox.
//
// The `webhook-id` is the message id stored with it, the same on every attempt, so a receiver can deduplicate
// the redelivery that follows a crash between its answer and our record of it.
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import type { KairosConfig } from '../schema';
import type { ClaimedMessage, OutboxOutcome, Store } from '../store/types';
import { postWebhook, type PostResult } from './http';
import { decide } from './policy';
import { parseSecret, signature } from './sign';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
export const USER_AGENT = `Kairos-Webhooks/${VERSION}`;

export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The subset of a pino logger used here. */
export interface DeliveryLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DeliveryDeps {
  store: Store;
  config: { readonly current: { readonly config: KairosConfig } };
  log: DeliveryLog;
  /** `whsec_<base64>` (KAIROS_WEBHOOK_SECRET). */
  secret: string | undefined;
  now?: () => number;
  /** For the back-off jitter; [0, 1). */
  random?: () => number;
  /** How long a claimed message is ours (default 60 s); another worker may take it over after that. */
  leaseMs?: number;
  /** One attempt's limit (default 10 s; never more than 90 % of the lease, so a lease never runs out mid-attempt). */
  timeoutMs?: number;
  /** Most attempts in flight at once (default 16). */
  concurrency?: number;
}

export interface Delivery {
  /** Attempts every message due at `now`; resolves when those attempts are recorded. */
  deliverDue(now?: number): Promise<{ attempted: number; delivered: number }>;
  /** Stops: aborts attempts in flight (they are released for the next start) and waits until they are recorded. */
  stop(): Promise<void>;
}

/** The host of an endpoint, for logs (never the path or query, which can hold tokens). */
const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
};

export function createDelivery(deps: DeliveryDeps): Delivery {
  const { store, config, log } = deps;
  const clock = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const leaseMs = Math.max(1, deps.leaseMs ?? DEFAULT_LEASE_MS);
  const timeoutMs = Math.max(1, Math.min(deps.timeoutMs ?? DEFAULT_TIMEOUT_MS, Math.floor(leaseMs * 0.9)));
  const concurrency = Math.max(1, deps.concurrency ?? 16);
  const secret = parseSecret(deps.secret);
  const abort = new AbortController();
  // Every attempt in flight listens on this one signal (up to `concurrency` at once): not a leak, so no warning.
  setMaxListeners(concurrency + 1, abort.signal);
  const inFlight = new Map<string, Promise<void>>();
  let secretErrorLogged = false;
  let stopped = false;

  async function attempt(m: ClaimedMessage, now: number, key: Buffer): Promise<boolean> {
    const timestamp = Math.floor(now / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': m.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature(key, m.id, timestamp, m.body),
    };
    const allowPrivate = config.current.config.webhooks.allow_private_networks;
    const result: PostResult = await postWebhook(m.endpoint, m.body, headers, { timeoutMs, allowPrivate, signal: abort.signal });
    const outcome: OutboxOutcome = abort.signal.aborted
      ? // Shutting down: release it for the next start, due at once (the receiver may have it already: same id).
        { status: 'pending', next_attempt_at: now, error: result.kind === 'error' ? result.message : 'aborted: the server is shutting down' }
      : decide(result, { now, firstAttemptAt: m.first_attempt_at ?? now, attempts: m.attempts, random });
    const recorded = await store.settleWebhook(m.id, m.lease_token, outcome);
    const fields = { webhook_id: m.id, endpoint: hostOf(m.endpoint), attempt: m.attempts };
    if (!recorded) log.warn(fields, 'webhook: lease lost before the outcome was recorded; another worker has the message');
    else if (outcome.status === 'delivered') log.info({ ...fields, status: outcome.http_status }, 'webhook delivered');
    else if (outcome.status === 'pending') {
      const retry_in_s = Math.round((outcome.next_attempt_at - now) / 1000);
      const refused = result.kind === 'error' && result.refused;
      log[refused ? 'error' : 'warn']({ ...fields, error: outcome.error, retry_in_s }, refused ? 'webhook endpoint refused by the SSRF guard' : 'webhook attempt failed; will retry');
    } else if (outcome.status === 'failed') log.error({ ...fields, error: outcome.error }, 'webhook failed for good');
    else log.error({ ...fields, error: outcome.error }, 'webhook endpoint disabled: it answered 410 Gone; later messages for it are not sent');
    return recorded && outcome.status === 'delivered';
  }

  async function deliverDue(now: number): Promise<{ attempted: number; delivered: number }> {
    if (stopped) return { attempted: 0, delivered: 0 };
    if (!secret.ok) {
      const endpoints = config.current.config.webhooks.endpoints.length;
      if (endpoints > 0 && !secretErrorLogged) {
        secretErrorLogged = true;
        log.error({ endpoints }, `webhooks are not sent: ${secret.error}; messages stay queued until it is fixed and the server restarts`);
      }
      return { attempted: 0, delivered: 0 };
    }
    const room = concurrency - inFlight.size;
    if (room <= 0) return { attempted: 0, delivered: 0 };
    const claimed = await store.claimWebhooks({ now, leaseMs, limit: room, exclude: [...inFlight.keys()] });
    let delivered = 0;
    await Promise.all(
      claimed.map((m) => {
        const p = attempt(m, now, secret.key)
          .then((ok) => void (ok && delivered++))
          .catch((e: unknown) => log.error({ webhook_id: m.id, err: e instanceof Error ? e.message : String(e) }, 'webhook attempt could not be recorded'))
          .finally(() => inFlight.delete(m.id));
        inFlight.set(m.id, p);
        return p;
      }),
    );
    return { attempted: claimed.length, delivered };
  }

  /** Every deliverDue call not yet finished (stop waits for them, claims included). */
  const running = new Set<Promise<unknown>>();

  return {
    deliverDue(now = clock()) {
      const p = deliverDue(now);
      running.add(p);
      void p.finally(() => running.delete(p)).catch(() => undefined);
      return p;
    },

    async stop() {
      stopped = true;
      abort.abort();
      await Promise.allSettled([...running, ...inFlight.values()]);
    },
  };
}
