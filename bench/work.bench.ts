// Work throughput (issue 7 §4): tasks per second through one orchestrator with 20 PNodes. All in
// this process on loopback — the orchestrator with its work scheduler and job store, 20
// contributors each with the VNode host, membership and the work runner (real sessions, real
// crypto); every task runs in a real sandbox process. The tasks are Mandelbrot tiles of the WASI
// program (workloads/mandelbrot-wasi) submitted through the job API, from inside the set (every
// pixel costs the full iteration count, so tiles cost the same), their iteration count calibrated
// so a tile takes ~100 ms when its WAT twin is run directly. Reported per run:
//   - accepted tasks/s and runs/s over the steady part of a job (after its first 10 %);
//   - p50 / p99 latency, end to end: from a task's first send to its acceptance;
//   - quorum overhead: results computed and sandbox CPU used per accepted task (1 alone, 2 for a
//     quorum), and the CPU this process (orchestrator and PNode runtimes) spent per accepted task.
// Three runs: untrusted PNodes (quorum of two), trusted PNodes (alone, 10 % spot-checked), and
// tiny tiles (~1 ms) that show the per-task cost of the pipeline itself. The 20 sandboxes share
// this machine's cores, so with fewer cores than PNodes the figures are bound by the CPU (the
// `machine busy` column says how much); the per-PNode send budget (WORK_MESSAGES_PER_SECOND) is
// the other bound. Figures are printed, not asserted (DESIGN.md §8).
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadDemoModule, type LoadedModule } from '../src-node/kernel/workloads/demo/demo-workloads.js';
import { MANDELBROT_ENTRY, type TileSpec, encodeTileInput } from '../src-node/kernel/workloads/demo/mandelbrot.js';
import { wasiWorkloadBytes } from '../src-node/services/orchestrator/work/demo.js';
import { toBase64url } from '../src-shared/protocol/encoding/base64url.js';
import { directRunner } from '../tests/support/vnode/direct.js';
import { WORK_MESSAGES_PER_SECOND } from '../src-node/services/orchestrator/work/work-profile.js';
import type { AcceptedTask } from '../src-node/services/orchestrator/work/work-scheduler.js';
import { type WorkNet, startWorkNet, submitBatch, waitBatch } from '../tests/support/work-net.js';
import { printEnvironment, timeScale } from './lib/measure.js';
import { percentile } from './lib/process-stats.js';

const PNODES = 20;
const TARGET_TASK_MS = 100;
const TILE_SIZE = 64;
/** A grid of 96 tiles a side: tiles 56–71 × 40–55 lie inside the main cardioid ([-0.5, 0] × [-0.25, 0.25]). */
const GRID = 96;
const INSIDE_X = [56, 72] as const;
const INSIDE_Y = [40, 56] as const;
const WINDOW_S = Math.max(4, Math.round(15 * timeScale()));

const grouped = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function insideTiles(size: number, maxIterations: number, count: number): TileSpec[] {
  const out: TileSpec[] = [];
  for (let i = 0; out.length < count; i++) {
    const span = INSIDE_X[1] - INSIDE_X[0];
    const cell = i % (span * (INSIDE_Y[1] - INSIDE_Y[0]));
    out.push({ x: INSIDE_X[0] + (cell % span), y: INSIDE_Y[0] + Math.floor(cell / span), size, tiles: GRID, maxIterations });
  }
  return out;
}

/** Iterations that make an inside tile of `size` take about `targetMs` run directly. */
function calibrate(module: LoadedModule, size: number, targetMs: number): { iterations: number; directMs: number } {
  const direct = directRunner(module.bytes, MANDELBROT_ENTRY, 1);
  const timeOne = (iterations: number) => {
    const input = encodeTileInput(insideTiles(size, iterations, 1)[0]!);
    direct.run(input);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      direct.run(input);
      times.push(performance.now() - start);
    }
    return percentile(times, 50);
  };
  // The time is nearly linear in the iterations; a few rounds of scaling settle it.
  let iterations = 500;
  let ms = timeOne(iterations);
  for (let round = 0; round < 4 && Math.abs(ms - targetMs) > targetMs * 0.1; round++) {
    iterations = Math.max(1, Math.min(65_535, Math.round((iterations * targetMs) / Math.max(0.01, ms))));
    ms = timeOne(iterations);
  }
  return { iterations, directMs: ms };
}

/** Busy and total jiffies of the whole machine, from /proc/stat (null elsewhere). */
function machineCpu(): { busy: number; total: number } | null {
  if (!existsSync('/proc/stat')) return null;
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

interface Figures {
  readonly name: string;
  readonly accepted: number;
  readonly tasksPerSecond: number;
  readonly runsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly resultsPerAccepted: number;
  readonly cpuMsPerAccepted: number;
  readonly cpuMsPerRun: number;
  /** CPU of this process (the orchestrator and the 20 PNode runtimes, not their sandboxes) per accepted task. */
  readonly hostCpuMsPerAccepted: number;
  /** Share of the machine's CPU busy during the job (all processes), or null without /proc. */
  readonly machineBusy: number | null;
}

async function runJob(net: WorkNet, name: string, tiles: readonly TileSpec[], module: Uint8Array): Promise<Figures> {
  const acceptedAt: number[] = [];
  const latencies: number[] = [];
  let batch = '';
  const onAccepted = (task: AcceptedTask) => {
    if (task.batch !== batch) return;
    acceptedAt.push(performance.now());
    if (task.firstSentAt !== null) latencies.push(task.decidedAt - task.firstSentAt);
  };
  net.scheduler.on('task-accepted', onAccepted);
  const before = { ok: net.scheduler.counters.attemptsEnded.ok, sent: net.scheduler.counters.attemptsSent, cpu: [...net.scheduler.pnodeStats.values()].reduce((n, s) => n + s.cpuMs, 0) };
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const machineBefore = machineCpu();
  const specs = tiles.map((t, i) => ({ name: `tile-${i}`, stdin: toBase64url(encodeTileInput(t)), limits: { 'memory-mb': 16, 'max-ms': 60_000 }, 'output-cap': t.size * t.size * 2 }));
  const made = await submitBatch(net, name, module, specs);
  batch = made.batch;
  await waitBatch(net, batch, 240_000);
  net.scheduler.off('task-accepted', onAccepted);
  const cpu = process.cpuUsage(cpuBefore);
  const machineAfter = machineCpu();
  const skip = Math.floor(acceptedAt.length / 10);
  const from = acceptedAt[skip - 1] ?? start;
  const to = acceptedAt[acceptedAt.length - 1]!;
  const steady = acceptedAt.length - skip;
  const seconds = Math.max(0.001, (to - from) / 1000);
  const accepted = acceptedAt.length;
  const runs = net.scheduler.counters.attemptsEnded.ok - before.ok;
  const sandboxCpu = [...net.scheduler.pnodeStats.values()].reduce((n, s) => n + s.cpuMs, 0) - before.cpu;
  return {
    name,
    accepted,
    tasksPerSecond: steady / seconds,
    runsPerSecond: (steady * (runs / Math.max(1, accepted))) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    resultsPerAccepted: runs / Math.max(1, accepted),
    cpuMsPerAccepted: sandboxCpu / Math.max(1, accepted),
    cpuMsPerRun: sandboxCpu / Math.max(1, net.scheduler.counters.attemptsSent - before.sent),
    hostCpuMsPerAccepted: (cpu.user + cpu.system) / 1000 / Math.max(1, accepted),
    machineBusy: machineBefore && machineAfter ? (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total) : null,
  };
}

function printFigures(rows: readonly Figures[]): void {
  const header = ['run', 'accepted', 'tasks/s', 'runs/s', 'p50 ms', 'p99 ms', 'results/task', 'CPU ms/task', 'CPU ms/run', 'nodes CPU ms/task', 'machine busy'];
  const lines = rows.map((r) => [
    r.name,
    grouped(r.accepted),
    grouped(r.tasksPerSecond, 1),
    grouped(r.runsPerSecond, 1),
    grouped(r.p50),
    grouped(r.p99),
    grouped(r.resultsPerAccepted, 2),
    grouped(r.cpuMsPerAccepted),
    grouped(r.cpuMsPerRun),
    grouped(r.hostCpuMsPerAccepted, 1),
    r.machineBusy === null ? 'n/a' : `${grouped(r.machineBusy * 100)} %`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${format(header)}\n${lines.map(format).join('\n')}\n`);
}

async function withNet<T>(trusted: boolean, fn: (net: WorkNet) => Promise<T>): Promise<T> {
  const net = await startWorkNet({
    contributors: PNODES,
    heartbeatIntervalMs: 1_000,
    // Each trusted PNode vouched for by an operator of its own (one operator's PNodes never check each other).
    ...(trusted ? { trust: (d) => ({ level: 'trusted' as const, operatorId: `bench-${d['node/id']}` }) } : {}),
  });
  try {
    await net.waitContributing(120_000);
    return await fn(net);
  } finally {
    await net.stop();
  }
}

async function main(): Promise<void> {
  printEnvironment();
  const mandelbrot = await loadDemoModule('mandelbrot');
  const { iterations, directMs } = calibrate(mandelbrot, TILE_SIZE, TARGET_TASK_MS);
  const cores = availableParallelism();
  // Runs the machine can do in the window: its cores over the tile's time; quorum runs two per task.
  const perRunMs = directMs * 1.1;
  const tasksFor = (resultsPerTask: number) => Math.max(PNODES * 2, Math.round(((WINDOW_S * 1000) / perRunMs) * Math.min(cores, PNODES) / resultsPerTask));
  process.stdout.write(`Work through one orchestrator, ${PNODES} PNodes (1 VNode each) in this process, ${cores} cores\n`);
  process.stdout.write(`tile ${TILE_SIZE}² inside the set, ${grouped(iterations)} iterations: ${grouped(directMs)} ms run directly\n\n`);

  const rows: Figures[] = [];
  await withNet(false, async (net) => {
    const module = wasiWorkloadBytes('mandelbrot-wasi');
    // Warm-up: every VNode placed, every sandbox started, the module shipped.
    await runJob(net, 'warm-up', insideTiles(8, 10, PNODES * 2), module);
    rows.push(await runJob(net, 'untrusted: quorum of 2', insideTiles(TILE_SIZE, iterations, tasksFor(2)), module));
    rows.push(await runJob(net, 'tiny tiles (8², 10 it.)', insideTiles(8, 10, PNODES * WORK_MESSAGES_PER_SECOND * 2), module));
    const rejected = net.scheduler.counters.tasksFailed;
    if (rejected > 0) process.stdout.write(`(${rejected} tasks failed)\n`);
  });
  await withNet(true, async (net) => {
    const module = wasiWorkloadBytes('mandelbrot-wasi');
    await runJob(net, 'warm-up', insideTiles(8, 10, PNODES * 2), module);
    rows.push(await runJob(net, 'trusted: alone, 10 % checked', insideTiles(TILE_SIZE, iterations, tasksFor(1.1)), module));
  });
  printFigures(rows);
  const [quorum, tiny, alone] = rows;
  process.stdout.write(
    `\nquorum overhead: ${grouped(quorum!.resultsPerAccepted, 2)} runs and ${grouped(quorum!.cpuMsPerAccepted)} ms CPU per accepted task (untrusted) vs ${grouped(alone!.resultsPerAccepted, 2)} and ${grouped(alone!.cpuMsPerAccepted)} ms (trusted); ` +
      `trusted/untrusted tasks/s = ${grouped(alone!.tasksPerSecond / quorum!.tasksPerSecond, 2)}×\n`,
  );
  process.stdout.write(
    `tiny tiles: ${grouped(tiny!.tasksPerSecond, 1)} tasks/s with the machine ${tiny!.machineBusy === null ? '' : `${grouped(tiny!.machineBusy * 100)} % `}busy ` +
      `(each run starts a fresh worker isolate in its sandbox); the send budget alone would allow ${grouped((PNODES * WORK_MESSAGES_PER_SECOND) / 2)} tasks/s (${PNODES} PNodes × ${WORK_MESSAGES_PER_SECOND} messages/s ÷ 2 runs)\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`work bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
