// The accessible dialog shell every modal campaign renders into (modal, exit-intent offer): a native <dialog> opened
// with showModal(), so the browser puts it in the top layer (nothing on the page moves) and makes the rest of the
// page inert. What the browser leaves to us, done here explicitly:
//
// - focus in: to the first focusable control (or the dialog itself), the same in every browser;
// - Tab wraps: a native modal lets Tab leave for the browser's own UI, so the last control wraps to the first;
// - focus back: the browser restores focus only on close(), never when the dialog is removed from the DOM
//   (which is how the engine takes a campaign down), so the element focused before opening is saved and
//   refocused on close and on unmount;
// - Escape: with no user activation since the dialog opened, Chromium fires a non-cancelable `cancel` (close
//   watcher anti-abuse) and closes the dialog itself, so the `close` event is handled as well;
// - backdrop: a click whose pointer went down and came up on the <dialog> element itself (the ::backdrop
//   belongs to it; the card inside covers the rest), so dragging a text selection outward does not close.
//
// Layout: the × in the corner, then the card (headline, text, children), which scrolls when it is too tall, then
// the actions, which stay in view. Campaigns put their content in as props and children and style their buttons
// with the shared classes (`btn primary`, `btn secondary`).
import type { ComponentChild, ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { renderView } from './mount';
import { PREFS_CSS, PrefsLink } from './prefs-link';
import { adoptStyles } from './styles';

/** How the shopper closed the dialog: Escape, the × button, a click on the backdrop, or the secondary button. */
export type CloseReason = 'escape' | 'close_button' | 'backdrop' | 'secondary';

export interface DialogProps {
  /** The title; rendered as an <h2> that labels the dialog (aria-labelledby). */
  headline: string;
  /** Plain text under the title; describes the dialog (aria-describedby). Newlines are kept. */
  text?: string | undefined;
  /** Extra body content between the text and the actions (a coupon, cart lines). */
  children?: ComponentChildren;
  /** The primary action(s), e.g. `<a class="btn primary" href=…>`; rendered above the secondary button. */
  actions?: ComponentChildren;
  /** Label of the secondary button that closes with reason 'secondary' ("No thanks"); none if absent. */
  secondaryLabel?: string | undefined;
  /** Called once, after the dialog has closed and focus has gone back; the caller then unmounts it. */
  onClose(reason: CloseReason): void;
}

/** Ids are scoped to the campaign's own shadow root, so fixed ones cannot clash with the page's. */
const TITLE_ID = 'kairos-title';
const TEXT_ID = 'kairos-text';
const FOCUSABLE = 'a[href],button:not(:disabled),input:not(:disabled),select:not(:disabled),textarea:not(:disabled),[tabindex]:not([tabindex="-1"])';

/** The shell's styles; campaigns append their own. px only: the shop's root font size must not scale us. */
export const DIALOG_CSS = `
:host { all: initial; }
dialog {
  box-sizing: border-box; width: calc(100% - 32px); max-width: 440px; max-height: calc(100% - 32px);
  margin: auto; padding: 0; border: 0; border-radius: 16px; overflow: hidden;
  background: #fff; color: #1b1f24; box-shadow: 0 24px 64px rgba(16, 24, 40, 0.28), 0 2px 8px rgba(16, 24, 40, 0.12);
  font: 400 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  text-align: start; -webkit-font-smoothing: antialiased;
}
dialog[open] { display: flex; flex-direction: column; }
dialog::backdrop { background: rgba(16, 20, 26, 0.56); }
dialog:focus { outline: none; }
.card { box-sizing: border-box; flex: 1; overflow: auto; overscroll-behavior: contain; padding: 32px 28px 0; }
h2 { margin: 0 36px 8px 0; font-size: 22px; line-height: 1.3; font-weight: 700; letter-spacing: -0.2px; color: #101418; overflow-wrap: anywhere; }
.text { margin: 0; color: #4b5563; white-space: pre-line; overflow-wrap: anywhere; }
.actions { box-sizing: border-box; flex: none; display: flex; flex-direction: column; gap: 8px; padding: 24px 28px; }
.btn {
  box-sizing: border-box; display: flex; align-items: center; justify-content: center; min-height: 48px; width: 100%;
  margin: 0; padding: 10px 20px; border: 0; border-radius: 10px; cursor: pointer;
  font-family: inherit; font-size: 16px; line-height: 1.25; font-weight: 600; text-align: center; text-decoration: none;
}
.primary { background: var(--kairos-accent, #0f5c57); color: var(--kairos-accent-text, #fff); }
.primary:hover { filter: brightness(1.08); }
.secondary { background: transparent; color: #4b5563; }
.secondary:hover, .close:hover { background: rgba(16, 24, 40, 0.06); }
.close {
  position: absolute; top: 8px; inset-inline-end: 8px; width: 44px; height: 44px; margin: 0; padding: 0;
  border: 0; border-radius: 22px; background: transparent; color: #4b5563; cursor: pointer; font: 400 28px/44px system-ui, sans-serif;
}
.prefs-slot { text-align: center; color: #4b5563; }
.btn:focus-visible, .close:focus-visible { outline: 3px solid var(--kairos-accent, #0f5c57); outline-offset: 2px; }
@media (max-width: 600px) {
  dialog { width: 100%; max-width: none; min-height: 40%; max-height: 88%; margin: auto 0 0; border-radius: 20px 20px 0 0; }
  .card { padding: 28px 20px 0; }
  .actions { padding: 20px 20px calc(20px + env(safe-area-inset-bottom, 0px)); }
}
@media (prefers-reduced-motion: no-preference) {
  dialog[open] { animation: kairos-pop 200ms cubic-bezier(0.2, 0.8, 0.2, 1); }
  dialog[open]::backdrop { animation: kairos-fade 200ms ease-out; }
  @keyframes kairos-pop { from { opacity: 0; transform: translateY(12px) scale(0.97); } }
  @keyframes kairos-fade { from { opacity: 0; } }
  @media (max-width: 600px) {
    dialog[open] { animation: kairos-up 260ms cubic-bezier(0.2, 0.8, 0.2, 1); }
    @keyframes kairos-up { from { transform: translateY(100%); } }
  }
}
`;

/** The focused element, looking through open shadow roots (document.activeElement stops at a shadow host). */
function deepActiveElement(): HTMLElement | null {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el as HTMLElement | null;
}

/** An accessible modal dialog; see the top of this file for what it does beyond the native element. */
export function Dialog(props: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  // Per-instance state that must not re-render: the latest onClose, whether onClose has been called, where the
  // last pointer went down, and `finish` (set once the dialog is open).
  const state = useRef({ onClose: props.onClose, done: false, downOnBackdrop: false, finish: (_r: CloseReason) => {} });
  state.current.onClose = props.onClose;

  useLayoutEffect(() => {
    const dialog = ref.current!;
    const s = state.current;
    const previous = deepActiveElement();
    const root = dialog.getRootNode() as ShadowRoot | Document;
    /** Closes the dialog and gives focus back, unless the shopper has already put it somewhere else. */
    const restore = () => {
      const lost = !document.activeElement || document.activeElement === document.body || !!root.activeElement;
      if (dialog.open) dialog.close();
      if (previous?.isConnected && lost && deepActiveElement() !== previous) previous.focus({ preventScroll: true });
    };
    s.finish = (reason) => {
      if (s.done) return;
      s.done = true;
      restore();
      s.onClose(reason);
    };
    dialog.showModal();
    ((dialog.querySelector(FOCUSABLE) as HTMLElement | null) ?? dialog).focus();
    return () => {
      // Taken down without a close (route change, engine stop): the `close` event this causes is not a dismissal.
      s.done = true;
      restore();
    };
  }, []);

  const finish = (reason: CloseReason) => state.current.finish(reason);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Tab') return;
    const dialog = ref.current!;
    const all = dialog.querySelectorAll<HTMLElement>(FOCUSABLE);
    const active = (dialog.getRootNode() as ShadowRoot).activeElement;
    const first = all[0];
    const last = all[all.length - 1];
    const wrapTo = !first ? dialog : e.shiftKey ? (active === first || active === dialog ? last : null) : active === last ? first : null;
    if (wrapTo) {
      e.preventDefault();
      wrapTo.focus();
    }
  };

  const { headline, text, children, actions, secondaryLabel } = props;
  return (
    <dialog
      ref={ref}
      tabIndex={-1}
      aria-labelledby={TITLE_ID}
      aria-describedby={text ? TEXT_ID : undefined}
      onCancel={(e) => {
        e.preventDefault(); // cancelable only after a user activation; we close it ourselves either way
        finish('escape');
      }}
      onClose={() => finish('escape')} // closed by the browser itself: Escape with no user activation
      onKeyDown={onKeyDown}
      onPointerDown={(e) => (state.current.downOnBackdrop = e.target === ref.current)}
      onClick={(e) => {
        if (e.target === ref.current && state.current.downOnBackdrop) finish('backdrop');
      }}
    >
      <button type="button" class="close" aria-label="Close" onClick={() => finish('close_button')}>
        <span aria-hidden="true">×</span>
      </button>
      <div class="card">
        <h2 id={TITLE_ID}>{headline}</h2>
        {text && (
          <p class="text" id={TEXT_ID}>
            {text}
          </p>
        )}
        {children}
      </div>
      <div class="actions">
        {actions}
        {secondaryLabel && (
          <button type="button" class="btn secondary" onClick={() => finish('secondary')}>
            {secondaryLabel}
          </button>
        )}
        <PrefsLink />
      </div>
    </dialog>
  );
}

export interface DialogTheme {
  /** Background of the primary button and colour of focus rings. */
  accent: string;
  /** Text on the accent colour. */
  accent_text: string;
}

/**
 * The mount half every dialog campaign shares: styles into the shadow root, the theme as CSS variables on the
 * host, `view` rendered into a container of its own. Returns the unmount function the engine calls.
 */
export function mountDialog(root: ShadowRoot, view: ComponentChild, theme: DialogTheme, css = '', nonce?: string): () => void {
  adoptStyles(root, DIALOG_CSS + PREFS_CSS + css, nonce);
  const host = root.host as HTMLElement;
  host.style.setProperty('--kairos-accent', theme.accent);
  host.style.setProperty('--kairos-accent-text', theme.accent_text);
  return renderView(root, view);
}
