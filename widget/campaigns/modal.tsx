// The modal: a headline, optional text, an optional call to action and a "No thanks" button, in the shared
// accessible dialog shell (ui/dialog.tsx). Renders data only, always as text; what the shopper does goes back
// through `actions`: following the call to action is a click (the link then navigates as links do), and every
// way of closing it (Escape, ×, the backdrop, "No thanks") is a dismissal, after which the engine removes it.
import type { MountCampaign } from '../ui/contract';
import { fill, profileValues } from '../ui/copy';
import { Dialog, mountDialog } from '../ui/dialog';
import { showWith } from '../ui/mount';

export const mount: MountCampaign = ({ root, campaign, actions, env }) => {
  if (campaign.type !== 'modal') throw new Error('modal cannot render ' + campaign.type);
  const { content, theme } = campaign;
  const button = content.button;
  // Merge tags ({{first_name | there}}) as text; a tag with no value and no fallback: nothing shows.
  const values = profileValues(env.profile, env.currency, env.locale!);
  const headline = fill(content.headline, values);
  const text = content.text === undefined ? undefined : fill(content.text, values);
  if (headline === null || text === null) return null;
  return mountDialog(
    root,
    <Dialog
      headline={headline}
      text={text}
      secondaryLabel={content.close_label || 'No thanks'}
      onClose={() => actions.dismiss()}
      actions={
        button && (
          <a class="btn primary" href={button.url} onClick={() => actions.click(button.url)}>
            {button.label}
          </a>
        )
      }
    />,
    theme,
    '',
    env.nonce,
  );
};

export const show = showWith(mount);
