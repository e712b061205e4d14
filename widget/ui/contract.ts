// The seam between the engine (kairos.js, always loaded) and a campaign's UI module (loaded with import()
// only when that campaign shows). Types only: nothing here ships twice.
import type { Preferences, PublicCampaign, ShopperPreferences } from '../../server/schema';
import type { Profile } from '../profile';
import type { KV } from '../storage';

export interface UIActions {
  /** The shopper closed the campaign; the engine records it (with `ms` on screen, when known) and removes the host. */
  dismiss(ms?: number): void;
  /** The shopper followed the campaign's link; navigation proceeds normally. */
  click(url: string): void;
  /** The shopper followed the "Offer preferences" link: the engine opens the preference centre. */
  preferences(): void;
  /**
   * Records an event about this campaign (`Experiment Viewed` with the variant, `Campaign Left`) for the report.
   * Optional so that a UI module newer than the engine that loaded it still works.
   */
  note?(name: string, props?: Record<string, string | number>): void;
}

/** What a campaign may know about where it runs, handed over by the engine. */
export interface UIEnv {
  /** API origin, e.g. https://kairos.shop.example (exit offers ask it for their code and deadline). */
  api: string;
  visitorId: string;
  /** The id presence heartbeats carry: empty under Global Privacy Control or before consent (then not counted). */
  presenceId: string;
  /** The session the campaign is shown in (a newsletter sign-up records it). */
  session: string;
  /** The engine's IndexedDB store (offers keep their grant there). */
  state: KV;
  /** The shopper's profile as the engine knows it now (read it again for the latest): traits and cart. */
  readonly profile: Profile;
  /** Adds traits to the shopper's profile on this device (kept, used by rules and merge tags; not sent anywhere). */
  traits(t: Record<string, string | number | boolean>): void;
  /** Calls `listener` after each tracked event (e.g. Product Added) has changed the profile; returns the unsubscribe. */
  onEvent(listener: (name: string) => void): () => void;
  /** The preference centre's link (config `preferences`): shown in every campaign unless `link: false`. */
  preferences?: Preferences | undefined;
  /** The shop's default currency (config `cart.currency`). */
  currency: string;
  /**
   * The language of the copy the campaign shows (`cy`; for one copy, the page's), for plurals, money and times. Set
   * by ui/mount.ts when it picks the copy: always there when a campaign's `mount` runs; the engine leaves it out.
   */
  locale?: string;
  /** ?kairos_preview: show as it would look, hand out nothing (an exit offer shows a sample code). */
  preview?: boolean;
  /** An interruption: take the cross-tab modal lock first, and show nothing if another tab holds it. */
  lock?: boolean;
  /** CSP nonce from the script tag, for the <style> fallback when constructable stylesheets are missing. */
  nonce?: string | undefined;
}

export interface MountOptions {
  /** The open shadow root to render into; its host is positioned by ui/mount.ts. */
  root: ShadowRoot;
  campaign: PublicCampaign;
  actions: UIActions;
  env: UIEnv;
}

/**
 * What a campaign renders with: draws into `root` and returns how to take it down again — or, resolving null,
 * says it has nothing to show (an offer whose deadline has passed), and the engine counts no impression.
 */
export type MountCampaign = (opts: MountOptions) => (() => void) | null | Promise<(() => void) | null>;

/** What every campaign UI module exports as `show` (see ui/mount.ts): host, shadow root, then `mount`. */
export type ShowCampaign = (campaign: PublicCampaign, actions: UIActions, env: UIEnv) => Promise<(() => void) | null>;

/** What the preference panel (ui/preferences-panel.tsx, opened by lazy/prefs.ts) exports as `open`. */
export type OpenPreferences = (o: {
  /** The shopper's current choice; none yet is "all offers". */
  prefs: ShopperPreferences | undefined;
  topics: Preferences['topics'];
  nonce?: string | undefined;
  /** Called with the new choice when the shopper saves; the panel then closes. */
  save(p: ShopperPreferences): void;
}) => void;
