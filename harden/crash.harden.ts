// `npm run harden -- crash`: crash safety (issue 8 §2). 1,000 trials at scale 1, split between the
// writers (a node, the seed directory's log, an orchestrator), each a real writer SIGKILLed at a
// random moment, then everything loaded with the real loaders. Figures: trials, kills before and
// after start-up, completed writes, files checked, files unreadable (must be 0), files refused by
// a specific error naming them, data lost beyond the last completed write (must be 0).
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { scaleFromEnv, scaled, seedFromEnv } from './lib/random.js';
import { printHeader } from './lib/environment.js';
import { formatCrashTable, crashClean } from './crash/report.js';
import { buildCrashWriter, runCrashTrials } from './crash/trials.js';

/** Trials at scale 1 (the issue's figure). */
export const CRASH_TRIALS = 1_000;

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('crash', seed, scale);
const trials = scaled(CRASH_TRIALS, scale, 6);
const lanes = Math.max(2, Math.min(4, availableParallelism()));
const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-crash-'));
const writer = join('dist', 'harden', 'crash-writer.mjs');
try {
  await buildCrashWriter(writer);
  const started = Date.now();
  let done = 0;
  const reports = await runCrashTrials({
    seed,
    trials,
    lanes,
    workDir,
    writer,
    onTrial: () => {
      done++;
      if (done % 50 === 0) process.stdout.write(`  ${done}/${trials} trials, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    },
  });
  process.stdout.write(`\nCrash safety, seed ${seed}, scale ${scale}: ${trials} SIGKILL trials in ${lanes} lanes, ${((Date.now() - started) / 1000).toFixed(1)} s\n\n${formatCrashTable(reports)}\n`);
  const problems = reports.flatMap((r) => r.problems);
  if (problems.length > 0) process.stdout.write(`\nFirst problems:\n${problems.slice(0, 20).map((p) => `  ${p}`).join('\n')}\n`);
  if (crashClean(reports)) {
    process.stdout.write('\nEvery file loaded after every kill, holding at least its last completed write.\n');
  } else {
    process.stdout.write(`\nFAILED: files unreadable or data lost. Replay with PNODE_HARDEN_SEED=${seed} npm run harden -- crash\n`);
    process.exitCode = 1;
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
