// auto_pause: a campaign that annoys more than the config allows is paused — the widget stops showing it (GET
// /v1/config leaves it out), the report says why — until someone runs `kairos resume <id>`.
//
// Judging reads the same counts as the report (Store.reportData for one campaign) over what happened since the
// campaign was last resumed, at most the last 30 days. It runs on a timer, for the campaigns that received events
// since the last round (the events route calls notify()), so a burst of dismissals costs one judgement, not one per
// event. Each round also reloads the pauses from the store, so a resume from the CLI (another process) is seen by the
// running server within one interval.
import type { Logger } from './log';
import { emptyMeasures, type Measures } from './report/types';
import type { AutoPause, Campaign, KairosConfig } from './schema';
import type { Store } from './store/types';

export const JUDGE_WINDOW_MS = 30 * 86_400_000;

/** The rule a campaign is judged by: its own auto_pause, else the config's; none when it says false. */
export function ruleFor(c: Campaign, config: KairosConfig): AutoPause | undefined {
  return c.auto_pause === false ? undefined : (c.auto_pause ?? config.auto_pause);
}

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

/** Why the measures break the rule (a sentence for the report and the log), or undefined when they do not. */
export function judge(m: Measures, rule: AutoPause): string | undefined {
  if (m.impressions < rule.min_impressions || m.impressions === 0) return undefined;
  const dismiss = m.dismissals / m.impressions;
  if (rule.max_dismiss_rate !== undefined && dismiss > rule.max_dismiss_rate)
    return `${pct(dismiss)} of ${m.impressions} impressions were dismissed (the limit is ${pct(rule.max_dismiss_rate)})`;
  const irritated = m.quick_closes + m.left + m.fewer;
  const irritation = irritated / m.impressions;
  if (rule.max_irritation_rate !== undefined && irritation > rule.max_irritation_rate)
    return (
      `irritation signals on ${pct(irritation)} of ${m.impressions} impressions (the limit is ${pct(rule.max_irritation_rate)}): ` +
      `${m.quick_closes} closed within 2 s, ${m.left} left the site within 10 s, ${m.fewer} chose fewer offers`
    );
  return undefined;
}

export interface AutoPauser {
  /** Ids of the campaigns paused now. */
  paused(): ReadonlySet<string>;
  /** Events arrived for these campaigns: judge them in the next round. */
  notify(campaignIds: Iterable<string>): void;
  /** One round now: reload the pauses, judge what was notified. Resolves when done (tests, and the timer). */
  round(): Promise<void>;
  stop(): Promise<void>;
}

export interface AutoPauseOptions {
  store: Store;
  config: { readonly current: { readonly config: KairosConfig } };
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Default 60 s (KAIROS_AUTO_PAUSE_SECONDS). */
  intervalMs?: number;
  now?: () => number;
}

export function startAutoPause(o: AutoPauseOptions): AutoPauser {
  const now = o.now ?? Date.now;
  let paused = new Set<string>();
  // Every campaign is judged once at start: events may have arrived while the server was down.
  const dirty = new Set<string>(o.config.current.config.campaigns.map((c) => c.id));
  let running: Promise<void> | undefined;
  let stopped = false;

  async function judgeRound(): Promise<void> {
    const pauses = await o.store.campaignPauses();
    paused = new Set(pauses.filter((p) => p.paused_at !== null).map((p) => p.campaign_id));
    const config = o.config.current.config;
    const ids = [...dirty];
    dirty.clear();
    for (const id of ids) {
      const c = config.campaigns.find((x) => x.id === id);
      const rule = c && ruleFor(c, config);
      if (!rule || paused.has(id)) continue;
      const t = now();
      const since = Math.max(pauses.find((p) => p.campaign_id === id)?.since ?? 0, t - JUDGE_WINDOW_MS);
      const data = await o.store.reportData({ from: since, to: t + 1, click_ms: 0, view_ms: 0, window_ms: 0, campaign_id: id });
      const m = emptyMeasures();
      for (const r of data.counts) for (const k of Object.keys(m) as (keyof Measures)[]) m[k] += r[k] ?? 0;
      const reason = judge(m, rule);
      if (reason && (await o.store.pauseCampaign(id, t, reason))) {
        paused = new Set([...paused, id]);
        o.log.warn({ campaign: id, reason }, `campaign ${id} paused automatically: ${reason}`);
      }
    }
  }

  /** One round at a time; a round asked for while one runs starts after it (so it sees what was notified meanwhile). */
  async function round(): Promise<void> {
    while (running) await running;
    if (stopped) return;
    running = judgeRound()
      .catch((e) => o.log.error({ err: e instanceof Error ? e.message : String(e) }, 'auto-pause round failed'))
      .finally(() => (running = undefined));
    await running;
  }

  const timer = setInterval(() => void round(), o.intervalMs ?? 60_000);
  timer.unref();
  void round();

  return {
    paused: () => paused,
    notify(ids) {
      for (const id of ids) dirty.add(id);
    },
    round,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** KAIROS_AUTO_PAUSE_SECONDS: how often campaigns with new events are judged (default 60). */
export function autoPauseIntervalFromEnv(env: NodeJS.ProcessEnv, warn: (m: string) => void): number {
  const raw = env['KAIROS_AUTO_PAUSE_SECONDS'];
  if (raw === undefined || raw === '') return 60_000;
  const s = Number(raw);
  if (!(s > 0) || s > 86_400) {
    warn(`KAIROS_AUTO_PAUSE_SECONDS=${raw} is not a number of seconds from 0 to 86400; using 60`);
    return 60_000;
  }
  return s * 1000;
}
