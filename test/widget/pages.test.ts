import { describe, it, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { eventPath, globToRegExp, matchesPages, normalisePath } from '../../widget/pages';

const matches = (glob: string, path: string) => matchesPages({ include: [glob], exclude: [] }, path);

describe('page globs', () => {
  const cases: [spec: string, glob: string, path: string, expected: boolean][] = [
    // exact paths
    ['/cart matches /cart', '/cart', '/cart', true],
    ['/cart does not match /cart/checkout', '/cart', '/cart/checkout', false],
    ['/cart does not match /carts (no prefix matching)', '/cart', '/carts', false],
    ['/ matches only the home page', '/', '/', true],
    ['/ does not match /about', '/', '/about', false],
    // `*` stays within one segment
    ['/products/* matches /products/shoes', '/products/*', '/products/shoes', true],
    ['/products/* does not match /products/shoes/red', '/products/*', '/products/shoes/red', false],
    ['/products/* does not match /products', '/products/*', '/products', false],
    ['/products/*-sale matches /products/summer-sale', '/products/*-sale', '/products/summer-sale', true],
    ['/products/*-sale does not match /products/summer-sale/x', '/products/*-sale', '/products/summer-sale/x', false],
    ['/*/reviews matches /shoes/reviews', '/*/reviews', '/shoes/reviews', true],
    ['/*/reviews does not match /a/b/reviews', '/*/reviews', '/a/b/reviews', false],
    // `**` crosses segments
    ['/products/** matches /products/shoes', '/products/**', '/products/shoes', true],
    ['/products/** matches /products/shoes/red/42', '/products/**', '/products/shoes/red/42', true],
    ['/products/** matches /products (the folder itself)', '/products/**', '/products', true],
    ['/products/** matches /products/ (the folder with a slash)', '/products/**', '/products/', true],
    ['/products/** does not match /productsale', '/products/**', '/productsale', false],
    ['/products/** does not match /products-old', '/products/**', '/products-old', false],
    ['/products/** does not match /shop/products/x', '/products/**', '/shop/products/x', false],
    ['/** matches the home page', '/**', '/', true],
    ['/** matches a deep page', '/**', '/a/b/c', true],
    ['/**/checkout matches /en/shop/checkout', '/**/checkout', '/en/shop/checkout', true],
    ['/**/checkout does not match /checkout-help', '/**/checkout', '/checkout-help', false],
    ['/blog/**/comments matches /blog/2026/07/post/comments', '/blog/**/comments', '/blog/2026/07/post/comments', true],
    // everything else is literal, regex characters included
    ['a dot is literal: /index.html does not match /indexXhtml', '/index.html', '/indexXhtml', false],
    ['a dot is literal: /index.html matches /index.html', '/index.html', '/index.html', true],
    ['+ is literal: /a+b matches /a+b', '/a+b', '/a+b', true],
    ['+ is literal: /a+b does not match /aab', '/a+b', '/aab', false],
    ['? is literal: /faq? does not match /fa', '/faq?', '/fa', false],
    ['parentheses are literal: /(sale) matches /(sale)', '/(sale)', '/(sale)', true],
    ['brackets are literal: /[ab] does not match /a', '/[ab]', '/a', false],
    ['brackets are literal: /[ab] matches /[ab]', '/[ab]', '/[ab]', true],
    ['$ and ^ are literal: /^x$ matches /^x$', '/^x$', '/^x$', true],
    ['| is literal: /a|/b does not match /b', '/a|/b', '/b', false],
    ['a backslash is literal: /a\\d does not match /a1', '/a\\d', '/a1', false],
    ['matching is case-sensitive: /Sale does not match /sale', '/Sale', '/sale', false],
    // a trailing slash is not a different page
    ['/cart matches /cart/', '/cart', '/cart/', true],
    ['/cart/ matches /cart', '/cart/', '/cart', true],
    ['/cart/ matches /cart/', '/cart/', '/cart/', true],
    ['/products/* matches /products/shoes/', '/products/*', '/products/shoes/', true],
  ];

  it.each(cases)('%s', (_spec, glob, path, expected) => {
    expect(matches(glob, path)).toBe(expected);
  });

  it('compiles a glob once and reuses it', () => {
    expect(globToRegExp('/reuse/**')).toBe(globToRegExp('/reuse/**'));
  });
});

describe('include and exclude', () => {
  const cases: [spec: string, include: string[], exclude: string[], path: string, expected: boolean][] = [
    ['shown on an included page', ['/products/**'], [], '/products/shoes', true],
    ['hidden on a page no include names', ['/products/**'], [], '/blog/news', false],
    ['any one include is enough', ['/cart', '/products/**'], [], '/cart', true],
    ['no include at all shows nowhere', [], [], '/', false],
    ['exclude wins over include', ['/**'], ['/checkout/**'], '/checkout/payment', false],
    ['exclude wins even when the include is the exact page', ['/checkout'], ['/checkout'], '/checkout', false],
    ['exclude of the folder glob covers the folder itself', ['/**'], ['/checkout/**'], '/checkout', false],
    ['an exclude elsewhere does not hide this page', ['/**'], ['/checkout/**'], '/cart', true],
    ['exclude /cart also hides /cart/', ['/**'], ['/cart'], '/cart/', false],
    ['exclude /cart/ also hides /cart', ['/**'], ['/cart/'], '/cart', false],
    ['an exclude alone never shows anything', [], ['/checkout'], '/cart', false],
  ];

  it.each(cases)('%s', (_spec, include, exclude, path, expected) => {
    expect(matchesPages({ include, exclude }, path)).toBe(expected);
  });
});

describe('normalisePath', () => {
  const cases: [spec: string, path: string, expected: string][] = [
    ['drops a trailing slash', '/cart/', '/cart'],
    ['keeps a path without one', '/cart', '/cart'],
    ['keeps the home page', '/', '/'],
    ['keeps inner slashes', '/a/b/', '/a/b'],
    ['drops repeated trailing slashes', '/cart//', '/cart'],
  ];

  it.each(cases)('%s: %s → %s', (_spec, path, expected) => {
    expect(normalisePath(path)).toBe(expected);
  });
});

describe('eventPath', () => {
  const path = (href: string) => eventPath(new URL(href, 'https://shop.example'));
  const cases: [spec: string, href: string, expected: string][] = [
    ['a path without a query stays as it is', '/products/shoes', '/products/shoes'],
    ['keeps utm_* parameters', '/?utm_source=news&utm_campaign=july', '/?utm_source=news&utm_campaign=july'],
    ['drops an email', '/thanks?email=ana%40example.com', '/thanks'],
    ['drops a token', '/reset?token=s3cr3t', '/reset'],
    [
      'keeps only utm_*, in their original order',
      '/p?utm_medium=email&email=ana%40example.com&token=x&utm_source=news&ref=a',
      '/p?utm_medium=email&utm_source=news',
    ],
    ['a query with nothing to keep leaves no "?"', '/p?q=shoes&page=2', '/p'],
    ['an empty query leaves no "?"', '/p?', '/p'],
    ['the fragment is not part of the path', '/p?utm_source=x#reviews', '/p?utm_source=x'],
    ['utm is matched as a prefix with underscore: utmost is dropped', '/p?utmost=1&utm_term=a', '/p?utm_term=a'],
    ['a repeated utm parameter keeps every value', '/p?utm_tag=a&utm_tag=b', '/p?utm_tag=a&utm_tag=b'],
  ];

  it.each(cases)('%s', (_spec, href, expected) => {
    expect(path(href)).toBe(expected);
  });

  it('never leaks the value of a non-utm parameter', () => {
    const out = path('/checkout?email=ana%40example.com&session_token=abc123&utm_source=news');
    expect(out).not.toMatch(/ana|example|abc123|email|token/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Laws

const segment = fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9._~+()$^|\[\]-]{1,12}$/));
const path = fc.array(segment, { maxLength: 6 }).map((segs) => '/' + segs.join('/'));

describe('laws', () => {
  test.prop([path])('/** matches every path that starts with "/"', (p) => {
    expect(matches('/**', p)).toBe(true);
  });

  test.prop([fc.string().map((s) => '/' + s)])('/** matches any string starting with "/"', (p) => {
    expect(matches('/**', p)).toBe(true);
  });

  // Slash-heavy strings, so runs of trailing slashes actually come up.
  const slashy = fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('/', 'a', '.') }));

  test.prop([slashy])('normalisePath is idempotent', (p) => {
    expect(normalisePath(normalisePath(p))).toBe(normalisePath(p));
  });

  test.prop([path])('a glob without wildcards matches exactly its own page', (p) => {
    fc.pre(!p.includes('*'));
    expect(matches(p, p)).toBe(true);
    expect(matches(p, p + '/more')).toBe(false);
  });

  test.prop([path, path])('excluding a page hides it whatever is included', (p, inc) => {
    fc.pre(!p.includes('*'));
    expect(matchesPages({ include: ['/**', inc], exclude: [p] }, p)).toBe(false);
  });

  test.prop([path])('a trailing slash never changes the answer', (p) => {
    for (const glob of ['/**', '/products/*', '/products/**', '/cart', p]) {
      expect(matches(glob, p + '/')).toBe(matches(glob, p));
    }
  });
});
