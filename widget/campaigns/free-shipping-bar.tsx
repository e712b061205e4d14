// The free-shipping bar: how far the cart is from free shipping ("€12.50 away from free shipping"), then "You've
// unlocked free shipping", with a slim progress meter. It follows the cart live: the engine calls back after each
// tracked event (Product Added, Cart Viewed, an adapter's update) and the bar re-reads the profile. Changes are
// announced politely; the bar's size stays the same, so nothing moves.
import { useEffect, useState } from 'preact/hooks';
import type { PublicCampaign } from '../../server/schema';
import { BarFrame, mountBar } from '../ui/bar';
import type { MountCampaign, UIActions, UIEnv } from '../ui/contract';
import { fill, money, profileValues } from '../ui/copy';
import { showWith } from '../ui/mount';

type FreeShipping = Extract<PublicCampaign, { type: 'free_shipping_bar' }>;

const CSS = `
.meter { flex: 0 0 min(240px, 100%); height: 6px; border-radius: 3px; overflow: hidden; background: rgba(127, 127, 127, 0.35); }
.fill { display: block; height: 100%; width: var(--kairos-progress); background: currentColor; border-radius: 3px; }
@media (prefers-reduced-motion: no-preference) { .fill { transition: width 300ms ease-out; } }
`;

/** The bar's text and progress (0–1) for a cart value; null when a merge tag has no value. */
export function freeShippingText(c: FreeShipping, env: Pick<UIEnv, 'profile' | 'currency'>, locale: string): [string, number] | null {
  const values = profileValues(env.profile, env.currency, locale);
  const { value, currency } = values['cart'] as { value: number; currency: string };
  const remaining = Math.max(0, Math.round((c.threshold - value) * 100) / 100);
  const copy = value <= 0 ? c.content.empty : remaining > 0 ? c.content.progress : c.content.unlocked;
  const text = fill(copy, { ...values, remaining: money(remaining, currency, locale), threshold: money(c.threshold, currency, locale) });
  return text === null ? null : [text, Math.min(1, value / c.threshold)];
}

function FreeShippingView({ campaign, actions, env }: { campaign: FreeShipping; actions: UIActions; env: UIEnv }) {
  const [, setVersion] = useState(0);
  useEffect(() => env.onEvent(() => setVersion((v) => v + 1)), []);
  const shown = freeShippingText(campaign, env, env.locale!);
  if (!shown) return null;
  const [text, progress] = shown;
  return (
    <BarFrame
      campaign={campaign}
      label="Free shipping"
      announce={text}
      dismissible={campaign.content.dismissible}
      closeLabel="Dismiss"
      onDismiss={actions.dismiss}
    >
      <p class="text" aria-hidden="true">
        {text}
      </p>
      <span class="meter" aria-hidden="true">
        <span class="fill" style={{ '--kairos-progress': `${Math.round(progress * 100)}%` }} />
      </span>
    </BarFrame>
  );
}

export const mount: MountCampaign = (o) => {
  const c = o.campaign;
  if (c.type !== 'free_shipping_bar') throw new Error('free-shipping-bar cannot render ' + c.type);
  if (!freeShippingText(c, o.env, o.env.locale!)) return null; // a merge tag without a value: nothing to show
  return mountBar(o, <FreeShippingView campaign={c} actions={o.actions} env={o.env} />, CSS);
};

export const show = showWith(mount);
