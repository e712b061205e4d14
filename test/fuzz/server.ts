// The real `kairos serve` (bin/kairos.js → server/cli.ts → @hono/node-server with HTTP_TIMEOUTS) as a child
// process, for the tests of the server under bad input (test/fuzz.test.ts, test/limits.test.ts, test/cors.test.ts).
// Like test/e2e/support.ts's startKairos, plus what those tests need: the process id (its RSS), whether it is still
// alive, every stored row of every table (to prove a bad request wrote nothing), and the socket-level helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, root, waitFor } from '../e2e/support';

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  dbFile: string;
  configFile: string;
  /** Everything the server printed. */
  output(): string;
  /** Undefined while it runs; how it ended otherwise. */
  exited(): string | undefined;
  /** Resident set size now, from /proc (Linux), in bytes. */
  rss(): number;
  /** CPU time the process has used so far (user + system), in ms, from /proc (Linux). */
  cpuMs(): number;
  /** Rows per table (every table of the store), read through a second connection. */
  rowCounts(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startServerProcess(opts: { config: string; env?: Record<string, string> }): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-hostile-'));
  const configFile = join(dir, 'kairos.yaml');
  const dbFile = join(dir, 'kairos.db');
  writeFileSync(configFile, opts.config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  let ended: string | undefined;
  const child: ChildProcess = spawn(
    process.execPath,
    ['bin/kairos.js', 'serve', '--port', String(port), '--host', '127.0.0.1', '--config', configFile, '--db', dbFile, '--no-demo'],
    // LOG_LEVEL warn: one info line per request would cost the fuzz run more than the requests themselves; warnings
    // and errors (an "unhandled error" is one) are still printed and kept.
    { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  child.once('exit', (code, signal) => (ended = signal ? `killed by ${signal}` : `exit code ${code}`));
  await waitFor(
    `kairos serve on ${url}`,
    async () => {
      if (ended) throw new Error(`kairos serve ended (${ended}):\n${out}`);
      try {
        return (await fetch(url + '/healthz')).ok || undefined;
      } catch {
        return undefined;
      }
    },
    30_000,
  );

  return {
    url,
    port,
    pid: child.pid!,
    dbFile,
    configFile,
    output: () => out,
    exited: () => ended,
    rss() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (!m) throw new Error('no VmRSS in /proc/<pid>/status');
      return Number(m[1]) * 1024;
    },
    cpuMs() {
      // /proc/<pid>/stat: the fields after the command name; utime and stime are the 14th and 15th, in clock ticks.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
    },
    rowCounts() {
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
        return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number]));
      } finally {
        db.close();
      }
    },
    async stop() {
      if (ended === undefined) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Milliseconds from sending to the end of the response. */
  ms: number;
  /** The socket the response came on (to tell whether a keep-alive connection was reused). */
  socket: object;
}

/**
 * One request through node:http with exactly the method, path (not normalised: raw bytes as given), headers and
 * body given. `agent` pools keep-alive connections.
 */
export function send(
  base: { port: number },
  req: { method: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string },
  agent?: Agent,
): Promise<RawResponse> {
  const headers = { ...req.headers };
  // node:http frames a body with Content-Length by itself only for some methods (not DELETE): always frame it.
  const named = Object.keys(headers).map((h) => h.toLowerCase());
  if (req.body !== undefined && !named.includes('content-length') && !named.includes('transfer-encoding')) headers['content-length'] = Buffer.byteLength(req.body);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const r = request(
      { host: '127.0.0.1', port: base.port, method: req.method, path: req.path, headers, agent: agent ?? false, insecureHTTPParser: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - t0, socket: res.socket }),
        );
      },
    );
    r.on('error', reject);
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}

/** The p-th percentile (0–100) of some numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
