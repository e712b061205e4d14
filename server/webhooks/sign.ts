// Standard Webhooks signing (https://www.standardwebhooks.com/): the secret is `whsec_<base64>`, the key is the
// decoded bytes, and each attempt is signed as HMAC-SHA256(key, `${webhook-id}.${webhook-timestamp}.${body}`),
// sent base64-encoded as `webhook-signature: v1,<signature>`.
import { createHmac } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** The spec recommends keys of 24 to 64 bytes. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

export type SecretResult = { ok: true; key: Buffer } | { ok: false; error: string };

const HOW = 'set KAIROS_WEBHOOK_SECRET to whsec_ followed by 32 random bytes in base64, e.g. `echo whsec_$(openssl rand -base64 32)`';

/** Parses `whsec_<base64>`. The error never contains the secret itself. */
export function parseSecret(secret: string | undefined): SecretResult {
  if (secret === undefined || secret.trim() === '') return { ok: false, error: `KAIROS_WEBHOOK_SECRET is not set: ${HOW}` };
  const s = secret.trim();
  if (!s.startsWith(SECRET_PREFIX)) return { ok: false, error: `KAIROS_WEBHOOK_SECRET does not start with "${SECRET_PREFIX}": ${HOW}` };
  const b64 = s.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0)
    return { ok: false, error: `KAIROS_WEBHOOK_SECRET is not valid base64 after "${SECRET_PREFIX}": ${HOW}` };
  const key = Buffer.from(b64, 'base64');
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES)
    return { ok: false, error: `KAIROS_WEBHOOK_SECRET decodes to ${key.length} bytes; use ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES}: ${HOW}` };
  return { ok: true, key };
}

/** The `webhook-signature` header value for one attempt. `timestamp` is in seconds. */
export function signature(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
