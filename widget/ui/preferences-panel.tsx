// The shopper's preference centre, opened (through lazy/prefs.ts) by the "Offer preferences" link in any campaign
// or by kairos('preferences'): how many offers (all / fewer / bars only / nothing) and, when the config names topics,
// which topics. A native modal dialog in the shared shell (ui/dialog.tsx): focus goes in and comes back, Escape,
// × and "Cancel" close it without a change; "Save" hands the choice to the engine, which obeys it at once (see
// the preferences layer in eligibility.ts) and keeps it on the device and, for an identified shopper, on the server.
import { useState } from 'preact/hooks';
import type { ShopperPreferences } from '../../server/schema';
import type { OpenPreferences } from './contract';
import { Dialog, mountDialog } from './dialog';
import { hostElement } from './mount';
import { safe } from '../safe';

const LEVELS: [ShopperPreferences['level'], string, string][] = [
  ['all', 'All offers', 'Discounts, reminders and news as the shop sends them.'],
  ['fewer', 'Fewer offers', 'No pop-up offers, and at most half as many interruptions.'],
  ['bars', 'No pop-ups', 'Only slim bars at the edge of the page.'],
  ['none', 'Nothing at all', 'No offers, bars or reminders from this shop.'],
];

const CSS = `
fieldset { margin: 20px 0 0; padding: 0; border: 0; min-width: 0; }
legend { padding: 0; margin: 0 0 8px; font-weight: 600; color: #101418; }
label { display: flex; gap: 12px; align-items: flex-start; padding: 10px 12px; margin: 0 0 6px; border: 1px solid #d7dce2; border-radius: 10px; cursor: pointer; }
label:has(input:checked) { border-color: var(--kairos-accent); box-shadow: inset 0 0 0 1px var(--kairos-accent); }
input { flex: none; width: 18px; height: 18px; margin: 2px 0 0; accent-color: var(--kairos-accent); }
input:focus-visible { outline: 3px solid var(--kairos-accent); outline-offset: 2px; }
.opt { display: flex; flex-direction: column; }
.hint { color: #4b5563; font-size: 14px; }
`;

export const open: OpenPreferences = ({ prefs, topics, nonce, save }) => {
  const host = hostElement();
  host.setAttribute('data-kairos', 'preferences');
  host.style.cssText = 'all:initial!important;display:block!important;position:fixed!important;z-index:2147483647!important';
  const root = host.attachShadow({ mode: 'open' });
  document.documentElement.appendChild(host);
  const close = mountDialog(root, <Panel prefs={prefs} topics={topics} done={(p) => (p && save(p), setTimeout(safe('panel', () => (close(), host.remove()))))} />, THEME, CSS, nonce);
};

const THEME = { accent: '#0f5c57', accent_text: '#ffffff' };

function Panel({ prefs, topics, done }: Pick<Parameters<OpenPreferences>[0], 'prefs' | 'topics'> & { done(p?: ShopperPreferences): void }) {
  const [level, setLevel] = useState(prefs?.level ?? 'all');
  const [off, setOff] = useState(prefs?.off ?? []);
  const toggle = (id: string, on: boolean) => setOff(on ? off.filter((t) => t !== id) : [...off, id]);
  return (
    <Dialog
      headline="Offer preferences"
      text="Choose what this shop may show you while you browse. Your choice is kept on this device."
      secondaryLabel="Cancel"
      onClose={() => done()}
      actions={
        <button type="button" class="btn primary" onClick={() => done({ level, off: topics.map((t) => t.id).filter((t) => off.includes(t)), at: Date.now() })}>
          Save
        </button>
      }
    >
      <fieldset>
        <legend>How many offers</legend>
        {LEVELS.map(([value, label, hint]) => (
          <label key={value}>
            <input type="radio" name="level" value={value} checked={level === value} onChange={() => setLevel(value)} />
            <span class="opt">
              {label}
              <span class="hint">{hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {topics.length > 0 && (
        <fieldset>
          <legend>Topics</legend>
          {topics.map((t) => (
            <label key={t.id}>
              <input type="checkbox" name="topic" value={t.id} checked={!off.includes(t.id)} onChange={(e) => toggle(t.id, e.currentTarget.checked)} />
              <span class="opt">{t.label}</span>
            </label>
          ))}
        </fieldset>
      )}
    </Dialog>
  );
}
