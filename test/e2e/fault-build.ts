// A copy of the widget in which any function of any widget module can be made to throw, for
// fault-injection.spec.ts. The same two Vite builds as `npm run build` (vite.config.ts: the campaign UIs, then
// `--mode loader`), into a temp directory instead of dist/, plus one plugin that starts every function body in
// widget/ (declarations, expressions, arrows, methods, accessors) with
//
//   if (globalThis.__kairosFaultOn && globalThis.__kairosFaultOn(group, site)) throw new Error('kairos fault injected: ' + site)
//
// where `site` is `path:line:col` of the function in widget/ and `group` the module group below. The page decides
// (an init script defines __kairosFaultOn): without it the build behaves as the real one. widget/safe.ts, the error
// boundary under test, is left alone, and so is createEngine's own body (else every engine case would end at boot).
// Not minified, so that the stack of an escaped error names the functions it went through.
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { build, type Plugin } from 'vite';

const root = resolve(import.meta.dirname, '..', '..');
const widgetSrc = join(root, 'widget');

/** Module groups, by path under widget/ (first match wins). Every module but safe.ts belongs to one. */
const GROUPS: [group: string, test: RegExp][] = [
  ['render', /^(ui|campaigns)\/|^bucket\.ts$/],
  ['rules', /^(rules|eligibility|eligibility-words|context|server-context|pages|profile)\.ts$|^lazy\/targeting\.ts$/],
  ['storage', /^(storage|history)\.ts$/],
  ['identity', /^(identity|ids)\.ts$/],
  ['transport', /^(transport|config-client)\.ts$/],
  ['timers', /^triggers\/|^lazy\/(triggers|exit-intent|presence)\.ts$|^route\.ts$/],
  ['engine', /^(engine|kairos)\.ts$/],
  ['extras', /^lazy\/(cart|cmp|prefs|debug)\.ts$|^cart\/|^email\.ts$/],
];
/** Not instrumented: the boundary itself, and type declarations. */
const LEFT_ALONE = /^safe\.ts$|\.d\.ts$/;
/** Functions left without a check (by name): their throwing at once would only ever test the boot path. */
const UNCHECKED_FUNCTIONS = new Set(['createEngine']);

export const FAULT_GROUPS = [...new Set(GROUPS.map(([g]) => g))];

export function groupOf(rel: string): string | undefined {
  return GROUPS.find(([, test]) => test.test(rel))?.[0];
}

/** Every widget source file (path under widget/, with `/`) and its group; undefined for those left alone. */
export function widgetModules(): { rel: string; group: string | undefined }[] {
  const out: { rel: string; group: string | undefined }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.tsx?$/.test(name)) {
        const rel = relative(widgetSrc, file).split(sep).join('/');
        if (!LEFT_ALONE.test(rel)) out.push({ rel, group: groupOf(rel) });
      }
    }
  };
  walk(widgetSrc);
  return out;
}

export interface Site {
  /** `path:line:col` under widget/. */
  id: string;
  group: string;
}

/** Inserts the fault check at the start of every function body in `code` (TypeScript or TSX); returns the sites. */
export function instrument(code: string, rel: string, group: string): { code: string; sites: Site[] } {
  const sf = ts.createSourceFile(rel, code, ts.ScriptTarget.Latest, true, rel.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const edits: { at: number; text: string }[] = [];
  const sites: Site[] = [];
  const visit = (node: ts.Node): void => {
    const body = (node as ts.FunctionLikeDeclarationBase).body as ts.ConciseBody | undefined;
    if (ts.isFunctionLike(node) && body && !(ts.isFunctionDeclaration(node) && node.name && UNCHECKED_FUNCTIONS.has(node.name.text))) {
      const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      const id = `${rel}:${line + 1}:${character + 1}`;
      sites.push({ id, group });
      const check = `if(globalThis.__kairosFaultOn&&globalThis.__kairosFaultOn(${JSON.stringify(group)},${JSON.stringify(id)}))throw new Error(${JSON.stringify('kairos fault injected: ' + id)});`;
      if (ts.isBlock(body)) edits.push({ at: body.getStart(sf) + 1, text: check });
      else edits.push({ at: body.getStart(sf), text: `{${check}return (` }, { at: body.getEnd(), text: ')}' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  // Back to front, so earlier positions stay valid (equal positions are only closing `)}`: order is irrelevant).
  edits.sort((a, b) => b.at - a.at);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.at);
  return { code: out, sites };
}

function faultPlugin(sites: Map<string, Site>): Plugin {
  return {
    name: 'kairos-fault-injection',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0]!;
      if (!file.startsWith(widgetSrc + sep) || !/\.tsx?$/.test(file)) return;
      const rel = relative(widgetSrc, file).split(sep).join('/');
      if (LEFT_ALONE.test(rel)) return;
      const group = groupOf(rel);
      if (!group) this.error(`${rel} belongs to no fault group: add it to GROUPS in test/e2e/fault-build.ts`);
      const r = instrument(code, rel, group);
      for (const s of r.sites) sites.set(s.id, s);
      return { code: r.code, map: null };
    },
  };
}

/**
 * `virtual:kairos-ui` from the temp build's manifest (vite.config.ts's kairosUiManifest reads dist/'s): the same
 * logic, another file. Enforced `pre`, so it resolves the id before the config's own plugin can.
 */
function uiManifestFrom(manifestFile: string): Plugin {
  const id = 'virtual:kairos-ui';
  return {
    name: 'kairos-fault-ui-manifest',
    enforce: 'pre',
    resolveId: (source) => (source === id ? '\0kairos-fault-ui' : undefined),
    load(loadId) {
      if (loadId !== '\0kairos-fault-ui') return;
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, { file: string; isEntry?: boolean }>;
      const files: Record<string, string> = {};
      for (const [src, chunk] of Object.entries(manifest)) {
        if (!chunk.isEntry) continue;
        const name = basename(src).replace(/\.tsx?$/, '');
        const hash = chunk.file.slice(name.length + 1, -3);
        if (chunk.file !== `${name}-${hash}.js`) this.error(`${chunk.file}: expected ${name}-<hash>.js`);
        files[name.replace(/-/g, '_')] = hash;
      }
      return `export default ${JSON.stringify(files)};`;
    },
  };
}

export interface FaultBuild {
  /** Laid out as dist/widget: kairos.js and kairos-ui/. */
  dir: string;
  /** Every instrumented function, in the engine and the UI chunks. */
  sites: Site[];
  ms: number;
}

/** Builds the fault-injectable widget into a new temp directory. */
export async function buildFaultWidget(): Promise<FaultBuild> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'kairos-fault-widget-'));
  const uiOut = join(dir, 'kairos-ui');
  const sites = new Map<string, Site>();
  const configFile = join(root, 'vite.config.ts');
  await build({ root, configFile, logLevel: 'warn', build: { outDir: uiOut, minify: false }, plugins: [faultPlugin(sites)] });
  await build({
    root,
    configFile,
    mode: 'loader',
    logLevel: 'warn',
    build: { outDir: dir, minify: false },
    plugins: [uiManifestFrom(join(uiOut, '.vite', 'manifest.json')), faultPlugin(sites)],
  });
  return { dir, sites: [...sites.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })), ms: Date.now() - started };
}
