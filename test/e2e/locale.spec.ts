// Copy per locale in a real browser against the real server: a bar and a cart reminder with copy in English,
// Welsh, Kazakh, Kyrgyz and Arabic. The page's `lang` picks the copy, then the browser's languages, then English;
// counted copy takes the language's plural form (Welsh: 1 peth, 2 beth, 3 pheth, 6 pheth, 4 o bethau); Arabic
// copy is laid out right to left (the host's dir, the close button on the left) even on a left-to-right page.
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { collectPageErrors, startKairos, type Kairos } from './support';

const CONFIG = `
fatigue: { modals_per_session: 20, modals_per_day: 50 }
campaigns:
  - id: sale-bar
    type: announcement_bar
    position: bottom
    pages: { include: ["/t/**"] }
    content:
      en: { text: "Summer sale: 20% off all sunglasses", link: { label: Shop sunglasses, url: /sale } }
      cy: { text: "Sêl yr haf: 20% oddi ar bob sbectol haul", link: { label: Siopa sbectol haul, url: /sale } }
      kk: { text: "Жазғы жеңілдік: барлық көзілдірікке 20%", link: { label: Көзілдіріктер, url: /sale } }
      ky: { text: "Жайкы арзандатуу: бардык көз айнектерге 20%", link: { label: Көз айнектер, url: /sale } }
      ar: { text: "تخفيضات الصيف: خصم 20% على جميع النظارات الشمسية", link: { label: تسوق النظارات, url: /sale } }
  - id: cart-reminder
    type: cart_reminder
    pages: { include: ["/t/**"] }
    content:
      en:
        headline: { one: "You left {{cart.count}} item in your cart", other: "You left {{cart.count}} items in your cart" }
      cy:
        headline:
          zero: Does dim byd yn eich basged
          one: Gadawoch chi {{cart.count}} peth yn eich basged
          two: Gadawoch chi {{cart.count}} beth yn eich basged
          few: Gadawoch chi {{cart.count}} pheth yn eich basged
          many: Gadawoch chi {{cart.count}} pheth yn eich basged
          other: Gadawoch chi {{cart.count}} o bethau yn eich basged
        button: { label: Yn ôl i’m basged, url: /cart }
        close_label: Cau
      kk:
        headline: { one: "Себетіңізде бір тауар қалды", other: "Себетіңізде {{cart.count}} тауар қалды" }
        close_label: Жабу
      ky:
        headline: { one: "Себетиңизде бир товар калды", other: "Себетиңизде {{cart.count}} товар калды" }
        close_label: Жабуу
`;

let kairos: Kairos;
test.beforeAll(async () => {
  kairos = await startKairos({ config: CONFIG, demo: false });
});
test.afterAll(() => kairos.stop());

/**
 * Shop pages at /t/<lang>/… (`none`: no lang attribute), served to the browser as if from the shop, with the snippet
 * loading the real widget from the server.
 */
async function shop(context: BrowserContext): Promise<void> {
  await context.route(/\/t\//, (route) => {
    const lang = new URL(route.request().url()).pathname.split('/')[2];
    const attr = lang && lang !== 'none' ? ` lang="${lang}"` : '';
    return route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html${attr}><head><meta charset="utf-8"><title>Shop</title>
<script>window.kairos=window.kairos||function(){(kairos.q=kairos.q||[]).push(arguments)}</script>
<script async src="/kairos.js"></script></head><body><main><h1>Shop</h1><p>Sunglasses, hats and shirts.</p></main></body></html>`,
    });
  });
}

const bar = (page: Page) => page.locator('kairos-campaign[data-campaign="sale-bar"]');
const reminder = (page: Page) => page.locator('kairos-campaign[data-campaign="cart-reminder"]');
const settle = (page: Page) => page.waitForLoadState('networkidle').then(() => page.waitForTimeout(400));

/** The bar's text, link, the host's lang and dir, and where its close button and text are. */
function barLayout(page: Page) {
  return bar(page).evaluate((host) => {
    const root = host.shadowRoot!;
    const box = (sel: string) => root.querySelector(sel)!.getBoundingClientRect().toJSON() as DOMRect;
    return {
      text: root.querySelector('.text')!.textContent,
      link: root.querySelector('a')!.textContent,
      lang: host.getAttribute('lang'),
      dir: host.getAttribute('dir'),
      direction: getComputedStyle(root.querySelector('.bar')!).direction,
      close: box('.close'),
      textBox: box('.text'),
      width: innerWidth,
    };
  });
}

test.describe('the page’s lang picks the copy', () => {
  test.beforeEach(({ context }) => shop(context));

  for (const [lang, text, link] of [
    ['cy', 'Sêl yr haf: 20% oddi ar bob sbectol haul', 'Siopa sbectol haul'],
    ['cy-GB', 'Sêl yr haf: 20% oddi ar bob sbectol haul', 'Siopa sbectol haul'],
    ['kk', 'Жазғы жеңілдік: барлық көзілдірікке 20%', 'Көзілдіріктер'],
    ['ky-KG', 'Жайкы арзандатуу: бардык көз айнектерге 20%', 'Көз айнектер'],
    ['en', 'Summer sale: 20% off all sunglasses', 'Shop sunglasses'],
  ] as const)
    test(`lang=${lang}: the bar in that language, left to right`, async ({ page }) => {
      const errors = collectPageErrors(page);
      await page.goto(`${kairos.url}/t/${lang}/`);
      await expect(bar(page)).toHaveCount(1);
      expect(await barLayout(page)).toMatchObject({ text, link, lang: lang.split('-')[0], dir: 'ltr', direction: 'ltr' });
      expect(errors).toEqual([]);
    });

  test('lang=ar: the Arabic copy, right to left on a left-to-right page: text from the right, close button on the left edge', async ({ page }) => {
    await page.goto(`${kairos.url}/t/ar/`);
    await expect(bar(page)).toHaveCount(1);
    expect(await page.evaluate(() => getComputedStyle(document.body).direction)).toBe('ltr'); // the page itself
    const layout = await barLayout(page);
    expect(layout).toMatchObject({ text: 'تخفيضات الصيف: خصم 20% على جميع النظارات الشمسية', link: 'تسوق النظارات', lang: 'ar', dir: 'rtl', direction: 'rtl' });
    expect(layout.close.x + layout.close.width).toBeLessThanOrEqual(layout.textBox.x);
    expect(layout.close.x).toBeLessThan(64); // at the left edge
    expect(layout.textBox.x + layout.textBox.width).toBeGreaterThan(layout.width / 2);
  });

  test('a language the campaign has no copy for falls back to English, with the page’s direction', async ({ page }) => {
    await page.goto(`${kairos.url}/t/fr/`);
    await expect(bar(page)).toHaveCount(1);
    expect(await barLayout(page)).toMatchObject({ text: 'Summer sale: 20% off all sunglasses', lang: 'en', dir: 'ltr' });
  });
});

test.describe('without a page lang, the browser’s languages pick it', () => {
  for (const [locale, text] of [
    ['cy-GB', 'Sêl yr haf: 20% oddi ar bob sbectol haul'],
    ['ky-KG', 'Жайкы арзандатуу: бардык көз айнектерге 20%'],
    ['ar-EG', 'تخفيضات الصيف: خصم 20% على جميع النظارات الشمسية'],
    ['de-DE', 'Summer sale: 20% off all sunglasses'],
  ] as const)
    test(`browser ${locale}`, async ({ browser }) => {
      const context = await browser.newContext({ locale });
      await shop(context);
      const page = await context.newPage();
      await page.goto(`${kairos.url}/t/none/`);
      expect(await page.evaluate(() => [document.documentElement.lang, navigator.languages[0]])).toEqual(['', locale]);
      await expect(bar(page)).toHaveCount(1);
      const layout = await barLayout(page);
      expect(layout.text).toBe(text);
      expect(layout.dir).toBe(locale.startsWith('ar') ? 'rtl' : 'ltr');
      await context.close();
    });

  test('the page’s lang wins over the browser’s', async ({ browser }) => {
    const context = await browser.newContext({ locale: 'cy-GB' });
    await shop(context);
    const page = await context.newPage();
    await page.goto(`${kairos.url}/t/kk/`);
    await expect(bar(page)).toHaveCount(1);
    expect((await barLayout(page)).text).toBe('Жазғы жеңілдік: барлық көзілдірікке 20%');
    await context.close();
  });
});

test.describe('counted copy takes the language’s plural form', () => {
  test.beforeEach(({ context }) => shop(context));

  /**
   * Fills the cart on a page in `lang` up to each count in turn and comes back in a new session each time (the
   * clock moves past the 30-minute session timeout): the reminder's headline for each count.
   */
  async function headlines(page: Page, lang: string, counts: number[]): Promise<string[]> {
    const seen: string[] = [];
    let inCart = 0;
    let later = 0;
    await page.goto(`${kairos.url}/t/${lang}/`);
    for (const count of counts) {
      await page.evaluate(
        (quantity) =>
          (window as unknown as { kairos(...args: unknown[]): void }).kairos('track', 'Product Added', { product_id: 'linen-shirt', name: 'Linen Shirt', price: 49, quantity }),
        count - inCart,
      );
      inCart = count;
      await settle(page);
      later += 45;
      await page.clock.setSystemTime(Date.now() + later * 60_000);
      await page.goto(`${kairos.url}/t/${lang}/`);
      await expect(reminder(page).locator('h2')).toHaveCount(1);
      seen.push((await reminder(page).locator('h2').textContent()) ?? '');
      expect(await reminder(page).getAttribute('lang')).toBe(lang);
    }
    return seen;
  }

  test('Welsh: 1, 2, 3, 4 and 6 items — one, two, few, other and many', async ({ page }) => {
    test.setTimeout(60_000);
    const errors = collectPageErrors(page);
    expect(await headlines(page, 'cy', [1, 2, 3, 4, 6])).toEqual([
      'Gadawoch chi 1 peth yn eich basged',
      'Gadawoch chi 2 beth yn eich basged',
      'Gadawoch chi 3 pheth yn eich basged',
      'Gadawoch chi 4 o bethau yn eich basged',
      'Gadawoch chi 6 pheth yn eich basged',
    ]);
    // The rest of the Welsh copy, and the money in Welsh formatting.
    await expect(reminder(page).getByRole('link', { name: 'Yn ôl i’m basged' })).toBeVisible();
    await expect(reminder(page).getByRole('button', { name: 'Cau' })).toBeVisible();
    await expect(reminder(page).locator('.cart-total')).toHaveText(new Intl.NumberFormat('cy', { style: 'currency', currency: 'EUR' }).format(6 * 49));
    expect(errors).toEqual([]);
  });

  test('Kazakh: 1 item — one; 2 items — other', async ({ page }) => {
    test.setTimeout(60_000);
    expect(await headlines(page, 'kk', [1, 2])).toEqual(['Себетіңізде бір тауар қалды', 'Себетіңізде 2 тауар қалды']);
    await expect(reminder(page).getByRole('button', { name: 'Жабу' })).toBeVisible();
  });

  test('Kyrgyz: 1 item — one; 5 items — other', async ({ page }) => {
    test.setTimeout(60_000);
    expect(await headlines(page, 'ky', [1, 5])).toEqual(['Себетиңизде бир товар калды', 'Себетиңизде 5 товар калды']);
    await expect(reminder(page).getByRole('button', { name: 'Жабуу' })).toBeVisible();
  });

  test('English pages keep the English forms', async ({ page }) => {
    test.setTimeout(60_000);
    expect(await headlines(page, 'en', [1, 2])).toEqual(['You left 1 item in your cart', 'You left 2 items in your cart']);
  });
});
