// Puts a campaign on the page: the cross-tab modal lock for interruptions (two tabs never interrupt at once),
// one <kairos-campaign> host per campaign, an open shadow root inside it, and the campaign's own `mount` drawing
// into it. This runs in the UI chunks (the engine only imports a campaign's module
// and calls its `show`), so none of it weighs on the first script.
// The host's inline `!important` styles beat anything the shop's CSS says about unknown elements; the shadow
// root keeps our CSS in and theirs out. Hosts are fixed-position overlays, so nothing on the page moves.
import { render, type ComponentChild } from 'preact';
import type { MountCampaign, ShowCampaign } from './contract';

const MODAL_LOCK = 'kairos-modal';

const HOST_STYLE = 'all:initial;display:block;position:fixed;left:0;right:0;z-index:2147483000'.replace(/;|$/g, '!important;');

/** The `show` a campaign module exports, around its `mount`. */
export const showWith =
  (mount: MountCampaign): ShowCampaign =>
  async (campaign, actions, env) => {
    const release = env.lock ? await modalLock() : () => undefined;
    if (!release) return null;
    const host = document.createElement('kairos-campaign');
    host.setAttribute('data-campaign', campaign.id);
    host.style.cssText = HOST_STYLE + ('position' in campaign && /^(top|bottom)$/.test(campaign.position) ? `${campaign.position}:0!important` : '');
    // The host resets every inherited style (all: initial), direction too: it follows the page's on purpose, so a
    // right-to-left shop (Arabic, Hebrew, Persian) gets right-to-left campaigns.
    const dir = getComputedStyle(document.body ?? document.documentElement).direction === 'rtl' ? 'rtl' : 'ltr';
    host.dir = dir;
    host.style.setProperty('direction', dir, 'important');
    const root = host.attachShadow({ mode: 'open' });
    (document.body ?? document.documentElement).appendChild(host);
    let unmountUI: (() => void) | null;
    try {
      unmountUI = await mount({ root, campaign, actions, env });
    } catch (e) {
      host.remove();
      release();
      throw e;
    }
    if (!unmountUI) {
      host.remove();
      release();
      return null;
    }
    const un = unmountUI;
    return () => {
      try {
        un();
      } finally {
        host.remove();
        release();
      }
    };
  };

/**
 * Takes the cross-tab modal lock if no other tab holds it; resolves with its release, or null. Browsers without
 * the Web Locks API get no cross-tab guard (the shared fatigue budget in IndexedDB still limits interruptions).
 */
function modalLock(): Promise<(() => void) | null> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return Promise.resolve(() => undefined);
  return new Promise((resolve) => {
    locks
      .request(MODAL_LOCK, { ifAvailable: true }, (lock) => {
        if (!lock) return resolve(null);
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(() => resolve(() => undefined));
  });
}

/** Renders `view` into a container of its own in `root`; returns the unmount a campaign's `mount` hands back. */
export function renderView(root: ShadowRoot, view: ComponentChild): () => void {
  const container = document.createElement('div');
  root.appendChild(container);
  render(view, container);
  return () => {
    render(null, container);
    container.remove();
  };
}
