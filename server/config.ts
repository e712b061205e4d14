// kairos.yaml (or .json) → validated config → the public config browsers get. Every problem comes back as
// `file:line:col path: message`, worded for the marketer who edits the file.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type ParsedNode,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { z } from 'zod';
import { StaticForecast } from './context/weather/static';
import { poolPath, readPool } from './offers';
import { Condition, KairosConfig, Operators, RULE_FIELDS, type Campaign, type OmitEach, type PublicCampaign, type PublicConfig, type Rule } from './schema';
import { InvalidDateTime, zonedToUtc } from './time';

export interface ConfigError {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** e.g. `campaigns[0].content.text`; empty for syntax errors. */
  path: string;
  message: string;
}

export type ConfigResult =
  | { ok: true; config: KairosConfig; public: PublicConfig; etag: string }
  | { ok: false; errors: ConfigError[] };

type PathSegment = string | number;
type Doc = Document.Parsed<ParsedNode, true>;

// ---------------------------------------------------------------------------------------------------------
// Parsing

export function parseConfig(source: string, file: string): ConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, {
    lineCounter: lines,
    prettyErrors: false,
    // Pinned so a `%YAML 1.1` directive cannot bring back `NO` → false and `22:30` → 1350.
    schema: 'core',
    logLevel: 'silent',
  });
  const at = (offset: number, path: string, message: string): ConfigError => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col, path, message };
  };

  if (doc.errors.length > 0) {
    const json = source.trimStart().startsWith('{') ? jsonSyntaxError(source) : undefined;
    if (json) return fail([at(json.offset, '', json.message)]);
    // An unclosed quote swallows the rest of the file, so whatever yaml reports after it is noise.
    const quote = doc.errors.find(isUnclosedQuote);
    const errors = quote ? doc.errors.filter((e) => e === quote || e.pos[0] < quote.pos[0]) : doc.errors;
    return fail(errors.map((e) => syntaxError(e, doc, source, at)));
  }
  if (doc.contents === null) return fail([at(0, '', 'the file is empty; it needs at least "campaigns:"')]);

  const aliasErrors: ConfigError[] = [];
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) === undefined)
        aliasErrors.push(at(node.range?.[0] ?? 0, '', `unknown alias *${node.source}; define &${node.source} before using it`));
    },
  });
  if (aliasErrors.length > 0) return fail(aliasErrors);

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    return fail([at(0, '', e instanceof Error ? e.message : String(e))]);
  }

  const parsed = KairosConfig.safeParse(data);
  if (!parsed.success) return fail(parsed.error.issues.flatMap((issue) => issueErrors(issue, doc, data, at)));

  const semantic = semanticErrors(parsed.data, doc, at, file);
  if (semantic.length > 0) return fail(semantic);

  const pub = compile(parsed.data);
  return { ok: true, config: parsed.data, public: pub, etag: `"${pub.version}"` };
}

export async function loadConfigFile(file: string): Promise<ConfigResult> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (e) {
    return fail([{ file, line: 1, col: 1, path: '', message: readErrorMessage(e) }]);
  }
  return parseConfig(source, file);
}

export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.col} ${e.path ? `${e.path}: ` : ''}${e.message}`;
}

function fail(errors: ConfigError[]): ConfigResult {
  const sorted = [...errors].sort((a, b) => a.line - b.line || a.col - b.col);
  return { ok: false, errors: sorted };
}

function readErrorMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied: cannot read the file';
  return `cannot read the file: ${e instanceof Error ? e.message : String(e)}`;
}

type At = (offset: number, path: string, message: string) => ConfigError;

function syntaxError(e: YAMLError, doc: Doc, source: string, at: At): ConfigError {
  let offset = e.pos[0];
  let message = e.message;

  if (isUnclosedQuote(e)) {
    // yaml reports an unclosed quote where the file ends; the quote that opened it is what needs fixing.
    const quote = message.includes('"') ? '"' : "'";
    const opened = quotedScalarEndingAt(doc, offset, quote === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE');
    if (opened !== undefined) offset = opened;
    message = `missing the closing ${quote} for the quote that starts here`;
  } else if (e.code === 'DUPLICATE_KEY') {
    message = `duplicate key ${JSON.stringify(keyTextAt(doc, offset) ?? '')}: each key may appear once per mapping`;
  } else if (e.code === 'TAB_AS_INDENT' || (e.code === 'BAD_INDENT' && /\t/.test(indentationAt(source, offset)))) {
    // A tab after some spaces is reported as a misaligned item; the tab is what to fix.
    message = 'tabs are not allowed for indentation; use spaces';
  } else if (e.code === 'BAD_INDENT' || e.code === 'MISSING_CHAR') {
    message = `bad indentation: ${lowerFirst(message)}`;
  } else {
    message = lowerFirst(message);
  }

  // yaml often points at the start of the line; the first character on it is where the eye should go.
  while (offset < source.length && (source[offset] === ' ' || source[offset] === '\t')) offset++;
  return at(offset, '', message);
}

/** The spaces and tabs that start the line `offset` is on. */
function indentationAt(source: string, offset: number): string {
  const start = source.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(source.slice(start))![0];
}

/**
 * For a file written as JSON, JSON.parse words syntax errors in JSON's terms ("expected ',' or '}'") where
 * yaml would talk about flow collections. Only used when it gives a position.
 */
function jsonSyntaxError(source: string): { offset: number; message: string } | undefined {
  try {
    JSON.parse(source);
    return undefined;
  } catch (e) {
    const m = e instanceof SyntaxError ? /^(.*) in JSON at position (\d+)/.exec(e.message) : null;
    // An unterminated string is reported where the file ends; yaml's path finds the opening quote.
    if (!m?.[1] || !m[2] || m[1].startsWith('Unterminated string')) return undefined;
    return { offset: Number(m[2]), message: lowerFirst(m[1]) };
  }
}

function isUnclosedQuote(e: YAMLError): boolean {
  return e.code === 'MISSING_CHAR' && /closing .quote/.test(e.message);
}

function quotedScalarEndingAt(doc: Doc, end: number, type: 'QUOTE_DOUBLE' | 'QUOTE_SINGLE'): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if (node.type === type && node.range && node.range[0] < end && node.range[1] >= end - 1) start = node.range[0];
    },
  });
  return start;
}

function keyTextAt(doc: Doc, offset: number): string | undefined {
  let text: string | undefined;
  visit(doc, {
    Pair(_key, pair) {
      const k = pair.key;
      if (isScalar(k) && k.range?.[0] === offset) text = String(k.value);
    },
  });
  return text;
}

// ---------------------------------------------------------------------------------------------------------
// Positions: a zod path → the YAML node it came from

interface Located {
  /** Offset of the node itself or, when it is missing, of the nearest ancestor (its key when it has one). */
  offset: number;
  /** The mapping at the end of the path, when there is one. */
  map?: YAMLMap;
}

function asMap(node: unknown): YAMLMap | undefined {
  return isMap(node) ? node : undefined;
}

function locate(doc: Doc, path: readonly PropertyKey[]): Located {
  let node: unknown = doc.contents;
  let keyOffset: number | undefined;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let nextKeyOffset: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyName(p.key) === String(segment));
      if (pair) {
        next = pair.value;
        nextKeyOffset = rangeStart(pair.key);
        if (next === null || next === undefined) return { offset: nextKeyOffset ?? 0 };
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    }
    if (next === undefined) return { offset: keyOffset ?? rangeStart(node) ?? 0, map: asMap(node) };
    node = next;
    keyOffset = nextKeyOffset;
  }
  // An empty value (`text:`) has a zero-length range after the colon; the key is the better place.
  const emptyScalar = isScalar(node) && node.value === null && node.range && node.range[0] === node.range[1];
  const offset = emptyScalar ? (keyOffset ?? rangeStart(node)) : rangeStart(node);
  return { offset: offset ?? 0, map: asMap(isAlias(node) ? node.resolve(doc) : node) };
}

function keyName(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    return range?.[0];
  }
  return undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    // Dotted rule fields read as the marketer wrote them: campaigns[0].audience.cart.value
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$.-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Messages: a zod issue → one or more ConfigErrors

function issueErrors(issue: z.core.$ZodIssue, doc: Doc, data: unknown, at: At): ConfigError[] {
  const path = issue.path;

  /** Where the key `key` of the mapping at `parentPath` is written. */
  const keyAt = (parentPath: readonly PropertyKey[], key: string): number => {
    const parent = locate(doc, parentPath);
    return rangeStart(parent.map?.items.find((p) => keyName(p.key) === key)?.key) ?? parent.offset;
  };

  if (issue.code === 'unrecognized_keys') {
    const schema = schemaAt(path, data);
    const known = keysOf(schema);
    // In a plain union of mappings (a coupon: code or pool), a near miss of another option's key is suggested too.
    const union = schemaAt(path, data, true)?._zod.def as { type?: string; options?: z.core.$ZodType[]; discriminator?: string } | undefined;
    const others = union?.type === 'union' && !union.discriminator ? (union.options ?? []).flatMap(keysOf) : [];
    const what = schema === Operators ? 'operator' : 'key';
    return issue.keys.map((key) => {
      const suggestion = closest(key, known) ?? closest(key, others);
      const hint = suggestion ? `did you mean "${suggestion}"?` : known.length ? `use one of: ${known.join(', ')}` : '';
      return at(keyAt(path, key), formatPath(path), `unknown ${what} "${key}"${hint ? `; ${hint}` : ''}`);
    });
  }

  // A targeting rule names a field the widget does not know (schema.ts marks the issue): point at the key.
  const unknownField = issue.code === 'custom' ? (issue.params as { unknownField?: unknown } | undefined)?.unknownField : undefined;
  if (typeof unknownField === 'string') {
    const candidates = [...Object.keys(RULE_FIELDS).filter((f) => !f.includes('<')), 'all', 'any', 'not', 'segment', 'weather'];
    const suggestion = closest(unknownField, candidates);
    const families = [...new Set(Object.keys(RULE_FIELDS).map((f) => (f.includes('.') ? `${f.slice(0, f.indexOf('.'))}.…` : f)))];
    const hint = suggestion
      ? ` (did you mean "${suggestion}"?)`
      : `; use a field of ${families.join(', ')}, or all, any, not, segment, weather (see "Targeting" in the README)`;
    return [at(keyAt(path.slice(0, -1), unknownField), formatPath(path), `unknown field "${unknownField}"${hint}`)];
  }

  // A record key that breaks its rule (a segment named "Big Spenders"): point at the key.
  if (issue.code === 'invalid_key') {
    const key = String(path.at(-1));
    const reasons = issue.issues.map((i) => i.message).join('; ');
    return [at(keyAt(path.slice(0, -1), key), formatPath(path.slice(0, -1)), `invalid name "${key}": ${reasons}`)];
  }

  // A plain union (a condition, frequency, a coupon, a countdown) where an option got past the type check: the
  // problem of the option that fits what was written is the one to show, e.g. `gte: "50"` → `…cart.value.gte:
  // expected a number, got "50"`, and `coupon: { pool: 5 }` → `…coupon.pool: expected text`, not "missing code".
  if (issue.code === 'invalid_union' && !discriminatorOf(issue)) {
    const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
    const branch = closestBranch(branches, lookup(data, path).value);
    if (branch) {
      const alternatives = branches.filter((b) => b !== branch).flatMap((b) => b.flatMap(expectedTypes));
      return branch.flatMap((inner) => {
        const errors = issueErrors({ ...inner, path: [...path, ...inner.path] } as z.core.$ZodIssue, doc, data, at);
        // `frequency: twice` → the allowed words, and the other shapes the field takes.
        if (inner.code === 'invalid_value' && inner.path.length === 0 && alternatives.length)
          for (const e of errors) e.message += `, or ${alternatives.map(expectedWords).join(', or ')}`;
        return errors;
      });
    }
  }

  const { offset } = locate(doc, path);
  const value = lookup(data, path);

  const disc = discriminatorOf(issue);
  if (disc && !value.present) {
    // A campaign without `type` usually has it misspelled; point at the misspelling.
    const siblings = lookup(data, path.slice(0, -1)).value;
    const typo = siblings && typeof siblings === 'object' ? closest(disc.field, Object.keys(siblings)) : undefined;
    if (typo !== undefined) {
      const pair = locate(doc, path.slice(0, -1)).map?.items.find((p) => keyName(p.key) === typo);
      const message = `missing "${disc.field}" (is "${typo}" a typo?); use one of: ${disc.options.join(', ')}`;
      return [at(rangeStart(pair?.key) ?? offset, formatPath(path), message)];
    }
  }
  return [at(offset, formatPath(path), issueMessage(issue, value, data))];
}

function issueMessage(issue: z.core.$ZodIssue, value: Lookup, data: unknown): string {
  switch (issue.code) {
    case 'invalid_union': {
      const disc = discriminatorOf(issue);
      if (!disc) {
        const got = value.present ? show(value.value) : 'nothing';
        if (schemaAt(issue.path, data, true) === Condition)
          return `expected a value, a list of values, or operators such as { gte: 2 }; got ${got}`;
        const expected = [...new Set(((issue as { errors?: z.core.$ZodIssue[][] }).errors ?? []).flat().flatMap(expectedTypes))];
        return expected.length ? `expected ${expected.map(expectedWords).join(' or ')}; got ${got}` : issue.message;
      }
      const { field, options } = disc;
      const list = `use one of: ${options.join(', ')}`;
      if (!value.present || value.value === null) return `missing "${field}"; ${list}`;
      const suggestion = typeof value.value === 'string' ? closest(value.value, options) : undefined;
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
      return `unknown ${field} ${show(value.value)}${hint}; ${list}`;
    }
    case 'invalid_type': {
      if (!value.present) return `missing required field "${String(issue.path.at(-1))}"`;
      return `expected ${expectedWords(issue.expected)}, got ${show(value.value)}`;
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      if (options.length === 1) return `must be ${options[0]}, got ${show(value.value)}`;
      const suggestion = typeof value.value === 'string' ? closest(value.value, options) : undefined;
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
      return `${show(value.value)} is not allowed${hint}; use one of: ${options.join(', ')}`;
    }
    case 'too_small': {
      const n = Number(issue.minimum);
      if (issue.origin === 'string') return n <= 1 ? 'must not be empty' : `must be at least ${n} characters`;
      if (issue.origin === 'array' || issue.origin === 'set')
        return n <= 1 ? 'must not be empty' : `needs at least ${n} items`;
      return issue.inclusive === false ? `must be greater than ${n}` : `must be at least ${n}`;
    }
    case 'too_big': {
      const n = Number(issue.maximum);
      if (issue.origin === 'string') {
        const length = typeof value.value === 'string' ? ` (it has ${value.value.length})` : '';
        return `must be at most ${n} characters${length}`;
      }
      if (issue.origin === 'array' || issue.origin === 'set') return `must have at most ${n} items`;
      return issue.inclusive === false ? `must be less than ${n}` : `must be at most ${n}`;
    }
    case 'custom': {
      // The schema words its own refinements; a mistyped zone is common enough to deserve a suggestion.
      if (issue.path.at(-1) === 'timezone' && typeof value.value === 'string') {
        const suggestion = closest(value.value, timeZones());
        if (suggestion) return `${issue.message}; did you mean "${suggestion}"?`;
      }
      return issue.message;
    }
    default:
      return issue.message;
  }
}

/**
 * The option of a plain union that the value was most likely meant for: not one that rejected it for its type
 * alone (a literal or a list of words offered a mapping or a list counts as that too), and among the rest the one
 * with the fewest unknown and missing keys at the top (so `{ every: { time: "25:00" } }` is a recurring countdown
 * with a bad time, not a fixed one missing its deadline); the first on a tie.
 */
function closestBranch(branches: z.core.$ZodIssue[][], value: unknown): z.core.$ZodIssue[] | undefined {
  const fitting = branches.filter((b) => !b.every(isTypeMismatch));
  const isCollection = value !== null && typeof value === 'object';
  const shaped = fitting.filter((b) => !(isCollection && b.every((i) => i.path.length === 0 && i.code === 'invalid_value')));
  const candidates = shaped.length ? shaped : fitting;
  const misfit = (b: z.core.$ZodIssue[]) =>
    b.reduce((n, i) => {
      if (i.code === 'unrecognized_keys' && i.path.length === 0) return n + i.keys.length;
      const key = i.path[0];
      const missing = i.code === 'invalid_type' && i.path.length === 1 && isCollection && key !== undefined && !Object.hasOwn(value as object, key);
      return missing ? n + 1 : n;
    }, 0);
  let best: z.core.$ZodIssue[] | undefined;
  let bestScore = Infinity;
  for (const b of candidates) {
    const score = misfit(b);
    if (score < bestScore) [best, bestScore] = [b, score];
  }
  return best;
}

/** An option of a union that rejected the value for its type alone (so another option is what was meant). */
function isTypeMismatch(issue: z.core.$ZodIssue): boolean {
  if (issue.path.length > 0) return false;
  if (issue.code === 'invalid_type') return true;
  const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors;
  return issue.code === 'invalid_union' && !discriminatorOf(issue) && !!branches && branches.every((b) => b.every(isTypeMismatch));
}

/** The types a union's type-mismatched options expected: ["string", "number", "boolean", "array"]. */
function expectedTypes(issue: z.core.$ZodIssue): string[] {
  if (issue.path.length > 0) return [];
  if (issue.code === 'invalid_type') return [issue.expected];
  return ((issue as { errors?: z.core.$ZodIssue[][] }).errors ?? []).flat().flatMap(expectedTypes);
}

/** zod 4 reports a failed discriminated union with the field and its allowed values (not in its types). */
function discriminatorOf(issue: z.core.$ZodIssue): { field: string; options: string[] } | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const { discriminator, options } = issue as { discriminator?: unknown; options?: unknown };
  if (typeof discriminator !== 'string' || !Array.isArray(options)) return undefined;
  return { field: discriminator, options: options.map(String) };
}

function expectedWords(expected: string): string {
  const words: Record<string, string> = {
    string: 'text',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping (key: value)',
  };
  return words[expected] ?? expected;
}

/** A value as a marketer would recognise it in their file. */
function show(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

interface Lookup {
  present: boolean;
  value: unknown;
}

function lookup(data: unknown, path: readonly PropertyKey[]): Lookup {
  let current: unknown = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment))
      return { present: false, value: undefined };
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return { present: true, value: current };
}

/**
 * The schema that applies at `path`, following defaults, arrays, records, an object's catchall (rule fields),
 * the campaign `type`, and the option of a plain union that fits the value's shape.
 */
function schemaAt(path: readonly PropertyKey[], data: unknown, keepUnion = false): z.core.$ZodType | undefined {
  let schema: z.core.$ZodType | undefined = KairosConfig;
  let current: unknown = data;
  for (const segment of path) {
    schema = unwrap(schema, current);
    if (!schema) return undefined;
    const def = schema._zod.def as z.core.$ZodTypeDef & {
      shape?: Record<string, z.core.$ZodType>;
      catchall?: z.core.$ZodType;
      element?: z.core.$ZodType;
      valueType?: z.core.$ZodType;
    };
    if (def.type === 'object') schema = def.shape?.[String(segment)] ?? def.catchall;
    else if (def.type === 'array') schema = def.element;
    else if (def.type === 'record') schema = def.valueType;
    else return undefined;
    current = current && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[segment] : undefined;
  }
  return unwrap(schema, current, keepUnion);
}

/** The keys an object schema allows. */
function keysOf(schema: z.core.$ZodType | undefined): string[] {
  const def = schema?._zod.def as { type?: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined, value: unknown, keepUnion = false): z.core.$ZodType | undefined {
  let s = schema;
  for (;;) {
    const def = s?._zod.def as
      | { type: string; innerType?: z.core.$ZodType; options?: z.core.$ZodType[]; discriminator?: string }
      | undefined;
    if (!def) return undefined;
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch'].includes(def.type)) {
      s = def.innerType;
    } else if (keepUnion && def.type === 'union') {
      return s;
    } else if (def.type === 'union' && def.options && !def.discriminator) {
      // A plain union (a rule condition: value, list or operators): the option of the value's shape, and of
      // several mappings (a coupon: code or pool) the one that knows most of the value's keys.
      const shape = Array.isArray(value) ? 'array' : value !== null && typeof value === 'object' ? 'object' : undefined;
      const options = def.options.filter((o) => o._zod.def.type === shape);
      const known = (o: z.core.$ZodType) => (shape === 'object' ? Object.keys(value as object).filter((k) => keysOf(o).includes(k)).length : 0);
      s = options.reduce<z.core.$ZodType | undefined>((best, o) => (best === undefined || known(o) > known(best) ? o : best), undefined);
      if (!s) return undefined;
    } else if (def.type === 'union' && def.options) {
      const disc = def.discriminator;
      const tag = disc && value && typeof value === 'object' ? (value as Record<string, unknown>)[disc] : undefined;
      s = def.options.find((o) => {
        const field = (o._zod.def as { shape?: Record<string, z.core.$ZodType> }).shape?.[disc ?? ''];
        return (field?._zod.def as { values?: unknown[] } | undefined)?.values?.includes(tag);
      });
      if (!s) return undefined;
    } else {
      return s;
    }
  }
}

let zones: string[] | undefined;
function timeZones(): string[] {
  zones ??= [...Intl.supportedValuesOf('timeZone'), 'UTC'];
  return zones;
}

/** The candidate within edit distance 2 (and close relative to the input's length), if any. */
function closest(input: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(2, Math.floor(input.length / 2));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && best !== input ? best : undefined;
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("txet" → "text" is 1). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const cell = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(cell(i - 1, j) + 1, cell(i, j - 1) + 1, cell(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, cell(i - 2, j - 2) + 1);
      d[i]![j] = v;
    }
  }
  return cell(a.length, b.length);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------------------
// Rules zod cannot see: they need the time-zone arithmetic.

function semanticErrors(config: KairosConfig, doc: Doc, at: At, file: string): ConfigError[] {
  const errors: ConfigError[] = [];
  const fail = (path: PathSegment[], message: string) => errors.push(at(locate(doc, path).offset, formatPath(path), message));

  // Every `segment:` names a defined segment, and segments do not refer to themselves in a loop.
  const known = Object.keys(config.segments);
  const checkRefs = (rule: Rule, path: PathSegment[]) =>
    visitSegmentRefs(rule, path, (name, at) => {
      if (!(name in config.segments)) {
        const suggestion = closest(name, known);
        fail(at, `unknown segment "${name}"` + (suggestion ? ` (did you mean "${suggestion}"?)` : known.length ? `; defined: ${known.join(', ')}` : '; define it under segments:'));
      }
    });
  for (const [name, rule] of Object.entries(config.segments)) {
    checkRefs(rule, ['segments', name]);
    const cycle = segmentCycle(name, config.segments);
    if (cycle) fail(['segments', name], `segments refer to each other in a loop: ${cycle.join(' → ')}`);
  }
  config.campaigns.forEach((c, i) => c.audience && checkRefs(c.audience, ['campaigns', i, 'audience']));

  // A coupon pool file exists and holds unique codes (it is read again when it changes; see server/offers.ts).
  config.campaigns.forEach((c, i) => {
    if (c.type !== 'exit_offer' || !('pool' in c.coupon)) return;
    try {
      readPool(poolPath(file, c.coupon.pool));
    } catch (e) {
      fail(['campaigns', i, 'coupon', 'pool'], e instanceof Error ? e.message : String(e));
    }
  });

  // Context files: the static forecast is readable and in the documented shape; the GeoIP database exists (it
  // is opened, and reopened when it changes, by server/context/geoip.ts).
  const beside = (f: string) => resolve(dirname(file), f);
  const weather = config.context.weather;
  if (weather.provider === 'static' && weather.file) {
    try {
      const parsed = StaticForecast.safeParse(JSON.parse(readFileSync(beside(weather.file), 'utf8')));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        fail(['context', 'weather', 'file'], `${weather.file}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      fail(['context', 'weather', 'file'], code ? `cannot read ${weather.file} (${code})` : `${weather.file} is not JSON: ${(e as Error).message}`);
    }
  }
  if (config.context.geoip_file && !existsSync(beside(config.context.geoip_file)))
    fail(['context', 'geoip_file'], `${config.context.geoip_file} does not exist (a DB-IP Lite or GeoLite2 City .mmdb file)`);

  config.campaigns.forEach((campaign, i) => {
    const schedule = campaign.schedule;
    if (!schedule) return;
    const instant = (field: 'start' | 'end'): number | undefined => {
      const local = schedule[field];
      if (local === undefined) return undefined;
      try {
        return zonedToUtc(local, schedule.timezone);
      } catch (e) {
        const path = ['campaigns', i, 'schedule', field];
        const message = e instanceof InvalidDateTime ? e.reason : e instanceof Error ? e.message : String(e);
        errors.push(at(locate(doc, path).offset, formatPath(path), message));
        return undefined;
      }
    };
    const start = instant('start');
    const end = instant('end');
    if (start !== undefined && end !== undefined && end <= start) {
      const path = ['campaigns', i, 'schedule', 'end'];
      errors.push(at(locate(doc, path).offset, formatPath(path), 'must be after start'));
    }
  });
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// Compiling: what browsers get

export function compile(config: KairosConfig): PublicConfig {
  const campaigns = config.campaigns
    .filter((c) => c.enabled)
    .map((campaign): PublicCampaign => {
      const { schedule, ...rest } = publicCampaign(campaign, config);
      const resolved = schedule && resolveSchedule(schedule);
      return (resolved ? { ...rest, schedule: resolved } : rest) as PublicCampaign;
    });
  const { consent, respect_dnt } = config.privacy;
  const body = { campaigns, segments: config.segments, fatigue: config.fatigue, cart: config.cart, privacy: { consent, respect_dnt }, preferences: config.preferences };
  return { version: contentHash(body), ...body };
}

/**
 * A campaign as browsers may see it (its schedule still as written): without the switch and auto_pause; an exit
 * offer without its coupons (its own and its variants') (codes are handed out one by one by POST /v1/offers/:id); a cart reminder kept off the cart and
 * checkout pages.
 */
export function publicCampaign(campaign: Campaign, config: KairosConfig): OmitEach<Campaign, 'enabled' | 'coupon' | 'auto_pause'> {
  const { enabled: _enabled, auto_pause: _autoPause, ...rest } = campaign;
  if (rest.type === 'exit_offer') {
    const { coupon: _coupon, ...offer } = rest;
    return offer.variants ? { ...offer, variants: offer.variants.map(({ coupon: _c, ...v }) => v) } : offer;
  }
  if (rest.type === 'cart_reminder') return { ...rest, pages: { ...rest.pages, exclude: [...rest.pages.exclude, ...config.cart.pages] } };
  if (rest.type === 'recent_purchases') return { ...rest, product_path: rest.product_path ?? config.presence.product_path };
  // "n viewing now" shows when the viewers trigger says so; every viewers trigger beats as presence says.
  const trigger = rest.type === 'viewing_now' ? { type: 'viewers' as const, min_count: rest.min_count } : rest.trigger;
  if (trigger.type === 'viewers') {
    const { interval_seconds, product_path } = config.presence;
    return { ...rest, trigger: { interval_seconds, product_path, ...trigger } } as typeof rest;
  }
  return rest;
}

function resolveSchedule(schedule: NonNullable<KairosConfig['campaigns'][number]['schedule']>) {
  const out: { start?: number; end?: number } = {};
  if (schedule.start !== undefined) out.start = zonedToUtc(schedule.start, schedule.timezone);
  if (schedule.end !== undefined) out.end = zonedToUtc(schedule.end, schedule.timezone);
  return out.start === undefined && out.end === undefined ? undefined : out;
}

/** First 16 hex chars of sha256 over canonical JSON, so key order in the source file does not matter. */
function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------------
// Editor support

/**
 * JSON Schema (draft-07, what yaml-language-server understands) describing what may be *written*: fields
 * with defaults are optional. Reference it from kairos.yaml with `# yaml-language-server: $schema=<url>`
 * or from kairos.json with `"$schema": "<url>"`.
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(KairosConfig, { io: 'input', target: 'draft-07' }) as Record<string, unknown>;
}

/** Calls `found` with each `segment:` name in `rule` and where it is. */
function visitSegmentRefs(rule: Rule, path: PathSegment[], found: (name: string, path: PathSegment[]) => void): void {
  if (typeof rule.segment === 'string') found(rule.segment, [...path, 'segment']);
  rule.all?.forEach((r, i) => visitSegmentRefs(r, [...path, 'all', i], found));
  rule.any?.forEach((r, i) => visitSegmentRefs(r, [...path, 'any', i], found));
  if (rule.not) visitSegmentRefs(rule.not, [...path, 'not'], found);
}

/** The loop `start` is part of, as names ending where they began, or undefined. */
function segmentCycle(start: string, segments: Record<string, Rule>): string[] | undefined {
  const walk = (name: string, trail: string[]): string[] | undefined => {
    const rule = segments[name];
    if (!rule) return undefined;
    let loop: string[] | undefined;
    visitSegmentRefs(rule, [], (ref) => {
      if (loop) return;
      if (ref === start) loop = [...trail, ref];
      else if (!trail.includes(ref)) loop = walk(ref, [...trail, ref]);
    });
    return loop;
  };
  return walk(start, [start]);
}
