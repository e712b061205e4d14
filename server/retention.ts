// Retention: what is older than `privacy.retention_days` is deleted — events, idle carts, settled webhook messages
// and expired offer grants (Store.deleteExpired). Runs shortly after start and then every hour (or tickMs), one
// run at a time; the live config's value applies on the next run after a hot reload.
import type { KairosConfig } from './schema';
import type { Removed, Store } from './store/types';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: Pick<Store, 'deleteExpired'>;
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
        const cutoff = now() - o.config.current.config.privacy.retention_days * DAY_MS;
        const removed = await o.store.deleteExpired(cutoff);
        if (Object.values(removed).some((n) => n > 0)) o.log.info({ removed, cutoff }, 'retention: old data deleted');
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
