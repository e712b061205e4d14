// Hot reload: watch kairos.yaml, re-validate on every save, and keep serving the last good config when a
// save is broken.
import { dirname, resolve } from 'node:path';
import { watch } from 'chokidar';
import { formatConfigError, loadConfigFile, type ConfigResult } from './config';
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

/**
 * Calls `onResult` with a fresh parse after every change to `file`, including deletion (a "file not found"
 * result) and re-creation. Keeps no state about which config is good: that is the caller's business.
 */
export function watchConfig(
  file: string,
  onResult: (r: ConfigResult) => void,
  opts: WatchOptions = {},
): ConfigWatcher {
  const debounceMs = opts.debounceMs ?? 100;
  const target = resolve(file);
  const dir = dirname(target);
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
        const result = await loadConfigFile(file);
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

  // Watching the directory rather than the file itself: a file watch misses saves when the file did not
  // exist yet, and editors that save by rename replace the inode being watched.
  const watcher = watch(dir, {
    depth: 0,
    ignoreInitial: true,
    ignored: (path) => path !== dir && path !== target,
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

type GoodResult = Extract<ConfigResult, { ok: true }>;

/**
 * The config the server serves: loaded once (a broken file stops the start), then kept up to date from the
 * file. A broken save is logged error by error and the last good config keeps serving.
 */
export class ConfigSource {
  readonly file: string;
  #log: ConfigLog;
  #current: LoadedConfig;
  #listeners = new Set<(current: LoadedConfig) => void>();
  #watcher: ConfigWatcher | undefined;

  private constructor(file: string, log: ConfigLog, first: GoodResult) {
    this.file = file;
    this.#log = log;
    this.#current = loaded(first);
  }

  static async open(file: string, log: ConfigLog, opts?: WatchOptions): Promise<ConfigSource> {
    // Watch before the first load, so a save between the two is not lost; results that arrive before the
    // source exists are held until it does.
    let source: ConfigSource | undefined;
    let early: ConfigResult | undefined;
    const watcher = watchConfig(file, (r) => (source ? source.#apply(r) : (early = r)), opts);
    await watcher.ready;

    const first = await loadConfigFile(file);
    if (!first.ok) {
      await watcher.close();
      const count = first.errors.length === 1 ? '1 error' : `${first.errors.length} errors`;
      throw new Error(`${file} has ${count}; not starting:\n${first.errors.map(formatConfigError).join('\n')}`);
    }
    source = new ConfigSource(file, log, first);
    source.#watcher = watcher;
    if (early) source.#apply(early);
    return source;
  }

  get current(): LoadedConfig {
    return this.#current;
  }

  /** `cb` runs after each successful reload that changed something. Returns an unsubscribe function. */
  onChange(cb: (current: LoadedConfig) => void): () => void {
    this.#listeners.add(cb);
    return () => void this.#listeners.delete(cb);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#watcher?.close();
  }

  #apply(result: ConfigResult): void {
    if (!result.ok) {
      for (const e of result.errors) this.#log.error(formatConfigError(e));
      return;
    }
    const before = this.#current;
    // A save that changes nothing (touch, a comment) is not a reload worth announcing.
    if (result.etag === before.etag && JSON.stringify(result.config) === JSON.stringify(before.config)) return;
    this.#current = loaded(result);
    this.#log.info({ version: result.public.version }, 'config reloaded');
    for (const cb of this.#listeners) {
      try {
        cb(this.#current);
      } catch (e) {
        this.#log.error(`config change listener failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

function loaded(r: GoodResult): LoadedConfig {
  return { config: r.config, public: r.public, etag: r.etag, loadedAt: new Date() };
}
