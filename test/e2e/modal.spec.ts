// The modal campaign's UI and the dialog shell under it (widget/ui/dialog.tsx), in real Chromium and without the
// engine: the UI module is bundled here with Vite, mounted through the real ui/mount.ts into a hostile shop page
// (CSS that tries to restyle everything, a focusable button of its own), and driven with recording fake actions
// that remove the campaign on dismiss, as the engine does.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { resolve } from 'node:path';
import { build, type Rolldown } from 'vite';
import type { PublicCampaign } from '../../server/schema';

type Modal = Extract<PublicCampaign, { type: 'modal' }>;
type Call = { action: 'dismiss' | 'click'; url?: string; focused: string };

const root = resolve(import.meta.dirname, '..', '..');
const SHOP = 'https://shop.test';

/** A shop page whose CSS tries to reach everything, and whose own button has focus before the modal opens. */
const SHOP_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title><style>
  * { font-size: 40px !important; color: red !important; font-family: serif !important; line-height: 3 !important; }
  dialog { display: none !important; }
  dialog::backdrop, ::backdrop { background: lime !important; }
  button, a, h2, p { all: unset !important; margin: 100px !important; border: 9px solid red !important; }
  div { padding: 60px !important; }
  :root { --kairos-accent: red; font-size: 5px; }
</style></head>
<body><main><h1>Sunglasses</h1><button id="page-button" type="button">Add to cart</button><p>Lots of products.</p></main></body></html>`;

const LANDING_HTML = `<!doctype html><html lang="en"><head><title>Sale</title></head><body><h1>Sale</h1></body></html>`;

function modal(content: Partial<Modal['content']> = {}, theme?: Modal['theme']): Modal {
  return {
    id: 'welcome-modal',
    type: 'modal',
    priority: 0,
    pages: { include: ['/**'], exclude: [] },
    trigger: { type: 'page_load', delay_seconds: 0 },
    frequency: 'always',
    recontact_days: 7,
    stop_after_conversion: true,
    content: {
      headline: 'Welcome! 10% off your first order',
      text: 'Sign up today and the discount is applied at checkout.',
      button: { label: 'Shop the sale', url: SHOP + '/sale' },
      close_label: 'No thanks',
      ...content,
    },
    theme: theme ?? { accent: '#0f5c57', accent_text: '#ffffff' },
  } as Modal;
}

/** The IIFE bundle: modal.tsx's `mount`, the dialog shell and ui/mount.ts's `showWith`, with Preact. */
let bundle = '';

test.beforeAll(async () => {
  const entryId = '\0kairos-modal-harness';
  const result = await build({
    configFile: false,
    root,
    logLevel: 'warn',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    plugins: [
      {
        name: 'kairos-modal-harness',
        resolveId: (id) => (id.endsWith('kairos-modal-harness') ? entryId : undefined), // lib mode makes the entry absolute
        load: (id) =>
          id === entryId
            ? [
                `export { mount } from ${JSON.stringify(resolve(root, 'widget/campaigns/modal.tsx'))};`,
                `export { Dialog, mountDialog } from ${JSON.stringify(resolve(root, 'widget/ui/dialog.tsx'))};`,
                `export { showWith } from ${JSON.stringify(resolve(root, 'widget/ui/mount.ts'))};`,
                `export { h } from 'preact';`,
              ].join('\n')
            : undefined,
      },
    ],
    build: {
      write: false,
      minify: false,
      target: 'es2020',
      lib: { entry: 'kairos-modal-harness', formats: ['iife'], name: 'KairosHarness', fileName: () => 'harness.js' },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((c) => c.type === 'chunk');
  if (!chunk || chunk.type !== 'chunk') throw new Error('vite build produced no chunk');
  bundle = chunk.code;
});

/** What the fake actions recorded, with the focused element at the time of each call. */
let calls: Call[];
let pageErrors: string[];

test.beforeEach(async ({ page }) => {
  calls = [];
  pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.exposeFunction('kairosRecord', (call: Call) => void calls.push(call));
  await page.route(SHOP + '/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: new URL(route.request().url()).pathname === '/' ? SHOP_HTML : LANDING_HTML }),
  );
  await page.goto(SHOP + '/');
  await page.addScriptTag({ content: bundle });
  await page.addScriptTag({ content: `window.kairosFocused = ${focusedIn.toString()};` });
});

test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

declare global {
  interface Window {
    KairosHarness: typeof import('../../widget/campaigns/modal') &
      typeof import('../../widget/ui/dialog') &
      typeof import('../../widget/ui/mount') & { h: typeof import('preact').h };
    kairosRecord(call: Call): Promise<void>;
    /** Takes the campaign down the way the engine does (ui unmount, then the host goes). */
    kairosHide?: () => void;
    /** The UI module's own unmount, without removing the host. */
    kairosUnmountUI?: () => void;
    kairosReasons: string[];
    kairosFocused(): string;
  }
}

/** A readable name for the deep focused element: its aria-label or text, or `#id`, or the tag. */
const focusedIn = () => {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return 'body';
  return el.getAttribute('aria-label') ?? (el.id ? '#' + el.id : el.textContent?.trim() || el.tagName.toLowerCase());
};

/**
 * Shows `campaign` through the real ui/mount.ts, with fake actions that record and, on dismiss, take the campaign
 * down at once like the engine does. Focus is on the shop's own button first.
 */
async function show(page: Page, campaign: Modal = modal()): Promise<void> {
  await page.locator('#page-button').focus();
  await page.evaluate(async (campaign) => {
    const K = window.KairosHarness;
    const actions = {
      dismiss: () => {
        void window.kairosRecord({ action: 'dismiss', focused: window.kairosFocused() });
        window.kairosHide?.();
      },
      click: (url: string) => void window.kairosRecord({ action: 'click', url, focused: window.kairosFocused() }),
      preferences: () => undefined,
    };
    const mount = (o: Parameters<typeof K.mount>[0]) => (window.kairosUnmountUI = K.mount(o) as () => void);
    const env = { api: location.origin, visitorId: 'v-harness', presenceId: '', traits: () => undefined, session: 's-harness', profile: { cart: {}, traits: {} } as never, state: null as never, currency: 'EUR', onEvent: () => () => undefined };
    window.kairosHide = (await K.showWith(mount)(campaign, actions, env)) ?? undefined;
  }, campaign);
}

const dialog = (page: Page) => page.locator('kairos-campaign dialog');
const focused = (page: Page) => page.evaluate(() => window.kairosFocused());
const hostCount = (page: Page) => page.locator('kairos-campaign').count();

/** Waits for the dismissal to be recorded, then checks there was exactly one and the campaign is gone. */
async function expectDismissedOnce(page: Page) {
  await expect.poll(() => calls.length).toBe(1);
  await page.waitForTimeout(100); // a second, late dismissal (from the dialog's async `close` event) would land here
  expect(calls).toEqual([{ action: 'dismiss', focused: '#page-button' }]);
  expect(await hostCount(page)).toBe(0);
  expect(await focused(page)).toBe('#page-button');
}

test.describe('modal campaign', () => {
  test('opens as a modal <dialog> in the shadow root, with focus on its first control', async ({ page }) => {
    await show(page);
    await expect(page.getByRole('dialog', { name: 'Welcome! 10% off your first order' })).toBeVisible();
    const state = await page.locator('kairos-campaign').evaluate((host) => {
      const d = host.shadowRoot!.querySelector('dialog')!;
      return { open: d.open, modal: d.matches(':modal'), light: host.innerHTML, display: getComputedStyle(d).display };
    });
    expect(state).toEqual({ open: true, modal: true, light: '', display: 'flex' });
    expect(await focused(page)).toBe('Close');
    // The page behind is inert: it cannot take focus, and the backdrop (ours) is what a pointer would hit.
    const behind = await page.locator('#page-button').evaluate((b: HTMLElement) => {
      const r = b.getBoundingClientRect();
      b.focus();
      return { focusable: document.activeElement === b, hit: document.elementFromPoint(r.x + 2, r.y + 2)?.tagName };
    });
    expect(behind).toEqual({ focusable: false, hit: 'KAIROS-CAMPAIGN' });
  });

  test('is labelled by its headline and described by its text', async ({ page }) => {
    await show(page);
    const aria = await dialog(page).evaluate((d) => {
      const root = d.getRootNode() as ShadowRoot;
      const by = (attr: string) => root.getElementById(d.getAttribute(attr) ?? '')?.textContent;
      return { labelledBy: by('aria-labelledby'), describedBy: by('aria-describedby'), headingTag: root.querySelector('#' + d.getAttribute('aria-labelledby'))?.tagName };
    });
    expect(aria).toEqual({
      labelledBy: 'Welcome! 10% off your first order',
      describedBy: 'Sign up today and the discount is applied at checkout.',
      headingTag: 'H2',
    });
    await expect(page.getByRole('dialog')).toHaveAccessibleDescription('Sign up today and the discount is applied at checkout.');
  });

  test('without text or button: no aria-describedby, and the close label defaults to "No thanks"', async ({ page }) => {
    await show(page, modal({ text: undefined, button: undefined, close_label: '' }));
    expect(await dialog(page).getAttribute('aria-describedby')).toBeNull();
    await expect(page.getByRole('link')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'No thanks' })).toBeVisible();
  });

  test('Tab and Shift+Tab cycle inside the dialog and never reach the page', async ({ page }) => {
    await show(page);
    const forward: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      forward.push(await focused(page));
    }
    const cycle = ['Shop the sale', 'No thanks', 'Offer preferences', 'Close'];
    expect(forward).toEqual([...cycle, ...cycle]);
    const backward: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Shift+Tab');
      backward.push(await focused(page));
    }
    const back = ['Offer preferences', 'No thanks', 'Shop the sale', 'Close'];
    expect(backward).toEqual([...back, ...back]);
  });

  test('Escape as the first key press closes it, dismisses once and gives focus back', async ({ page }) => {
    // No user activation yet: Chromium fires a non-cancelable `cancel` and closes the dialog itself.
    await show(page);
    await page.keyboard.press('Escape');
    await expectDismissedOnce(page);
  });

  test('Escape after interacting inside the dialog closes it once too', async ({ page }) => {
    // A click inside is a user activation: now `cancel` is cancelable, and the shell closes the dialog itself.
    await show(page);
    await page.getByText('Sign up today').click();
    await page.keyboard.press('Escape');
    await expectDismissedOnce(page);
  });

  test('the × button closes it', async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' }); // measured at full size, not mid-animation
    await show(page);
    const close = page.getByRole('button', { name: 'Close', exact: true });
    const box = (await close.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(44);
    expect(box.height).toBeGreaterThanOrEqual(44);
    await close.click();
    await expectDismissedOnce(page);
  });

  test('the secondary button closes it, by keyboard too', async ({ page }) => {
    await show(page);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('No thanks');
    await page.keyboard.press('Enter');
    await expectDismissedOnce(page);
  });

  test('a click on the backdrop closes it; clicks and drags that start inside do not', async ({ page }) => {
    await show(page);
    const text = (await page.getByText('Sign up today').boundingBox())!;
    // A text selection dragged out onto the backdrop: the click lands on the <dialog>, but it started inside.
    await page.mouse.move(text.x + 5, text.y + text.height / 2);
    await page.mouse.down();
    await page.mouse.move(10, 10, { steps: 4 });
    await page.mouse.up();
    await page.locator('kairos-campaign h2').click();
    await page.waitForTimeout(100);
    expect(calls).toEqual([]);
    await expect(dialog(page)).toBeVisible();

    await page.mouse.click(10, 10);
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0]!.action).toBe('dismiss');
    expect(await hostCount(page)).toBe(0);
  });

  test('the call to action records click(url) and then navigates', async ({ page }) => {
    await show(page);
    const cta = page.getByRole('link', { name: 'Shop the sale' });
    await expect(cta).toHaveAttribute('href', SHOP + '/sale');
    expect((await cta.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    await cta.click();
    await expect(page).toHaveURL(SHOP + '/sale');
    await expect(page.getByRole('heading', { name: 'Sale' })).toBeVisible();
    expect(calls).toEqual([{ action: 'click', url: SHOP + '/sale', focused: 'Shop the sale' }]);
  });

  test('config text is rendered as text: markup stays literal', async ({ page }) => {
    const headline = 'Hi <b>there</b> & <i>welcome</i>';
    const text = 'Line one <b>bold</b> <img src=x onerror="window.pwned=1">\nLine two';
    await show(page, modal({ headline, text, button: { label: '<em>Go</em>', url: SHOP + '/sale' }, close_label: '<u>No</u>' }));
    const seen = await dialog(page).evaluate((d) => ({
      h2: d.querySelector('h2')!.textContent,
      p: d.querySelector('p')!.textContent,
      a: d.querySelector('a')!.textContent,
      elements: d.querySelectorAll('b, i, img, em, u').length,
      whiteSpace: getComputedStyle(d.querySelector('p')!).whiteSpace, // the text's own line breaks show
      pwned: 'pwned' in window,
    }));
    expect(seen).toEqual({ h2: headline, p: text, a: '<em>Go</em>', elements: 0, whiteSpace: 'pre-line', pwned: false });
    await expect(page.getByRole('button', { name: '<u>No</u>' })).toBeVisible();
  });

  test('the shop’s CSS does not reach inside, and the theme does', async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await show(page, modal({}, { accent: 'rgb(120, 20, 90)', accent_text: 'rgb(255, 255, 240)' }));
    const css = await dialog(page).evaluate((d) => {
      const s = (sel: string) => getComputedStyle(d.querySelector(sel)!);
      const backdrop = getComputedStyle(d, '::backdrop');
      return {
        display: getComputedStyle(d).display,
        h2: [s('h2').fontSize, s('h2').color, s('h2').fontFamily.startsWith('system-ui'), s('h2').marginTop],
        p: [s('p').fontSize, s('p').color, s('p').borderTopWidth],
        cta: [s('a').backgroundColor, s('a').color, s('a').fontSize, s('a').borderTopWidth],
        backdrop: backdrop.backgroundColor,
        card: s('.card').paddingTop,
      };
    });
    expect(css).toEqual({
      display: 'flex',
      h2: ['22px', 'rgb(16, 20, 24)', true, '0px'],
      p: ['16px', 'rgb(75, 85, 99)', '0px'],
      cta: ['rgb(120, 20, 90)', 'rgb(255, 255, 240)', '16px', '0px'],
      backdrop: 'rgba(16, 20, 26, 0.56)',
      card: '32px',
    });
  });

  test('axe finds no violations, on desktop and as a bottom sheet', async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' }); // no half-faded frame for the contrast check
    await show(page);
    const desktop = await new AxeBuilder({ page }).include('kairos-campaign').analyze();
    expect(desktop.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    await page.setViewportSize({ width: 375, height: 700 });
    const mobile = await new AxeBuilder({ page }).include('kairos-campaign').analyze();
    expect(mobile.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  });

  test('a centred card on desktop', async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.setViewportSize({ width: 1280, height: 720 });
    await show(page);
    const box = (await dialog(page).boundingBox())!;
    expect(box.width).toBe(440);
    expect(Math.abs(box.x - (1280 - box.x - box.width))).toBeLessThanOrEqual(1);
    expect(Math.abs(box.y - (720 - box.y - box.height))).toBeLessThanOrEqual(1);
    expect(await dialog(page).evaluate((d) => getComputedStyle(d).borderRadius)).toBe('16px');
  });

  test('a bottom sheet on a 375×700 screen: full width, anchored to the bottom', async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.setViewportSize({ width: 375, height: 700 });
    await show(page);
    const box = (await dialog(page).boundingBox())!;
    expect({ x: box.x, width: box.width, bottom: box.y + box.height }).toEqual({ x: 0, width: 375, bottom: 700 });
    expect(box.height).toBeGreaterThanOrEqual(0.4 * 700);
    expect(box.height).toBeLessThanOrEqual(0.88 * 700);
    expect(await dialog(page).evaluate((d) => getComputedStyle(d).borderRadius)).toBe('20px 20px 0px 0px');
    // The buttons sit at the bottom, in thumb reach, full width.
    const cta = (await page.getByRole('link', { name: 'Shop the sale' }).boundingBox())!;
    const no = (await page.getByRole('button', { name: 'No thanks' }).boundingBox())!;
    expect(no.y + no.height).toBeGreaterThan(700 - 60);
    expect(cta.width).toBe(375 - 40);
    // A tap on the backdrop above the sheet closes it.
    await page.mouse.click(187, 40);
    await expectDismissedOnce(page);
  });

  test('animates only under prefers-reduced-motion: no-preference', async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await show(page);
    expect(await dialog(page).evaluate((d) => getComputedStyle(d).animationName)).toBe('none');
    await page.evaluate(() => window.kairosHide!());
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    await show(page);
    expect(await dialog(page).evaluate((d) => getComputedStyle(d).animationName)).toBe('kairos-pop');
  });

  test('moves nothing on the page', async ({ page }) => {
    const before = await page.locator('#page-button').boundingBox();
    await show(page);
    await page.waitForTimeout(300); // past the animation
    const shifts = await page.evaluate(
      () =>
        new Promise<number>((done) => {
          let total = 0;
          new PerformanceObserver((l) => l.getEntries().forEach((e) => (total += (e as PerformanceEntry & { value: number }).value))).observe({
            type: 'layout-shift',
            buffered: true,
          });
          setTimeout(() => done(total), 200);
        }),
    );
    expect(shifts).toBe(0);
    expect(await page.locator('#page-button').boundingBox()).toEqual(before);
    expect(await page.locator('kairos-campaign').evaluate((h) => h.getBoundingClientRect().height)).toBe(0);
  });

  test('the UI’s unmount removes everything, frees the page and gives focus back without a dismissal', async ({ page }) => {
    await show(page);
    await page.keyboard.press('Tab');
    await page.evaluate(() => window.kairosUnmountUI!());
    const left = await page.locator('kairos-campaign').evaluate((h) => ({ nodes: h.shadowRoot!.childNodes.length, dialogs: h.shadowRoot!.querySelectorAll('dialog').length }));
    expect(left).toEqual({ nodes: 0, dialogs: 0 });
    expect(await focused(page)).toBe('#page-button');
    await page.waitForTimeout(100); // the dialog's `close` event fires after a task: it must not count as a dismissal
    expect(calls).toEqual([]);
    // The page is usable again.
    await page.evaluate(() => window.kairosHide!());
    expect(await hostCount(page)).toBe(0);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    expect(await focused(page)).toBe('#page-button');
  });
});

test.describe('dialog shell', () => {
  /** Mounts a bare Dialog whose onClose records its reasons in window.kairosReasons. */
  async function showShell(page: Page) {
    await page.locator('#page-button').focus();
    await page.evaluate(() => {
      const K = window.KairosHarness;
      window.kairosReasons = [];
      const host = document.createElement('kairos-campaign');
      const root = host.attachShadow({ mode: 'open' });
      document.body.appendChild(host);
      const unmount = K.mountDialog(
        root,
        K.h(K.Dialog, { headline: 'Shell', text: 'Body', secondaryLabel: 'Later', onClose: (r) => void window.kairosReasons.push(r) }),
        { accent: '#222', accent_text: '#fff' },
      );
      window.kairosHide = () => {
        unmount();
        host.remove();
      };
    });
  }
  const reasons = (page: Page) => page.evaluate(() => window.kairosReasons);

  for (const [reason, act] of [
    ['escape', (p: Page) => p.keyboard.press('Escape')],
    ['close_button', (p: Page) => p.getByRole('button', { name: 'Close', exact: true }).click()],
    ['backdrop', (p: Page) => p.mouse.click(5, 5)],
    ['secondary', (p: Page) => p.getByRole('button', { name: 'Later' }).click()],
  ] as const) {
    test(`reports onClose('${reason}') once, with the dialog closed and focus back`, async ({ page }) => {
      await showShell(page);
      await act(page);
      await expect.poll(() => reasons(page)).toEqual([reason]);
      // The caller has not unmounted it yet: the shell has closed itself and restored focus anyway.
      expect(await dialog(page).evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
      expect(await focused(page)).toBe('#page-button');
      await page.keyboard.press('Escape');
      await page.waitForTimeout(100);
      expect(await reasons(page)).toEqual([reason]);
    });
  }

  test('focus goes back to an element inside another shadow root', async ({ page }) => {
    await page.evaluate(() => {
      const other = document.createElement('div');
      other.id = 'other-widget';
      other.attachShadow({ mode: 'open' }).innerHTML = '<button id="inner">Inner</button>';
      document.body.appendChild(other);
    });
    await page.locator('#other-widget #inner').focus();
    await page.evaluate(() => {
      const K = window.KairosHarness;
      window.kairosReasons = [];
      const host = document.createElement('kairos-campaign');
      document.body.appendChild(host);
      const unmount = K.mountDialog(host.attachShadow({ mode: 'open' }), K.h(K.Dialog, { headline: 'Shell', onClose: () => unmount() }), {
        accent: '#222',
        accent_text: '#fff',
      });
    });
    expect(await focused(page)).toBe('Close');
    await page.keyboard.press('Escape');
    await expect.poll(() => focused(page)).toBe('#inner');
  });
});
