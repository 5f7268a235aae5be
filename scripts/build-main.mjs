// Bundles the Electron shell: src-main/main.ts → dist/main/main.cjs (CommonJS, the main process)
// and src-main/preload.ts → dist/main/preload.cjs (a sandboxed preload: one CommonJS file whose only
// require is 'electron'), and copies the tray and window icons to dist/main/icons.
// Usage: node scripts/build-main.mjs [--outdir <dir>]   (default dist/main)
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const outdirIndex = argv.indexOf('--outdir');
const outdir = resolve(outdirIndex >= 0 && argv[outdirIndex + 1] ? argv[outdirIndex + 1] : join(ROOT, 'dist/main'));
/** Syntax targets at or below what Electron 45 ships (a newer Chromium, Node ≥ 22). */
const CHROME_TARGET = 'chrome130';
const NODE_TARGET = 'node22';
/** What a sandboxed preload may require (Electron docs: sandboxed renderers). We use only 'electron'. */
const PRELOAD_ALLOWED_REQUIRES = new Set(['electron']);

const started = Date.now();

// Main process. Pure-JS dependencies are bundled in (several are ESM-only); native modules stay
// external and load from node_modules (keytar's .node from app.asar.unpacked). `import.meta.url`
// in our ESM sources gets a CommonJS stand-in.
const NATIVE_EXTERNALS = ['electron', 'keytar', 'cbor-extract', 'bufferutil', 'utf-8-validate'];
await build({
  absWorkingDir: ROOT,
  entryPoints: { main: 'src-main/main.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: NODE_TARGET,
  external: NATIVE_EXTERNALS,
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { 'import.meta.url': '__pnodeImportMetaUrl' },
  banner: { js: "const __pnodeImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// Preload. platform 'browser' makes any Node built-in a build error instead of a runtime one.
await build({
  absWorkingDir: ROOT,
  entryPoints: { preload: 'src-main/preload.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'browser',
  format: 'cjs',
  target: CHROME_TARGET,
  external: ['electron'],
  sourcemap: 'linked',
  logLevel: 'warning',
});

const preload = await readFile(join(outdir, 'preload.cjs'), 'utf8');
const requires = [...preload.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((match) => match[1]);
const forbidden = requires.filter((name) => !PRELOAD_ALLOWED_REQUIRES.has(name));
if (forbidden.length > 0) {
  console.error(`preload.cjs requires ${forbidden.join(', ')}: a sandboxed preload may only require 'electron'`);
  process.exit(1);
}

// Icons the shell loads at run time: tray states and the window icon.
const iconsOut = join(outdir, 'icons');
await mkdir(iconsOut, { recursive: true });
const assets = join(ROOT, 'assets');
const icons = (await readdir(assets)).filter((name) => /^tray-.*\.png$/.test(name) || name === 'icon.png');
for (const name of icons) await copyFile(join(assets, name), join(iconsOut, name));

console.log(`built ${outdir}/main.cjs and preload.cjs (+${icons.length} icons) in ${Date.now() - started} ms`);
