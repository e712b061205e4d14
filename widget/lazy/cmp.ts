// Consent from the page's consent platform (config `privacy.consent: cmp`), loaded only for such configs. IAB TCF
// v2 (`__tcfapi`, which every registered CMP provides): its answers are turned into the shopper's consent and handed
// to the engine as kairos('consent', …) would be. Any other platform works through its own callback calling
// kairos('consent', { analytics, marketing }) (the generic route; the README shows OneTrust and Cookiebot).
import { safe } from '../safe';

export { setDebug } from '../safe';

export interface Consent {
  analytics: boolean;
  marketing: boolean;
}

/** What a TCF v2 CMP answers (the fields read here). */
export interface TcData {
  eventStatus?: string;
  gdprApplies?: boolean;
  purpose?: { consents?: Record<string, boolean | undefined> };
}

type TcfApi = (command: string, version: number, callback: (data: TcData, success: boolean) => void) => void;

/**
 * The consent in a TCF answer, or undefined while the shopper has not decided (the CMP's UI is still showing).
 * TCF v2.2 purposes: 1 store or access information on a device, 8 measure content performance → analytics;
 * 1, 5 and 6 (profiles to personalise content, used to select it) → marketing. Where GDPR does not apply, the
 * CMP says so and both are given.
 */
export function fromTcData(d: TcData): Consent | undefined {
  if (d.eventStatus !== 'tcloaded' && d.eventStatus !== 'useractioncomplete') return undefined;
  if (d.gdprApplies === false) return { analytics: true, marketing: true };
  const p = d.purpose?.consents ?? {};
  return { analytics: !!(p[1] && p[8]), marketing: !!(p[1] && p[5] && p[6]) };
}

/** How long to wait for a CMP whose script loads after ours: every 250 ms, for 10 s. */
const TRIES = 40;

/** Listens to the page's TCF API (waiting for it to appear); `onConsent` gets every decision, withdrawals too. */
export function watch(win: Window, onConsent: (c: Consent) => void): void {
  let tries = 0;
  const attach = safe('cmp', () => {
    const api = (win as Window & { __tcfapi?: TcfApi }).__tcfapi;
    if (typeof api !== 'function') return void (++tries < TRIES && setTimeout(attach, 250));
    api(
      'addEventListener',
      2,
      safe('cmp', (data: TcData, success: boolean) => {
        const c = success && data ? fromTcData(data) : undefined;
        if (c) onConsent(c);
      }),
    );
  });
  attach();
}
