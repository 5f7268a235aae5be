// A light simulated PNode (issue 13 §3, §4, §6) for benches, crash trials and the Sybil harness:
// a real session to an orchestrator (signed handshake, sealed frames; from a chosen loopback source
// address when asked), a real signed descriptor, heartbeats listing its VNodes, allocations taken,
// and tasks answered at once without a sandbox — by computing the answer in JavaScript. It knows
// one program: workloads/primes-wasi (stdin: lo, hi as little-endian i32; stdout: the count as a
// u32), which is also the orchestrator's benchmark, so a light PNode passes its benchmark honestly.
// A dishonest one answers what `answer` makes up.
import { randomBytes } from 'node:crypto';
import { openOutbound, type PeerConnection } from '../../src-node/kernel/connection/peer-connection.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { identityFromSeed } from '../../src-node/kernel/identity/node-identity.js';
import { countPrimesReference } from '../../src-node/kernel/workloads/demo/primes.js';
import { signDescriptor } from '../../src-shared/membership/descriptor.js';
import { unknownHardwareSummary } from '../../src-shared/hardware/hardware-summary.js';
import { makePong } from '../../src-shared/protocol/messages/core-bodies.js';
import { formatTimestamp } from '../../src-shared/protocol/time.js';
import type { SessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import { encodeTaskResult, makeTaskResult, type TaskResult } from '../../src-shared/vnode/task-result.js';
import { type AnyTask, decodeTask, isWasiTask } from '../../src-shared/vnode/workload.js';

export type Answer = (task: AnyTask) => { stdout: Uint8Array; cpuMs: number } | null;

/** The honest answer to a primes-wasi task (null for anything else: the light PNode fails it). */
export const honestPrimes: Answer = (task) => {
  if (!isWasiTask(task) || task.stdin.length !== 8) return null;
  const view = new DataView(task.stdin.buffer, task.stdin.byteOffset, 8);
  const lo = view.getInt32(0, true);
  const hi = view.getInt32(4, true);
  if (lo < 0 || hi < lo) return null;
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, countPrimesReference(lo, hi), true);
  return { stdout: out, cpuMs: 1 };
};

/** A liar's answer: the honest one plus `offset` (every liar of one attacker agrees). */
export function lyingPrimes(offset: number): Answer {
  return (task) => {
    const honest = honestPrimes(task);
    if (!honest) return null;
    const view = new DataView(honest.stdout.buffer);
    view.setUint32(0, (view.getUint32(0, true) + offset) >>> 0, true);
    return honest;
  };
}

export interface LightPNodeOptions {
  readonly url: string;
  readonly orchestrator: string;
  readonly heartbeatMs: number;
  /** Cores offered (work VNodes it takes at once). */
  readonly cores?: number;
  /** The loopback source address to dial from (127.x.y.z). */
  readonly localAddress?: string;
  readonly answer?: Answer;
  /** Lies only about the benchmark? (A liar answers the benchmark honestly unless told.) */
  readonly lieOnBenchmark?: boolean;
  /** Delay before answering a task. */
  readonly delayMs?: number;
}

export interface LightStats {
  registered: boolean;
  refused: string | null;
  tasks: number;
  results: number;
  allocations: number;
}

const hardware = () => ({
  ...unknownHardwareSummary(formatTimestamp(Date.now())),
  'cpu/logical-cores': 8,
  'cpu/physical-cores': 4,
  'memory/total-mb': 16_384,
  'memory/available-mb': 8_192,
  'os/platform': 'linux',
  'os/arch': 'x64',
});

export class LightPNode {
  readonly identity = identityFromSeed(randomBytes(32), nativeCrypto);
  readonly stats: LightStats = { registered: false, refused: null, tasks: 0, results: 0, allocations: 0 };
  private connection: PeerConnection | null = null;
  private readonly vnodes = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private stopped = false;

  constructor(private readonly options: LightPNodeOptions) {}

  get nodeId(): string {
    return this.identity.nodeId;
  }

  /** Connects and registers; resolves once the orchestrator answered (accepted or not). */
  async start(nonces = new HandshakeNonceCache()): Promise<void> {
    const connection = await openOutbound(
      { crypto: nativeCrypto, identity: this.identity, clock: systemClock, nonces },
      { url: this.options.url, expectedNodeId: this.options.orchestrator, transport: { policy: { insecureLoopback: true }, ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}) } },
    );
    this.connection = connection;
    const answered = new Promise<void>((resolve) => {
      connection.on('message', (message: SessionMessage) => {
        this.onMessage(message);
        if (message.kind === 'pnode-register') resolve();
      });
      connection.on('close', () => {
        this.stats.registered = false;
        resolve();
      });
    });
    connection.start();
    this.register();
    await answered;
  }

  private register(): void {
    const descriptor = signDescriptor({ nodeId: this.identity.nodeId, hardware: hardware(), offer: { cores: this.options.cores ?? 2, 'memory-mb': 4_096 }, softwareVersion: 'light', now: Date.now() }, this.identity.signer);
    this.connection?.send('pnode-register', { 'req/id': `reg:${++this.seq}`, descriptor: descriptor as unknown as Record<string, unknown>, primary: true });
  }

  private heartbeat(): void {
    if (!this.connection?.isOpen || !this.stats.registered) return;
    this.connection.send('heartbeat', {
      'req/id': `hb:${++this.seq}`,
      seq: this.seq,
      primary: true,
      contributing: true,
      'load/permille': 100,
      'memory/available-mb': 8_192,
      vnodes: [...this.vnodes].map((id) => ({ 'vnode/id': id, state: 'running' as const })),
    });
  }

  private onMessage(message: SessionMessage): void {
    const c = this.connection!;
    switch (message.kind) {
      case 'ping':
        c.send('pong', makePong(message.body, Date.now()));
        return;
      case 'pnode-register':
        if (message.body.accepted) {
          const first = !this.stats.registered;
          this.stats.registered = true;
          if (first && !this.timer) {
            this.heartbeat();
            this.timer = setInterval(() => this.heartbeat(), this.options.heartbeatMs);
            this.timer.unref();
          }
        } else {
          this.stats.refused = message.body.reason ?? 'refused';
        }
        return;
      case 'error':
        if (message.body.code === 'E_HS_UNKNOWN_REF' && this.stats.registered && !this.stopped) this.register();
        return;
      case 'vnode-allocate': {
        const reqId = message.body['req/id'];
        if (reqId === undefined) return;
        this.vnodes.add(message.body['vnode/id']);
        this.stats.allocations++;
        c.send('vnode-allocate', { 're/id': reqId, 'vnode/id': message.body['vnode/id'], accepted: true });
        return;
      }
      case 'vnode-release': {
        const reqId = message.body['req/id'];
        this.vnodes.delete(message.body['vnode/id']);
        if (reqId !== undefined) c.send('vnode-release', { 're/id': reqId, 'vnode/id': message.body['vnode/id'], state: 'released' });
        return;
      }
      case 'vnode-task': {
        this.stats.tasks++;
        const body = message.body;
        const decoded = decodeTask(body.task);
        if (!decoded.ok) return;
        const task = decoded.value;
        const reply = () => this.reply(body['req/id'], task);
        if (this.options.delayMs) setTimeout(reply, this.options.delayMs).unref();
        else reply();
        return;
      }
      default:
        return;
    }
  }

  private reply(reqId: string, task: AnyTask): void {
    const benchmark = task.taskId.startsWith('wb:');
    const answer = benchmark && !this.options.lieOnBenchmark ? honestPrimes : (this.options.answer ?? honestPrimes);
    const out = answer(task);
    const result: TaskResult = out
      ? makeTaskResult({ taskId: task.taskId, vnodeId: task.vnodeId, status: 'ok', wasi: { exitCode: 0, stdout: out.stdout, stderr: new Uint8Array(0), stderrTruncated: false, files: [] }, cpuMs: out.cpuMs, wallMs: out.cpuMs })
      : makeTaskResult({ taskId: task.taskId, vnodeId: task.vnodeId, status: 'failed', detail: 'a light PNode runs only primes-wasi', wasi: { exitCode: 1, stdout: null, stderr: new Uint8Array(0), stderrTruncated: false, files: [] }, cpuMs: 0, wallMs: 0 });
    if (this.connection?.send('vnode-result', { 're/id': reqId, result: encodeTaskResult(result) })) this.stats.results++;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.connection?.terminate();
  }
}
