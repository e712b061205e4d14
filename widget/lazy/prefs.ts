// The preference centre's engine half, kept out of the first script: opening the panel (ui/preferences-panel.tsx,
// with the UI runtime, only when the shopper asks for it), and the server copy of an identified shopper's choice —
// saved with each choice, and fetched when a device first sees that shopper, so it follows them (the newest
// choice, by when it was made, wins).
import type { Preferences, ShopperPreferences } from '../../server/schema';
import { report } from '../safe';

export { setDebug } from '../safe';

/** What the engine hands over: where things are, who the shopper is, and how to adopt a choice. */
export interface PrefsHost {
  api: string;
  visitorId: string;
  /** The shop's user id, once kairos('identify') named one. */
  user: string | undefined;
  prefs: ShopperPreferences | undefined;
  topics: Preferences['topics'];
  nonce?: string | undefined;
  /** Adopts a choice at once; `saved`: the shopper made it here (not one fetched from the server). */
  set(p: ShopperPreferences, saved?: boolean): void;
}

const url = (h: PrefsHost) => h.api + '/v1/preferences/' + encodeURIComponent(h.user!);

/** Opens the panel; saving adopts the choice and, for an identified shopper, stores it on the server. */
export async function open(h: PrefsHost): Promise<void> {
  const ui = await import('../ui/preferences-panel');
  ui.open({
    prefs: h.prefs,
    topics: h.topics,
    nonce: h.nonce,
    save(p) {
      h.set(p, true);
      if (h.user)
        fetch(url(h), { method: 'POST', body: JSON.stringify({ ...p, visitor_id: h.visitorId }), credentials: 'omit', keepalive: true }).catch((e) =>
          report('preferences', e),
        );
    },
  });
}

/** The identified shopper's stored choice, adopted when it is newer than this device's. */
export async function pull(h: PrefsHost): Promise<void> {
  const r = await fetch(url(h), { credentials: 'omit' });
  if (!r.ok) return; // 404: nothing saved yet
  const p = (await r.json()) as ShopperPreferences;
  if (!h.prefs || p.at > h.prefs.at) h.set(p);
}
