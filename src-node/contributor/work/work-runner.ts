// The contributor's side of work (issue 7 §1, §3) as a runtime module ('work-runner'), with one job:
// run the tasks an orchestrator sends for the VNodes it allocated here, and answer each with a
// vnode-result. For every vnode-task it checks, in order:
//   1. the VNode is held here (VNode host and membership) and was allocated by the sender: a PNode
//      never runs a task for a VNode of another orchestrator;
//   2. the host is not paused (contribution off, snoozed, on battery, user active): a task that
//      arrives during a pause is refused at once so the orchestrator can place it elsewhere; a
//      task already running when a pause begins is suspended by the host (SIGSTOP, no CPU) and goes
//      on when the pause ends; a VNode released meanwhile (contribution turned off) cancels its
//      task, and that result is sent too;
//   3. at most MAX_TASKS_PER_VNODE tasks per VNode are here at once (one running, one waiting);
//   4. the module is in the cache, else it is fetched from the sender in chunks (module-fetch.ts)
//      and stored under its hash; so is each input file a WASI task names by hash (a blob,
//      issue 13 §1: the orchestrator serves blobs over the same chunked messages, and only to a
//      PNode running a task that needs them). Tasks needing a blob being fetched wait for that
//      one fetch (at most MAX_MODULE_FETCHES fetches at once).
// A refusal is a result with status `cancelled` and a detail starting "refused: " (the
// orchestrator runs the task elsewhere and counts no failure against it); a module that cannot be
// fetched fails the task (`failed`). Then the VNode host's runTask runs it and the
// result goes back. Tasks of either kind (host API v1 or WASI, issue 13 §2) pass through alike.
//
// Test-only: `resultTransform` changes each result before it is sent, which is how tests make a
// PNode that lies. Nothing on the command line or in the desktop app sets it.
import { newId } from '../../../src-shared/protocol/ids.js';
import type { VNodeModuleChunkBody, VNodeTaskBody } from '../../../src-shared/protocol/messages/work-bodies.js';
import type { ErrorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import { decodeModuleChunk } from '../../../src-shared/vnode/module-chunks.js';
import { type TaskResult, type TaskStatus, encodeTaskResult, makeTaskResult } from '../../../src-shared/vnode/task-result.js';
import { type AnyTask, decodeTask, isWasiTask } from '../../../src-shared/vnode/workload.js';
import { isBlobFile } from '../../../src-shared/vnode/wasi-workload.js';
import type { ContentHash } from '../../../src-shared/vnode/content-hash.js';
import type { PeerConnection } from '../../kernel/connection/peer-connection.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { VNodeReservations } from '../membership/vnode-reservations.js';
import type { VNodeHostModule } from '../vnode/vnode-module.js';
import type { VNodeHost } from '../vnode/vnode-host.js';
import { type FetchOutcome, ModuleFetch, type ModuleFetchOptions } from './module-fetch.js';

export const WORK_RUNNER_MODULE = 'work-runner';
/** Tasks one VNode holds at once: the one running and the next, waiting in the host's queue. */
export const MAX_TASKS_PER_VNODE = 2;
/** Modules fetched at once; a task needing another one meanwhile is refused (`cancelled`, busy). */
export const MAX_MODULE_FETCHES = 4;

export type WorkRunnerComponents = Pick<KernelComponents, 'connections' | 'clock' | 'warn'> & {
  /** Where tasks run. */
  readonly vnodes: Pick<VNodeHostModule, 'host'>;
  /** The reservations membership holds (a task runs only on a VNode its orchestrator placed here). */
  readonly membership?: { readonly vnodes: Pick<VNodeReservations, 'get'> } | undefined;
};

export interface WorkRunnerOptions {
  /** Test-only: rewrites each result before it is sent (a lying PNode). Never reachable from the CLI. */
  readonly resultTransform?: (result: TaskResult, task: AnyTask) => TaskResult;
  /** Passed to each module fetch (tests shorten the timeout). */
  readonly fetch?: Pick<ModuleFetchOptions, 'timeoutMs' | 'window' | 'maxRetries'>;
}

export interface WorkRunnerStats {
  tasksReceived: number;
  /** Answered without running: not ours, paused, busy, duplicate, module not fetched. */
  tasksRefused: number;
  tasksRun: number;
  resultsSent: number;
  modulesFetched: number;
  moduleFetchesFailed: number;
  moduleRequests: number;
  chunksReceived: number;
  chunksRefused: number;
}

interface Waiter {
  readonly task: AnyTask;
  readonly reqId: string;
}

interface Fetching {
  readonly fetch: ModuleFetch;
  /** Resolves with null once the blob is in the cache, or with why it is not. */
  readonly done: Promise<string | null>;
}

/** The blobs a task needs in the cache before it runs: its module, then its input files given by hash. */
function blobsOf(task: AnyTask): Array<{ hash: ContentHash; size: number }> {
  const out = [{ hash: task.moduleHash, size: task.moduleSize }];
  if (isWasiTask(task)) for (const file of task.files) if (isBlobFile(file) && !out.some((b) => b.hash === file.hash)) out.push({ hash: file.hash, size: file.size });
  return out;
}

export class WorkRunner implements RuntimeModule {
  readonly name = WORK_RUNNER_MODULE;
  readonly stats: WorkRunnerStats = { tasksReceived: 0, tasksRefused: 0, tasksRun: 0, resultsSent: 0, modulesFetched: 0, moduleFetchesFailed: 0, moduleRequests: 0, chunksReceived: 0, chunksRefused: 0 };
  private stopped = false;
  /** Tasks here per VNode (fetching, queued or running). */
  private readonly perVNode = new Map<string, number>();
  /** Task ids here (a repeat is refused). */
  private readonly taskIds = new Set<string>();
  /** Module fetches in progress, by `<orchestrator> <module hash>`. */
  private readonly fetches = new Map<string, Fetching>();
  private readonly onDisconnected = (connection: PeerConnection) => {
    for (const fetching of [...this.fetches.values()]) if (fetching.fetch.from === connection.peerNodeId) fetching.fetch.abort('the session with the orchestrator closed');
  };
  private readonly onMessage = (connection: PeerConnection, message: { kind: string; body: unknown }) => {
    if (message.kind !== 'error') return;
    const body = message.body as ErrorBody;
    const reId = body['re/id'];
    if (reId === undefined) return;
    for (const fetching of this.fetches.values()) if (fetching.fetch.from === connection.peerNodeId) fetching.fetch.onError(reId, `${body.code}: ${body.detail}`);
  };

  constructor(
    private readonly components: WorkRunnerComponents,
    private readonly options: WorkRunnerOptions = {},
  ) {
    requireComponents(this.name, components, ['connections', 'clock', 'warn', 'vnodes']);
  }

  start(): void {
    const connections = this.components.connections;
    connections.handle('vnode-task', (c, body) => this.onTask(c, body));
    connections.handle('vnode-module-chunk', (c, body) => this.onChunk(c, body));
    connections.on('disconnected', this.onDisconnected);
    connections.on('message', this.onMessage);
  }

  stop(): void {
    this.stopped = true;
    this.components.connections.off('disconnected', this.onDisconnected);
    this.components.connections.off('message', this.onMessage);
    for (const fetching of [...this.fetches.values()]) fetching.fetch.abort('the node is stopping');
  }

  /** Tasks held here now (fetching their module, queued or running). */
  get tasksHeld(): number {
    return this.taskIds.size;
  }

  private host(): VNodeHost {
    return this.components.vnodes.host;
  }

  // --- tasks ------------------------------------------------------------------------------------

  private onTask(connection: PeerConnection, body: VNodeTaskBody): void {
    if (this.stopped) return;
    const from = connection.peerNodeId;
    const reqId = body['req/id'];
    this.stats.tasksReceived++;
    const decoded = decodeTask(body.task);
    if (!decoded.ok) return; // the codec checked it already
    const task = decoded.value;
    const refuse = (status: TaskStatus, detail: string): void => {
      this.stats.tasksRefused++;
      this.reply(from, reqId, makeTaskResult({ taskId: task.taskId, vnodeId: task.vnodeId, status, detail, cpuMs: 0, wallMs: 0 }), null);
    };
    const host = this.host();
    const allocation = host.allocations().find((a) => a.vnodeId === task.vnodeId);
    const membership = this.components.membership;
    const held = membership ? membership.vnodes.get(task.vnodeId) : allocation;
    if (!allocation || allocation.orchestrator !== from || !held || held.orchestrator !== from) return refuse('cancelled', `refused: VNode ${task.vnodeId} is not allocated here by this orchestrator`);
    if (host.paused) return refuse('cancelled', `refused: paused (${host.pausedBy().join(', ')})`);
    if (this.taskIds.has(task.taskId)) return refuse('failed', `task ${task.taskId} is already here`);
    const onVNode = this.perVNode.get(task.vnodeId) ?? 0;
    if (onVNode >= MAX_TASKS_PER_VNODE) return refuse('cancelled', `refused: busy, VNode ${task.vnodeId} holds ${onVNode} tasks already`);
    this.taskIds.add(task.taskId);
    this.perVNode.set(task.vnodeId, onVNode + 1);
    void this.prepare(host, from, { task, reqId }).catch((error: unknown) => {
      this.finish(from, reqId, task, makeTaskResult({ taskId: task.taskId, vnodeId: task.vnodeId, status: 'failed', detail: `the work runner failed: ${error instanceof Error ? error.message : String(error)}`, cpuMs: 0, wallMs: 0 }), false);
    });
  }

  /** Runs the task once its module and blobs are in the cache (fetching what is not). */
  private async prepare(host: VNodeHost, from: string, waiter: Waiter): Promise<void> {
    const { task } = waiter;
    for (const blob of blobsOf(task)) {
      const failure = await this.ensure(host, from, blob.hash, blob.size);
      if (failure === null) continue;
      const busy = failure.startsWith('refused: ');
      return this.finish(from, waiter.reqId, task, makeTaskResult({ taskId: task.taskId, vnodeId: task.vnodeId, status: busy ? 'cancelled' : 'failed', detail: failure, cpuMs: 0, wallMs: 0 }), false);
    }
    return this.run(host, from, waiter);
  }

  /** Null once the blob is in the cache (fetched from `from` if it was not), else why not. */
  private async ensure(host: VNodeHost, from: string, hash: ContentHash, size: number): Promise<string | null> {
    const key = `${from} ${hash}`;
    const joining = this.fetches.get(key);
    if (joining) return joining.done;
    if (await host.modules.has(hash)) return null;
    // Another task may have started the fetch while we looked in the cache.
    const started = this.fetches.get(key);
    if (started) return started.done;
    if (this.fetches.size >= MAX_MODULE_FETCHES) return `refused: busy, fetching ${this.fetches.size} blobs already`;
    let settle: (failure: string | null) => void = () => undefined;
    const done = new Promise<string | null>((resolve) => (settle = resolve));
    const fetch = new ModuleFetch({
      ...this.options.fetch,
      moduleHash: hash,
      moduleSize: size,
      from,
      newRequestId: () => newId('mr', this.components.clock.now()),
      send: (body) => {
        this.stats.moduleRequests++;
        return this.components.connections.send(from, 'vnode-module-request', body);
      },
      onDone: (outcome) => void this.fetched(host, key, hash, fetch, outcome).then(settle),
    });
    this.fetches.set(key, { fetch, done });
    fetch.start();
    return done;
  }

  private async fetched(host: VNodeHost, key: string, hash: ContentHash, fetch: ModuleFetch, outcome: FetchOutcome): Promise<string | null> {
    this.stats.chunksReceived += fetch.stats.chunksReceived;
    this.stats.chunksRefused += fetch.stats.chunksRefused;
    let failure: string | null = outcome.ok ? null : outcome.detail;
    if (outcome.ok) {
      const stored = await host.modules.put(outcome.bytes, hash).catch((error: unknown) => ({ ok: false as const, error: { detail: error instanceof Error ? error.message : String(error) } }));
      if (stored.ok) this.stats.modulesFetched++;
      else failure = `the blob could not be stored: ${stored.error.detail}`;
    }
    if (failure !== null) this.stats.moduleFetchesFailed++;
    this.fetches.delete(key);
    return failure;
  }

  private async run(host: VNodeHost, from: string, waiter: Waiter): Promise<void> {
    const { task, reqId } = waiter;
    if (this.stopped) return this.finish(from, reqId, task, makeTaskResult({ taskId: task.taskId, vnodeId: task.vnodeId, status: 'cancelled', detail: 'the node is stopping', cpuMs: 0, wallMs: 0 }), false);
    this.stats.tasksRun++;
    const result = await host.runTask(task);
    this.finish(from, reqId, task, result, true);
  }

  private finish(from: string, reqId: string, task: AnyTask, result: TaskResult, ran: boolean): void {
    this.taskIds.delete(task.taskId);
    const left = (this.perVNode.get(task.vnodeId) ?? 1) - 1;
    if (left > 0) this.perVNode.set(task.vnodeId, left);
    else this.perVNode.delete(task.vnodeId);
    if (!ran) this.stats.tasksRefused++;
    this.reply(from, reqId, result, task);
  }

  private reply(to: string, reqId: string, result: TaskResult, task: AnyTask | null): void {
    const transform = this.options.resultTransform;
    const sent = task !== null && transform ? transform(result, task) : result;
    try {
      if (this.components.connections.send(to, 'vnode-result', { 're/id': reqId, result: encodeTaskResult(sent) })) this.stats.resultsSent++;
    } catch (error) {
      this.components.warn(`warning: work runner: a result could not be sent: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // --- module chunks ----------------------------------------------------------------------------

  private onChunk(connection: PeerConnection, body: VNodeModuleChunkBody): void {
    if (this.stopped) return;
    const chunk = decodeModuleChunk(body.chunk);
    if (!chunk.ok) return;
    const fetching = this.fetches.get(`${connection.peerNodeId} ${chunk.value.moduleHash}`);
    fetching?.fetch.onChunk(body['re/id'], chunk.value);
  }
}
