// Crash safety, for real: `kairos serve` as a child process, a receiver that holds the first delivery open, the
// server SIGKILLed mid-delivery and started again on the same database. The webhook must arrive after the
// restart under the same webhook-id, and it must be the only message the receiver ever sees for that cart.
//
// Fast because of the env overrides: the detector every 100 ms, deliveries every 50 ms, a 4 s lease (an
// attempt's timeout is 90 % of it, so the held attempt is surely still open when the kill comes); and the events
// are sent with timestamps five minutes in the past (sent_at = now, so the clock-skew correction keeps them old)
// against abandon_after_minutes: 1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import { afterAll, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'kairos-webhook-crash-'));
const SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createNetServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => done(port));
    });
  });
}

async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('a delivery cut off by SIGKILL is completed after the restart: same webhook-id, one message, nothing lost', async () => {
  // The receiver: holds the first request open (never answers it), answers 200 to the rest.
  const hits: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const held: ServerResponse[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      hits.push({ headers: req.headers, body });
      if (hits.length === 1) held.push(res);
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const configFile = join(dir, 'kairos.yaml');
  const dbFile = join(dir, 'kairos.db');
  writeFileSync(
    configFile,
    [
      'site: { name: Crash shop }',
      'webhooks:',
      `  endpoints: [{ url: "${hookUrl}" }]`,
      '  recovery_url: "https://shop.example/cart"',
      '  abandon_after_minutes: 1',
      '  allow_private_networks: true',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  let out = '';

  const start = async () => {
    const child = spawn(process.execPath, ['bin/kairos.js', 'serve', '--port', String(port), '--host', '127.0.0.1', '--config', configFile, '--db', dbFile, '--no-demo'], {
      cwd: root,
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        KAIROS_WEBHOOK_SECRET: SECRET,
        KAIROS_ABANDON_TICK_MS: '100',
        KAIROS_WEBHOOK_TICK_MS: '50',
        KAIROS_WEBHOOK_LEASE_MS: '4000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitFor(`kairos serve on ${api}`, async () => {
      if (child.exitCode !== null) throw new Error(`kairos serve exited:\n${out}`);
      return fetch(`${api}/healthz`).then((r) => r.ok, () => false);
    });
    return child;
  };
  const outbox = () => {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT id, status, attempts, lease_until FROM webhook_outbox').all() as Array<{ id: string; status: string; attempts: number; lease_until: number | null }>;
    } finally {
      db.close();
    }
  };

  try {
    const first = await start();

    // A shopper identifies and fills a cart, five minutes ago.
    const now = Date.now();
    const ev = (event_id: string, over: Record<string, unknown>) => ({ event_id, ts: now - 5 * 60_000, visitor_id: 'visitor-CRASH001', session_id: 'session-CRASH001', ...over });
    const res = await fetch(`${api}/v1/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({
        sent_at: now,
        events: [
          ev('evt-crash-0001', { type: 'identify', name: 'Identify', user_id: 'customer-9', props: { email: 'crash@example.com' } }),
          ev('evt-crash-0002', { type: 'track', name: 'Product Added', props: { product_id: 'tent', price: 249.5, quantity: 1 } }),
        ],
      }),
    });
    expect(res.status).toBe(200);

    // The delivery is in flight: the receiver holds it. Kill the server right there.
    await waitFor('the first delivery', () => hits.length >= 1);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(outbox()).toMatchObject([{ status: 'pending', attempts: 1, lease_until: expect.any(Number) }]);
    for (const r of held.splice(0)) r.destroy();

    // Restarted on the same database: the lease runs out and the message goes again.
    const second = await start();
    await waitFor('the redelivery', () => hits.length >= 2);
    await waitFor('the outbox to record it', () => outbox()[0]?.status === 'delivered');
    // Several detector and delivery ticks later: still nothing new.
    await new Promise((r) => setTimeout(r, 600));
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    expect(hits).toHaveLength(2);
    const ids = new Set(hits.map((h) => h.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(hits[0]!.body).toBe(hits[1]!.body);
    const wh = new Webhook(SECRET);
    for (const h of hits) wh.verify(h.body, h.headers as Record<string, string>);
    const payload = JSON.parse(hits[1]!.body) as { type: string; data: { email: string; total: number; items: Array<{ id: string }> } };
    expect(payload).toMatchObject({ type: 'cart.abandoned', data: { email: 'crash@example.com', total: 249.5, items: [{ id: 'tent' }] } });
    expect(outbox()).toMatchObject([{ id: [...ids][0], status: 'delivered', attempts: 2, lease_until: null }]);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- server output ---\n${out}`);
  } finally {
    for (const r of held.splice(0)) r.destroy();
    receiver.closeAllConnections();
    await new Promise<void>((r) => receiver.close(() => r()));
  }
}, 45_000);
