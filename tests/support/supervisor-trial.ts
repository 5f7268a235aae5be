// One supervisor-kill trial (issue 15 §6): start a supervisor (`pnode devnet`, `npm start`, …) as a
// child process, watch the process table while it runs, send it one signal at a chosen moment, and
// look for survivors of its tree — by the pids seen while it ran (with their start times) and by a
// fresh scan of the table for its supervision-tree id and the sessions of its members — until none
// is left or the bound runs out. Used by tests/integration/supervision.test.ts and by
// `npm run harden -- supervise`.
import { randomBytes } from 'node:crypto';
import { SUPERVISION_TREE_ENV, spawnSupervised } from '../../src-node/kernel/process/lifeline.js';
import { childGone } from '../../src-node/kernel/process/child-gone.js';
import { type ProcessEntry, ProcessWitness, descendantsOf, processTable, treeMembers, waitUntilGone } from './process-table.js';

/** How often the table is read while the supervisor runs. */
export const WATCH_INTERVAL_MS = 50;
/** Output kept from the supervisor, to explain a failed trial. */
const OUTPUT_KEPT_CHARS = 16 * 1024;

export type SupervisorSignal = 'SIGKILL' | 'SIGTERM' | 'SIGINT';

export interface SupervisorTrialOptions {
  /** `node <argv…>`. */
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly signal: SupervisorSignal;
  /** When to send it: a delay after the start, or once the output matches (then the delay after that). */
  readonly killAfterMs: number;
  readonly killAfterOutput?: RegExp;
  /** The supervisor must show `killAfterOutput` within this long. */
  readonly readyTimeoutMs?: number;
  /** Bound on the wait for the tree to be gone after the signal. */
  readonly goneWithinMs: number;
}

export interface SupervisorTrial {
  readonly signal: SupervisorSignal;
  /** ms from the start to the signal. */
  readonly killedAtMs: number;
  /** Processes of the tree (the supervisor included) seen while it ran. */
  readonly seen: number;
  /** Still running when the bound ran out (then SIGKILLed by the trial, so nothing leaks). */
  readonly survivors: readonly ProcessEntry[];
  /** ms from the signal until the last process of the tree was gone (the bound when some survived). */
  readonly lastGoneMs: number;
  readonly output: string;
}

export async function runSupervisorTrial(options: SupervisorTrialOptions): Promise<SupervisorTrial> {
  const tree = randomBytes(8).toString('hex');
  const started = performance.now();
  const supervisor = spawnSupervised(process.execPath, [...options.argv], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, [SUPERVISION_TREE_ENV]: tree },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const take = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT_CHARS);
  };
  supervisor.stdout!.on('data', take);
  supervisor.stderr!.on('data', take);
  const exitedWhole = childGone(supervisor);
  const witness = new ProcessWitness();
  const look = (): void => {
    const table = processTable();
    if (supervisor.pid !== undefined) witness.note([...descendantsOf(supervisor.pid, table), ...table.filter((e) => e.pid === supervisor.pid)]);
    witness.note(treeMembers(SUPERVISION_TREE_ENV, tree, table));
  };
  const watcher = setInterval(look, WATCH_INTERVAL_MS);
  try {
    if (options.killAfterOutput) {
      const deadline = performance.now() + (options.readyTimeoutMs ?? 120_000);
      while (!options.killAfterOutput.test(output)) {
        if (supervisor.exitCode !== null || supervisor.signalCode !== null) throw new Error(`the supervisor exited before ${options.killAfterOutput}:\n${output}`);
        if (performance.now() > deadline) throw new Error(`the supervisor did not print ${options.killAfterOutput} in time:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.killAfterMs));
  } finally {
    clearInterval(watcher);
  }
  look();
  const killedAtMs = performance.now() - started;
  supervisor.kill(options.signal);
  const alive = (): ProcessEntry[] => {
    const table = processTable();
    const byPid = witness.survivors();
    const byScan = treeMembers(SUPERVISION_TREE_ENV, tree, table);
    return [...new Map([...byPid, ...byScan].map((e) => [e.pid, e])).values()];
  };
  const gone = await waitUntilGone(alive, options.goneWithinMs);
  for (const left of gone.survivors) {
    try {
      process.kill(left.pid, 'SIGCONT');
      process.kill(left.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  // Its last lines ("stopped") can arrive after its exit.
  await exitedWhole;
  return { signal: options.signal, killedAtMs, seen: witness.count, survivors: gone.survivors, lastGoneMs: gone.ms, output };
}

/** mulberry32: small and seedable, to spread kill moments reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
