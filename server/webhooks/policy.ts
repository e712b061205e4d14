// What an attempt's outcome means for the message: the pure part of delivery, tested with tables.
//
//   2xx                      delivered
//   410 Gone                 the endpoint is gone: disable it (this message and every later one for it)
//   429 (and 503)            try again at Retry-After (seconds or an HTTP date) when given, else back off
//   anything else, 3xx too,  back off exponentially with full jitter: a random delay in [0, min(cap, base·2^(n-1)));
//   network errors, timeouts give up (failed) only when the attempt that failed started more than 24 h after the
//                            first one
import type { OutboxOutcome } from '../store/types';
import type { PostResult } from './http';

export const RETRY_BASE_MS = 30_000;
export const RETRY_CAP_MS = 6 * 3_600_000;
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** The shortest wait between attempts (full jitter can draw 0). */
export const MIN_RETRY_MS = 1_000;

/** The back-off delay before attempt `attempts + 1`; `random` in [0, 1). */
export function backoffMs(attempts: number, random: () => number): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.max(MIN_RETRY_MS, Math.floor(random() * ceiling));
}

/** Retry-After as a delay in ms from `now`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (!/[a-z]/i.test(v) || Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

export interface AttemptContext {
  /** When this attempt started. */
  now: number;
  /** When the first attempt started (this one, for a first attempt). */
  firstAttemptAt: number;
  /** Attempts made so far, this one included. */
  attempts: number;
  random: () => number;
}

const describe = (status: number) =>
  status >= 300 && status < 400 ? `answered ${status} (redirects are not followed; configure the final URL)` : `answered ${status}`;

export function decide(result: PostResult, ctx: AttemptContext): OutboxOutcome {
  const { now } = ctx;
  if (result.kind === 'response' && result.status >= 200 && result.status < 300)
    return { status: 'delivered', at: now, http_status: result.status };
  if (result.kind === 'response' && result.status === 410)
    return { status: 'disabled', at: now, error: 'answered 410 Gone: endpoint disabled', http_status: 410 };

  const error = result.kind === 'response' ? describe(result.status) : result.message;
  const http_status = result.kind === 'response' ? result.status : null;
  if (now - ctx.firstAttemptAt > GIVE_UP_AFTER_MS)
    return { status: 'failed', at: now, error: `${error}; gave up after ${ctx.attempts} attempts over more than 24 h`, http_status };

  let delay = backoffMs(ctx.attempts, ctx.random);
  if (result.kind === 'response' && (result.status === 429 || result.status === 503)) {
    const asked = retryAfterMs(result.retryAfter, now);
    // Honoured as asked, within reason: not sooner than a second, not later than the back-off cap.
    if (asked !== null) delay = Math.min(RETRY_CAP_MS, Math.max(MIN_RETRY_MS, asked));
  }
  return { status: 'pending', next_attempt_at: now + delay, error, http_status };
}
