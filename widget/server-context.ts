// What the server knows about the shopper's surroundings (GET /v1/context: coarse location and the forecast), for
// rules on `geo.*` and `weather`. Part of the targeting chunk: fetched only when a rule needs it, at most once per
// page, and kept in sessionStorage for 15 minutes so the next pages of a visit judge at once. Campaigns that need
// it are simply not eligible until it answers (rules fail closed), then the engine re-arms them; nothing waits.
import type { ContextAnswer } from '../server/context';
import type { PublicConfig } from '../server/schema';
import { report } from './safe';

/** Where the answer is kept for the visit (also read by campaign copy for `{{weather.*}}` tags, ui/copy.ts). */
export const CONTEXT_KEY = 'kairos:context';
const FRESH_MS = 15 * 60_000;
const TIMEOUT_MS = 3000;

let answer: ContextAnswer | undefined;
let pending: Promise<void> | undefined;

/** The last answer, if any. */
export const serverContext = (): ContextAnswer | undefined => answer;

/** Does any audience or segment test the location or the weather, or any copy name them (`{{weather.max_temp_c}}`)? */
export const needsContext = (c: PublicConfig): boolean => /"(geo\.|weather)|\{\{\s*(geo|weather)\./.test(JSON.stringify([c.segments, c.campaigns]));

/**
 * Makes sure the answer is there or on its way when `config` needs it; calls `changed` once a fetched answer
 * has arrived (not when it came from sessionStorage, which is read synchronously here).
 */
export function ready(config: PublicConfig, api: string, changed: () => void): void {
  if (answer || pending || !needsContext(config)) return;
  try {
    const kept = JSON.parse(sessionStorage.getItem(CONTEXT_KEY) ?? 'null') as { at: number; body: ContextAnswer } | null;
    if (kept && Date.now() - kept.at < FRESH_MS && kept.at <= Date.now()) {
      answer = kept.body;
      return;
    }
  } catch {
    // no sessionStorage (sandboxed frame, privacy mode): fetch
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  pending = fetch(api + '/v1/context', { signal: ctl.signal, credentials: 'omit' })
    .then(async (r) => {
      if (!r.ok) throw new Error(`context: ${r.status}`);
      answer = (await r.json()) as ContextAnswer;
      try {
        sessionStorage.setItem(CONTEXT_KEY, JSON.stringify({ at: Date.now(), body: answer }));
      } catch {
        // full or unavailable: the next page asks again
      }
      changed();
    })
    .catch((e) => report('context', e))
    .finally(() => clearTimeout(timer));
}
