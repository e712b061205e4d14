// The seam between the engine (kairos.js, always loaded) and a campaign's UI module (loaded with import()
// only when that campaign shows). Types only: nothing here ships twice.
import type { PublicCampaign } from '../../server/schema';

export interface UIActions {
  /** The shopper closed the campaign; the engine records it and removes the host. */
  dismiss(): void;
  /** The shopper followed the campaign's link; navigation proceeds normally. */
  click(url: string): void;
}

export interface MountOptions {
  /** The open shadow root to render into; its host is positioned by the engine. */
  root: ShadowRoot;
  campaign: PublicCampaign;
  actions: UIActions;
  /** CSP nonce from the script tag, for the <style> fallback when constructable stylesheets are missing. */
  nonce?: string | undefined;
}

/** What every campaign UI module exports as `mount`: renders, and returns how to take it down again. */
export type MountCampaign = (opts: MountOptions) => () => void;
