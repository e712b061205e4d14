// Puts a campaign on the page: the cross-tab modal lock for interruptions (two tabs never interrupt at once),
// one <kairos-campaign> host per campaign, an open shadow root inside it, and the campaign's own `mount` drawing
// into it. This runs in the UI chunks (the engine only imports a campaign's module
// and calls its `show`), so none of it weighs on the first script.
// The host's inline `!important` styles beat anything the shop's CSS says about unknown elements; the shadow
// root keeps our CSS in and theirs out. Hosts are fixed-position overlays, so nothing on the page moves.
import { options, render, type ComponentChild } from 'preact';
import { safe } from '../safe';
import { variantOf } from '../bucket';
import type { MountCampaign, ShowCampaign } from './contract';
import { prefsLinks } from './prefs-link';

const MODAL_LOCK = 'kairos-modal';

const HOST_STYLE = 'all:initial;display:block;position:fixed;left:0;right:0;z-index:2147483647'.replace(/;|$/g, '!important;');

/**
 * A new <kairos-campaign> — or, where the page has registered a custom element of that name (whose constructor
 * would run, and which may refuse a shadow root), an unregistered name of our own.
 */
export function hostElement(): HTMLElement {
  let tag = 'kairos-campaign';
  while (window.customElements?.get(tag)) tag += '-x';
  return document.createElement(tag);
}

/** The `show` a campaign module exports, around its `mount`. */
export const showWith =
  (mount: MountCampaign): ShowCampaign =>
  async (offered, actions, env) => {
    const release = env.lock ? await modalLock() : () => undefined;
    if (!release) return null;
    // An experiment: the shopper sees their variant, or (held out) nothing, and the exposure is recorded either way,
    // at the moment the campaign would show. A preview shows the campaign as written and records nothing.
    const arm = env.preview ? undefined : variantOf(offered, env.visitorId);
    const note = (name: string, props?: Record<string, string | number>) => actions.note?.(name, props);
    // Once per session and campaign: a held-out shopper is offered the campaign again on every page.
    const exposed = async (id: string) => {
      const key = 'exposed:' + offered.id;
      if ((await env.state.get(key).catch(() => 0)) == env.session) return;
      note('Experiment Viewed', { variant: id });
      await env.state.set(key, env.session).catch(() => 0);
    };
    if (arm && !arm.campaign) {
      release();
      await exposed(arm.id);
      return null;
    }
    const given = arm?.campaign ?? offered;
    // Copy per locale: the page's `lang`, then the browser's languages, then the default. The campaign's module sees
    // only the chosen copy, and formats plurals, money and times for its language (env.locale). The env is the
    // engine's, made for this one campaign: extended in place, so its live `profile` getter stays live.
    const [campaign, locale, lang] = localise(given, wantedLocales());
    env.locale = locale;
    const host = hostElement();
    host.setAttribute('data-campaign', campaign.id);
    host.style.cssText = HOST_STYLE + ('position' in campaign && /^(top|bottom)$/.test(campaign.position) ? `${campaign.position}:0!important` : '');
    // The host resets every inherited style (all: initial), direction too: it follows the page's on purpose, so a
    // right-to-left shop (Arabic, Hebrew, Persian) gets right-to-left campaigns; so does copy written in a
    // right-to-left language, on any page. The copy's language is the host's `lang` (screen readers, hyphenation).
    const dir = (lang && isRtl(lang)) || getComputedStyle(document.body ?? document.documentElement).direction === 'rtl' ? 'rtl' : 'ltr';
    host.dir = dir;
    host.style.setProperty('direction', dir, 'important');
    if (lang) host.lang = lang;
    const root = host.attachShadow({ mode: 'open' });
    const prefs = env.preferences;
    if (prefs?.link !== false && !env.preview) prefsLinks.set(root, { label: prefs?.label ?? 'Offer preferences', open: actions.preferences });
    document.documentElement.appendChild(host);
    let unmountUI: (() => void) | null;
    // Irritation (the report): closed within 2 s — a dismissal says how long the campaign was on screen; and the page
    // left within 10 s of the impression while it was still there, neither closed nor followed. The pagehide listener
    // runs in the capture phase, before the engine's own hands the outbox to sendBeacon, so the event leaves with it.
    let shownAt = Date.now();
    const left = safe('left', () => note('Campaign Left', { ms: Date.now() - shownAt }));
    const stay = () => removeEventListener('pagehide', left, true);
    const timed = {
      ...actions,
      dismiss: () => actions.dismiss(Date.now() - shownAt),
      click: (url: string) => (stay(), actions.click(url)),
    };
    try {
      unmountUI = await mount({ root, campaign, actions: timed, env });
    } catch (e) {
      host.remove();
      release();
      throw e;
    }
    if (!unmountUI) {
      host.remove();
      release();
      return null;
    }
    if (arm) void exposed(arm.id);
    shownAt = Date.now();
    addEventListener('pagehide', left, true);
    const staying = setTimeout(stay, LEFT_WITHIN_MS);
    const un = unmountUI;
    return () => {
      stay();
      clearTimeout(staying); // else it holds the unmounted host for the rest of the 10 s
      try {
        un();
      } finally {
        host.remove();
        release();
      }
    };
  };

/** How soon after an impression leaving the page counts as irritation (the report's "left within 10 s"). */
const LEFT_WITHIN_MS = 10_000;

/**
 * Takes the cross-tab modal lock if no other tab holds it; resolves with its release, or null. Browsers without
 * the Web Locks API get no cross-tab guard (the shared fatigue budget in IndexedDB still limits interruptions).
 */
function modalLock(): Promise<(() => void) | null> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return Promise.resolve(() => undefined);
  return new Promise((resolve) => {
    locks
      .request(MODAL_LOCK, { ifAvailable: true }, (lock) => {
        if (!lock) return resolve(null);
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(() => resolve(() => undefined));
  });
}

// The error boundary (safe.ts) around what Preact runs outside our calls: every DOM event handler of our UIs
// (Preact calls them straight from its listeners), and every re-render (scheduled in a microtask), so nothing the
// UI throws reaches the page. Our Preact is our own copy, bundled: a host's Preact never sees these hooks.
const vnode = options.vnode;
options.vnode = (v) => {
  if (typeof v.type == 'string') {
    const props = v.props as Record<string, unknown>;
    for (const k of Object.keys(props)) if (/^on/.test(k) && typeof props[k] == 'function') props[k] = safe(k, props[k] as () => void);
  }
  vnode?.(v);
};
options.debounceRendering = (rerender) => queueMicrotask(safe('render', rerender));

/** Renders `view` into a container of its own in `root`; returns the unmount a campaign's `mount` hands back. */
export function renderView(root: ShadowRoot, view: ComponentChild): () => void {
  const container = document.createElement('div');
  root.appendChild(container);
  render(view, container);
  return () => {
    render(null, container);
    container.remove();
  };
}

// ---------------------------------------------------------------------------------------------------------
// Copy per locale: which copy a campaign shows, in which language and direction. Here, in the runtime every
// campaign loads, rather than in copy.ts (which re-exports pickLocale and wantedLocales), because showWith needs it
// before any campaign module runs, and whatever this file imports joins the runtime chunk.

/**
 * The copy for the shopper's language from copy per locale: for the page's `lang`, the copy of exactly that tag,
 * else of its language (`cy` for `cy-GB`), else of another variety of that language (`pt-BR` for `pt-PT`); then
 * the browser's languages the same way; then `en`; then the first given (the schema's default copy).
 */
export function pickLocale<T>(byLocale: Record<string, T>, wanted: readonly string[]): [locale: string, copy: T] {
  const keys = Object.keys(byLocale);
  const lower = keys.map((k) => k.toLowerCase());
  const language = (tag: string) => tag.split('-')[0]!;
  for (const w of wanted) {
    if (!w) continue;
    const tag = w.toLowerCase();
    let i = lower.indexOf(tag);
    if (i < 0) i = lower.indexOf(language(tag));
    if (i < 0) i = lower.findIndex((k) => language(k) === language(tag));
    if (i >= 0) return [keys[i]!, byLocale[keys[i]!]!];
  }
  const k = 'en' in byLocale ? 'en' : keys[0]!;
  return [k, byLocale[k]!];
}

/** The languages to try, best first: the page's `lang`, then the browser's. */
export const wantedLocales = (doc: Document = document): string[] => [doc.documentElement.lang, ...(navigator.languages ?? [navigator.language])];

/** Scripts written right to left (ISO 15924): Arabic, Hebrew, Syriac, Thaana, N’Ko, Adlam, Hanifi Rohingya, Mandaic, Samaritan, Mende Kikakui, Yezidi. */
const RTL_SCRIPTS = /^(Arab|Hebr|Syrc|Thaa|Nkoo|Adlm|Rohg|Mand|Samr|Mend|Yezi)$/;

/**
 * Whether text in `locale` is written right to left: by its script, given (`pa-Arab`) or the language's usual one
 * (Intl.Locale's likely subtags: `ar` → Arab, `dv` → Thaa). Without Intl.Locale, or for a tag it rejects, by a
 * short list of languages.
 */
export function isRtl(locale: string): boolean {
  try {
    return RTL_SCRIPTS.test(new Intl.Locale(locale).maximize().script ?? '');
  } catch {
    return /^(ar|he|iw|fa|ur|ps|sd|yi|ug|ckb|dv|syr)(-|$)/i.test(locale);
  }
}

type Content = Record<string, unknown> & { locales?: Record<string, unknown> };

/**
 * A campaign in the shopper's language. Copy per locale (server/schema.ts `localised`) comes as the default copy
 * with every locale's in `content.locales`; social proof's `content` is itself copy per locale. Gives the campaign
 * with the chosen copy alone in `content` (social proof: a map of that one locale), the locale plurals, money and
 * times follow, and the copy's language; for a campaign with one copy, the page's language and no copy language.
 */
export function localise<C extends { type: string; content: unknown }>(
  campaign: C,
  wanted: readonly string[],
): [campaign: C, locale: string, copyLang: string | undefined] {
  const content = campaign.content as Content;
  const proof = campaign.type === 'viewing_now' || campaign.type === 'recent_purchases';
  const byLocale = proof ? content : content.locales;
  if (!byLocale) return [campaign, wanted.find(Boolean) ?? 'en', undefined];
  const [lang, copy] = pickLocale(byLocale, wanted);
  return [{ ...campaign, content: proof ? { [lang]: copy } : copy }, lang, lang];
}
