// The services some suites run against for real — Redis and PostgreSQL —, where they are, whether they answer,
// and the rule: a suite whose service is down is skipped with a warning, or fails under KAIROS_REQUIRE_SERVICES
// (set by .ci/run, so CI never passes by skipping).
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, it } from 'vitest';

export const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
export const REQUIRED = Boolean(process.env['KAIROS_REQUIRE_SERVICES']);

/** Why Redis at `url` does not answer a PING within a second, or null when it does. */
export async function redisDown(url = REDIS_URL): Promise<string | null> {
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, connectTimeout: 1000, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let why = '';
  probe.on('error', (e: Error) => (why ||= e.message));
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (e) {
    return why || (e instanceof Error ? e.message : String(e));
  } finally {
    probe.disconnect();
  }
}

/** Why PostgreSQL at `url` does not answer a query within 2 s, or null when it does. */
export async function postgresDown(url = DATABASE_URL): Promise<string | null> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.query('SELECT 1');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message || String((e as { code?: string }).code ?? e) : String(e);
  } finally {
    await probe.end().catch(() => {});
  }
}

/**
 * The rule for one service: registers a "<name> service is reachable" test (run unless the service is down and not
 * required; failing when it is down and required) and warns when the suite is skipped. Returns whether to skip.
 */
export function checkService(name: string, url: string, down: string | null, skipped: string): boolean {
  if (down && !REQUIRED) console.warn(`${name} not reachable at ${url} (${down}): ${skipped} skipped`);
  describe.skipIf(!REQUIRED && down !== null)(`${name} service`, () => {
    it(`is reachable at ${url}`, () => {
      if (down) throw new Error(`${name} not reachable at ${url} (${down}), and KAIROS_REQUIRE_SERVICES is set: start ${name} or set ${name === 'Redis' ? 'REDIS_URL' : 'DATABASE_URL'}`);
    });
  });
  return down !== null;
}
