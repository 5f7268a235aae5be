// `npm run harden -- jobs-crash`: the job store under SIGKILL (issue 13 §3). For SQLite, and for
// PostgreSQL when PNODE_TEST_POSTGRES_URL names a server, an orchestrator with light PNodes and a
// project submitting as fast as it can is killed at random moments, 100 times at scale 1, on the
// same data dir and database; after every kill the store is checked against what was acknowledged,
// and a last run drains what was left in flight (harden/jobs-crash/trials.ts). Must be 0: lost or
// wrong acknowledged submissions, validated results and accepted tasks; inconsistent states; tasks
// not accepted (or wrong) after the drain.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaleFromEnv, scaled, seedFromEnv } from './lib/random.js';
import { printHeader } from './lib/environment.js';
import { formatRows, grouped } from './lib/report.js';
import { type JobsCrashReport, buildJobsWriter, jobsCrashClean, runJobsCrashTrials } from './jobs-crash/trials.js';
import { freshDatabase, postgresUnavailable } from '../tests/support/postgres.js';

export const JOBS_CRASH_TRIALS = 100;

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('jobs-crash', seed, scale);
const trials = scaled(JOBS_CRASH_TRIALS, scale, 4);
const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-jobs-crash-'));
const writer = join('dist', 'harden', 'jobs-crash-writer.mjs');
const reports: JobsCrashReport[] = [];
try {
  await buildJobsWriter(writer);
  const progress = (kind: string) => (trial: number) => {
    if ((trial + 1) % 10 === 0) process.stdout.write(`  ${kind}: ${trial + 1}/${trials} kills\n`);
  };
  reports.push(await runJobsCrashTrials({ seed, trials, kind: 'sqlite', workDir, writer, onTrial: progress('sqlite') }));
  const why = await postgresUnavailable();
  if (why) process.stdout.write(`PostgreSQL skipped: ${why}\n`);
  else {
    const db = await freshDatabase();
    try {
      reports.push(await runJobsCrashTrials({ seed, trials, kind: 'postgres', workDir, writer, postgresUrl: db.url, onTrial: progress('postgres') }));
    } finally {
      await db.drop();
    }
  }
  process.stdout.write(
    `\n${formatRows(
      ['store', 'kills', 'before ready', 'batches acked', 'tasks acked', 'validated acked', 'accepted acked', 'lost', 'inconsistent', 'drained: accepted', 'not accepted', 'wrong', 'seconds'],
      reports.map((r) => [r.kind, grouped(r.trials), grouped(r.killedBeforeReady), grouped(r.batchesAcked), grouped(r.tasksAcked), grouped(r.factsAcked), grouped(r.acceptedAcked), grouped(r.lost), grouped(r.inconsistent), grouped(r.drainedAccepted), grouped(r.drainedNotAccepted), grouped(r.drainedWrong), r.seconds.toFixed(1)]),
    )}\n`,
  );
  const problems = reports.flatMap((r) => r.problems);
  if (problems.length > 0) process.stdout.write(`\nFirst problems:\n${problems.slice(0, 20).map((p) => `  ${p}`).join('\n')}\n`);
  if (jobsCrashClean(reports)) process.stdout.write('\nNothing acknowledged was lost; every task in flight at a kill was run again and accepted.\n');
  else {
    process.stdout.write(`\nFAILED. Replay with PNODE_HARDEN_SEED=${seed} npm run harden -- jobs-crash\n`);
    process.exitCode = 1;
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
