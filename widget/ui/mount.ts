// Puts a campaign on the page: one <kairos-campaign> host per campaign, an open shadow root inside it, and the
// campaign's UI module fetched with import() only now that it shows (the engine never ships Preact).
// The host's inline `!important` styles beat anything the shop's CSS says about unknown elements; the shadow
// root keeps our CSS in and theirs out. Hosts are fixed-position overlays, so nothing on the page moves.
import type { PublicCampaign } from '../../server/schema';
import type { MountCampaign, UIActions } from './contract';

const HOST_STYLE = 'all:initial;display:block;position:fixed;left:0;right:0;z-index:2147483000'.replace(/;|$/g, '!important;');

export interface MountDeps {
  /** Absolute URL of the UI module for this campaign type. */
  moduleUrl: string;
  nonce?: string | undefined;
  /** Injected for tests; defaults to a real dynamic import. */
  load?: (url: string) => Promise<{ mount: MountCampaign }>;
}

/** Shows `campaign`; resolves with a function that takes it down again. */
export async function mountCampaign(campaign: PublicCampaign, actions: UIActions, deps: MountDeps): Promise<() => void> {
  const load = deps.load ?? ((url: string) => import(/* @vite-ignore */ url) as Promise<{ mount: MountCampaign }>);
  const mod = await load(deps.moduleUrl);
  const host = document.createElement('kairos-campaign');
  host.setAttribute('data-campaign', campaign.id);
  host.style.cssText = HOST_STYLE + ('position' in campaign ? `${campaign.position}:0!important` : '');
  const root = host.attachShadow({ mode: 'open' });
  (document.body ?? document.documentElement).appendChild(host);
  let unmountUI: () => void;
  try {
    unmountUI = mod.mount({ root, campaign, actions, nonce: deps.nonce });
  } catch (e) {
    host.remove();
    throw e;
  }
  return () => {
    try {
      unmountUI();
    } finally {
      host.remove();
    }
  };
}
