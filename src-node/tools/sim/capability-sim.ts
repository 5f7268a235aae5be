// `pnode sim discovery --mode dht|gossip` (issue 16 §5): the same N nodes, finding peers by
// capability two ways, side by side.
// - gossip: today's world. Every node listens (wss on loopback), joins through one seed and one
//   seed directory, and learns every advertisement by gossip (full membership); a find looks in
//   what it holds for a peer offering the capability and dials it.
// - dht: home PNodes. No node listens or has a seed or a directory; each joins the network's DHT
//   (one bootstrap node and a few reachable relays, as services and public PNodes would be), announces
//   its compute profile and finds peers by looking the capability up and verifying the candidate
//   with our handshake over a DHT stream. Each node's DHT has a loopback address of its own, as each
//   home has one address.
// Every node offers one of SIM_CAPABILITIES. Figures: memory per node (the workers' RSS over the
// running nodes), bytes per node per minute over a quiet window (session TCP bytes, plus the DHT's
// UDP bytes in dht mode), find latency p50/p99 and success (a live node that offers the capability,
// verified by the handshake) while quiet, and while P % of the nodes stop and restart every 2 s.
import { type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSupervised } from '../../kernel/process/lifeline.js';
import { startSimServices } from './sim-services.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { identityFromSeed } from '../../kernel/identity/node-identity.js';
import { openDhtEngine, type DhtEngine } from '../../kernel/dht/engine.js';
import { DAY_MS, buildNetworkDescriptor } from '../../../src-shared/network/network-descriptor.js';
import type { NetworkMembership } from '../../kernel/runtime/node-config.js';
import type { CoordinatorMessage, SimNodeSpec, WorkerMessage } from './sim-protocol.js';
import { CHURN_INTERVAL_MS, CHURN_WINDOW_MS, SIM_START_CONCURRENCY, SIM_WORKER_THREADPOOL } from './discovery-sim.js';

/** The compute profiles the simulated nodes offer, one each, round robin. */
export const SIM_CAPABILITIES = ['vnode/cpu-1', 'vnode/cpu-2', 'vnode/cpu-4', 'vnode/cpu-8', 'vnode/cpu-16', 'vnode/cpu-32', 'vnode/cpu-64'] as const;
/** After every node runs, this long before measuring (the DHT's joins and first announcements, gossip's first rounds). */
export const SIM_SETTLE_MS = 20_000;
/** Finds in flight at once. */
export const SIM_FIND_CONCURRENCY = 8;
/** Finds are spread: one starts every this often at most (SIM_FIND_CONCURRENCY bounds them too). */
export const SIM_FIND_GAP_MS = 50;
/** Reasons kept for finds that found none. */
export const SIM_SHORTFALLS_KEPT = 3;
/** A find with no answer after this counts as failed. */
export const SIM_FIND_TIMEOUT_MS = 30_000;

export interface CapabilitySimOptions {
  readonly mode: 'dht' | 'gossip';
  readonly nodes: number;
  readonly workers: number;
  readonly churnPercent: number;
  /** The quiet window over which bytes are counted. */
  readonly measureMs: number;
  /** Finds while quiet, and again during churn. */
  readonly finds: number;
  readonly startTimeoutMs: number;
  /** Wait after start before measuring (default SIM_SETTLE_MS; tests at small N shorten it). */
  readonly settleMs?: number;
  readonly pnodeBin: string;
  readonly print: (line: string) => void;
}

export interface FindFigures {
  readonly attempts: number;
  readonly succeeded: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Why the others failed: no peer found, the peer found had stopped (or offers another capability) by the answer, no answer in time. */
  readonly failures: { readonly none: number; readonly stale: number; readonly timedOut: number };
  /** Why finds found none, as the seeking nodes said (the first SIM_SHORTFALLS_KEPT). */
  readonly noneWhy?: readonly string[];
}

/** " (3 found none, 2 found a peer stopped by the answer, 1 timed out)" (empty when nothing failed). */
export function describeFailures(figures: FindFigures): string {
  const { none, stale, timedOut } = figures.failures;
  const why = figures.noneWhy?.length ? `: ${figures.noneWhy.join('; ')}` : '';
  const parts = [none ? `${none} found none${why}` : '', stale ? `${stale} found a peer stopped by the answer` : '', timedOut ? `${timedOut} timed out` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export interface CapabilitySimResult {
  readonly mode: 'dht' | 'gossip';
  readonly nodes: number;
  readonly running: number;
  readonly startupMs: number;
  readonly rssPerNodeBytes: number;
  readonly bytesPerNodePerMinute: number;
  readonly quiet: FindFigures;
  readonly churn: FindFigures;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function freeUdpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/**
 * Mean bytes per node per minute between two snapshots of the nodes' cumulative byte counters; only
 * nodes present in both count (a node that restarted in between starts its counter again).
 */
export function bytesPerNodePerMinuteBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, windowMs: number): number {
  let moved = 0;
  let counted = 0;
  for (const [name, bytes] of after) {
    const was = before.get(name);
    if (was === undefined || bytes < was) continue;
    moved += bytes - was;
    counted++;
  }
  return counted > 0 ? moved / counted / (windowMs / 60_000) : NaN;
}

/** The loopback address of the i-th simulated node's DHT (127.1.0.1 onward: one per "home"). */
export function simDhtHost(i: number): string {
  const n = i + 1;
  return `127.1.${(n >> 8) & 255}.${n & 255}`;
}

interface SimNode extends SimNodeSpec {
  readonly worker: number;
  nodeId?: string;
  running: boolean;
}

export async function runCapabilitySim(options: CapabilitySimOptions): Promise<CapabilitySimResult> {
  const { print } = options;
  const root = mkdtempSync(join(tmpdir(), `pnode-sim-${options.mode}-`));
  const workers: ChildProcess[] = [];
  const services: { stop(): Promise<void> }[] = [];
  const engines: DhtEngine[] = [];
  const nodes = new Map<string, SimNode>();
  const traffic = new Map<string, number>();
  const rss = new Map<number, number>();
  const ready = new Map<number, number>();
  const pendingFinds = new Map<number, (message: Extract<WorkerMessage, { type: 'found' }>) => void>();
  let capabilityTimer: NodeJS.Timeout | undefined;

  try {
    // --- the network's way in ---
    let start: Omit<Extract<CoordinatorMessage, { type: 'start' }>, 'nodes' | 'type'>;
    if (options.mode === 'gossip') {
      const { directory, seed } = await startSimServices(root, services);
      const seedText = `${seed.runtime.identity.nodeId}@${seed.runtime.listenUrls()[0]}`;
      start = { seeds: { A: seedText, B: seedText }, directories: { A: directory.directory.url, B: directory.directory.url }, concurrency: SIM_START_CONCURRENCY, mode: 'gossip' };
    } else {
      const host = '127.0.0.1';
      const port = await freeUdpPort(host);
      const boot = openDhtEngine({ mode: 'bootstrap', host, port, bootstrap: [] }).engine;
      await boot.bind();
      engines.push(boot);
      const bootstrap = [{ host, port }];
      const relays = Math.min(40, Math.max(8, Math.round(options.nodes / 50)));
      for (let i = 0; i < relays; i++) {
        const relay = openDhtEngine({ mode: 'node', host: `127.2.0.${i + 1}`, bootstrap, reachable: true }).engine;
        await relay.fullyBootstrapped();
        engines.push(relay);
      }
      const owner = identityFromSeed(nativeCrypto.randomBytes(32), nativeCrypto);
      const built = buildNetworkDescriptor(
        { id: 'net:sim', name: 'Simulation', directories: ['http://127.0.0.1:9/'], joinPolicy: 'open', createdAt: Date.now() - 60_000, validForMs: DAY_MS, dhtBootstrap: [`${host}:${port}`] },
        owner.signer,
        nativeCrypto,
      );
      if (!built.ok) throw built.error;
      const network: NetworkMembership = { id: 'net:sim', name: 'Simulation', descriptor: built.value };
      print(`dht: bootstrap node ${host}:${port} and ${relays} reachable relays`);
      start = { seeds: { A: '', B: '' }, directories: { A: '', B: '' }, concurrency: SIM_START_CONCURRENCY, mode: 'dht', network };
    }

    // --- workers ---
    const sendTo = (worker: ChildProcess, message: CoordinatorMessage): void => {
      if (worker.connected) worker.send(message);
    };
    let capabilitiesDirty = false;
    for (let w = 0; w < options.workers; w++) {
      const worker = spawnSupervised(process.execPath, [...process.execArgv, options.pnodeBin, 'sim', 'worker'], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: { ...process.env, UV_THREADPOOL_SIZE: String(SIM_WORKER_THREADPOOL) },
        lifeline: 'ipc',
      });
      workers.push(worker);
      worker.on('message', (raw) => {
        const message = raw as WorkerMessage;
        if (message.type === 'node-started') {
          const node = nodes.get(message.name);
          if (node) {
            node.nodeId = message.nodeId;
            node.running = true;
            capabilitiesDirty = true;
          }
        } else if (message.type === 'node-failed') {
          print(`node ${message.name} failed to start: ${message.error}`);
        } else if (message.type === 'node-stopped') {
          traffic.delete(message.name);
        } else if (message.type === 'traffic') {
          for (const [name, bytes] of Object.entries(message.bytes)) traffic.set(name, bytes);
          rss.set(w, message.rssBytes);
          ready.set(w, message.ready);
        } else if (message.type === 'found') {
          pendingFinds.get(message.id)?.(message);
        }
      });
    }
    capabilityTimer = setInterval(() => {
      if (!capabilitiesDirty) return;
      capabilitiesDirty = false;
      const byNodeId: Record<string, string> = {};
      for (const node of nodes.values()) if (node.nodeId && node.capability) byNodeId[node.nodeId] = node.capability;
      for (const worker of workers) sendTo(worker, { type: 'capabilities', byNodeId });
    }, 1_000);
    capabilityTimer.unref();

    // --- the nodes ---
    const specs: SimNode[] = Array.from({ length: options.nodes }, (_, i) => ({
      name: `n${i + 1}`,
      dataDir: join(root, `n${i + 1}`),
      group: 'A' as const,
      capability: SIM_CAPABILITIES[i % SIM_CAPABILITIES.length]!,
      dhtHost: simDhtHost(i),
      worker: i % options.workers,
      running: false,
    }));
    for (const spec of specs) nodes.set(spec.name, spec);
    const started = Date.now();
    for (let w = 0; w < options.workers; w++) {
      const mine = specs.filter((s) => s.worker === w).map(({ name, dataDir, group, capability, dhtHost }) => ({ name, dataDir, group, capability, dhtHost }));
      sendTo(workers[w]!, { type: 'start', nodes: mine, ...start });
    }
    const runningCount = (): number => [...nodes.values()].filter((n) => n.running).length;
    for (let last = -1; runningCount() < options.nodes && Date.now() - started < options.startTimeoutMs; ) {
      await sleep(1_000);
      const now = runningCount();
      if (now !== last && (now - last >= options.nodes / 10 || now === options.nodes)) {
        print(`${now} of ${options.nodes} nodes running after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        last = now;
      }
    }
    const running = runningCount();
    // DHT nodes announce in the background after they start: wait until they all have (bounded).
    const readyCount = (): number => [...ready.values()].reduce((a, b) => a + b, 0);
    while (readyCount() < running && Date.now() - started < options.startTimeoutMs) await sleep(500);
    if (readyCount() < running) print(`only ${readyCount()} of ${running} nodes announced before the start timeout`);
    const startupMs = Date.now() - started;
    const settleMs = options.settleMs ?? SIM_SETTLE_MS;
    print(`${running} nodes running${options.mode === 'dht' ? ' and announced' : ''} after ${(startupMs / 1000).toFixed(1)} s; settling ${settleMs / 1000} s`);
    await sleep(settleMs);

    // --- finds ---
    let findId = 0;
    const live = (): SimNode[] => [...nodes.values()].filter((n) => n.running && n.nodeId);
    const runFinds = async (count: number, spreadMs: number): Promise<FindFigures> => {
      const latencies: number[] = [];
      let succeeded = 0;
      const failures = { none: 0, stale: 0, timedOut: 0 };
      const noneWhy: string[] = [];
      let issued = 0;
      const gap = count > 0 ? spreadMs / count : 0;
      const one = async (): Promise<void> => {
        const seekers = live();
        const seeker = seekers[Math.floor(Math.random() * seekers.length)];
        if (!seeker) return;
        const capability = SIM_CAPABILITIES[Math.floor(Math.random() * SIM_CAPABILITIES.length)]!;
        const id = ++findId;
        const answer = await new Promise<Extract<WorkerMessage, { type: 'found' }> | null>((resolve) => {
          const timer = setTimeout(() => {
            pendingFinds.delete(id);
            resolve(null);
          }, SIM_FIND_TIMEOUT_MS);
          pendingFinds.set(id, (message) => {
            clearTimeout(timer);
            pendingFinds.delete(id);
            resolve(message);
          });
          sendTo(workers[seeker.worker]!, { type: 'find', id, name: seeker.name, capability });
        });
        latencies.push(answer?.ms ?? SIM_FIND_TIMEOUT_MS);
        const target = answer?.nodeId ? [...nodes.values()].find((n) => n.nodeId === answer.nodeId) : undefined;
        if (target && target.running && target.capability === capability) succeeded++;
        else if (!answer) failures.timedOut++;
        else if (!answer.nodeId) {
          failures.none++;
          if (answer.error && noneWhy.length < SIM_SHORTFALLS_KEPT) noneWhy.push(answer.error);
        }
        else failures.stale++;
      };
      const inFlight = new Set<Promise<void>>();
      const from = Date.now();
      while (issued < count) {
        if (inFlight.size >= SIM_FIND_CONCURRENCY) await Promise.race(inFlight);
        const wait = from + issued * gap - Date.now();
        if (wait > 0) await sleep(wait);
        issued++;
        const p = one().finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
      return { attempts: count, succeeded, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), failures, noneWhy };
    };

    // --- a quiet window with no finds: what staying in the network costs (bytes, memory) ---
    const snapshot = (): Map<string, number> => new Map(traffic);
    const before = snapshot();
    await sleep(options.measureMs);
    const after = snapshot();
    const bytesPerNodePerMinute = bytesPerNodePerMinuteBetween(before, after, options.measureMs);
    const rssPerNodeBytes = [...rss.values()].reduce((a, b) => a + b, 0) / Math.max(1, runningCount());
    print(`quiet ${(options.measureMs / 1000).toFixed(0)} s: ${(bytesPerNodePerMinute / 1024).toFixed(1)} KiB per node per minute; ${(rssPerNodeBytes / 2 ** 20).toFixed(2)} MiB RSS per node`);

    // --- finds while quiet ---
    const quiet = await runFinds(options.finds, options.finds * SIM_FIND_GAP_MS);
    print(`quiet finds ${quiet.succeeded}/${quiet.attempts}${describeFailures(quiet)}, p50 ${quiet.p50Ms.toFixed(0)} ms, p99 ${quiet.p99Ms.toFixed(0)} ms`);

    // --- churn ---
    const churnCount = Math.max(1, Math.round((options.nodes * options.churnPercent) / 100));
    const churnStart = Date.now();
    const churnFinds = runFinds(options.finds, CHURN_WINDOW_MS * 2);
    while (Date.now() - churnStart < CHURN_WINDOW_MS) {
      const victims = live()
        .sort(() => Math.random() - 0.5)
        .slice(0, churnCount);
      for (const node of victims) node.running = false;
      for (let w = 0; w < options.workers; w++) {
        const names = victims.filter((n) => n.worker === w).map((n) => n.name);
        if (names.length) sendTo(workers[w]!, { type: 'stop-nodes', names });
      }
      setTimeout(() => {
        for (let w = 0; w < options.workers; w++) {
          const mine = victims.filter((n) => n.worker === w).map(({ name, dataDir, group, capability, dhtHost }) => ({ name, dataDir, group, capability, dhtHost }));
          if (mine.length) sendTo(workers[w]!, { type: 'start-nodes', nodes: mine });
        }
      }, CHURN_INTERVAL_MS / 2).unref();
      await sleep(CHURN_INTERVAL_MS);
    }
    const churn = await churnFinds;
    print(`churn ${options.churnPercent} % every ${CHURN_INTERVAL_MS / 1000} s: finds ${churn.succeeded}/${churn.attempts}${describeFailures(churn)}, p50 ${churn.p50Ms.toFixed(0)} ms, p99 ${churn.p99Ms.toFixed(0)} ms`);
    return { mode: options.mode, nodes: options.nodes, running, startupMs, rssPerNodeBytes, bytesPerNodePerMinute, quiet, churn };
  } finally {
    if (capabilityTimer) clearInterval(capabilityTimer);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.exitCode !== null || !worker.connected) return resolve();
            worker.once('exit', () => resolve());
            worker.send({ type: 'shutdown' } satisfies CoordinatorMessage);
            setTimeout(() => worker.kill('SIGKILL'), 30_000).unref();
          }),
      ),
    );
    for (const service of services.reverse()) await service.stop().catch(() => undefined);
    for (const engine of engines.reverse()) await engine.destroy().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
