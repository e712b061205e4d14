// inactivity: no pointer, key, scroll, wheel or touch input for `seconds` of visible time. Listeners are capture
// and passive on the window, so a host that stops propagation cannot hide activity and scrolling stays smooth;
// a hidden tab's time does not count (scope.ts, visibleTimer). `idle` is shared with mobile exit intent.
import { scope, visibleTimer, type Scope } from './scope';
import type { Opts, TriggerFactory } from './types';

export function idle(s: Scope, seconds: number, fn: () => void): void {
  const arm = visibleTimer(s, fn);
  const reset = () => arm(seconds * 1e3);
  for (const type of 'pointermove pointerdown keydown scroll wheel touchstart'.split(' ')) s.on(s.env.win, type, reset, true);
  reset();
}

export const inactivity: TriggerFactory<Opts<'inactivity'>> = (o, fire, env) => {
  const s = scope('inactivity', env, fire);
  idle(s, o.seconds, () => s.fire());
  return s.stop;
};
