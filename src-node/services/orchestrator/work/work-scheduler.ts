// The orchestrator's work scheduler (issue 7 §3), free of sockets and timers: jobs are sets of
// tasks (one workload each); the scheduler keeps a pool of work VNodes, placed by the
// orchestrator's own placement, sends tasks to the PNodes holding them, ships modules, and decides
// what to accept. The runtime module (work-scheduler-module.ts) feeds it messages and ticks.
//
// VNode pool. Work runs in work VNodes (1 core, WORK_VNODE_MEMORY_MB) the scheduler asks the
// orchestrator for; the orchestrator's own placement puts them on PNodes. A run that finds no free
// VNode on a PNode that has not run its task yet is "starved"; at most once per tick, and one
// request round at a time, the scheduler asks for one VNode per starved run where one still fits on
// an eligible PNode (registered, primary here, contributing, connected, not banned) that has not
// run that task. Placement is steered through each record's `refusedBy` (its own skip list): banned
// PNodes for good, the PNodes that ran the task for a while. A work VNode no PNode takes within
// STALE_PENDING_INTERVALS heartbeat intervals is given back. With nothing open for
// IDLE_RELEASE_MS the pool is released. So a long job spreads over all the free capacity, and a
// tie-breaker run gets a VNode on a third PNode.
//
// Dispatch. A VNode runs one task at a time. Open tasks are served in the order they came; each
// run goes to a free VNode on a PNode that has not run the task yet (a trusted one first for a
// task's first run, else the best score). Sends to one PNode stay within WORK_MESSAGES_PER_SECOND
// (send-budget.ts), module chunks before tasks.
//
// Results (quorum.ts decides). Untrusted: two PNodes must agree; on a mismatch a third (a fourth,
// …) different PNode runs it and the majority wins. Trusted: one run, except SPOT_CHECK_FRACTION of
// the tasks, which run on a second PNode too. A result on the losing side of a decided quorum is
// a lie: the PNode loses LIE_PENALTY_POINTS of its registry score (what placement ranks by); a
// trusted PNode is demoted (treated as untrusted from then on); after LIES_BEFORE_BAN lies the PNode
// is banned: its work VNodes are released, no work goes there again, and it is traced.
//
// Failures and retries. `cancelled` (the PNode refused: paused, busy, not its VNode) and a lost
// run (the PNode's lease ended, its VNode moved, its session closed, or it stopped contributing —
// a pause) are run again elsewhere and cost the task nothing but an attempt; the refusing PNode
// rests for REFUSAL_COOLDOWN_MS. A failure (failed, trap, timeout, memory-exceeded, or no result
// by the attempt's deadline) is run again on another PNode; MAX_TASK_FAILURES of them fail the
// task with that status. Every task fails after MAX_ATTEMPTS_PER_TASK attempts in all. A result
// that comes after its run was given up is counted as late and ignored.
import { EventEmitter } from 'node:events';
import { ProtocolError, errorClassOf } from '../../../../src-shared/protocol/errors.js';
import { errorBody } from '../../../../src-shared/protocol/messages/core-bodies.js';
import type { SessionBody, SessionKind } from '../../../../src-shared/protocol/messages/kinds.js';
import type { VNodeModuleRequestBody, VNodeResultBody } from '../../../../src-shared/protocol/messages/work-bodies.js';
import { MAX_CHUNKS_PER_MODULE_REQUEST } from '../../../../src-shared/protocol/messages/work-bodies.js';
import { MAX_VNODES_PER_PNODE } from '../../../../src-shared/membership/membership-profile.js';
import { maxVNodeSize } from '../../../../src-shared/membership/placement.js';
import { newId } from '../../../../src-shared/protocol/ids.js';
import type { TraceDetail } from '../../../../src-shared/protocol/trace.js';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import type { ModuleChunkWire } from '../../../../src-shared/vnode/module-chunks.js';
import { type TaskResult, type TaskStatus, decodeTaskResult } from '../../../../src-shared/vnode/task-result.js';
import { type Workload, checkWorkload, encodeTask } from '../../../../src-shared/vnode/workload.js';
import type { Clock } from '../../../kernel/util/clock.js';
import type { Orchestrator } from '../orchestrator.js';
import type { PNodeEntry } from '../registry.js';
import { isHeld, type VNodeRecord } from '../vnode-table.js';
import { ModuleStore } from './module-store.js';
import { type TaskPlan, type Vote, judge, tally } from './quorum.js';
import { SendBudget } from './send-budget.js';
import {
  ATTEMPT_GRACE_MS,
  ATTEMPT_WALL_FACTOR,
  IDLE_RELEASE_MS,
  LIES_BEFORE_BAN,
  LIE_PENALTY_POINTS,
  MAX_ATTEMPTS_PER_TASK,
  MAX_JOBS_KEPT,
  MAX_OPEN_JOBS,
  MAX_QUEUED_CHUNKS_PER_PNODE,
  MAX_REMEMBERED_PNODES,
  MAX_TASKS_PER_JOB,
  MAX_TASK_FAILURES,
  MAX_WORK_VNODES,
  REFUSAL_COOLDOWN_MS,
  SPOT_CHECK_FRACTION,
  STALE_PENDING_INTERVALS,
  STARVED_SCAN_CAP,
  WORK_VNODE_CORES,
  WORK_TICK_MS,
  WORK_VNODE_MEMORY_MB,
} from './work-profile.js';

export type JobState = 'running' | 'done' | 'failed' | 'cancelled';
export type WorkTaskState = 'open' | 'accepted' | 'failed' | 'cancelled';
/** `no-answer`: nothing came by the deadline; `lost`: given up without fault (PNode gone or paused). */
export type AttemptState = 'running' | TaskStatus | 'no-answer' | 'lost';

/** How the scheduler reaches PNodes: the runtime's connection manager, or a test double. */
export interface WorkTransport {
  send<K extends SessionKind>(nodeId: string, kind: K, body: SessionBody<K>): boolean;
  isConnected(nodeId: string): boolean;
}

export interface Attempt {
  /** req/id of the vnode-task and the task id on the wire. */
  readonly id: string;
  readonly task: WorkTask;
  readonly pnode: string;
  readonly vnodeId: string;
  readonly sentAt: number;
  readonly deadline: number;
  state: AttemptState;
}

export interface WorkTask {
  readonly job: Job;
  readonly index: number;
  readonly workload: Workload;
  state: WorkTaskState;
  plan: TaskPlan;
  readonly votes: Vote[];
  /** One output per hash voted for, until the task is decided. */
  readonly outputs: Map<ContentHash, Uint8Array>;
  readonly running: Set<Attempt>;
  /** PNodes that may not run it again: they voted, run it now, or failed it. */
  readonly used: Set<string>;
  attempts: number;
  failures: number;
  /** Runs owed after failures, refusals and lost PNodes (counted as retries when sent). */
  retriesOwed: number;
  mismatched: boolean;
  lastFailure: { readonly status: TaskStatus | 'no-answer'; readonly detail: string } | null;
  firstSentAt: number | null;
  decidedAt: number | null;
  acceptedHash: ContentHash | null;
  acceptedBy: 'quorum' | 'trusted' | null;
}

export interface PNodeWorkStats {
  sent: number;
  ok: number;
  failed: number;
  cancelled: number;
  noAnswer: number;
  lost: number;
  /** Results on the accepted side of a decided task. */
  agreed: number;
  /** Results on the losing side. */
  lies: number;
  cpuMs: number;
}

export interface JobStats {
  attempts: number;
  retries: number;
  /** Tasks whose results disagreed. */
  mismatches: number;
  /** Tasks accepted because results agreed. */
  agreements: number;
  /** Tasks accepted on a trusted PNode's word alone. */
  trustedAlone: number;
  spotChecks: number;
  okResults: number;
  lies: number;
  cpuMs: number;
}

export interface Job {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly createdAt: number;
  state: JobState;
  finishedAt: number | null;
  readonly tasks: readonly WorkTask[];
  readonly moduleHashes: readonly ContentHash[];
  readonly counts: { accepted: number; failed: number; cancelled: number };
  readonly stats: JobStats;
  readonly pnodes: Map<string, PNodeWorkStats>;
  /** Shown by the admin API (a demo's region, its picture's path, …). */
  readonly meta: Record<string, unknown>;
}

export interface JobSpec {
  readonly name: string;
  readonly kind?: string;
  readonly workloads: readonly Workload[];
  readonly meta?: Record<string, unknown>;
}

export interface WorkCounters {
  jobsSubmitted: number;
  jobsFinished: number;
  tasksAccepted: number;
  tasksFailed: number;
  tasksCancelled: number;
  attemptsSent: number;
  attemptsEnded: Record<Exclude<AttemptState, 'running'>, number>;
  retries: number;
  mismatches: number;
  spotChecks: number;
  trustedAlone: number;
  agreements: number;
  lies: number;
  bans: number;
  demotions: number;
  lateResults: number;
  unexpectedResults: number;
  moduleRequests: number;
  moduleRequestsRefused: number;
  chunksSent: number;
  vnodesRequested: number;
  vnodesReleased: number;
}

export function zeroWorkCounters(): WorkCounters {
  return {
    jobsSubmitted: 0,
    jobsFinished: 0,
    tasksAccepted: 0,
    tasksFailed: 0,
    tasksCancelled: 0,
    attemptsSent: 0,
    attemptsEnded: { ok: 0, failed: 0, timeout: 0, 'memory-exceeded': 0, trap: 0, cancelled: 0, 'no-answer': 0, lost: 0 },
    retries: 0,
    mismatches: 0,
    spotChecks: 0,
    trustedAlone: 0,
    agreements: 0,
    lies: 0,
    bans: 0,
    demotions: 0,
    lateResults: 0,
    unexpectedResults: 0,
    moduleRequests: 0,
    moduleRequestsRefused: 0,
    chunksSent: 0,
    vnodesRequested: 0,
    vnodesReleased: 0,
  };
}

export interface WorkSchedulerOptions {
  readonly orchestrator: Orchestrator;
  readonly transport: WorkTransport;
  readonly clock: Clock;
  /** In [0, 1); default Math.random (which tasks of trusted PNodes are spot-checked). */
  readonly random?: () => number;
  readonly spotCheckFraction?: number;
  readonly vnodeMemoryMb?: number;
  readonly attemptGraceMs?: number;
  readonly refusalCooldownMs?: number;
  readonly idleReleaseMs?: number;
  readonly messagesPerSecond?: number;
  readonly messagesBurst?: number;
  /** `error/occurred` traces (lies, bans, demotions). */
  readonly trace?: (peer: string, detail: TraceDetail) => void;
  /** Test-only: changes a chunk before it is sent (a corrupted delivery). Never reachable from the CLI. */
  readonly chunkTransform?: (chunk: ModuleChunkWire, context: { readonly pnode: string; readonly delivery: number }) => ModuleChunkWire;
}

export interface WorkSchedulerEvents {
  'task-accepted': [task: WorkTask, output: Uint8Array];
  'task-failed': [task: WorkTask];
  'job-finished': [job: Job];
  'pnode-banned': [nodeId: string];
  'pnode-demoted': [nodeId: string];
  /** Something the admin API shows changed. */
  changed: [];
}

interface QueuedChunk {
  readonly reId: string;
  readonly chunk: ModuleChunkWire;
}

function zeroPNodeStats(): PNodeWorkStats {
  return { sent: 0, ok: 0, failed: 0, cancelled: 0, noAnswer: 0, lost: 0, agreed: 0, lies: 0, cpuMs: 0 };
}

/** A bounded set: the oldest member goes when it is full. */
function remember(set: Set<string>, value: string): void {
  set.delete(value);
  set.add(value);
  if (set.size > MAX_REMEMBERED_PNODES) set.delete(set.values().next().value!);
}

export class WorkScheduler extends EventEmitter<WorkSchedulerEvents> {
  readonly counters: WorkCounters = zeroWorkCounters();
  readonly modules = new ModuleStore();
  /** Per PNode, over all jobs. */
  readonly pnodeStats = new Map<string, PNodeWorkStats>();
  readonly banned = new Set<string>();
  readonly demoted = new Set<string>();
  private readonly orchestrator: Orchestrator;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly spotCheckFraction: number;
  readonly vnodeMemoryMb: number;
  private readonly budget: SendBudget;
  private readonly jobsById = new Map<string, Job>();
  private open: WorkTask[] = [];
  private openCount = 0;
  private decidedSincePrune = 0;
  /** Runs given up recently (no answer, lost): a result for one of them is late, not unexpected. */
  private readonly givenUp = new Set<string>();
  private readonly attempts = new Map<string, Attempt>();
  /** The attempt each work VNode runs. */
  private readonly busy = new Map<string, Attempt>();
  /** Work VNodes, by id. */
  private readonly pool = new Map<string, VNodeRecord>();
  /** PNodes resting after a refusal, until when. */
  private readonly cooldown = new Map<string, number>();
  /** PNodes left out of pool requests (they refused our VNodes), until when. */
  private readonly poolSkip = new Map<string, number>();
  private readonly chunkQueues = new Map<string, QueuedChunk[]>();
  private readonly chunkDeliveries = new Map<string, number>();
  private lastWorkAt: number;
  private lastGrowAt = Number.NEGATIVE_INFINITY;
  /** Tasks that wanted a run in the last dispatch and found no VNode (at most STARVED_SCAN_CAP). */
  private starved: WorkTask[] = [];
  private jobCounter = 0;

  constructor(private readonly options: WorkSchedulerOptions) {
    super();
    this.orchestrator = options.orchestrator;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.spotCheckFraction = options.spotCheckFraction ?? SPOT_CHECK_FRACTION;
    this.vnodeMemoryMb = options.vnodeMemoryMb ?? WORK_VNODE_MEMORY_MB;
    this.budget = new SendBudget(options.messagesPerSecond, options.messagesBurst);
    this.lastWorkAt = options.clock.now();
  }

  private now(): number {
    return this.clock.now();
  }

  // --- jobs -------------------------------------------------------------------------------------

  /** Keeps a module for shipping; its hash names it in workloads. */
  addModule(bytes: Uint8Array): { hash: ContentHash; size: number } {
    const stored = this.modules.add(bytes, this.now());
    return { hash: stored.hash, size: stored.size };
  }

  /** A new job; throws (with a reason for people) when it cannot be taken. */
  submit(spec: JobSpec): Job {
    const openJobs = [...this.jobsById.values()].filter((j) => j.state === 'running').length;
    if (openJobs >= MAX_OPEN_JOBS) throw new Error(`${MAX_OPEN_JOBS} jobs are open already`);
    if (spec.workloads.length === 0 || spec.workloads.length > MAX_TASKS_PER_JOB) throw new Error(`a job has 1–${MAX_TASKS_PER_JOB} tasks`);
    const hashes = new Set<ContentHash>();
    for (const workload of spec.workloads) {
      const checked = checkWorkload(workload);
      if (!checked.ok) throw new Error(`a workload is malformed: ${checked.error.detail}`);
      if (workload.needs.memoryMb > this.vnodeMemoryMb) throw new Error(`a task needs ${workload.needs.memoryMb} MB; work VNodes have ${this.vnodeMemoryMb} MB`);
      const stored = this.modules.get(workload.moduleHash);
      if (!stored || stored.size !== workload.moduleSize) throw new Error(`module ${workload.moduleHash} is not kept here (addModule first)`);
      hashes.add(workload.moduleHash);
    }
    const now = this.now();
    const job: Job = {
      id: `job-${++this.jobCounter}-${newId('j', now).slice(2).toLowerCase()}`,
      name: spec.name,
      kind: spec.kind ?? 'custom',
      createdAt: now,
      state: 'running',
      finishedAt: null,
      tasks: [],
      moduleHashes: [...hashes],
      counts: { accepted: 0, failed: 0, cancelled: 0 },
      stats: { attempts: 0, retries: 0, mismatches: 0, agreements: 0, trustedAlone: 0, spotChecks: 0, okResults: 0, lies: 0, cpuMs: 0 },
      pnodes: new Map(),
      meta: { ...spec.meta },
    };
    const tasks = spec.workloads.map(
      (workload, index): WorkTask => ({
        job,
        index,
        workload,
        state: 'open',
        plan: { mode: null, spotCheck: false },
        votes: [],
        outputs: new Map(),
        running: new Set(),
        used: new Set(),
        attempts: 0,
        failures: 0,
        retriesOwed: 0,
        mismatched: false,
        lastFailure: null,
        firstSentAt: null,
        decidedAt: null,
        acceptedHash: null,
        acceptedBy: null,
      }),
    );
    (job.tasks as WorkTask[]).push(...tasks);
    for (const hash of hashes) this.modules.use(hash);
    this.jobsById.set(job.id, job);
    this.open.push(...tasks);
    this.openCount += tasks.length;
    this.counters.jobsSubmitted++;
    this.lastWorkAt = now;
    this.trimJobs();
    this.emit('changed');
    return job;
  }

  job(id: string): Job | undefined {
    return this.jobsById.get(id);
  }

  jobs(): Job[] {
    return [...this.jobsById.values()];
  }

  /** Cancels a running job's open tasks; false when it is not running. */
  cancel(id: string): boolean {
    const job = this.jobsById.get(id);
    if (!job || job.state !== 'running') return false;
    const now = this.now();
    for (const task of job.tasks) {
      if (task.state !== 'open') continue;
      task.state = 'cancelled';
      task.decidedAt = now;
      task.outputs.clear();
      job.counts.cancelled++;
      this.counters.tasksCancelled++;
      this.decided();
    }
    this.finishJob(job, 'cancelled');
    return true;
  }

  private trimJobs(): void {
    const finished = [...this.jobsById.values()].filter((j) => j.state !== 'running');
    for (const job of finished.slice(0, Math.max(0, finished.length - MAX_JOBS_KEPT))) this.jobsById.delete(job.id);
  }

  /** Tasks not decided yet, over all jobs. */
  get openTasks(): number {
    return this.openCount;
  }

  private decided(): void {
    this.openCount--;
    this.decidedSincePrune++;
  }

  /** The work VNodes (placed or not). */
  vnodes(): VNodeRecord[] {
    return [...this.pool.values()];
  }

  runningAttempts(): Attempt[] {
    return [...this.attempts.values()];
  }

  isTrusted(pnode: string): boolean {
    return this.orchestrator.registry.get(pnode)?.trust === 'trusted' && !this.demoted.has(pnode);
  }

  // --- messages ---------------------------------------------------------------------------------

  onResult(pnode: string, body: VNodeResultBody): void {
    const attempt = this.attempts.get(body['re/id']);
    if (!attempt || attempt.pnode !== pnode) {
      // A run given up already (its task went elsewhere), or none of ours: nothing to do with it.
      if (attempt === undefined && this.givenUp.delete(body['re/id'])) this.counters.lateResults++;
      else this.counters.unexpectedResults++;
      return;
    }
    const decoded = decodeTaskResult(body.result);
    if (!decoded.ok) return; // the codec checked it already
    const result = decoded.value;
    if (result.taskId !== attempt.id || result.vnodeId !== attempt.vnodeId) {
      this.end(attempt, 'failed', `the result names task ${result.taskId} on ${result.vnodeId}`, null);
      return;
    }
    this.end(attempt, result.status, result.detail ?? result.status, result);
  }

  onModuleRequest(pnode: string, body: VNodeModuleRequestBody): void {
    this.counters.moduleRequests++;
    const reqId = body['req/id'];
    const refuse = (detail: string, code: 'E_PROTO_INVALID' | 'E_HS_UNKNOWN_REF' = 'E_PROTO_INVALID') => {
      this.counters.moduleRequestsRefused++;
      this.options.transport.send(pnode, 'error', errorBody(new ProtocolError(code, `vnode-module-request: ${detail}`), reqId));
    };
    const entry = this.orchestrator.registry.get(pnode);
    if (!entry || entry.state !== 'registered') return refuse('not registered here', 'E_HS_UNKNOWN_REF');
    const stored = this.modules.get(body['module/hash']);
    if (!stored || stored.size !== body['module/size']) return refuse(`module ${body['module/hash']} is not kept here`);
    const wanted = body.chunks ?? Array.from({ length: Math.min(MAX_CHUNKS_PER_MODULE_REQUEST, stored.chunks.length) }, (_, i) => i);
    const queue = this.chunkQueues.get(pnode) ?? [];
    if (queue.length + wanted.length > MAX_QUEUED_CHUNKS_PER_PNODE) return refuse(`${queue.length} chunks are still on their way to this PNode`);
    for (const index of wanted) {
      const chunk = stored.chunks[index];
      if (!chunk) return refuse(`chunk ${index} is outside the module's ${stored.chunks.length}`);
    }
    for (const index of wanted) queue.push({ reId: reqId, chunk: stored.chunks[index]! });
    this.chunkQueues.set(pnode, queue);
    this.pumpChunks(this.now());
  }

  /** A closed session loses every run on that PNode (its results could not reach us). */
  onSessionClosed(pnode: string): void {
    for (const attempt of [...this.attempts.values()]) if (attempt.pnode === pnode) this.end(attempt, 'lost', 'the session with the PNode closed', null);
    this.chunkQueues.delete(pnode);
  }

  // --- time -------------------------------------------------------------------------------------

  /** Deadlines, runs on PNodes that went away or paused, the pool, and dispatch. */
  tick(): void {
    const now = this.now();
    for (const attempt of [...this.attempts.values()]) {
      if (now >= attempt.deadline) {
        this.end(attempt, 'no-answer', `no result within ${attempt.deadline - attempt.sentAt} ms`, null);
        continue;
      }
      const record = this.orchestrator.vnodes.get(attempt.vnodeId);
      if (!record || record.pnode !== attempt.pnode || !isHeld(record)) {
        this.end(attempt, 'lost', 'the VNode left the PNode', null);
        continue;
      }
      const entry = this.orchestrator.registry.get(attempt.pnode);
      if (!entry || entry.state !== 'registered') this.end(attempt, 'lost', 'the PNode lease ended', null);
      else if (!entry.contributing) this.end(attempt, 'lost', 'the PNode paused (not contributing)', null);
    }
    this.pass();
  }

  /** Sends queued chunks, then tasks to free VNodes, then grows or shrinks the pool. */
  pass(): void {
    const now = this.now();
    this.pumpChunks(now);
    this.dispatch(now);
    this.maintainPool(now);
  }

  // --- the pool ---------------------------------------------------------------------------------

  private eligible(pnode: string, now: number): PNodeEntry | null {
    const entry = this.orchestrator.registry.get(pnode);
    if (!entry || entry.state !== 'registered' || !entry.primary || !entry.contributing) return null;
    if (this.banned.has(pnode)) return null;
    const resting = this.cooldown.get(pnode);
    if (resting !== undefined) {
      if (resting > now) return null;
      this.cooldown.delete(pnode);
    }
    if (!this.options.transport.isConnected(pnode)) return null;
    return entry;
  }

  private maintainPool(now: number): void {
    const staleMs = STALE_PENDING_INTERVALS * this.orchestrator.heartbeatIntervalMs;
    let unplaced = 0;
    for (const [id, record] of this.pool) {
      if (record.state === 'released' || record.state === 'failed' || this.orchestrator.vnodes.get(id) !== record) {
        this.pool.delete(id);
        continue;
      }
      if (record.state === 'pending' && now - record.updatedAt > staleMs) {
        for (const [pnode, until] of record.refusedBy) if (until > now && until !== Number.POSITIVE_INFINITY) this.poolSkip.set(pnode, Math.max(until, now + staleMs));
        this.releaseWorkVNode(record);
        continue;
      }
      if (record.state === 'pending' || record.state === 'offered') unplaced++;
    }
    for (const [pnode, until] of this.poolSkip) if (until <= now) this.poolSkip.delete(pnode);
    if (this.openCount === 0) {
      if (this.pool.size > 0 && now - this.lastWorkAt >= (this.options.idleReleaseMs ?? IDLE_RELEASE_MS)) {
        for (const record of [...this.pool.values()]) this.releaseWorkVNode(record);
      }
      return;
    }
    this.lastWorkAt = now;
    // Grow (at most once per tick, one round at a time): a VNode for each run that found none,
    // where one still fits on a PNode that has not run that task.
    if (unplaced > 0 || this.starved.length === 0 || now - this.lastGrowAt < WORK_TICK_MS) return;
    this.lastGrowAt = now;
    const room: Array<{ nodeId: string; slots: number }> = [];
    for (const entry of this.orchestrator.registry.all()) {
      if ((this.poolSkip.get(entry.nodeId) ?? 0) > now || !this.eligible(entry.nodeId, now)) continue;
      const slots = this.freeSlots(entry);
      if (slots > 0) room.push({ nodeId: entry.nodeId, slots });
    }
    let requested = 0;
    for (const task of this.starved) {
      if (this.pool.size >= MAX_WORK_VNODES) break;
      const where = room.find((r) => r.slots > 0 && !task.used.has(r.nodeId));
      if (!where) continue;
      where.slots--;
      let record: VNodeRecord;
      try {
        record = this.orchestrator.requestVNode({ cores: WORK_VNODE_CORES, memoryMb: this.vnodeMemoryMb });
      } catch {
        break; // the VNode table is full
      }
      // Placement skips these: banned PNodes for good, ones that refused us a while, and the PNodes
      // that ran this task already (for as long as a stale request lives).
      for (const pnode of this.banned) record.refusedBy.set(pnode, Number.POSITIVE_INFINITY);
      for (const [pnode, until] of this.poolSkip) record.refusedBy.set(pnode, until);
      for (const pnode of task.used) record.refusedBy.set(pnode, now + staleMs);
      this.pool.set(record.id, record);
      this.counters.vnodesRequested++;
      requested++;
    }
    if (requested > 0) this.orchestrator.placePending();
  }

  /** Work VNodes that still fit on a PNode (what placement would take). */
  private freeSlots(entry: PNodeEntry): number {
    const capacity = this.orchestrator.capacityOf(entry);
    const largest = maxVNodeSize(capacity, entry.trust);
    if (WORK_VNODE_CORES > largest.cores || this.vnodeMemoryMb > largest.memoryMb) return 0;
    const used = this.orchestrator.usageOf(entry);
    const byCores = Math.floor((capacity.cores - used.cores) / WORK_VNODE_CORES);
    const byMemory = Math.floor((capacity.memoryMb - used.memoryMb) / this.vnodeMemoryMb);
    return Math.max(0, Math.min(byCores, byMemory, MAX_VNODES_PER_PNODE - used.vnodes));
  }

  private releaseWorkVNode(record: VNodeRecord): void {
    this.pool.delete(record.id);
    if (this.orchestrator.releaseVNode(record.id)) this.counters.vnodesReleased++;
    const attempt = this.busy.get(record.id);
    if (attempt) this.end(attempt, 'lost', 'its VNode was released', null);
  }

  // --- sending ----------------------------------------------------------------------------------

  private pumpChunks(now: number): void {
    for (const [pnode, queue] of this.chunkQueues) {
      while (queue.length > 0 && this.budget.take(pnode, now)) {
        const next = queue.shift()!;
        const key = `${pnode} ${next.chunk['module/hash']} ${next.chunk['chunk/index']}`;
        const delivery = (this.chunkDeliveries.get(key) ?? 0) + 1;
        this.chunkDeliveries.set(key, delivery);
        if (this.chunkDeliveries.size > MAX_REMEMBERED_PNODES) this.chunkDeliveries.delete(this.chunkDeliveries.keys().next().value!);
        const chunk = this.options.chunkTransform ? this.options.chunkTransform(next.chunk, { pnode, delivery }) : next.chunk;
        try {
          if (this.options.transport.send(pnode, 'vnode-module-chunk', { 're/id': next.reId, chunk })) this.counters.chunksSent++;
        } catch {
          // A chunk that does not encode (only a test's transform makes one) is simply not sent.
        }
      }
      if (queue.length === 0) this.chunkQueues.delete(pnode);
    }
  }

  /** True while chunks wait for their PNode's budget (the module ticks sooner then). */
  get chunksQueued(): boolean {
    return this.chunkQueues.size > 0;
  }

  private dispatch(now: number): void {
    interface Free {
      readonly record: VNodeRecord;
      readonly pnode: string;
      readonly trusted: boolean;
      readonly score: number;
    }
    const free: Free[] = [];
    for (const record of this.pool.values()) {
      if ((record.state !== 'allocated' && record.state !== 'running') || record.pnode === null || this.busy.has(record.id)) continue;
      const entry = this.eligible(record.pnode, now);
      if (!entry || this.budget.available(record.pnode, now) < 1) continue;
      free.push({ record, pnode: record.pnode, trusted: this.isTrusted(record.pnode), score: this.orchestrator.registry.score(entry, now) });
    }
    free.sort((a, b) => Number(b.trusted) - Number(a.trusted) || b.score - a.score || (a.pnode < b.pnode ? -1 : a.pnode > b.pnode ? 1 : 0));
    if (this.decidedSincePrune > 256 && this.decidedSincePrune > this.open.length / 2) {
      this.open = this.open.filter((t) => t.state === 'open');
      this.decidedSincePrune = 0;
    }
    const starved: WorkTask[] = [];
    for (const task of this.open) {
      if (free.length === 0 && starved.length >= STARVED_SCAN_CAP) break;
      if (task.state !== 'open') continue;
      for (;;) {
        // Out of attempts: it fails once the runs still out are back (judgeTask).
        if (task.attempts >= MAX_ATTEMPTS_PER_TASK) break;
        const verdict = judge(task.votes, task.running.size, task.plan);
        if (verdict.kind !== 'run') break;
        const at = free.findIndex((f) => !task.used.has(f.pnode) && this.budget.available(f.pnode, now) >= 1);
        if (at < 0) {
          for (let i = 0; i < verdict.more && starved.length < STARVED_SCAN_CAP; i++) starved.push(task);
          break;
        }
        const [pick] = free.splice(at, 1);
        if (task.votes.length === 0 && task.running.size === 0) {
          const spotCheck = pick!.trusted && this.random() < this.spotCheckFraction;
          task.plan = { mode: pick!.trusted ? 'trusted' : 'quorum', spotCheck };
          if (spotCheck) {
            this.counters.spotChecks++;
            task.job.stats.spotChecks++;
          }
        }
        if (!this.send(task, pick!.record, pick!.pnode, now)) break;
      }
    }
    this.starved = starved;
  }

  private send(task: WorkTask, record: VNodeRecord, pnode: string, now: number): boolean {
    if (!this.budget.take(pnode, now)) return false;
    const id = newId('wt', now);
    const deadline = now + task.workload.needs.maxMs * ATTEMPT_WALL_FACTOR + (this.options.attemptGraceMs ?? ATTEMPT_GRACE_MS);
    let sent: boolean;
    try {
      sent = this.options.transport.send(pnode, 'vnode-task', { 'req/id': id, 'vnode/id': record.id, task: encodeTask({ ...task.workload, taskId: id, vnodeId: record.id }) });
    } catch {
      sent = false;
    }
    if (!sent) return false;
    const attempt: Attempt = { id, task, pnode, vnodeId: record.id, sentAt: now, deadline, state: 'running' };
    this.attempts.set(id, attempt);
    this.busy.set(record.id, attempt);
    task.running.add(attempt);
    task.used.add(pnode);
    task.attempts++;
    task.firstSentAt ??= now;
    task.job.stats.attempts++;
    if (task.retriesOwed > 0) {
      task.retriesOwed--;
      task.job.stats.retries++;
      this.counters.retries++;
    }
    this.counters.attemptsSent++;
    this.statsOf(task.job, pnode).forEach((s) => s.sent++);
    return true;
  }

  // --- results ----------------------------------------------------------------------------------

  private statsOf(job: Job, pnode: string): PNodeWorkStats[] {
    let overall = this.pnodeStats.get(pnode);
    if (!overall) {
      overall = zeroPNodeStats();
      this.pnodeStats.set(pnode, overall);
      if (this.pnodeStats.size > MAX_REMEMBERED_PNODES) this.pnodeStats.delete(this.pnodeStats.keys().next().value!);
    }
    let mine = job.pnodes.get(pnode);
    if (!mine) {
      mine = zeroPNodeStats();
      job.pnodes.set(pnode, mine);
    }
    return [overall, mine];
  }

  /** Ends a run: a vote, a failure, a refusal or a loss; then judges its task. */
  private end(attempt: Attempt, state: Exclude<AttemptState, 'running'>, detail: string, result: TaskResult | null): void {
    if (attempt.state !== 'running') return;
    attempt.state = state;
    this.attempts.delete(attempt.id);
    if (state === 'lost' || state === 'no-answer') remember(this.givenUp, attempt.id);
    if (this.busy.get(attempt.vnodeId) === attempt) this.busy.delete(attempt.vnodeId);
    const { task } = attempt;
    const job = task.job;
    task.running.delete(attempt);
    this.counters.attemptsEnded[state]++;
    const stats = this.statsOf(job, attempt.pnode);
    const cpuMs = result?.cpuMs ?? 0;
    job.stats.cpuMs += cpuMs;
    for (const s of stats) s.cpuMs += cpuMs;
    if (task.state !== 'open') return; // decided (or cancelled) meanwhile: nothing to count toward it
    const now = this.now();
    switch (state) {
      case 'ok': {
        stats.forEach((s) => s.ok++);
        job.stats.okResults++;
        const hash = result!.outputHash!;
        task.votes.push({ pnode: attempt.pnode, hash, trusted: this.isTrusted(attempt.pnode) });
        if (!task.outputs.has(hash)) task.outputs.set(hash, result!.output!);
        if (!task.mismatched && tally(task.votes).length > 1) {
          task.mismatched = true;
          job.stats.mismatches++;
          this.counters.mismatches++;
        }
        break;
      }
      case 'cancelled':
      case 'lost':
        stats.forEach((s) => (state === 'lost' ? s.lost++ : s.cancelled++));
        task.used.delete(attempt.pnode);
        task.retriesOwed++;
        if (state === 'cancelled') this.cooldown.set(attempt.pnode, now + (this.options.refusalCooldownMs ?? REFUSAL_COOLDOWN_MS));
        break;
      default:
        stats.forEach((s) => (state === 'no-answer' ? s.noAnswer++ : s.failed++));
        task.failures++;
        task.retriesOwed++;
        task.lastFailure = { status: state, detail };
        break;
    }
    this.judgeTask(task, now);
    this.emit('changed');
  }

  private judgeTask(task: WorkTask, now: number): void {
    if (task.failures >= MAX_TASK_FAILURES) {
      const last = task.lastFailure!;
      return this.failTask(task, `${last.status} on ${task.failures} PNodes: ${last.detail}`, now);
    }
    const verdict = judge(task.votes, task.running.size, task.plan);
    if (verdict.kind === 'accept') return this.accept(task, verdict.hash, verdict.by, verdict.agreeing, verdict.dissenting, now);
    if (verdict.kind === 'fail') return this.failTask(task, verdict.reason, now);
    if (task.running.size === 0 && task.attempts >= MAX_ATTEMPTS_PER_TASK) this.failTask(task, `gave up after ${task.attempts} attempts`, now);
  }

  private accept(task: WorkTask, hash: ContentHash, by: 'quorum' | 'trusted', agreeing: readonly string[], dissenting: readonly Vote[], now: number): void {
    const job = task.job;
    const output = task.outputs.get(hash)!;
    task.state = 'accepted';
    task.acceptedHash = hash;
    task.acceptedBy = by;
    task.decidedAt = now;
    task.outputs.clear();
    job.counts.accepted++;
    this.counters.tasksAccepted++;
    this.decided();
    if (by === 'quorum') {
      job.stats.agreements++;
      this.counters.agreements++;
    } else {
      job.stats.trustedAlone++;
      this.counters.trustedAlone++;
    }
    for (const pnode of agreeing) this.statsOf(job, pnode).forEach((s) => s.agreed++);
    for (const vote of dissenting) this.punish(job, vote, task);
    this.emit('task-accepted', task, output);
    this.checkJob(job);
  }

  private failTask(task: WorkTask, reason: string, now: number): void {
    task.state = 'failed';
    task.decidedAt = now;
    task.outputs.clear();
    task.lastFailure = { status: task.lastFailure?.status ?? 'failed', detail: reason };
    task.job.counts.failed++;
    this.counters.tasksFailed++;
    this.decided();
    this.emit('task-failed', task);
    this.checkJob(task.job);
  }

  private checkJob(job: Job): void {
    if (job.state !== 'running') return;
    if (job.counts.accepted + job.counts.failed + job.counts.cancelled < job.tasks.length) return;
    this.finishJob(job, job.counts.failed > 0 ? 'failed' : 'done');
  }

  private finishJob(job: Job, state: Exclude<JobState, 'running'>): void {
    job.state = state;
    job.finishedAt = this.now();
    for (const hash of job.moduleHashes) this.modules.unuse(hash);
    this.counters.jobsFinished++;
    this.emit('job-finished', job);
    this.trimJobs();
    this.emit('changed');
  }

  // --- lies -------------------------------------------------------------------------------------

  private punish(job: Job, vote: Vote, task: WorkTask): void {
    const pnode = vote.pnode;
    const stats = this.statsOf(job, pnode);
    stats.forEach((s) => s.lies++);
    job.stats.lies++;
    this.counters.lies++;
    const penalty = this.orchestrator.registry.penalize(pnode, LIE_PENALTY_POINTS);
    const lies = stats[0]!.lies;
    this.options.trace?.(pnode, {
      code: 'E_PROTO_INVALID',
      class: errorClassOf('E_PROTO_INVALID'),
      message: `work: the result of task ${task.index} of ${job.id} lost its quorum (lie ${lies}); score penalty now ${penalty}`,
    });
    if (vote.trusted && !this.demoted.has(pnode)) {
      remember(this.demoted, pnode);
      this.counters.demotions++;
      this.options.trace?.(pnode, { code: 'E_PROTO_INVALID', class: errorClassOf('E_PROTO_INVALID'), message: 'work: a spot check caught this trusted PNode; it is treated as untrusted from now on' });
      this.emit('pnode-demoted', pnode);
    }
    if (lies >= LIES_BEFORE_BAN && !this.banned.has(pnode)) this.ban(pnode, lies);
  }

  private ban(pnode: string, lies: number): void {
    remember(this.banned, pnode);
    this.counters.bans++;
    for (const record of [...this.pool.values()]) {
      if (record.pnode === pnode) this.releaseWorkVNode(record);
      else if (record.state === 'pending') record.refusedBy.set(pnode, Number.POSITIVE_INFINITY);
    }
    this.options.trace?.(pnode, { code: 'E_PROTO_INVALID', class: errorClassOf('E_PROTO_INVALID'), message: `work: ${lies} results lost their quorum; no more work goes to this PNode` });
    this.emit('pnode-banned', pnode);
  }
}
