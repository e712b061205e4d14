// The announcement bar: one line of text, an optional link and a dismiss button, at the top or bottom of the
// viewport (the shared bar shell, ui/bar.tsx). Renders data only — it never touches storage or the network;
// what the shopper does goes back through `actions`.
import type { PublicCampaign } from '../../server/schema';
import { BarFrame, BarLink, mountBar } from '../ui/bar';
import type { MountCampaign, UIActions } from '../ui/contract';
import { fill, profileValues } from '../ui/copy';
import { showWith } from '../ui/mount';

type Bar = Extract<PublicCampaign, { type: 'announcement_bar' }>;

function AnnouncementBarView({ campaign, text, actions }: { campaign: Bar; text: string; actions: UIActions }) {
  const { content } = campaign;
  return (
    <BarFrame
      campaign={campaign}
      label="Announcement"
      announce={text}
      dismissible={content.dismissible}
      closeLabel="Dismiss announcement"
      onDismiss={actions.dismiss}
    >
      <p class="text" aria-hidden="true">
        {text}
      </p>
      <BarLink link={content.link} actions={actions} />
    </BarFrame>
  );
}

export const mount: MountCampaign = (o) => {
  if (o.campaign.type !== 'announcement_bar') throw new Error('announcement-bar cannot render ' + o.campaign.type);
  // Merge tags ({{first_name | there}}, {{cart.total}}) as text; a tag with no value and no fallback: nothing shows.
  const text = fill(o.campaign.content.text, profileValues(o.env.profile, o.env.currency, o.env.locale!));
  if (text === null) return null;
  return mountBar(o, <AnnouncementBarView campaign={o.campaign} text={text} actions={o.actions} />);
};

export const show = showWith(mount);
