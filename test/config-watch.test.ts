import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, it, expect, vi } from 'vitest';
import type { ConfigResult } from '../server/config';
import { ConfigSource, watchConfig, type ConfigLog } from '../server/config-watch';

vi.setConfig({ testTimeout: 15_000 });

/** Changes must be live well within 2 s; polled, not slept. */
const live = { timeout: 2_000, interval: 20 };

const bar = (text: string) =>
  ['campaigns:', '  - id: bar', '    type: announcement_bar', '    content:', `      text: ${text}`, ''].join('\n');

function recordingLog() {
  const info: { obj: object; msg: string }[] = [];
  const error: string[] = [];
  const log: ConfigLog = {
    info: (obj, msg) => void info.push({ obj, msg }),
    error: (msg) => void error.push(msg),
  };
  return { log, info, error };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const textOf = (s: ConfigSource) => (s.current.public.campaigns[0]?.content as { text?: string } | undefined)?.text;

let dir: string;
let file: string;
const toClose: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kairos-config-'));
  file = join(dir, 'kairos.yaml');
});

afterEach(async () => {
  await Promise.all(toClose.splice(0).map((w) => w.close()));
  await rm(dir, { recursive: true, force: true });
});

async function open(initial: string, log: ConfigLog) {
  await writeFile(file, initial);
  const source = await ConfigSource.open(file, log);
  toClose.push(source);
  return source;
}

describe('ConfigSource', () => {
  it('loads the file and exposes the compiled config', async () => {
    const before = Date.now();
    const source = await open(bar('Hello'), recordingLog().log);
    expect(textOf(source)).toBe('Hello');
    expect(source.current.etag).toBe(`"${source.current.public.version}"`);
    expect(source.current.config.site.name).toBe('My shop');
    expect(source.current.loadedAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('refuses to start on a broken file, listing every error', async () => {
    const source = ['campaigns:', '  - id: Bar', '    type: announcement_bar', '    content: { text: x }', '  - id: b', '    type: popup', ''];
    await writeFile(file, source.join('\n'));
    await expect(ConfigSource.open(file, recordingLog().log)).rejects.toThrow(
      `${file} has 2 errors; not starting:\n` +
        `${file}:2:9 campaigns[0].id: use 1–64 lowercase letters, digits, "-" or "_", starting with a letter or digit\n` +
        `${file}:6:11 campaigns[1].type: unknown type "popup"; use one of: announcement_bar`,
    );
  });

  it('refuses to start when the file is missing', async () => {
    await expect(ConfigSource.open(join(dir, 'nope.yaml'), recordingLog().log)).rejects.toThrow(
      `${join(dir, 'nope.yaml')}:1:1 file not found`,
    );
  });

  it('reloads on change, keeps the last good config on a broken save, and recovers', async () => {
    const { log, info, error } = recordingLog();
    const source = await open(bar('One'), log);
    const changes: string[] = [];
    source.onChange((c) => changes.push(c.public.version));

    await writeFile(file, bar('Two'));
    await vi.waitFor(() => expect(textOf(source)).toBe('Two'), live);
    expect(info).toEqual([{ obj: { version: source.current.public.version }, msg: 'config reloaded' }]);
    expect(changes).toEqual([source.current.public.version]);

    const good = source.current;
    await writeFile(file, bar('""'));
    await vi.waitFor(() => expect(error).toEqual([`${file}:5:13 campaigns[0].content.text: must not be empty`]), live);
    expect(source.current).toBe(good);

    await writeFile(file, bar('Three'));
    await vi.waitFor(() => expect(textOf(source)).toBe('Three'), live);
    expect(changes).toHaveLength(2);
    expect(error).toHaveLength(1);
  });

  it('picks up an atomic save (write a temp file, rename it over)', async () => {
    const source = await open(bar('Before'), recordingLog().log);
    const tmp = join(dir, '.kairos.yaml.swp');
    await writeFile(tmp, bar('After'));
    await rename(tmp, file);
    await vi.waitFor(() => expect(textOf(source)).toBe('After'), live);
  });

  it('survives the file being deleted and re-created', async () => {
    const { log, error } = recordingLog();
    const source = await open(bar('Before'), log);
    await unlink(file);
    await vi.waitFor(() => expect(error).toEqual([`${file}:1:1 file not found`]), live);
    expect(textOf(source)).toBe('Before');
    await writeFile(file, bar('Again'));
    await vi.waitFor(() => expect(textOf(source)).toBe('Again'), live);
  });

  it('does not announce a save that changes nothing', async () => {
    const { log, info } = recordingLog();
    const source = await open(bar('Same'), log);
    await writeFile(file, `# just a comment\n${bar('Same')}`);
    await sleep(500); // proving a non-event: longer than watch + debounce
    await writeFile(file, bar('Different'));
    await vi.waitFor(() => expect(textOf(source)).toBe('Different'), live);
    expect(info).toHaveLength(1);
  });

  it('stops after close(): no reloads, no callbacks', async () => {
    const { log, info, error } = recordingLog();
    const source = await open(bar('Open'), log);
    let calls = 0;
    source.onChange(() => calls++);
    await source.close();
    await writeFile(file, bar('Closed'));
    await writeFile(join(dir, 'other.yaml'), bar('x'));
    await sleep(500); // proving a non-event: longer than watch + debounce
    expect(textOf(source)).toBe('Open');
    expect([calls, info.length, error.length]).toEqual([0, 0, 0]);
  });

  it('unsubscribes a listener', async () => {
    const source = await open(bar('A'), recordingLog().log);
    let calls = 0;
    const off = source.onChange(() => calls++);
    await writeFile(file, bar('B'));
    await vi.waitFor(() => expect(calls).toBe(1), live);
    off();
    await writeFile(file, bar('C'));
    await vi.waitFor(() => expect(textOf(source)).toBe('C'), live);
    expect(calls).toBe(1);
  });

  it('works with a real pino logger', async () => {
    const lines: { level: number; msg: string; version?: string }[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const source = await open(bar('One'), pino({ base: null }, stream));
    await writeFile(file, bar('""'));
    await vi.waitFor(() => expect(lines.map((l) => l.msg)).toContain(`${file}:5:13 campaigns[0].content.text: must not be empty`), live);
    await writeFile(file, bar('Two'));
    await vi.waitFor(() => expect(lines.at(-1)).toMatchObject({ level: 30, msg: 'config reloaded', version: source.current.public.version }), live);
  });
});

describe('watchConfig', () => {
  it('reports every change, ignores other files, and stops on close', async () => {
    await writeFile(file, bar('One'));
    const results: ConfigResult[] = [];
    const watcher = watchConfig(file, (r) => results.push(r), { debounceMs: 50 });
    toClose.push(watcher);
    await watcher.ready;

    await writeFile(join(dir, 'unrelated.yaml'), 'not: [valid');
    await writeFile(file, bar('Two'));
    await vi.waitFor(() => expect(results).toHaveLength(1), live);
    expect(results[0]?.ok && (results[0].public.campaigns[0]?.content as { text?: string }).text).toBe('Two');

    await unlink(file);
    await vi.waitFor(() => expect(results).toHaveLength(2), live);
    expect(results[1]).toEqual({ ok: false, errors: [{ file, line: 1, col: 1, path: '', message: 'file not found' }] });

    await watcher.close();
    await writeFile(file, bar('Three'));
    await sleep(400); // proving a non-event
    expect(results).toHaveLength(2);
  });

  it('collapses a burst of writes into one parse of the final content', async () => {
    await writeFile(file, bar('Start'));
    const results: ConfigResult[] = [];
    const watcher = watchConfig(file, (r) => results.push(r));
    toClose.push(watcher);
    await watcher.ready;
    for (const t of ['a', 'b', 'c', 'Final']) await writeFile(file, bar(t));
    await vi.waitFor(() => expect(results.at(-1)?.ok && results.at(-1)).toMatchObject({ public: { campaigns: [{ content: { text: 'Final' } }] } }), live);
    expect(results.length).toBeLessThanOrEqual(2);
  });
});
