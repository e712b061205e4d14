// server/report/aggregate.ts: counts in, the report out — days, rates, arms, verdicts and the sample-ratio check.
import { describe, expect, it } from 'vitest';
import { armsOf, buildReport, DAY_MS, type CampaignInfo, type ReportOptions } from '../server/report/aggregate';
import type { ReportArm, ReportCount, ReportData } from '../server/store/types';

const NOW = Date.UTC(2026, 5, 10, 15); // 10 June 2026, 15:00 UTC
const FROM = Date.UTC(2026, 5, 4); // 7 days, today included
const today = Math.floor(NOW / DAY_MS);

const options = (campaigns: CampaignInfo[]): ReportOptions => ({
  campaigns,
  from: FROM,
  to: NOW + 1,
  now: NOW,
  attribution: { click_days: 7, view_days: 1 },
  currency: 'EUR',
});
const data = (counts: ReportCount[], arms: ReportArm[] = []): ReportData => ({ counts, arms, events: 123 });

describe('buildReport', () => {
  it('one entry per UTC day of the range, zeros included, and totals over them', () => {
    const r = buildReport(
      data([
        { campaign_id: 'bar', day: today, arm: null, impressions: 10, clicks: 2, dismissals: 1 },
        { campaign_id: 'bar', day: today - 6, arm: null, impressions: 5, conversions: 1, revenue: 19.999 },
      ]),
      options([{ id: 'bar', type: 'announcement_bar', status: 'running' }]),
    );
    expect(r.days).toBe(7);
    const bar = r.campaigns[0]!;
    expect(bar.daily.map((d) => d.day)).toEqual(['2026-06-04', '2026-06-05', '2026-06-06', '2026-06-07', '2026-06-08', '2026-06-09', '2026-06-10']);
    expect(bar.daily.map((d) => d.impressions)).toEqual([5, 0, 0, 0, 0, 0, 10]);
    expect(bar.totals).toMatchObject({ impressions: 15, clicks: 2, dismissals: 1, conversions: 1, revenue: 20 });
    expect(r.totals.impressions).toBe(15);
    expect(r.events_read).toBe(123);
    expect(r.attribution).toEqual({ model: 'last touch', click_days: 7, view_days: 1 });
  });

  it.each([
    ['no impressions: every rate 0', { impressions: 0, clicks: 0 }, { click: 0, conversion: 0, dismiss: 0, irritation: 0 }],
    ['rates are shares of impressions', { impressions: 200, clicks: 10, conversions: 4, dismissals: 50, quick_closes: 20, left: 6, fewer: 4 }, { click: 0.05, conversion: 0.02, dismiss: 0.25, irritation: 0.15 }],
  ])('rates: %s', (_, counts, rates) => {
    const r = buildReport(data([{ campaign_id: 'm', day: today, arm: null, ...counts }]), options([{ id: 'm', type: 'modal', status: 'running' }]));
    expect(r.campaigns[0]!.rates).toEqual(rates);
  });

  it('status: paused with its reason, off, and a campaign gone from the config kept while it has events in the range', () => {
    const r = buildReport(
      data([{ campaign_id: 'old', day: today, arm: null, impressions: 3 }]),
      options([
        { id: 'a', type: 'modal', status: 'paused', pause: { at: NOW - 1000, reason: '60 % dismissed' } },
        { id: 'b', type: 'modal', status: 'off' },
      ]),
    );
    expect(r.campaigns.map((c) => [c.id, c.status, c.removed ?? false, c.pause?.reason])).toEqual([
      ['a', 'paused', false, '60 % dismissed'],
      ['b', 'off', false, undefined],
      ['old', 'off', true, undefined],
    ]);
  });

  it('an experiment: control first (the holdout), each variant against it, measures split by arm', () => {
    const info: CampaignInfo = { id: 'w', type: 'modal', status: 'running', holdout_percent: 10, variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }] };
    const r = buildReport(
      data(
        [
          { campaign_id: 'w', day: today, arm: 'a', impressions: 4500, clicks: 90 },
          { campaign_id: 'w', day: today, arm: 'b', impressions: 4500, clicks: 200 },
        ],
        [
          { campaign_id: 'w', arm: 'holdout', visitors: 1000, converters: 20, revenue: 500 },
          { campaign_id: 'w', arm: 'a', visitors: 4500, converters: 95, revenue: 2000 },
          { campaign_id: 'w', arm: 'b', visitors: 4500, converters: 180, revenue: 4000 },
        ],
      ),
      options([info]),
    );
    const e = r.campaigns[0]!.experiment!;
    expect(e.control).toBe('holdout');
    expect(e.window_days).toBe(7);
    expect(e.variants.map((v) => [v.id, v.control, v.share, v.visitors, v.converters])).toEqual([
      ['holdout', true, 0.1, 1000, 20],
      ['a', false, 0.45, 4500, 95],
      ['b', false, 0.45, 4500, 180],
    ]);
    expect(e.variants[0]!.vs_control).toBeUndefined();
    // b: 4.0 % against 2.0 %: a clear win; a: 2.1 % against 2.0 %: inconclusive, with a sample still needed.
    expect(e.variants[2]!.vs_control).toMatchObject({ verdict: 'winning' });
    expect(e.variants[2]!.vs_control!.uplift.value).toBeCloseTo(1, 6);
    expect(e.variants[1]!.vs_control).toMatchObject({ verdict: 'inconclusive' });
    expect(e.variants[1]!.vs_control!.needed).toBeGreaterThan(0);
    expect(e.variants[1]!.rate.rate).toBeCloseTo(95 / 4500, 12);
    expect(e.variants[1]!.rate.low).toBeLessThan(95 / 4500);
    expect(e.variants[2]!.measures.clicks).toBe(200);
    expect(e.variants[0]!.measures.impressions).toBe(0); // the holdout saw nothing
    expect(e.srm.mismatch).toBe(false);
    expect(e.srm.expected).toEqual([1000, 4500, 4500]);
  });

  it('the sample-ratio check warns when the arms drift from the weights', () => {
    const info: CampaignInfo = { id: 'w', type: 'modal', status: 'running', variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }] };
    const arms = (a: number, b: number): ReportArm[] => [
      { campaign_id: 'w', arm: 'a', visitors: a, converters: 0, revenue: 0 },
      { campaign_id: 'w', arm: 'b', visitors: b, converters: 0, revenue: 0 },
    ];
    const srmOf = (a: number, b: number) => buildReport(data([], arms(a, b)), options([info])).campaigns[0]!.experiment!.srm;
    expect(srmOf(5000, 5100).mismatch).toBe(false);
    expect(srmOf(5000, 5600).mismatch).toBe(true);
    expect(srmOf(5000, 5600).p).toBeLessThan(0.001);
  });

  it('arms no longer in the config are left out; an arm with no shoppers yet shows zeros', () => {
    const info: CampaignInfo = { id: 'w', type: 'modal', status: 'running', variants: [{ id: 'a', weight: 3 }, { id: 'c', weight: 1 }] };
    const r = buildReport(data([], [{ campaign_id: 'w', arm: 'a', visitors: 10, converters: 1, revenue: 5 }, { campaign_id: 'w', arm: 'gone', visitors: 7, converters: 0, revenue: 0 }]), options([info]));
    const e = r.campaigns[0]!.experiment!;
    expect(e.variants.map((v) => [v.id, v.share, v.visitors])).toEqual([
      ['a', 0.75, 10],
      ['c', 0.25, 0],
    ]);
  });
});

describe('armsOf', () => {
  it.each([
    ['no experiment', {}, undefined],
    ['variants only: the first is the control', { variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }] }, [{ id: 'a', share: 0.25 }, { id: 'b', share: 0.75 }]],
    ['a holdout alone: the campaign as written against nothing', { holdout_percent: 20 }, [{ id: 'holdout', share: 0.2 }, { id: 'default', share: 0.8 }]],
    ['holdout and variants', { holdout_percent: 50, variants: [{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }] }, [{ id: 'holdout', share: 0.5 }, { id: 'a', share: 0.25 }, { id: 'b', share: 0.25 }]],
  ])('%s', (_, c, arms) => {
    expect(armsOf(c)).toEqual(arms);
  });
});
