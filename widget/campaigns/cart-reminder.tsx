// The abandoned-cart reminder: a slide-in in a bottom corner (full width at the bottom on phones) that tells a
// returning shopper what is still in the cart — "You left 2 items in your cart", thumbnails, names, the total in
// the shop's currency — with a button back to the cart.
//
// It does not interrupt: a non-modal dialog that takes no focus and leaves the page usable; its headline is
// announced politely once; Escape (with focus inside) and the × close it. It reads the cart the engine knows
// (the profile) and renders nothing when the cart is empty or a merge tag has no value.
import { useEffect, useState } from 'preact/hooks';
import type { PublicCampaign } from '../../server/schema';
import type { CartLine } from '../profile';
import type { MountCampaign, UIActions } from '../ui/contract';
import { fill, money, plural, profileValues } from '../ui/copy';
import { renderView, showWith } from '../ui/mount';
import { PREFS_CSS, PrefsLink } from '../ui/prefs-link';
import { adoptStyles } from '../ui/styles';

type Reminder = Extract<PublicCampaign, { type: 'cart_reminder' }>;

/** Lines shown with a thumbnail; the rest are summed up as "+ N more". */
const SHOWN_LINES = 3;

/** The preference link sits mostly in the panel's bottom padding, so the reminder grows by a few pixels only. */
const PREFS_PLACE = `
.prefs-slot { display: block; margin: 4px 0 -16px; text-align: center; color: #4b5563; }
.prefs-slot .prefs { padding: 2px; }
`;

const CSS = `
:host { all: initial; }
.panel {
  box-sizing: border-box; position: fixed; bottom: 16px; width: 360px; max-width: calc(100vw - 32px);
  max-height: calc(100vh - 32px); overflow: auto; overscroll-behavior: contain; margin: 0; padding: 20px;
  border: 0; border-radius: 14px; background: #fff; color: #1b1f24;
  box-shadow: 0 16px 48px rgba(16, 24, 40, 0.24), 0 2px 6px rgba(16, 24, 40, 0.12);
  font: 400 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; text-align: start;
}
.right { right: 16px; }
.left { left: 16px; }
h2 { margin: 0 40px 4px 0; font-size: 18px; line-height: 1.3; font-weight: 700; color: #101418; overflow-wrap: anywhere; }
.text { margin: 0 0 8px; color: #4b5563; }
ul { list-style: none; margin: 12px 0 0; padding: 0; }
li { display: flex; align-items: center; gap: 12px; padding: 6px 0; }
img, .ph { flex: none; width: 48px; height: 48px; border-radius: 8px; object-fit: cover; background: #eef1f3; }
.name { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.qty { color: #4b5563; white-space: nowrap; }
.more { margin: 4px 0 0; color: #4b5563; }
.total { display: flex; justify-content: space-between; margin: 12px 0 0; padding-top: 12px; border-top: 1px solid #e5e7eb; font-weight: 700; }
.btn {
  box-sizing: border-box; display: flex; align-items: center; justify-content: center; min-height: 44px; width: 100%;
  margin: 16px 0 0; padding: 10px 16px; border-radius: 10px; text-decoration: none; font: 600 16px/1.25 inherit;
  font-family: inherit; background: var(--kairos-accent, #0f5c57); color: var(--kairos-accent-text, #fff);
}
.btn:hover { filter: brightness(1.08); }
.close {
  position: absolute; top: 8px; inset-inline-end: 8px; width: 40px; height: 40px; margin: 0; padding: 0; border: 0; border-radius: 20px;
  background: transparent; color: #4b5563; cursor: pointer; font: 400 26px/40px system-ui, sans-serif;
}
.close:hover { background: rgba(16, 24, 40, 0.06); }
.btn:focus-visible, .close:focus-visible { outline: 3px solid var(--kairos-accent, #0f5c57); outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 480px) { .panel { left: 0; right: 0; bottom: 0; width: 100%; max-width: none; border-radius: 16px 16px 0 0; } }
@media (prefers-reduced-motion: no-preference) {
  .panel { animation: kairos-slide 260ms cubic-bezier(0.2, 0.8, 0.2, 1); }
  @keyframes kairos-slide { from { opacity: 0; transform: translateY(24px); } }
}
`;

interface ViewProps {
  campaign: Reminder;
  actions: UIActions;
  headline: string;
  text: string | null;
  lines: [string, CartLine][];
  total: string;
  locale: string;
  currency: string;
}

function CartReminderView({ campaign, actions, headline, text, lines, total, locale, currency }: ViewProps) {
  const { content, position } = campaign;
  // Announced once, a tick after the region exists (screen readers announce changes, not initial content).
  const [announced, setAnnounced] = useState('');
  useEffect(() => setAnnounced(headline), [headline]);
  const hidden = lines.length - SHOWN_LINES;
  return (
    <section
      class={`panel ${position === 'bottom-left' ? 'left' : 'right'}`}
      role="dialog"
      aria-modal="false"
      aria-labelledby="kairos-title"
      onKeyDown={(e) => e.key === 'Escape' && actions.dismiss()}
    >
      <span class="sr-only" aria-live="polite">
        {announced}
      </span>
      <button type="button" class="close" aria-label={content.close_label} onClick={() => actions.dismiss()}>
        <span aria-hidden="true">×</span>
      </button>
      <h2 id="kairos-title">{headline}</h2>
      {text && <p class="text">{text}</p>}
      <ul>
        {lines.slice(0, SHOWN_LINES).map(([id, l]) => (
          <li key={id} class="line">
            {l.image ? <img src={l.image} alt="" width={48} height={48} loading="lazy" /> : <span class="ph" />}
            <span class="name">{l.name ?? id}</span>
            <span class="qty">
              {l.quantity} × {money(l.price, currency, locale)}
            </span>
          </li>
        ))}
      </ul>
      {hidden > 0 && <p class="more">+ {hidden} more</p>}
      <p class="total">
        <span>Total</span> <span class="cart-total">{total}</span>
      </p>
      <a class="btn" href={content.button.url} onClick={() => actions.click(content.button.url)}>
        {content.button.label}
      </a>
      <PrefsLink />
    </section>
  );
}

export const mount: MountCampaign = ({ root, campaign, actions, env }) => {
  if (campaign.type !== 'cart_reminder') throw new Error('cart-reminder cannot render ' + campaign.type);
  const lines = Object.entries(env.profile.cart).filter(([, l]) => l.quantity > 0);
  if (!lines.length) return Promise.resolve(null); // emptied meanwhile: nothing to remind of
  const locale = env.locale!;
  const values = profileValues(env.profile, env.currency, locale);
  const cart = values['cart'] as { count: number; total: string; currency: string };
  const headline = fill(plural(campaign.content.headline, cart.count, locale), values);
  const text = campaign.content.text === undefined ? null : fill(campaign.content.text, values);
  if (headline === null || (campaign.content.text !== undefined && text === null)) return Promise.resolve(null);

  adoptStyles(root, CSS + PREFS_CSS + PREFS_PLACE, env.nonce);
  const host = root.host as HTMLElement;
  host.style.setProperty('--kairos-accent', campaign.theme.accent);
  host.style.setProperty('--kairos-accent-text', campaign.theme.accent_text);
  const view = { campaign, actions, headline, text, lines, total: cart.total, locale, currency: cart.currency };
  return renderView(root, <CartReminderView {...view} />);
};

export const show = showWith(mount);
