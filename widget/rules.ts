// Targeting rules, pure: does this shopper, on this page, match a campaign's audience? No DOM, no storage, no
// clock: the page is read once into a RuleContext (context.ts) and rules are tested against it here. Ships in
// the first script, so it stays small and imports types only from the schema (never zod).
//
// The semantics (the spec; test/widget/rules.cases.ts holds them as a table):
//
// - A rule is an object; every key in it must hold (AND). `all: [rules]` holds when every rule holds, `any:
//   [rules]` when at least one does, `not: rule` when the rule does not. `segment: name` holds when the rule
//   `segments[name]` holds.
// - Every other key is a context field (`cart.value`, `traits.plan`, …; see `field`) with a condition: a value
//   (equals), a list (one of), or an object of operators that must all hold: eq, ne, in, not_in, gt, gte, lt,
//   lte, contains, not_contains, starts_with, ends_with, matches, regex, exists.
// - Fail closed. Each condition is true, false, or *unknown*, and a rule matches only when it is true:
//   - A field the page has no value for (missing, undefined or null) is unknown for every operator except
//     `exists`: `ne`, `not_in` and `not_contains` do not hold for a shopper whose country we do not know.
//   - A type mismatch is unknown too: numbers compare only with numbers ("50" is not 50, no coercion), text
//     only with text, true/false only with true/false (so 1 is not true).
//   - A broken part is unknown, and reported once (in debug mode): an unknown operator (a cached config from a
//     newer server), a pattern that does not compile, an unknown segment, segments that refer to each other
//     in a loop (or nest deeper than 16), anything that is not a rule.
//   - Unknown combines as in SQL: `not` of unknown is unknown (so `not` never opens a rule the page cannot
//     judge); `all` is false if any part is false, else unknown if any part is unknown; `any` is true if any
//     part is true, else unknown if any part is unknown. Without unknowns, `not` simply flips.
// - Text comparisons (eq, ne, in, not_in, contains, not_contains, starts_with, ends_with) ignore case;
//   `matches` (a path glob, as in `pages:`: `*` within a segment, `**` across) and `regex` (JavaScript syntax)
//   do not.
// - `exists: true` holds when the field has a value: not missing, not null, not empty text, not an empty list.
//   `exists: false` holds otherwise — the only condition a missing field satisfies.
// - On list fields (viewed.categories, cart.categories, …): a value, `eq` or `contains` means "the list
//   includes it"; a list of values or `in` means "includes any of them"; `ne`, `not_in` and `not_contains`
//   mean "includes none of them"; starts_with, ends_with, matches and regex hold when some item does; gt, gte,
//   lt and lte on a list are a type mismatch. Items of another type than the value never equal it.
import type { Rule } from '../server/schema';
import { matchesPages } from './pages';
import { report } from './safe';

export interface RuleContext {
  page: { path: string; url: string; query: Record<string, string> };
  referrer: { url: string; host: string };
  utm: { source?: string; medium?: string; campaign?: string; term?: string; content?: string };
  device: { type: 'mobile' | 'tablet' | 'desktop'; touch: boolean; viewport_width: number; viewport_height: number };
  visitor: { new: boolean; returning: boolean; sessions: number };
  session: { page_views: number };
  viewed: { categories: string[]; products: string[] };
  cart: { items: number; value: number; categories: string[] };
  orders: { count: number; total: number; categories: string[]; products: string[]; days_since_last?: number };
  traits: Record<string, string | number | boolean | null>;
  geo: { country?: string; region?: string; city?: string };
  /** From GET /v1/context when the config tests the weather; absent until (and unless) it answers. */
  weather?: { temp_c?: number; condition?: string; days: WeatherDay[] };
  locale: string;
  language: string;
  time: { hour: number; weekday: 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun' };
}

/** One day of the forecast as `weather:` rules see it (today first). */
export interface WeatherDay {
  max_temp_c: number;
  min_temp_c: number;
  precipitation_mm: number;
  condition: string;
}

type Scalar = string | number | boolean;
type Value = Scalar | readonly unknown[];

const has = (o: unknown, k: string): o is Record<string, unknown> =>
  o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);

/**
 * The value at a dotted key, or undefined when the page has none (null and objects count as none).
 * `page.query.<name>` and `traits.<name>` take everything after the prefix as one key: trait names may hold dots.
 */
export function field(ctx: RuleContext, key: string): Value | undefined {
  let v: unknown = ctx;
  for (const prefix of ['page.query.', 'traits.']) {
    if (key.startsWith(prefix)) {
      const parent = prefix[0] === 'p' ? ctx.page?.query : ctx.traits;
      v = has(parent, key.slice(prefix.length)) ? parent[key.slice(prefix.length)] : undefined;
      return value(v);
    }
  }
  for (const part of key.split('.')) v = has(v, part) ? v[part] : undefined;
  return value(v);
}

const value = (v: unknown): Value | undefined =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && !Number.isNaN(v)) || Array.isArray(v)
    ? (v as Value)
    : undefined;

// ---------------------------------------------------------------------------------------------------------

/** true, false, or unknown (U). */
type Tri = boolean | typeof U;
const U = 2;

interface State {
  ctx: RuleContext;
  segments: Record<string, Rule>;
  /** Segments being evaluated, outermost first: a loop guard. */
  stack: string[];
  depth: number;
  /** Build reasons (explain) or not (evaluate). */
  why: boolean;
  /** The reason for the last result, when `why`. */
  r: string;
}

/** Does `rule` hold for `ctx`? Never throws; anything it cannot judge is false. */
export function evaluate(rule: Rule, ctx: RuleContext, segments: Record<string, Rule> = {}): boolean {
  return run(rule, ctx, segments, false).ok;
}

/**
 * Like `evaluate`, with the reason in words (for debug mode): when it fails, the first condition that failed,
 * e.g. `cart.value is 20, not ≥ 50` or `segment "big-spenders": orders.count is 0, not ≥ 3`; when it holds,
 * the conditions that held.
 */
export function explain(rule: Rule, ctx: RuleContext, segments: Record<string, Rule> = {}): { ok: boolean; reason: string } {
  return run(rule, ctx, segments, true);
}

function run(rule: unknown, ctx: RuleContext, segments: Record<string, Rule>, why: boolean): { ok: boolean; reason: string } {
  const s: State = { ctx, segments: segments ?? {}, stack: [], depth: 0, why, r: '' };
  try {
    return { ok: ruleOf(rule, s) === true, reason: s.r };
  } catch (e) {
    report('rules', e);
    return { ok: false, reason: 'the rule could not be evaluated' };
  }
}

/** A broken part: unknown, reported once. */
function broken(s: State, message: string): Tri {
  report('rules', message);
  s.r = message;
  return U;
}

/** AND over parts (all, and the keys of one rule): false wins, then unknown. */
function every(parts: readonly unknown[], s: State, test: (part: any) => Tri): Tri {
  let out: Tri = true;
  let reason = '';
  const held: string[] = [];
  for (const part of parts) {
    const t = test(part);
    if (t === false) return false;
    if (t === U && out === true) (out = U), (reason = s.r);
    else if (t === true && s.why) held.push(s.r);
  }
  s.r = out === U ? reason : [...new Set(held)].join('; ');
  return out;
}

function ruleOf(rule: unknown, s: State): Tri {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return broken(s, `not a rule: ${String(JSON.stringify(rule)).slice(0, 60)}`);
  const keys = Object.keys(rule);
  if (keys.length === 0) return broken(s, 'an empty rule');
  if (++s.depth > 64) return broken(s, 'a rule nested too deep');
  try {
    return every(keys, s, (key: string) => part(key, (rule as Record<string, unknown>)[key], s));
  } finally {
    s.depth--;
  }
}

function part(key: string, arg: unknown, s: State): Tri {
  if (key === 'all' || key === 'any') {
    if (!Array.isArray(arg) || arg.length === 0) return broken(s, `"${key}" needs a list of rules`);
    if (key === 'all') return every(arg, s, (r) => ruleOf(r, s));
    let out: Tri = false;
    const failed: string[] = [];
    for (const r of arg) {
      const t = ruleOf(r, s);
      if (t === true) return true;
      if (t === U) out = U;
      failed.push(s.r);
    }
    if (s.why) s.r = failed.length > 1 ? `none of these holds: ${failed.join('; ')}` : failed[0]!;
    return out;
  }
  if (key === 'not') {
    const t = ruleOf(arg, s);
    if (t === true && s.why) s.r = `ruled out by "not": ${s.r}`;
    return t === U ? U : !t;
  }
  if (key === 'segment') {
    if (typeof arg !== 'string') return broken(s, '"segment" needs a segment name');
    const name = JSON.stringify(arg);
    if (!has(s.segments, arg)) return broken(s, `unknown segment ${name}`);
    if (s.stack.includes(arg)) return broken(s, `segments refer to each other in a loop: ${[...s.stack, arg].join(' → ')}`);
    if (s.stack.length >= 16) return broken(s, `segments nested more than 16 deep at ${name}`);
    s.stack.push(arg);
    try {
      const t = ruleOf(s.segments[arg], s);
      if (s.why) s.r = `segment ${name}: ${s.r}`;
      return t;
    } finally {
      s.stack.pop();
    }
  }
  if (key === 'weather') return weather(arg, s);
  return condition(key, field(s.ctx, key), arg, s);
}

/** What a `weather:` rule may test about one day; precipitation means at least 1 mm, snow includes sleet. */
const DAY: Record<string, (d: WeatherDay) => Value> = {
  max_temp_c: (d) => d.max_temp_c,
  min_temp_c: (d) => d.min_temp_c,
  precipitation_mm: (d) => d.precipitation_mm,
  precipitation: (d) => d.precipitation_mm >= 1,
  snow: (d) => d.condition === 'snow' || d.condition === 'sleet',
  condition: (d) => d.condition,
};

/**
 * `weather: { within_days: 3, max_temp_c: { gte: 25 } }`: true when on some day among the first `within_days`
 * of the forecast (today is day 1) every condition holds; false when no day does; unknown without a forecast.
 */
function weather(arg: unknown, s: State): Tri {
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) return broken(s, '"weather" needs conditions, e.g. { within_days: 3, max_temp_c: { gte: 25 } }');
  const { within_days: n = 1, ...conds } = arg as Record<string, unknown>;
  const keys = Object.keys(conds);
  if (typeof n !== 'number' || !(n >= 1 && n <= 7)) return broken(s, 'weather: within_days must be 1–7');
  if (!keys.length) return broken(s, 'weather: no condition given');
  const unknown = keys.find((k) => !(k in DAY));
  if (unknown) return broken(s, `weather: unknown field "${unknown}"`);
  const days = (s.ctx.weather?.days ?? []).slice(0, n);
  if (!days.length) {
    s.r = 'no weather forecast';
    return U;
  }
  let out: Tri = false;
  let reason = '';
  for (const [i, d] of days.entries()) {
    const t = every(keys, s, (k: string) => condition('weather.' + k, DAY[k]!(d), conds[k], s));
    const when = i ? `in ${i} day${i > 1 ? 's' : ''}` : 'today';
    if (t === true) {
      if (s.why) s.r = `${when}: ${s.r}`;
      return true;
    }
    if (t === U) out = U;
    if (!reason) reason = s.r;
  }
  if (s.why) s.r = out === U ? reason : `not on any of the next ${n} day${n > 1 ? 's' : ''} (today: ${reason})`;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Conditions on one field

const isScalar = (a: unknown): a is Scalar => typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean';
const lower = (a: Scalar) => (typeof a === 'string' ? a.toLowerCase() : a);
/** Same type and equal; text ignoring case. undefined: not comparable. */
const same = (v: unknown, a: Scalar): boolean | undefined => (typeof v === typeof a ? lower(v as Scalar) === lower(a) : undefined);

const regexes = new Map<string, RegExp | null>();
function regex(src: string): RegExp | null {
  let re = regexes.get(src);
  if (re === undefined) {
    try {
      re = new RegExp(src);
    } catch {
      re = null;
    }
    regexes.set(src, re);
  }
  return re;
}

/** Text tests, for text values only; [name, test]. */
const TEXT: Record<string, (v: string, a: string) => boolean> = {
  contains: (v, a) => v.toLowerCase().includes(a.toLowerCase()),
  not_contains: (v, a) => !v.toLowerCase().includes(a.toLowerCase()),
  starts_with: (v, a) => v.toLowerCase().startsWith(a.toLowerCase()),
  ends_with: (v, a) => v.toLowerCase().endsWith(a.toLowerCase()),
  matches: (v, a) => matchesPages({ include: [a], exclude: [] }, v),
  regex: (v, a) => regex(a)!.test(v),
};

const NUMERIC: Record<string, (v: number, a: number) => boolean> = {
  gt: (v, a) => v > a,
  gte: (v, a) => v >= a,
  lt: (v, a) => v < a,
  lte: (v, a) => v <= a,
};

/** Why an operator failed, in words, after "<field> is <value>, ": [on a value, on a list]; # is the operand. */
const FAIL: Record<string, [string, string]> = {
  eq: ['not #', 'which does not include #'],
  ne: ['which the rule excludes', 'which includes #'],
  in: ['not one of #', 'which includes none of #'],
  not_in: ['which the rule excludes (#)', 'which includes one of #'],
  contains: ['which does not contain #', 'which does not include #'],
  not_contains: ['which contains #', 'which includes #'],
  starts_with: ['which does not start with #', 'none of which starts with #'],
  ends_with: ['which does not end with #', 'none of which ends with #'],
  matches: ['which does not match #', 'none of which matches #'],
  regex: ['which does not match the pattern #', 'none of which matches the pattern #'],
  gt: ['not > #', ''],
  gte: ['not ≥ #', ''],
  lt: ['not < #', ''],
  lte: ['not ≤ #', ''],
};

function condition(key: string, v: Value | undefined, cond: unknown, s: State): Tri {
  if (isScalar(cond)) return op(key, v, 'eq', cond, s);
  if (Array.isArray(cond)) return op(key, v, 'in', cond, s);
  if (cond === null || typeof cond !== 'object') return broken(s, `${key}: not a condition: ${JSON.stringify(cond)}`);
  const ops = Object.keys(cond);
  if (ops.length === 0) return broken(s, `${key}: no operator given`);
  return every(ops, s, (o: string) => op(key, v, o, (cond as Record<string, unknown>)[o], s));
}

function op(key: string, v: Value | undefined, o: string, a: unknown, s: State): Tri {
  if (o === 'exists') {
    if (typeof a !== 'boolean') return broken(s, `${key}: "exists" needs true or false`);
    const present = v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);
    if (s.why) s.r = present ? `${key} has a value (${show(v)})` : `${key} has no value`;
    return present === a;
  }
  if (!(o in FAIL)) return broken(s, `${key}: unknown operator "${o}"`);
  if (o === 'regex' && typeof a === 'string' && !regex(a)) return broken(s, `${key}: the pattern ${JSON.stringify(a)} is not a valid regular expression`);
  if ((o === 'in' || o === 'not_in') && !Array.isArray(a)) return broken(s, `${key}: "${o}" needs a list`);
  if (v === undefined) {
    if (s.why) s.r = `${key} has no value`;
    return U;
  }
  const list = Array.isArray(v);
  const t = list ? onList(v as readonly unknown[], o, a) : onValue(v as Scalar, o, a);
  if (s.why) {
    const shown = `${key} is ${show(v)}`;
    const operand = Array.isArray(a) ? a.join(', ') : typeof a === 'string' && o !== 'matches' ? JSON.stringify(a) : String(a);
    s.r =
      t === true
        ? shown
        : t === false
          ? `${shown}, ${FAIL[o]![list ? 1 : 0].replace('#', operand)}`
          : `${shown} (${kind(v)}), which cannot be compared with ${show(a as Value)} (${kind(a)})`;
  }
  return t;
}

/** One value against one operator: a type mismatch is unknown. */
function onValue(v: Scalar, o: string, a: unknown): Tri {
  if (o === 'eq' || o === 'ne' || o === 'in' || o === 'not_in') {
    // Candidates of another type are not comparable; when none is, the condition is unknown.
    let found = false;
    let comparable = false;
    for (const c of o === 'in' || o === 'not_in' ? (Array.isArray(a) ? a : []) : [a]) {
      const eq = isScalar(c) ? same(v, c) : undefined;
      if (eq !== undefined) comparable = true;
      if (eq) found = true;
    }
    if (!comparable) return U;
    return o === 'eq' || o === 'in' ? found : !found;
  }
  if (o in NUMERIC) return typeof v === 'number' && typeof a === 'number' ? NUMERIC[o]!(v, a) : U;
  return typeof v === 'string' && typeof a === 'string' ? TEXT[o]!(v, a) : U;
}

/** A list field: includes, includes any, includes none; text tests hold when some item passes. */
function onList(items: readonly unknown[], o: string, a: unknown): Tri {
  if (o in NUMERIC) return U;
  const wanted = o === 'in' || o === 'not_in' ? (Array.isArray(a) ? a : []) : [a];
  if (!wanted.every(isScalar)) return U;
  if (o === 'eq' || o === 'in' || o === 'contains') return items.some((i) => wanted.some((w) => same(i, w)));
  if (o === 'ne' || o === 'not_in' || o === 'not_contains') return !items.some((i) => wanted.some((w) => same(i, w)));
  return typeof a === 'string' ? items.some((i) => typeof i === 'string' && TEXT[o]!(i, a)) : U;
}

const kind = (v: unknown) =>
  Array.isArray(v) ? 'a list' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'true/false' : 'text';

/** A value as the marketer wrote it: text quoted, lists bracketed (at most 5 items). */
function show(v: Value | undefined): string {
  if (Array.isArray(v)) return `[${v.slice(0, 5).join(', ')}${v.length > 5 ? ', …' : ''}]`;
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  return String(v);
}
