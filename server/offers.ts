// Exit offers, the server half: one code and one fixed deadline per visitor and campaign.
//
// When the widget is about to show an exit offer it asks POST /v1/offers/:id. The first answer for a visitor
// fixes the deadline (`valid_minutes` from then) and hands out the code — the campaign's fixed code, or the next
// unused code of its pool file; the store keeps the grant, so every later answer (reload, new tab, new session,
// another instance) is the same, and after the deadline the answer is 410: the offer is gone, no timer restarts.
// Each grant carries a token signed with the server's secret, so the shop's checkout can check a code's deadline
// with GET /v1/offers/verify without trusting the browser.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { variantOf } from '../widget/bucket';
import type { ExitOffer } from './schema';
import type { OfferGrant, Store } from './store/types';

const MINUTE = 60_000;

// --- pools -------------------------------------------------------------------------------------------------

export class PoolError extends Error {}

const pools = new Map<string, { stamp: string; codes: string[] }>();

/**
 * The codes in a pool file: one per line; blank lines and `#` comments skipped. Read again when the file
 * changes. Throws PoolError saying what is wrong (missing, empty, duplicates, a malformed code).
 */
export function readPool(file: string): string[] {
  let stamp: string;
  try {
    const st = statSync(file);
    stamp = `${st.mtimeMs}:${st.size}`;
  } catch {
    throw new PoolError(`the coupon pool file ${file} does not exist`);
  }
  const cached = pools.get(file);
  if (cached?.stamp === stamp) return cached.codes;
  const codes: string[] = [];
  const seen = new Set<string>();
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const code = raw.trim();
      if (!code || code.startsWith('#')) return;
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(code)) throw new PoolError(`${file}:${i + 1}: "${code.slice(0, 70)}" is not a code (letters, digits, "-", "_")`);
      if (seen.has(code)) throw new PoolError(`${file}:${i + 1}: "${code}" appears twice; every pool code must be unique`);
      seen.add(code);
      codes.push(code);
    });
  if (!codes.length) throw new PoolError(`the coupon pool file ${file} holds no codes`);
  pools.set(file, { stamp, codes });
  return codes;
}

/** A pool path in the config is relative to the config file. */
export const poolPath = (configFile: string, pool: string) => resolve(dirname(configFile), pool);

// --- signed grants -------------------------------------------------------------------------------------------

interface TokenBody {
  c: string; // campaign id
  v: string; // visitor id
  k: string; // code
  d: number; // deadline, epoch ms
}

const mac = (secret: string | Buffer, body: string) => createHmac('sha256', secret).update(body).digest('base64url');

/** `<base64url(JSON)>.<base64url(HMAC-SHA256)>`: the grant's campaign, visitor, code and deadline. */
export function signGrant(secret: string | Buffer, g: OfferGrant): string {
  const body = Buffer.from(JSON.stringify({ c: g.campaign_id, v: g.visitor_id, k: g.code, d: g.deadline } satisfies TokenBody)).toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

/** The grant a token stands for, or undefined when it was not signed with `secret` (or is not a token). */
export function verifyGrant(secret: string | Buffer, token: string): { campaign_id: string; visitor_id: string; code: string; deadline: number } | undefined {
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return undefined;
  const want = Buffer.from(mac(secret, body));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  try {
    const t = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenBody;
    if (typeof t.c !== 'string' || typeof t.v !== 'string' || typeof t.k !== 'string' || typeof t.d !== 'number') return undefined;
    return { campaign_id: t.c, visitor_id: t.v, code: t.k, deadline: t.d };
  } catch {
    return undefined;
  }
}

// --- answering -------------------------------------------------------------------------------------------

export type OfferAnswer =
  | { status: 200; body: { campaign_id: string; code: string; deadline: number; now: number; token: string } }
  | { status: 404 | 409 | 410 | 503; body: { error: string; deadline?: number } };

/** The answer to POST /v1/offers/:id for one visitor. Never throws for a missing or exhausted pool. */
export async function answerOffer(o: {
  campaign: ExitOffer | undefined;
  visitorId: string;
  configFile: string | undefined;
  store: Store;
  secret: string | Buffer;
  now: number;
}): Promise<OfferAnswer> {
  const { now } = o;
  if (!o.campaign || !o.campaign.enabled) return { status: 404, body: { error: 'no such exit offer in the config' } };
  // An A/B test of offers: the shopper's variant's coupon and deadline (the same arm the widget shows them).
  const campaign = variantOf(o.campaign, o.visitorId)?.campaign ?? o.campaign;
  let coupon: { code: string } | { pool: string; codes: readonly string[] };
  if ('code' in campaign.coupon) coupon = campaign.coupon;
  else {
    const file = poolPath(o.configFile ?? 'kairos.yaml', campaign.coupon.pool);
    try {
      // The pool is known by the name the config gives it: campaigns naming the same file share its codes.
      coupon = { pool: campaign.coupon.pool, codes: readPool(file) };
    } catch (e) {
      return { status: 503, body: { error: e instanceof Error ? e.message : String(e) } };
    }
  }
  const grant = await o.store.grantOffer({
    campaign_id: campaign.id,
    visitor_id: o.visitorId,
    now,
    deadline: now + campaign.valid_minutes * MINUTE,
    coupon,
  });
  if (!grant) return { status: 409, body: { error: 'every code in the pool has been handed out; add codes to the pool file' } };
  if (grant.deadline <= now) return { status: 410, body: { error: 'this offer has ended', deadline: grant.deadline } };
  return { status: 200, body: { campaign_id: grant.campaign_id, code: grant.code, deadline: grant.deadline, now, token: signGrant(o.secret, grant) } };
}
