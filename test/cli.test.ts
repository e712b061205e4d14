// `kairos` as a shop owner runs it: the real bin/kairos.js in a child process for validate and serve, and
// startServer() in-process for a real server on a free port.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PortInUseError, main, startServer, type RunningServer } from '../server/cli';
import { createLogger } from '../server/log';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const goodYaml = join(root, 'test', 'fixtures', 'config', 'good.yaml');
const dir = mkdtempSync(join(tmpdir(), 'kairos-cli-'));
const silent = createLogger({ level: 'silent' });

/** Line 5, column 13 is the empty text: the error a marketer sees is `file:5:13 path: message`. */
const brokenYaml = ['campaigns:', '  - id: summer', '    type: announcement_bar', '    content:', '      text: ""', ''].join('\n');
const configYaml = ['site:', '  allowed_origins: [https://shop.example]', 'campaigns:', '  - id: hi', '    type: announcement_bar', '    content: { text: Hi }', ''].join('\n');

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/kairos.js to completion. */
function kairos(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['bin/kairos.js', ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kairos validate', () => {
  it('a good file: exit 0 and "FILE: ok (N campaigns)"', async () => {
    const r = await kairos(['validate', goodYaml]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${goodYaml}: ok (3 campaigns)\n`);
    expect(r.stderr).toBe('');
  });

  it('a broken file: exit 1 and every error as file:line:col path: message', async () => {
    const bad = write('broken.yaml', brokenYaml);
    const r = await kairos(['validate', goodYaml, bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${goodYaml}: ok (3 campaigns)\n`);
    expect(r.stderr).toBe(`${bad}:5:13 campaigns[0].content.text: must not be empty\n`);
  });

  it('a missing file is an error, not a crash', async () => {
    const r = await kairos(['validate', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${join(dir, 'nope.yaml')}:1:1 file not found\n`);
  });

  it('no file is a usage error: exit 2', async () => {
    const r = await kairos(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/validate needs at least one FILE/);
    expect(r.stderr).toMatch(/Usage:/);
  });
});

describe('kairos report and kairos resume (child processes)', () => {
  const DAY = 86_400_000;
  const reportYaml = [
    'auto_pause: { min_impressions: 2, max_dismiss_rate: 0.5 }',
    'campaigns:',
    '  - { id: hello-bar, type: announcement_bar, content: { text: Hi } }',
    '  - { id: nag, type: modal, content: { headline: Sign up } }',
    '',
  ].join('\n');
  let db: string;
  let config: string;
  beforeAll(async () => {
    config = write('report.yaml', reportYaml);
    db = join(dir, 'report.db');
    // The server's schema, then events as the server stores them, written by the server itself.
    const server = await startServer({ configFile: config, dbFile: db, port: 0, log: silent });
    const now = Date.now();
    const events = ['Campaign Shown', 'Campaign Shown', 'Campaign Clicked'].map((name, i) => ({
      event_id: `cli-report-${i}`,
      type: 'track',
      name,
      ts: now - DAY - i,
      visitor_id: `visitor_cli_${i}xx`,
      session_id: 'session_cli_1',
      campaign_id: 'hello-bar',
    }));
    const res = await fetch(`${server.url}/v1/events`, { method: 'POST', body: JSON.stringify({ sent_at: now, events }) });
    expect(res.status).toBe(200);
    await server.close();
    const sqlite = new Database(db);
    sqlite.prepare('INSERT INTO campaign_pauses (campaign_id, paused_at, reason, since) VALUES (?, ?, ?, 0)').run('nag', now, '80 % of 10 impressions were dismissed');
    sqlite.close();
  });

  it('prints the table: campaigns, their numbers, the paused one and how to resume it', async () => {
    const r = await kairos(['report', '--db', db, '--config', config, '--days', '7']);
    expect(r.stderr).toBe(''); // no progress bar when stderr is not a terminal
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hello-bar\s.*\b2\b.*\b1\b/);
    expect(r.stdout).toContain('80 % of 10 impressions were dismissed');
    expect(r.stdout).toContain('npx kairos resume nag');
  });

  it('--format json and csv for export; a bad format is a usage error', async () => {
    const json = JSON.parse((await kairos(['report', '--db', db, '--config', config, '--format', 'json'])).stdout);
    expect(json.campaigns.find((c: { id: string }) => c.id === 'hello-bar').totals).toMatchObject({ impressions: 2, clicks: 1 });
    const csv = (await kairos(['report', '--db', db, '--config', config, '--format', 'csv', '--days', '2'])).stdout.trim().split('\r\n');
    expect(csv[0]).toMatch(/^day,campaign,status,impressions,clicks/);
    expect(csv).toHaveLength(1 + 2 * 2); // two campaigns × two days
    const bad = await kairos(['report', '--db', db, '--config', config, '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format xml: use table, json, csv, arms-csv/);
  });

  it('resume lifts the pause; an unknown campaign or a missing database is a usage error', async () => {
    const r = await kairos(['resume', 'nag', '--db', db, '--config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nag: resumed \(it was paused: 80 % of 10 impressions were dismissed\)/);
    const json = JSON.parse((await kairos(['report', '--db', db, '--config', config, '--format', 'json'])).stdout);
    expect(json.campaigns.find((c: { id: string }) => c.id === 'nag').status).toBe('running');
    expect((await kairos(['resume', 'nope', '--db', db, '--config', config])).stderr).toMatch(/no campaign "nope"/);
    expect((await kairos(['report', '--db', join(dir, 'missing.db'), '--config', config])).stderr).toMatch(/no database at/);
  });
});

describe('kairos help', () => {
  // In-process: main() returns the exit code and writes the usage text.
  it.each([[['help'], 0], [[], 0], [['frobnicate'], 2], [['serve', '--bogus'], 2], [['serve', '--port', 'http'], 2]] as const)(
    'kairos %j → exit %i with the usage text',
    async (args, code) => {
      const out = { stdout: '', stderr: '' };
      const spies = (['stdout', 'stderr'] as const).map((s) =>
        vi.spyOn(process[s], 'write').mockImplementation((chunk: string | Uint8Array) => ((out[s] += String(chunk)), true)),
      );
      try {
        expect(await main([...args])).toBe(code);
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      expect(code === 0 ? out.stdout : out.stderr).toMatch(/Usage:\n {2}kairos serve/);
      if (code === 2) expect(out.stderr).toMatch(/^kairos: /);
    },
  );
});

describe('kairos serve (child process)', () => {
  it('starts, says where it listens, answers, and exits 0 on SIGTERM', async () => {
    const config = write('serve.yaml', configYaml);
    const db = join(dir, 'serve', 'kairos.db');
    const child = spawn(process.execPath, ['bin/kairos.js', 'serve', '--port', '0', '--config', config, '--db', db, '--no-demo'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const url = await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no "listening" line within 15 s:\n${out}`)), 15_000);
        child.stdout.on('data', () => {
          const m = /Kairos listening on (http:\/\/localhost:\d+) \(config (.+), db (.+)\)/.exec(out);
          if (m) {
            clearTimeout(timer);
            expect(m[2]).toBe(config);
            expect(m[3]).toBe(db);
            done(m[1]!);
          }
        });
      });
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
      expect((await fetch(`${url}/`)).status).toBe(404); // --no-demo
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('a broken config stops the start: exit 1 with file:line:col path: message', async () => {
    const bad = write('serve-broken.yaml', brokenYaml);
    const r = await kairos(['serve', '--port', '0', '--config', bad, '--db', join(dir, 'x.db'), '--no-demo']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:5:13 campaigns[0].content.text: must not be empty`);
  });
});

describe('startServer (in-process)', () => {
  let server: RunningServer;
  const db = join(dir, 'in-process', 'kairos.db');

  beforeAll(async () => {
    const widgetDir = join(dir, 'widget');
    mkdirSync(join(widgetDir, 'kairos-ui'), { recursive: true });
    writeFileSync(join(widgetDir, 'kairos.js'), '/* loader */');
    writeFileSync(join(dir, 'secret.js'), 'secret');
    server = await startServer({ configFile: write('in-process.yaml', configYaml), dbFile: db, port: 0, widgetDir, log: silent });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers /healthz on the port it picked', async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://localhost:${server.port}`);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, config_version: expect.any(String) });
  });

  it('stores events durably over real HTTP', async () => {
    const body = JSON.stringify({
      sent_at: Date.now(),
      events: [{ event_id: 'cli-test-0001', type: 'track', name: 'Test', ts: Date.now(), visitor_id: 'visitor-1234', session_id: 'session-1234' }],
    });
    const res = await fetch(`${server.url}/v1/events`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
    // Another connection sees it at once: acknowledged means committed.
    const reader = new Database(db, { readonly: true });
    try {
      expect(reader.prepare('SELECT name FROM events WHERE event_id = ?').pluck().get('cli-test-0001')).toBe('Test');
    } finally {
      reader.close();
    }
  });

  // Raw request targets, as a hostile client sends them (fetch would normalise the dots away).
  it.each(['/kairos-ui/../../secret.js', '/kairos-ui/..%2f..%2fsecret.js', '/kairos-ui/%2e%2e/%2e%2e/secret.js', '/../secret.js'])(
    'raw path %s → 404',
    async (path) => {
      const status = await new Promise<number | undefined>((done, fail) => {
        const req = request({ host: 'localhost', port: server.port, path }, (res) => {
          res.resume();
          done(res.statusCode);
        });
        req.on('error', fail);
        req.end();
      });
      expect(status).toBe(404);
    },
  );

  it('a port in use is a clear error', async () => {
    const second = startServer({ configFile: write('second.yaml', configYaml), dbFile: join(dir, 'second.db'), port: server.port, log: silent });
    await expect(second).rejects.toBeInstanceOf(PortInUseError);
    await expect(second).rejects.toThrow(`port ${server.port} is already in use`);
  });

  it('a broken config is refused with every error formatted', async () => {
    const bad = write('in-process-broken.yaml', brokenYaml);
    await expect(startServer({ configFile: bad, dbFile: join(dir, 'third.db'), port: 0, log: silent })).rejects.toThrow(
      `${bad}:5:13 campaigns[0].content.text: must not be empty`,
    );
  });
});
