// scroll_depth: (scrollY + innerHeight) / scrollHeight ≥ percent / 100, checked at start and after scrolling,
// at most once a frame (requestAnimationFrame, cancelled by stop). A page too short to scroll counts as read to
// the end, as Plausible's scroll depth does.
import { safe } from '../safe';
import { scope } from './scope';
import type { Opts, TriggerFactory } from './types';

/** How far down the page the bottom of the viewport is, 0..1 (more with overscroll). */
export const depth = (scrollY: number, innerHeight: number, scrollHeight: number): number =>
  scrollHeight > innerHeight ? (scrollY + innerHeight) / scrollHeight : 1;

export const scrollDepth: TriggerFactory<Opts<'scroll_depth'>> = (o, fire, env) => {
  const { win } = env;
  const s = scope('scroll_depth', env, fire);
  let frame = 0;
  const check = safe('scroll_depth', () => {
    frame = 0;
    const el = win.document.scrollingElement || win.document.documentElement;
    if (depth(win.scrollY, win.innerHeight, el.scrollHeight) >= o.percent / 100) s.fire();
  });
  s.on(win, 'scroll', () => frame || (frame = win.requestAnimationFrame(check)));
  s.add(() => win.cancelAnimationFrame(frame));
  check();
  return s.stop;
};
