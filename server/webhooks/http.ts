// One webhook POST over node:http/https: no redirects followed (a 3xx is an answer like any other, and the
// caller treats it as a failure), one overall timeout, the SSRF guard on the connect, a fresh connection each
// time (no pooled socket skips the guard). Never throws: every way it can go wrong is an outcome.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { checkLiteralHost, ForbiddenAddressError, guardedLookup } from './ssrf';

export type PostResult =
  | { kind: 'response'; status: number; retryAfter: string | null }
  | { kind: 'error'; message: string; refused: boolean };

export interface PostOptions {
  timeoutMs: number;
  /** webhooks.allow_private_networks: skip the SSRF guard. */
  allowPrivate: boolean;
  /** Aborts the attempt (the server is shutting down). */
  signal?: AbortSignal;
}

const error = (message: string, refused = false): PostResult => ({ kind: 'error', message, refused });

export function postWebhook(url: string, body: string, headers: Record<string, string>, opts: PostOptions): Promise<PostResult> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return resolve(error('the endpoint is not a valid URL'));
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return resolve(error(`the endpoint is not http(s) (${u.protocol})`));
    if (!opts.allowPrivate) {
      const refused = checkLiteralHost(u.hostname);
      if (refused) return resolve(error(refused.message, true));
    }
    if (opts.signal?.aborted) return resolve(error('aborted: the server is shutting down'));

    const payload = Buffer.from(body, 'utf8');
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };

    const req = request(u, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(payload.length) },
      agent: false,
      ...(!opts.allowPrivate && { lookup: guardedLookup }),
    });
    const timer = setTimeout(() => {
      finish(error(`timed out after ${opts.timeoutMs} ms`));
      req.destroy();
    }, opts.timeoutMs);
    const onAbort = () => {
      finish(error('aborted: the server is shutting down'));
      req.destroy();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('response', (res: IncomingMessage) => {
      const retryAfter = res.headers['retry-after'];
      finish({ kind: 'response', status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
      // The answer's body is of no interest: read and drop it, then let the connection go.
      res.resume();
      res.on('end', () => req.destroy());
      res.on('error', () => undefined);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof ForbiddenAddressError) return finish(error(e.message, true));
      const code = e.code ? `${e.code}: ` : '';
      finish(error(`${code}${e.message}`));
    });
    req.end(payload);
  });
}
