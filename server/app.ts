// The HTTP surface as one route table. Tests call it in-process (`app.request()`); cli.ts puts it on a port.
//
//   GET  /v1/config      the public config (ETag, revalidated on every page load)
//   POST /v1/events      a batch of events, stored all-or-nothing, acknowledged once durable
//   POST /v1/leads       a newsletter bar's sign-up: stored as an event, lead.captured queued (server/leads.ts)
//   POST /v1/offers/:id  an exit offer's code and fixed deadline for one visitor (server/offers.ts)
//   GET  /v1/offers/verify?token=…  checks a signed grant (for the shop's checkout)
//   GET  /v1/countdowns/:id  a countdown bar's deadline as an instant, with the server's clock (server/countdown.ts)
//   POST /v1/presence    a heartbeat for a product or page; answers how many are viewing it now
//   GET  /v1/purchases?product=…  how many orders of a product were stored in the last 24 hours
//   GET  /v1/context     roughly where the shopper is (0.1°) and the weather there, for targeting (server/context)
//   DELETE /v1/visitors/:id  erases a visitor's events, cart, webhook messages and offer grants (admin token)
//   GET  /report         what each campaign did, as an HTML page with charts; ?days=N, ?format=json|csv (admin token)
//   GET  /schema.json    the JSON Schema for kairos.yaml (editor autocomplete)
//   GET  /healthz        liveness: the store answers
//   GET  /kairos.js      the loader script shops embed; /kairos-ui/* the content-hashed chunks it imports
//   GET  /, /products/:id, /cart, …  the demo shop, when there is one
//
// Bad input gets a 4xx naming the problem, never a 5xx. A 503 means the server cannot do its part right now
// (the store failed: retry; the widget is not built) and is never about what the client sent.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { matchedRoutes } from 'hono/route';
import { adminRefusal } from './admin';
import type { AutoPauser } from './auto-pause';
import type { SharedLimits } from './shared-limits';
import { clientAddress, createClientHasher } from './client-hash';
import { configJsonSchema, publicCampaign } from './config';
import type { LoadedConfig } from './config-watch';
import { createContextService, type ContextService } from './context/index';
import { countdownAnswer } from './countdown';
import { parseBatch, toStoredEvents } from './events';
import { captureLead, LEADS_BODY_LIMIT } from './leads';
import { answerOffer, poolPath, verifyGrant } from './offers';
import { isbot } from 'isbot';
import { isAllowedOrigin, normaliseOrigin } from './origin';
import { parsePreferences, PREFERENCES_BODY_LIMIT, USER_ID } from './preferences';
import { createMemoryPresence } from './presence/memory';
import type { PresenceStore } from './presence/types';
import { createRateLimiter, DEFAULT_RATE_LIMIT, defaultBurst } from './rate-limit';
import { etagMatches, readStatic, safeSegments, type StaticFile } from './static';
import { renderReportHtml } from './report/html';
import { makeReport } from './report/index';
import { reportCsv } from './report/text';
import type { PublicConfig } from './schema';
import type { Store } from './store/types';

/** The subset of a pino logger the app uses. */
export interface AppLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** pino's: with info off, the per-request log line is not even assembled. */
  isLevelEnabled?(level: string): boolean;
}

export interface AppDeps {
  /** Anything with the live config, e.g. a ConfigSource; read on every request so hot reloads apply at once. */
  config: { readonly current: LoadedConfig; readonly file?: string };
  store: Store;
  /** The widget build output (dist/widget): kairos.js and kairos-ui/. */
  widgetDir: string;
  /** The demo shop (demo/); null or absent serves no demo. */
  demoDir?: string | null;
  log: AppLog;
  /** The server's clock (epoch ms); default Date.now. Tests move it. */
  now?: () => number;
  /** Who is viewing what (server/presence): in process (the default), or Redis when instances count together. */
  presence?: PresenceStore;
  /** Signs offer grants; default KAIROS_SECRET, else random per process (grants then verify only until restart). */
  secret?: string | Buffer;
  /** Location and weather for GET /v1/context (server/context); default one on the live config, cached in process. */
  context?: ContextService;
  /** KAIROS_ADMIN_TOKEN: the bearer token admin routes (erasure) need; without one they are off. */
  adminToken?: string | undefined;
  /**
   * KAIROS_TRUST_PROXY_HOPS: how many proxies of ours stand in front (each appends to X-Forwarded-For); the client
   * is the address that many entries from the right. Default 0: the header is ignored, the socket's peer counts.
   */
  trustProxyHops?: number;
  /** KAIROS_RATE_LIMIT: write requests a minute per client (hash of address and user agent); 0 = off. Default 600. */
  rateLimit?: number;
  /** With REDIS_URL: rate-limit buckets and the client-id salt shared by every instance (server/shared-limits.ts). */
  sharedLimits?: Pick<SharedLimits, 'salt' | 'take'>;
  /** auto_pause (server/auto-pause.ts): paused campaigns are left out of /v1/config; new events are reported to it. */
  autoPause?: Pick<AutoPauser, 'paused' | 'notify'>;
}

/** Largest accepted POST /v1/events body. A full batch (100 events) is far below it. */
export const EVENTS_BODY_LIMIT = 256 * 1024;

const JSON_TYPES = new Set(['', 'text/plain', 'application/json']);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The route table, plus `direct`: the requests cli.ts answers from node:http before Hono sees them (true when it
 * answered; see GET /v1/config below).
 */
export type KairosApp = Hono & { direct(req: IncomingMessage, res: ServerResponse): boolean };

export function createApp(deps: AppDeps): KairosApp {
  const { config, store, log } = deps;
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const app = new Hono();

  // --- every request ---------------------------------------------------------------------------------------

  // Headers every answer carries are set BEFORE the handler runs. Setting one after `await next()` makes Hono
  // rebuild the finished response around its body as a stream, which sends every answer through web streams:
  // measured at several times the cost of the request itself (bench/server.mjs). After the handler only what
  // depends on the outcome is added, and only when it applies.
  const logRequests = log.isLevelEnabled?.('info') ?? true;
  app.use('*', async function requestLog(c, next) {
    const t0 = logRequests ? performance.now() : 0;
    c.header('X-Content-Type-Options', 'nosniff');
    await next();
    // Answered before its body was read (413 on Content-Length, 415, 403, 429…): the rest of the body is still on
    // its way, and the adapter gives it 500 ms to drain before it drops the socket. Saying so keeps a keep-alive
    // client from sending its next request on a connection about to be cut ("socket hang up").
    const incoming = incomingOf(c);
    if (incoming && !incoming.readableEnded && hasBody(c)) c.header('Connection', 'close');
    if (!logRequests) return;
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    log.info({ method: c.req.method, route: routeOf(c), status: c.res.status, ms }, 'request');
  });

  app.onError((err, c) => {
    log.error({ err: err.message, route: routeOf(c) }, 'unhandled error');
    return c.json({ error: 'internal error' }, 500);
  });

  app.notFound((c) => (c.req.path.startsWith('/v1/') ? c.json({ error: 'not found' }, 404) : c.text('not found', 404)));

  // --- /v1: CORS ---------------------------------------------------------------------------------------------

  /** Whether a page on `origin` may call /v1, and the Access-Control-Allow-Origin to answer it with. */
  const corsFor = (origin: string | undefined, requestUrl: string) => {
    const allowed = origin === undefined || isAllowedOrigin(origin, requestUrl, config.current.config.site.allowed_origins);
    // A disallowed GET is answered without the header: the browser then keeps the body from the page. An allowed
    // one gets its origin in serialised form (what browsers send), never other text from the request echoed back.
    return { allowed, allowOrigin: allowed && origin !== undefined ? normaliseOrigin(origin) : undefined };
  };

  app.use('/v1/*', async function cors(c, next) {
    const origin = header(c, 'origin');
    const { allowed, allowOrigin } = corsFor(origin, c.req.url);
    if (!allowed && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      // A text/plain POST needs no preflight, so the browser would deliver it: refusing it here is what keeps
      // other sites' events out of the store.
      c.header('Vary', 'Origin');
      return c.json({ error: `origin ${origin} not allowed; add it to site.allowed_origins` }, 403);
    }
    c.header('Vary', 'Origin', { append: true });
    if (allowOrigin !== undefined) c.header('Access-Control-Allow-Origin', allowOrigin);
    return next();
  });

  // --- /v1: rate limits on writes ------------------------------------------------------------------------------

  // Every write under /v1 (POST, PUT, PATCH, DELETE: events, leads, offers, presence, preferences, and any route
  // added later) spends one token of its client's bucket (server/rate-limit.ts). The client is a daily-salted hash of address and user agent
  // (server/client-hash.ts): neither is kept, logged or answered. Registered after CORS, so a 429 carries the
  // CORS headers and the widget can read it; preflights (OPTIONS) and reads are not counted. The admin routes
  // (/v1/visitors/…) have their own guard, the token.
  const hops = deps.trustProxyHops ?? 0;
  const addressOf = (c: Context) => clientAddress({ forwardedFor: header(c, 'x-forwarded-for'), socket: socketAddress(c), hops });
  const perMinute = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  if (perMinute > 0) {
    const shared = deps.sharedLimits;
    const hasher = createClientHasher({ now, ...(shared && { shared: (day: string) => shared.salt(day) }) });
    const limiter = createRateLimiter({ perMinute, burst: defaultBurst(perMinute), now });
    app.use('/v1/*', async function rateLimit(c, next) {
      if (!WRITE_METHODS.has(c.req.method) || c.req.path.startsWith('/v1/visitors/')) return next();
      // In-process requests (tests) have no socket: they are all one client, told apart by user agent only.
      const client = hasher.hash(addressOf(c) ?? 'unknown', header(c, 'user-agent') ?? '');
      // The fleet's bucket (REDIS_URL), else — Redis down, or none — this instance's own.
      const taken = (await shared?.take(client)) ?? limiter.take(client);
      if (taken.ok) return next();
      c.header('Retry-After', String(taken.retryAfterSeconds));
      c.header('Cache-Control', 'no-store');
      return c.json({ error: `too many requests from this client; retry after ${taken.retryAfterSeconds} s` }, 429);
    });
  }

  // --- /v1: what a write's body must be ------------------------------------------------------------------------

  // Every POST under /v1 carries a JSON body, sent by the widget as text/plain (no preflight). Checked here once,
  // before any route reads a byte: a compressed body is refused (the widget never compresses; decompressing would
  // let a few KB inflate to gigabytes past every body limit), and so is a body that says it is something else.
  app.use('/v1/*', async function writeBody(c, next) {
    if (c.req.method !== 'POST') return next();
    const encoding = (header(c, 'content-encoding') ?? '').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity')
      return c.json({ error: `unsupported content encoding ${encoding}; send the body uncompressed` }, 415);
    const type = (header(c, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!JSON_TYPES.has(type) && !type.endsWith('+json'))
      return c.json({ error: `unsupported content type ${type}; send JSON as text/plain or application/json` }, 415);
    return next();
  });

  app.options('/v1/*', (c) => {
    c.header('Access-Control-Allow-Methods', 'GET, POST');
    c.header('Access-Control-Allow-Headers', 'Content-Type');
    c.header('Access-Control-Max-Age', '86400');
    // Chrome's Private Network Access preflight, for a public shop page calling a Kairos on localhost.
    if (header(c, 'access-control-request-private-network') === 'true')
      c.header('Access-Control-Allow-Private-Network', 'true');
    c.header('Allow', 'GET, POST, OPTIONS');
    return c.body(null, 204);
  });

  // --- /v1/config --------------------------------------------------------------------------------------------

  // The compiled config without the campaigns auto_pause has paused; its ETag names them, so a pause (or a resume)
  // reaches every browser at its next page view.
  let pausedCache: { key: string; of: LoadedConfig; pub: PublicConfig; etag: string } | undefined;
  const liveConfig = (): { pub: PublicConfig; etag: string } => {
    const loaded = config.current;
    const paused = deps.autoPause?.paused();
    const hit = loaded.public.campaigns.filter((x) => paused?.has(x.id)).map((x) => x.id);
    if (!hit.length) return { pub: loaded.public, etag: loaded.etag };
    const key = hit.join(' ');
    if (pausedCache?.of !== loaded || pausedCache.key !== key) {
      const pub = { ...loaded.public, campaigns: loaded.public.campaigns.filter((x) => !hit.includes(x.id)) };
      const tag = createHash('sha256').update(key).digest('base64url').slice(0, 8);
      pausedCache = { key, of: loaded, pub, etag: loaded.etag.replace(/"$/, `-p${tag}"`) };
    }
    return pausedCache;
  };

  /** The config as JSON text, serialised once per compiled config (and per set of paused campaigns). */
  const configJson = new WeakMap<PublicConfig, string>();
  const configAnswer = (ifNoneMatch: string | undefined) => {
    const { pub, etag } = liveConfig();
    if (etagMatches(ifNoneMatch, etag)) return { etag, body: null };
    let body = configJson.get(pub);
    if (body === undefined) configJson.set(pub, (body = JSON.stringify(pub)));
    return { etag, body };
  };

  app.get('/v1/config', (c) => {
    const { etag, body } = configAnswer(header(c, 'if-none-match'));
    c.header('ETag', etag);
    c.header('Cache-Control', 'no-cache');
    if (body === null) return c.body(null, 304);
    return c.body(body, 200, { 'Content-Type': 'application/json' });
  });

  // Every page view of every shopper revalidates the config, so on a real server GET /v1/config is answered
  // straight from node:http (cli.ts), with the same answer and headers as the route above and the middleware
  // around it: Hono's adapter builds WHATWG Request, Headers and Response objects for each request, which cost
  // ~3× the bare request (bench/server.mjs). Anything unusual — a body, no Host header, another method, a query —
  // goes the normal way.
  const direct = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET' || req.url !== '/v1/config' || req.headers.host === undefined) return false;
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return false;
    const t0 = logRequests ? performance.now() : 0;
    let status: number;
    let headers: Record<string, string>;
    let body: string | null;
    try {
      const origin = req.headers.origin;
      const { allowOrigin } = corsFor(origin, `http://${req.headers.host}${req.url}`);
      const answer = configAnswer(req.headers['if-none-match']);
      body = answer.body;
      status = body === null ? 304 : 200;
      headers = { 'X-Content-Type-Options': 'nosniff', Vary: 'Origin', ETag: answer.etag, 'Cache-Control': 'no-cache' };
      if (allowOrigin !== undefined) headers['Access-Control-Allow-Origin'] = allowOrigin;
      if (body !== null) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
    } catch {
      return false; // the route answers (and logs) whatever went wrong
    }
    res.writeHead(status, headers);
    res.end(body ?? undefined);
    if (logRequests) log.info({ method: 'GET', route: '/v1/config', status, ms: Math.round((performance.now() - t0) * 10) / 10 }, 'request');
    return true;
  };

  // --- /v1/campaigns/:id/preview -------------------------------------------------------------------------------

  // ?kairos_preview=<id> shows a campaign now, even when it is switched off or out of its schedule: the browser
  // gets it in its public form, without enabled/schedule. A preview records nothing and an exit offer previews
  // with a sample code, so nothing here is secret that the live page would not show once the campaign is on.
  app.get('/v1/campaigns/:id/preview', (c) => {
    const campaign = config.current.config.campaigns.find((x) => x.id === c.req.param('id'));
    if (!campaign) return c.json({ error: `no campaign "${c.req.param('id')}" in the config` }, 404);
    const { schedule: _schedule, ...pub } = publicCampaign(campaign, config.current.config);
    c.header('Cache-Control', 'no-store');
    return c.json(pub);
  });

  // --- /v1/events --------------------------------------------------------------------------------------------

  app.post(
    '/v1/events',
    limitBody(EVENTS_BODY_LIMIT, (c) => c.json({ error: `request body too large: the limit is ${EVENTS_BODY_LIMIT} bytes; send smaller batches` }, 413)),
    async (c) => {
      const body = await bodyText(c);
      if (body === undefined) return c.json({ error: NOT_UTF8 }, 400);
      const parsed = parseBatch(body);
      if (!parsed.ok) {
        const { ok: _ok, ...answer } = parsed;
        return c.json(answer, 400);
      }

      const rows = toStoredEvents(parsed.batch, now());
      let result: { inserted: number; duplicates: number };
      try {
        result = await store.insertEvents(rows);
      } catch (e) {
        log.error({ err: e instanceof Error ? e.message : String(e), count: rows.length }, 'event store write failed');
        c.header('Retry-After', '5');
        return c.json({ error: 'could not store the events; retry later' }, 503);
      }
      if (deps.autoPause && result.inserted) deps.autoPause.notify(new Set(rows.flatMap((r) => (r.campaign_id ? [r.campaign_id] : []))));
      return c.json({ accepted: result.inserted, duplicates: result.duplicates });
    },
  );

  app.on(['GET', 'PUT', 'PATCH', 'DELETE'], '/v1/events', (c) => {
    c.header('Allow', 'POST, OPTIONS');
    return c.json({ error: `use POST for /v1/events` }, 405);
  });

  // --- /v1/leads: the newsletter bar ----------------------------------------------------------------------------

  // Like /v1/events: a text/plain JSON body (no preflight), the origin checked above. The address is never logged.
  app.post(
    '/v1/leads',
    limitBody(LEADS_BODY_LIMIT, (c) => c.json({ error: `request body too large: the limit is ${LEADS_BODY_LIMIT} bytes` }, 413)),
    async (c) => {
      c.header('Cache-Control', 'no-store');
      const body = await bodyText(c);
      if (body === undefined) return c.json({ error: NOT_UTF8 }, 400);
      try {
        const answer = await captureLead({ body, config: config.current.config, store, now: now() });
        return c.json(answer.body, answer.status);
      } catch (e) {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'lead store write failed');
        c.header('Retry-After', '5');
        return c.json({ error: 'could not store the sign-up; retry later' }, 503);
      }
    },
  );

  // --- exit offers ---------------------------------------------------------------------------------------------

  const secret = deps.secret ?? process.env['KAIROS_SECRET'] ?? randomBytes(32);
  const VISITOR = /^[A-Za-z0-9_-]{8,64}$/;

  app.post('/v1/offers/:id', limitBody(4096, tooLarge), async (c) => {
    const text = await bodyText(c);
    if (text === undefined) return c.json({ error: NOT_UTF8 }, 400);
    let visitorId: unknown;
    try {
      visitorId = (JSON.parse(text) as { visitor_id?: unknown } | null)?.visitor_id;
    } catch {
      return c.json({ error: 'send {"visitor_id": "…"} as JSON' }, 400);
    }
    if (typeof visitorId !== 'string' || !VISITOR.test(visitorId))
      return c.json({ error: 'visitor_id: an opaque id of 8–64 characters [A-Za-z0-9_-]' }, 400);
    const campaign = config.current.config.campaigns.find((x) => x.id === c.req.param('id'));
    c.header('Cache-Control', 'no-store');
    try {
      const answer = await answerOffer({
        campaign: campaign?.type === 'exit_offer' ? campaign : undefined,
        visitorId,
        configFile: config.file,
        store,
        secret,
        now: now(),
      });
      if (answer.status === 503) log.error({ campaign: campaign?.id, err: answer.body.error }, 'exit offer cannot hand out codes');
      return c.json(answer.body, answer.status);
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'offer grant failed');
      c.header('Retry-After', '5');
      return c.json({ error: 'could not store the offer; retry later' }, 503);
    }
  });

  app.get('/v1/offers/verify', (c) => {
    const grant = verifyGrant(secret, c.req.query('token') ?? '');
    c.header('Cache-Control', 'no-store');
    if (!grant) return c.json({ valid: false, error: 'not a token signed by this server' }, 400);
    return c.json({ valid: grant.deadline > now(), expired: grant.deadline <= now(), ...grant });
  });

  // --- countdowns ----------------------------------------------------------------------------------------------

  // Resolved here, on the server's clock, so a shopper's wrong clock or time zone cannot move the deadline.
  app.get('/v1/countdowns/:id', (c) => {
    const id = c.req.param('id');
    const answer = countdownAnswer(id, config.current.config.campaigns.find((x) => x.id === id), now());
    c.header('Cache-Control', 'no-store');
    return c.json(answer.body, answer.status);
  });

  // --- social proof: presence and recent purchases ------------------------------------------------------------

  const presence = deps.presence ?? createMemoryPresence();
  const PRESENCE_KEY = /^(product|path):[^\s]{1,300}$/;
  app.post('/v1/presence', limitBody(2048, tooLarge), async (c) => {
    const text = await bodyText(c);
    if (text === undefined) return c.json({ error: NOT_UTF8 }, 400);
    let body: { visitor_id?: unknown; key?: unknown } | null;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return c.json({ error: 'send {"visitor_id": "…", "key": "product:<id>" or "path:/…"} as JSON' }, 400);
    }
    const visitorId = body?.visitor_id;
    const key = body?.key;
    // Without a visitor id (the shopper's Global Privacy Control, or no consent yet) the count is read, not added to.
    if (visitorId !== undefined && (typeof visitorId !== 'string' || !VISITOR.test(visitorId)))
      return c.json({ error: 'visitor_id: an opaque id of 8–64 characters [A-Za-z0-9_-], or none to read the count only' }, 400);
    if (typeof key !== 'string' || !PRESENCE_KEY.test(key)) return c.json({ error: 'key: "product:<id>" or "path:/<path>", at most 300 characters' }, 400);
    const windowMs = config.current.config.presence.window_seconds * 1000;
    c.header('Cache-Control', 'no-store');
    try {
      // Crawlers and monitors are not people: they get the count but are not counted. Nothing about the request
      // (address, user agent) is kept.
      const watcher = typeof visitorId === 'string' && !isbot(header(c, 'user-agent') ?? '');
      const count = watcher ? await presence.beat(key, visitorId, now(), windowMs) : await presence.count(key, now(), windowMs);
      return c.json({ count, others: Math.max(0, count - (watcher ? 1 : 0)), window_seconds: windowMs / 1000 });
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'presence store failed');
      c.header('Retry-After', '15');
      return c.json({ error: 'presence is unavailable; retry later' }, 503);
    }
  });

  /** Per product: the count and when it was taken (counting orders is a scan; once a minute is plenty). */
  const purchases = new Map<string, { count: number; at: number }>();
  const PURCHASES_TTL_MS = 60_000;
  app.get('/v1/purchases', async (c) => {
    const product = c.req.query('product') ?? '';
    if (!/^[^\s]{1,200}$/.test(product)) return c.json({ error: 'product: the product id, e.g. ?product=linen-shirt' }, 400);
    const t = now();
    let hit = purchases.get(product);
    if (!hit || t - hit.at >= PURCHASES_TTL_MS) {
      try {
        hit = { count: await store.countOrders(product, t - 24 * 3600_000), at: t };
      } catch (e) {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'purchase count failed');
        return c.json({ error: 'could not count; retry later' }, 503);
      }
      if (purchases.size >= 10_000) purchases.clear(); // bounded: a cache, not a store
      purchases.set(product, hit);
    }
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ product, count: hit.count, hours: 24 });
  });

  // --- the preference centre: an identified shopper's choice follows them ---------------------------------------

  app.get('/v1/preferences/:user', async (c) => {
    c.header('Cache-Control', 'no-store');
    const user = c.req.param('user');
    if (!USER_ID.test(user)) return c.json({ error: 'user: the shop’s user id, 1–200 characters' }, 400);
    const prefs = await store.getPreferences(user);
    return prefs ? c.json(prefs) : c.json({ error: 'no preferences saved for this user' }, 404);
  });

  app.post(
    '/v1/preferences/:user',
    limitBody(PREFERENCES_BODY_LIMIT, tooLarge),
    async (c) => {
      const user = c.req.param('user');
      if (!USER_ID.test(user)) return c.json({ error: 'user: the shop’s user id, 1–200 characters' }, 400);
      const text = await bodyText(c);
      if (text === undefined) return c.json({ error: NOT_UTF8 }, 400);
      const t = now();
      const parsed = parsePreferences(text, t);
      if (!parsed.ok) return c.json({ error: parsed.error }, 400);
      const kept = await store.putPreferences(user, parsed.visitorId, parsed.prefs, t);
      // Not kept: a newer choice from another device is stored already; the answer carries it.
      return c.json({ kept, preferences: kept ? parsed.prefs : await store.getPreferences(user) });
    },
  );

  // --- context: rough location and weather --------------------------------------------------------------------

  const context = deps.context ?? createContextService({ config, log, now });
  app.get('/v1/context', async (c) => {
    // The address (the socket's peer, or X-Forwarded-For as far as KAIROS_TRUST_PROXY_HOPS trusts it) is handed
    // to the GeoIP lookup and nothing else: not logged, not stored, not answered.
    const { body, vary } = await context.lookup({ header: (name) => header(c, name), ip: addressOf(c) });
    c.header('Cache-Control', 'private, max-age=300');
    for (const name of vary) c.header('Vary', name, { append: true });
    return c.json(body);
  });

  // --- editor schema, health -----------------------------------------------------------------------------------

  let schema: { body: string; etag: string } | undefined;
  // --- erasure (admin) ---------------------------------------------------------------------------------------

  app.delete('/v1/visitors/:id', async (c) => {
    c.header('Cache-Control', 'no-store');
    const refused = adminRefusal(header(c, 'authorization'), deps.adminToken);
    if (refused) {
      if (refused.status === 401) c.header('WWW-Authenticate', 'Bearer');
      return c.json({ error: refused.error }, refused.status);
    }
    const id = c.req.param('id');
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(id)) return c.json({ error: 'a visitor id is 8–64 characters [A-Za-z0-9_-]' }, 400);
    try {
      const erased = await store.eraseVisitor(id);
      log.info({ erased }, 'visitor erased'); // the counts only: the id is personal data
      return c.json({ erased });
    } catch (e) {
      log.error({ err: e }, 'erasure failed');
      c.header('Retry-After', '5');
      return c.json({ error: 'the store is unavailable; nothing was erased, retry' }, 503);
    }
  });

  // --- the report (admin) -----------------------------------------------------------------------------------

  // HTML for people (a browser asks for the token in its login prompt: Basic auth, any user name), JSON or CSV for
  // scripts. Nothing on the page runs script; its one style block carries a nonce the CSP names.
  app.get('/report', async (c) => {
    c.header('Cache-Control', 'no-store');
    const refused = adminRefusal(header(c, 'authorization'), deps.adminToken);
    if (refused) {
      if (refused.status === 401) c.header('WWW-Authenticate', 'Basic realm="Kairos report", charset="UTF-8"');
      return c.text(refused.error + '\n', refused.status);
    }
    const daysText = c.req.query('days') ?? '30';
    const days = Number(daysText);
    if (!/^\d{1,4}$/.test(daysText) || days < 1) return c.text('days: a whole number of days from 1 to 9999\n', 400);
    const format = c.req.query('format') ?? 'html';
    if (!['html', 'json', 'csv'].includes(format)) return c.text('format: html, json or csv\n', 400);
    let report;
    try {
      report = await makeReport(store, config.current.config, { days, now: now() });
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'report failed');
      c.header('Retry-After', '5');
      return c.text('the store is unavailable; retry\n', 503);
    }
    if (format === 'json') return c.json(report);
    if (format === 'csv') {
      c.header('Content-Disposition', 'attachment; filename="kairos-report.csv"');
      return c.body(reportCsv(report), 200, { 'Content-Type': 'text/csv; charset=utf-8' });
    }
    const nonce = randomBytes(16).toString('base64');
    c.header('Content-Security-Policy', `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    c.header('Referrer-Policy', 'no-referrer');
    return c.html(renderReportHtml(report, { nonce }));
  });

  app.get('/schema.json', (c) => {
    if (!schema) {
      const body = JSON.stringify(configJsonSchema(), null, 2);
      schema = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    }
    c.header('ETag', schema.etag);
    c.header('Cache-Control', 'no-cache');
    // Public and harmless; lets browser-based editors fetch it from another origin.
    c.header('Access-Control-Allow-Origin', '*');
    if (etagMatches(header(c, 'if-none-match'), schema.etag)) return c.body(null, 304);
    c.header('Content-Type', 'application/schema+json; charset=utf-8');
    return c.body(schema.body);
  });

  app.get('/healthz', async (c) => {
    c.header('Cache-Control', 'no-store');
    try {
      await store.ping();
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      log.error({ err: error }, 'health check: store ping failed');
      return c.json({ ok: false, error }, 503);
    }
    const uptime_s = Math.max(0, Math.floor((now() - startedAt) / 1000));
    return c.json({ ok: true, config_version: config.current.public.version, uptime_s });
  });

  // --- the widget ---------------------------------------------------------------------------------------------

  // Shops load these from their own pages: kairos.js by a classic <script> (no CORS needed, but allowed so a
  // `crossorigin` attribute or SRI works), the chunks by import(), which is a CORS request. CORP lets both load
  // into pages that set Cross-Origin-Embedder-Policy.
  const crossOrigin = (c: Context) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cross-Origin-Resource-Policy', 'cross-origin');
  };

  app.get('/kairos.js', async (c) => {
    const file = await readStatic(deps.widgetDir, ['kairos.js']);
    if (!file) {
      c.header('Cache-Control', 'no-store');
      return c.text('widget not built: run npm run build', 503);
    }
    crossOrigin(c);
    // Short: this URL never changes, so a new build reaches shoppers within five minutes.
    return sendFile(c, file, 'public, max-age=300');
  });

  app.get('/kairos-ui/*', async (c) => {
    const segments = safeSegments(rawPath(c).slice('/kairos-ui/'.length));
    const file = segments && (await readStatic(resolve(deps.widgetDir, 'kairos-ui'), segments));
    if (!file) return c.text('not found', 404);
    crossOrigin(c);
    // The names carry a content hash: a new build means new URLs.
    return sendFile(c, file, 'public, max-age=31536000, immutable');
  });

  // --- the demo shop -----------------------------------------------------------------------------------------

  if (deps.demoDir) {
    const demoDir = resolve(deps.demoDir);
    // The config may live in the demo directory and will hold secrets (webhook signing keys) one day.
    const configFile = config.file ? resolve(config.file) : undefined;

    const page = (name: string) => async (c: Context) => {
      const file = await readStatic(demoDir, [name]);
      return file ? sendFile(c, file, 'no-cache') : c.text('not found', 404);
    };
    app.get('/', page('index.html'));
    for (const p of ['/products/:id', '/products/:id/']) app.get(p, page('product.html'));
    for (const name of ['cart', 'checkout', 'order-complete', 'datalayer']) app.get(`/${name}`, page(`${name}.html`));
    // Shopify's discount link, as the demo's exit offer uses it: remember the code, then go on to the cart.
    app.get('/discount/:code', (c) => {
      const code = c.req.param('code').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64);
      const to = c.req.query('redirect') ?? '/cart';
      c.header('Set-Cookie', `discount_code=${code}; Path=/; SameSite=Lax`);
      return c.redirect(/^\/(?!\/)/.test(to) ? to : '/cart', 302);
    });

    app.get('/*', async (c) => {
      if (c.req.path.startsWith('/v1/')) return c.notFound();
      const segments = safeSegments(rawPath(c));
      if (!segments || !demoFileAllowed(segments)) return c.text('not found', 404);
      const asked = resolve(demoDir, ...segments);
      if (configFile && asked === configFile) return c.text('not found', 404);
      // Coupon pools are secrets too: each code is meant for one shopper.
      for (const x of config.current.config.campaigns)
        if (x.type === 'exit_offer' && 'pool' in x.coupon && asked === poolPath(configFile ?? 'kairos.yaml', x.coupon.pool)) return c.text('not found', 404);
      const file = await readStatic(demoDir, segments);
      return file ? sendFile(c, file, 'no-cache') : c.text('not found', 404);
    });
  }

  return Object.assign(app, { direct });
}

/**
 * A route's body-size limit. A request that states its length (Content-Length: browsers, the widget, most clients)
 * is judged on that number — Node's HTTP parser then lets no more bytes through — and its body is read later by
 * the adapter's fast path, straight from the socket. Only a chunked body goes through Hono's bodyLimit, which
 * counts the bytes as they arrive (through a web stream: slower, and rare).
 */
function limitBody(maxSize: number, tooLarge: (c: Context) => Response): MiddlewareHandler {
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return (c, next) => {
    const length = header(c, 'content-length');
    if (length === undefined || header(c, 'transfer-encoding') !== undefined) return counted(c, next);
    return Number(length) > maxSize ? Promise.resolve(tooLarge(c)) : next();
  };
}

const tooLarge = (c: Context) => c.json({ error: 'request body too large' }, 413);

/** Node's request (@hono/node-server), or undefined for in-process requests (tests). */
function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/**
 * A request header. Read from the headers Node has parsed already when there are some: Hono's `c.req.header()`
 * first copies every header into a WHATWG Headers object, a cost on every request for what is a property lookup.
 * Repeated headers read as one, joined by ", " (as Headers would).
 */
function header(c: Context, name: string): string | undefined {
  const headers = incomingOf(c)?.headers;
  if (!headers) return c.req.header(name);
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Whether the request says a body follows (HTTP/1.1 framing: Content-Length above 0, or Transfer-Encoding). */
function hasBody(c: Context): boolean {
  return header(c, 'transfer-encoding') !== undefined || Number(header(c, 'content-length') ?? 0) > 0;
}

const NOT_UTF8 = 'the request body is not valid UTF-8 text (JSON must be UTF-8)';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as text, or undefined when it is not valid UTF-8 (RFC 8259 §8.1) or cannot be read. A lenient decode
 * would turn the bad bytes into U+FFFD and store them as if the client had sent that.
 */
async function bodyText(c: Context): Promise<string | undefined> {
  try {
    return utf8.decode(await c.req.arrayBuffer());
  } catch {
    return undefined;
  }
}

/**
 * The peer's address from the socket (@hono/node-server), or undefined (in-process requests). Deliberately not
 * X-Forwarded-For: any client can send that header (`addressOf` in createApp believes it only as far as
 * KAIROS_TRUST_PROXY_HOPS says).
 */
function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** The demo's own config files stay private: no YAML at all, and no JSON at the top level (kairos.json). */
function demoFileAllowed(segments: readonly string[]): boolean {
  const name = segments[segments.length - 1]!.toLowerCase();
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return false;
  if (name.endsWith('.json') && segments.length === 1) return false;
  return true;
}

function sendFile(c: Context, file: StaticFile, cacheControl: string): Response {
  c.header('ETag', file.etag);
  c.header('Cache-Control', cacheControl);
  if (etagMatches(header(c, 'if-none-match'), file.etag)) return c.body(null, 304);
  c.header('Content-Type', file.contentType);
  if (file.contentType.startsWith('text/html')) c.header('Referrer-Policy', 'strict-origin-when-cross-origin');
  return c.body(file.body as Uint8Array<ArrayBuffer>);
}

/** The path as sent, still percent-encoded (c.req.path is decoded once already; decoding twice is a hole). */
function rawPath(c: Context): string {
  return new URL(c.req.url).pathname;
}

/**
 * The route pattern that handled (or would have handled) the request, for the log: never the raw URL, which
 * can carry a query string. Middleware (registered for ALL methods) is skipped in favour of the handler after it.
 */
function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = Math.max(0, c.req.routeIndex); i < routes.length; i++) {
    const r = routes[i]!;
    if (r.method !== 'ALL') return r.path;
  }
  return '(none)';
}
