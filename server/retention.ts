// Retention: what is older than `privacy.retention_days` is deleted — events, idle carts, settled webhook messages
// and expired offer grants (Store.deleteExpired) — and a closed cart generation's email is cleared once it has
// been closed for CLOSED_CART_EMAIL_MS (Store.forgetCartEmails; server/carts.ts says why a week). Runs shortly
// after start and then every hour (or tickMs), one run at a time; the live config's value applies on the next run
// after a hot reload.
import { CLOSED_CART_EMAIL_MS } from './carts';
import type { KairosConfig } from './schema';
import type { Removed, Store } from './store/types';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: Pick<Store, 'deleteExpired' | 'forgetCartEmails'>;
  config: { readonly current: { readonly config: Pick<KairosConfig, 'privacy'> } };
  log: { info(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** Default one hour. */
  tickMs?: number;
  now?: () => number;
}

export interface Retention {
  /** One run now (what the timer does); resolves with what was deleted. */
  run(): Promise<Removed>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

export function startRetention(o: RetentionOptions): Retention {
  const now = o.now ?? Date.now;
  let running: Promise<Removed> | undefined;
  const run = () =>
    (running ??= (async () => {
      try {
        const t = now();
        const cutoff = t - o.config.current.config.privacy.retention_days * DAY_MS;
        const removed = await o.store.deleteExpired(cutoff);
        if (Object.values(removed).some((n) => n > 0)) o.log.info({ removed, cutoff }, 'retention: old data deleted');
        const forgotten = await o.store.forgetCartEmails(t - CLOSED_CART_EMAIL_MS);
        if (forgotten > 0) o.log.info({ carts: forgotten }, 'retention: emails of closed carts cleared');
        return removed;
      } finally {
        running = undefined;
      }
    })());
  const tick = () => void run().catch((err) => o.log.error({ err }, 'retention run failed'));
  const first = setTimeout(tick, 5_000);
  const timer = setInterval(tick, o.tickMs ?? 3_600_000);
  first.unref();
  timer.unref();
  return {
    run,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
