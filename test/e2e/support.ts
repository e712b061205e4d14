// What the browser specs run against: the real `kairos serve` as a child process (so stopping and restarting it
// is real), a temp config and SQLite file per server, and — for the cross-origin cases — a plain static host
// that serves the demo shop from another origin with the snippet pointed at the API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from '@playwright/test';

export const root = join(import.meta.dirname, '..', '..');
/** demo/kairos.yaml, with its coupon pool and forecast paths made absolute (each server gets a copy of the config in a temp dir). */
export const fullDemoConfig = readFileSync(join(root, 'demo', 'kairos.yaml'), 'utf8')
  .replace('pool: coupons/stay10.txt', `pool: ${JSON.stringify(join(root, 'demo', 'coupons', 'stay10.txt'))}`)
  .replace('file: weather.json', `file: ${JSON.stringify(join(root, 'demo', 'weather.json'))}`);
if (!fullDemoConfig.includes(join(root, 'demo', 'weather.json'))) throw new Error('demo/kairos.yaml no longer reads weather.json; update test/e2e/support.ts');
/** The demo config with a fatigue budget of 0 modals: the bar and the shop, without modals in the way. */
export const demoConfig = fullDemoConfig.replace('modals_per_session: 1', 'modals_per_session: 0');
if (demoConfig === fullDemoConfig) throw new Error('demo/kairos.yaml no longer sets modals_per_session: 1; update test/e2e/support.ts');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it gives something other than undefined, null or false. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<Exclude<T, undefined | null | false>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v as Exclude<T, undefined | null | false>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface StoredRow {
  event_id: string;
  type: string;
  name: string;
  ts: number;
  path: string | null;
  campaign_id: string | null;
  visitor_id: string;
  props: Record<string, unknown> | null;
}

export interface Kairos {
  url: string;
  port: number;
  configFile: string;
  dbFile: string;
  /** Everything the server printed, stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
  /** Starts it again on the same port, config and database. */
  start(): Promise<void>;
  events(name?: string): StoredRow[];
}

/** Starts `kairos serve` on a free port with its own copy of `config` (YAML text) and its own database; `env` adds variables. */
export async function startKairos(opts: { config?: string; demo?: boolean; env?: Record<string, string> } = {}): Promise<Kairos> {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-e2e-'));
  const configFile = join(dir, 'kairos.yaml');
  const dbFile = join(dir, 'kairos.db');
  writeFileSync(configFile, opts.config ?? demoConfig);
  const port = await freePort();
  const url = `http://localhost:${port}`;
  let child: ChildProcess | undefined;
  let out = '';

  const start = async () => {
    const args = ['bin/kairos.js', 'serve', '--port', String(port), '--config', configFile, '--db', dbFile];
    if (opts.demo === false) args.push('--no-demo');
    const c = spawn(process.execPath, args, { cwd: root, env: { ...process.env, LOG_LEVEL: 'info', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (out += d));
    let exited = false;
    c.once('exit', () => (exited = true));
    await waitFor(`kairos serve on ${url}`, async () => {
      if (exited) throw new Error(`kairos serve exited:\n${out}`);
      try {
        return (await fetch(url + '/healthz')).ok || undefined;
      } catch {
        return undefined;
      }
    }, 20_000);
  };

  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };

  await start();
  return {
    url,
    port,
    configFile,
    dbFile,
    output: () => out,
    stop,
    start,
    events(name) {
      if (!existsSync(dbFile)) return [];
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      try {
        const rows = db
          .prepare(`SELECT event_id, type, name, ts, path, campaign_id, visitor_id, props FROM events ${name ? 'WHERE name = ?' : ''} ORDER BY ts`)
          .all(...(name ? [name] : [])) as (Omit<StoredRow, 'props'> & { props: string | null })[];
        return rows.map((r) => ({ ...r, props: r.props ? (JSON.parse(r.props) as Record<string, unknown>) : null }));
      } finally {
        db.close();
      }
    },
  };
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The demo shop as a shop would host it: another origin, static files, and the snippet's script tag pointed at
 * the Kairos API (`data-api`). The widget itself is served from here too, so the shop keeps working — and keeps
 * its widget — while the Kairos server is down. `extraPages` adds test pages by path.
 */
export async function startShop(apiUrl: string, extraPages: Record<string, string> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const demo = join(root, 'demo');
  const widget = join(root, 'dist', 'widget');
  const route = (path: string): string | undefined => {
    if (path === '/') return join(demo, 'index.html');
    if (/^\/products\/[^/]+\/?$/.test(path)) return join(demo, 'product.html');
    if (['/cart', '/checkout', '/order-complete'].includes(path)) return join(demo, path.slice(1) + '.html');
    if (path === '/kairos.js' || path.startsWith('/kairos-ui/')) return join(widget, normalize(path).slice(1));
    if (!path.endsWith('.yaml')) return join(demo, normalize(path).slice(1));
    return undefined;
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (extraPages[path] !== undefined) {
      res.writeHead(200, { 'content-type': MIME['.html']! }).end(extraPages[path]);
      return;
    }
    const file = route(path);
    if (!file || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end('not found');
    let body: string | Buffer = readFileSync(file);
    if (file.endsWith('.html'))
      body = body.toString().replace('<script async src="/kairos.js"></script>', `<script async src="/kairos.js" data-api="${apiUrl}"></script>`);
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * A Kairos server (no demo of its own) and the demo shop on another origin pointing at it, with that origin in
 * `site.allowed_origins`. The shop's port is known only once it listens, and the shop needs the API's URL, so
 * the server starts, the shop starts, and the server restarts with the shop allowed.
 */
export async function startKairosWithShop(extraPages: (apiUrl: string) => Record<string, string> = () => ({})) {
  const kairos = await startKairos({ demo: false });
  const shop = await startShop(kairos.url, extraPages(kairos.url));
  await kairos.stop();
  writeFileSync(kairos.configFile, demoConfig.replace('allowed_origins: []', `allowed_origins: ["${shop.url}"]`));
  await kairos.start();
  return { kairos, shop };
}

/** Uncaught errors and unhandled rejections in the page — what a shop owner would see as "the widget broke my page". */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** Event batches the page posted, parsed. */
export function collectPostedEvents(page: Page): { event_id: string; name: string; type: string }[] {
  const posted: { event_id: string; name: string; type: string }[] = [];
  page.on('request', (req) => {
    if (req.method() !== 'POST' || !req.url().endsWith('/v1/events')) return;
    try {
      posted.push(...(JSON.parse(req.postData() ?? '{}').events ?? []));
    } catch {
      // not ours to judge here
    }
  });
  return posted;
}

/** The text of the campaign host's shadow root, or null when no such campaign is on the page. */
export function campaignText(page: Page, id: string): Promise<string | null> {
  return page.evaluate((id) => {
    const host = document.querySelector(`kairos-campaign[data-campaign="${id}"]`);
    return host ? (host.shadowRoot?.textContent ?? '') : null;
  }, id);
}

/**
 * Every layout shift since navigation (buffered), each with what moved — the list names the culprit when a test
 * expecting none fails.
 */
export function layoutShifts(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const seen: string[] = [];
        new PerformanceObserver((list) => {
          type Source = { node?: Node; previousRect: DOMRectReadOnly; currentRect: DOMRectReadOnly };
          const rect = (r: DOMRectReadOnly) => `${r.x},${r.y} ${r.width}×${r.height}`;
          const what = (s: Source) =>
            `${(s.node as Element | undefined)?.outerHTML?.slice(0, 80) ?? s.node?.nodeName ?? 'a removed node'} ${rect(s.previousRect)} → ${rect(s.currentRect)}`;
          for (const e of list.getEntries() as (PerformanceEntry & { value: number; sources: Source[] })[])
            seen.push(`${e.value.toFixed(4)} at ${Math.round(e.startTime)} ms: ${e.sources.map(what).join(' | ')}`);
        }).observe({ type: 'layout-shift', buffered: true });
        setTimeout(() => resolve(seen), 300);
      }),
  );
}

export interface ReceivedHook {
  headers: import('node:http').IncomingHttpHeaders;
  body: string;
}

/** A shop's webhook receiver on a free loopback port: every request it gets, answered 204. */
export async function startReceiver(): Promise<{ url: string; received: ReceivedHook[]; close(): Promise<void> }> {
  const port = await freePort();
  const received: ReceivedHook[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/hooks/kairos`, received, close: () => new Promise((r) => server.close(() => r())) };
}

/** What the widget keeps on this page's device (IndexedDB kairos/state): every key, or one key's value. */
export function deviceState(page: Page): Promise<string[]>;
export function deviceState<T>(page: Page, key: string): Promise<T | undefined>;
export function deviceState(page: Page, key?: string): Promise<unknown> {
  return page.evaluate(
    (key) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('kairos');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('state')) return resolve(key === undefined ? [] : undefined);
          const store = db.transaction('state').objectStore('state');
          const req = key === undefined ? store.getAllKeys() : store.get(key);
          req.onsuccess = () => resolve(key === undefined ? (req.result as string[]).sort() : req.result);
          req.onerror = () => reject(req.error);
        };
      }),
    key,
  );
}
