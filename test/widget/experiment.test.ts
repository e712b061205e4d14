// A campaign's experiment (widget/bucket.ts variantOf, used by the widget's ui/mount.ts and the server's offers): which arm a shopper is in, what they see,
// and what browsers get of variants (server/config.ts: no coupon, no auto_pause).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config';
import type { PublicCampaign } from '../../server/schema';
import { assign, variantOf } from '../../widget/bucket';

function compiled(yaml: string): PublicCampaign[] {
  const r = parseConfig(yaml, 'kairos.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.public.campaigns;
}

const [modal] = compiled(`campaigns:
  - id: welcome
    type: modal
    content: { headline: Welcome, text: Ten percent off }
    holdout_percent: 20
    variants:
      - id: plain
      - id: bold
        weight: 3
        content: { headline: WELCOME!, close_label: Not now }
        theme: { accent: '#7a1f1f' }
`);

const ids = Array.from({ length: 20_000 }, (_, i) => `visitor-${i.toString(36).padStart(6, '0')}`);

describe('variantOf', () => {
  it('a campaign without variants or holdout is no experiment', () => {
    const [plain] = compiled('campaigns: [{ id: a, type: modal, content: { headline: Hi } }]');
    expect(variantOf(plain!, 'visitor-1')).toBeUndefined();
  });

  it('the arm is assign(campaign id, visitor id) with the holdout first; held-out shoppers get no campaign', () => {
    for (const id of ids.slice(0, 2000)) {
      const arm = assign('welcome', id, { weights: [1, 3], holdout: 0.2 });
      const got = variantOf(modal!, id)!;
      expect(got.id).toBe(['holdout', 'plain', 'bold'][arm]);
      expect(got.campaign === undefined).toBe(arm === 0);
    }
  });

  it('the same shopper always gets the same arm, and the arms split as configured (20 / 20 / 60 %, within 1 pp)', () => {
    const counts: Record<string, number> = {};
    for (const id of ids) {
      const arm = variantOf(modal!, id)!.id;
      expect(variantOf(modal!, id)!.id).toBe(arm);
      counts[arm] = (counts[arm] ?? 0) + 1;
    }
    expect(Math.abs(counts['holdout']! / ids.length - 0.2)).toBeLessThan(0.01);
    expect(Math.abs(counts['plain']! / ids.length - 0.2)).toBeLessThan(0.01);
    expect(Math.abs(counts['bold']! / ids.length - 0.6)).toBeLessThan(0.01);
  });

  it('a variant replaces the fields it names, keeps the rest; the first variant is the campaign as written', () => {
    const bold = ids.map((id) => variantOf(modal!, id)!).find((v) => v.id === 'bold')!.campaign as Extract<PublicCampaign, { type: 'modal' }>;
    expect(bold.content).toMatchObject({ headline: 'WELCOME!', close_label: 'Not now' });
    expect(bold.content.text).toBeUndefined(); // content is replaced whole, not merged
    expect(bold.theme.accent).toBe('#7a1f1f');
    expect(bold.id).toBe('welcome');
    const plain = ids.map((id) => variantOf(modal!, id)!).find((v) => v.id === 'plain')!.campaign as Extract<PublicCampaign, { type: 'modal' }>;
    expect(plain.content).toEqual(modal!.content);
  });

  it('a holdout alone measures the campaign against nothing: one arm, "default"', () => {
    const [bar] = compiled('campaigns: [{ id: bar, type: announcement_bar, content: { text: Hi }, holdout_percent: 50 }]');
    const arms = new Set(ids.slice(0, 200).map((id) => variantOf(bar!, id)!.id));
    expect([...arms].sort()).toEqual(['default', 'holdout']);
  });
});

describe('variants in the public config', () => {
  it('an exit offer’s variant coupons stay on the server, like its own; auto_pause too', () => {
    const [offer] = compiled(`campaigns:
  - id: exit
    type: exit_offer
    content: { headline: Wait }
    coupon: { code: SAVE10 }
    auto_pause: { max_dismiss_rate: 0.8 }
    variants:
      - id: ten
      - id: fifteen
        coupon: { code: SAVE15 }
        content: { headline: Wait! 15 % off }
`);
    const json = JSON.stringify(offer);
    expect(json).not.toContain('SAVE');
    expect(json).not.toContain('auto_pause');
    expect((offer as Extract<PublicCampaign, { type: 'exit_offer' }>).variants?.map((v) => v.id)).toEqual(['ten', 'fifteen']);
  });
});
