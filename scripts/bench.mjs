// Runs the benchmarks: `npm run bench` runs every bench/*.bench.ts, `npm run bench -- protocol`
// only the named ones. Each file is bundled with esbuild into dist/bench/ and run in its own node
// process, one after another, its output streamed; the exit status is non-zero if any bench fails.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, resolve } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// PNODE_BENCH_DIR points the runner at another folder of benches (the runner's own tests use it).
const BENCH_DIR = process.env.PNODE_BENCH_DIR ? resolve(process.env.PNODE_BENCH_DIR) : join(ROOT, 'bench');
const OUT_DIR = join(ROOT, 'dist', 'bench');
const SUFFIX = '.bench.ts';
/** A bench that runs longer than this is stopped and counted as failed. */
const BENCH_TIMEOUT_MS = 5 * 60_000;

function usage(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write('Usage: npm run bench [-- <name>...]\n\nRuns bench/<name>.bench.ts (all of them without names). PNODE_BENCH_SCALE=0.1 shortens every measurement.\n');
  process.exit(0);
}
const unknownFlag = args.find((a) => a.startsWith('-'));
if (unknownFlag) usage(`unknown option ${unknownFlag}`);

const available = existsSync(BENCH_DIR)
  ? readdirSync(BENCH_DIR).filter((f) => f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)).sort()
  : [];
if (available.length === 0) usage('no bench/*.bench.ts files');
const wanted = args.map((a) => a.replace(/^bench\//, '').replace(/\.bench\.ts$/, ''));
const missing = wanted.filter((w) => !available.includes(w));
if (missing.length > 0) usage(`no bench named ${missing.join(', ')} (available: ${available.join(', ')})`);
const selected = wanted.length > 0 ? available.filter((name) => wanted.includes(name)) : available;

function runNode(file) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [file], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => {
      process.stderr.write(`bench: ${relative(ROOT, file)} ran longer than ${BENCH_TIMEOUT_MS / 1000} s; stopping it\n`);
      child.kill('SIGKILL');
    }, BENCH_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      process.stderr.write(`bench: cannot start node: ${error.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done(code ?? (signal ? 1 : 0));
    });
  });
}

const failures = [];
const started = Date.now();
for (const name of selected) {
  const source = join(BENCH_DIR, `${name}${SUFFIX}`);
  const outfile = join(OUT_DIR, `${name}.bench.mjs`);
  process.stdout.write(`\n=== bench ${name} (${relative(ROOT, source)}) ===\n\n`);
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
      banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
    });
  } catch (error) {
    process.stderr.write(`bench: ${name} does not build: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    failures.push(name);
    continue;
  }
  const benchStarted = Date.now();
  const code = await runNode(outfile);
  const seconds = ((Date.now() - benchStarted) / 1000).toFixed(1);
  if (code !== 0) {
    process.stdout.write(`--- ${name}: FAILED (exit ${code}) after ${seconds} s\n`);
    failures.push(name);
  } else {
    process.stdout.write(`--- ${name}: done in ${seconds} s\n`);
  }
}

const total = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  process.stdout.write(`\n${failures.length} of ${selected.length} benches failed (${failures.join(', ')}) in ${total} s\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`\n${selected.length} bench${selected.length === 1 ? '' : 'es'} done in ${total} s\n`);
}
