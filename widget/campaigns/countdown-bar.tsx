// The countdown bar: "Order within 2 hr 13 min for same-day dispatch", in the shared bar shell (ui/bar.tsx).
//
// The deadline is the server's (GET /v1/countdowns/:id resolves fixed deadlines, holidays and recurring cut-offs in
// their time zones, server/countdown.ts); the bar counts down to that instant on the server's clock, measuring this
// device's skew with the answer, so a wrong clock or time zone on the shopper's side changes nothing. Nothing to
// count down to, already past, further away than `show_within_minutes`, or no answer within 4 s: `mount` resolves
// null and nothing shows (no impression). At zero the bar goes and keeps no timer: it never loops or restarts.
import { useEffect, useState } from 'preact/hooks';
import type { PublicCampaign } from '../../server/schema';
import { BarFrame, BarLink, mountBar } from '../ui/bar';
import type { MountCampaign, UIActions, UIEnv } from '../ui/contract';
import { fill, profileValues } from '../ui/copy';
import { showWith } from '../ui/mount';

type Countdown = Extract<PublicCampaign, { type: 'countdown_bar' }>;

const CSS = `.left { font-weight: 700; font-variant-numeric: tabular-nums; white-space: nowrap; }`;
const WAIT_MS = 4000;
const TAG = '{{countdown}}';

/** The deadline on this device's clock (the server's deadline less the skew), or null when there is none. */
export async function deadlineFor(c: Countdown, env: UIEnv): Promise<number | null> {
  try {
    const sent = Date.now();
    const res = await fetch(`${env.api}/v1/countdowns/${encodeURIComponent(c.id)}`, {
      credentials: 'omit',
      signal: AbortSignal.timeout?.(WAIT_MS),
    });
    if (!res.ok) return null;
    const b = (await res.json()) as { now?: unknown; deadline?: unknown };
    if (typeof b.deadline !== 'number') return null;
    // Skew: server clock minus this device's, taking the server's `now` as read halfway through the round trip.
    return b.deadline - (typeof b.now === 'number' ? b.now - (sent + Date.now()) / 2 : 0);
  } catch {
    return null; // no answer in time, or none at all: no countdown
  }
}

/**
 * What is left, in the shopper's language with Intl's unit names, two units at most: "3 days 4 hr", "2 hr 03 min",
 * "13 min 05 sec", "45 sec". Seconds round up, so it never reads zero while time is left.
 */
export function timeLeft(ms: number, locale: string): string {
  const s = Math.ceil(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor(s / 3600) % 24;
  const m = Math.floor(s / 60) % 60;
  const parts: [string, number][] = d ? [['day', d], ['hour', h]] : h ? [['hour', h], ['minute', m]] : m ? [['minute', m], ['second', s % 60]] : [['second', s]];
  return parts
    .map(([unit, n], i) =>
      // The smaller unit in two digits ("2 hr 03 min"), so the text keeps its width as it counts.
      new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', minimumIntegerDigits: i && unit !== 'hour' ? 2 : 1 }).format(n),
    )
    .join(' ');
}

function CountdownView({ campaign, text, end, locale, actions }: { campaign: Countdown; text: string; end: number; locale: string; actions: UIActions }) {
  const { content } = campaign;
  const [now, setNow] = useState(Date.now);
  const [shownAt] = useState(now);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // One tick per second, when the shown second changes; none in a hidden tab (it catches up when it is visible
    // again), and none at all once it has reached zero.
    const tick = () => {
      clearTimeout(timer);
      const t = Date.now();
      setNow(t);
      if (end <= t) document.removeEventListener('visibilitychange', tick);
      else if (document.visibilityState !== 'hidden') timer = setTimeout(tick, (end - t) % 1000 || 1000);
    };
    document.addEventListener('visibilitychange', tick);
    tick();
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', tick);
    };
  }, [end]);
  const pieces = text.split(TAG);
  // Screen readers hear the text once, as it first was (the live region is emptied after 10 s, so nothing stale
  // lingers); the visible text is no live region, so its changes every second are not read out.
  const [announce] = useState(() => pieces.join(timeLeft(end - now, locale)));
  if (now >= end) return null;
  const left = timeLeft(end - now, locale);
  return (
    <BarFrame
      campaign={campaign}
      label={campaign.position === 'bottom' ? 'Countdown (bottom)' : 'Countdown'}
      announce={now - shownAt < 10_000 ? announce : ''}
      dismissible={content.dismissible}
      closeLabel="Dismiss countdown"
      onDismiss={actions.dismiss}
    >
      <p class="text">
        {pieces.flatMap((piece, i) => (i ? [<span class="left">{left}</span>, piece] : [piece]))}
      </p>
      <BarLink link={content.link} actions={actions} />
    </BarFrame>
  );
}

export const mount: MountCampaign = async (o) => {
  const { campaign, env } = o;
  if (campaign.type !== 'countdown_bar') throw new Error('countdown-bar cannot render ' + campaign.type);
  let end = await deadlineFor(campaign, env);
  const ms = end === null ? 0 : end - Date.now();
  const within = campaign.show_within_minutes;
  if (!(ms > 0) || (within && ms > within * 60_000)) {
    if (!env.preview) return null;
    // A preview shows the bar as it would look, even for a campaign switched off: with a sample deadline.
    if (!(ms > 0)) end = Date.now() + 8_010_000;
  }
  let locale = env.locale!;
  try {
    timeLeft(1, locale);
  } catch {
    locale = 'en'; // <html lang> is no valid language tag
  }
  // Other merge tags ({{first_name | there}}) are filled once; {{countdown}} stays for the view to fill each second.
  const text = fill(campaign.content.text, { ...profileValues(o.env.profile, o.env.currency, locale), countdown: TAG });
  if (text === null) return null;
  return mountBar(o, <CountdownView campaign={campaign} text={text} end={end!} locale={locale} actions={o.actions} />, CSS);
};

export const show = showWith(mount);
