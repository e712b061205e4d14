// Shared builders for the widget unit tests (not a test file itself).
import type { EventInput, PublicCampaign } from '../../server/schema';

let seq = 0;

/** A 16-character event id, unique within the run: [A-Za-z0-9_-]{16}. */
export function eventId(n = ++seq): string {
  return 'ev_' + n.toString(36).padStart(13, '0');
}

/** A valid EventInput; `over` changes only what a case is about. */
export function event(over: Partial<EventInput> = {}): EventInput {
  return {
    event_id: eventId(),
    type: 'track',
    name: 'added_to_cart',
    ts: 1_780_000_000_000,
    visitor_id: 'visitor_abcdefgh',
    session_id: 'session_abcdefgh',
    ...over,
  };
}

/** An announcement bar shown everywhere, always, at the bottom; `over` changes one thing. */
export function bar(over: Partial<Extract<PublicCampaign, { type: 'announcement_bar' }>> = {}): PublicCampaign {
  return {
    id: 'free-shipping',
    type: 'announcement_bar',
    priority: 0,
    position: 'bottom',
    push: false,
    pages: { include: ['/**'], exclude: [] },
    trigger: { type: 'page_load', delay_seconds: 0 },
    frequency: 'always',
    recontact_days: 7,
    stop_after_conversion: true,
    content: { text: 'Free shipping over €50', dismissible: true },
    theme: { background: '#1f2a44', color: '#ffffff' },
    ...over,
  };
}
