// Key-value storage on the shopper's device: IndexedDB through idb-keyval, with an in-memory fallback.
// IndexedDB fails in the wild: private modes that refuse to open it (jakearchibald/idb-keyval#32),
// connections Safari closes under us, SecurityError in sandboxed iframes, quota errors. Any failure —
// or an open that never settles — switches that store to memory for the rest of the page, so nothing
// waits on a broken database and nothing throws.
import { createStore, get, set, del, entries, delMany, update, type UseStore } from 'idb-keyval';

export interface KV {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  entries<T>(): Promise<[string, T][]>;
  delMany(keys: string[]): Promise<void>;
  /** Read-modify-write in one transaction: queued at once, so it lands even if the page is leaving. */
  update<T>(key: string, fn: (old: T | undefined) => T): Promise<void>;
}

/** An IndexedDB open that has not answered in this long is treated as broken. */
const IDB_TIMEOUT_MS = 1500;

export function memoryKV(): KV {
  const m = new Map<string, unknown>();
  return {
    get: async <T>(k: string) => m.get(k) as T | undefined,
    set: async (k, v) => void m.set(k, v),
    del: async (k) => void m.delete(k),
    entries: async <T>() => [...m.entries()] as [string, T][],
    delMany: async (keys) => keys.forEach((k) => m.delete(k)),
    update: async <T>(k: string, fn: (old: T | undefined) => T) => void m.set(k, fn(m.get(k) as T | undefined)),
  };
}

/**
 * `p()`, or a rejection after IDB_TIMEOUT_MS. `p` runs inside a promise executor, so a synchronous throw (idb-keyval
 * opens the database on first use: a sandboxed frame's SecurityError comes from there) is a rejection too.
 */
const withTimeout = <T>(p: () => Promise<T>): Promise<T> =>
  Promise.race([new Promise<T>((resolve) => resolve(p())), new Promise<never>((_, reject) => setTimeout(reject, IDB_TIMEOUT_MS))]);

export function openKV(dbName: string, storeName: string): KV {
  const memory = memoryKV();
  let store: UseStore | null = null;
  try {
    if (typeof indexedDB !== 'undefined' && indexedDB) store = createStore(dbName, storeName);
  } catch {
    store = null;
  }
  // Each call tries IndexedDB until the first failure, then memory only. Values written to IndexedDB
  // before a failure are lost to this page, not corrupted: the next page load tries again.
  const run = <T>(idb: (s: UseStore) => Promise<T>, mem: () => Promise<T>): Promise<T> => {
    if (!store) return mem();
    return withTimeout(() => idb(store!)).catch(() => {
      store = null;
      return mem();
    });
  };
  return {
    get: (k) => run((s) => get(k, s), () => memory.get(k)),
    set: (k, v) => run((s) => set(k, v, s), () => memory.set(k, v)),
    del: (k) => run((s) => del(k, s), () => memory.del(k)),
    entries: <T>() => run((s) => entries(s) as Promise<[string, T][]>, () => memory.entries<T>()),
    delMany: (keys) => run((s) => delMany(keys, s), () => memory.delMany(keys)),
    update: (k, fn) => run((s) => update(k, fn, s), () => memory.update(k, fn)),
  };
}
