// Config fan-out (issue 9): several instances behind a load balancer serve the same kairos.yaml. Each instance
// still loads and watches its own file (server/config-watch.ts); when a save of that file is applied, the YAML
// text goes to every other instance through Redis (REDIS_URL), and each one applies it if it is valid there.
//
// The text travels, not the parsed config, because a config names files relative to kairos.yaml — coupon pools,
// a GeoIP database, a static forecast — that must exist on every instance anyway: each instance parses the text
// as if it were its own file, so those paths resolve locally and errors name its file (`file:line:col …`). A
// text that is not valid here (a pool file this instance lacks) is logged error by error and the current config
// keeps serving; nothing crashes and nothing is published back.
//
// Redis, under KAIROS_REDIS_PREFIX (default `kairos:`):
//   <prefix>config:seq      the counter that orders published texts across the fleet (INCR)
//   <prefix>config:current  the latest message, JSON { seq, version, text, from, saved }
//   <prefix>config          the pub/sub channel every message goes out on
// `version` is the public config version (for logs), `from` the publishing instance, `saved` when the text was
// saved (the mtime of the file it came from, ms). One Lua script takes the seq, SETs current and PUBLISHes, so
// two instances saving at once cannot leave current holding the older of the two texts. Messages come in on a
// second connection in subscriber mode; one with a seq not above the last one seen is old news.
//
// Which text wins: the newest save, by `saved`. A save observed while running always publishes (even one that
// brings back an older file), so saving kairos.yaml on any one instance — or on all — converges the fleet. At
// start, and whenever Redis comes back, an instance compares its own file (by mtime) with the fleet's current
// text: its file wins only if saved later, otherwise it adopts the fleet's text; with nothing in Redis it
// publishes what it serves. Why not "Redis always wins at start" (simpler)? A deploy that ships a new
// kairos.yaml and restarts the instances would then never take effect, since every new instance would adopt the
// old text. Why not "the starting file always wins"? An instance restarted by a crash or an autoscaler would
// roll back an edit made on another instance. Comparing save times keeps both: restarts adopt, deploys of a
// newer file win, and a save made during a Redis outage is published when Redis returns (unless a later one
// was made elsewhere meanwhile). Limits: clocks must roughly agree (seconds matter only for saves seconds
// apart), and a file whose mtime is not its edit time — a rollback to an older file, builds that clamp mtimes
// (Nix, SOURCE_DATE_EPOCH) — loses to the fleet's text at start; saving (touching) it on one running instance
// makes it the fleet's.
//
// Redis down: this instance keeps serving its config and its own saves, says so once, and catches up when the
// connection returns (server/redis.ts reconnects; ioredis subscribes again; then a sync as at start).
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import type { ConfigSource } from './config-watch';
import { connectRedis } from './redis';

/** The subset of a pino logger this needs. */
export interface ShareLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface ShareConfigOptions {
  /** This instance's config: its saves are published, other instances' texts are applied to it. */
  source: ConfigSource;
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (REDIS_URL). */
  url: string;
  /** Prepended to every key and the channel (KAIROS_REDIS_PREFIX). Default `kairos:`. */
  prefix?: string;
  /** Names this instance in messages and logs; must differ between running instances. Default host/pid/random. */
  instanceId?: string;
  log: ShareLog;
  /** Milliseconds before a connection attempt or a command gives up. Default 2000. */
  timeoutMs?: number;
}

export interface SharedConfig {
  readonly instanceId: string;
  /** Stops listening and publishing, and closes both Redis connections. The ConfigSource stays open. */
  close(): Promise<void>;
}

/** What travels: see the header. */
const Message = z.object({
  seq: z.number().int().positive(),
  version: z.string(),
  text: z.string(),
  from: z.string(),
  saved: z.number(),
});
type Message = z.infer<typeof Message>;

/** A text of this instance's file that the fleet does not have yet. */
interface Unpublished {
  text: string;
  version: string;
  saved: number;
}

// KEYS: seq counter, current. ARGV: channel, the publisher's last seen seq, the message JSON without its seq.
// The floor keeps seq above what the publisher has seen when the counter was lost (FLUSHDB) but its peers were not.
const PUBLISH = `
local seq = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[2])
if seq <= floor then
  seq = floor + 1
  redis.call('SET', KEYS[1], seq)
end
local msg = '{"seq":' .. seq .. ',' .. string.sub(ARGV[3], 2)
redis.call('SET', KEYS[2], msg)
redis.call('PUBLISH', ARGV[1], msg)
return seq
`;

const RETRY_MS = 2000;

/**
 * Shares `source` with every instance using the same Redis and prefix. Resolves once this instance is in step
 * with the fleet — or, when Redis is unavailable, once that is known (at most about `timeoutMs`); never rejects
 * for Redis' sake.
 */
export async function shareConfig(o: ShareConfigOptions): Promise<SharedConfig> {
  const { source, log } = o;
  const prefix = o.prefix ?? 'kairos:';
  const instanceId = o.instanceId ?? `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  const timeoutMs = o.timeoutMs ?? 2000;
  const keys = { seq: `${prefix}config:seq`, current: `${prefix}config:current`, channel: `${prefix}config` };

  /** The highest seq seen: applied, rejected, superseded or our own. */
  let lastSeq = 0;
  /** When the text being served was saved, for putting it back if Redis lost it. */
  let servedSaved = savedAt(source.file);
  /** The file's text as loaded: published at start only if it is newer than the fleet's (see the header). */
  let pending: Unpublished | undefined = { text: source.text, version: source.current.public.version, saved: servedSaved };
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  // Both connections report; the log hears of an outage once, and of the recovery once.
  const down = new Set<string>();
  let saidDown = false;
  const status = (which: string) => (message: string, healthy: boolean) => {
    if (closed) return;
    if (healthy) down.delete(which);
    else down.add(which);
    if (down.size > 0 && !saidDown) {
      saidDown = true;
      log.warn(`config fan-out unavailable: ${message}; serving this instance's config until Redis is back`);
    } else if (down.size === 0 && saidDown) {
      saidDown = false;
      log.info('config fan-out: Redis is back; catching up with the fleet');
    }
  };
  const cmd = connectRedis({ url: o.url, what: 'Redis config fan-out', timeoutMs, onStatus: status('commands') });
  const sub = connectRedis({ url: o.url, what: 'Redis config fan-out (subscriber)', timeoutMs, onStatus: status('subscriber') });

  // Everything that reads or changes the state above runs one step at a time, in arrival order.
  let chain = Promise.resolve();
  const enqueue = (step: () => Promise<void> | void): Promise<void> =>
    (chain = chain.then(step).catch((e: unknown) => log.error(`config fan-out: ${errorText(e)}`)));

  /** A text from the fleet: current (`fromGet`, read at start or after a reconnect) or a pub/sub message. */
  function consider(m: Message, fromGet: boolean): void {
    if (closed) return;
    // current is the newest there is: a seq below ours means Redis lost its data (a restart without persistence)
    // and counts afresh.
    const reset = fromGet && m.seq < lastSeq;
    if (m.seq <= lastSeq && !reset) return;
    lastSeq = m.seq;
    if (!fromGet && m.from === instanceId) return;
    if (pending) {
      // Our file was saved later than this text: keep it; flush() publishes it.
      if (pending.text !== m.text && pending.saved > m.saved) return;
      pending = undefined;
    }
    if (m.text === source.text) {
      servedSaved = m.saved;
      return;
    }
    if (source.applyText(m.text, `instance ${m.from} (seq ${m.seq})`)) {
      servedSaved = m.saved;
    } else {
      log.error(
        `config fan-out: config ${m.version} from instance ${m.from} (seq ${m.seq}) is not valid with this instance's ` +
          `files (errors above); still serving ${source.current.public.version}`,
      );
    }
  }

  /** Publishes `pending`; on failure keeps it for the next try. */
  async function flush(): Promise<void> {
    const p = pending;
    if (!p || closed) return;
    let seq: number;
    try {
      const body = JSON.stringify({ version: p.version, text: p.text, from: instanceId, saved: p.saved });
      seq = Number(await cmd.run((r) => r.eval(PUBLISH, 2, keys.seq, keys.current, keys.channel, lastSeq, body)));
    } catch (e) {
      // An outage is reported once by `status`; the reconnect syncs. A failure on a healthy connection (a timeout)
      // is worth a line, and a retry of its own.
      if (down.size === 0) log.warn(`config fan-out: config ${p.version} not shared yet (${errorText(e)}); retrying`);
      retry ??= setTimeout(() => {
        retry = undefined;
        void enqueue(flush);
      }, RETRY_MS).unref();
      return;
    }
    lastSeq = Math.max(lastSeq, seq);
    if (pending === p) pending = undefined;
    log.info(`config fan-out: shared config ${p.version} with the fleet (seq ${seq})`);
  }

  /** At start and after every reconnect: subscribe, read current, settle who wins, publish if we do. */
  async function sync(): Promise<void> {
    if (closed) return;
    // ioredis subscribes again by itself after a reconnect; this covers a start while Redis was down.
    if (sub.redis.status === 'ready') await sub.redis.subscribe(keys.channel).catch(() => {});
    let raw: string | null;
    try {
      raw = await cmd.run((r) => r.get(keys.current));
    } catch {
      return; // reported by `status`; the next 'ready' syncs again
    }
    const current = raw === null ? undefined : decode(raw);
    if (raw !== null && !current) log.warn(`config fan-out: ${keys.current} does not hold a config message; replacing it`);
    if (current) consider(current, true);
    else pending ??= { text: source.text, version: source.current.public.version, saved: servedSaved };
    await flush();
  }

  sub.redis.on('message', (channel: string, raw: string) => {
    if (channel !== keys.channel || closed) return;
    const m = decode(raw);
    if (!m) {
      log.warn(`config fan-out: ignored a message on ${keys.channel} that is not a config message`);
      return;
    }
    void enqueue(async () => {
      consider(m, false);
      await flush();
    });
  });

  // A save of this instance's file: the newest text there is, published at once. Recorded here, not in a queued
  // step, so a fleet message already queued cannot replace it.
  const off = source.onChange((current, change) => {
    if (change.origin !== 'file' || closed) return;
    pending = { text: change.text, version: current.public.version, saved: savedAt(source.file) };
    servedSaved = pending.saved;
    void enqueue(flush);
  });

  let started = false;
  const resync = () => {
    if (started && !closed) void enqueue(sync);
  };
  cmd.redis.on('ready', resync);
  sub.redis.on('ready', resync);

  try {
    await Promise.all([cmd.ready(), sub.ready()]);
  } catch {
    // Reported by `status`; the instance serves its own file and syncs when a connection becomes ready.
  }
  started = true;
  await enqueue(sync);
  if (down.size === 0) log.info(`config fan-out: through Redis at ${cmd.where} (channel ${keys.channel}) as ${instanceId}`);

  return {
    instanceId,
    async close() {
      if (closed) return;
      closed = true;
      off();
      clearTimeout(retry);
      await chain;
      await Promise.all([cmd.close(), sub.close()]);
    },
  };
}

function decode(raw: string): Message | undefined {
  try {
    const parsed = Message.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** When `file` was last saved (ms); now if it cannot be read, which makes a save that raced a deletion count as new. */
function savedAt(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Date.now();
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
