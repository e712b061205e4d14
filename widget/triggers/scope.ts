// The bookkeeping every trigger shares, kept in one place so that no trigger can get it wrong:
// - Each listener and timer is registered together with its own undo, holding the very function that was added.
//   Formbricks' removeCleanupEventListeners passes a fresh arrow to removeEventListener, which removes nothing
//   (aesthetics.md §7); here `stop()` undoes exactly what was done, once, and is safe to call again.
// - `fire` fires at most once, then stops everything, so a delayed trigger cannot pop up after the engine has
//   moved on (Formbricks#3681: a delayed survey showed after an SPA route change).
// - A campaign never appears in a hidden tab: a moment that arrives while the tab is hidden is held until the
//   tab is visible again. `visibleTimer` counts visible time only.
// - Listeners are passive and every handler goes through `safe`: nothing reaches the host page.
import { report, safe } from '../safe';
import type { Fire, TriggerEnv } from './types';

export interface Scope {
  env: TriggerEnv;
  /** A passive listener (capture if asked) that never throws; removed by `stop()`. */
  on(target: EventTarget, type: string, fn: (e: any) => unknown, capture?: boolean): void;
  /** A resettable timer: `t(ms)` (re)arms it, `t()` cancels it. */
  timer(fn: () => unknown): (ms?: number) => void;
  /** Runs `undo` on `stop()` (at once if already stopped). */
  add(undo: () => void): void;
  hidden(): boolean;
  /** At most once; held while the tab is hidden; stops everything before calling the engine. */
  fire: Fire;
  stop(): void;
}

export function scope(where: string, env: TriggerEnv, fire: Fire): Scope {
  const { win } = env;
  let undos: (() => void)[] | undefined = [];
  const s: Scope = {
    env,
    on(target, type, fn, capture = false) {
      if (!undos) return;
      const h = safe(where, fn);
      const o = { capture, passive: true };
      target.addEventListener(type, h, o);
      undos.push(() => target.removeEventListener(type, h, o));
    },
    timer(fn) {
      let id: number | undefined;
      const h = safe(where, () => ((id = undefined), fn()));
      s.add(() => win.clearTimeout(id));
      return (ms) => {
        win.clearTimeout(id);
        id = ms === undefined || !undos ? undefined : win.setTimeout(h, ms);
      };
    },
    add: (undo) => (undos ? undos.push(undo) : undo()),
    hidden: () => win.document.visibilityState === 'hidden',
    fire(signal) {
      if (!undos) return;
      // Held while hidden: stop() runs before the engine hears of it, so a second moment meanwhile (another
      // listener added here) is removed mid-dispatch and never runs: the first signal wins, once.
      const go = () => {
        if (s.hidden()) return;
        s.stop();
        fire(signal);
      };
      s.on(win.document, 'visibilitychange', go);
      go();
    },
    stop() {
      const u = undos;
      undos = undefined;
      u?.forEach((undo) => {
        try {
          undo();
        } catch (e) {
          report(where, e);
        }
      });
    },
  };
  return s;
}

/** A timer that runs on visible time only: `t(ms)` (re)arms it; hidden time does not count. */
export function visibleTimer(s: Scope, fn: () => unknown): (ms: number) => void {
  const t = s.timer(fn);
  let left = 0;
  let since: number | undefined;
  const sync = () => {
    const now = s.env.now();
    if (since !== undefined) left -= now - since;
    since = s.hidden() ? undefined : now;
    t(since === undefined ? undefined : left);
  };
  s.on(s.env.win.document, 'visibilitychange', sync);
  return (ms) => {
    left = ms;
    since = undefined;
    sync();
  };
}
