// "12 bought in the last 24 hours": orders of this product the server stored in the last 24 hours
// (GET /v1/purchases), shown on product pages when the number reaches the campaign's floor; otherwise nothing
// shows and no impression is counted. The number is measured, never configured.
import type { PublicCampaign } from '../../server/schema';
import { productId } from '../lazy/presence';
import type { MountCampaign } from '../ui/contract';
import { renderView, showWith } from '../ui/mount';
import { PROOF_CSS, ProofCard, proofText } from '../ui/proof';
import { adoptStyles } from '../ui/styles';

type RecentPurchases = Extract<PublicCampaign, { type: 'recent_purchases' }>;

/** The measured count for this page's product, or undefined off product pages or when the server cannot say. */
export async function purchasesHere(c: RecentPurchases, api: string): Promise<number | undefined> {
  const id = productId(location.pathname, c.product_path ?? '/products/{id}');
  if (id === undefined) return undefined;
  const res = await fetch(`${api}/v1/purchases?product=${encodeURIComponent(id)}`, { credentials: 'omit' });
  if (!res.ok) return undefined;
  const { count } = (await res.json()) as { count: number };
  return typeof count === 'number' ? count : undefined;
}

export const mount: MountCampaign = async ({ root, campaign, actions, env }) => {
  if (campaign.type !== 'recent_purchases') throw new Error('recent-purchases cannot render ' + campaign.type);
  const count = await purchasesHere(campaign, env.api);
  if (count === undefined || count < campaign.min_count || !proofText(campaign, count).text) return null;
  adoptStyles(root, PROOF_CSS, env.nonce);
  return renderView(root, <ProofCard campaign={campaign} count={count} actions={actions} />);
};

export const show = showWith(mount);
