// POST /v1/leads, the part without HTTP: the newsletter bar's sign-up (widget/campaigns/newsletter-bar.tsx) → a
// validated lead → one store transaction that keeps a `Lead Captured` event and queues one `lead.captured` webhook
// per endpoint.
//
// The event carries `props.email`, so the server's cart for that visitor learns who the shopper is (server/carts.ts
// `emailOf`), exactly as an `identify` with an email would: the lead feeds the cart.abandoned reminders. The
// events table itself never keeps the address (server/events.ts `storedProps`). Its
// event_id and the messages' ids are derived from campaign, visitor and address, so sending the same sign-up again
// (a double click, a retry after a timeout) stores nothing more and fires no second webhook.
//
// Privacy: the address is kept with the visitor's cart (for cart.abandoned; cleared a week after that cart closes,
// server/carts.ts) and in the queued webhook until it is settled (then its body is redacted: server/webhooks/redact.ts),
// sent to the shop's endpoints, and goes nowhere else — no log line names it; DELETE /v1/visitors/:id and retention
// erase both. The consent stored (with the event) and sent is the shop's wording exactly as configured, with the time
// it was given.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { validEmail } from '../widget/email';
import { formatPath, stripQuery } from './events';
import { EventInput, type KairosConfig, type NewsletterBar } from './schema';
import type { NewOutboxMessage, Store, StoredEvent } from './store/types';

/** Largest accepted body: an address, the consent wording (≤ 500 characters) and a path fit many times over. */
export const LEADS_BODY_LIMIT = 8 * 1024;

export const LeadInput = z
  .object({
    campaign_id: EventInput.shape.campaign_id.unwrap(),
    visitor_id: EventInput.shape.visitor_id,
    session_id: EventInput.shape.session_id,
    email: z.string().max(320),
    consent: z.string().max(500).nullable().describe('The consent wording the shopper agreed to, or null when none was shown.'),
    path: EventInput.shape.path,
  })
  .strict();
export type LeadInput = z.infer<typeof LeadInput>;

export interface LeadCapturedPayload {
  type: 'lead.captured';
  timestamp: string;
  data: {
    email: string;
    /** The shop's wording the shopper ticked, and when; null when the campaign asks for no consent. */
    consent: { text: string; given_at: string } | null;
    campaign_id: string;
    visitor_id: string;
    path: string | null;
  };
}

export type LeadAnswer = { status: 200; body: { ok: true } } | { status: 400 | 404; body: { error: string } };

const bad = (error: string): LeadAnswer => ({ status: 400, body: { error } });

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64url').slice(0, 32);

/** The lead's event id: the same campaign, visitor and address (case aside) always give the same id. */
export const leadEventId = (campaignId: string, visitorId: string, email: string) => `lead_${hash(campaignId, visitorId, email.toLowerCase())}`;

/** The `webhook-id` of a lead's message to one endpoint. */
export const leadMessageId = (eventId: string, endpoint: string) => `msg_${hash(eventId, endpoint)}`;

/** Parses and checks a request body against the live config. Never throws. */
export function parseLead(body: string, config: KairosConfig): { ok: true; lead: LeadInput & { email: string }; campaign: NewsletterBar } | { ok: false; answer: LeadAnswer } {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    return { ok: false, answer: bad(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`) };
  }
  const parsed = LeadInput.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const message = /received undefined$/.test(issue.message) ? 'missing required field' : issue.message;
    return { ok: false, answer: bad(`${formatPath(issue.path) || 'the body'}: ${message}`) };
  }
  const lead = parsed.data;
  const campaign = config.campaigns.find((c) => c.id === lead.campaign_id);
  if (!campaign || !campaign.enabled || campaign.type !== 'newsletter_bar')
    return { ok: false, answer: { status: 404, body: { error: `campaign_id: no enabled newsletter_bar "${lead.campaign_id}" in the config` } } };
  const email = validEmail(lead.email);
  if (email === null) return { ok: false, answer: bad('email: not an email address (expected something like name@example.com)') };
  // With copy per locale the shopper agreed to their language's wording: any of the campaign's is accepted.
  const wordings = [campaign.content, ...Object.values(campaign.content.locales ?? {})].map((c) => c.consent);
  const asked = wordings.some((w) => w !== undefined);
  if (asked && lead.consent === null)
    return { ok: false, answer: bad('consent: this campaign asks for consent; send the wording the shopper agreed to') };
  if (asked && !wordings.includes(lead.consent ?? undefined))
    return { ok: false, answer: bad('consent: does not match the campaign’s consent wording (was the config changed? reload the page)') };
  return { ok: true, lead: { ...lead, email, consent: asked ? lead.consent : null }, campaign };
}

/** The webhook payload (Standard Webhooks shape: type, timestamp, data). */
export function leadPayload(lead: LeadInput & { email: string }, path: string | null, now: number): LeadCapturedPayload {
  const at = new Date(now).toISOString();
  return {
    type: 'lead.captured',
    timestamp: at,
    data: {
      email: lead.email,
      consent: lead.consent === null ? null : { text: lead.consent, given_at: at },
      campaign_id: lead.campaign_id,
      visitor_id: lead.visitor_id,
      path,
    },
  };
}

/**
 * The answer to POST /v1/leads. 200 for a new lead and for a repeat alike (the shopper is on the list either way).
 * Rejects (for a 503) only when the store fails.
 */
export async function captureLead(o: { body: string; config: KairosConfig; store: Store; now: number }): Promise<LeadAnswer> {
  const r = parseLead(o.body, o.config);
  if (!r.ok) return r.answer;
  const { lead } = r;
  const path = lead.path === undefined ? null : stripQuery(lead.path);
  const event: StoredEvent = {
    event_id: leadEventId(lead.campaign_id, lead.visitor_id, lead.email),
    type: 'track',
    name: 'Lead Captured',
    ts: o.now,
    received_at: o.now,
    visitor_id: lead.visitor_id,
    session_id: lead.session_id,
    path,
    campaign_id: lead.campaign_id,
    user_id: null,
    props: { email: lead.email, consent: lead.consent, campaign: lead.campaign_id },
  };
  const body = JSON.stringify(leadPayload(lead, path, o.now));
  const endpoints = [...new Set(o.config.webhooks.endpoints.map((e) => e.url))];
  const messages: NewOutboxMessage[] = endpoints.map((endpoint) => ({
    id: leadMessageId(event.event_id, endpoint),
    endpoint,
    body,
    created_at: o.now,
    next_attempt_at: o.now,
    visitor_id: lead.visitor_id,
  }));
  await o.store.insertEventWithWebhooks(event, messages);
  return { status: 200, body: { ok: true } };
}
