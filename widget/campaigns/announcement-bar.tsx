// The announcement bar: one line of text, an optional link and a dismiss button, overlaid at the top or bottom
// of the viewport (fixed, so nothing on the page moves). Renders data only — it never touches storage or the
// network; what the shopper does goes back through `actions`.
import { useEffect, useState } from 'preact/hooks';
import type { PublicCampaign } from '../../server/schema';
import type { MountCampaign, UIActions } from '../ui/contract';
import { renderView, showWith } from '../ui/mount';
import { adoptStyles } from '../ui/styles';

type Bar = Extract<PublicCampaign, { type: 'announcement_bar' }>;

const CSS = `
:host { all: initial; }
.bar {
  box-sizing: border-box; display: flex; align-items: center; justify-content: center; gap: 12px;
  width: 100%; min-height: 44px; padding: 8px 56px 8px 16px; position: relative;
  background: var(--kairos-bg); color: var(--kairos-fg);
  font: 500 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; text-align: center;
  box-shadow: 0 0 12px rgba(0, 0, 0, 0.18);
}
.text { margin: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.link { color: inherit; font-weight: 700; text-decoration: underline; text-underline-offset: 3px; white-space: nowrap; }
.link:focus-visible, .close:focus-visible { outline: 2px solid currentColor; outline-offset: 2px; }
.close {
  position: absolute; right: 6px; top: 50%; transform: translateY(-50%);
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
@media (max-width: 480px) { .bar { font-size: 14px; padding-left: 12px; } }
`;

function AnnouncementBarView({ campaign, actions }: { campaign: Bar; actions: UIActions }) {
  const { content, position } = campaign;
  // Screen readers announce a live region's *changes*, so a visually hidden copy of the text is filled in one
  // tick after it exists; the visible text is there from the first frame, so nothing in the bar moves.
  const [announced, setAnnounced] = useState('');
  useEffect(() => setAnnounced(content.text), [content.text]);
  return (
    <div class={`bar ${position}`} role="region" aria-label="Announcement">
      <p class="text" aria-hidden="true">
        {content.text}
      </p>
      <span class="sr-only" aria-live="polite">
        {announced}
      </span>
      {content.link && (
        <a class="link" href={content.link.url} onClick={() => actions.click(content.link!.url)}>
          {content.link.label}
        </a>
      )}
      {content.dismissible && (
        <button type="button" class="close" aria-label="Dismiss announcement" onClick={() => actions.dismiss()}>
          <span aria-hidden="true">×</span>
        </button>
      )}
    </div>
  );
}

export const mount: MountCampaign = ({ root, campaign, actions, env }) => {
  if (campaign.type !== 'announcement_bar') throw new Error('announcement-bar cannot render ' + campaign.type);
  adoptStyles(root, CSS, env.nonce);
  const host = root.host as HTMLElement;
  host.style.setProperty('--kairos-bg', campaign.theme.background);
  host.style.setProperty('--kairos-fg', campaign.theme.color);
  return renderView(root, <AnnouncementBarView campaign={campaign} actions={actions} />);
};

export const show = showWith(mount);
