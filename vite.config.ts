// Two builds of the widget, run in order by `npm run build`:
//
//   vite build                 campaign UIs → dist/widget/kairos-ui/  ES modules, one entry per campaign type,
//                              Preact shared as one chunk; content-hashed names (served immutable)
//   vite build --mode loader   the engine → dist/widget/kairos.js     one IIFE for a plain <script async> tag;
//                              no Preact; knows the UI file names from the first build's manifest
//
// The engine loads a campaign's UI with import() only when that campaign shows. The demo shop (demo/) is plain
// static HTML/JS served as-is: it has no build step.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;
const uiOut = resolve(root, 'dist/widget/kairos-ui');
const manifestFile = resolve(uiOut, '.vite/manifest.json');

/**
 * Every widget/campaigns/<name>.tsx is a campaign type's UI (`announcement-bar.tsx` renders `announcement_bar`);
 * every widget/lazy/<name>.ts is engine code loaded only when a config needs it (`targeting.ts`).
 */
const entriesIn = (dir: string, ext: string) =>
  readdirSync(resolve(root, dir))
    .filter((f) => f.endsWith(ext))
    .map((f) => [basename(f, ext), resolve(root, dir, f)] as const);
const campaignEntries = Object.fromEntries([...entriesIn('widget/campaigns', '.tsx'), ...entriesIn('widget/lazy', '.ts')]);

/**
 * `virtual:kairos-ui` → { campaign type: the hash in its file name }, re-read whenever the UI build rewrites it. The
 * engine rebuilds `<name>-<hash>.js` from the two (the names are the entry names, `_` for `-`).
 */
function kairosUiManifest(): Plugin {
  const id = 'virtual:kairos-ui';
  return {
    name: 'kairos-ui-manifest',
    resolveId: (source) => (source === id ? '\0' + id : undefined),
    load(loadId) {
      if (loadId !== '\0' + id) return;
      this.addWatchFile(manifestFile);
      let manifest: Record<string, { file: string; isEntry?: boolean; name?: string }>;
      try {
        manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
      } catch {
        this.error(`${manifestFile} is missing: run \`vite build\` (the campaign UIs) before \`vite build --mode loader\``);
      }
      const files: Record<string, string> = {};
      for (const [src, chunk] of Object.entries(manifest)) {
        if (!chunk.isEntry) continue;
        const name = basename(src).replace(/\.tsx?$/, '');
        const hash = chunk.file.slice(name.length + 1, -3);
        if (chunk.file !== `${name}-${hash}.js`) this.error(`${chunk.file}: expected ${name}-<hash>.js (see entryFileNames)`);
        files[name.replace(/-/g, '_')] = hash;
      }
      return `export default ${JSON.stringify(files)};`;
    },
  };
}

export default defineConfig(({ mode }) => {
  const shared = {
    publicDir: false as const,
    oxc: { jsx: { runtime: 'automatic' as const, importSource: 'preact' } },
    logLevel: 'warn' as const,
  };
  if (mode === 'loader') {
    return {
      ...shared,
      plugins: [kairosUiManifest()],
      build: {
        outDir: resolve(root, 'dist/widget'),
        emptyOutDir: false,
        target: 'es2020',
        lib: { entry: resolve(root, 'widget/kairos.ts'), formats: ['iife' as const], name: 'kairos_loader', fileName: () => 'kairos.js' },
      },
    };
  }
  return {
    ...shared,
    build: {
      outDir: uiOut,
      emptyOutDir: true,
      manifest: true,
      target: 'es2020',
      modulePreload: false,
      rolldownOptions: {
        input: campaignEntries,
        preserveEntrySignatures: 'exports-only' as const,
        output: {
          format: 'es' as const,
          // Entry names are listed in the engine (virtual:kairos-ui); 6 hash characters (36 bits) are plenty to
          // bust caches and save the first script ~30 bytes of incompressible text.
          entryFileNames: '[name]-[hash:6].js',
          chunkFileNames: '[name]-[hash].js',
          // Preact (+ signals) in one chunk of its own: fetched once, whichever campaign shows first. The tiny
          // stylesheet, host helpers and preference link every campaign imports ride along, rather than becoming tiny chunks of their own.
          codeSplitting: {
            // The error boundary in a chunk of its own: the UI runtime uses it, and so do lazy engine chunks (triggers,
            // targeting…), which must not pull in Preact.
            groups: [
              { name: 'safe', test: /widget[\\/]safe\.ts$/, priority: 1 },
              { name: 'ui-runtime', test: /node_modules[\\/](preact|@preact)[\\/]|widget[\\/]ui[\\/](styles\.ts|mount\.ts|prefs-link\.tsx)$/ },
            ],
          },
        },
      },
    },
  };
});
