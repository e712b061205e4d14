// Styles into a shadow root without touching the host page: a constructable stylesheet where supported
// (CSP-friendly, no <style> element), else a <style> carrying the script tag's nonce.
export function adoptStyles(root: ShadowRoot, css: string, nonce?: string): void {
  // The host's inline style cannot reach its pseudo-elements: a page's `*::before { content: … }` would draw in ours.
  css = ':host::before,:host::after{content:none!important}' + css;
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  } catch {
    // Older Safari: no constructable stylesheets.
  }
  const style = document.createElement('style');
  if (nonce) style.nonce = nonce;
  style.textContent = css;
  root.appendChild(style);
}
