// Serving files from a directory: the built widget (dist/widget) and the demo shop (demo/). Small on purpose:
// an allow-list of extensions, URL segments checked one by one (no `..`, no dotfiles, no encoded slashes), and
// a resolved path that must stay under the root. Bodies and their content-hash ETags are cached per
// (mtime, size), so a watch rebuild in `kairos dev` is picked up on the next request.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

export const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  body: Uint8Array;
  etag: string;
  contentType: string;
}

interface Cached extends StaticFile {
  mtimeMs: number;
  size: number;
}

const cache = new Map<string, Cached>();
const MAX_CACHED_BYTES = 1 << 20;

/**
 * The URL path's segments, decoded, or undefined when any of them could escape the root or name a hidden
 * file: empty, `.`/`..`, starting with a dot, or holding a slash, backslash or NUL once decoded.
 */
export function safeSegments(urlPath: string): string[] | undefined {
  const parts = urlPath.replace(/^\/+/, '').split('/');
  const out: string[] = [];
  for (const raw of parts) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (seg === '' || seg.startsWith('.') || /[/\\\0]/.test(seg)) return undefined;
    out.push(seg);
  }
  return out;
}

/**
 * Reads `root/...segments` if it is a regular file with an allowed extension inside root; undefined otherwise
 * (missing, a directory, a disallowed type). Never throws for a missing file.
 */
export async function readStatic(root: string, segments: readonly string[]): Promise<StaticFile | undefined> {
  const base = resolve(root);
  const file = resolve(base, ...segments);
  if (!file.startsWith(base + sep)) return undefined;
  const contentType = MIME[extname(file).toLowerCase()];
  if (!contentType) return undefined;

  let info;
  try {
    info = await stat(file);
  } catch {
    return undefined;
  }
  if (!info.isFile()) return undefined;

  const hit = cache.get(file);
  if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit;

  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return undefined;
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const entry: Cached = { body, etag, contentType, mtimeMs: info.mtimeMs, size: info.size };
  if (body.length <= MAX_CACHED_BYTES) cache.set(file, entry);
  return entry;
}

/**
 * RFC 9110 §13.1.2: If-None-Match is `*` or a list of entity tags, compared weakly (a `W/` prefix on either
 * side is ignored).
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const value = ifNoneMatch.trim();
  if (value === '*') return true;
  const opaque = (t: string) => t.trim().replace(/^W\//i, '');
  const mine = opaque(etag);
  return (value.match(/(?:W\/)?"[^"]*"/gi) ?? []).some((t) => opaque(t) === mine);
}
