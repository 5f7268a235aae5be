// The job store's crash trials (issue 13 §3): per store (SQLite; PostgreSQL when a server is
// reachable), one lane whose orchestrator (writer.ts) is SIGKILLed at a random moment again and
// again on the same data dir (and the same database), then a last run that drains it. After every
// kill the store is opened with the real store class and checked against what the writer
// acknowledged before it died:
//   - every acknowledged batch holds exactly its tasks (no submission lost, none half-stored);
//   - every acknowledged validated result is recorded; every acknowledged accepted task is
//     accepted with the right answer (the sieve's count);
//   - the store is consistent: every accepted task has validated results and a stored result, no
//     validated result belongs to a task that is not accepted;
// and after the drain, every acknowledged task is accepted with the right answer: what was in
// flight at each kill was run again.
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { countPrimesReference, decodePrimesOutput } from '../../src-node/kernel/workloads/demo/primes.js';
import { decodeTaskResult } from '../../src-shared/vnode/task-result.js';
import type { JobStore } from '../../src-node/services/orchestrator/jobs/job-store.js';
import { PostgresJobStore } from '../../src-node/services/orchestrator/jobs/postgres-store.js';
import { SQLITE_FILE, SqliteJobStore } from '../../src-node/services/orchestrator/jobs/sqlite-store.js';
import { spawnSupervised } from '../../src-node/kernel/process/lifeline.js';
import { bundleChild } from '../lib/bundle-child.js';
import { Rng, deriveSeed } from '../lib/random.js';
import { JOBS_SPAN } from './writer.js';

/** One trial in this many is killed before the writer is ready (start-up and recovery writes). */
export const JOBS_PRE_READY_EVERY = 5;
/** After ready, the kill comes within this many ms. */
export const JOBS_MAX_KILL_DELAY_MS = 1_500;
export const JOBS_READY_TIMEOUT_MS = 60_000;
/**
 * The drain is given up on only when it stops making progress: this long without a task accepted.
 * Its work is bounded (JOBS_MAX_OPEN_TASKS), so a slow machine takes longer but always ends.
 */
export const JOBS_DRAIN_STALL_MS = 30_000;

export type StoreKind = 'sqlite' | 'postgres';

export interface JobsCrashOptions {
  readonly seed: number;
  readonly trials: number;
  readonly kind: StoreKind;
  readonly workDir: string;
  readonly writer: string;
  /** For postgres: the database to use (made fresh by the caller). */
  readonly postgresUrl?: string;
  readonly onTrial?: (trial: number) => void;
}

export interface JobsCrashReport {
  readonly kind: StoreKind;
  trials: number;
  killedBeforeReady: number;
  killedAfterReady: number;
  batchesAcked: number;
  tasksAcked: number;
  factsAcked: number;
  acceptedAcked: number;
  /** Acknowledged things not found, or found wrong, after a kill: must be 0. */
  lost: number;
  /** Store states that break the rules (an accepted task without results, a fact of an open task): must be 0. */
  inconsistent: number;
  /** After the drain: acknowledged tasks accepted with the right answer, and the others. */
  drainedAccepted: number;
  drainedNotAccepted: number;
  drainedWrong: number;
  problems: string[];
  seconds: number;
}

export function buildJobsWriter(outfile: string): Promise<void> {
  return bundleChild({ dir: 'jobs-crash', module: 'writer.ts', run: 'runJobsWriter' }, outfile);
}

interface Acked {
  readonly batches: Map<string, number[]>;
  readonly facts: Set<string>;
  readonly accepted: Set<string>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs the writer; kills it (kill mode) or waits for its end (drain); feeds its acks in. */
async function runWriter(options: JobsCrashOptions, args: readonly string[], acked: Acked, rng: Rng, kill: 'pre-ready' | 'after-ready' | 'drain'): Promise<{ ready: boolean; exit: number | null; err: string }> {
  const child: ChildProcess = spawnSupervised(process.execPath, [options.writer, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let buffered = '';
  let ready = false;
  let markReady: () => void = () => undefined;
  const readySignal = new Promise<void>((resolve) => (markReady = resolve));
  // When the drain last accepted a task (set at ready, then by each `accepted` line).
  let lastProgress: number;
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-4_000)));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [word, a, b] = line.split(' ');
      if (word === 'ready') {
        ready = true;
        markReady();
      } else if (word === 'batch' && a && b) acked.batches.set(a, b.split(',').map(Number));
      else if (word === 'fact' && a && b) acked.facts.add(`${a} ${b}`);
      else if (word === 'accepted' && a) {
        acked.accepted.add(a);
        lastProgress = Date.now();
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  const limit = (ms: number) => new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    if (kill === 'drain') {
      await Promise.race([readySignal, exited, limit(JOBS_READY_TIMEOUT_MS)]);
      clearTimeout(timer);
      lastProgress = Date.now();
      // Until it ends, or stalls: the wait is as long as the drain keeps accepting tasks.
      for (let stalled = false; ready && !stalled && child.exitCode === null && child.signalCode === null; ) {
        await Promise.race([exited, limit(Math.max(1, lastProgress + JOBS_DRAIN_STALL_MS - Date.now()))]);
        clearTimeout(timer);
        stalled = Date.now() - lastProgress >= JOBS_DRAIN_STALL_MS;
      }
    } else if (kill === 'pre-ready') {
      await Promise.race([readySignal, exited, limit(rng.next() * 1_500)]);
    } else {
      await Promise.race([readySignal, exited, limit(JOBS_READY_TIMEOUT_MS)]);
      if (!ready) throw new Error(`the ${options.kind} writer was not ready within ${JOBS_READY_TIMEOUT_MS} ms: ${err}`);
      clearTimeout(timer);
      await sleep(rng.next() * JOBS_MAX_KILL_DELAY_MS);
    }
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const exit = await exited;
  return { ready, exit, err };
}

async function openStore(options: JobsCrashOptions, dataDir: string): Promise<JobStore> {
  return options.kind === 'sqlite' ? SqliteJobStore.open(join(dataDir, 'jobs', SQLITE_FILE)) : PostgresJobStore.open(options.postgresUrl!);
}

/** The right answer of task `name` (r<i>-<lo>). */
function expected(name: string): number {
  const lo = Number(name.split('-')[1]);
  return countPrimesReference(lo, lo + JOBS_SPAN);
}

async function storedCount(store: JobStore, taskId: string): Promise<number | null> {
  const task = await store.task(taskId);
  if (!task || task.state !== 'accepted' || !task.acceptedReplica) return null;
  const replica = await store.replica(task.acceptedReplica);
  if (!replica?.result) return null;
  const decoded = decodeTaskResult(JSON.parse(replica.result) as unknown);
  if (!decoded.ok || !decoded.value.wasi?.stdout) return null;
  return decodePrimesOutput(decoded.value.wasi.stdout);
}

/** Checks the store against the acks; counts problems into the report. */
async function check(options: JobsCrashOptions, dataDir: string, acked: Acked, report: JobsCrashReport, trial: number): Promise<void> {
  const problem = (kind: 'lost' | 'inconsistent', text: string) => {
    report[kind]++;
    if (report.problems.length < 20) report.problems.push(`${options.kind} trial ${trial}: ${text}`);
  };
  let store: JobStore;
  try {
    store = await openStore(options, dataDir);
  } catch (error) {
    problem('lost', `the store does not open: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  try {
    const facts = new Set((await store.validatedFacts(0, 10_000_000)).map((f) => `${f.task} ${f.pnode}`));
    const factTasks = new Set([...facts].map((f) => f.split(' ')[0]!));
    for (const [batch, los] of acked.batches) {
      const counts = await store.batchCounts(batch);
      const total = counts.open + counts.accepted + counts.failed + counts.aborted;
      if (total !== los.length) problem('lost', `batch ${batch} holds ${total} tasks; ${los.length} were acknowledged`);
    }
    for (const fact of acked.facts) if (!facts.has(fact)) problem('lost', `the validated result ${fact} is not recorded`);
    for (const taskId of acked.accepted) {
      const task = await store.task(taskId);
      const count = await storedCount(store, taskId);
      if (!task || count === null) problem('lost', `task ${taskId} was acknowledged as accepted; the store has ${task?.state ?? 'nothing'}`);
      else if (count !== expected(task.name)) problem('lost', `task ${taskId} was accepted with ${count}; the sieve says ${expected(task.name)}`);
      if (!factTasks.has(taskId)) problem('inconsistent', `accepted task ${taskId} has no validated result`);
    }
    for (const taskId of factTasks) {
      const task = await store.task(taskId);
      if (task?.state !== 'accepted') problem('inconsistent', `task ${taskId} has validated results but is ${task?.state ?? 'missing'}`);
    }
  } finally {
    await store.close();
  }
}

export async function runJobsCrashTrials(options: JobsCrashOptions): Promise<JobsCrashReport> {
  const started = Date.now();
  const report: JobsCrashReport = { kind: options.kind, trials: 0, killedBeforeReady: 0, killedAfterReady: 0, batchesAcked: 0, tasksAcked: 0, factsAcked: 0, acceptedAcked: 0, lost: 0, inconsistent: 0, drainedAccepted: 0, drainedNotAccepted: 0, drainedWrong: 0, problems: [], seconds: 0 };
  const laneSeed = deriveSeed(options.seed, `jobs-${options.kind}`);
  const rng = new Rng(laneSeed);
  const dataDir = join(options.workDir, `jobs-${options.kind}`);
  await mkdir(dataDir, { recursive: true });
  const acked: Acked = { batches: new Map(), facts: new Set(), accepted: new Set() };
  const store = options.kind === 'sqlite' ? 'sqlite' : options.postgresUrl!;
  for (let trial = 0; trial < options.trials; trial++) {
    const preReady = trial > 0 && rng.int(JOBS_PRE_READY_EVERY) === 0;
    const run = await runWriter(options, [store, dataDir, String(laneSeed), String(trial), 'kill'], acked, rng, preReady ? 'pre-ready' : 'after-ready');
    if (run.exit !== null) throw new Error(`the ${options.kind} writer ended on its own (code ${run.exit}): ${run.err}`);
    report.trials++;
    if (run.ready) report.killedAfterReady++;
    else report.killedBeforeReady++;
    await check(options, dataDir, acked, report, trial);
    options.onTrial?.(trial);
  }
  // The last run: no kill; it finishes what the killed ones left in flight.
  const drain = await runWriter(options, [store, dataDir, String(laneSeed), String(options.trials), 'drain'], acked, rng, 'drain');
  if (drain.exit !== 0) {
    const how = drain.exit !== null ? `exit ${drain.exit}` : drain.ready ? `stalled: no task accepted for ${JOBS_DRAIN_STALL_MS} ms` : `not ready within ${JOBS_READY_TIMEOUT_MS} ms`;
    report.problems.push(`${options.kind} drain: ${how}\n${drain.err.slice(-2_000)}`);
    report.lost++;
  }
  await check(options, dataDir, acked, report, options.trials);
  const final = await openStore(options, dataDir);
  try {
    for (const [batch] of acked.batches) {
      for (const task of (await final.tasks(batch, null, 100)).items) {
        const count = await storedCount(final, task.id);
        if (count === null) report.drainedNotAccepted++;
        else if (count !== expected(task.name)) report.drainedWrong++;
        else report.drainedAccepted++;
      }
    }
  } finally {
    await final.close();
  }
  report.batchesAcked = acked.batches.size;
  report.tasksAcked = [...acked.batches.values()].reduce((n, los) => n + los.length, 0);
  report.factsAcked = acked.facts.size;
  report.acceptedAcked = acked.accepted.size;
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

export function jobsCrashClean(reports: readonly JobsCrashReport[]): boolean {
  return reports.every((r) => r.lost === 0 && r.inconsistent === 0 && r.drainedNotAccepted === 0 && r.drainedWrong === 0);
}
