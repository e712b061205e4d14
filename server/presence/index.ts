// Which presence store a server uses: Redis when REDIS_URL is set (several instances count together), else the
// in-process one.
import { createMemoryPresence, type MemoryPresence } from './memory';
import { createRedisPresence, type RedisPresence } from './redis';

export type { PresenceStore } from './types';
export { createMemoryPresence, type MemoryPresence, type MemoryPresenceOptions } from './memory';
export { createRedisPresence, redactRedisUrl, type RedisPresence, type RedisPresenceOptions } from './redis';

export type OpenedPresence = MemoryPresence | RedisPresence;

export interface OpenPresenceOptions {
  /** Told when a Redis connection fails or comes back (once per change). */
  onStatus?: (message: string, healthy: boolean) => void;
}

/**
 * `REDIS_URL` set (non-empty): a Redis store (`KAIROS_REDIS_PREFIX`, default `kairos:`, prefixes its keys);
 * otherwise the in-process store. `description` says which, without credentials.
 */
export function openPresence(env: NodeJS.ProcessEnv, opts: OpenPresenceOptions = {}): OpenedPresence {
  const url = env['REDIS_URL']?.trim();
  if (url) {
    return createRedisPresence({
      url,
      ...(env['KAIROS_REDIS_PREFIX'] !== undefined && { prefix: env['KAIROS_REDIS_PREFIX'] }),
      ...(opts.onStatus && { onStatus: opts.onStatus }),
    });
  }
  return createMemoryPresence();
}
