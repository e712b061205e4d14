// exit_intent: the shopper is about to leave. Known failures of other tools, and what this file does instead:
// - Fires on ordinary link and button clicks, e.g. "add to cart" (mautic#14839, #14840, #1778): a pointerdown or
//   click on a link or button, or Enter / a browser shortcut key, silences every signal for GUARD_MS.
// - Fires on entry (ouibounce#25, #38: `mouseout` bubbles from child elements, so entering the page from the
//   address bar looked like leaving): only a pointerout with no relatedTarget counts (the pointer left the
//   document), only upward through the top edge, only after `min_dwell_seconds` since the page view began.
// - `mouseleave` on document never fires in Firefox and Safari (formbricks#492): pointerout on the document.
// - Fires when the pointer merely grazes the top edge: held CONFIRM_MS and dropped if the pointer comes back.
// - Fires on a tap on a touch-screen laptop (pointerout with no relatedTarget follows every tap): mouse only.
// - Desktop only: "no mouse on mobile… not catchable" (mautic#6524, ouibounce#108, #134). On touch devices a
//   composite of signals, each switchable and reported: a fast scroll up after reading a while ('scroll_up'),
//   the tab hidden and back ('tab_return', fires when visible again), idle time ('inactivity').
// No history manipulation (never the back-button trap), no beforeunload/unload handlers.
import { idle } from './inactivity';
import { scope, type Scope } from './scope';
import type { Opts, TriggerFactory } from './types';

/** After a click on a link or button (or Enter, or a shortcut key), no exit for this long. */
const GUARD_MS = 1000;
/** The pointer must stay out this long. */
const CONFIRM_MS = 150;
const ACTIVATORS = 'a,button,input[type=submit],[role=button],[role=link]';
/** A fast scroll up: at least this far, at FLICK_SPEED or more px/ms on average. */
const FLICK_PX = 120;
const FLICK_SPEED = 1;
/** Scroll events further apart than this belong to different scrolls (they come once a frame while scrolling). */
const FLICK_GAP_MS = 100;

/**
 * Feeds scroll positions (y, t) in order; true while the current upward run covers ≥ minPx at an average speed of
 * ≥ speed px/ms. A slow stretch restarts the run, and so does a scroll down. The first scroll event after a pause
 * (> FLICK_GAP_MS) only starts a run: how long its move took is unknown, so an instant jump (an anchor, a
 * scrollTo) is not a flick.
 */
export function flick(minPx = FLICK_PX, speed = FLICK_SPEED): (y: number, t: number) => boolean {
  let y0 = NaN;
  let t0 = 0;
  let py = NaN;
  let pt = 0;
  return (y, t) => {
    const up = y < py && t - pt < FLICK_GAP_MS;
    if (!(up && y0 - y >= speed * (t - t0))) {
      if (up && py - y >= speed * (t - pt)) (y0 = py), (t0 = pt);
      else (y0 = y), (t0 = t);
    }
    py = y;
    pt = t;
    return y0 - y >= minPx;
  };
}

export const exitIntent: TriggerFactory<Opts<'exit_intent'>> = (o, fire, env) => {
  const s = scope('exit_intent', env, fire);
  const doc = env.win.document;
  let calm = 0;
  const hush = () => (calm = env.now() + GUARD_MS);
  const onActivate = (e: Event) => e.composedPath().some((n) => (n as Element).matches?.(ACTIVATORS)) && hush();
  s.on(doc, 'pointerdown', onActivate, true);
  s.on(doc, 'click', onActivate, true);
  s.on(doc, 'keydown', (e: KeyboardEvent) => (e.key === 'Enter' || e.ctrlKey || e.metaKey || e.altKey) && hush(), true);
  /** Read long enough, and not just after a click. */
  const ready = () => env.now() >= Math.max(calm, env.pageStart + o.min_dwell_seconds * 1e3);
  (env.touch ? mobile : desktop)(o, s, ready);
  return s.stop;
};

function desktop(o: Opts<'exit_intent'>, s: Scope, ready: () => boolean): void {
  const doc = s.env.win.document;
  const confirm = s.timer(() => s.fire('pointer_exit'));
  s.on(doc, 'pointerover', () => confirm(), true); // back in: it only grazed the edge
  s.on(
    doc,
    'pointerout',
    (e: PointerEvent) =>
      !e.relatedTarget &&
      e.pointerType === 'mouse' &&
      e.clientY <= o.sensitivity_px &&
      (e.clientY < 0 || e.movementY < 0) &&
      ready() &&
      confirm(CONFIRM_MS),
    true,
  );
}

function mobile(o: Opts<'exit_intent'>, s: Scope, ready: () => boolean): void {
  const { win } = s.env;
  const m = o.mobile;
  if (m.scroll_up) {
    const up = flick();
    let deepest = 0;
    s.on(win, 'scroll', () => {
      const y = win.scrollY;
      deepest = Math.max(deepest, y);
      if (up(y, s.env.now()) && deepest >= win.innerHeight && ready()) s.fire('scroll_up');
    });
  }
  if (m.tab_return) s.on(win.document, 'visibilitychange', () => s.hidden() && ready() && s.fire('tab_return'));
  if (m.inactivity_seconds !== false) idle(s, m.inactivity_seconds, () => s.fire('inactivity'));
}
