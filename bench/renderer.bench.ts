// The dashboard's bundle size (issue 6 §7): what a volunteer's window loads, file by file, raw and
// compressed, from a fresh production build (`npm run build:renderer`). Source maps are listed apart:
// they ship in the app for crash reports but are never loaded by the window.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import { printEnvironment } from './lib/measure.js';

const RENDERER_DIR = join(process.cwd(), 'dist', 'renderer');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

printEnvironment();
process.stdout.write('building the renderer (vite, production)…\n');
execFileSync(process.execPath, [join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });

const files = filesUnder(RENDERER_DIR).sort();
const loaded = files.filter((f) => !f.endsWith('.map'));
const maps = files.filter((f) => f.endsWith('.map'));
let raw = 0;
let gzip = 0;
let brotli = 0;
const rows = loaded.map((file) => {
  const bytes = readFileSync(file);
  const gz = gzipSync(bytes, { level: 9 }).length;
  const br = brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;
  raw += bytes.length;
  gzip += gz;
  brotli += br;
  return `${relative(RENDERER_DIR, file).padEnd(36)} ${kib(bytes.length).padStart(11)} ${kib(gz).padStart(11)} ${kib(br).padStart(11)}`;
});
const mapBytes = maps.reduce((sum, file) => sum + statSync(file).size, 0);
process.stdout.write(
  `\n${'file'.padEnd(36)} ${'raw'.padStart(11)} ${'gzip -9'.padStart(11)} ${'brotli 11'.padStart(11)}\n${rows.join('\n')}\n` +
    `${'total loaded by the window'.padEnd(36)} ${kib(raw).padStart(11)} ${kib(gzip).padStart(11)} ${kib(brotli).padStart(11)}\n` +
    `source maps (not loaded): ${maps.length} files, ${kib(mapBytes)}\n`,
);

// The chart library's share (issue 14 §1): uPlot's own minified build and stylesheet, as shipped in
// its package. The bundle holds the ESM build, tree-shaken and minified again, so this is close to
// (and at most about) what the chart costs the window.
const UPLOT_DIR = join(process.cwd(), 'node_modules', 'uplot', 'dist');
const uplotFiles = ['uPlot.iife.min.js', 'uPlot.min.css'].map((name) => join(UPLOT_DIR, name));
const uplot = uplotFiles.map((file) => readFileSync(file));
const uplotRaw = uplot.reduce((sum, bytes) => sum + bytes.length, 0);
const uplotGzip = uplot.reduce((sum, bytes) => sum + gzipSync(bytes, { level: 9 }).length, 0);
const uplotVersion = (JSON.parse(readFileSync(join(process.cwd(), 'node_modules', 'uplot', 'package.json'), 'utf8')) as { version: string }).version;
process.stdout.write(`chart library: uPlot ${uplotVersion}, ${kib(uplotRaw)} raw, ${kib(uplotGzip)} gzip -9 (its minified build and stylesheet), ${((100 * uplotGzip) / gzip).toFixed(0)} % of the window's gzip total\n`);
