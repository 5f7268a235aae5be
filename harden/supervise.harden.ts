// `npm run harden -- supervise`: no process outlives its supervisor (issue 15 §6). Supervisors are
// killed at seeded random moments, from before their first child exists to a running network:
//   devnet   `pnode devnet --nodes 2` (directory, orchestrator, nodes, their VNode sandboxes)
//   start    `npm start` in browser mode (scripts/start.mjs: a devnet and the volunteer's own node)
//   node     a devnet node with work, SIGKILLed: its sandboxes (grandchildren of the devnet) must go
// with SIGKILL, SIGTERM or SIGINT sent to the supervisor's pid alone. Survivors are looked for by
// the pids seen while it ran and by a scan of /proc (tests/support/supervisor-trial.ts). Figures:
// kills, processes seen, survivors (must be 0), time from the signal until the last one was gone.
// Needs the built binary (npm run build) and Linux's /proc.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printHeader } from './lib/environment.js';
import { Rng, deriveSeed, scaleFromEnv, scaled, seedFromEnv } from './lib/random.js';
import { fixed, formatRows, grouped } from './lib/report.js';
import { packageRoot } from '../src-node/kernel/util/package-root.js';
import { spawnSupervised } from '../src-node/kernel/process/lifeline.js';
import { type ProcessEntry, ProcessWitness, descendantsOf, hasProcTable, processEntry, processTable, waitUntilGone } from '../tests/support/process-table.js';
import { runSupervisorTrial, type SupervisorSignal, type SupervisorTrial } from '../tests/support/supervisor-trial.js';

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('supervise', seed, scale);

const ROOT = packageRoot();
const PNODE = join(ROOT, 'bin', 'pnode.js');
const SIGNALS: readonly SupervisorSignal[] = ['SIGKILL', 'SIGTERM', 'SIGINT'];
/** Trials per signal at scale 1. */
const DEVNET_TRIALS_PER_SIGNAL = 8;
const START_TRIALS_PER_SIGNAL = 4;
const NODE_TRIALS = 4;
/** Kill moments are drawn from [0, window): a devnet of 2 nodes is up in ~5 s here, npm start in ~10 s. */
const DEVNET_KILL_WINDOW_MS = 10_000;
const START_KILL_WINDOW_MS = 15_000;
/** Bound on the wait for a tree to be gone (a child's graceful stop after its lifeline breaks is 10 s at most). */
const GONE_WITHIN_MS = 60_000;
/** How long a devnet node may take to start its first sandbox (the demo's first allocation). */
const SANDBOX_WAIT_MS = 60_000;

if (!hasProcTable()) {
  process.stdout.write('supervise: this machine has no /proc; nothing to measure\n');
  process.exit(0);
}
if (!existsSync(join(ROOT, 'dist', 'pnode.js')) || !existsSync(join(ROOT, 'dist', 'renderer', 'index.html'))) {
  process.stderr.write('supervise: run "npm run build" first (the trials run the built pnode and npm start)\n');
  process.exit(1);
}

const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-supervise-'));
const say = (line: string): void => void process.stdout.write(`${line}\n`);

interface Row {
  readonly supervisor: string;
  readonly signal: string;
  readonly trials: SupervisorTrial[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

let trialNo = 0;
async function trial(supervisor: string, signal: SupervisorSignal, rng: Rng): Promise<SupervisorTrial> {
  const dir = join(workDir, `${supervisor}-${++trialNo}`);
  const result =
    supervisor === 'devnet'
      ? await runSupervisorTrial({ argv: [PNODE, 'devnet', '--nodes', '2', '--data-dir', dir, '--heartbeat-interval-ms', '500'], signal, killAfterMs: rng.int(DEVNET_KILL_WINDOW_MS), goneWithinMs: GONE_WITHIN_MS })
      : await runSupervisorTrial({
          argv: [join(ROOT, 'scripts', 'start.mjs'), '--web'],
          cwd: ROOT,
          env: { PNODE_DEV_DIR: dir, PNODE_DEVNET_NODES: '1', PNODE_DEVNET_HEARTBEAT_MS: '500', DISPLAY: '' },
          signal,
          killAfterMs: rng.int(START_KILL_WINDOW_MS),
          goneWithinMs: GONE_WITHIN_MS,
        });
  say(`  ${supervisor.padEnd(6)} ${signal.padEnd(7)} at ${String(Math.round(result.killedAtMs)).padStart(6)} ms: ${result.seen} processes seen, ${result.survivors.length} survivors, last gone after ${Math.round(result.lastGoneMs)} ms`);
  if (result.survivors.length > 0) say(`    survivors: ${JSON.stringify(result.survivors)}\n${result.output.split('\n').slice(-20).join('\n')}`);
  await rm(dir, { recursive: true, force: true });
  return result;
}

/** Sandboxes of a running node: its child processes. */
function sandboxesOf(nodePid: number): ProcessEntry[] {
  return descendantsOf(nodePid).filter((e) => e.pid !== nodePid);
}

/** A devnet up and busy; one node SIGKILLed: its sandboxes must go. Then the devnet is stopped. */
async function nodeTrial(rng: Rng): Promise<SupervisorTrial> {
  const dir = join(workDir, `node-${++trialNo}`);
  const devnet = spawnSupervised(process.execPath, [PNODE, 'devnet', '--nodes', '1', '--data-dir', dir, '--heartbeat-interval-ms', '500'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  devnet.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-16_384)));
  devnet.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-16_384)));
  const devnetGone = new Promise<void>((resolve) => devnet.once('exit', () => resolve()));
  try {
    const deadline = performance.now() + SANDBOX_WAIT_MS;
    let nodePid: number | undefined;
    let sandboxes: ProcessEntry[] = [];
    while (performance.now() < deadline) {
      if (nodePid === undefined && existsSync(join(dir, 'devnet.json'))) {
        nodePid = (JSON.parse(readFileSync(join(dir, 'devnet.json'), 'utf8')) as { nodes: Array<{ pid: number }> }).nodes[0]?.pid;
      }
      if (nodePid !== undefined) sandboxes = sandboxesOf(nodePid);
      if (sandboxes.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (nodePid === undefined || sandboxes.length === 0) throw new Error(`the devnet's node started no sandbox within ${SANDBOX_WAIT_MS} ms:\n${output}`);
    // A random moment of the node's work: a sandbox may be mid-task, or stopped by the duty cycle.
    await new Promise((resolve) => setTimeout(resolve, rng.int(2_000)));
    const witness = new ProcessWitness();
    const node = processEntry(nodePid);
    witness.note([...(node ? [node] : []), ...sandboxesOf(nodePid)]);
    const started = performance.now();
    process.kill(nodePid, 'SIGKILL');
    const gone = await waitUntilGone(() => witness.survivors(), GONE_WITHIN_MS);
    for (const left of gone.survivors) process.kill(left.pid, 'SIGKILL');
    const result: SupervisorTrial = { signal: 'SIGKILL', killedAtMs: started, seen: witness.count, survivors: gone.survivors, lastGoneMs: gone.ms, output };
    say(`  node   SIGKILL with ${witness.count - 1} sandbox(es): ${gone.survivors.length} survivors, last gone after ${Math.round(gone.ms)} ms`);
    return result;
  } finally {
    devnet.kill('SIGINT');
    await devnetGone;
    const left = processTable().filter((e) => e.ppid === 1 && readCmdline(e.pid).includes(dir));
    for (const entry of left) process.kill(entry.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

const rows: Row[] = [];
try {
  for (const [supervisor, perSignal] of [
    ['devnet', DEVNET_TRIALS_PER_SIGNAL],
    ['start', START_TRIALS_PER_SIGNAL],
  ] as const) {
    say(`${supervisor === 'devnet' ? 'pnode devnet --nodes 2' : 'npm start (browser mode, 1 devnet node)'}:`);
    for (const signal of SIGNALS) {
      const rng = new Rng(deriveSeed(seed, `${supervisor}-${signal}`));
      const trials: SupervisorTrial[] = [];
      for (let i = 0; i < scaled(perSignal, scale); i++) trials.push(await trial(supervisor, signal, rng));
      rows.push({ supervisor, signal, trials });
    }
  }
  say('a devnet node with work (its sandboxes are the devnet\'s grandchildren):');
  const rng = new Rng(deriveSeed(seed, 'node'));
  const trials: SupervisorTrial[] = [];
  for (let i = 0; i < scaled(NODE_TRIALS, scale); i++) trials.push(await nodeTrial(rng));
  rows.push({ supervisor: 'node', signal: 'SIGKILL', trials });
} finally {
  await rm(workDir, { recursive: true, force: true });
}

const table = rows.map(({ supervisor, signal, trials }) => {
  const times = trials.map((t) => t.lastGoneMs).sort((a, b) => a - b);
  return [
    supervisor,
    signal,
    grouped(trials.length),
    grouped(trials.reduce((n, t) => n + t.seen, 0)),
    grouped(trials.reduce((n, t) => n + t.survivors.length, 0)),
    fixed(percentile(times, 50), 0),
    fixed(percentile(times, 99), 0),
    fixed(times[times.length - 1] ?? NaN, 0),
  ];
});
const kills = rows.reduce((n, r) => n + r.trials.length, 0);
const survivors = rows.reduce((n, r) => n + r.trials.reduce((m, t) => m + t.survivors.length, 0), 0);
say('');
say(formatRows(['supervisor', 'signal', 'kills', 'processes seen', 'survivors', 'last gone p50 ms', 'p99 ms', 'max ms'], table));
say('');
say(`${kills} kills, ${survivors} survivors (goal 0)`);
if (survivors > 0) process.exitCode = 1;
