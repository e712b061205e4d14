// Hot reload: watch kairos.yaml, re-validate on every save, and keep serving the last good config when a
// save is broken.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { watch } from 'chokidar';
import { formatConfigError, loadConfigFile, parseConfig, type ConfigResult } from './config';
import type { KairosConfig, PublicConfig } from './schema';

export interface WatchOptions {
  /** Quiet time after the last file event before re-parsing. Default 100 ms. */
  debounceMs?: number;
}

export interface ConfigWatcher {
  /** Resolves once the watcher is listening; saves before that may be missed. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** A parse of the file; a good one carries the text it was parsed from. */
export type ReadResult = (GoodResult & { text: string }) | BadResult;

type GoodResult = Extract<ConfigResult, { ok: true }>;
type BadResult = Extract<ConfigResult, { ok: false }>;

/**
 * Calls `onResult` with a fresh parse after every change to `file`, including deletion (a "file not found"
 * result) and re-creation. Keeps no state about which config is good: that is the caller's business.
 */
export function watchConfig(
  file: string,
  onResult: (r: ReadResult) => void,
  opts: WatchOptions = {},
): ConfigWatcher {
  const debounceMs = opts.debounceMs ?? 100;
  const target = resolve(file);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let loading = false;
  let changedWhileLoading = false;

  const reload = async () => {
    if (loading) {
      changedWhileLoading = true;
      return;
    }
    loading = true;
    try {
      do {
        changedWhileLoading = false;
        const result = await readConfigFile(file);
        if (closed) return;
        onResult(result);
      } while (changedWhileLoading);
    } finally {
      loading = false;
    }
  };

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  };

  // The file itself, through chokidar, which follows it across saves by rename (the inode changes) and a delete
  // followed by a new file (test/config-watch.test.ts). Not the whole directory: the SQLite file and its WAL
  // usually sit beside kairos.yaml, and every WAL write was then an event handled here — ~60 µs of CPU per
  // POST /v1/events under load (a profile of bench/server.mjs).
  const watcher = watch(target, {
    ignoreInitial: true,
    // Collapses unlink + add from a rename-over save into one change.
    atomic: true,
    // Editors that write in chunks would otherwise be read half-written.
    awaitWriteFinish: { stabilityThreshold: 60, pollInterval: 20 },
  });
  watcher.on('all', (event, path) => {
    if (path === target && (event === 'add' || event === 'change' || event === 'unlink')) schedule();
  });
  watcher.on('error', (err) => {
    if (closed) return;
    const message = `cannot watch the file: ${err instanceof Error ? err.message : String(err)}`;
    onResult({ ok: false, errors: [{ file, line: 1, col: 1, path: '', message }] });
  });
  const ready = new Promise<void>((done) => watcher.once('ready', () => done()));

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** loadConfigFile, keeping the text it parsed: the source of a good config is what config-share.ts passes on. */
async function readConfigFile(file: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    // loadConfigFile words the read error for the marketer. A file that reappeared in between is read again.
    const result = await loadConfigFile(file);
    return result.ok ? readConfigFile(file) : result;
  }
  const result = parseConfig(text, file);
  return result.ok ? { ...result, text } : result;
}

// ---------------------------------------------------------------------------------------------------------

/** The subset of a pino logger this needs. */
export interface ConfigLog {
  info(obj: object, msg: string): void;
  error(msg: string): void;
}

export interface LoadedConfig {
  config: KairosConfig;
  public: PublicConfig;
  /** Strong ETag for GET /v1/config, e.g. `"3f2a…"`. */
  etag: string;
  loadedAt: Date;
}

/** Where a config came from: `'file'` for `ConfigSource.file`, otherwise what `applyText` was told. */
export type ConfigOrigin = 'file' | (string & {});

export interface ConfigChange {
  origin: ConfigOrigin;
  /** The YAML source of the new config. */
  text: string;
}

/**
 * The config the server serves: loaded once (a broken file stops the start), then kept up to date from the
 * file — and from other instances through `applyText` (server/config-share.ts). A broken save or text is logged
 * error by error and the last good config keeps serving.
 */
export class ConfigSource {
  readonly file: string;
  #log: ConfigLog;
  #current: LoadedConfig;
  #text: string;
  #listeners = new Set<(current: LoadedConfig, change: ConfigChange) => void>();
  #watcher: ConfigWatcher | undefined;

  private constructor(file: string, log: ConfigLog, first: GoodResult & { text: string }) {
    this.file = file;
    this.#log = log;
    this.#current = loaded(first);
    this.#text = first.text;
  }

  static async open(file: string, log: ConfigLog, opts?: WatchOptions): Promise<ConfigSource> {
    // Watch before the first load, so a save between the two is not lost; results that arrive before the
    // source exists are held until it does.
    let source: ConfigSource | undefined;
    let early: ReadResult | undefined;
    const watcher = watchConfig(file, (r) => (source ? source.#apply(r, 'file') : (early = r)), opts);
    await watcher.ready;

    const first = await readConfigFile(file);
    if (!first.ok) {
      await watcher.close();
      const count = first.errors.length === 1 ? '1 error' : `${first.errors.length} errors`;
      throw new Error(`${file} has ${count}; not starting:\n${first.errors.map(formatConfigError).join('\n')}`);
    }
    source = new ConfigSource(file, log, first);
    source.#watcher = watcher;
    if (early) source.#apply(early, 'file');
    return source;
  }

  get current(): LoadedConfig {
    return this.#current;
  }

  /** The YAML source of `current` (the latest good text, even one that changed nothing that matters). */
  get text(): string {
    return this.#text;
  }

  /**
   * Serves `text` (a config from elsewhere, e.g. another instance) if it is valid here. It is parsed as if it
   * were `file`: relative paths (coupon pools, GeoIP, a static forecast) resolve beside this instance's file, and
   * errors name it. Invalid: every error is logged, the current config stays, and the answer is false.
   * `origin` (never `'file'`) reaches onChange listeners and the log.
   */
  applyText(text: string, origin: string): boolean {
    const result = parseConfig(text, this.file);
    this.#apply(result.ok ? { ...result, text } : result, origin);
    return result.ok;
  }

  /**
   * `cb` runs after each successful reload that changed something, told where it came from. Returns an
   * unsubscribe function.
   */
  onChange(cb: (current: LoadedConfig, change: ConfigChange) => void): () => void {
    this.#listeners.add(cb);
    return () => void this.#listeners.delete(cb);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#watcher?.close();
  }

  #apply(result: ReadResult, origin: ConfigOrigin): void {
    if (!result.ok) {
      for (const e of result.errors) this.#log.error(formatConfigError(e));
      return;
    }
    const before = this.#current;
    const { text } = result;
    this.#text = text;
    // A save that changes nothing (touch, a comment) is not a reload worth announcing.
    if (result.etag === before.etag && JSON.stringify(result.config) === JSON.stringify(before.config)) return;
    this.#current = loaded(result);
    this.#log.info(origin === 'file' ? { version: result.public.version } : { version: result.public.version, origin }, 'config reloaded');
    const change: ConfigChange = { origin, text };
    for (const cb of this.#listeners) {
      try {
        cb(this.#current, change);
      } catch (e) {
        this.#log.error(`config change listener failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

function loaded(r: GoodResult): LoadedConfig {
  return { config: r.config, public: r.public, etag: r.etag, loadedAt: new Date() };
}
