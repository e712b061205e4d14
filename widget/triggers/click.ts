// click: one delegated capture listener on the document; fires when the click lands on `selector` or inside it
// (target.closest), so elements added later count too and a host's stopPropagation cannot hide the click.
// An invalid selector is reported once and the trigger never fires (it must not throw into the page).
import { report } from '../safe';
import { scope } from './scope';
import type { Opts, TriggerFactory } from './types';

export const click: TriggerFactory<Opts<'click'>> = (o, fire, env) => {
  const doc = env.win.document;
  const s = scope('click', env, fire);
  try {
    doc.createDocumentFragment().querySelector(o.selector); // throws on a bad selector, searches nothing
  } catch (e) {
    report('click trigger selector', e);
    return s.stop;
  }
  s.on(doc, 'click', (e: Event) => (e.target as Element).closest?.(o.selector) && s.fire(), true);
  return s.stop;
};
