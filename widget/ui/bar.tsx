// The shell every bar shares (announcement, countdown, free shipping, newsletter): a strip fixed to the top or
// bottom edge, clear of phones' notches and home indicators (safe-area insets), themed, with an optional dismiss
// button. It overlays the page, so nothing moves; with `push: true` it pads <body> by its own height instead
// (kept in step with a ResizeObserver, given back on unmount) so the page's content is never hidden under it.
import type { ComponentChild, ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PublicCampaign } from '../../server/schema';
import type { MountOptions, UIActions } from './contract';
import { renderView } from './mount';
import { PREFS_CSS, PrefsLink } from './prefs-link';
import { adoptStyles } from './styles';

export type BarCampaign = Extract<PublicCampaign, { type: 'announcement_bar' | 'countdown_bar' | 'free_shipping_bar' | 'newsletter_bar' }>;

export const BAR_CSS = `
:host { all: initial; }
.bar {
  box-sizing: border-box; display: flex; flex-wrap: wrap; align-items: center; justify-content: center; gap: 8px 12px;
  width: 100%; min-height: 44px; padding: 8px 56px 8px 16px; position: relative;
  background: var(--kairos-bg); color: var(--kairos-fg);
  font: 500 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; text-align: center;
  box-shadow: 0 0 12px rgba(0, 0, 0, 0.18);
}
.top { padding-top: max(8px, env(safe-area-inset-top)); }
.bottom { padding-bottom: max(8px, env(safe-area-inset-bottom)); }
.bar { padding-left: max(16px, env(safe-area-inset-left)); padding-right: max(56px, env(safe-area-inset-right)); }
:host([dir=rtl]) .bar { padding-left: max(56px, env(safe-area-inset-left)); padding-right: max(16px, env(safe-area-inset-right)); }
.text { margin: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.link { color: inherit; font-weight: 700; text-decoration: underline; text-underline-offset: 3px; white-space: nowrap; }
.link:focus-visible, .close:focus-visible { outline: 2px solid currentColor; outline-offset: 2px; }
.close {
  position: absolute; inset-inline-end: max(6px, env(safe-area-inset-right)); top: 50%; transform: translateY(-50%);
  width: 40px; height: 40px; border: 0; border-radius: 20px; padding: 0; cursor: pointer;
  background: transparent; color: inherit; font: 400 24px/40px system-ui, sans-serif;
}
.close:hover { background: rgba(127, 127, 127, 0.25); }
@media (prefers-reduced-motion: no-preference) {
  .bar { animation: kairos-in 240ms ease-out; }
  .top { --kairos-from: -100%; }
  .bottom { --kairos-from: 100%; }
  @keyframes kairos-in { from { transform: translateY(var(--kairos-from)); } to { transform: none; } }
}
@media (max-width: 480px) { .bar { font-size: 14px; padding-left: max(12px, env(safe-area-inset-left)); } }
`;

/**
 * The bar's frame: a labelled region, the content, and a dismiss button when `dismissible`. `announce` is read
 * out by screen readers (a visually hidden live region filled one tick after it exists, so it is announced;
 * updates are announced too) — pass the bar's text as it changes.
 */
export function BarFrame(props: {
  campaign: BarCampaign;
  label: string;
  announce: string;
  dismissible: boolean;
  closeLabel?: string;
  onDismiss: () => void;
  children: ComponentChildren;
}) {
  const [announced, setAnnounced] = useState('');
  useEffect(() => setAnnounced(props.announce), [props.announce]);
  return (
    <div class={`bar ${props.campaign.position}`} role="region" aria-label={props.label}>
      {props.children}
      <PrefsLink />
      <span class="sr-only" aria-live="polite">
        {announced}
      </span>
      {props.dismissible && (
        <button type="button" class="close" aria-label={props.closeLabel ?? 'Dismiss'} onClick={props.onDismiss}>
          <span aria-hidden="true">×</span>
        </button>
      )}
    </div>
  );
}

/** A bar's optional link; following it counts as a click. */
export function BarLink({ link, actions }: { link: { label: string; url: string } | undefined; actions: UIActions }) {
  return link ? (
    <a class="link" href={link.url} onClick={() => actions.click(link.url)}>
      {link.label}
    </a>
  ) : null;
}

/** Styles, theme and (with `push`) the page padding for a bar; renders `view`; returns the unmount. */
export function mountBar({ root, campaign, env }: MountOptions, view: ComponentChild, css = ''): () => void {
  const bar = campaign as BarCampaign;
  adoptStyles(root, BAR_CSS + PREFS_CSS + css, env.nonce);
  const host = root.host as HTMLElement;
  host.style.setProperty('--kairos-bg', bar.theme.background);
  host.style.setProperty('--kairos-fg', bar.theme.color);
  const unrender = renderView(root, view);
  const unpush = bar.push ? pushPage(host, bar.position) : undefined;
  return () => {
    unpush?.();
    unrender();
  };
}

/** Pads <body> on the bar's edge by the host's height while it is shown; restores the page's own padding. */
function pushPage(host: HTMLElement, edge: 'top' | 'bottom'): () => void {
  const body = document.body;
  const prop = edge === 'top' ? 'padding-top' : 'padding-bottom';
  const inline = body.style.getPropertyValue(prop);
  const priority = body.style.getPropertyPriority(prop);
  const base = parseFloat(getComputedStyle(body).getPropertyValue(prop)) || 0;
  const fit = () => body.style.setProperty(prop, `${base + host.offsetHeight}px`, 'important');
  fit();
  const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(fit) : undefined;
  ro?.observe(host);
  return () => {
    ro?.disconnect();
    if (inline) body.style.setProperty(prop, inline, priority);
    else body.style.removeProperty(prop);
  };
}
