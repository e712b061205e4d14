// "3 other people are looking at this": the number of other visitors on this product or page now, measured by the
// presence heartbeats (lazy/presence.ts) and nothing else — the config has no field for a number. Shown when the
// `viewers` trigger saw the floor reached; the number then updates in place every heartbeat, and the card hides
// (and comes back) as it falls below or rises above the floor.
import { useEffect, useState } from 'preact/hooks';
import type { PublicCampaign } from '../../server/schema';
import { subscribe } from '../lazy/presence';
import type { MountCampaign, UIActions, UIEnv } from '../ui/contract';
import { renderView, showWith } from '../ui/mount';
import { PROOF_CSS, ProofCard } from '../ui/proof';
import { adoptStyles } from '../ui/styles';

type ViewingNow = Extract<PublicCampaign, { type: 'viewing_now' }>;

function ViewingNowView({ campaign, actions, env }: { campaign: ViewingNow; actions: UIActions; env: UIEnv }) {
  const [others, setOthers] = useState(0);
  useEffect(() => {
    const t = campaign.trigger;
    if (t.type !== 'viewers') return undefined;
    const opts = { api: env.api, visitorId: env.presenceId, win: window, intervalMs: (t.interval_seconds ?? 15) * 1000, productPath: t.product_path ?? '/products/{id}' };
    return subscribe(opts, setOthers);
  }, []);
  return <ProofCard campaign={campaign} count={others} actions={actions} />;
}

export const mount: MountCampaign = ({ root, campaign, actions, env }) => {
  if (campaign.type !== 'viewing_now') throw new Error('viewing-now cannot render ' + campaign.type);
  adoptStyles(root, PROOF_CSS, env.nonce);
  return renderView(root, <ViewingNowView campaign={campaign} actions={actions} env={env} />);
};

export const show = showWith(mount);
