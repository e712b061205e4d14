// The script tag's entry point, and the only file that touches `window`. It reads its own <script> tag's
// data-* attributes, replaces the queue stub with the real `kairos()` (draining calls made before load, each
// in its own try/catch), and starts the engine. Nothing thrown here reaches the host page.
//
//   <script>window.kairos=window.kairos||function(){(kairos.q=kairos.q||[]).push(arguments)}</script>
//   <script async src="https://kairos.example/kairos.js" data-api="https://kairos.example"></script>
import uiFiles from 'virtual:kairos-ui';
import { createEngine } from './engine';
import { report, safe, setDebug } from './safe';
import { openKV } from './storage';

type KairosFn = ((...args: unknown[]) => void) & { q?: ArrayLike<unknown>[]; loaded?: true };

safe('boot', () => {
  const w = window as Window & { kairos?: KairosFn };
  // Included twice: the first copy owns the page; this one does nothing.
  if (w.kairos?.loaded) return;

  const script = document.currentScript as HTMLScriptElement | null;
  const src = script?.src || location.href;
  const data = script?.dataset ?? {};
  const query = new URLSearchParams(location.search);
  setDebug('debug' in data || query.get('kairos_debug') === '1' || storedDebug());

  const queued = Array.from(w.kairos?.q ?? []);
  if (query.get('kairos_disable') === '1') {
    // Off for this page: calls are accepted and ignored, nothing is loaded, shown or sent.
    const off: KairosFn = () => undefined;
    off.loaded = true;
    w.kairos = off;
    return;
  }

  const engine = createEngine({
    api: (data.api || new URL(src).origin).replace(/\/+$/, ''),
    uiBase: new URL('kairos-ui/', src).href,
    uiFiles,
    nonce: script?.nonce || undefined,
    state: openKV('kairos', 'state'),
    outbox: openKV('kairos-outbox', 'events'),
    preview: query.get('kairos_preview') || undefined,
  });

  const kairos: KairosFn = safe('kairos()', (...args: unknown[]) => engine.call(args));
  kairos.loaded = true;
  w.kairos = kairos;

  engine.call(['page']);
  for (const args of queued) kairos(...Array.from(args));
  engine.start().catch((e) => report('start', e));
})();

/** `localStorage.kairos_debug = 1` keeps debug output on across pages (reading storage can throw: sandboxed frames). */
function storedDebug(): boolean {
  try {
    return !!localStorage.getItem('kairos_debug');
  } catch {
    return false;
  }
}
