// Admin access: routes that act on stored data (erasing a visitor, the report) need the
// KAIROS_ADMIN_TOKEN. Without a token configured they are off, not open.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Why a request may not use an admin route, or undefined when it may. Constant-time in the token. The token comes as
 * `Authorization: Bearer <token>` (scripts), or as the password of HTTP Basic auth with any user name (a browser
 * opening GET /report asks for it in its own login prompt).
 */
export function adminRefusal(authorization: string | undefined, token: string | undefined): { status: 401 | 403; error: string } | undefined {
  if (!token) return { status: 403, error: 'admin routes are off: set KAIROS_ADMIN_TOKEN on the server' };
  const given = bearer(authorization ?? '') ?? basicPassword(authorization ?? '');
  if (given === undefined) return { status: 401, error: 'send Authorization: Bearer <KAIROS_ADMIN_TOKEN>' };
  return timingSafeEqual(digest(given), digest(token)) ? undefined : { status: 401, error: 'wrong admin token' };
}

const bearer = (h: string) => /^Bearer\s+(\S+)\s*$/i.exec(h)?.[1];

function basicPassword(h: string): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}
