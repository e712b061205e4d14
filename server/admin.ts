// Admin access: routes that act on stored data (erasing a visitor; later the report) need
// `Authorization: Bearer <KAIROS_ADMIN_TOKEN>`. Without a token configured they are off, not open.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Why a request may not use an admin route, or undefined when it may. Constant-time in the token. */
export function adminRefusal(authorization: string | undefined, token: string | undefined): { status: 401 | 403; error: string } | undefined {
  if (!token) return { status: 403, error: 'admin routes are off: set KAIROS_ADMIN_TOKEN on the server' };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return { status: 401, error: 'send Authorization: Bearer <KAIROS_ADMIN_TOKEN>' };
  return timingSafeEqual(digest(m[1]!), digest(token)) ? undefined : { status: 401, error: 'wrong admin token' };
}
