// The newsletter / lead bar: a line of copy, an email field, the shop's consent checkbox (when the config words
// one) and a submit button, in the shared bar shell (ui/bar.tsx). Checked here with the server's rule
// (widget/email.ts); errors are text beside the field (role=alert, aria-invalid, aria-describedby) and focus goes
// back to the field. A good address goes to POST /v1/leads, which stores it (the visitor's cart learns who they
// are) and fires `lead.captured`; the success text then replaces the form and the sign-up counts as a click.
// A shopper who signed up is not asked again on this device. In preview nothing is sent or remembered.
import { useRef, useState } from 'preact/hooks';
import type { PublicCampaign } from '../../server/schema';
import { validEmail } from '../email';
import { BarFrame, mountBar } from '../ui/bar';
import type { MountCampaign, UIActions, UIEnv } from '../ui/contract';
import { fill, profileValues } from '../ui/copy';
import { showWith } from '../ui/mount';

type Bar = Extract<PublicCampaign, { type: 'newsletter_bar' }>;

const CSS = `
.nl { display: flex; flex-wrap: wrap; align-items: flex-start; justify-content: center; gap: 8px; max-width: 100%; }
.field { display: flex; flex-direction: column; gap: 4px; width: 240px; max-width: 100%; }
input[type=email] {
  box-sizing: border-box; width: 100%; height: 40px; padding: 0 12px; border: 1px solid #8a94a6; border-radius: 8px;
  background: #fff; color: #101418; font: 400 15px/1.2 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.consent { display: flex; gap: 8px; align-items: flex-start; flex: 1 1 240px; max-width: 420px; text-align: start; font-size: 13px; font-weight: 400; }
.consent input { flex: none; width: 18px; height: 18px; margin: 2px 0 0; accent-color: var(--kairos-accent); }
.btn {
  height: 40px; padding: 0 16px; border: 0; border-radius: 8px; cursor: pointer; white-space: nowrap;
  background: var(--kairos-accent); color: var(--kairos-accent-text); box-shadow: inset 0 0 0 1px rgba(255, 255, 255, 0.5);
  font: 700 15px/1 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.btn[aria-disabled=true] { opacity: 0.7; cursor: progress; }
.err { display: block; padding: 2px 8px; border-radius: 6px; background: #fff; color: #9b1c1c; font-size: 13px; font-weight: 600; text-align: start; }
.wide { flex-basis: 100%; max-width: max-content; }
input:focus-visible, .btn:focus-visible, .done:focus-visible { outline: 2px solid currentColor; outline-offset: 2px; }
[aria-invalid=true] { border-color: #9b1c1c; box-shadow: 0 0 0 2px #fff; }
`;

const SEND_WAIT_MS = 6000;
const KEY = (id: string) => 'lead:' + id;
const ERR_EMAIL = 'kairos-nl-email-err';
const ERR_CONSENT = 'kairos-nl-consent-err';
const TEXT = 'kairos-nl-text';

/** Posts the lead; true when the server has it. */
async function send(c: Bar, env: UIEnv, email: string, consent: string | null): Promise<boolean> {
  const res = await fetch(`${env.api}/v1/leads`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({
      campaign_id: c.id,
      visitor_id: env.visitorId,
      session_id: env.session,
      email,
      consent,
      path: location.pathname + location.search,
    }),
    credentials: 'omit',
    signal: AbortSignal.timeout?.(SEND_WAIT_MS),
  });
  return res.ok;
}

function NewsletterBarView({ campaign, text, actions, env }: { campaign: Bar; text: string; actions: UIActions; env: UIEnv }) {
  const { content } = campaign;
  const [error, setError] = useState<{ on: 'email' | 'consent' | 'send'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const email = useRef<HTMLInputElement>(null);
  const consent = useRef<HTMLInputElement>(null);
  const status = useRef<HTMLParagraphElement>(null);

  const fail = (on: 'email' | 'consent' | 'send', message: string) => {
    setError({ on, text: message });
    (on === 'consent' ? consent : email).current?.focus();
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const address = validEmail(email.current!.value);
    if (address === null) return fail('email', content.invalid_email);
    if (content.consent && !consent.current!.checked) return fail('consent', content.consent_missing);
    setError(null);
    if (!env.preview) {
      setBusy(true);
      const ok = await send(campaign, env, address, content.consent ? content.consent : null).catch(() => false);
      setBusy(false);
      if (!ok) return fail('send', content.failed);
      actions.click('lead');
      // The shopper's profile on this device learns it too: `traits.newsletter` for rules (e.g. hide sign-ups from
      // subscribers) and `traits.email`; nothing more is sent.
      env.traits({ email: address, newsletter: true });
      env.state.set(KEY(campaign.id), Date.now()).catch(() => undefined);
    }
    setDone(true);
    // The control that had focus is gone with the form: focus the confirmation instead of losing it to the page.
    setTimeout(() => status.current?.focus());
  };

  const on = error?.on;
  return (
    <BarFrame campaign={campaign} label="Newsletter" announce={text} dismissible closeLabel={content.close_label} onDismiss={actions.dismiss}>
      {done ? (
        <p class="text done" role="status" tabIndex={-1} ref={status}>
          {content.success}
        </p>
      ) : (
        <>
          <p class="text" id={TEXT} aria-hidden="true">
            {text}
          </p>
          <form class="nl" noValidate onSubmit={submit}>
            <span class="field">
              <input
                ref={email}
                type="email"
                name="email"
                autocomplete="email"
                inputMode="email"
                spellcheck={false}
                placeholder={content.placeholder}
                aria-label={content.placeholder}
                aria-invalid={on === 'email'}
                aria-describedby={on === 'email' || on === 'send' ? `${TEXT} ${ERR_EMAIL}` : TEXT}
              />
              {(on === 'email' || on === 'send') && (
                <span class="err" id={ERR_EMAIL} role="alert">
                  {error!.text}
                </span>
              )}
            </span>
            {content.consent && (
              <label class="consent">
                <input ref={consent} type="checkbox" aria-invalid={on === 'consent'} aria-describedby={on === 'consent' ? ERR_CONSENT : undefined} />
                <span>{content.consent}</span>
              </label>
            )}
            {on === 'consent' && (
              <span class="err wide" id={ERR_CONSENT} role="alert">
                {error!.text}
              </span>
            )}
            <button type="submit" class="btn" aria-disabled={busy}>
              {content.button}
            </button>
          </form>
        </>
      )}
    </BarFrame>
  );
}

export const mount: MountCampaign = async (o) => {
  const { campaign, env } = o;
  if (campaign.type !== 'newsletter_bar') throw new Error('newsletter-bar cannot render ' + campaign.type);
  // Signed up on this device already: nothing to ask (and no impression).
  if (!env.preview && (await env.state.get(KEY(campaign.id)).catch(() => undefined))) return null;
  const text = fill(campaign.content.text, profileValues(env.profile, env.currency, env.locale!));
  if (text === null) return null;
  const host = o.root.host as HTMLElement;
  host.style.setProperty('--kairos-accent', campaign.accent.accent);
  host.style.setProperty('--kairos-accent-text', campaign.accent.accent_text);
  return mountBar(o, <NewsletterBarView campaign={campaign} text={text} actions={o.actions} env={env} />, CSS);
};

export const show = showWith(mount);
