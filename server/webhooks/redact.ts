// What a webhook message keeps once it is settled. A queued body holds personal data (the shopper's email in
// `cart.abandoned` and `lead.captured`) because the receiver needs it; once the message is delivered, given up on
// (failed) or disabled, nothing will ever send it again, so the stored body shrinks to what an operator needs to
// find it: the event type, its timestamp and the ids (cart, campaign, visitor; never the shop's user id, which
// names a customer), marked `"redacted": true`. The store applies this in the same write that settles the message
// (server/store/sqlite.ts), so a settled body never holds the address, whatever path settled it.
//
// The receiver has the full body (it answered 2xx to it); a failed or disabled message cannot be replayed from
// the outbox afterwards — there is no replay, and its address would otherwise wait there until retention.

/** The `data` fields a settled body keeps: ids that say which cart, campaign and visitor it was about. */
export const SETTLED_DATA_KEYS: readonly string[] = ['cart_id', 'campaign_id', 'visitor_id'];

export interface SettledBody {
  type?: string;
  timestamp?: string;
  data?: Record<string, string>;
  redacted: true;
}

/** The body a settled message keeps (pure, idempotent). A body that is not a JSON object keeps nothing but the mark. */
export function settledBody(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return JSON.stringify({ redacted: true } satisfies SettledBody);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return JSON.stringify({ redacted: true } satisfies SettledBody);
  const o = parsed as Record<string, unknown>;
  const out: SettledBody = { redacted: true };
  if (typeof o['type'] === 'string') out.type = o['type'];
  if (typeof o['timestamp'] === 'string') out.timestamp = o['timestamp'];
  const data = o['data'];
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const kept: Record<string, string> = {};
    for (const k of SETTLED_DATA_KEYS) {
      const v = (data as Record<string, unknown>)[k];
      if (typeof v === 'string') kept[k] = v;
    }
    out.data = kept;
  }
  // Key order: type, timestamp, data, redacted (as a person reads it).
  const { redacted, ...rest } = out;
  return JSON.stringify({ ...rest, redacted });
}
