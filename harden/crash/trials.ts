// Crash-safety trials: a real writer (writer.ts, bundled by esbuild) is started on a data dir,
// SIGKILLed at a random moment (before it is ready now and then, so start-up writes such as the
// identity's are hit too; otherwise at a random delay after), and everything it wrote is loaded
// with the real loaders (checks.ts). Lanes run side by side, each on its own data dir, which
// carries over from trial to trial as a real node's does (now and then a lane starts afresh, so
// identity creation itself gets killed). Kill moments come from the seed.
import { type ChildProcess } from 'node:child_process';
import { spawnSupervised } from '../../src-node/kernel/process/lifeline.js';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleChild } from '../lib/bundle-child.js';
import { Rng, deriveSeed } from '../lib/random.js';
import { type FileCheck, type Progress, checkDirectory, checkNodeFiles, newProgress } from './checks.js';

export type WriterKind = 'node' | 'directory' | 'orchestrator';
export const WRITER_KINDS: readonly WriterKind[] = ['node', 'directory', 'orchestrator'];

/** Share of the trials per writer. */
export const TRIAL_SHARES: Readonly<Record<WriterKind, number>> = { node: 0.5, directory: 0.25, orchestrator: 0.25 };
/** One trial in this many is killed before the writer says it is ready (start-up writes). */
export const PRE_READY_EVERY = 6;
/** One node trial in this many starts on a fresh data dir (identity creation killed too). */
export const FRESH_DIR_EVERY = 10;
/** After ready, the kill comes within this many ms. */
export const MAX_KILL_DELAY_MS = 250;
/** A writer not ready within this long has failed (a loaded machine starts slowly). */
export const READY_TIMEOUT_MS = 30_000;

export interface CrashOptions {
  readonly seed: number;
  /** Trials in all, split between the writers by TRIAL_SHARES. */
  readonly trials: number;
  readonly lanes: number;
  /** Where the lanes' data dirs go. */
  readonly workDir: string;
  /** The bundled writer (buildCrashWriter). */
  readonly writer: string;
  readonly onTrial?: (kind: WriterKind, trial: number, checks: readonly FileCheck[]) => void;
}

export interface WriterReport {
  readonly kind: WriterKind;
  trials: number;
  killedBeforeReady: number;
  killedAfterReady: number;
  freshDirs: number;
  /** Completed writes the writer reported (all files). */
  completedWrites: number;
  /** Trials whose kill came while a write had begun and not completed (a file being written). */
  killedMidWrite: number;
  filesChecked: number;
  ok: number;
  named: number;
  unreadable: number;
  lost: number;
  /** The first problems, for the report. */
  problems: string[];
  seconds: number;
}

/** Bundles the writer child into `outfile` (dependencies stay external: run it from inside the repo). */
export function buildCrashWriter(outfile: string): Promise<void> {
  return bundleChild({ dir: 'crash', module: 'writer.ts', run: 'runHardenWriter' }, outfile);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A sleep that does not keep the process alive once it is no longer awaited. */
function timeLimit(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

interface Lane {
  readonly kind: WriterKind;
  readonly index: number;
  readonly seed: number;
  dataDir: string;
  generation: number;
  identity: string | undefined;
  readonly progress: Progress;
  dirs: number;
}

/** Runs the writer until killed; feeds what it reports into `progress`. */
async function killedWriter(writer: string, args: readonly string[], lane: Lane, rng: Rng, preReady: boolean): Promise<{ ready: boolean; completed: number }> {
  const child: ChildProcess = spawnSupervised(process.execPath, [writer, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let buffered = '';
  let ready = false;
  let completed = 0;
  let markReady: () => void = () => undefined;
  const readySignal = new Promise<void>((resolve) => (markReady = resolve));
  const progress = lane.progress;
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-4_000)));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [word, a, b, c] = line.split(' ');
      if (word === 'ready') {
        ready = true;
        markReady();
      } else if (word === 'identity' && a) {
        lane.identity = a;
      } else if (word === 'begin' && a && b) {
        progress.begun.set(a, Math.max(progress.begun.get(a) ?? -1, Number(b)));
      } else if (word === 'done' && a === 'directory' && b && c) {
        completed++;
        progress.acked.set(b, Math.max(progress.acked.get(b) ?? -1, Number(c)));
        progress.done.set('directory', Math.max(progress.done.get('directory') ?? -1, Number(c)));
      } else if (word === 'done' && a && b) {
        completed++;
        progress.done.set(a, Math.max(progress.done.get(a) ?? -1, Number(b)));
        if (a === 'trace') progress.tracesThisTrial.push(Number(b));
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    if (preReady) {
      // Start-up: anywhere from the first instruction to a little after ready.
      const limit = timeLimit(rng.next() * 1_200);
      await Promise.race([readySignal, exited, limit.promise]);
      limit.cancel();
    } else {
      const limit = timeLimit(READY_TIMEOUT_MS);
      await Promise.race([readySignal, exited, limit.promise]);
      limit.cancel();
      if (!ready) throw new Error(`the ${lane.kind} writer was not ready within ${READY_TIMEOUT_MS} ms: ${err}`);
      await sleep(rng.next() * MAX_KILL_DELAY_MS);
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  if (child.signalCode !== 'SIGKILL') throw new Error(`the ${lane.kind} writer ended on its own (code ${child.exitCode}): ${err}`);
  return { ready, completed };
}

async function freshDir(lane: Lane, workDir: string): Promise<void> {
  lane.dirs++;
  lane.dataDir = join(workDir, `${lane.kind}-${lane.index}-${lane.dirs}`);
  await mkdir(lane.dataDir, { recursive: true });
  lane.identity = undefined;
  lane.progress.begun.clear();
  lane.progress.done.clear();
  lane.progress.acked.clear();
}

async function runLane(lane: Lane, trials: number, options: CrashOptions, report: WriterReport): Promise<void> {
  const rng = new Rng(lane.seed);
  await freshDir(lane, options.workDir);
  for (let trial = 0; trial < trials; trial++) {
    if (lane.kind === 'node' && trial > 0 && rng.int(FRESH_DIR_EVERY) === 0) {
      await rm(lane.dataDir, { recursive: true, force: true });
      await freshDir(lane, options.workDir);
      report.freshDirs++;
    }
    lane.progress.tracesThisTrial.length = 0;
    const preReady = rng.int(PRE_READY_EVERY) === 0;
    const first = Math.max(lane.generation, ...lane.progress.begun.values(), ...lane.progress.done.values()) + 1;
    const args =
      lane.kind === 'directory'
        ? ['directory', lane.dataDir, String(lane.seed), String(first + 1_000)]
        : ['node', lane.dataDir, lane.kind === 'orchestrator' ? 'orchestrator' : 'contributor', String(first), String(lane.seed)];
    const { ready, completed } = await killedWriter(options.writer, args, lane, rng, preReady);
    lane.generation = first;
    report.trials++;
    if (ready) report.killedAfterReady++;
    else report.killedBeforeReady++;
    report.completedWrites += completed;
    if ([...lane.progress.begun].some(([file, generation]) => (lane.progress.done.get(file) ?? -1) < generation)) report.killedMidWrite++;
    let checks: FileCheck[];
    if (lane.kind === 'directory') {
      checks = await checkDirectory(lane.dataDir, lane.progress);
    } else {
      const result = await checkNodeFiles(lane.dataDir, lane.progress, lane.seed, lane.identity, lane.kind === 'orchestrator' ? 'orchestrator' : 'contributor');
      lane.identity ??= result.identity?.nodeId;
      checks = result.checks;
    }
    for (const c of checks) {
      report.filesChecked++;
      report[c.verdict]++;
      if (c.verdict !== 'ok' && report.problems.length < 20) report.problems.push(`${lane.kind} lane ${lane.index} trial ${trial}: ${c.file} ${c.verdict}${c.detail ? `: ${c.detail}` : ''}`);
    }
    options.onTrial?.(lane.kind, trial, checks);
  }
}

/** Runs the trials (split between the writers and across the lanes) and answers the figures per writer. */
export async function runCrashTrials(options: CrashOptions): Promise<WriterReport[]> {
  const reports = new Map<WriterKind, WriterReport>(
    WRITER_KINDS.map((kind) => [kind, { kind, trials: 0, killedBeforeReady: 0, killedAfterReady: 0, freshDirs: 0, completedWrites: 0, killedMidWrite: 0, filesChecked: 0, ok: 0, named: 0, unreadable: 0, lost: 0, problems: [], seconds: 0 }]),
  );
  // Each writer's trials go to its own lanes; the lanes of all writers share the machine.
  const work: Array<{ lane: Lane; trials: number }> = [];
  for (const kind of WRITER_KINDS) {
    const total = Math.max(1, Math.round(options.trials * TRIAL_SHARES[kind]));
    const lanes = Math.max(1, Math.min(options.lanes, total));
    for (let index = 0; index < lanes; index++) {
      const share = Math.floor(total / lanes) + (index < total % lanes ? 1 : 0);
      work.push({ lane: { kind, index, seed: deriveSeed(options.seed, `${kind}-lane-${index}`), dataDir: '', generation: 0, identity: undefined, progress: newProgress(), dirs: 0 }, trials: share });
    }
  }
  let nextWork = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, options.lanes) }, async () => {
      while (nextWork < work.length) {
        const item = work[nextWork++]!;
        const report = reports.get(item.lane.kind)!;
        const laneStarted = Date.now();
        await runLane(item.lane, item.trials, options, report);
        report.seconds += (Date.now() - laneStarted) / 1000;
      }
    }),
  );
  return [...reports.values()];
}
