// GET /v1/config is answered straight from node:http on a real server (app.direct, server/app.ts): every page view
// revalidates it, and Hono's adapter costs ~3× the bare request (bench/server.mjs). The same request with a query
// string goes through Hono's route and middleware instead, so on one real server the two paths can be compared
// answer by answer: status, body and every header but the connection's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, startServerProcess, type RawResponse, type ServerProcess } from './fuzz/server';

const config = [
  'site:',
  '  name: Direct shop',
  '  allowed_origins: ["https://shop.example"]',
  'campaigns:',
  '  - id: welcome',
  '    type: announcement_bar',
  '    content: { text: Free returns }',
  '',
].join('\n');

let server: ServerProcess;
let etag: string;
beforeAll(async () => {
  server = await startServerProcess({ config, env: { KAIROS_RATE_LIMIT: '0' } });
  etag = String((await send(server, { method: 'GET', path: '/v1/config' })).headers.etag);
});
afterAll(async () => {
  await server?.stop();
});

const comparable = (r: RawResponse) => {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...headers } = r.headers;
  return { status: r.status, headers, body: r.body.toString('utf8') };
};

describe('GET /v1/config from node:http answers as the Hono route does', () => {
  const cases: Array<[string, () => Record<string, string>]> = [
    ['no Origin', () => ({})],
    ['an allowed Origin', () => ({ origin: 'https://shop.example' })],
    ['an allowed Origin spelt differently', () => ({ origin: 'https://SHOP.example:443' })],
    ['another site', () => ({ origin: 'https://evil.example' })],
    ['the opaque origin', () => ({ origin: 'null' })],
    ['the server itself', () => ({ origin: server.url })],
    ['the current ETag', () => ({ 'if-none-match': etag, origin: 'https://shop.example' })],
    ['the current ETag, weak', () => ({ 'if-none-match': `W/${etag}` })],
    ['a list holding the current ETag', () => ({ 'if-none-match': `"old", ${etag}` })],
    ['*', () => ({ 'if-none-match': '*' })],
    ['an old ETag', () => ({ 'if-none-match': '"old"' })],
  ];
  it.each(cases)('%s', async (_name, headers) => {
    const direct = await send(server, { method: 'GET', path: '/v1/config', headers: headers() });
    const routed = await send(server, { method: 'GET', path: '/v1/config?via=hono', headers: headers() });
    expect(comparable(direct)).toEqual(comparable(routed));
    expect(direct.headers['x-content-type-options']).toBe('nosniff');
    expect(direct.headers.vary).toBe('Origin');
    expect(direct.headers.etag).toBe(etag);
    if (direct.status === 200) expect(JSON.parse(direct.body.toString('utf8')).campaigns.map((c: { id: string }) => c.id)).toEqual(['welcome']);
  });

  it('304 exactly when the ETag matches; the allowed origin gets its serialised form, others none', async () => {
    const hit = await send(server, { method: 'GET', path: '/v1/config', headers: { 'if-none-match': etag, origin: 'https://SHOP.example:443' } });
    expect(hit.status).toBe(304);
    expect(hit.body.length).toBe(0);
    expect(hit.headers['access-control-allow-origin']).toBe('https://shop.example');
    const miss = await send(server, { method: 'GET', path: '/v1/config', headers: { 'if-none-match': '"old"', origin: 'https://evil.example' } });
    expect(miss.status).toBe(200);
    expect(miss.headers['access-control-allow-origin']).toBeUndefined();
  });
});
