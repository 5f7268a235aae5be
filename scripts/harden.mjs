// Runs the hardening harness: `npm run harden` runs every harden/*.harden.ts (fuzzing, crash
// safety, the control surface, network faults, secrets, and the attacks with resources of issue 15:
// exhaustion, directory-full, replay, eclipse), `npm run harden -- fuzz` only the named
// ones, each bundled and run in its own node process (scripts/lib/run-ts-files.mjs) with
// --expose-gc, for heap figures. One seed serves the whole run: PNODE_HARDEN_SEED, or a random one;
// it is printed first so any run can be replayed. PNODE_HARDEN_SCALE shrinks every count (the smoke
// tests in `npm test` use the same targets at a small scale). The exit status is non-zero if any
// figure that must be 0 is not, or a harness fails.
import { join, resolve } from 'node:path';
import { ROOT, runFiles, selectNames, usage } from './lib/run-ts-files.mjs';

const MAX_SEED = 0xffffffff;

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

const options = {
  kind: 'harden',
  item: 'harness',
  // PNODE_HARDEN_DIR points the runner at another folder (the runner's own tests use it).
  dir: process.env.PNODE_HARDEN_DIR ? resolve(process.env.PNODE_HARDEN_DIR) : join(ROOT, 'harden'),
  suffix: '.harden.ts',
  timeoutMs: 90 * 60_000,
  nodeArgs: ['--expose-gc'],
};
const selected = selectNames(options, args);

const rawSeed = process.env.PNODE_HARDEN_SEED;
let seed;
if (rawSeed !== undefined && rawSeed.trim() !== '') {
  seed = Number(rawSeed);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) usage('harden', `PNODE_HARDEN_SEED must be an integer from 0 to ${MAX_SEED}`);
} else {
  seed = Math.floor(Math.random() * MAX_SEED);
}
process.stdout.write(`harden: seed ${seed} (replay with PNODE_HARDEN_SEED=${seed})\n`);

const started = Date.now();
const failures = await runFiles({ ...options, env: { PNODE_HARDEN_SEED: String(seed) } }, selected);
const total = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  process.stdout.write(`\n${failures.length} of ${selected.length} harnesses failed (${failures.join(', ')}) in ${total} s; seed ${seed}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`\n${selected.length} harness${selected.length === 1 ? '' : 'es'} done in ${total} s; seed ${seed}\n`);
}
