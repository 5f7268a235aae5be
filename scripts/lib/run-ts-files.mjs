// The runner behind `npm run bench` and `npm run harden`: finds <dir>/<name><suffix> files, bundles
// each with esbuild into dist/<kind>/ and runs it in its own node process, one after another, its
// output streamed. A file that does not build, exits non-zero or outlives its time limit counts as
// failed; the exit status is non-zero when any did. Each file holds a lifeline to the runner
// (scripts/lib/lifeline.mjs): stopping or killing the runner stops the file and its children.
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { HOLD_LIFELINE_ENTRY, loadLifeline } from './lifeline.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * @typedef {object} RunnerOptions
 * @property {string} kind        the word in messages and the dist folder ("bench", "harden")
 * @property {string} dir         where the files are
 * @property {string} suffix      ".bench.ts"
 * @property {number} timeoutMs   a file that runs longer is stopped and counted as failed
 * @property {string[]} [nodeArgs] extra node flags for each run
 * @property {Record<string, string>} [env] extra environment for each run
 * @property {string} item        what one file is called in messages ("bench", "harness")
 */

/** Exits 2 with `<kind>: message`. */
export function usage(kind, message) {
  process.stderr.write(`${kind}: ${message}\n`);
  process.exit(2);
}

/** The names the command line asks for (all when none), checked against the files in `dir`. */
export function selectNames({ kind, item, dir, suffix }, args) {
  const unknownFlag = args.find((a) => a.startsWith('-'));
  if (unknownFlag) usage(kind, `unknown option ${unknownFlag}`);
  const available = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => f.slice(0, -suffix.length)).sort() : [];
  if (available.length === 0) usage(kind, `no ${relative(ROOT, dir) || dir}/*${suffix} files`);
  const prefix = new RegExp(`^${relative(ROOT, dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`);
  const wanted = args.map((a) => a.replace(prefix, '')).map((a) => (a.endsWith(suffix) ? a.slice(0, -suffix.length) : a));
  const missing = wanted.filter((w) => !available.includes(w));
  if (missing.length > 0) usage(kind, `no ${item} named ${missing.join(', ')} (available: ${available.join(', ')})`);
  return wanted.length > 0 ? available.filter((name) => wanted.includes(name)) : available;
}

const { holdLifeline, spawnSupervised } = await loadLifeline();
// The runner itself, when a supervisor started it (a test), goes when that supervisor goes.
holdLifeline({ onLost: () => process.exit(1) });

function runNode(options, file) {
  return new Promise((done) => {
    const child = spawnSupervised(process.execPath, [...(options.nodeArgs ?? []), file], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...(options.env ?? {}) },
    });
    const timer = setTimeout(() => {
      process.stderr.write(`${options.kind}: ${relative(ROOT, file)} ran longer than ${Math.round(options.timeoutMs / 1000)} s; stopping it\n`);
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      process.stderr.write(`${options.kind}: cannot start node: ${error.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done(code ?? (signal ? 1 : 0));
    });
  });
}

/** Builds and runs each named file; returns the names that failed. */
export async function runFiles(options, names) {
  const outDir = join(ROOT, 'dist', options.kind);
  const failures = [];
  for (const name of names) {
    const source = join(options.dir, `${name}${options.suffix}`);
    const outfile = join(outDir, `${name}${options.suffix.replace(/\.ts$/, '.mjs')}`);
    process.stdout.write(`\n=== ${options.kind} ${name} (${relative(ROOT, source)}) ===\n\n`);
    try {
      await build({
        entryPoints: [source],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        sourcemap: 'linked',
        logLevel: 'error',
        inject: [HOLD_LIFELINE_ENTRY],
        // Bundled ESM has no `require`; some dependencies still call it.
        banner: { js: "import { createRequire as __runnerCreateRequire } from 'node:module'; const require = __runnerCreateRequire(import.meta.url);" },
      });
    } catch (error) {
      process.stderr.write(`${options.kind}: ${name} does not build: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
      failures.push(name);
      continue;
    }
    const started = Date.now();
    const code = await runNode(options, outfile);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (code !== 0) {
      process.stdout.write(`--- ${name}: FAILED (exit ${code}) after ${seconds} s\n`);
      failures.push(name);
    } else {
      process.stdout.write(`--- ${name}: done in ${seconds} s\n`);
    }
  }
  return failures;
}
