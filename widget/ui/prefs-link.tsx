// The small "Offer preferences" link every campaign carries (bars, dialogs, cards, the cart reminder). The shells
// render it without the campaign modules having to pass anything: showWith (mount.ts) registers the link for the
// campaign's shadow root, and <PrefsLink> finds its own root once it is in the document. A <button>, because it
// opens a panel rather than going anywhere; styled as a small link in the shell's own text colour (contrast as the text's).
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface PrefsLinkTarget {
  label: string;
  open(): void;
}

/** Campaign shadow root → its link; none for previews and when the config says `preferences.link: false`. */
export const prefsLinks = new WeakMap<Node, PrefsLinkTarget>();

/** Shared by every shell: small, muted, underlined, with a visible focus ring. */
export const PREFS_CSS =
  '.prefs{margin:0;padding:4px 2px;border:0;background:none;color:inherit;cursor:pointer;font:inherit;font-size:12px;line-height:1.3;' +
  'text-decoration:underline;text-underline-offset:2px}.prefs:hover{text-decoration-thickness:2px}' +
  '.prefs:focus-visible{outline:2px solid currentColor;outline-offset:2px}';

export function PrefsLink() {
  const ref = useRef<HTMLSpanElement>(null);
  const [target, setTarget] = useState<PrefsLinkTarget>();
  useLayoutEffect(() => setTarget(prefsLinks.get(ref.current!.getRootNode())), []);
  return (
    <span ref={ref} class="prefs-slot">
      {target && (
        <button type="button" class="prefs" onClick={() => target.open()}>
          {target.label}
        </button>
      )}
    </span>
  );
}
