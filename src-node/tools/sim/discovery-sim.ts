// The discovery simulation (issue 4 §4): N real nodes on loopback (real sessions, real crypto, the
// full discovery stack), one seed and one seed directory; each second it prints what share of the
// live nodes know what share of the live peers. Churn stops and restarts P % of the nodes per
// interval; a partition splits the network in two (sessions refused across, seed and directory
// out of reach for one half), new nodes join on both sides, then it heals.
import { type ChildProcess } from 'node:child_process';
import { spawnSupervised } from '../../kernel/process/lifeline.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimServices } from './sim-services.js';
import { startTcpGate, type TcpGate } from './tcp-gate.js';
import { type CoordinatorMessage, type SimNodeSpec, type WorkerMessage, SIM_REPORT_INTERVAL_MS } from './sim-protocol.js';

/** A node "knows" the network when it holds current advertisements of this share of the live peers… */
export const KNOWS_SHARE = 0.95;
/** …and the network has converged when this share of the live nodes do. */
export const CONVERGED_SHARE = 0.95;
export const DEFAULT_SIM_WORKERS = 2;
/** Nodes each worker starts at once. */
export const SIM_START_CONCURRENCY = 8;
/** libuv threads per worker process (Node's default is 4). */
export const SIM_WORKER_THREADPOOL = 32;
export const CHURN_INTERVAL_MS = 2_000;
/** How long churn runs before the network is left to settle. */
export const CHURN_WINDOW_MS = 10_000;
/** Share of the nodes that join during a partition (half on each side). */
export const PARTITION_JOINERS = 0.1;
/**
 * After the join phase, the network is left alone this long to measure what full-membership gossip
 * costs each node at rest (issue 12 §4): session bytes sent per node per minute, and memory per node.
 */
export const STEADY_WINDOW_MS = 60_000;
/** Before the steady window: no node has started for this long (or all run). */
export const STEADY_QUIET_MS = 10_000;

export interface DiscoverySimOptions {
  readonly nodes: number;
  /** Percent of nodes stopped and restarted per churn interval (0 = no churn). */
  readonly churnPercent?: number;
  readonly partition?: boolean;
  readonly workers?: number;
  /** Longest wait for each phase to converge. */
  readonly phaseTimeoutMs?: number;
  /** Longest wait for the nodes of a phase to be running (default: twice the phase timeout). */
  readonly startTimeoutMs?: number;
  /** The steady-state measurement after the join phase (default STEADY_WINDOW_MS; 0: none). */
  readonly steadyWindowMs?: number;
  /** Where the worker entry is (the built `pnode` binary). */
  readonly pnodeBin: string;
  readonly print?: (line: string) => void;
}

export interface PhaseFigure {
  readonly phase: string;
  /** From the moment the phase's last node was running (or the heal) until convergence; null if it never did. */
  readonly convergedAfterMs: number | null;
  readonly finalShare: number;
}

/** What gossip costs each node once the network has converged, measured over a quiet window. */
export interface SteadyFigure {
  readonly windowMs: number;
  /** Live nodes through the whole window. */
  readonly nodes: number;
  /** Sealed session bytes sent per node per minute (mean; WebSocket/TCP framing aside). */
  readonly bytesPerNodePerMinute: number;
  /** The busiest node's bytes per minute (the seed-adjacent ones carry more). */
  readonly maxBytesPerNodePerMinute: number;
  /** Workers' RSS less their size before any node started, per node. */
  readonly memoryPerNodeBytes: number;
}

export interface DiscoverySimResult {
  readonly nodes: number;
  /** How many of them were running when the first phase began (fewer when start-up timed out). */
  readonly runningNodes: number;
  readonly startupMs: number;
  readonly phases: readonly PhaseFigure[];
  readonly workerRssBytes: number;
  readonly steady: SteadyFigure | null;
}

interface SimNode extends SimNodeSpec {
  worker: number;
  nodeId?: string;
  running: boolean;
}

export async function runDiscoverySim(options: DiscoverySimOptions): Promise<DiscoverySimResult> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const workersCount = Math.max(1, options.workers ?? DEFAULT_SIM_WORKERS);
  const phaseTimeoutMs = options.phaseTimeoutMs ?? 120_000;
  const root = mkdtempSync(join(tmpdir(), 'pnode-sim-'));
  const gates: TcpGate[] = [];
  const workers: ChildProcess[] = [];
  const services: { stop(): Promise<void> }[] = [];
  const nodes = new Map<string, SimNode>();
  const known = new Map<string, number>();
  const rss = new Map<number, number>();
  const sent = new Map<string, number>();
  const phases: PhaseFigure[] = [];

  try {
    // The services: a directory (HTTP) and a seed, in this process.
    const { directory, seed: seedNode } = await startSimServices(root, services);
    const directoryModule = directory.directory;
    const seed = seedNode.runtime;
    const seedPort = Number(new URL(seed.listenUrls()[0]!).port);
    const directoryPort = Number(new URL(directoryModule.url).port);
    const seedGate = await startTcpGate(seedPort);
    const directoryGate = await startTcpGate(directoryPort);
    gates.push(seedGate, directoryGate);
    const seeds = { A: `${seed.identity.nodeId}@${seed.listenUrls()[0]}`, B: `${seed.identity.nodeId}@ws://127.0.0.1:${seedGate.port}/peer` };
    const directories = { A: directoryModule.url, B: `http://127.0.0.1:${directoryGate.port}` };

    const liveIds = (): string[] => [...nodes.values()].filter((n) => n.running && n.nodeId).map((n) => n.nodeId!);
    // A worker that already left (shutting down, or crashed) is skipped: sending to it would throw.
    const sendTo = (worker: ChildProcess, message: CoordinatorMessage): void => {
      if (worker.connected) worker.send(message);
    };
    const broadcastLive = (): void => {
      const ids = liveIds();
      for (const worker of workers) sendTo(worker, { type: 'live', ids });
    };

    for (let w = 0; w < workersCount; w++) {
      // Hundreds of nodes share one process and so one libuv pool for their file writes: the
      // default 4 threads would make each node's start wait behind the others' fsyncs.
      // The IPC channel is the worker's lifeline: it exits on 'disconnect' (sim-worker.ts).
      const worker = spawnSupervised(process.execPath, [...process.execArgv, options.pnodeBin, 'sim', 'worker'], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: { ...process.env, UV_THREADPOOL_SIZE: String(SIM_WORKER_THREADPOOL) },
        lifeline: 'ipc',
      });
      workers.push(worker);
      worker.on('error', (error) => print(`worker ${w}: ${error.message}`));
      worker.on('message', (raw) => {
        const message = raw as WorkerMessage;
        if (message.type === 'node-started') {
          const node = nodes.get(message.name);
          if (node) {
            node.nodeId = message.nodeId;
            node.running = true;
            broadcastLive();
          }
        } else if (message.type === 'node-failed') {
          print(`node ${message.name} failed to start: ${message.error}`);
        } else if (message.type === 'node-stopped') {
          known.delete(message.name);
        } else if (message.type === 'knowledge') {
          for (const [name, count] of Object.entries(message.known)) known.set(name, count);
          for (const [name, bytes] of Object.entries(message.sentBytes)) sent.set(name, bytes);
          rss.set(w, message.rssBytes);
        }
      });
    }

    let counter = 0;
    const newNode = (group: 'A' | 'B'): SimNode => {
      const name = `n${++counter}`;
      const worker = counter % workersCount;
      const node: SimNode = { name, dataDir: join(root, name), group, worker, running: false };
      nodes.set(name, node);
      return node;
    };
    const startNodes = (list: readonly SimNode[], first: boolean): void => {
      for (let w = 0; w < workersCount; w++) {
        const mine = list.filter((n) => n.worker === w).map(({ name, dataDir, group }) => ({ name, dataDir, group }));
        if (mine.length === 0) continue;
        const message: CoordinatorMessage = first
          ? { type: 'start', nodes: mine, seeds, directories, concurrency: SIM_START_CONCURRENCY }
          : { type: 'start-nodes', nodes: mine };
        sendTo(workers[w]!, message);
      }
    };

    /** Share of live nodes that know ≥ KNOWS_SHARE of the other live nodes. */
    const share = (): { share: number; knowing: number; live: number; median: number } => {
      const live = [...nodes.values()].filter((n) => n.running && n.nodeId);
      const others = Math.max(1, live.length - 1);
      const fractions = live.map((n) => (known.get(n.name) ?? 0) / others).sort((a, b) => a - b);
      const knowing = fractions.filter((f) => f >= KNOWS_SHARE).length;
      return { share: live.length ? knowing / live.length : 0, knowing, live: live.length, median: fractions[Math.floor(fractions.length / 2)] ?? 0 };
    };

    const startTimeoutMs = options.startTimeoutMs ?? phaseTimeoutMs * 2;
    const runningCount = (): number => [...nodes.values()].filter((n) => n.running).length;
    /** Waits until `expected` nodes run or start-up times out; how many run. */
    const waitRunning = async (expected: number): Promise<number> => {
      const from = Date.now();
      while (runningCount() < expected && Date.now() - from < startTimeoutMs) await sleep(100);
      return runningCount();
    };
    const started = Date.now();

    const report = (phase: string, from: number): number => {
      const s = share();
      print(`${phase.padEnd(8)} t=${((Date.now() - from) / 1000).toFixed(0).padStart(3)}s  ${(s.share * 100).toFixed(1).padStart(5)} % of ${s.live} live nodes know ≥ ${KNOWS_SHARE * 100} % of the live peers (median node knows ${(s.median * 100).toFixed(1)} %)`);
      return s.share;
    };

    /** Prints each second until converged (or the phase times out); ms from `from` to convergence. */
    const watch = async (phase: string, from: number): Promise<PhaseFigure> => {
      while (Date.now() - from < phaseTimeoutMs) {
        await sleep(1_000);
        const current = report(phase, from);
        if (current >= CONVERGED_SHARE) return { phase, convergedAfterMs: Date.now() - from, finalShare: current };
      }
      return { phase, convergedAfterMs: null, finalShare: share().share };
    };

    // The workers' size before any node starts: what memory per node is measured against.
    const reportedFrom = Date.now();
    while (rss.size < workersCount && Date.now() - reportedFrom < 30_000) await sleep(50);
    const baselineRss = [...rss.values()].reduce((a, b) => a + b, 0);

    // Phase 1: everyone joins (group A; group B also starts in A's network — the split comes later).
    const initial = Array.from({ length: options.nodes }, (_, i) => newNode(options.partition && i % 2 === 1 ? 'B' : 'A'));
    startNodes(initial, true);
    const runningNodes = await waitRunning(options.nodes);
    const startupMs = Date.now() - started;
    print(
      runningNodes === options.nodes
        ? `all ${options.nodes} nodes running after ${(startupMs / 1000).toFixed(1)} s`
        : `only ${runningNodes} of ${options.nodes} nodes running after ${(startupMs / 1000).toFixed(1)} s (start-up timed out; the rest keep starting)`,
    );
    phases.push(await watch('join', Date.now()));

    // At rest: what each node sends per minute and holds in memory once it knows the network.
    let steady: SteadyFigure | null = null;
    const windowMs = options.steadyWindowMs ?? STEADY_WINDOW_MS;
    if (windowMs > 0) {
      // At rest means no node still starting: their news would be counted as the others' cost.
      const quietFrom = Date.now();
      let lastCount = runningCount();
      let stableSince = Date.now();
      while (runningCount() < options.nodes && Date.now() - quietFrom < startTimeoutMs) {
        await sleep(1_000);
        if (runningCount() !== lastCount) {
          lastCount = runningCount();
          stableSince = Date.now();
        } else if (Date.now() - stableSince > STEADY_QUIET_MS) break;
      }
      print(`steady   measuring ${Math.round(windowMs / 1000)} s of gossip at rest with ${runningCount()} nodes running…`);
      const liveNames = (): Set<string> => new Set([...nodes.values()].filter((n) => n.running).map((n) => n.name));
      const before = new Map(sent);
      const atStart = liveNames();
      await sleep(windowMs + 2 * SIM_REPORT_INTERVAL_MS);
      const atEnd = liveNames();
      const steadyNodes = [...atStart].filter((name) => atEnd.has(name) && before.has(name) && sent.has(name));
      const perMinute = steadyNodes.map((name) => ((sent.get(name)! - before.get(name)!) * 60_000) / windowMs);
      const workersRss = [...rss.values()].reduce((a, b) => a + b, 0);
      steady = {
        windowMs,
        nodes: steadyNodes.length,
        bytesPerNodePerMinute: perMinute.length ? perMinute.reduce((a, b) => a + b, 0) / perMinute.length : 0,
        maxBytesPerNodePerMinute: perMinute.length ? Math.max(...perMinute) : 0,
        memoryPerNodeBytes: atEnd.size ? Math.max(0, workersRss - baselineRss) / atEnd.size : 0,
      };
      print(
        `steady   ${steady.nodes} nodes: ${(steady.bytesPerNodePerMinute / 1024).toFixed(1)} KiB sent per node per minute (busiest ${(steady.maxBytesPerNodePerMinute / 1024).toFixed(1)} KiB), ` +
          `${(steady.memoryPerNodeBytes / 2 ** 20).toFixed(2)} MiB memory per node`,
      );
    }

    if ((options.churnPercent ?? 0) > 0) {
      const churnCount = Math.max(1, Math.round((options.nodes * (options.churnPercent ?? 0)) / 100));
      const churn = (): void => {
        const candidates = [...nodes.values()].filter((n) => n.running);
        const victims = shuffle(candidates).slice(0, churnCount);
        for (const node of victims) node.running = false;
        broadcastLive();
        for (let w = 0; w < workersCount; w++) {
          const names = victims.filter((n) => n.worker === w).map((n) => n.name);
          if (names.length) sendTo(workers[w]!, { type: 'stop-nodes', names });
        }
        setTimeout(() => startNodes(victims, false), CHURN_INTERVAL_MS / 2).unref();
      };
      const churnStart = Date.now();
      let lastChurn = 0;
      let during = 0;
      while (Date.now() - churnStart < CHURN_WINDOW_MS) {
        await sleep(1_000);
        if (Date.now() - lastChurn >= CHURN_INTERVAL_MS) {
          churn();
          lastChurn = Date.now();
        }
        during = report('churn', churnStart);
      }
      // Under churn there is no "converged" moment: the figure is the share held while it ran.
      phases.push({ phase: 'churn', convergedAfterMs: null, finalShare: during });
      phases.push(await watch('settle', Date.now()));
    }

    if (options.partition) {
      const groupIds = (group: 'A' | 'B'): string[] => [...nodes.values()].filter((n) => n.group === group && n.nodeId).map((n) => n.nodeId!);
      seedGate.setOpen(false);
      directoryGate.setOpen(false);
      for (const worker of workers) {
        sendTo(worker, { type: 'allow', group: 'A', ids: [...groupIds('A'), seed.identity.nodeId, directory.runtime.identity.nodeId] });
        sendTo(worker, { type: 'allow', group: 'B', ids: groupIds('B') });
      }
      const joiners = Array.from({ length: Math.max(2, Math.round(options.nodes * PARTITION_JOINERS)) }, (_, i) => newNode(i % 2 === 0 ? 'A' : 'B'));
      print(`partition: two halves; ${joiners.length} new nodes join, half on each side`);
      // The joiners must be allowed on their own side before they start.
      const preview = (group: 'A' | 'B'): string[] => groupIds(group);
      startNodes(joiners, false);
      await waitRunning(nodes.size);
      for (const worker of workers) {
        sendTo(worker, { type: 'allow', group: 'A', ids: [...preview('A'), seed.identity.nodeId, directory.runtime.identity.nodeId] });
        sendTo(worker, { type: 'allow', group: 'B', ids: preview('B') });
      }
      await sleep(5_000);
      print(`partitioned: ${(share().share * 100).toFixed(1)} % of nodes know ≥ ${KNOWS_SHARE * 100} % (each half lacks the other's newcomers)`);
      seedGate.setOpen(true);
      directoryGate.setOpen(true);
      for (const worker of workers) {
        sendTo(worker, { type: 'allow', group: 'A', ids: null });
        sendTo(worker, { type: 'allow', group: 'B', ids: null });
      }
      print('healed');
      phases.push(await watch('heal', Date.now()));
    }

    return { nodes: options.nodes, runningNodes, startupMs, phases, workerRssBytes: [...rss.values()].reduce((a, b) => a + b, 0), steady };
  } finally {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.exitCode !== null || !worker.connected) return resolve();
            worker.once('exit', () => resolve());
            worker.send({ type: 'shutdown' } satisfies CoordinatorMessage);
            setTimeout(() => worker.kill('SIGKILL'), 20_000).unref();
          }),
      ),
    );
    for (const gate of gates) await gate.close();
    for (const service of services.reverse()) await service.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
