// Abandoned carts by webhook, wired together: the detector (server/abandon.ts) and the delivery worker
// (deliver.ts) on two unref'd timers. Both are cheap when idle (one indexed query each), read the live config on
// every tick, and never overlap themselves. cli.ts starts this after the server listens and stops it before the
// store closes.
//
// Environment (all optional): KAIROS_WEBHOOK_SECRET (whsec_<base64>, required to send), KAIROS_ABANDON_TICK_MS
// (15000), KAIROS_WEBHOOK_TICK_MS (1000), KAIROS_WEBHOOK_LEASE_MS (60000), KAIROS_WEBHOOK_TIMEOUT_MS (10000).
import { createAbandonDetector, type AbandonDetector } from '../abandon';
import type { KairosConfig } from '../schema';
import type { Store } from '../store/types';
import { createDelivery, DEFAULT_LEASE_MS, DEFAULT_TIMEOUT_MS, type Delivery, type DeliveryLog } from './deliver';

export { createDelivery, USER_AGENT } from './deliver';
export { isForbiddenAddress } from './ssrf';
export { parseSecret, signature } from './sign';

export interface WebhookSettings {
  secret: string | undefined;
  abandonEveryMs: number;
  deliverEveryMs: number;
  leaseMs: number;
  timeoutMs: number;
}

export const DEFAULT_SETTINGS: Omit<WebhookSettings, 'secret'> = {
  abandonEveryMs: 15_000,
  deliverEveryMs: 1_000,
  leaseMs: DEFAULT_LEASE_MS,
  timeoutMs: DEFAULT_TIMEOUT_MS,
};

const ENV: Record<keyof typeof DEFAULT_SETTINGS, string> = {
  abandonEveryMs: 'KAIROS_ABANDON_TICK_MS',
  deliverEveryMs: 'KAIROS_WEBHOOK_TICK_MS',
  leaseMs: 'KAIROS_WEBHOOK_LEASE_MS',
  timeoutMs: 'KAIROS_WEBHOOK_TIMEOUT_MS',
};

/** The settings from the environment; a value that is not a positive whole number is reported and ignored. */
export function webhookSettings(env: NodeJS.ProcessEnv, warn: (msg: string) => void = () => undefined): WebhookSettings {
  const out: WebhookSettings = { secret: env['KAIROS_WEBHOOK_SECRET'] || undefined, ...DEFAULT_SETTINGS };
  for (const [key, name] of Object.entries(ENV) as Array<[keyof typeof DEFAULT_SETTINGS, string]>) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (/^\d+$/.test(raw.trim()) && Number(raw) > 0) out[key] = Number(raw);
    else warn(`${name}=${raw} is not a positive number of milliseconds; using ${out[key]}`);
  }
  return out;
}

export interface WebhookService {
  detector: AbandonDetector;
  delivery: Delivery;
  /** Clears the timers, aborts deliveries in flight and waits for running ticks (call before the store closes). */
  stop(): Promise<void>;
}

export function startWebhookService(deps: {
  store: Store;
  config: { readonly current: { readonly config: KairosConfig } };
  log: DeliveryLog;
  settings: WebhookSettings;
  now?: () => number;
}): WebhookService {
  const { store, config, log, settings } = deps;
  const now = deps.now ?? Date.now;
  const detector = createAbandonDetector({ store, config, log, now });
  const delivery = createDelivery({ store, config, log, now, secret: settings.secret, leaseMs: settings.leaseMs, timeoutMs: settings.timeoutMs });

  let detecting: Promise<unknown> | undefined;
  const detect = () => {
    if (detecting) return;
    detecting = detector
      .tick()
      .catch((e: unknown) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'abandoned-cart check failed'))
      .finally(() => (detecting = undefined));
  };
  // Ticks may overlap: a slow endpoint's attempt does not hold up the others. Leases (and the worker's own list
  // of messages in flight) keep one message to one attempt at a time; `concurrency` bounds the attempts in flight.
  const deliver = () => {
    delivery.deliverDue().catch((e: unknown) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'webhook delivery failed'));
  };

  const timers = [setInterval(detect, settings.abandonEveryMs), setInterval(deliver, settings.deliverEveryMs), setTimeout(() => (detect(), deliver()), 0)];
  for (const t of timers) t.unref();

  return {
    detector,
    delivery,
    async stop() {
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled([delivery.stop(), detecting]);
    },
  };
}
