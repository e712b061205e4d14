// Finding (or, on a fresh CI machine, installing) the Chromium that Playwright drives.
//
// `npx playwright install` cannot download its browser build on the project's machines, so the system's
// Chromium is used: Debian's `chromium` package at /usr/bin/chromium. Used by playwright.config.ts, by
// test/run-all.mjs (which runs this file directly to print the path) and by benchmarks via launchBrowser().

import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type LaunchOptions } from '@playwright/test';

/** Flags for headless Chromium in containers and CI: no sandbox (root), no GPU, no background traffic. */
export const launchArgs: string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && isExecutable(join(d, cmd)));
}

let found: string | undefined;

/**
 * A Chromium executable: $CHROMIUM_PATH; else the system's (/usr/bin/chromium, chromium-browser, google-chrome);
 * else Playwright's own download if present; else, as root with apt-get, installs Debian's `chromium`; else throws
 * an error saying what to install.
 */
export function findChromium(): string {
  if (found) return found;
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file`);
    return (found = fromEnv);
  }
  for (const p of SYSTEM_PATHS) if (isExecutable(p)) return (found = p);
  try {
    const own = chromium.executablePath();
    if (own && existsSync(own)) return (found = own);
  } catch {
    /* Playwright has no browser of its own here */
  }
  if (process.platform === 'linux' && process.getuid?.() === 0 && onPath('apt-get')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const run = (args: string[]) => {
      // All of it goes to stderr, so that a caller reading our stdout gets only the path.
      console.error(`[browser] no Chromium found; running: DEBIAN_FRONTEND=noninteractive apt-get ${args.join(' ')}`);
      execFileSync('apt-get', args, { env, stdio: ['ignore', 2, 2], timeout: 15 * 60_000 });
    };
    try {
      run(['update']);
      run(['install', '-y', 'chromium']);
    } catch (e) {
      throw new Error(`installing Debian's chromium package failed (${(e as Error).message}); install it by hand: apt-get install chromium`);
    }
    if (isExecutable('/usr/bin/chromium')) return (found = '/usr/bin/chromium');
    throw new Error('apt-get install chromium finished but /usr/bin/chromium is missing');
  }
  throw new Error(
    'No Chromium found. Install one of: Debian/Ubuntu `sudo apt-get install chromium` (gives /usr/bin/chromium), ' +
      'or `npx playwright install chromium`, or set CHROMIUM_PATH=/path/to/chrome.',
  );
}

/** Launches headless Chromium through @playwright/test with the project's flags (for specs and benchmarks). */
export function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    headless: true,
    ...options,
    executablePath: options.executablePath ?? findChromium(),
    args: [...launchArgs, ...(options.args ?? [])],
  });
}

// `tsx test/browser.ts` prints the path (test/run-all.mjs uses this before running the suites).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(findChromium());
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
