// Runs the hardening harness: `npm run harden` runs every harden/*.harden.ts (fuzzing, crash
// safety), `npm run harden -- fuzz` only the named ones. Each file is bundled with esbuild into
// dist/harden/ and run in its own node process (with --expose-gc, for heap figures), one after
// another, its output streamed. One seed serves the whole run: PNODE_HARDEN_SEED, or a random one;
// it is printed first so any run can be replayed. PNODE_HARDEN_SCALE shrinks every count (the smoke
// tests in `npm test` use the same targets at a small scale). The exit status is non-zero if any
// figure that must be 0 is not, or a harness fails.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, resolve } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// PNODE_HARDEN_DIR points the runner at another folder (the runner's own tests use it).
const HARDEN_DIR = process.env.PNODE_HARDEN_DIR ? resolve(process.env.PNODE_HARDEN_DIR) : join(ROOT, 'harden');
const OUT_DIR = join(ROOT, 'dist', 'harden');
const SUFFIX = '.harden.ts';
/** A harness that runs longer than this is stopped and counted as failed. */
const HARDEN_TIMEOUT_MS = 90 * 60_000;
const MAX_SEED = 0xffffffff;

function usage(message) {
  process.stderr.write(`harden: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'Usage: npm run harden [-- <name>...]\n\n' +
      'Runs harden/<name>.harden.ts (all of them without names) and prints its figures.\n' +
      '  PNODE_HARDEN_SEED=<n>      replay a run (the seed is printed first)\n' +
      '  PNODE_HARDEN_SCALE=0.02    shrink every count (smoke runs)\n' +
      '  PNODE_HARDEN_TARGETS=a,b*  fuzz only these targets (names, or prefixes ending in *)\n',
  );
  process.exit(0);
}
const unknownFlag = args.find((a) => a.startsWith('-'));
if (unknownFlag) usage(`unknown option ${unknownFlag}`);

const available = existsSync(HARDEN_DIR)
  ? readdirSync(HARDEN_DIR).filter((f) => f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)).sort()
  : [];
if (available.length === 0) usage('no harden/*.harden.ts files');
const wanted = args.map((a) => a.replace(/^harden\//, '').replace(/\.harden\.ts$/, ''));
const missing = wanted.filter((w) => !available.includes(w));
if (missing.length > 0) usage(`no harness named ${missing.join(', ')} (available: ${available.join(', ')})`);
const selected = wanted.length > 0 ? available.filter((name) => wanted.includes(name)) : available;

const rawSeed = process.env.PNODE_HARDEN_SEED;
let seed;
if (rawSeed !== undefined && rawSeed.trim() !== '') {
  seed = Number(rawSeed);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) usage(`PNODE_HARDEN_SEED must be an integer from 0 to ${MAX_SEED}`);
} else {
  seed = Math.floor(Math.random() * MAX_SEED);
}
process.stdout.write(`harden: seed ${seed} (replay with PNODE_HARDEN_SEED=${seed})\n`);

function runNode(file) {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--expose-gc', file], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, PNODE_HARDEN_SEED: String(seed) },
    });
    const timer = setTimeout(() => {
      process.stderr.write(`harden: ${relative(ROOT, file)} ran longer than ${HARDEN_TIMEOUT_MS / 60_000} min; stopping it\n`);
      child.kill('SIGKILL');
    }, HARDEN_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      process.stderr.write(`harden: cannot start node: ${error.message}\n`);
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
  const source = join(HARDEN_DIR, `${name}${SUFFIX}`);
  const outfile = join(OUT_DIR, `${name}.harden.mjs`);
  process.stdout.write(`\n=== harden ${name} (${relative(ROOT, source)}) ===\n\n`);
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
      banner: { js: "import { createRequire as __hardenCreateRequire } from 'node:module'; const require = __hardenCreateRequire(import.meta.url);" },
    });
  } catch (error) {
    process.stderr.write(`harden: ${name} does not build: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    failures.push(name);
    continue;
  }
  const runStarted = Date.now();
  const code = await runNode(outfile);
  const seconds = ((Date.now() - runStarted) / 1000).toFixed(1);
  if (code !== 0) {
    process.stdout.write(`--- ${name}: FAILED (exit ${code}) after ${seconds} s\n`);
    failures.push(name);
  } else {
    process.stdout.write(`--- ${name}: done in ${seconds} s\n`);
  }
}

const total = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  process.stdout.write(`\n${failures.length} of ${selected.length} harnesses failed (${failures.join(', ')}) in ${total} s; seed ${seed}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`\n${selected.length} harness${selected.length === 1 ? '' : 'es'} done in ${total} s; seed ${seed}\n`);
}
