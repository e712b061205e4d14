// The exit-intent offer: a headline, merge-tag copy, a discount code with a copy button, a call to action that
// applies the code, and an honest deadline, in the shared accessible dialog shell (a bottom sheet on phones).
//
// The code and the deadline come from the server (POST /v1/offers/:id), which fixes both the first time this
// visitor is offered this campaign; the answer is kept in IndexedDB, so a reload, a new tab or a new session shows
// the same deadline, and the countdown runs on the server's clock (the skew measured with the answer). After the
// deadline, or when the server cannot give a code, `mount` resolves null and nothing shows: never an offer
// without a real code, never a timer that restarts.
import { useEffect, useState } from 'preact/hooks';
import type { PublicCampaign } from '../../server/schema';
import type { MountCampaign, UIActions, UIEnv } from '../ui/contract';
import { fill, profileValues } from '../ui/copy';
import { Dialog, mountDialog } from '../ui/dialog';
import { showWith } from '../ui/mount';

type Offer = Extract<PublicCampaign, { type: 'exit_offer' }>;

/** What the server granted, as kept on the device. `skew`: server clock minus this device's clock, ms. */
export interface Grant {
  code: string;
  deadline: number;
  skew: number;
  token?: string;
}

const CSS = `
.coupon { display: flex; align-items: stretch; gap: 8px; margin: 20px 0 0; }
.code {
  flex: 1; min-width: 0; display: flex; align-items: center; justify-content: center; padding: 10px 12px;
  border: 2px dashed var(--kairos-accent, #0f5c57); border-radius: 10px; background: #f6f8f8; color: #101418;
  font: 700 20px/1.2 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: 1px; overflow-wrap: anywhere;
  user-select: all;
}
.copy { width: auto; flex: none; border: 2px solid var(--kairos-accent, #0f5c57); background: #fff; color: var(--kairos-accent, #0f5c57); }
.deadline { margin: 16px 0 0; color: #4b5563; font-size: 15px; }
.deadline time { color: #101418; font-weight: 700; font-variant-numeric: tabular-nums; }
.status { margin: 8px 0 0; min-height: 1.5em; color: #0f5c57; font-size: 15px; font-weight: 600; }
.ended { margin: 16px 0 0; color: #7a271a; font-weight: 600; }
`;

const KEY = (id: string) => 'offer:' + id;
const OFFER_WAIT_MS = 4000;

/** The stored grant, else the server's (stored for next time); null when there is none to give. */
export async function grantFor(c: Offer, env: UIEnv): Promise<Grant | null> {
  if (env.preview) return { code: 'PREVIEW', deadline: Date.now() + c.valid_minutes * 60_000, skew: 0 };
  const cached = await env.state.get<Grant>(KEY(c.id)).catch(() => undefined);
  if (cached && typeof cached.deadline === 'number') return cached;
  const sent = Date.now();
  const res = await fetch(`${env.api}/v1/offers/${encodeURIComponent(c.id)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify({ visitor_id: env.visitorId }),
    credentials: 'omit',
    // The shopper is leaving now: an offer that comes later than this is no offer.
    signal: AbortSignal.timeout?.(OFFER_WAIT_MS),
  });
  if (res.status !== 200 && res.status !== 410) return null; // no code to give now (pool empty, server trouble)
  const b = (await res.json()) as { code?: string; deadline: number; now?: number; token?: string };
  // 410: the deadline passed (on another device, or long ago); kept with an empty code so nobody asks again.
  const grant: Grant = { code: b.code ?? '', deadline: b.deadline, skew: b.now ? b.now - (sent + Date.now()) / 2 : 0 };
  if (b.token) grant.token = b.token;
  await env.state.set(KEY(c.id), grant).catch(() => undefined);
  return grant;
}

/** "29:41", "1:05:00", or "2 days 3:00:00" — what is left, counting down. */
export function remaining(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const clock = h || d ? `${h}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}` : `${Math.floor(s / 60)}:${two(s % 60)}`;
  return d ? `${d} ${d === 1 ? 'day' : 'days'} ${clock}` : clock;
}

async function copyText(text: string, root: ShadowRoot): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No async clipboard (insecure context, no permission): the old way, from a selected text area.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.cssText = 'position:fixed;opacity:0;pointer-events:none';
    root.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      /* nothing more to try */
    }
    area.remove();
    return ok;
  }
}

/** The server's "now", ticking every second. */
function useServerNow(skew: number): number {
  const [now, setNow] = useState(() => Date.now() + skew);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now() + skew), 1000);
    return () => clearInterval(t);
  }, [skew]);
  return now;
}

function Deadline({ deadline, skew, now, label, locale }: { deadline: number; skew: number; now: number; label: string; locale: string }) {
  if (now >= deadline) return <p class="ended">This offer has ended.</p>;
  const at = new Date(deadline - skew);
  let until = '';
  try {
    until = new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(at);
  } catch {
    /* an unknown locale: the countdown alone */
  }
  // Not a live region: a screen reader announcing every second would drown everything else.
  return (
    <p class="deadline" data-deadline={deadline}>
      {label} <time dateTime={at.toISOString()}>{remaining(deadline - now)}</time>
      {until && ` (until ${until})`}
    </p>
  );
}

function ExitOfferView(p: { campaign: Offer; grant: Grant; headline: string; text: string | null; actions: UIActions; root: ShadowRoot; locale: string }) {
  const { campaign, grant, actions, root } = p;
  const { content } = campaign;
  const [status, setStatus] = useState('');
  const now = useServerNow(grant.skew);
  const ended = now >= grant.deadline;
  const url = campaign.apply_url.replace(/\{code\}/g, encodeURIComponent(grant.code));
  return (
    <Dialog
      headline={p.headline}
      text={p.text ?? undefined}
      secondaryLabel={content.close_label}
      onClose={() => actions.dismiss()}
      actions={
        !ended && (
          <a class="btn primary" href={url} onClick={() => actions.click(url)}>
            {content.button}
          </a>
        )
      }
    >
      {!ended && (
        <div class="coupon">
          <span class="code" data-testid="coupon-code">
            {grant.code}
          </span>
          <button
            type="button"
            class="btn copy"
            onClick={async () => {
              // Cleared first, so copying twice is announced twice.
              setStatus('');
              const ok = await copyText(grant.code, root);
              setStatus(ok ? content.copied_label : `Select the code to copy it: ${grant.code}`);
            }}
          >
            {content.copy_label}
          </button>
        </div>
      )}
      <p class="status" role="status">
        {status}
      </p>
      <Deadline deadline={grant.deadline} skew={grant.skew} now={now} label={content.deadline_label} locale={p.locale} />
    </Dialog>
  );
}

export const mount: MountCampaign = async ({ root, campaign, actions, env }) => {
  if (campaign.type !== 'exit_offer') throw new Error('exit-offer cannot render ' + campaign.type);
  const grant = await grantFor(campaign, env);
  if (!grant?.code || grant.deadline <= Date.now() + grant.skew) return null;
  const locale = env.locale!;
  const values = { ...profileValues(env.profile, env.currency, locale), offer: { code: grant.code } };
  const headline = fill(campaign.content.headline, values);
  const text = campaign.content.text === undefined ? null : fill(campaign.content.text, values);
  if (headline === null || (campaign.content.text !== undefined && text === null)) return null;
  return mountDialog(
    root,
    <ExitOfferView campaign={campaign} grant={grant} headline={headline} text={text} actions={actions} root={root} locale={locale} />,
    campaign.theme,
    CSS,
    env.nonce,
  );
};

export const show = showWith(mount);
