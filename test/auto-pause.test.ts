// auto_pause: the judgement (a table), and the whole loop against a real SQLite store and the HTTP app: events in,
// the campaign paused, gone from /v1/config (a new ETag), the report saying why; resumed, back, judged afresh.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../server/app';
import { judge, ruleFor, startAutoPause, type AutoPauser } from '../server/auto-pause';
import { createLogger } from '../server/log';
import { makeReport } from '../server/report/index';
import { emptyMeasures, type Measures } from '../server/report/types';
import { openSqliteStore, type SqliteStore } from '../server/store/sqlite';
import type { StoredEvent } from '../server/store/types';
import { loadedConfig } from './loaded-config';

const m = (over: Partial<Measures>): Measures => ({ ...emptyMeasures(), ...over });

describe('judge', () => {
  it.each([
    ['below min_impressions: never', m({ impressions: 99, dismissals: 99 }), { min_impressions: 100, max_dismiss_rate: 0.5 }, undefined],
    ['dismiss rate at the limit: fine', m({ impressions: 100, dismissals: 50 }), { min_impressions: 100, max_dismiss_rate: 0.5 }, undefined],
    ['dismiss rate over the limit', m({ impressions: 100, dismissals: 51 }), { min_impressions: 100, max_dismiss_rate: 0.5 }, '51 % of 100 impressions were dismissed (the limit is 50 %)'],
    ['irritation counts quick closes, leaving and fewer offers', m({ impressions: 200, dismissals: 30, quick_closes: 20, left: 15, fewer: 6 }), { min_impressions: 100, max_irritation_rate: 0.2 }, 'irritation signals on 20.5 % of 200 impressions (the limit is 20 %): 20 closed within 2 s, 15 left the site within 10 s, 6 chose fewer offers'],
    ['irritation under its limit, no dismiss limit', m({ impressions: 200, dismissals: 190, quick_closes: 10 }), { min_impressions: 100, max_irritation_rate: 0.2 }, undefined],
  ])('%s', (_, measures, rule, reason) => {
    expect(judge(measures, rule)).toBe(reason);
  });

  it('a campaign’s own rule beats the top-level one; false switches it off', () => {
    const { config } = loadedConfig(
      `auto_pause: { min_impressions: 10, max_dismiss_rate: 0.5 }
campaigns:
  - { id: a, type: modal, content: { headline: A } }
  - { id: b, type: modal, content: { headline: B }, auto_pause: { min_impressions: 5, max_irritation_rate: 0.1 } }
  - { id: c, type: modal, content: { headline: C }, auto_pause: false }
`,
      'kairos.yaml',
    );
    expect(config.campaigns.map((c) => ruleFor(c, config))).toEqual([
      { min_impressions: 10, max_dismiss_rate: 0.5 },
      { min_impressions: 5, max_irritation_rate: 0.1 },
      undefined,
    ]);
  });
});

describe('startAutoPause with a store and the app', () => {
  const T = Date.UTC(2026, 5, 10, 12);
  let clock = T;
  let store: SqliteStore;
  let pauser: AutoPauser;
  const config = {
    current: loadedConfig(
      `auto_pause: { min_impressions: 4, max_dismiss_rate: 0.5 }
campaigns:
  - { id: nag, type: modal, content: { headline: Sign up! } }
  - { id: calm, type: announcement_bar, content: { text: Free returns } }
`,
      'kairos.yaml',
    ),
  };
  const log = createLogger({ level: 'silent' });
  let n = 0;
  const ev = (name: string, campaign: string, ts = clock, props: StoredEvent['props'] = null): StoredEvent => ({
    event_id: `ev-${++n}-padding`,
    type: 'track',
    name,
    ts,
    received_at: ts,
    visitor_id: `visitor-${n}`,
    session_id: 'session-1',
    path: '/',
    campaign_id: campaign,
    user_id: null,
    props,
  });

  beforeEach(() => {
    store = openSqliteStore(':memory:');
    pauser = startAutoPause({ store, config, log, intervalMs: 3_600_000, now: () => clock });
  });
  afterEach(async () => {
    await pauser.stop();
    await store.close();
  });

  it('pauses the campaign that annoys, leaves the other; /v1/config drops it with a new ETag; the report says why', async () => {
    const app = createApp({ config, store, log, widgetDir: '/nonexistent', demoDir: null, autoPause: pauser, now: () => clock, adminToken: 'admin-token-1' });
    const before = await app.request('/v1/config');
    const etag = before.headers.get('ETag')!;
    expect(((await before.json()) as { campaigns: { id: string }[] }).campaigns.map((c) => c.id)).toEqual(['nag', 'calm']);

    const events = [];
    for (let i = 0; i < 4; i++) events.push(ev('Campaign Shown', 'nag'), ev('Campaign Shown', 'calm'));
    for (let i = 0; i < 3; i++) events.push(ev('Campaign Dismissed', 'nag', clock, { type: 'modal', ms: 5000 }));
    events.push(ev('Campaign Dismissed', 'calm', clock, { type: 'announcement_bar', ms: 5000 }));
    const posted = await app.request('/v1/events', { method: 'POST', body: JSON.stringify({ sent_at: clock, events: events.map(toInput) }) });
    expect(posted.status).toBe(200);
    await pauser.round();

    expect([...pauser.paused()]).toEqual(['nag']);
    const after = await app.request('/v1/config', { headers: { 'If-None-Match': etag } });
    expect(after.status).toBe(200); // not 304: it changed
    expect(after.headers.get('ETag')).not.toBe(etag);
    expect(((await after.json()) as { campaigns: { id: string }[] }).campaigns.map((c) => c.id)).toEqual(['calm']);

    const report = await makeReport(store, config.current.config, { now: clock });
    const nag = report.campaigns.find((c) => c.id === 'nag')!;
    expect(nag.status).toBe('paused');
    expect(nag.pause).toEqual({ at: clock, reason: '75 % of 4 impressions were dismissed (the limit is 50 %)' });
    expect(report.campaigns.find((c) => c.id === 'calm')!.status).toBe('running');
  });

  it('resumed: shown again, and judged only on what happens after the resume', async () => {
    const batch = [ev('Campaign Shown', 'nag'), ev('Campaign Shown', 'nag'), ev('Campaign Shown', 'nag'), ev('Campaign Shown', 'nag')];
    batch.push(...batch.map(() => ev('Campaign Dismissed', 'nag', clock, { ms: 5000 })));
    await store.insertEvents(batch);
    pauser.notify(['nag']);
    await pauser.round();
    expect(pauser.paused().has('nag')).toBe(true);

    clock += 60_000;
    await store.resumeCampaign('nag', clock);
    pauser.notify(['nag']);
    await pauser.round();
    expect(pauser.paused().has('nag')).toBe(false); // the old dismissals no longer count

    clock += 60_000;
    await store.insertEvents([ev('Campaign Shown', 'nag'), ev('Campaign Shown', 'nag'), ev('Campaign Shown', 'nag'), ev('Campaign Shown', 'nag'), ev('Campaign Dismissed', 'nag')]);
    pauser.notify(['nag']);
    await pauser.round();
    expect(pauser.paused().has('nag')).toBe(false); // 1 of 4 since the resume
  });
});

function toInput(e: StoredEvent) {
  return { event_id: e.event_id, type: e.type, name: e.name, ts: e.ts, visitor_id: 'visitor_' + e.visitor_id.replace(/\W/g, '').padEnd(8, 'x'), session_id: 'session_aaaaaaaa', path: e.path, campaign_id: e.campaign_id, props: e.props ?? undefined };
}
