// VNode hosting figures (issue 7 §4):
//  1. sandbox overhead: the same Mandelbrot tile run directly with WebAssembly in this process,
//     and as a task through a VNodeHost (warm sandbox process, fresh worker per task; and cold,
//     with a new process), for a small and a large tile;
//  2. CPU share: a task that never ends, run for a window of 10 s under a CPU limit, its CPU time
//     read from the kernel (/proc where it exists, else the sandbox's own reports), measured
//     against the configured limit;
//  3. how soon work stops (issue 7 §4 asks for within a second; the tests assert only that it
//     does): from a pause until the kernel has stopped the sandbox (signal mode) or its CPU time
//     stands still (cooperative), and from releasing a VNode until its sandbox process is gone.
// Figures are printed, not asserted (DESIGN.md §8).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type ContributionLimits } from '../src-shared/control/state.js';
import { loadDemoModule, type LoadedModule } from '../src-node/kernel/workloads/demo/demo-workloads.js';
import { MANDELBROT_ENTRY, type TileSpec, encodeTileInput, mandelbrotTileReference, tileWorkload } from '../src-node/kernel/workloads/demo/mandelbrot.js';
import { MAX_PRIMES_BOUND, primesWorkload } from '../src-node/kernel/workloads/demo/primes.js';
import { directRunner } from '../tests/support/vnode/direct.js';
import { processExists, processState } from '../tests/support/vnode/host-fixtures.js';
import type { SuspendMode } from '../src-node/contributor/vnode/sandbox-process.js';
import { VNodeHost } from '../src-node/contributor/vnode/vnode-host.js';
import { type Measurement, measure, printEnvironment, printTable, timeScale } from './lib/measure.js';

const SHARE_WINDOW_MS = Math.max(2_000, Math.round(10_000 * timeScale()));
const OVERHEAD_TIME_MS = Math.max(500, Math.round(3_000 * timeScale()));
const LIMITS: ContributionLimits = { ...DEFAULT_LIMITS, cpuPercent: 100, memoryPercent: 50, maxCores: 2, onlyWhenIdle: false, pauseOnBattery: false };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const grouped = (n: number) => Math.round(n).toLocaleString('en-US');

async function newHost(dir: string, limits: ContributionLimits, suspendMode?: SuspendMode): Promise<VNodeHost> {
  const host = new VNodeHost({ dataDir: dir, limits, ...(suspendMode ? { suspendMode } : {}) });
  await host.start();
  return host;
}

/** Runs an async operation one at a time for a while; the median of ROUNDS rounds gives the rate. */
async function measureAsync(name: string, fn: () => Promise<unknown>, timeMs: number, rounds = 5): Promise<Measurement> {
  await fn();
  const rates: number[] = [];
  let ops = 0;
  let seconds = 0;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < timeMs / rounds || n === 0) {
      await fn();
      n++;
    }
    const s = (performance.now() - start) / 1000;
    rates.push(n / s);
    ops += n;
    seconds += s;
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  return { name, ops, seconds, opsPerSecond: median, microsPerOp: 1e6 / median, spread: (rates[rates.length - 1]! - rates[0]!) / median };
}

async function overhead(mandelbrot: LoadedModule, dir: string): Promise<void> {
  const host = await newHost(join(dir, 'overhead'), LIMITS);
  await host.modules.put(mandelbrot.bytes, mandelbrot.hash);
  host.allocate({ vnodeId: 'bench', orchestrator: 'bench', cores: 1, memoryMb: 16 });
  const direct = directRunner(mandelbrot.bytes, MANDELBROT_ENTRY, 1);
  let n = 0;
  const tiles: [string, TileSpec][] = [
    ['small tile (32², 200 it.)', { x: 3, y: 2, size: 32, tiles: 8, maxIterations: 200 }],
    ['large tile (128², 5000 it.)', { x: 2, y: 1, size: 128, tiles: 4, maxIterations: 5_000 }],
  ];
  for (const [label, spec] of tiles) {
    const expected = mandelbrotTileReference(spec);
    const input = encodeTileInput(spec);
    const workload = tileWorkload(mandelbrot, spec);
    const viaHost = async () => {
      const result = await host.runTask({ ...workload, taskId: `t${++n}`, vnodeId: 'bench' });
      if (result.status !== 'ok' || result.output!.length !== expected.length) throw new Error(`task ${result.status}: ${result.detail}`);
      return result;
    };
    const rows = [
      measure(`${label}: direct, in process`, () => direct.run(input), { timeMs: OVERHEAD_TIME_MS }),
      await measureAsync(`${label}: VNodeHost, warm sandbox`, viaHost, OVERHEAD_TIME_MS),
    ];
    // Cold: the VNode's process is ended before each task, so every task starts a new one.
    const cold = await measureAsync(
      `${label}: VNodeHost, new process`,
      async () => {
        await host.release('bench');
        host.allocate({ vnodeId: 'bench', orchestrator: 'bench', cores: 1, memoryMb: 16 });
        return viaHost();
      },
      OVERHEAD_TIME_MS,
      3,
    );
    rows.push(cold);
    printTable(`sandbox overhead, ${label}`, rows);
    const last = await viaHost();
    const ratio = (a: Measurement, b: Measurement) => (a.opsPerSecond / b.opsPerSecond).toFixed(2);
    process.stdout.write(
      `overhead: warm ${ratio(rows[0]!, rows[1]!)}×, cold ${ratio(rows[0]!, cold)}× the direct time per task ` +
        `(direct ${rows[0]!.microsPerOp.toFixed(0)} µs; warm ${rows[1]!.microsPerOp.toFixed(0)} µs, +${(rows[1]!.microsPerOp - rows[0]!.microsPerOp).toFixed(0)} µs; ` +
        `cold ${cold.microsPerOp.toFixed(0)} µs); a warm task reports ${last.cpuMs} ms CPU, ${last.wallMs} ms wall\n\n`,
    );
  }
  await host.stop();
}

/** CPU time of a process so far, ms: from /proc (exact, even while stopped) where there is one. */
function kernelCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, in clock ticks (USER_HZ = 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

interface ShareRow {
  readonly label: string;
  readonly configured: number;
  /** CPU time / wall time per task, %. */
  readonly measured: number;
  /** CPU a task got while allowed to run / the time it was allowed to run, %: below 100 on a busy machine. */
  readonly available: number | null;
  /** CPU time while suspended / wall time, %: what leaks past the limit. */
  readonly leaked: number | null;
  readonly source: string;
}

/** The tasks' CPU time is read this often, each step booked to "allowed to run" or "suspended". */
const SAMPLE_MS = 10;

async function cpuShare(primes: LoadedModule, dir: string, label: string, cpuPercent: number, tasks: number, suspendMode?: SuspendMode): Promise<ShareRow> {
  const host = await newHost(join(dir, `share-${label.replace(/\W+/g, '-')}`), { ...LIMITS, cpuPercent, maxCores: tasks }, suspendMode);
  await host.modules.put(primes.bytes, primes.hash);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < tasks; i++) {
    host.allocate({ vnodeId: `share-${i}`, orchestrator: 'bench', cores: 1, memoryMb: 16 });
    // Counting primes below 2^31 by trial division outlasts the window by far.
    pending.push(host.runTask({ ...primesWorkload(primes, 0, MAX_PRIMES_BOUND, { memoryMb: 1, maxMs: 60 * 60_000, cores: 1 }), taskId: `share-${i}`, vnodeId: `share-${i}` }));
  }
  for (let waited = 0; host.running().filter((r) => r.cpuMs > 0).length < tasks; waited += 10) {
    if (waited > 15_000) throw new Error('the share tasks did not start');
    await sleep(10);
  }
  const pids = host.running().map((r) => r.pid!);
  const useKernel = pids.every((pid) => kernelCpuMs(pid) !== null);
  const cpuNow = () => (useKernel ? pids.reduce((sum, pid) => sum + kernelCpuMs(pid)!, 0) : host.running().reduce((sum, r) => sum + r.cpuMs, 0));
  const t0 = performance.now();
  const c0 = cpuNow();
  let last = { t: t0, cpu: c0, suspended: host.running()[0]?.suspended ?? false };
  const booked = { runMs: 0, runCpu: 0, stoppedCpu: 0 };
  while (performance.now() - t0 < SHARE_WINDOW_MS) {
    await sleep(SAMPLE_MS);
    const now = { t: performance.now(), cpu: cpuNow(), suspended: host.running()[0]?.suspended ?? false };
    if (last.suspended) booked.stoppedCpu += now.cpu - last.cpu;
    else {
      booked.runMs += now.t - last.t;
      booked.runCpu += now.cpu - last.cpu;
    }
    last = now;
  }
  const wall = last.t - t0;
  for (let i = 0; i < tasks; i++) await host.cancelTask(`share-${i}`);
  await Promise.all(pending);
  await host.stop();
  return {
    label,
    configured: cpuPercent,
    measured: ((last.cpu - c0) / wall / tasks) * 100,
    // /proc counts 10 ms ticks: booking a step to its phase is right to a tick or so.
    available: useKernel && booked.runMs > 0 ? (booked.runCpu / booked.runMs / tasks) * 100 : null,
    leaked: useKernel ? (booked.stoppedCpu / wall / tasks) * 100 : null,
    source: useKernel ? '/proc' : 'sandbox reports',
  };
}

/** Rounds of each stop measured. */
const STOP_ROUNDS = 5;
/** How often the kernel's view is read while waiting for a stop. */
const STOP_POLL_MS = 1;
/** A stop not seen within this is reported as not seen. */
const STOP_GIVE_UP_MS = 30_000;

/** Milliseconds until `done()` holds, read every STOP_POLL_MS; null if it never did. */
async function msUntil(done: () => boolean): Promise<number | null> {
  const t0 = performance.now();
  while (!done()) {
    if (performance.now() - t0 > STOP_GIVE_UP_MS) return null;
    await sleep(STOP_POLL_MS);
  }
  return performance.now() - t0;
}

/** Until the kernel's count of the process's CPU time stops moving for STILL_MS (cooperative pauses). */
const STILL_MS = 100;
async function msUntilStill(pid: number): Promise<number | null> {
  const t0 = performance.now();
  let last = kernelCpuMs(pid);
  let stillSince = performance.now();
  while (performance.now() - stillSince < STILL_MS) {
    if (performance.now() - t0 > STOP_GIVE_UP_MS || last === null) return null;
    await sleep(STOP_POLL_MS);
    const now = kernelCpuMs(pid);
    if (now !== last) stillSince = performance.now();
    last = now;
  }
  // The last tick counted came just before the quiet STILL_MS began.
  return stillSince - t0;
}

function stopFigure(label: string, samples: readonly (number | null)[]): string {
  const seen = samples.filter((s): s is number => s !== null).sort((a, b) => a - b);
  if (seen.length === 0) return `${label}: never seen (${samples.length} rounds)`;
  const median = seen[Math.floor(seen.length / 2)]!;
  const unseen = samples.length - seen.length;
  return `${label}: median ${median.toFixed(1)} ms, max ${seen[seen.length - 1]!.toFixed(1)} ms over ${seen.length} rounds${unseen > 0 ? `, ${unseen} not seen within ${STOP_GIVE_UP_MS} ms` : ''}`;
}

async function stopLatency(primes: LoadedModule, dir: string): Promise<void> {
  if (processState(process.pid) === null) {
    process.stdout.write('how soon work stops: needs /proc, skipped here\n');
    return;
  }
  const lines: string[] = [];
  for (const mode of ['signal', 'cooperative'] as const) {
    const host = await newHost(join(dir, `stop-${mode}`), LIMITS, mode);
    await host.modules.put(primes.bytes, primes.hash);
    const pauses: (number | null)[] = [];
    const releases: (number | null)[] = [];
    for (let round = 0; round < STOP_ROUNDS; round++) {
      const vnodeId = `stop-${round}`;
      host.allocate({ vnodeId, orchestrator: 'bench', cores: 1, memoryMb: 16 });
      const pending = host.runTask({ ...primesWorkload(primes, 0, MAX_PRIMES_BOUND, { memoryMb: 1, maxMs: 60 * 60_000, cores: 1 }), taskId: vnodeId, vnodeId });
      if ((await msUntil(() => (host.running()[0]?.cpuMs ?? 0) > 0)) === null) throw new Error('the task did not start');
      const pid = host.running()[0]!.pid!;
      host.pauseAll('snoozed');
      pauses.push(mode === 'signal' ? await msUntil(() => processState(pid) === 'T') : await msUntilStill(pid));
      host.resumeAll();
      const released = host.release(vnodeId);
      releases.push(await msUntil(() => !processExists(pid)));
      await released;
      await pending;
    }
    await host.stop();
    lines.push(stopFigure(`pause → ${mode === 'signal' ? 'the kernel stopped the sandbox' : 'its CPU time stands still, to a 10 ms tick'} (${mode})`, pauses));
    lines.push(stopFigure(`release → the sandbox process gone (${mode})`, releases));
  }
  process.stdout.write(`How soon work stops (issue 7 §4: within 1,000 ms)\n${lines.map((l) => `  ${l}\n`).join('')}\n`);
}

printEnvironment();
const dir = mkdtempSync(join(tmpdir(), 'pnode-vnode-bench-'));
try {
  const mandelbrot = await loadDemoModule('mandelbrot');
  const primes = await loadDemoModule('primes');
  await overhead(mandelbrot, dir);

  const rows: ShareRow[] = [];
  const cores = availableParallelism();
  const plan: [string, number, number, SuspendMode | undefined][] = [
    ['1 task, limit 30 %', 30, 1, undefined],
    ['1 task, limit 60 %', 60, 1, undefined],
    ['1 task, limit 100 %', 100, 1, undefined],
    ...(cores >= 2 ? ([['2 tasks on 2 cores, limit 50 %', 50, 2, undefined]] as [string, number, number, undefined][]) : []),
    ['1 task, limit 30 %, cooperative (yield)', 30, 1, 'cooperative'],
  ];
  for (const [label, percent, tasks, mode] of plan) rows.push(await cpuShare(primes, dir, label, percent, tasks, mode));
  // On a busy machine a task gets less than the limit allows it: "got CPU when allowed" says how
  // much of the time it was allowed to run it actually had a CPU, and measured / that is the share
  // the duty cycle gave it, which is what the limit controls.
  process.stdout.write(`CPU share per task over ${(SHARE_WINDOW_MS / 1000).toFixed(0)} s (duty cycle 1 s; CPU time read every ${SAMPLE_MS} ms)\n`);
  const width = Math.max(...rows.map((r) => r.label.length));
  const pct = (value: number | null, digits = 1) => (value === null ? '–' : `${value.toFixed(digits)} %`);
  process.stdout.write(`${'run'.padEnd(width)}   configured   measured   got CPU when allowed   measured/that   while suspended   CPU time from\n`);
  for (const row of rows) {
    const corrected = row.available ? (row.measured / row.available) * 100 : null;
    process.stdout.write(
      `${row.label.padEnd(width)}   ${`${row.configured} %`.padStart(10)}   ${pct(row.measured).padStart(8)}   ${pct(row.available).padStart(20)}   ${pct(corrected).padStart(13)}   ${pct(row.leaked, 2).padStart(15)}   ${row.source}\n`,
    );
  }
  process.stdout.write(`\n(${grouped(SHARE_WINDOW_MS)} ms windows: "measured/that" should match "configured", and CPU while suspended should be about 0)\n\n`);
  await stopLatency(primes, dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
