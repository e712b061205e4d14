// The server's one logger. Pretty lines for a person at a terminal, JSON lines for everything else (files,
// containers, CI). What it must never carry is shopper data (PRODUCT.md, Privacy by default): callers log
// method, route pattern, status, timings and counts — never an IP, a user agent, a query string, a visitor or
// user id or event props. `redact` below is a second line of defence against a careless call, not the policy.
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** Default: `LOG_LEVEL`, else `info`. `silent` for tests. */
  level?: string;
  /** Default: only when stdout is a TTY and pino-pretty (a dev dependency) is installed. */
  pretty?: boolean;
  /** Where lines go instead of stdout (tests capture them). Disables pretty printing. */
  destination?: DestinationStream;
}

/** Fields that would be shopper data if a caller ever passed them; removed from every line. */
const REDACT = [
  'ip',
  'ips',
  'user_agent',
  'userAgent',
  'headers',
  'query',
  'url',
  'visitor_id',
  'session_id',
  'user_id',
  'email',
  'phone',
  'first_name',
  'last_name',
  'address',
  'traits',
  'props',
  'events',
  // A webhook body (server/webhooks/) carries the shopper's email: a message's id and endpoint host are enough.
  'body',
  '*.ip',
  '*.user_agent',
  '*.headers',
  '*.visitor_id',
  '*.user_id',
  '*.email',
  '*.phone',
  '*.first_name',
  '*.last_name',
  '*.address',
  '*.traits',
  '*.props',
  '*.body',
];

export function createLogger(opts: LoggerOptions = {}): Logger {
  const { level, warning } = resolveLevel(opts.level ?? process.env.LOG_LEVEL);
  const options = { level, redact: { paths: REDACT, remove: true } };

  let log: Logger;
  if (opts.destination) log = pino(options, opts.destination);
  else {
    const pretty = (opts.pretty ?? process.stdout.isTTY === true) ? prettyStream() : undefined;
    log = pretty ? pino(options, pretty) : pino(options);
  }
  if (warning) log.warn(warning);
  return log;
}

function resolveLevel(wanted: string | undefined): { level: string; warning?: string } {
  const level = (wanted ?? '').trim().toLowerCase();
  if (level === '') return { level: 'info' };
  if (level === 'silent' || level in pino.levels.values) return { level };
  const known = [...Object.keys(pino.levels.values), 'silent'].join(', ');
  return { level: 'info', warning: `LOG_LEVEL=${wanted} is not a level (${known}); using info` };
}

/** pino-pretty as an in-process stream (no worker thread), when it is installed; it is a dev dependency. */
function prettyStream(): DestinationStream | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pretty = require('pino-pretty') as (o: object) => DestinationStream;
    return pretty({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' });
  } catch {
    return undefined;
  }
}
