// Page patterns, pure. `*` matches within one path segment, `**` across segments, everything else is
// literal; a trailing `/**` also matches the folder itself (`/products/**` matches `/products`).
const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // "/**" at a segment boundary may match nothing at all, so "/a/**" matches "/a".
      if (src.endsWith('\\/')) src = src.slice(0, -2) + '(?:\\/.*)?';
      else src += '.*';
      i++;
    } else if (c === '*') src += '[^/]*';
    else src += c.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
  }
  re = new RegExp('^' + src + '$');
  cache.set(glob, re);
  return re;
}

/** A trailing slash is not a different page: "/cart/" is "/cart". */
export function normalisePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
}

export function matchesPages(pages: { include: string[]; exclude: string[] }, path: string): boolean {
  const p = normalisePath(path);
  // The glob is normalised too, so `exclude: ['/cart/']` also hides "/cart".
  const test = (g: string) => globToRegExp(normalisePath(g)).test(p) || globToRegExp(g).test(path);
  return pages.include.some(test) && !pages.exclude.some(test);
}

/** The path an event records: query strings carry emails and tokens, so only `utm_*` parameters are kept. */
export function eventPath(url: { pathname: string; searchParams: URLSearchParams }): string {
  const kept = [...url.searchParams].filter(([k]) => k.startsWith('utm_'));
  return url.pathname + (kept.length ? '?' + new URLSearchParams(kept).toString() : '');
}
