// The social-proof card both "n viewing now" and "n bought today" render: a small pill in a corner, overlaid (so
// nothing on the page moves when it appears, changes or goes), clear of a bottom or top bar. The number changes
// in place; screen readers hear it once, politely, when it first appears — never on every update.
import { useEffect, useState } from 'preact/hooks';
import type { PublicCampaign } from '../../server/schema';
import type { UIActions } from './contract';
import { fill, pickLocale, plural, wantedLocales } from './copy';
import { PREFS_CSS, PrefsLink } from './prefs-link';

type Proof = Extract<PublicCampaign, { type: 'viewing_now' | 'recent_purchases' }>;

export const PROOF_CSS = PREFS_CSS + `
:host { all: initial; }
.proof {
  box-sizing: border-box; position: fixed; display: flex; align-items: center; gap: 10px; max-width: min(360px, calc(100vw - 32px));
  margin: 0; padding: 10px 8px 10px 14px; border-radius: 999px; background: #fff; color: #1b1f24;
  box-shadow: 0 8px 24px rgba(16, 24, 40, 0.18), 0 1px 3px rgba(16, 24, 40, 0.12);
  font: 500 14px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.bottom-left { left: 16px; bottom: 72px; }
.bottom-right { right: 16px; bottom: 72px; }
.top-left { left: 16px; top: 72px; }
.top-right { right: 16px; top: 72px; }
.dot { flex: none; width: 10px; height: 10px; border-radius: 5px; background: #16a34a; }
.text { margin: 0; font-variant-numeric: tabular-nums; }
.close {
  flex: none; width: 32px; height: 32px; margin: 0; padding: 0; border: 0; border-radius: 16px; cursor: pointer;
  background: transparent; color: #4b5563; font: 400 20px/32px system-ui, sans-serif;
}
.close:hover { background: rgba(16, 24, 40, 0.06); }
.close:focus-visible { outline: 2px solid #0f5c57; outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (prefers-reduced-motion: no-preference) {
  .proof { animation: kairos-fade-in 240ms ease-out; }
  @keyframes kairos-fade-in { from { opacity: 0; transform: translateY(6px); } }
}
`;

/** The copy for `count` in the shopper's language, or null when a merge tag has no value. */
export function proofText(campaign: Proof, count: number, wanted: readonly string[] = wantedLocales()): { text: string | null; locale: string } {
  const [locale, copy] = pickLocale(campaign.content, wanted);
  return { text: fill(plural(copy, count, locale), { count }), locale };
}

/** The card; renders nothing while `count` is below the campaign's floor. */
export function ProofCard({ campaign, count, actions }: { campaign: Proof; count: number; actions: UIActions }) {
  const shown = count >= campaign.min_count;
  const { text, locale } = proofText(campaign, count);
  // Filled one tick after the card first appears (live regions announce changes), then left alone.
  const [announced, setAnnounced] = useState('');
  useEffect(() => {
    if (shown && text && !announced) setAnnounced(text);
  }, [shown, text]);
  if (!shown || !text) return null;
  return (
    <div class={`proof ${campaign.position}`} lang={locale}>
      <span class="dot" aria-hidden="true" />
      <p class="text" aria-hidden="true">
        {text}
      </p>
      <span class="sr-only" aria-live="polite">
        {announced}
      </span>
      <PrefsLink />
      <button type="button" class="close" aria-label="Hide" onClick={() => actions.dismiss()}>
        <span aria-hidden="true">×</span>
      </button>
    </div>
  );
}
