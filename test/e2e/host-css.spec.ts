// CSS both ways, with the real built widget (dist/widget) and a real server:
// - inward: hostile host CSS (`* { … !important }`, `html { font-size: 62.5% }`, `div { display: none !important }`,
//   rules on the class names and tag our UI uses, `button { all: unset }`, Bootstrap 5, Tailwind v4, generated
//   content on `*::before/::after`, a filter on <body>) does not change our overlays: the same bars and modal,
//   screenshotted settled on each page, differ from the blank page's in at most 0.1 % of their pixels;
// - outward: our CSS changes nothing on the host: on a Bootstrap and a Tailwind page of ~185 varied nodes, every
//   computed style of every host node (and its ::before/::after) is the same before the widget loads (its script
//   held back) and while the campaigns show; the page outside our overlays shows no visible pixel change
//   (pixelmatch); no host stylesheet is added or changed, no host node is touched, and every style of ours is
//   adopted by our own shadow roots;
// - statically: the CSS text in the built bundle has no selector or at-rule that could reach the host document.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Browser, type Page, type Route } from '@playwright/test';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { compile } from 'tailwindcss';
import ts from 'typescript';
import { collectPageErrors, root, startKairos, type Kairos } from './support';

/** A top bar, a bottom bar and a modal, all shown on page load, on every page. */
const CONFIG = `
site: { name: Hostile CSS }
fatigue: { modals_per_session: 1, modals_per_day: 3 }
cart: { currency: EUR }
campaigns:
  - id: css-top
    type: free_shipping_bar
    position: top
    threshold: 75
    theme: { background: "#1f2a44", color: "#ffffff" }
  - id: css-bottom
    type: announcement_bar
    position: bottom
    content:
      text: "Summer sale: 20% off all sunglasses until Sunday."
      link: { label: Shop sunglasses, url: /products/sunglasses-aviator }
    theme: { background: "#0f5c57", color: "#ffffff" }
  - id: css-modal
    type: modal
    frequency: always
    content:
      headline: Welcome to Northwind — 10% off your first order
      text: Use code WELCOME10 at checkout. Valid on everything, including the summer sale.
      button: { label: Start shopping, url: /products/linen-shirt }
`;
const BARS = ['css-top', 'css-bottom'] as const;
const MODAL = 'css-modal';
const MAX_DIFF = 0.001; // ≤ 0.1 % of an overlay's pixels may differ from the blank page's

const BOOTSTRAP_CSS = readFileSync(join(root, 'node_modules', 'bootstrap', 'dist', 'css', 'bootstrap.min.css'), 'utf8');

/** Shop-like content, the same on every inward page (only the CSS differs). */
const SHOP_BODY = `
<header class="border top"><nav class="bar"><a class="link" href="#">Northwind</a> <button class="btn primary close">Menu</button></nav></header>
<main class="card"><h1>Sunglasses</h1><h2 class="text">Aviator</h2>
<div class="actions"><p class="text">Polarised lenses, metal frame.</p><button class="btn secondary">Add to cart</button>
<a class="link prefs" href="#">Details</a><input class="sr-only" value="1"></div>
<ul><li>UV400</li><li>Case included</li></ul><dialog class="card">a host dialog, closed</dialog></main>
<footer class="bottom"><p>© Northwind</p></footer>`;

/** Host pages for the inward check: name → the page's own CSS ('' is the blank control). */
const HOSTILE: Record<string, string> = {
  blank: '',
  'star-important': `
    * { font: 30px/3 serif !important; color: red !important; box-sizing: content-box !important; margin: 7px !important;
        padding: 5px !important; border: 3px dashed red !important; background: yellow !important; letter-spacing: 3px !important;
        word-spacing: 9px !important; text-transform: uppercase !important; text-align: right !important; text-decoration: line-through !important;
        text-shadow: 2px 2px lime !important; box-shadow: 0 0 0 4px blue !important; border-radius: 0 !important; outline: 4px solid orange !important;
        cursor: crosshair !important; direction: ltr !important; writing-mode: horizontal-tb !important; width: auto !important; min-height: 3px !important;
        max-width: 300px !important; transition: all 3s !important; visibility: visible !important; white-space: nowrap !important; }
    :root { color-scheme: dark !important; accent-color: red; caret-color: red; --kairos-accent: red; --kairos-accent-text: lime;
            --kairos-bg: magenta; --kairos-fg: lime; --kairos-from: 40%; }
    dialog { display: none !important; } ::backdrop { background: lime !important; }
    h2, p, a, button { all: unset !important; margin: 40px !important; }`,
  'root-font-size': `html { font-size: 62.5%; } body { font-size: 1.6rem; line-height: 2; } button { font-size: 1.4rem; }`,
  'div-none': `div { display: none !important; } span { display: block !important; } p { position: absolute !important; top: -999px !important; }`,
  'our-names': `
    .border { position: absolute; } .bar, .top, .bottom, .card, .actions, .text, .link, .btn, .primary, .secondary, .close, .prefs,
    .prefs-slot, .sr-only, .fill, .track, .coupon, .copy { position: absolute !important; display: none !important; background: red !important;
      color: lime !important; font-size: 40px !important; padding: 30px !important; transform: rotate(8deg) !important; }
    #kairos-title, #kairos-text { display: none !important; }
    kairos-campaign { display: none !important; position: static !important; z-index: -1 !important; transform: scale(0.5) !important;
      opacity: 0.2 !important; filter: invert(1) !important; font: 40px serif !important; --kairos-accent: red; }
    kairos-campaign * { color: red !important; }`,
  'button-unset': `button { all: unset; } button, a, input { font: 20px/1 monospace !important; color: purple !important; } a { text-decoration: none; }`,
  bootstrap: BOOTSTRAP_CSS,
  // Filled in beforeAll: Tailwind v4 compiled for TAILWIND_BODY's classes (theme, preflight in @layer, @property).
  tailwind: '',
  // Generated content on every element, our host included (its ::before/::after are outside our shadow root).
  'pseudo-content': `*::before, *::after { content: "★" !important; color: red !important; font-size: 30px !important; }`,
  // A filter on <body> makes it the containing block of fixed descendants, and greys and fades what is inside.
  'body-filter': `body { filter: grayscale(1) opacity(0.8); }`,
};

// Tracing snapshots the DOM at every step (these pages are large, and the steps many): 3–4× the run time. A trace
// is still recorded when a failed test is retried (CI retries once).
test.use({ trace: 'on-first-retry' });

let kairos: Kairos;
/** The pages served at kairos.url + /host/<name>; the host document is same-origin with the API. */
const pages: Record<string, string> = {};

const html = (css: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>` +
  `<link rel="stylesheet" href="/host/${encodeURIComponent(css)}.css"><script async src="/kairos.js"></script></head><body>${body}</body></html>`;
const stylesheets: Record<string, string> = {};

test.beforeAll(async () => {
  kairos = await startKairos({ config: CONFIG, demo: false });
  HOSTILE['tailwind'] = await tailwindCss(TAILWIND_BODY);
  for (const [name, css] of Object.entries(HOSTILE)) {
    stylesheets[name] = css;
    pages[name] = html(name, name === 'bootstrap' ? BOOTSTRAP_BODY : name === 'tailwind' ? TAILWIND_BODY : SHOP_BODY);
  }
});
test.afterAll(() => kairos.stop());

/**
 * Serves the host pages and their stylesheets under /host/; the widget and the API come from the real server.
 * With `hold`, the widget's script is held back until `release()` (the host as it is before the widget runs).
 */
async function serveHost(page: Page, hold = false): Promise<() => void> {
  await page.route(kairos.url + '/host/**', (route: Route) => {
    const name = decodeURIComponent(new URL(route.request().url()).pathname.slice('/host/'.length));
    if (name.endsWith('.css')) return route.fulfill({ contentType: 'text/css', body: stylesheets[name.slice(0, -4)] ?? '' });
    const body = pages[name];
    return body === undefined ? route.fulfill({ status: 404, body: 'no such host page' }) : route.fulfill({ contentType: 'text/html', body });
  });
  let release = () => {};
  if (hold) {
    const gate = new Promise<void>((r) => (release = r));
    await page.route(kairos.url + '/kairos.js', async (route) => {
      await gate;
      await route.continue();
    });
  }
  return release;
}

/** Waits until the two bars show and the modal is open, rendered, with fonts loaded and a frame painted. */
async function campaignsShown(page: Page, withModal = true): Promise<void> {
  for (const id of withModal ? [...BARS, MODAL] : BARS) await expect(page.locator(`kairos-campaign[data-campaign="${id}"]`)).toHaveCount(1);
  if (withModal) await expect(page.locator(`kairos-campaign[data-campaign="${MODAL}"] dialog[open]`)).toBeVisible();
  for (const id of BARS) await expect(page.locator(`kairos-campaign[data-campaign="${id}"] .bar`)).toBeVisible();
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))));
}

/** Closes the modal with Escape (no pointer left hovering anything) and waits for it to be gone. */
async function closeModal(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await expect(page.locator(`kairos-campaign[data-campaign="${MODAL}"]`)).toHaveCount(0);
}

type Box = { x: number; y: number; width: number; height: number };

/** A PNG of the clip; animations are off (reduced motion, and Playwright's own), so a frame is a settled frame. */
async function shot(page: Page, clip: Box): Promise<PNG> {
  return PNG.sync.read(await page.screenshot({ clip, animations: 'disabled', caret: 'hide' }));
}

/** The box of what we draw for a campaign: the modal's <dialog> (top layer), a bar's host element. */
function overlayBox(page: Page, id: string): Promise<Box & { radius: number }> {
  return page.locator(`kairos-campaign[data-campaign="${id}"]`).evaluate((host) => {
    const el = host.shadowRoot!.querySelector('dialog') ?? host;
    const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height, radius: parseFloat(getComputedStyle(el).borderTopLeftRadius) || 0 };
  });
}

/**
 * Pixels that differ between two screenshots of the same overlay (same size required), leaving out the corners
 * outside a rounded card (`radius`), where the page behind shows through on purpose.
 */
function differingPixels(a: PNG, b: PNG, radius = 0): { differ: number; total: number } {
  expect([b.width, b.height], 'the overlay keeps its size').toEqual([a.width, a.height]);
  const { width, height } = a;
  const blank = (x: number, y: number) => {
    const cx = x < radius ? radius : x >= width - radius ? width - radius - 1 : x;
    const cy = y < radius ? radius : y >= height - radius ? height - radius - 1 : y;
    return (cx !== x || cy !== y) && Math.hypot(x - cx, y - cy) > radius - 2;
  };
  const [da, db] = [Buffer.from(a.data), Buffer.from(b.data)];
  let skipped = 0;
  if (radius > 0)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        if (blank(x, y)) {
          skipped++;
          const i = (y * width + x) * 4;
          da.copy(db, i, i, i + 4);
        }
  const differ = pixelmatch(da, db, undefined, width, height, { threshold: 0.1 });
  return { differ, total: width * height - skipped };
}

type Shots = Record<string, { png: PNG; radius: number }>;

/**
 * Opens a host page as a new shopper (a fresh context: every page gets the same campaigns) and screenshots each
 * overlay settled: the modal's dialog first, then, with the modal closed, each bar.
 */
async function overlayShots(browser: Browser, name: string): Promise<Shots> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, reducedMotion: 'reduce', deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await serveHost(page);
    await page.goto(`${kairos.url}/host/${name}`);
    await campaignsShown(page);
    const got: Shots = {};
    const modal = await overlayBox(page, MODAL);
    got[MODAL] = { png: await shot(page, modal), radius: modal.radius };
    await closeModal(page);
    for (const id of BARS) got[id] = { png: await shot(page, await overlayBox(page, id)), radius: 0 };
    expect(errors, `page errors on ${name}`).toEqual([]);
    return got;
  } finally {
    await context.close();
  }
}

/** The blank page's shots, taken once per worker by whichever test needs them first. */
let control: Promise<Shots> | undefined;

test.describe('CSS inward: hostile host CSS does not change our overlays', () => {
  for (const name of Object.keys(HOSTILE).filter((n) => n !== 'blank')) {
    test(`${name}: the bars and the modal look as on a blank page`, async ({ browser }) => {
      const blank = await (control ??= overlayShots(browser, 'blank'));
      const got = await overlayShots(browser, name);
      const figures: string[] = [];
      const failures: string[] = [];
      for (const id of [MODAL, ...BARS]) {
        const [want, mine] = [blank[id]!, got[id]!];
        if (mine.png.width !== want.png.width || mine.png.height !== want.png.height) {
          failures.push(`${id}: ${mine.png.width}×${mine.png.height} instead of ${want.png.width}×${want.png.height}`);
          continue;
        }
        const { differ, total } = differingPixels(want.png, mine.png, want.radius);
        figures.push(`${id} ${differ}/${total} px (${((100 * differ) / total).toFixed(3)} %)`);
        if (differ / total > MAX_DIFF) failures.push(`${id}: ${differ} of ${total} pixels differ`);
      }
      console.log(`[host-css] ${name}: ${[...figures, ...failures].join(', ')}`);
      test.info().annotations.push({ type: 'pixel diff', description: figures.join(', ') });
      expect(failures).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// Outward: real framework pages of about 200 varied nodes.

/** Bootstrap markup: navbar, headings, buttons, a form, a table, lists, cards, alerts, badges, links. */
const BOOTSTRAP_BODY = `
<nav class="navbar navbar-expand-lg bg-body-tertiary"><div class="container-fluid"><a class="navbar-brand" href="#">Northwind</a>
<ul class="navbar-nav me-auto">${['Home', 'Sunglasses', 'Summer', 'Sale'].map((l, i) => `<li class="nav-item"><a class="nav-link${i ? '' : ' active'}" href="#">${l}</a></li>`).join('')}</ul>
<form class="d-flex" role="search"><input class="form-control me-2" type="search" placeholder="Search"><button class="btn btn-outline-success" type="submit">Search</button></form></div></nav>
<main class="container py-4">
<h1 class="display-5">Summer collection</h1><h2>Sunglasses</h2><h3 class="h5 text-muted">Polarised</h3><h4>Frames</h4><h5>Lenses</h5><h6>Cases</h6>
<p class="lead">Light, polarised, <a href="#">guaranteed for two years</a>. <small>Terms apply.</small> <mark>New</mark> <code>SUN15</code> <kbd>Tab</kbd></p>
<div class="alert alert-warning" role="alert">Order within 2 hours for same-day dispatch.</div>
<div class="d-flex flex-wrap gap-2 mb-3">${['primary', 'secondary', 'success', 'danger', 'warning', 'info', 'light', 'dark', 'link'].map((c) => `<button type="button" class="btn btn-${c}">${c}</button>`).join('')}
<button class="btn btn-primary" disabled>Disabled</button><span class="badge text-bg-primary">New</span><span class="badge rounded-pill text-bg-danger">-20%</span></div>
<div class="row g-3 mb-4">${[1, 2, 3, 4, 5, 6].map((n) => `<div class="col-md-4"><div class="card h-100"><div class="card-body"><h5 class="card-title">Frame ${n}</h5><p class="card-text">€${60 + n * 7}</p><a href="#" class="btn btn-sm btn-outline-primary">View</a></div><div class="card-footer text-body-secondary">In stock</div></div></div>`).join('')}</div>
<form class="row g-3 mb-4"><div class="col-md-6"><label for="em" class="form-label">Email</label><input type="email" class="form-control" id="em" value="a@b.test"></div>
<div class="col-md-6"><label for="sz" class="form-label">Size</label><select id="sz" class="form-select"><option>S</option><option selected>M</option></select></div>
<div class="col-12"><textarea class="form-control" rows="2">Gift wrap</textarea></div>
<div class="col-12"><div class="form-check"><input class="form-check-input" type="checkbox" id="ck" checked><label class="form-check-label" for="ck">Newsletter</label></div>
<div class="form-check form-switch"><input class="form-check-input" type="checkbox" role="switch" id="sw"><label class="form-check-label" for="sw">Express</label></div>
<input type="range" class="form-range"><div class="input-group"><span class="input-group-text">€</span><input type="number" class="form-control" value="75"></div></div></form>
<table class="table table-striped table-hover"><thead><tr><th>Item</th><th>Qty</th><th>Price</th></tr></thead>
<tbody>${[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `<tr><td>Item ${n}</td><td>${n}</td><td>€${n * 12}</td></tr>`).join('')}</tbody></table>
<ul class="list-group mb-3">${[1, 2, 3, 4].map((n) => `<li class="list-group-item${n === 1 ? ' active' : ''}">Line ${n}</li>`).join('')}</ul>
<ol>${[1, 2, 3].map((n) => `<li>Step ${n}</li>`).join('')}</ol><dl><dt>Returns</dt><dd>60 days</dd></dl>
<nav><ul class="pagination">${[1, 2, 3].map((n) => `<li class="page-item"><a class="page-link" href="#">${n}</a></li>`).join('')}</ul></nav>
<div class="progress mb-3"><div class="progress-bar" style="width: 40%">40%</div></div>
<blockquote class="blockquote"><p>Best sunglasses I own.</p><footer class="blockquote-footer">A shopper</footer></blockquote>
<hr><details><summary>More</summary><p>Hidden details</p></details><img alt="" width="40" height="20" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
</main><footer class="bg-dark text-white p-3"><p class="mb-0">© Northwind <a class="link-light" href="#">Imprint</a></p></footer>`;

/** Tailwind markup: utility classes of every kind (layout, spacing, colour, ring, shadow, transform, divide). */
const TAILWIND_BODY = `
<header class="sticky top-0 z-40 flex items-center justify-between bg-white/90 px-6 py-3 shadow-sm backdrop-blur"><a class="text-xl font-bold text-indigo-600" href="#">Northwind</a>
<nav class="flex gap-4 text-sm">${['Home', 'Sunglasses', 'Summer', 'Sale'].map((l) => `<a class="hover:underline text-slate-700" href="#">${l}</a>`).join('')}</nav></header>
<main class="mx-auto max-w-5xl space-y-8 p-6">
<h1 class="text-4xl font-extrabold tracking-tight text-slate-900">Summer collection</h1><h2 class="text-2xl font-semibold">Sunglasses</h2><h3 class="text-lg italic">Polarised</h3>
<p class="leading-relaxed text-slate-600">Light, polarised, <a class="text-indigo-600 underline underline-offset-4" href="#">guaranteed</a>. <code class="rounded bg-slate-100 px-1 font-mono">SUN15</code></p>
<div class="rounded-lg border-l-4 border-amber-500 bg-amber-50 p-4 text-amber-900">Order within 2 hours for same-day dispatch.</div>
<div class="flex flex-wrap gap-2">${['bg-indigo-600 text-white', 'bg-white text-slate-900 ring-1 ring-slate-300', 'bg-rose-600 text-white', 'bg-emerald-600 text-white', 'bg-slate-900 text-white'].map((c, i) => `<button class="rounded-md px-3 py-2 text-sm font-semibold shadow-xs ${c}" type="button">Button ${i}</button>`).join('')}
<button class="cursor-not-allowed rounded-md bg-slate-300 px-3 py-2 opacity-50" disabled>Disabled</button><span class="inline-flex items-center rounded-full bg-green-50 px-2 py-1 text-xs text-green-700 ring-1 ring-green-600/20 ring-inset">New</span></div>
<div class="grid grid-cols-1 gap-6 sm:grid-cols-2 lg:grid-cols-3">${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `<article class="overflow-hidden rounded-xl bg-white shadow-md ring-1 ring-black/5 transition hover:-translate-y-1"><div class="aspect-video bg-gradient-to-br from-sky-200 to-indigo-300"></div><div class="p-4"><h4 class="font-semibold">Frame ${n}</h4><p class="text-sm text-slate-500">€${60 + n * 7}</p><a class="mt-2 inline-block rounded bg-indigo-50 px-2 py-1 text-indigo-700" href="#">View</a></div></article>`).join('')}</div>
<form class="grid gap-4 sm:grid-cols-2"><label class="block"><span class="text-sm font-medium">Email</span><input class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 focus:ring-2 focus:ring-indigo-500" type="email" value="a@b.test"></label>
<label class="block"><span class="text-sm font-medium">Size</span><select class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2"><option>S</option><option selected>M</option></select></label>
<textarea class="col-span-full rounded-md border p-2" rows="2">Gift wrap</textarea><label class="inline-flex items-center gap-2"><input type="checkbox" class="size-4 accent-indigo-600" checked> Newsletter</label>
<input type="range" class="w-full"></form>
<table class="w-full table-auto border-collapse text-left text-sm"><thead class="bg-slate-50"><tr><th class="border-b p-2">Item</th><th class="border-b p-2">Qty</th><th class="border-b p-2">Price</th></tr></thead>
<tbody class="divide-y divide-slate-200">${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => `<tr class="odd:bg-white even:bg-slate-50"><td class="p-2">Item ${n}</td><td class="p-2">${n}</td><td class="p-2 tabular-nums">€${n * 12}</td></tr>`).join('')}</tbody></table>
<ul class="list-disc space-y-1 pl-5 marker:text-indigo-500">${[1, 2, 3, 4].map((n) => `<li>Line ${n}</li>`).join('')}</ul><ol class="list-decimal pl-5">${[1, 2, 3].map((n) => `<li>Step ${n}</li>`).join('')}</ol>
<div class="h-2 w-full rounded-full bg-slate-200"><div class="h-2 w-2/5 rounded-full bg-indigo-600"></div></div>
<blockquote class="border-l-4 border-slate-300 pl-4 text-slate-700 italic">Best sunglasses I own.</blockquote><hr class="my-4 border-slate-200">
<details class="rounded border p-2"><summary class="cursor-pointer font-medium">More</summary><p>Hidden details</p></details>
<nav class="isolate inline-flex -space-x-px rounded-md shadow-xs">${[1, 2, 3, 4, 5].map((n) => `<a class="px-3 py-2 ring-1 ring-slate-300 ring-inset ${n === 1 ? 'z-10 bg-indigo-600 text-white' : 'text-slate-900'}" href="#">${n}</a>`).join('')}</nav>
<dl class="grid grid-cols-2 gap-2"><dt class="font-medium">Returns</dt><dd class="text-slate-600">60 days</dd><dt class="font-medium">Warranty</dt><dd class="text-slate-600">2 years</dd></dl>
<div class="relative h-10"><span class="absolute inset-x-0 top-1 -rotate-1 scale-95 text-center text-xs uppercase">Rotated</span></div>
</main><footer class="bg-slate-900 p-6 text-slate-300"><p>© Northwind <a class="text-white" href="#">Imprint</a></p></footer>`;

/** Tailwind v4 compiled as its CLI would for `body`'s classes, from node_modules/tailwindcss (no network). */
async function tailwindCss(body: string): Promise<string> {
  const dir = join(root, 'node_modules', 'tailwindcss');
  const compiler = await compile('@import "tailwindcss";', {
    base: dir,
    loadStylesheet: async (id, base) => {
      const path = id === 'tailwindcss' ? join(dir, 'index.css') : join(base, id);
      return { path, base: dir, content: readFileSync(path, 'utf8') };
    },
  });
  const candidates = [...body.matchAll(/class="([^"]*)"/g)].flatMap((m) => m[1]!.split(/\s+/)).filter(Boolean);
  const css = compiler.build([...new Set(candidates)]);
  if (!/@property/.test(css) || !/@layer/.test(css) || !/--color-indigo-600/.test(css)) throw new Error('Tailwind did not compile as expected');
  return css;
}

declare global {
  interface Window {
    /** Host mutations seen since the observer started, except the widget's own hosts coming and going. */
    hostMutations?: string[];
    /** The host's computed styles as first recorded (see recordHostStyles). */
    hostStyles?: Map<Element, string[]>;
  }
}

/**
 * Records, in the page, every host node's computed style (all properties, with its ::before and ::after; our hosts
 * and what is inside them left out); gives the number of nodes and of values.
 */
function recordHostStyles(page: Page): Promise<{ nodes: number; values: number }> {
  return page.evaluate(() => {
    const snapshot = new Map<Element, string[]>();
    let values = 0;
    for (const el of document.querySelectorAll('*')) {
      if (el.closest('kairos-campaign')) continue;
      const all: string[] = [];
      for (const pseudo of [null, '::before', '::after'] as const) {
        const cs = getComputedStyle(el, pseudo);
        // A pseudo-element without content draws nothing: its `content` is all there is to compare.
        const content = cs.getPropertyValue('content');
        if (pseudo && (content === 'none' || content === 'normal')) all.push(`${pseudo} content: ${content}`);
        else for (let j = 0; j < cs.length; j++) all.push(`${pseudo ?? ''} ${cs[j]}: ${cs.getPropertyValue(cs[j]!)}`);
      }
      values += all.length;
      snapshot.set(el, all);
    }
    window.hostStyles = snapshot;
    return { nodes: snapshot.size, values };
  });
}

/** What changed since recordHostStyles: each changed value (or node come or gone) with the node it is on. */
function changedHostStyles(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const before = window.hostStyles!;
    const name = (el: Element) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '');
    const changed: string[] = [];
    const now = [...document.querySelectorAll('*')].filter((el) => !el.closest('kairos-campaign'));
    for (const el of now) {
      const was = before.get(el);
      if (!was) {
        changed.push(`${name(el)}: a new node`);
        continue;
      }
      let i = 0;
      for (const pseudo of [null, '::before', '::after'] as const) {
        const cs = getComputedStyle(el, pseudo);
        const content = cs.getPropertyValue('content');
        const now =
          pseudo && (content === 'none' || content === 'normal')
            ? [`${pseudo} content: ${content}`]
            : Array.from({ length: cs.length }, (_, j) => `${pseudo ?? ''} ${cs[j]}: ${cs.getPropertyValue(cs[j]!)}`);
        for (const v of now) {
          if (v !== was[i]) changed.push(`${name(el)}${was[i] ?? '(none)'} → ${v}`);
          i++;
        }
      }
      if (i !== was.length) changed.push(`${name(el)}: ${was.length} values before, ${i} now`);
    }
    if (now.length !== before.size) changed.push(`${before.size} host nodes before, ${now.length} now`);
    return changed;
  });
}

/** What the host's stylesheets are: the document's sheets and adopted sheets, each with its owner and rule count. */
function hostSheets(page: Page): Promise<string[]> {
  return page.evaluate(() => [
    ...[...document.styleSheets].map((s) => `${(s.ownerNode as Element | null)?.tagName ?? '-'} ${s.href ?? 'inline'} ${s.cssRules.length} rules ${s.disabled ? 'disabled' : ''}`),
    `adopted: ${document.adoptedStyleSheets.length}`,
  ]);
}

/**
 * Pixels that differ between two full screenshots, outside the given rectangles: every changed pixel (`strict`),
 * and those pixelmatch counts as a visible change (`visible`: its default threshold 0.1, anti-aliasing excluded).
 * Chromium re-rasterises native and SVG-drawn form controls after any modal <dialog> has made them inert (a host
 * page's own dialog does the same), which moves a few edge pixels of their rounded corners by a shade; that is the
 * browser's raster, not a style of ours (the computed styles are compared exactly), so the assertion is on `visible`.
 */
function differingOutside(a: PNG, b: PNG, rects: Box[]): { strict: number; visible: number } {
  expect([b.width, b.height]).toEqual([a.width, a.height]);
  const [da, db] = [Buffer.from(a.data), Buffer.from(b.data)];
  for (const r of rects)
    for (let y = Math.max(0, Math.floor(r.y)); y < Math.min(a.height, Math.ceil(r.y + r.height)); y++)
      for (let x = Math.max(0, Math.floor(r.x)); x < Math.min(a.width, Math.ceil(r.x + r.width)); x++) {
        const i = (y * a.width + x) * 4;
        da.copy(db, i, i, i + 4);
      }
  const strict = pixelmatch(da, db, undefined, a.width, a.height, { threshold: 0, includeAA: true });
  const visible = pixelmatch(da, db, undefined, a.width, a.height, { threshold: 0.1 });
  return { strict, visible };
}

test.describe('CSS outward: our CSS changes nothing on the host', () => {
  for (const framework of ['bootstrap', 'tailwind'] as const) {
    test(`on a ${framework} page: computed styles, pixels outside our overlays and the host's stylesheets are unchanged`, async ({ browser }) => {
      test.setTimeout(40_000);
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, reducedMotion: 'reduce', deviceScaleFactor: 1 });
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const release = await serveHost(page, true);
      await page.goto(`${kairos.url}/host/${framework}`, { waitUntil: 'domcontentloaded' });
      await page.evaluate(() => Promise.all([...document.querySelectorAll('link[rel=stylesheet]')].map((l) => ((l as HTMLLinkElement).sheet ? 0 : new Promise((r) => l.addEventListener('load', r))))));
      // The whole page in one viewport, so one screenshot covers it and fixed overlays have plain viewport boxes.
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({ width: 1280, height });
      await page.evaluate(() => document.fonts.ready);

      const sheetsBefore = await hostSheets(page);
      const { nodes, values } = await recordHostStyles(page);
      const pixelsBefore = PNG.sync.read(await page.screenshot({ animations: 'disabled', caret: 'hide' }));
      expect(nodes).toBeGreaterThanOrEqual(180);

      await page.evaluate(() => {
        window.hostMutations = [];
        const ours = (n: Node) => n.nodeName === 'KAIROS-CAMPAIGN';
        new MutationObserver((records) => {
          for (const r of records) {
            const nodes = [...r.addedNodes, ...r.removedNodes];
            if (r.type === 'childList' && nodes.length && nodes.every(ours)) continue;
            if ((r.target as Element).closest?.('kairos-campaign') || ours(r.target)) continue;
            window.hostMutations!.push(`${r.type} on ${r.target.nodeName}${r.attributeName ? ' @' + r.attributeName : ''}: ${nodes.map((n) => n.nodeName).join(',')}`);
          }
        }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      });

      release();
      await campaignsShown(page);
      const changedWithModal = await changedHostStyles(page);
      // What our UI put in place: every shadow root styled by adopted sheets of its own, nothing added to the page.
      const ours = await page.evaluate(() =>
        [...document.querySelectorAll('kairos-campaign')].map((h) => ({
          adopted: h.shadowRoot!.adoptedStyleSheets.length,
          styleElements: h.shadowRoot!.querySelectorAll('style, link').length,
          lightChildren: h.childNodes.length,
        })),
      );
      await closeModal(page);
      const mutations = await page.evaluate(() => window.hostMutations!);
      const pixelsAfter = PNG.sync.read(await page.screenshot({ animations: 'disabled', caret: 'hide' }));
      // Our overlays, with the bars' shadow (box-shadow 0 0 12px) painted just outside their boxes.
      const rects = await page.evaluate(() =>
        [...document.querySelectorAll('kairos-campaign')].map((h) => {
          const r = h.getBoundingClientRect();
          return { x: r.x - 16, y: r.y - 16, width: r.width + 32, height: r.height + 32 };
        }),
      );
      expect(rects).toHaveLength(2);
      const outside = differingOutside(pixelsBefore, pixelsAfter, rects);
      const sheetsAfter = await hostSheets(page);

      console.log(
        `[host-css] ${framework}: ${nodes} host nodes, ${values} computed values compared: ${changedWithModal.length} changed with the campaigns shown; ` +
          `${outside.visible} of ${pixelsBefore.width * pixelsBefore.height} pixels outside our overlays differ visibly (${outside.strict} by any amount)`,
      );
      expect(changedWithModal.slice(0, 20)).toEqual([]);
      expect(outside.visible).toBe(0);
      expect(sheetsAfter).toEqual(sheetsBefore);
      expect(mutations).toEqual([]);
      expect(ours).toEqual(Array(3).fill({ adopted: 1, styleElements: 0, lightChildren: 0 }));
      expect(errors).toEqual([]);
      await context.close();
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// Statically: the CSS the built bundle carries.

/** Every string and template text in a built JS file. */
function literals(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) out.push(n.text);
    else if (ts.isTemplateExpression(n)) out.push(n.head.text + n.templateSpans.map((s) => '0' + s.literal.text).join(''));
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

test('the built bundle’s CSS has no selector or at-rule that reaches the host document, and all of it is for shadow roots', async ({ page }) => {
  const dir = join(root, 'dist', 'widget');
  const files = [join(dir, 'kairos.js'), ...readdirSync(join(dir, 'kairos-ui')).filter((f) => f.endsWith('.js')).map((f) => join(dir, 'kairos-ui', f))];
  const texts: { file: string; css: string }[] = [];
  for (const file of files)
    for (const s of literals(file)) if (/[^{}]\{[^{}]*[a-z-]+\s*:[^{}]*\}/i.test(s)) texts.push({ file: file.slice(dir.length + 1), css: s });
  // The browser's own CSS parser says what each text is: selectors of style rules (nested ones too) and at-rules.
  const parsed = await page.evaluate((texts) => {
    const found: { file: string; selectors: string[]; atRules: string[]; imports: number }[] = [];
    for (const { file, css } of texts) {
      const sheet = new CSSStyleSheet();
      try {
        sheet.replaceSync(css);
      } catch {
        continue;
      }
      const selectors: string[] = [];
      const atRules: string[] = [];
      const walk = (rules: CSSRuleList) => {
        for (const r of rules) {
          if (r instanceof CSSStyleRule) selectors.push(...r.selectorText.split(/,(?![^(]*\))/).map((s) => s.trim()));
          else atRules.push(r.cssText.slice(0, r.cssText.search(/[{;]/)).trim() || r.constructor.name);
          if ('cssRules' in r && !(r instanceof CSSKeyframesRule)) walk((r as CSSGroupingRule).cssRules);
        }
      };
      walk(sheet.cssRules);
      if (selectors.length || atRules.length) found.push({ file, selectors, atRules, imports: (css.match(/@import\b/g) ?? []).length });
    }
    return found;
  }, texts);

  const selectors = parsed.flatMap((p) => p.selectors.map((s) => ({ file: p.file, s })));
  const atRules = parsed.flatMap((p) => p.atRules.map((a) => ({ file: p.file, a })));
  // Not vacuous: the shells' CSS is found (bar, dialog, cards).
  for (const want of ['.bar', 'dialog::backdrop', '.close', ':host']) expect(selectors.map((x) => x.s)).toContain(want);
  const global = selectors.filter(({ s }) => /(^|[\s>+~(,])(:root|html|body)\b|^\*|[\s>+~]\*/i.test(s) && !/^:host/.test(s));
  const badAt = atRules.filter(({ a }) => !/^@(media|keyframes|supports|container|starting-style)\b/.test(a));
  const imports = parsed.filter((p) => p.imports > 0);
  console.log(`[host-css] bundle: ${parsed.length} CSS texts in ${new Set(parsed.map((p) => p.file)).size} files, ${selectors.length} selectors, ${atRules.length} at-rules; ${global.length + badAt.length + imports.length} reach the host`);
  expect(global).toEqual([]);
  expect(badAt).toEqual([]);
  expect(imports).toEqual([]);
  // The engine carries no CSS, and no code path puts styles anywhere but our shadow roots.
  expect(parsed.filter((p) => p.file === 'kairos.js')).toEqual([]);
  const code = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  expect(code).not.toMatch(/registerProperty|new FontFace|document\.adoptedStyleSheets|document\.styleSheets|insertRule/);
});
