// The campaign config, stale-while-revalidate: the copy cached in IndexedDB by the last page is there at once;
// a fresh copy is fetched on every page. The server answers with an ETag and `Cache-Control: no-cache`, so the
// browser's own HTTP cache revalidates and an unchanged config costs a 304 — no custom request headers, which
// would trigger a CORS preflight on every page.
import type { PublicConfig } from '../server/schema';
import type { KV } from './storage';
import { fetchNow, report } from './safe';

const KEY = 'config';
/** Given up after this long (the cached config is used meanwhile after 400 ms, see engine.ts). */
const FETCH_TIMEOUT_MS = 2500;

export interface ConfigClient {
  cached(): Promise<PublicConfig | undefined>;
  /** The server's current config (also cached for the next page), or undefined if it cannot be had now. */
  fetchFresh(): Promise<PublicConfig | undefined>;
}

const isConfig = (c: unknown): c is PublicConfig =>
  !!c && typeof c === 'object' && typeof (c as PublicConfig).version === 'string' && Array.isArray((c as PublicConfig).campaigns);

export function createConfigClient(opts: { api: string; kv: KV; fetchImpl?: typeof fetch }): ConfigClient {
  const doFetch = opts.fetchImpl ?? fetchNow;
  return {
    async cached() {
      const c = await opts.kv.get<unknown>(KEY);
      return isConfig(c) ? c : undefined;
    },
    async fetchFresh() {
      try {
        // The signal ends the body's download too. Browsers without AbortSignal.timeout (before 2022) wait.
        const res = await doFetch(opts.api + '/v1/config', { credentials: 'omit', mode: 'cors', signal: AbortSignal.timeout?.(FETCH_TIMEOUT_MS) });
        const config: unknown = res.ok && (await res.json());
        if (!isConfig(config)) throw new Error('config: HTTP ' + res.status);
        opts.kv.set(KEY, config).catch((e) => report('config', e));
        return config;
      } catch (e) {
        report('config', e);
        return undefined;
      }
    },
  };
}
