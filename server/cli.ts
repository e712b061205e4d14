// `kairos serve | dev | validate | help`. main(argv) returns the exit code instead of exiting, and
// startServer() runs a real server in-process (tests and e2e specs use it on port 0), so nothing here calls
// process.exit except a forced exit when shutdown hangs.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type ServerOptions as HttpServerOptions, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { createApp } from './app';
import { autoPauseIntervalFromEnv, startAutoPause } from './auto-pause';
import { trustProxyHopsFromEnv } from './client-hash';
import { formatConfigError, loadConfigFile } from './config';
import { shareConfig } from './config-share';
import { ConfigSource } from './config-watch';
import { createContextService, openWeatherCache } from './context/index';
import { createLogger, type Logger } from './log';
import { openPresence } from './presence/index';
import { defaultBurst, rateLimitFromEnv } from './rate-limit';
import { openSharedLimits } from './shared-limits';
import { makeReport } from './report/index';
import { progressBar, reportCsv, reportJson, reportTable, reportVariantsCsv } from './report/text';
import { startRetention } from './retention';
import { openPostgresStore } from './store/postgres';
import { openSqliteStore } from './store/sqlite';
import type { Store } from './store/types';
import { startWebhookService, webhookSettings } from './webhooks/index';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const USAGE = `Kairos — the right offer at the right moment

Usage:
  kairos serve [options]           run the server (API, widget, demo shop)
  kairos dev [options]             serve, and rebuild the widget on every change
  kairos validate FILE [FILE...]   check config files; exit 1 if any has errors
  kairos report [options]          what each campaign did: impressions, clicks, conversions, irritation, tests
  kairos resume CAMPAIGN [options] lift an automatic pause (auto_pause), judging afresh from now
  kairos help                      show this text

Options for serve and dev:
  --config FILE   the config file (default: $KAIROS_CONFIG, else demo/kairos.yaml)
  --port N        port to listen on (default: $PORT, else 8787; 0 picks a free one)
  --host H        address to listen on (default: $KAIROS_HOST, else every interface)
  --db FILE       the SQLite event database (default: $KAIROS_DB, else data/kairos.db)
  --no-demo       do not serve the demo shop (also KAIROS_DEMO=0)

Options for report and resume:
  --config FILE, --db FILE   as for serve
  --days N        report the last N days, today included (default 30)
  --format F      table (default), json, csv (a row per campaign and day) or arms-csv (a row per test arm)

Environment: LOG_LEVEL (trace, debug, info, warn, error, silent; default info); KAIROS_WEBHOOK_SECRET
(whsec_<base64>: signs cart.abandoned webhooks; required when webhooks.endpoints are configured); KAIROS_SECRET
(signs exit-offer grants; default: a key generated once and kept in <db>.secret); REDIS_URL (presence, weather
forecasts and config changes shared by several instances; default in process); KAIROS_REDIS_PREFIX (default kairos:);
DATABASE_URL (postgres://…: keep events, carts, the webhook outbox and the rest in PostgreSQL, shared by several
instances; default the SQLite file; KAIROS_DB_SCHEMA picks the schema, default public; KAIROS_SECRET is then
required); KAIROS_ADMIN_TOKEN (a bearer token for DELETE /v1/visitors/<id> and GET /report — in a browser, the password of its
login prompt; without it both are off); KAIROS_AUTO_PAUSE_SECONDS (how often auto_pause judges campaigns with new
events; default 60); KAIROS_RATE_LIMIT
(write requests a minute per client, bursts of half that; default 600, 0 = off); KAIROS_TRUST_PROXY_HOPS (how
many proxies of yours append to X-Forwarded-For; default 0: the header is ignored).
`;

export interface ServerOptions {
  configFile: string;
  dbFile: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Default: every interface. */
  host?: string;
  /** Default: the repository's dist/widget. */
  widgetDir?: string;
  /** Default: none. */
  demoDir?: string | null;
  /** Default: a logger from createLogger(). */
  log?: Logger;
}

export interface RunningServer {
  /** `http://localhost:<port>`. */
  url: string;
  port: number;
  /** Stops accepting connections, waits for requests in flight (bounded), then closes the watcher and store. */
  close(): Promise<void>;
}

/** Thrown when the port is taken, so the CLI can say so in one line. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use: stop whatever is using it, or pick another with --port N (or PORT=N)`);
  }
}

/**
 * Timeouts of the HTTP server (node:http), for clients that are slow on purpose or by accident. Node's defaults
 * (headers 60 s, whole request 300 s, checked every 30 s) let a slow-loris client hold a socket for minutes
 * with one byte now and then; these cut it off within seconds, while a real shopper's request — a batch of a few
 * KB, at most the 256 KiB cap (EVENTS_BODY_LIMIT) — is in long before:
 * - headersTimeout 10 s: a browser sends its headers in one packet; 10 s is ample even on a poor mobile link.
 * - requestTimeout 20 s: headers and body together. A full 256 KiB body in 20 s needs ~100 kbit/s (slow 2G);
 *   what the widget really sends (≤ 60 KiB beacons) needs a fraction of that. Answered with 408.
 * - connectionsCheckingInterval 1 s: how often Node looks for requests past those limits (default 30 s, which
 *   would let each slow socket live up to 30 s longer than the limits say).
 * - keepAliveTimeout 65 s: an idle keep-alive socket is kept longer than the 60 s idle timeout of the usual load
 *   balancers and proxies in front (AWS ALB, nginx's upstream keepalive_timeout), so it is always the proxy that
 *   closes an idle connection, never us just as it sends a request on it (a 502 at the proxy). Node's default, 5 s,
 *   also makes browsers reconnect between a page's heartbeats.
 * headersTimeout must not exceed requestTimeout (node:http refuses it).
 */
export const HTTP_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 20_000,
  connectionsCheckingInterval: 1_000,
  keepAliveTimeout: 65_000,
} as const satisfies HttpServerOptions;

/**
 * What node:http answers to a request it cannot parse or that broke a timeout — as its default (400, 408 for
 * requestTimeout, 431 for oversized headers, then close), but with a JSON reason like every other 4xx here.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const writable = socket.writable && !(socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (err.code !== 'ECONNRESET' && writable) {
    const [status, reason, error] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', `the request took longer than ${HTTP_TIMEOUTS.requestTimeout / 1000} s to arrive`]
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
          : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
            ? [413, 'Payload Too Large', 'the chunk extensions are too large']
            : [400, 'Bad Request', 'malformed HTTP request'];
    const body = JSON.stringify({ error });
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * Opens the config (throws, with every error formatted, if it is broken), the store and the port. Whatever was
 * opened is closed again if a later step fails.
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? createLogger();
  if (process.env['DATABASE_URL']?.trim() && !process.env['KAIROS_SECRET'])
    throw new Error('set KAIROS_SECRET (the same value on every instance) when the store is PostgreSQL (DATABASE_URL): it signs exit-offer grants, which any instance must verify');
  const config = await ConfigSource.open(opts.configFile, log);
  // With REDIS_URL, config changes reach every instance sharing that Redis (server/config-share.ts): the first
  // request already gets the fleet's version.
  const redisUrl = process.env['REDIS_URL']?.trim();
  const sharing = redisUrl
    ? await shareConfig({
        source: config,
        url: redisUrl,
        log,
        ...(process.env['KAIROS_REDIS_PREFIX'] !== undefined && { prefix: process.env['KAIROS_REDIS_PREFIX'] }),
      })
    : undefined;
  let store: Store;
  try {
    // Carts are kept in the currency the events name, else the live config's.
    store = await openStore(opts.dbFile, { cartCurrency: () => config.current.config.cart.currency });
  } catch (e) {
    await sharing?.close();
    await config.close();
    throw e;
  }

  // Who is viewing what: in process, or Redis when REDIS_URL is set (instances then count together).
  const presence = openPresence(process.env, { onStatus: (message, ok) => (ok ? log.info(message) : log.warn(message)) });
  log.info(`presence store: ${presence.description}`);
  // Forecasts for /v1/context: in process, and shared through Redis too when REDIS_URL is set.
  const weatherCache = openWeatherCache(process.env, { onStatus: (message, ok) => (ok ? log.info(message) : log.warn(message)) });
  if (weatherCache) log.info(`weather cache: ${weatherCache.description}`);
  const context = createContextService({ config, log, ...(weatherCache && { cache: weatherCache }) });

  // auto_pause: campaigns that annoy more than allowed are judged on a timer and left out of /v1/config.
  const autoPause = startAutoPause({ store, config, log, intervalMs: autoPauseIntervalFromEnv(process.env, (m) => log.warn(m)) });

  // Rate limits for the whole fleet, and the client-id salt they need, when instances share a Redis.
  const rateLimit = rateLimitFromEnv(process.env, (m) => log.warn(m));
  const sharedLimits =
    redisUrl && rateLimit > 0
      ? await openSharedLimits({
          url: redisUrl,
          perMinute: rateLimit,
          burst: defaultBurst(rateLimit),
          ...(process.env['KAIROS_REDIS_PREFIX'] !== undefined && { prefix: process.env['KAIROS_REDIS_PREFIX'] }),
          onStatus: (message, ok) => (ok ? log.info(message) : log.warn(`${message}; rate limits count per instance meanwhile`)),
        })
      : undefined;

  const app = createApp({
    config,
    store,
    autoPause,
    ...(sharedLimits && { sharedLimits }),
    presence,
    context,
    widgetDir: opts.widgetDir ?? resolve(repoRoot, 'dist', 'widget'),
    demoDir: opts.demoDir ?? null,
    log,
    // Instances sharing PostgreSQL must sign and verify grants with one key: KAIROS_SECRET (checked above).
    secret: process.env['KAIROS_SECRET'] || serverSecret(opts.dbFile),
    adminToken: process.env['KAIROS_ADMIN_TOKEN'] || undefined,
    trustProxyHops: trustProxyHopsFromEnv(process.env, (m) => log.warn(m)),
    rateLimit,
  });
  const port0 = opts.port ?? 8787;
  // serve() starts listening at once; a busy port arrives as an 'error' event, which listening() turns into a
  // rejection.
  const server = serve({
    fetch: app.fetch,
    port: port0,
    ...(opts.host !== undefined && { hostname: opts.host }),
    serverOptions: HTTP_TIMEOUTS,
    // The requests the app answers from node:http itself (app.direct: GET /v1/config), then Hono for the rest.
    createServer: ((options: HttpServerOptions, listener: RequestListener) =>
      createServer(options, (req, res) => {
        if (!app.direct(req, res)) listener(req, res);
      })) as typeof createServer,
  }) as Server;
  server.on('clientError', answerClientError);

  try {
    await listening(server, port0);
  } catch (e) {
    await autoPause.stop();
    await sharedLimits?.close();
    await sharing?.close();
    await config.close();
    await store.close();
    await presence.close();
    await context.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;

  // Abandoned carts → cart.abandoned webhooks: the detector and the delivery worker, on timers.
  const webhooks = startWebhookService({ store, config, log, settings: webhookSettings(process.env, (m) => log.warn(m)) });
  // privacy.retention_days: old data deleted hourly.
  const retentionTick = Number(process.env['KAIROS_RETENTION_TICK_MS']);
  const retention = startRetention({ store, config, log, ...(retentionTick > 0 && { tickMs: retentionTick }) });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await closeServer(server);
      // No request in flight any more: nothing beats.
      await presence.close();
      await context.close();
      // Before the store closes: attempts in flight are aborted and released for the next start.
      await webhooks.stop();
      await retention.stop();
      await autoPause.stop();
      await sharedLimits?.close();
      await sharing?.close();
      await config.close();
      // Writes whatever is still queued before closing, so every acknowledged event is on disk.
      await store.close();
    })());

  return { url: `http://localhost:${port}`, port, close };
}

/**
 * The store: PostgreSQL when DATABASE_URL is set (several instances share it; KAIROS_DB_SCHEMA picks the schema,
 * default public), else the SQLite file. A failure to open becomes one clear error naming where.
 */
async function openStore(dbFile: string, o: { cartCurrency?: () => string } = {}): Promise<Store> {
  const url = process.env['DATABASE_URL']?.trim();
  try {
    if (!url) return openSqliteStore(dbFile, o);
    const schema = process.env['KAIROS_DB_SCHEMA']?.trim();
    return await openPostgresStore(url, { ...o, ...(schema && { schema }) });
  } catch (e) {
    throw new Error(`cannot open the database ${url ? redactDatabaseUrl(url) : dbFile}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** DATABASE_URL without the password, for messages. */
function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'DATABASE_URL (unparsable)';
  }
}

/**
 * The key that signs exit-offer grants when KAIROS_SECRET is not set: made once and kept beside the database
 * (`<db>.secret`, readable by the owner only), so grants still verify after a restart.
 */
function serverSecret(dbFile: string): string {
  const file = dbFile + '.secret';
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

function listening(server: Server, port: number): Promise<void> {
  return new Promise((done, fail) => {
    if (server.listening) return done();
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      fail(e.code === 'EADDRINUSE' ? new PortInUseError(port) : e);
    };
    const onListening = () => {
      server.off('error', onError);
      done();
    };
    server.once('error', onError);
    server.once('listening', onListening);
  });
}

/** server.close() waits for every keep-alive connection; browsers hold those open, so idle ones are cut. */
function closeServer(server: Server, graceMs = 5000): Promise<void> {
  return new Promise((done) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      done();
    });
    server.closeIdleConnections();
  });
}

// ---------------------------------------------------------------------------------------------------------

/** Runs the CLI; resolves with the exit code (for `serve`, once it has shut down after SIGINT/SIGTERM). */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    case 'validate':
      return validate(rest);
    case 'serve':
      return serveCommand(rest, false);
    case 'dev':
      return serveCommand(rest, true);
    case 'report':
      return reportCommand(rest);
    case 'resume':
      return resumeCommand(rest);
    default:
      process.stderr.write(`kairos: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

function usageError(message: string): number {
  process.stderr.write(`kairos: ${message}\n\n${USAGE}`);
  return 2;
}

async function validate(args: string[]): Promise<number> {
  let files: string[];
  try {
    const parsed = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
    if (parsed.values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    files = parsed.positionals;
  } catch (e) {
    return usageError(e instanceof Error ? e.message : String(e));
  }
  if (files.length === 0) return usageError('validate needs at least one FILE');

  let failed = 0;
  for (const file of files) {
    const result = await loadConfigFile(file);
    if (result.ok) {
      const n = result.config.campaigns.length;
      process.stdout.write(`${file}: ok (${n} ${n === 1 ? 'campaign' : 'campaigns'})\n`);
    } else {
      failed++;
      for (const e of result.errors) process.stderr.write(`${formatConfigError(e)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

interface ServeFlags {
  configFile: string;
  dbFile: string;
  port: number;
  host: string | undefined;
  demoDir: string | null;
}

function serveFlags(args: string[]): ServeFlags | { help: true } | string {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        'no-demo': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (values.help) return { help: true };

  const portText = values.port ?? process.env.PORT ?? '8787';
  const port = Number(portText);
  if (!/^\d+$/.test(portText.trim()) || port > 65535) return `invalid port "${portText}": use a number from 0 to 65535`;

  const env = (name: string) => process.env[name] || undefined;
  const demo = resolve(repoRoot, 'demo');
  const noDemo = values['no-demo'] === true || env('KAIROS_DEMO') === '0' || !existsSync(demo);
  return {
    configFile: resolve(values.config ?? env('KAIROS_CONFIG') ?? resolve(repoRoot, 'demo', 'kairos.yaml')),
    dbFile: resolve(values.db ?? env('KAIROS_DB') ?? resolve(repoRoot, 'data', 'kairos.db')),
    port,
    host: values.host ?? env('KAIROS_HOST'),
    demoDir: noDemo ? null : demo,
  };
}

const REPORT_FORMATS = { table: reportTable, json: reportJson, csv: reportCsv, 'arms-csv': reportVariantsCsv } as const;

/** The config and store `report` and `resume` read, as `serve` would find them; a string is a usage error. */
async function openForReport(args: string[], extra: Record<string, { type: 'string' }>) {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, db: { type: 'string' }, ...extra } });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const flags = serveFlags([...(parsed.values.config ? ['--config', parsed.values.config] : []), ...(parsed.values.db ? ['--db', String(parsed.values.db)] : [])]);
  if (typeof flags === 'string' || 'help' in flags) return 'bad options';
  if (!process.env['DATABASE_URL']?.trim() && !existsSync(flags.dbFile)) return `no database at ${flags.dbFile}: pass --db FILE (or set KAIROS_DB, or DATABASE_URL)`;
  const loaded = await loadConfigFile(flags.configFile);
  if (!loaded.ok) return loaded.errors.map(formatConfigError).join('\n');
  let store: Store;
  try {
    store = await openStore(flags.dbFile);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return { values: parsed.values as Record<string, string | undefined>, positionals: parsed.positionals, config: loaded.config, store };
}

async function reportCommand(args: string[]): Promise<number> {
  const opened = await openForReport(args, { days: { type: 'string' }, format: { type: 'string' } });
  if (typeof opened === 'string') return usageError(opened);
  const { values, config, store } = opened;
  try {
    const format = (values['format'] ?? 'table') as keyof typeof REPORT_FORMATS;
    if (!(format in REPORT_FORMATS)) return usageError(`--format ${format}: use ${Object.keys(REPORT_FORMATS).join(', ')}`);
    const days = Number(values['days'] ?? 30);
    if (!Number.isInteger(days) || days < 1 || days > 3660) return usageError(`--days ${values['days']}: a whole number of days from 1`);
    const progress = progressBar({ stream: process.stderr });
    const report = await makeReport(store, config, { days, onProgress: (done, total) => progress.update(done, total) });
    progress.done();
    const render = REPORT_FORMATS[format];
    process.stdout.write(render === reportTable ? reportTable(report, { color: !!process.stdout.isTTY, width: process.stdout.columns || 100 }) : render(report));
    return 0;
  } finally {
    await store.close();
  }
}

async function resumeCommand(args: string[]): Promise<number> {
  const opened = await openForReport(args, {});
  if (typeof opened === 'string') return usageError(opened);
  const { positionals, config, store } = opened;
  try {
    const [id] = positionals;
    if (!id || positionals.length > 1) return usageError('resume needs one campaign id');
    if (!config.campaigns.some((c) => c.id === id)) return usageError(`no campaign "${id}" in the config`);
    const paused = (await store.campaignPauses()).find((p) => p.campaign_id === id && p.paused_at !== null);
    await store.resumeCampaign(id, Date.now());
    process.stdout.write(
      paused
        ? `${id}: resumed (it was paused: ${paused.reason}); running servers show it again within a minute, and auto_pause judges it afresh from now\n`
        : `${id}: was not paused; auto_pause now judges it from now on\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

async function serveCommand(args: string[], dev: boolean): Promise<number> {
  const flags = serveFlags(args);
  if (typeof flags === 'string') return usageError(flags);
  if ('help' in flags) {
    process.stdout.write(USAGE);
    return 0;
  }

  const log = createLogger();
  const children = dev ? startWidgetBuilds(log) : [];
  const killChildren = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  // Also on a crash or an exit from elsewhere: no orphaned vite watchers.
  process.once('exit', killChildren);

  let server: RunningServer;
  try {
    server = await startServer({ ...flags, log });
  } catch (e) {
    killChildren();
    // Config errors arrive already formatted, one `file:line:col path: message` per line.
    process.stderr.write(`kairos: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  log.info(`Kairos listening on ${server.url} (config ${flags.configFile}, db ${flags.dbFile})`);
  if (flags.demoDir) log.info(`demo shop: ${server.url}/`);

  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  log.info(`${signal}: shutting down`);
  // A second signal, or a shutdown that hangs, ends the process anyway.
  const forceExit = () => process.exit(1);
  process.once('SIGINT', forceExit);
  process.once('SIGTERM', forceExit);
  setTimeout(forceExit, 10_000).unref();

  killChildren();
  await server.close();
  log.info('stopped');
  return 0;
}

/** The two widget builds in watch mode (the UI chunks, and the loader), sharing this terminal. */
function startWidgetBuilds(log: Logger): ChildProcess[] {
  const vite = resolve(repoRoot, 'node_modules', '.bin', process.platform === 'win32' ? 'vite.cmd' : 'vite');
  if (!existsSync(vite)) {
    log.error(`vite not found at ${vite}: run npm install; serving without rebuilding the widget`);
    return [];
  }
  const builds = [
    ['build', '--watch'],
    ['build', '--mode', 'loader', '--watch'],
  ];
  return builds.map((args) => {
    const child = spawn(vite, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (e) => log.error(`vite ${args.join(' ')} failed to start: ${e.message}`));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGTERM') log.warn(`vite ${args.join(' ')} stopped (${signal ?? `exit code ${code}`})`);
    });
    return child;
  });
}
