// SPA route changes, without patching history.pushState (the host page owns its builtins). The Navigation API
// reports every same-document navigation where it exists (Chromium); elsewhere popstate catches
// back/forward, and a cheap once-a-second check of location catches pushState. `onChange` runs only when the
// path or query really changed — not for a hash jump, not for a replaceState that rewrites the same URL.

import { safe } from './safe';

/** The part of the URL that makes a different page. */
export const pageKey = (loc: { pathname: string; search: string }) => loc.pathname + loc.search;

export function watchRoute(onChange: () => void, win: Window = window): () => void {
  let last = pageKey(win.location);
  const check = safe('route', () => {
    const now = pageKey(win.location);
    if (now === last) return;
    last = now;
    onChange();
  });
  const nav = (win as Window & { navigation?: EventTarget }).navigation;
  const stops: (() => void)[] = [];
  const listen = (target: EventTarget, type: string) => {
    target.addEventListener(type, check);
    stops.push(() => target.removeEventListener(type, check));
  };
  if (nav) listen(nav, 'currententrychange');
  listen(win, 'popstate');
  if (!nav) {
    const poll = win.setInterval(check, 1000);
    stops.push(() => win.clearInterval(poll));
  }
  return () => stops.forEach((stop) => stop());
}
