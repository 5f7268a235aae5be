// Orchestrator capacity (issue 5 §7, DESIGN.md §9: 10,000 PNodes at a 10 s heartbeat, p99 round
// trip under 50 ms, RSS under 1 GiB). One orchestrator process; N light PNode clients in a few
// worker processes, each a real session (signed handshake, sealed frames) that registers with a
// signed descriptor and heartbeats every 10 s, starts spread evenly over the interval. After the
// ramp-up and one interval of warm-up, round trips are measured over a steady window; the
// orchestrator's CPU and RSS come from /proc/<pid>.
//
//   npm run bench -- orchestrator                                      N = 1,000 and 5,000
//   PNODE_BENCH_PNODES=10000 npm run bench -- orchestrator             one N
//   PNODE_BENCH_PNODES=20000,50000 npm run bench -- orchestrator       several (issue 13 §6: 50,000, p99 < 50 ms, RSS < 2 GiB)
// (the bench runner takes names only, so the sizes go by the environment; each bench has 20 min:
// run 20,000 and 50,000 one at a time)
//   PNODE_BENCH_SCALE=0.2 …                              a shorter steady window
//
// One socket is one file descriptor. Where the orchestrator process may not hold N of them (its
// RLIMIT_NOFILE, which a container may cap below what the OS would allow), it holds as many real
// sessions as it can (the limit less FD_MARGIN) and carries the rest as registry load: PNodes
// registered with real signed descriptors and heartbeating on the same 10 s schedule through the
// orchestrator's own handlers, in its process, without a socket. The row says so; its latency is
// that of the real sessions while the orchestrator keeps all N leases, its RSS is measured, and the
// RSS of N real sessions is projected from the per-session memory measured in the same run.
import { type ChildProcess } from 'node:child_process';
import { spawnSupervised } from '../src-node/kernel/process/lifeline.js';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { NodeRuntime } from '../src-node/kernel/runtime/node-runtime.js';
import { AdminExtensions } from '../src-node/kernel/http/admin-extension.js';
import { OrchestratorModule } from '../src-node/services/orchestrator/orchestrator-module.js';
import { openOutbound, type PeerConnection } from '../src-node/kernel/connection/peer-connection.js';
import { HandshakeNonceCache } from '../src-node/kernel/session/nonce-cache.js';
import { nativeCrypto } from '../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../src-node/kernel/util/clock.js';
import { identityFromSeed } from '../src-node/kernel/identity/node-identity.js';
import { signDescriptor } from '../src-shared/membership/descriptor.js';
import { unknownHardwareSummary } from '../src-shared/hardware/hardware-summary.js';
import { makePong } from '../src-shared/protocol/messages/core-bodies.js';
import { formatTimestamp } from '../src-shared/protocol/time.js';
import type { SessionMessage } from '../src-shared/protocol/messages/session-message.js';

const HEARTBEAT_INTERVAL_MS = 10_000;
const DEFAULT_SIZES = [1_000, 5_000];
/**
 * Light clients one worker process drives at most. The ramp-up is bound by the clients' CPU (a new
 * identity, the handshake, verifying the orchestrator's capability advertisement: ~6 ms each), so
 * several workers set up sessions in parallel; once running, heartbeats cost them little.
 */
const CLIENTS_PER_WORKER = 2_000;
/** Handshakes in flight per worker during the ramp-up (the listener takes 256 pending upgrades in all). */
const RAMP_CONCURRENCY = 32;
/** Handshakes in flight over all workers: below the listener's 256 pending upgrades, so none is refused for want of room. */
const RAMP_CONCURRENCY_TOTAL = 192;
/** A client whose session or registration failed during the ramp-up tries again this many times (a loaded machine times out). */
const RAMP_RETRIES = 2;
const WARMUP_MS = HEARTBEAT_INTERVAL_MS;
const WINDOW_MS = 2 * HEARTBEAT_INTERVAL_MS;
/** More than this share of clients failing to register means the machine cannot host N. */
const MAX_SETUP_FAILURE = 0.01;
const RAMP_TIMEOUT_MS = 600_000;
/** Descriptors the orchestrator keeps free besides its sessions (listeners, the store, logs). */
const FD_MARGIN = 400;
const MAX_PNODES = 50_000;
const CLOCK_TICKS_PER_SECOND = 100;

type Role = 'controller' | 'orchestrator' | 'clients';

/**
 * Each light PNode dials from its own loopback address (127.2.0.0 onwards; Linux answers all of
 * 127/8), as real PNodes come from many: the orchestrator caps sessions and pending handshakes per
 * address (issue 15 §2).
 */
function sourceAddress(index: number): string {
  return `127.${2 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

function scale(): number {
  const raw = Number(process.env['PNODE_BENCH_SCALE'] ?? '1');
  return Number.isFinite(raw) && raw > 0 ? raw : 1;
}

// --- messages between the processes -----------------------------------------------------------

type ToWorker = { type: 'start'; url: string; nodeId: string; count: number; first: number; concurrency: number } | { type: 'window-start' } | { type: 'window-end' };
type FromWorker =
  | { type: 'ramped'; registered: number; failed: number; lastError: string | null }
  | { type: 'samples'; rttMicros: number[]; sent: number; acked: number; errors: number; closed: number; loopP99Ms: number; loopMaxMs: number };
type ToOrchestrator = { type: 'stats'; resetLoop?: boolean } | { type: 'virtual'; count: number };
type FromOrchestrator =
  | { type: 'ready'; url: string; nodeId: string; fdLimit: number | null }
  | { type: 'virtual-ready'; registered: number }
  | { type: 'stats'; heartbeats: number; registered: number; sessions: number; loopP99Ms: number; loopMaxMs: number };

/** Event-loop delay of this process since the last reset: how long a ready message may wait for its turn. */
function loopMonitor(): { reset(): void; p99Ms(): number; maxMs(): number } {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return { reset: () => histogram.reset(), p99Ms: () => histogram.percentile(99) / 1e6, maxMs: () => histogram.max / 1e6 };
}

function send(message: unknown): void {
  process.send?.(message);
}

function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no "${type}" from pid ${child.pid} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      reject(new Error(`pid ${child.pid} exited`));
    };
    function onMessage(message: unknown): void {
      if ((message as { type?: string }).type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

// --- the orchestrator process -----------------------------------------------------------------

async function runOrchestrator(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pnode-bench-orch-'));
  let created: OrchestratorModule | undefined;
  const runtime = await NodeRuntime.launch(
    { dataDir, role: 'orchestrator', listen: ['ws://127.0.0.1:0/peer'], seeds: [], insecureLoopback: true, trustCa: [], keystore: 'file', warn: () => undefined, version: 'bench' },
    // Every client dials from 127.0.0.1: count them as separate addresses (the per-address registration limit).
    (r) => [(created = new OrchestratorModule({ ...r.components, admin: new AdminExtensions() }, { heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, devLoopback: true }))],
  );
  const module = created!;
  const loop = loopMonitor();
  const virtualTimers: NodeJS.Timeout[] = [];
  process.on('message', (message: ToOrchestrator) => {
    if (message.type === 'virtual') {
      send({ type: 'virtual-ready', registered: addVirtualPNodes(module, message.count, virtualTimers) } satisfies FromOrchestrator);
      return;
    }
    if (message.type !== 'stats') return;
    const core = module.orchestrator;
    send({
      type: 'stats',
      heartbeats: core.counters.heartbeats,
      registered: core.registry.registeredCount,
      sessions: runtime.connections.connections().length,
      loopP99Ms: loop.p99Ms(),
      loopMaxMs: loop.maxMs(),
    } satisfies FromOrchestrator);
    if (message.resetLoop) loop.reset();
  });
  const stop = (): void => {
    for (const timer of virtualTimers) clearInterval(timer);
    void runtime.stop().finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  send({ type: 'ready', url: runtime.listenUrls()[0]!, nodeId: runtime.identity.nodeId, fdLimit: openFileLimit() } satisfies FromOrchestrator);
}

/** This process's RLIMIT_NOFILE (soft), from /proc; null where there is no /proc. */
function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const value = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * PNodes beyond what the process may hold sockets for: registered with real signed descriptors
 * and heartbeating every interval through the orchestrator's handlers (spread evenly), without a
 * socket. Their replies go nowhere (no session). Returns how many are registered.
 */
function addVirtualPNodes(module: OrchestratorModule, count: number, timers: NodeJS.Timeout[]): number {
  const core = module.orchestrator;
  const hardware = { ...unknownHardwareSummary(formatTimestamp(Date.now())), 'cpu/logical-cores': 8, 'memory/total-mb': 16_384, 'memory/available-mb': 8_192, 'os/platform': 'linux', 'os/arch': 'x64' };
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const identity = identityFromSeed(randomBytes(32), nativeCrypto);
    const descriptor = signDescriptor({ nodeId: identity.nodeId, hardware, offer: { cores: 4, 'memory-mb': 4_096 }, softwareVersion: 'bench', now: Date.now() }, identity.signer);
    core.onRegister(identity.nodeId, { 'req/id': `vreg:${i}`, descriptor: descriptor as unknown as Record<string, unknown>, primary: true });
    if (core.registry.get(identity.nodeId)?.state === 'registered') ids.push(identity.nodeId);
  }
  // Each one heartbeats once per interval; one slot every TICK_MS covers its share.
  const TICK_MS = 10;
  const perTick = Math.ceil((ids.length * TICK_MS) / HEARTBEAT_INTERVAL_MS);
  let next = 0;
  let seq = 0;
  timers.push(
    setInterval(() => {
      seq++;
      for (let k = 0; k < perTick && ids.length > 0; k++) {
        const nodeId = ids[next]!;
        next = (next + 1) % ids.length;
        core.onHeartbeat(nodeId, { 'req/id': `vhb:${seq}:${k}`, seq, primary: true, contributing: true, 'load/permille': 120, 'memory/available-mb': 8_192, vnodes: [] });
      }
    }, TICK_MS),
  );
  return ids.length;
}

// --- a worker of light clients ----------------------------------------------------------------

interface LightClient {
  connection: PeerConnection | null;
  seq: number;
  registered: boolean;
  readonly pending: Map<string, number>;
  timer: NodeJS.Timeout | undefined;
}

async function runClients(): Promise<void> {
  const nonces = new HandshakeNonceCache();
  const clients: LightClient[] = [];
  let measuring = false;
  let rtt: number[] = [];
  let sent = 0;
  let acked = 0;
  let errors = 0;
  let closed = 0;
  let lastError: string | null = null;
  const loop = loopMonitor();

  const hardware = {
    ...unknownHardwareSummary(formatTimestamp(Date.now())),
    'cpu/logical-cores': 8,
    'cpu/physical-cores': 4,
    'memory/total-mb': 16_384,
    'memory/available-mb': 8_192,
    'os/platform': 'linux',
    'os/arch': 'x64',
  };

  function heartbeat(client: LightClient, index: number): void {
    const connection = client.connection;
    if (!connection?.isOpen || !client.registered) return;
    const reqId = `hb:${index}:${++client.seq}`;
    client.pending.set(reqId, performance.now());
    if (client.pending.size > 16) client.pending.delete(client.pending.keys().next().value!);
    connection.send('heartbeat', { 'req/id': reqId, seq: client.seq, primary: true, contributing: true, 'load/permille': 120, 'memory/available-mb': 8_192, vnodes: [] });
    if (measuring) sent++;
  }

  async function openClient(index: number, url: string, nodeId: string): Promise<void> {
    const identity = identityFromSeed(randomBytes(32), nativeCrypto);
    const client: LightClient = { connection: null, seq: 0, registered: false, pending: new Map(), timer: undefined };
    clients.push(client);
    const transport = { policy: { insecureLoopback: true }, localAddress: sourceAddress(index) };
    const connection = await openOutbound({ crypto: nativeCrypto, identity, clock: systemClock, nonces }, { url, expectedNodeId: nodeId, transport });
    client.connection = connection;
    const registered = new Promise<void>((resolve, reject) => {
      connection.on('message', (message: SessionMessage) => {
        switch (message.kind) {
          case 'ping':
            connection.send('pong', makePong(message.body, Date.now()));
            return;
          case 'pnode-register':
            if (message.body.accepted) {
              const first = !client.registered && client.timer === undefined;
              client.registered = true;
              // Heartbeats start as soon as the client is registered (its lease runs from now), at a
              // random point of the interval, so the whole population spreads evenly over it.
              if (first) {
                client.timer = setTimeout(() => {
                  heartbeat(client, index);
                  client.timer = setInterval(() => heartbeat(client, index), HEARTBEAT_INTERVAL_MS);
                }, Math.floor(Math.random() * HEARTBEAT_INTERVAL_MS));
              }
              resolve();
            } else reject(new Error(`refused: ${message.body.reason ?? ''}`));
            return;
          case 'heartbeat': {
            const started = client.pending.get(message.body['re/id'] ?? '');
            if (started === undefined) return;
            client.pending.delete(message.body['re/id']!);
            if (measuring) {
              acked++;
              rtt.push(Math.round((performance.now() - started) * 1000));
            }
            return;
          }
          case 'error':
            if (measuring) errors++;
            lastError = `${message.body.code} ${message.body.detail}`;
            if (!client.registered) reject(new Error(lastError));
            // As a PNode does: "not registered" means register again.
            else if (message.body.code === 'E_HS_UNKNOWN_REF') register();
            return;
          default:
            return;
        }
      });
      connection.on('close', (info) => {
        closed++;
        client.registered = false;
        if (client.timer) clearTimeout(client.timer);
        reject(new Error(`closed: ${info.reason}`));
      });
    });
    connection.start();
    const descriptor = signDescriptor({ nodeId: identity.nodeId, hardware, offer: { cores: 4, 'memory-mb': 4_096 }, softwareVersion: 'bench', now: Date.now() }, identity.signer);
    function register(): void {
      connection.send('pnode-register', { 'req/id': `reg:${index}:${client.seq}`, descriptor: descriptor as unknown as Record<string, unknown>, primary: true });
    }
    register();
    await registered;
  }

  process.on('message', async (message: ToWorker) => {
    if (message.type === 'start') {
      let registered = 0;
      let failed = 0;
      let next = 0;
      const total = message.count;
      const lane = async (): Promise<void> => {
        while (next < total) {
          const i = next++;
          for (let attempt = 0; ; attempt++) {
            try {
              await openClient(message.first + i, message.url, message.nodeId);
              registered++;
              break;
            } catch (error) {
              lastError = error instanceof Error ? error.message : String(error);
              if (attempt >= RAMP_RETRIES) {
                failed++;
                break;
              }
              await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(message.concurrency, total) }, lane));
      send({ type: 'ramped', registered, failed, lastError } satisfies FromWorker);
    } else if (message.type === 'window-start') {
      loop.reset();
      measuring = true;
      rtt = [];
      sent = acked = errors = closed = 0;
    } else if (message.type === 'window-end') {
      measuring = false;
      send({ type: 'samples', rttMicros: rtt, sent, acked, errors, closed, loopP99Ms: loop.p99Ms(), loopMaxMs: loop.maxMs() } satisfies FromWorker);
    }
  });
  const stop = (): void => {
    for (const client of clients) client.connection?.terminate();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

// --- the controller ---------------------------------------------------------------------------

interface ProcSample {
  readonly cpuMs: number;
  readonly rssBytes: number;
  readonly at: number;
}

function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, rssBytes: rssKb * 1024, at: Date.now() };
  } catch {
    return null;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Row {
  readonly n: number;
  /** PNodes over real sessions (the rest are registry load: see the top of this file). */
  readonly real: number;
  readonly projectedRssMiB: number;
  readonly workers: number;
  readonly registered: number;
  readonly setupSeconds: number;
  readonly heartbeatsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
  readonly lost: number;
  readonly errors: number;
  readonly rssMiB: number;
  readonly cpuPercent: number;
  /** Event-loop delay p99 / max over the window: the orchestrator's, and the worst client worker's. */
  readonly orchLoopMs: readonly [number, number];
  readonly clientLoopMs: readonly [number, number];
  readonly note: string | null;
}

/**
 * PNODE_BENCH_PROFILE=<dir> writes a CPU profile of every process there (node --cpu-prof);
 * PNODE_BENCH_ORCHESTRATOR_FLAGS="--trace-gc …" passes node flags to the orchestrator process.
 */
function spawnRole(role: Role): ChildProcess {
  const profile = process.env['PNODE_BENCH_PROFILE'];
  const execArgv = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${role}-${Date.now()}-${Math.floor(Math.random() * 1e6)}.cpuprofile`] : [];
  const flags = process.env['PNODE_BENCH_ORCHESTRATOR_FLAGS'];
  if (role === 'orchestrator' && flags) execArgv.push(...flags.split(/\s+/).filter((f) => f !== ''));
  // The IPC channel is each role's lifeline: it stops on 'disconnect'.
  return spawnSupervised(process.execPath, [...execArgv, process.argv[1]!, '--role', role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], lifeline: 'ipc' });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function measureN(n: number): Promise<Row> {
  const orchestrator = spawnRole('orchestrator');
  const workers: ChildProcess[] = [];
  try {
    const ready = await nextMessage<Extract<FromOrchestrator, { type: 'ready' }>>(orchestrator, 'ready', 30_000);
    const real = ready.fdLimit === null ? n : Math.min(n, ready.fdLimit - FD_MARGIN);
    const virtualCount = n - real;
    const baseline = sampleProc(orchestrator.pid!)?.rssBytes ?? NaN;
    if (virtualCount > 0) {
      process.stdout.write(`N = ${n.toLocaleString('en-US')}: the orchestrator may hold ${ready.fdLimit} file descriptors: ${real.toLocaleString('en-US')} real sessions, ${virtualCount.toLocaleString('en-US')} PNodes as registry load\n`);
      const done = nextMessage<Extract<FromOrchestrator, { type: 'virtual-ready' }>>(orchestrator, 'virtual-ready', RAMP_TIMEOUT_MS);
      orchestrator.send({ type: 'virtual', count: virtualCount } satisfies ToOrchestrator);
      await done;
    }
    const withVirtual = sampleProc(orchestrator.pid!)?.rssBytes ?? NaN;
    const row = await measureReal(n, real, virtualCount, orchestrator, ready, workers);
    // What one PNode over a real session costs the orchestrator (registry entry, session, buffers);
    // N of them is what a machine allowing N descriptors would hold.
    const perReal = (row.rssMiB * 2 ** 20 - withVirtual) / Math.max(1, real);
    return { ...row, projectedRssMiB: virtualCount > 0 ? (baseline + n * perReal) / 2 ** 20 : row.rssMiB };
  } catch (error) {
    return failedRow(n, workers.length, error);
  } finally {
    await Promise.all(workers.map(stopChild));
    await stopChild(orchestrator);
  }
}

function failedRow(n: number, workers: number, error: unknown): Row {
  return {
    n,
    real: 0,
    projectedRssMiB: NaN,
    workers,
    registered: 0,
    setupSeconds: NaN,
    heartbeatsPerSecond: NaN,
    p50Ms: NaN,
    p99Ms: NaN,
    maxMs: NaN,
    samples: 0,
    lost: 0,
    errors: 0,
    rssMiB: NaN,
    cpuPercent: NaN,
    orchLoopMs: [NaN, NaN],
    clientLoopMs: [NaN, NaN],
    note: `machine limit reached: ${error instanceof Error ? error.message : String(error)}`,
  };
}

async function measureReal(n: number, real: number, virtualCount: number, orchestrator: ChildProcess, ready: Extract<FromOrchestrator, { type: 'ready' }>, workers: ChildProcess[]): Promise<Row> {
  const workerCount = Math.max(1, Math.ceil(real / CLIENTS_PER_WORKER));
  for (let i = 0; i < workerCount; i++) workers.push(spawnRole('clients'));
  const started = Date.now();
  const share = Math.ceil(real / workerCount);
  const ramped = workers.map((w) => nextMessage<Extract<FromWorker, { type: 'ramped' }>>(w, 'ramped', RAMP_TIMEOUT_MS));
  const concurrency = Math.max(1, Math.min(RAMP_CONCURRENCY, Math.floor(RAMP_CONCURRENCY_TOTAL / workerCount)));
  workers.forEach((w, i) => w.send({ type: 'start', url: ready.url, nodeId: ready.nodeId, count: Math.max(0, Math.min(share, real - i * share)), first: i * share, concurrency } satisfies ToWorker));
  const ramp = await Promise.all(ramped);
  const setupSeconds = (Date.now() - started) / 1000;
  const registered = ramp.reduce((s, r) => s + r.registered, 0) + virtualCount;
  const failed = ramp.reduce((s, r) => s + r.failed, 0);
  const empty = { n, real, workers: workerCount, registered, setupSeconds, heartbeatsPerSecond: NaN, p50Ms: NaN, p99Ms: NaN, maxMs: NaN, samples: 0, lost: 0, errors: 0, rssMiB: NaN, projectedRssMiB: NaN, cpuPercent: NaN, orchLoopMs: [NaN, NaN] as const, clientLoopMs: [NaN, NaN] as const };
  if (failed > real * MAX_SETUP_FAILURE) {
    return { ...empty, note: `machine limit reached: ${failed} of ${real} clients could not register (${ramp.find((r) => r.lastError)?.lastError ?? 'no error text'})` };
  }
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const windowMs = Math.max(HEARTBEAT_INTERVAL_MS / 2, Math.round(WINDOW_MS * scale()));
  const stats = (resetLoop = false): Promise<Extract<FromOrchestrator, { type: 'stats' }>> => {
    const answer = nextMessage<Extract<FromOrchestrator, { type: 'stats' }>>(orchestrator, 'stats', 10_000);
    orchestrator.send({ type: 'stats', resetLoop } satisfies ToOrchestrator);
    return answer;
  };
  const before = await stats(true);
  const procBefore = sampleProc(orchestrator.pid!);
  for (const w of workers) w.send({ type: 'window-start' } satisfies ToWorker);
  const windowStarted = Date.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const samplesP = workers.map((w) => nextMessage<Extract<FromWorker, { type: 'samples' }>>(w, 'samples', 30_000));
  for (const w of workers) w.send({ type: 'window-end' } satisfies ToWorker);
  const after = await stats();
  const procAfter = sampleProc(orchestrator.pid!);
  const windowSeconds = (Date.now() - windowStarted) / 1000;
  const samples = await Promise.all(samplesP);
  const rtt = samples.flatMap((s) => s.rttMicros).sort((a, b) => a - b);
  const sent = samples.reduce((s, x) => s + x.sent, 0);
  const acked = samples.reduce((s, x) => s + x.acked, 0);
  const closed = samples.reduce((s, x) => s + x.closed, 0);
  const rssMiB = procAfter ? procAfter.rssBytes / 2 ** 20 : NaN;
  const notes = [closed > 0 ? `${closed} sessions closed during the window` : null, virtualCount > 0 ? `${virtualCount.toLocaleString('en-US')} of the PNodes as registry load (no socket): the process may hold ${ready.fdLimit} descriptors` : null].filter((x) => x !== null);
  return {
    ...empty,
    heartbeatsPerSecond: (after.heartbeats - before.heartbeats) / windowSeconds,
    p50Ms: percentile(rtt, 50) / 1000,
    p99Ms: percentile(rtt, 99) / 1000,
    maxMs: (rtt[rtt.length - 1] ?? NaN) / 1000,
    samples: rtt.length,
    lost: Math.max(0, sent - acked),
    errors: samples.reduce((s, x) => s + x.errors, 0),
    rssMiB,
    projectedRssMiB: rssMiB,
    cpuPercent: procBefore && procAfter ? ((procAfter.cpuMs - procBefore.cpuMs) / (procAfter.at - procBefore.at)) * 100 : NaN,
    orchLoopMs: [after.loopP99Ms, after.loopMaxMs],
    clientLoopMs: [Math.max(...samples.map((x) => x.loopP99Ms)), Math.max(...samples.map((x) => x.loopMaxMs))],
    note: notes.length > 0 ? notes.join('; ') : null,
  };
}

function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function printRows(rows: readonly Row[]): void {
  const header = ['PNodes', 'real sessions', 'workers', 'registered', 'setup s', 'heartbeats/s', 'p50 ms', 'p99 ms', 'max ms', 'samples', 'unanswered', 'errors', 'orch RSS MiB', 'RSS MiB, all real (projected)', 'orch CPU %', 'orch loop p99/max ms', 'client loop p99/max ms'];
  const cells = rows.map((r) => [
    fmt(r.n, 0),
    fmt(r.real, 0),
    String(r.workers),
    fmt(r.registered, 0),
    fmt(r.setupSeconds),
    fmt(r.heartbeatsPerSecond),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    fmt(r.maxMs, 2),
    fmt(r.samples, 0),
    fmt(r.lost, 0),
    fmt(r.errors, 0),
    fmt(r.rssMiB),
    fmt(r.projectedRssMiB),
    fmt(r.cpuPercent),
    `${fmt(r.orchLoopMs[0])} / ${fmt(r.orchLoopMs[1])}`,
    `${fmt(r.clientLoopMs[0])} / ${fmt(r.clientLoopMs[1])}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const c of cells) process.stdout.write(`${line(c)}\n`);
  for (const r of rows) if (r.note) process.stdout.write(`N = ${fmt(r.n, 0)}: ${r.note}\n`);
}

async function runController(): Promise<void> {
  const wanted = argValue('pnodes') ?? process.env['PNODE_BENCH_PNODES'];
  let sizes = DEFAULT_SIZES;
  if (wanted !== undefined) {
    sizes = wanted.split(',').map((text) => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1 || n > MAX_PNODES) throw new Error(`--pnodes takes whole numbers from 1 to ${MAX_PNODES.toLocaleString('en-US')}, got ${wanted}`);
      return n;
    });
  }
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  process.stdout.write(`node ${process.version} on ${process.platform}/${process.arch}, ${cpu} ×${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB; scale ${scale()}\n`);
  process.stdout.write(
    `orchestrator capacity: heartbeat every ${HEARTBEAT_INTERVAL_MS / 1000} s, light clients over real sessions (≤ ${CLIENTS_PER_WORKER.toLocaleString('en-US')} per worker process), ` +
      `warm-up ${WARMUP_MS / 1000} s, window ${Math.max(HEARTBEAT_INTERVAL_MS / 2, Math.round(WINDOW_MS * scale())) / 1000} s\n` +
      'target (DESIGN.md §9): 10,000 PNodes, p99 heartbeat round trip < 50 ms, RSS < 1 GiB; raised (issue 13): 50,000 PNodes, RSS < 2 GiB; clients and orchestrator share this machine\n\n',
  );
  const rows: Row[] = [];
  for (const n of sizes) {
    process.stdout.write(`N = ${n.toLocaleString('en-US')}: ramping up…\n`);
    const row = await measureN(n);
    rows.push(row);
    process.stdout.write(`N = ${n.toLocaleString('en-US')}: ${row.note ?? `p99 ${fmt(row.p99Ms, 2)} ms, ${fmt(row.heartbeatsPerSecond)} heartbeats/s`}\n`);
    if (row.note?.startsWith('machine limit')) break;
  }
  process.stdout.write('\n');
  printRows(rows);
}

const role = (argValue('role') ?? 'controller') as Role;
if (role === 'orchestrator') await runOrchestrator();
else if (role === 'clients') await runClients();
else await runController();
