// Puts a campaign on the page: one <kairos-campaign> host per campaign, an open shadow root inside it, and the
// campaign's UI module fetched with import() only now that it shows (the engine never ships Preact).
// The host's inline `!important` styles beat anything the shop's CSS says about unknown elements; the shadow
// root keeps our CSS in and theirs out. Hosts are fixed-position overlays, so nothing on the page moves.
import type { PublicCampaign } from '../../server/schema';
import type { MountCampaign, UIActions } from './contract';

const HOST_STYLE: [string, string][] = [
  ['all', 'initial'],
  ['display', 'block'],
  ['position', 'fixed'],
  ['left', '0'],
  ['right', '0'],
  ['z-index', '2147483000'],
];

export interface MountDeps {
  /** Absolute URL of the UI module for this campaign type. */
  moduleUrl: string;
  nonce?: string | undefined;
  /** ?kairos_preview: mark the campaign with a badge so nobody mistakes it for the live page. */
  preview?: boolean;
  /** Injected for tests; defaults to a real dynamic import. */
  load?: (url: string) => Promise<{ mount: MountCampaign }>;
}

/** Shows `campaign`; resolves with a function that takes it down again. */
export async function mountCampaign(campaign: PublicCampaign, actions: UIActions, deps: MountDeps): Promise<() => void> {
  const load = deps.load ?? ((url: string) => import(/* @vite-ignore */ url) as Promise<{ mount: MountCampaign }>);
  const mod = await load(deps.moduleUrl);
  const host = document.createElement('kairos-campaign');
  host.setAttribute('data-campaign', campaign.id);
  for (const [prop, value] of HOST_STYLE) host.style.setProperty(prop, value, 'important');
  if ('position' in campaign) host.style.setProperty(campaign.position, '0', 'important');
  const root = host.attachShadow({ mode: 'open' });
  (document.body ?? document.documentElement).appendChild(host);
  let unmountUI: () => void;
  try {
    unmountUI = mod.mount({ root, campaign, actions, nonce: deps.nonce });
  } catch (e) {
    host.remove();
    throw e;
  }
  const badge = deps.preview ? previewBadge(campaign.id) : undefined;
  return () => {
    try {
      unmountUI();
    } finally {
      host.remove();
      badge?.remove();
    }
  };
}

/**
 * A small "Preview" label in the corner. It is a popover so it sits in the top layer, above a modal dialog too
 * (whatever enters the top layer later is drawn on top).
 */
function previewBadge(id: string): HTMLElement {
  const badge = document.createElement('kairos-preview');
  badge.setAttribute('popover', 'manual');
  const css: [string, string][] = [
    ['all', 'initial'], ['position', 'fixed'], ['inset', 'auto 8px 8px auto'], ['margin', '0'], ['padding', '4px 8px'],
    ['border', '0'], ['border-radius', '4px'], ['background', '#b00020'], ['color', '#fff'], ['font', '600 12px/1.4 system-ui, sans-serif'],
    ['z-index', '2147483647'],
  ];
  for (const [prop, value] of css) badge.style.setProperty(prop, value, 'important');
  badge.textContent = `Kairos preview: ${id} — nothing is recorded`;
  (document.body ?? document.documentElement).appendChild(badge);
  try {
    (badge as HTMLElement & { showPopover(): void }).showPopover();
  } catch {
    // no popover support: the fixed position still shows it, below a modal's backdrop
  }
  return badge;
}
