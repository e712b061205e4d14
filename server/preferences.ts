// The preference centre's server half: an identified shopper's choice (all / fewer / bars / none, topics off)
// follows them to their other devices. POST /v1/preferences/:user stores it (the newest choice wins, by when the
// shopper made it), GET answers it. Pure parsing here; the routes are in app.ts, the rows in the store.
//
// Limits of the design, stated in the README: the shop's user id is the key, so anyone who knows a shopper's id
// can read or set their offer preferences. Both are harmless by construction — the record holds nothing but
// which offers to show — and a forged "nothing at all" only means fewer offers.
import { z } from 'zod';
import { formatPath } from './events';
import { ShopperPreferences } from './schema';

/** The shop's user id, as events carry it (EventInput.user_id): 1–200 characters, no control characters. */
export const USER_ID = /^[^\u0000-\u001f\u007f]{1,200}$/;

export const PREFERENCES_BODY_LIMIT = 2048;

const PreferencesInput = ShopperPreferences.extend({
  visitor_id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'an opaque id of 8–64 characters [A-Za-z0-9_-]'),
});

export type ParsedPreferences = { ok: true; prefs: ShopperPreferences; visitorId: string } | { ok: false; error: string };

/**
 * Checks a body: `{ level, off, at, visitor_id }`. `at` later than the server's clock (a device whose clock runs
 * ahead) is taken as now, so one fast clock cannot pin a choice against every later one.
 */
export function parsePreferences(body: string, now: number): ParsedPreferences {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const parsed = PreferencesInput.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const message = /received undefined$/.test(issue.message) ? 'missing required field' : issue.message;
    return { ok: false, error: `${formatPath(issue.path) || 'the body'}: ${message}` };
  }
  const { visitor_id, ...prefs } = parsed.data;
  return { ok: true, prefs: { ...prefs, off: [...new Set(prefs.off)], at: Math.min(prefs.at, now) }, visitorId: visitor_id };
}
