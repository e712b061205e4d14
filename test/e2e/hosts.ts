// Host pages for server-faults.spec.ts and csp.spec.ts: a shop origin of its own that serves the built widget
// (dist/widget, as a shop that self-hosts it does) and test pages, each with a fresh CSP nonce per response, and the
// probes that collect what a shop owner would see go wrong: uncaught errors, unhandled rejections, CSP violations
// (including those of pages the test has navigated away from) and console errors.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import type { Page } from '@playwright/test';
import { freePort, root } from './support';

export interface HostRequest {
  path: string;
  query: URLSearchParams;
  /** A fresh random nonce for this response. */
  nonce: string;
}
export interface HostResponse {
  html: string;
  /** The Content-Security-Policy header, if any. */
  csp?: string;
}

export interface Host {
  url: string;
  close(): Promise<void>;
}

/**
 * A static host on its own origin (http://127.0.0.1:PORT): `/kairos.js` and `/kairos-ui/*` from dist/widget, and
 * `route(request)` for everything else (undefined → 404).
 */
export async function startHost(route: (req: HostRequest) => HostResponse | undefined): Promise<Host> {
  const widget = join(root, 'dist', 'widget');
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (path === '/favicon.ico') return void res.writeHead(204).end(); // no 404 line in the console
    if (path === '/kairos.js' || path.startsWith('/kairos-ui/')) {
      const file = join(widget, normalize(path).slice(1));
      if (!file.startsWith(widget) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }).end(readFileSync(file));
      return;
    }
    const page = route({ path, query: url.searchParams, nonce: randomBytes(16).toString('base64') });
    if (!page) return void res.writeHead(404).end('not found');
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
    if (page.csp) headers['content-security-policy'] = page.csp;
    res.writeHead(200, headers).end(page.html);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The strict policy of issue 10: scripts only by nonce (and what they load, 'strict-dynamic'), styles only by nonce,
 * Trusted Types required for script sinks, everything else same-origin but for `connect-src` to the API.
 */
export function strictCsp(nonce: string, api: string, opts: { trustedTypes?: boolean } = {}): string {
  const parts = [
    `default-src 'self'`,
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'nonce-${nonce}'`,
    `connect-src 'self' ${new URL(api).origin}`,
    `object-src 'none'`,
    `base-uri 'none'`,
  ];
  if (opts.trustedTypes !== false) parts.push(`require-trusted-types-for 'script'`);
  return parts.join('; ');
}

/**
 * A host page: the snippet's queue stub inside the page's own (nonced) script, the loader tag as `tag`, and a
 * counter button (#add → #count) whose click handler visibly works. `nonce` goes on the page's own script and
 * style; `tag` is the caller's, so it can carry the nonce, a wrong one or none.
 */
export function hostPage(o: { title: string; nonce: string; tag: string; body?: string; script?: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${o.title}</title>
<style nonce="${o.nonce}">body { font: 16px/1.5 sans-serif; margin: 0; padding: 24px 24px 120px; } #count { font-weight: 700; }</style>
<script nonce="${o.nonce}">window.kairos=window.kairos||function(){(kairos.q=kairos.q||[]).push(arguments)}</script>
${o.tag}
</head><body>
<main id="app"><h1 id="title">${o.title}</h1>
<p>In the cart: <output id="count">0</output></p>
<button id="add" type="button">Add to cart</button>
${o.body ?? ''}
</main>
<script nonce="${o.nonce}">
(function () {
  var n = 0;
  document.getElementById('add').addEventListener('click', function () {
    n++;
    document.getElementById('count').textContent = String(n);
  });
})();
${o.script ?? ''}
</script>
</body></html>`;
}

/** The loader tag as a shop pastes it (`nonce` omitted → none). */
export function loaderTag(src: string, api: string, nonce?: string): string {
  return `<script async src="${src}" data-api="${api}"${nonce === undefined ? '' : ` nonce="${nonce}"`}></script>`;
}

export interface Violation {
  directive: string;
  blocked: string;
  source: string;
}
export interface Probes {
  /** `error` events and unhandled rejections seen by listeners the page had before any script ran, plus `pageerror`. */
  errors: string[];
  /** `securitypolicyviolation` events, on every document the page has shown. */
  violations: Violation[];
  /** Console messages of type error, with where they came from. */
  console: { text: string; url: string }[];
}

/**
 * Installs the probes before any of the page's scripts run (an init script; Playwright's bindings work across
 * navigations and are not subject to the page's CSP), and collects what they report.
 */
export async function installProbes(page: Page): Promise<Probes> {
  const probes: Probes = { errors: [], violations: [], console: [] };
  await page.exposeFunction('__kairosTestProbe', (kind: string, detail: string) => {
    if (kind === 'violation') probes.violations.push(JSON.parse(detail) as Violation);
    else probes.errors.push(`${kind}: ${detail}`);
  });
  await page.addInitScript(() => {
    const report = (kind: string, detail: string) => {
      try {
        void (window as unknown as { __kairosTestProbe: (k: string, d: string) => Promise<void> }).__kairosTestProbe(kind, detail);
      } catch {
        // the binding is missing only if the test is broken; the pageerror listener still sees errors
      }
    };
    addEventListener('error', (e) => report('error', String(e.error ?? e.message)));
    addEventListener('unhandledrejection', (e) => report('unhandledrejection', String(e.reason)));
    document.addEventListener('securitypolicyviolation', (e) =>
      report('violation', JSON.stringify({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile })),
    );
  });
  page.on('pageerror', (e) => probes.errors.push(`pageerror: ${String(e)}`));
  page.on('console', (m) => {
    if (m.type() === 'error') probes.console.push({ text: m.text(), url: m.location().url });
  });
  return probes;
}
