// Config text and merge-tag values are shown as text, never run as markup: every payload of the corpus
// (test/fixtures/xss-payloads.ts, 460 strings) goes into every text field of every campaign type that shows config
// copy, and into a merge tag ({{traits.first_name}}, and the cart's product names); each is rendered by the real
// built UI module in a real browser. Nothing may run (a sentinel counts calls), the rendered text must contain the
// payload literally, and the campaign's DOM must have the same elements as with plain text, with no on* attribute.
// recent_purchases renders the very card viewing_now does (ui/proof.tsx); the preference link and panel are the
// last test.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect, test } from '@playwright/test';
import { PAYLOADS } from '../fixtures/xss-payloads';
import { collectPageErrors, demoConfig, root, startKairos, type Kairos } from './support';

let kairos: Kairos;
test.beforeAll(async () => {
  kairos = await startKairos({ config: demoConfig });
});
test.afterAll(() => kairos.stop());

/** Campaign type → its built UI module, from the UI build's manifest (as the engine knows it). */
function uiFiles(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(root, 'dist', 'widget', 'kairos-ui', '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    { file: string; isEntry?: boolean }
  >;
  const files: Record<string, string> = {};
  for (const [src, chunk] of Object.entries(manifest)) if (chunk.isEntry) files[basename(src).replace(/\.tsx?$/, '').replace(/-/g, '_')] = chunk.file;
  return files;
}

const TYPES = ['announcement_bar', 'modal', 'exit_offer', 'cart_reminder', 'free_shipping_bar', 'newsletter_bar', 'countdown_bar', 'viewing_now'] as const;

test(`${PAYLOADS.length} payloads through every text field and merge tag of ${TYPES.length} campaign types render as text and run nothing`, async ({ page }) => {
  test.setTimeout(180_000);
  expect(PAYLOADS.length).toBeGreaterThanOrEqual(300);
  const errors = collectPageErrors(page);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(kairos.url + '/?kairos_disable=1');
  const files = uiFiles();

  for (const type of TYPES) {
    const failures = await page.evaluate(
      async ({ type, file, payloads }) => {
        // The sentinel: whatever a payload manages to run calls one of these.
        const w = window as unknown as Record<string, unknown> & { __kxCount?: number };
        w.__kxCount ??= 0;
        const hit = () => void (w.__kxCount = (w.__kxCount ?? 0) + 1);
        Object.assign(w, { __kx: hit, alert: hit, confirm: hit, prompt: hit, print: hit });
        const m = (await import(`/kairos-ui/${file}`)) as { show: (c: unknown, a: unknown, e: unknown) => Promise<(() => void) | null> };

        const base = { id: 'xss', priority: 0, pages: { include: ['/**'], exclude: [] }, trigger: { type: 'page_load', delay_seconds: 0 }, frequency: 'always', recontact_days: 7, stop_after_conversion: true };
        const bar = { position: 'top', push: false, theme: { background: '#1f2a44', color: '#ffffff' } };
        const accent = { accent: '#0f5c57', accent_text: '#ffffff' };
        /** A campaign of this type with every text field `t` (and the texts that must show it). */
        const campaign = (t: string) => {
          switch (type) {
            case 'announcement_bar':
              return { ...base, ...bar, type, content: { text: t, link: { label: t, url: '/sale' }, dismissible: true } };
            case 'modal':
              return { ...base, type, content: { headline: t, text: t, button: { label: t, url: '/sale' }, close_label: t }, theme: accent };
            case 'exit_offer':
              return {
                ...base,
                type,
                content: { headline: t, text: t, button: t, copy_label: t, copied_label: t, deadline_label: t, close_label: t },
                apply_url: '/discount/{code}',
                valid_minutes: 30,
                theme: accent,
              };
            case 'cart_reminder':
              return { ...base, type, position: 'bottom-right', content: { headline: t, text: t, button: { label: t, url: '/cart' }, close_label: t }, theme: accent };
            case 'free_shipping_bar':
              return { ...base, ...bar, type, threshold: 500, content: { empty: t, progress: t, unlocked: t, dismissible: true } };
            case 'newsletter_bar':
              return {
                ...base,
                ...bar,
                type,
                content: { text: t, placeholder: t, button: t, consent: t, invalid_email: t, consent_missing: t, failed: t, success: t, close_label: t },
                accent,
              };
            case 'countdown_bar':
              // The demo's countdown id: the server resolves its deadline; the copy is this campaign's.
              return { ...base, ...bar, id: 'same-day-dispatch', type, countdown: { every: { time: '14:00' } }, content: { text: `${t} {{countdown}}`, dismissible: true } };
            case 'viewing_now':
              // Counted copy per locale; a floor of 0 so the card shows without other viewers (its only merge tag is
              // {{count}}, a number: the merge-tag round is skipped below).
              return { ...base, type, position: 'bottom-left', min_count: 0, content: { en: { one: t, other: t }, cy: { other: t } } };
          }
        };
        const profile = (name: string) => ({
          cart: { p1: { product_id: 'p1', name, price: 20, quantity: 1 } },
          traits: { first_name: name },
          viewed: { categories: [], products: [] },
          orders: { count: 0, total: 0, categories: [] },
        });
        const env = (name: string) => ({
          api: location.origin,
          visitorId: 'visitor_xss_0001',
          state: { get: async () => undefined, set: async () => undefined, del: async () => undefined },
          profile: profile(name),
          currency: 'EUR',
          preview: true,
          lock: false,
          onEvent: () => () => undefined,
        });
        const actions = { dismiss() {}, click() {} };

        /** Renders, reads the campaign's shadow DOM, takes it down. */
        const render = async (c: unknown, e: unknown) => {
          const un = await m.show(c, actions, e);
          const host = document.querySelector('kairos-campaign');
          const shadow = host?.shadowRoot;
          const els = shadow ? [...shadow.querySelectorAll('*')] : [];
          const out = {
            shown: !!un,
            text: shadow?.textContent ?? '',
            tags: els.map((el) => el.tagName).sort().join(','),
            handlers: els.flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName}[${a.name}]`)),
            hrefs: els.flatMap((el) => (el.getAttribute('href')?.match(/^\s*(javascript|data):/i) ? [el.getAttribute('href')!] : [])),
          };
          un?.();
          return out;
        };

        const plain = await render(campaign('Plain words'), env('Ada'));
        const tagged = await render(campaign('Hello {{traits.first_name}}'), env('Ada'));
        const tags = type !== 'viewing_now';
        if (!plain.shown || !plain.text.includes('Plain words') || !tagged.shown) return [`${type}: the plain campaign did not show`];
        const failures: string[] = [];
        for (const p of payloads) {
          for (const [how, r] of [
            ['as config text', await render(campaign(p), env('Ada'))],
            ...(tags ? ([['as a merge-tag value', await render(campaign('Hello {{traits.first_name}}'), env(p))]] as const) : []),
          ] as const) {
            const baseline = how === 'as config text' ? plain : tagged;
            if (!r.shown) failures.push(`${how}: not shown: ${p}`);
            else if (!r.text.includes(p) && !(type === 'cart_reminder' && how === 'as a merge-tag value')) failures.push(`${how}: text not shown literally: ${p}`);
            else if (r.tags !== baseline.tags) failures.push(`${how}: elements changed (${r.tags}): ${p}`);
            else if (r.handlers.length || r.hrefs.length) failures.push(`${how}: ${[...r.handlers, ...r.hrefs].join(' ')}: ${p}`);
          }
          if (failures.length > 5) break;
        }
        return failures;
      },
      { type, file: files[type]!, payloads: PAYLOADS },
    );
    expect(failures, type).toEqual([]);
  }

  await page.waitForTimeout(1000); // late error events (an <img onerror>) would have fired by now
  expect(await page.evaluate(() => (window as unknown as { __kxCount?: number }).__kxCount)).toBe(0);
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
});

test(`the preference link's label and the panel's topic labels (config text) render ${PAYLOADS.length} payloads as text`, async ({ page }) => {
  test.setTimeout(120_000);
  const errors = collectPageErrors(page);
  await page.goto(kairos.url + '/?kairos_disable=1');
  const files = uiFiles();
  const failures = await page.evaluate(
    async ({ bar, panel, payloads }) => {
      const w = window as unknown as Record<string, unknown> & { __kxCount?: number };
      w.__kxCount ??= 0;
      const hit = () => void (w.__kxCount = (w.__kxCount ?? 0) + 1);
      Object.assign(w, { __kx: hit, alert: hit, confirm: hit, prompt: hit, print: hit });
      const b = (await import(`/kairos-ui/${bar}`)) as { show: (c: unknown, a: unknown, e: unknown) => Promise<(() => void) | null> };
      const p = (await import(`/kairos-ui/${panel}`)) as { open: (o: unknown) => Promise<void> };
      const campaign = {
        id: 'xss', type: 'announcement_bar', priority: 0, pages: { include: ['/**'], exclude: [] }, trigger: { type: 'page_load', delay_seconds: 0 },
        frequency: 'always', recontact_days: 7, stop_after_conversion: true, position: 'top', push: false,
        theme: { background: '#1f2a44', color: '#ffffff' }, content: { text: 'Plain words', dismissible: true },
      };
      const env = (label: string) => ({
        api: location.origin, visitorId: 'visitor_xss_0001', session: 's', state: null, profile: { cart: {}, traits: {} },
        currency: 'EUR', onEvent: () => () => undefined, preferences: { link: true, label, topics: [] },
      });
      const actions = { dismiss() {}, click() {}, preferences() {} };
      const inspect = (root: ShadowRoot | null | undefined) => {
        const els = root ? [...root.querySelectorAll('*')] : [];
        return {
          text: root?.textContent ?? '',
          tags: els.map((el) => el.tagName).sort().join(','),
          handlers: els.flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)),
        };
      };
      const renderBar = async (label: string) => {
        const un = await b.show(campaign, actions, env(label));
        // The link renders a tick after the bar (it finds its shadow root once in the document).
        await new Promise((r) => setTimeout(r, 0));
        const out = inspect(document.querySelector('kairos-campaign[data-campaign]')?.shadowRoot);
        un?.();
        return out;
      };
      const renderPanel = async (label: string) => {
        await p.open({ api: location.origin, visitorId: 'visitor_xss_0001', user: undefined, prefs: undefined, topics: [{ id: 'a', label }], set() {} });
        const host = document.querySelector('kairos-campaign[data-kairos="preferences"]');
        const out = inspect(host?.shadowRoot);
        (host?.shadowRoot?.querySelector('button.secondary') as HTMLButtonElement | null)?.click(); // Cancel
        await new Promise((r) => setTimeout(r, 0));
        host?.remove();
        return out;
      };
      const plainBar = await renderBar('Offer preferences');
      const plainPanel = await renderPanel('Sales');
      if (!plainBar.text.includes('Offer preferences')) return ['the link did not render'];
      if (!plainPanel.text.includes('Sales')) return ['the panel did not render'];
      const failures: string[] = [];
      for (const payload of payloads) {
        for (const [what, r, base] of [
          ['link label', await renderBar(payload), plainBar],
          ['topic label', await renderPanel(payload), plainPanel],
        ] as const) {
          if (!r.text.includes(payload)) failures.push(`${what}: not shown literally: ${payload}`);
          else if (r.tags !== base.tags) failures.push(`${what}: elements changed (${r.tags}): ${payload}`);
          else if (r.handlers.length) failures.push(`${what}: ${r.handlers.join(' ')}: ${payload}`);
        }
        if (failures.length > 5) break;
      }
      return failures;
    },
    { bar: files['announcement_bar']!, panel: files['prefs']!, payloads: PAYLOADS },
  );
  expect(failures).toEqual([]);
  await page.waitForTimeout(1000);
  expect(await page.evaluate(() => (window as unknown as { __kxCount?: number }).__kxCount)).toBe(0);
  expect(errors).toEqual([]);
});
