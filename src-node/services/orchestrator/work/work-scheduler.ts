// The orchestrator's work scheduler (issue 7 §3, issue 13 §3–§4), free of sockets, timers and I/O:
// it holds the tasks its orchestrator claimed from the job store, keeps a pool of work VNodes
// placed by the orchestrator's own placement, sends task runs (replicas) to the PNodes holding
// them, ships blobs, judges results, and queues every change as writes for the store. The runtime
// module (work-scheduler-module.ts) claims tasks, flushes the writes (one transaction at a time),
// feeds it messages and ticks it; events that promise something (a validated result, an accepted
// task) are emitted only after the store committed them.
//
// VNode pool. Work runs in work VNodes (1 core, WORK_VNODE_MEMORY_MB) the scheduler asks the
// orchestrator for. A run that finds no free VNode it may use is "starved"; at most once per tick,
// and one request round at a time, the scheduler asks for one VNode per starved run where one
// still fits on an eligible PNode (registered, primary here, contributing, connected, not banned)
// the run could go to. Placement is steered through each record's `refusedBy`. A work VNode no PNode
// takes within STALE_PENDING_INTERVALS heartbeat intervals is given back; with nothing held for
// IDLE_RELEASE_MS the pool is released.
//
// Benchmark first (benchmark.ts). A PNode without a valid benchmark is capped at one minimal VNode
// (the orchestrator's capacity cap) and gets no project work; its first free work VNode runs the
// benchmark. A wrong answer is a lie; MAX_BENCHMARK_FAILURES failures of any kind stop its work.
//
// Dispatch. A VNode runs one task at a time. Held tasks are served in the order they were claimed;
// a run goes to a free VNode whose PNode is independent of every PNode that voted on or runs the
// task (independence.ts), has not failed it, is benchmarked, and is established when the judge
// asks for it (judge.ts). The first run of a task decides its plan: a reliable PNode (reputation.ts)
// runs it alone unless the task's policy says otherwise or it is picked for a spot check
// (SPOT_CHECK_FRACTION). Sends to one PNode stay within WORK_MESSAGES_PER_SECOND (send-budget.ts),
// blob chunks before tasks.
//
// Results. An ok result must be a WASI result within the task's output cap whose files are among
// its outputs (else it is `invalid`: a failure of that PNode). The judge accepts, asks for more
// runs, or fails the task. On acceptance, the results on the losing side are lies: the PNode's
// streak resets, its registry score drops by LIE_PENALTY_POINTS, a trusted PNode is demoted, and
// after LIES_BEFORE_BAN it is banned (its work VNodes are released, no work goes there again). The
// decision carries the validated facts (task, PNode, its CPU time, its benchmark score, when) for
// credit, and the reputation changes; it applies only if the orchestrator still owns the task.
//
// Failures and retries. `cancelled` (the PNode refused) and a lost run (lease ended, VNode moved,
// session closed, the PNode paused) run again elsewhere and cost only an attempt; the refusing PNode
// rests for REFUSAL_COOLDOWN_MS. A failure (failed, trap, timeout, memory-exceeded, invalid, no
// result by the attempt's deadline) runs again on another PNode; MAX_TASK_FAILURES of them fail the
// task. Every task fails after MAX_ATTEMPTS_PER_TASK attempts, and at its deadline.
import { EventEmitter } from 'node:events';
import { ProtocolError, errorClassOf } from '../../../../src-shared/protocol/errors.js';
import { errorBody } from '../../../../src-shared/protocol/messages/core-bodies.js';
import type { SessionBody, SessionKind } from '../../../../src-shared/protocol/messages/kinds.js';
import type { VNodeModuleRequestBody, VNodeResultBody } from '../../../../src-shared/protocol/messages/work-bodies.js';
import { MAX_CHUNKS_PER_MODULE_REQUEST } from '../../../../src-shared/protocol/messages/work-bodies.js';
import { MAX_VNODES_PER_PNODE } from '../../../../src-shared/membership/membership-profile.js';
import { maxVNodeSize, type Resources } from '../../../../src-shared/membership/placement.js';
import { newId } from '../../../../src-shared/protocol/ids.js';
import type { TraceDetail } from '../../../../src-shared/protocol/trace.js';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import type { ModuleChunkWire } from '../../../../src-shared/vnode/module-chunks.js';
import { type TaskResult, type TaskStatus, decodeTaskResult } from '../../../../src-shared/vnode/task-result.js';
import { wasiOutputBytes } from '../../../../src-shared/vnode/wasi-output.js';
import { type WasiWorkload, isBlobFile } from '../../../../src-shared/vnode/wasi-workload.js';
import { encodeTask } from '../../../../src-shared/vnode/workload.js';
import type { ReplicationPolicy, ValidatorSpec } from '../../../../src-shared/jobs/task-spec.js';
import type { Clock } from '../../../kernel/util/clock.js';
import type { Orchestrator } from '../orchestrator.js';
import type { PNodeEntry } from '../registry.js';
import { isHeld, type VNodeRecord } from '../vnode-table.js';
import type { ApplyOutcome, BenchmarkRecord, ClaimedTask, Decision, PNodePlace, ReplicaRow, ReplicaState, ReputationDelta, ReputationRow, TaskProgress, ValidatedFact, WriteBatch } from '../jobs/job-store.js';
import { decodeStoredTask } from '../jobs/stored-task.js';
import { BENCHMARK_VALID_MS, MAX_BENCHMARK_FAILURES, type BenchmarkTask, benchmarkScore, benchmarkTask } from './benchmark.js';
import { ChunkCache } from './chunk-cache.js';
import { independentOf, placeOf } from './independence.js';
import { type TaskPlan, type Vote, groupVotes, judge } from './judge.js';
import { type Record as RepRecord, type Standing, applyDelta, isBanned, isEstablished, recordOf, standingOf, ESTABLISHED_AFTER } from './reputation.js';
import { SendBudget } from './send-budget.js';
import {
  ATTEMPT_GRACE_MS,
  ATTEMPT_WALL_FACTOR,
  IDLE_RELEASE_MS,
  LIE_PENALTY_POINTS,
  MAX_ATTEMPTS_PER_TASK,
  MAX_BLOB_WAITERS,
  MAX_BLOB_WAITERS_PER_PNODE,
  MAX_HELD_TASKS,
  MAX_QUEUED_CHUNKS_PER_PNODE,
  MAX_REMEMBERED_PNODES,
  MAX_TASK_FAILURES,
  MAX_WORK_VNODES,
  MAX_WRITES_PER_FLUSH,
  MIN_HELD_TASKS,
  REFUSAL_COOLDOWN_MS,
  SPOT_CHECK_FRACTION,
  STALE_PENDING_INTERVALS,
  STARVED_SCAN_CAP,
  STUCK_RELEASE_MS,
  WORK_TICK_MS,
  WORK_VNODE_CORES,
  WORK_VNODE_MEMORY_MB,
} from './work-profile.js';

/** `no-answer`: nothing came by the deadline; `lost`: given up without fault (PNode gone or paused); `invalid`: a result we refused. */
export type AttemptState = 'running' | TaskStatus | 'no-answer' | 'lost' | 'invalid';

/** How the scheduler reaches PNodes: the runtime's connection manager, or a test double. */
export interface WorkTransport {
  send<K extends SessionKind>(nodeId: string, kind: K, body: SessionBody<K>): boolean;
  isConnected(nodeId: string): boolean;
}

export interface WorkVote extends Vote {
  readonly place: PNodePlace;
  readonly cpuMs: number;
  /** From sending the run to receiving its result, by this orchestrator's clock (what credit may vouch for). */
  readonly wallMs: number;
  /** The result as received (stored with the replica, downloaded when accepted), and decoded. */
  readonly wire: string;
  readonly result: TaskResult;
}

export interface HeldTask {
  readonly id: string;
  readonly batch: string;
  readonly project: string;
  readonly name: string;
  readonly workload: WasiWorkload;
  readonly policy: ReplicationPolicy;
  readonly validator: ValidatorSpec;
  readonly deadline: number;
  /** `deciding`: a decision waits for the store. */
  state: 'open' | 'deciding';
  plan: TaskPlan | null;
  readonly votes: WorkVote[];
  readonly running: Set<Attempt>;
  /** PNodes that failed it (they do not run it again). */
  readonly failedOn: Set<string>;
  attempts: number;
  failures: number;
  retriesOwed: number;
  mismatched: boolean;
  lastFailure: { readonly status: AttemptState; readonly detail: string } | null;
  readonly heldAt: number;
  firstSentAt: number | null;
  lastSentAt: number | null;
}

export interface BenchmarkRun {
  readonly task: BenchmarkTask;
}

export interface Attempt {
  /** req/id of the vnode-task and the task id on the wire. */
  readonly id: string;
  readonly task: HeldTask | null;
  readonly benchmark: BenchmarkRun | null;
  readonly pnode: string;
  readonly place: PNodePlace;
  readonly vnodeId: string;
  readonly sentAt: number;
  readonly deadline: number;
  state: AttemptState;
}

export interface PNodeWorkStats {
  sent: number;
  ok: number;
  failed: number;
  cancelled: number;
  noAnswer: number;
  lost: number;
  invalid: number;
  /** Results on the accepted side of a decided task. */
  agreed: number;
  /** Results on the losing side. */
  lies: number;
  cpuMs: number;
}

export interface WorkCounters {
  tasksClaimed: number;
  tasksReleased: number;
  tasksDropped: number;
  tasksAccepted: number;
  tasksFailed: number;
  attemptsSent: number;
  attemptsEnded: Record<Exclude<AttemptState, 'running'>, number>;
  retries: number;
  mismatches: number;
  spotChecks: number;
  acceptedAlone: number;
  agreements: number;
  lies: number;
  bans: number;
  demotions: number;
  lateResults: number;
  unexpectedResults: number;
  decisionsNotApplied: number;
  benchmarksSent: number;
  benchmarksPassed: number;
  benchmarksFailed: number;
  moduleRequests: number;
  moduleRequestsRefused: number;
  chunksSent: number;
  vnodesRequested: number;
  vnodesReleased: number;
  flushes: number;
  writesFlushed: number;
}

export function zeroWorkCounters(): WorkCounters {
  return {
    tasksClaimed: 0,
    tasksReleased: 0,
    tasksDropped: 0,
    tasksAccepted: 0,
    tasksFailed: 0,
    attemptsSent: 0,
    attemptsEnded: { ok: 0, failed: 0, timeout: 0, 'memory-exceeded': 0, trap: 0, cancelled: 0, 'no-answer': 0, lost: 0, invalid: 0 },
    retries: 0,
    mismatches: 0,
    spotChecks: 0,
    acceptedAlone: 0,
    agreements: 0,
    lies: 0,
    bans: 0,
    demotions: 0,
    lateResults: 0,
    unexpectedResults: 0,
    decisionsNotApplied: 0,
    benchmarksSent: 0,
    benchmarksPassed: 0,
    benchmarksFailed: 0,
    moduleRequests: 0,
    moduleRequestsRefused: 0,
    chunksSent: 0,
    vnodesRequested: 0,
    vnodesReleased: 0,
    flushes: 0,
    writesFlushed: 0,
  };
}

/** What the store's holder of a decided task learns, after the store committed it. */
export interface AcceptedTask {
  readonly id: string;
  readonly batch: string;
  readonly project: string;
  readonly name: string;
  readonly replica: string;
  readonly result: TaskResult;
  readonly by: 'quorum' | 'reliable';
  /** When its first run was sent here, and when it was decided (scheduler clock). */
  readonly firstSentAt: number | null;
  readonly decidedAt: number;
}

/** One claim of a validated result, as credit weighs it (credit-formula.ts's CreditClaim, before the benchmark's conversion). */
export interface ResultClaim {
  readonly cpuMs: number;
  readonly benchmarkScore: number | null;
  readonly wallMs: number;
}

/**
 * A validated result as credit needs it (issue 13 §5): the fact the store recorded, plus what the
 * receipt's caps need — the wall time this orchestrator saw, the task's budget, and the claims of
 * the other results that agreed (the award is the lowest of them).
 */
export interface ValidatedResult extends ValidatedFact {
  readonly wallMs: number;
  /** The task's running-time budget (needs.max-ms). */
  readonly budgetMs: number;
  readonly agreeing: readonly ResultClaim[];
}

export interface FailedTask {
  readonly id: string;
  readonly batch: string;
  readonly project: string;
  readonly name: string;
  readonly detail: string;
}

export interface WorkSchedulerOptions {
  readonly orchestrator: Orchestrator;
  readonly transport: WorkTransport;
  readonly clock: Clock;
  /** This orchestrator's node id: the owner of what it claims. */
  readonly selfNodeId: string;
  /** The benchmark program (workloads/primes-wasi), kept in the blob store; null: no benchmark gate. */
  readonly benchmarkModule: { readonly hash: ContentHash; readonly size: number } | null;
  /** In [0, 1); default Math.random (spot checks, benchmark windows). */
  readonly random?: () => number;
  readonly spotCheckFraction?: number;
  readonly vnodeMemoryMb?: number;
  readonly attemptGraceMs?: number;
  readonly refusalCooldownMs?: number;
  readonly idleReleaseMs?: number;
  readonly messagesPerSecond?: number;
  readonly messagesBurst?: number;
  readonly maxHeldTasks?: number;
  /** Devnets and tests: PNodes on loopback are independent by node id (independence.ts). */
  readonly devLoopback?: boolean;
  /** Called once per validated result (never for a rejected or unanswered one), after the store recorded it: where credit receipts are made. */
  readonly onValidated?: (result: ValidatedResult) => void;
  /** `error/occurred` traces (lies, bans, demotions, refused results). */
  readonly trace?: (peer: string, detail: TraceDetail) => void;
  /** Test-only: changes a chunk before it is sent (a corrupted delivery). Never reachable from the CLI. */
  readonly chunkTransform?: (chunk: ModuleChunkWire, context: { readonly pnode: string; readonly delivery: number }) => ModuleChunkWire;
}

export interface WorkSchedulerEvents {
  validated: [result: ValidatedResult];
  'task-accepted': [task: AcceptedTask];
  'task-failed': [task: FailedTask];
  'pnode-banned': [nodeId: string];
  'pnode-demoted': [nodeId: string];
  benchmarked: [nodeId: string, score: number];
  /** Writes wait for the store. */
  'wants-flush': [];
  /** A blob a PNode asked for is not in memory: read it and call blobLoaded. */
  'wants-blob': [hash: ContentHash];
  /** Something the admin API shows changed. */
  changed: [];
}

interface QueuedChunk {
  readonly reId: string;
  readonly chunk: ModuleChunkWire;
}

interface BlobWaiter {
  readonly pnode: string;
  readonly body: VNodeModuleRequestBody;
}

interface PNodeFacts {
  record: RepRecord;
  benchmarkScore: number | null;
  benchmarkedAt: number | null;
}

interface PendingWrites {
  replicas: ReplicaRow[];
  progress: Map<string, TaskProgress>;
  decisions: Decision[];
  benchmarks: BenchmarkRecord[];
  reputation: ReputationDelta[];
  effects: Array<(outcome: ApplyOutcome) => void>;
  size: number;
}

function emptyWrites(): PendingWrites {
  return { replicas: [], progress: new Map(), decisions: [], benchmarks: [], reputation: [], effects: [], size: 0 };
}

function zeroPNodeStats(): PNodeWorkStats {
  return { sent: 0, ok: 0, failed: 0, cancelled: 0, noAnswer: 0, lost: 0, invalid: 0, agreed: 0, lies: 0, cpuMs: 0 };
}

/** A bounded map/set: the oldest member goes when it is full. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED_PNODES) map.delete(map.keys().next().value!);
}

/** The minimal VNode a PNode gets before its benchmark. */
export const MINIMAL_CAPACITY: Resources = { cores: WORK_VNODE_CORES, memoryMb: WORK_VNODE_MEMORY_MB };

export class WorkScheduler extends EventEmitter<WorkSchedulerEvents> {
  readonly counters: WorkCounters = zeroWorkCounters();
  /** Per PNode, over all tasks. */
  readonly pnodeStats = new Map<string, PNodeWorkStats>();
  readonly banned = new Map<string, number>();
  readonly demoted = new Map<string, number>();
  readonly chunks = new ChunkCache();
  private readonly orchestrator: Orchestrator;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly spotCheckFraction: number;
  readonly vnodeMemoryMb: number;
  private readonly budget: SendBudget;
  private readonly held = new Map<string, HeldTask>();
  private order: HeldTask[] = [];
  private openCount = 0;
  private decidedSincePrune = 0;
  /** Runs given up recently (no answer, lost): a result for one of them is late, not unexpected. */
  private readonly givenUp = new Map<string, true>();
  private readonly attempts = new Map<string, Attempt>();
  /** The attempt each work VNode runs. */
  private readonly busy = new Map<string, Attempt>();
  /** Work VNodes, by id. */
  private readonly pool = new Map<string, VNodeRecord>();
  private readonly cooldown = new Map<string, number>();
  private readonly poolSkip = new Map<string, number>();
  private readonly chunkQueues = new Map<string, QueuedChunk[]>();
  private readonly chunkDeliveries = new Map<string, number>();
  private readonly blobWaiters = new Map<ContentHash, BlobWaiter[]>();
  private blobWaiterCount = 0;
  private readonly facts = new Map<string, PNodeFacts>();
  private readonly benchmarkFailures = new Map<string, number>();
  /** PNodes running their benchmark now. */
  private readonly benchmarking = new Set<string>();
  /** PNodes whose record was asked of the store (unknownPNodes). */
  private readonly recordAsked = new Map<string, true>();
  /** Whether an established PNode is registered here now, and when that was last looked at. */
  private establishedOnline = false;
  private onlineCheckedAt = Number.NEGATIVE_INFINITY;
  private writes: PendingWrites = emptyWrites();
  private readonly runPrefix = newId('r').slice(2);
  private runCounter = 0;
  private lastWorkAt: number;
  private lastGrowAt = Number.NEGATIVE_INFINITY;
  /** Tasks that wanted a run in the last dispatch and found no VNode (at most STARVED_SCAN_CAP). */
  private starved: HeldTask[] = [];

  constructor(private readonly options: WorkSchedulerOptions) {
    super();
    this.orchestrator = options.orchestrator;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.spotCheckFraction = options.spotCheckFraction ?? SPOT_CHECK_FRACTION;
    this.vnodeMemoryMb = options.vnodeMemoryMb ?? WORK_VNODE_MEMORY_MB;
    this.budget = new SendBudget(options.messagesPerSecond, options.messagesBurst);
    this.lastWorkAt = options.clock.now();
    if (options.benchmarkModule) this.orchestrator.setCapacityCap((entry) => (this.benchmarked(entry.nodeId) ? null : MINIMAL_CAPACITY));
  }

  private now(): number {
    return this.clock.now();
  }

  /** A run's id (req/id and task id on the wire): unique, not secret (a result counts only from the PNode it was sent to). */
  private runId(kind: 'wt' | 'wb'): string {
    return `${kind}:${this.runPrefix}${(++this.runCounter).toString(36)}`;
  }

  // --- what the module feeds in ---------------------------------------------------------------

  /** PNode records from the store (on registration, and after claims); the larger streak wins. */
  setReputation(rows: Iterable<ReputationRow>): void {
    for (const row of rows) {
      const known = this.facts.get(row.pnode);
      const record = recordOf(row);
      const facts: PNodeFacts = {
        record: known && known.record.validated + known.record.lies > record.validated + record.lies ? known.record : record,
        benchmarkScore: row.benchmarkScore ?? known?.benchmarkScore ?? null,
        benchmarkedAt: row.benchmarkedAt ?? known?.benchmarkedAt ?? null,
      };
      remember(this.facts, row.pnode, facts);
      if (isBanned(facts.record)) remember(this.banned, row.pnode, this.now());
    }
    this.orchestrator.refreshCapacity();
  }

  /** Registered PNodes whose record was never asked of the store (the module loads them). */
  unknownPNodes(limit: number): string[] {
    const out: string[] = [];
    for (const entry of this.orchestrator.registry.all()) {
      if (out.length >= limit) break;
      if (entry.state !== 'registered' || this.facts.has(entry.nodeId) || this.recordAsked.has(entry.nodeId)) continue;
      remember(this.recordAsked, entry.nodeId, true);
      out.push(entry.nodeId);
    }
    return out;
  }

  /**
   * Bootstrap (judge.ts): no established PNode is registered here now, so a quorum of new ones is
   * accepted. Looked at once per WORK_TICK_MS: a scan of the registry.
   */
  get bootstrap(): boolean {
    const now = this.now();
    if (now - this.onlineCheckedAt >= WORK_TICK_MS) {
      this.onlineCheckedAt = now;
      this.establishedOnline = false;
      for (const entry of this.orchestrator.registry.all()) {
        if (entry.state === 'registered' && !this.banned.has(entry.nodeId) && this.standing(entry.nodeId) !== 'new') {
          this.establishedOnline = true;
          break;
        }
      }
    }
    return !this.establishedOnline;
  }

  /** Tasks claimed from the store; their earlier replicas vote or count as failures. */
  adopt(claimed: readonly ClaimedTask[]): void {
    const now = this.now();
    for (const { task, replicas } of claimed) {
      if (this.held.has(task.id)) continue;
      const stored = decodeStoredTask(task.spec);
      if (!stored.ok) {
        this.options.trace?.(this.options.selfNodeId, { code: 'E_PROTO_INVALID', class: errorClassOf('E_PROTO_INVALID'), message: `work: task ${task.id} does not decode: ${stored.error.detail}` });
        continue;
      }
      const held: HeldTask = {
        id: task.id,
        batch: task.batch,
        project: task.project,
        name: task.name,
        workload: stored.value.workload,
        policy: stored.value.replication,
        validator: stored.value.validator,
        deadline: task.deadline,
        state: 'open',
        plan: null,
        votes: [],
        running: new Set(),
        failedOn: new Set(),
        attempts: task.attempts,
        failures: task.failures,
        retriesOwed: 0,
        mismatched: false,
        lastFailure: null,
        heldAt: now,
        firstSentAt: null,
        lastSentAt: null,
      };
      for (const replica of replicas) {
        if (replica.state === 'ok' && replica.result !== null && replica.outputHash !== null) {
          const decoded = decodeTaskResult(JSON.parse(replica.result) as unknown);
          if (!decoded.ok) continue;
          held.votes.push({
            replica: replica.id,
            pnode: replica.pnode,
            hash: replica.outputHash,
            output: decoded.value.wasi ?? null,
            standing: this.standing(replica.pnode),
            place: replica,
            cpuMs: replica.cpuMs,
            wallMs: Math.max(0, (replica.endedAt ?? replica.sentAt) - replica.sentAt),
            wire: replica.result,
            result: decoded.value,
          });
        } else if (!['running', 'lost', 'cancelled'].includes(replica.state)) {
          held.failedOn.add(replica.pnode);
        }
      }
      if (held.votes.length > 0) held.plan = { alone: false };
      if (groupVotes(held.votes, held.validator).length > 1) held.mismatched = true;
      this.held.set(held.id, held);
      this.order.push(held);
      this.openCount++;
      this.counters.tasksClaimed++;
      this.lastWorkAt = now;
      // Votes already there may decide it (a restart after the deciding result was stored).
      this.judgeTask(held, now);
    }
    this.emit('changed');
  }

  /** Tasks no longer ours (aborted, or the store says another holds them): their runs are dropped. */
  drop(ids: Iterable<string>): void {
    for (const id of ids) {
      const task = this.held.get(id);
      if (!task) continue;
      for (const attempt of [...task.running]) this.endQuietly(attempt, 'lost');
      this.forget(task);
      this.counters.tasksDropped++;
    }
    this.emit('changed');
  }

  /** How many more tasks to claim: enough to keep every VNode it could have busy. */
  claimWanted(): number {
    const max = this.options.maxHeldTasks ?? MAX_HELD_TASKS;
    if (this.held.size >= max) return 0;
    let capacity = 0;
    const now = this.now();
    for (const entry of this.orchestrator.registry.all()) if (this.eligible(entry.nodeId, now)) capacity += Math.max(1, this.orchestrator.capacityOf(entry).cores);
    const needy = this.openCount;
    // With no PNode to run them, hold nothing: another orchestrator of the same store may have some.
    const target = capacity === 0 ? 0 : Math.min(max, Math.max(MIN_HELD_TASKS, 4 * capacity));
    return Math.max(0, target - needy);
  }

  /** Ids of the tasks held (their leases are renewed). */
  heldIds(): string[] {
    return [...this.held.keys()];
  }

  /** Held tasks no run could be sent for in STUCK_RELEASE_MS: given back to the store. */
  takeStuck(): string[] {
    const now = this.now();
    const out: string[] = [];
    for (const task of this.held.values()) {
      if (task.state !== 'open' || task.running.size > 0) continue;
      if (now - (task.lastSentAt ?? task.heldAt) < STUCK_RELEASE_MS) continue;
      out.push(task.id);
      this.forget(task);
      this.counters.tasksReleased++;
    }
    return out;
  }

  /** The writes gathered since the last call, for one store transaction; null when there are none. */
  takeWrites(): { batch: WriteBatch; effects: Array<(outcome: ApplyOutcome) => void> } | null {
    const w = this.writes;
    if (w.size === 0 && w.effects.length === 0) return null;
    this.writes = emptyWrites();
    this.counters.flushes++;
    this.counters.writesFlushed += w.size;
    return { batch: { replicas: w.replicas, progress: [...w.progress.values()], decisions: w.decisions, benchmarks: w.benchmarks, reputation: w.reputation }, effects: w.effects };
  }

  get pendingWrites(): number {
    return this.writes.size;
  }

  /** A blob asked for, read from the blob store (null: not there or damaged). */
  blobLoaded(hash: ContentHash, bytes: Uint8Array | null): void {
    const waiters = this.blobWaiters.get(hash) ?? [];
    this.blobWaiters.delete(hash);
    this.blobWaiterCount -= waiters.length;
    if (bytes) this.chunks.add(hash, bytes);
    for (const waiter of waiters) this.serveBlob(waiter.pnode, waiter.body);
  }

  // --- views ------------------------------------------------------------------------------------

  get openTasks(): number {
    return this.openCount;
  }

  get heldTasks(): number {
    return this.held.size;
  }

  heldTask(id: string): HeldTask | undefined {
    return this.held.get(id);
  }

  vnodes(): VNodeRecord[] {
    return [...this.pool.values()];
  }

  runningAttempts(): Attempt[] {
    return [...this.attempts.values()];
  }

  isTrusted(pnode: string): boolean {
    return this.orchestrator.registry.get(pnode)?.trust === 'trusted' && !this.demoted.has(pnode);
  }

  standing(pnode: string): Standing {
    return standingOf(this.facts.get(pnode)?.record, this.isTrusted(pnode));
  }

  record(pnode: string): RepRecord | undefined {
    return this.facts.get(pnode)?.record;
  }

  benchmarkScoreOf(pnode: string): number | null {
    return this.facts.get(pnode)?.benchmarkScore ?? null;
  }

  /** A valid benchmark is on record (or there is no benchmark gate). */
  benchmarked(pnode: string): boolean {
    if (!this.options.benchmarkModule) return true;
    const facts = this.facts.get(pnode);
    return facts?.benchmarkedAt !== null && facts?.benchmarkedAt !== undefined && this.now() - facts.benchmarkedAt < BENCHMARK_VALID_MS;
  }

  placeOf(pnode: string): PNodePlace | null {
    const entry = this.orchestrator.registry.get(pnode);
    if (!entry) return null;
    return placeOf({
      nodeId: pnode,
      address: entry.address ?? `unknown:${pnode}`,
      operator: entry.trust === 'trusted' ? entry.operatorId : null,
      session: entry.session ?? `unknown:${pnode}`,
      devLoopback: this.options.devLoopback === true,
    });
  }

  // --- messages ---------------------------------------------------------------------------------

  onResult(pnode: string, body: VNodeResultBody): void {
    const attempt = this.attempts.get(body['re/id']);
    if (!attempt || attempt.pnode !== pnode) {
      if (attempt === undefined && this.givenUp.delete(body['re/id'])) this.counters.lateResults++;
      else this.counters.unexpectedResults++;
      return;
    }
    const decoded = decodeTaskResult(body.result);
    if (!decoded.ok) return; // the codec checked it already
    const result = decoded.value;
    if (result.taskId !== attempt.id || result.vnodeId !== attempt.vnodeId) {
      this.end(attempt, 'invalid', `the result names task ${result.taskId} on ${result.vnodeId}`, null, null);
      return;
    }
    if (result.status === 'ok') {
      const refusal = this.refuseOutput(attempt, result);
      if (refusal !== null) {
        this.options.trace?.(pnode, { code: 'E_PROTO_INVALID', class: errorClassOf('E_PROTO_INVALID'), message: `work: a result of ${attempt.task?.id ?? 'the benchmark'} was refused: ${refusal}` });
        this.end(attempt, 'invalid', refusal, null, null);
        return;
      }
    }
    this.end(attempt, result.status, result.detail ?? result.status, result, result.status === 'ok' ? JSON.stringify(body.result) : null);
  }

  /** Why an ok result cannot count (E_PROTO_INVALID), or null. */
  private refuseOutput(attempt: Attempt, result: TaskResult): string | null {
    const workload = attempt.task?.workload ?? attempt.benchmark?.task.workload;
    if (!workload) return null;
    const wasi = result.wasi;
    if (!wasi || wasi.stdout === null) return 'it is not the result of a WASI program';
    const bytes = wasiOutputBytes(wasi.stdout, wasi.files);
    if (bytes > workload.outputCap) return `its output is ${bytes} bytes, over the task's cap of ${workload.outputCap}`;
    const declared = new Set(workload.outputs);
    const stray = wasi.files.find((f) => !declared.has(f.name));
    if (stray) return `it returns ${JSON.stringify(stray.name)}, which is not one of the task's outputs`;
    return null;
  }

  onModuleRequest(pnode: string, body: VNodeModuleRequestBody): void {
    this.counters.moduleRequests++;
    const entry = this.orchestrator.registry.get(pnode);
    if (!entry || entry.state !== 'registered') return this.refuseBlob(pnode, body, 'not registered here', 'E_HS_UNKNOWN_REF');
    const hash = body['module/hash'];
    // A PNode fetches only what a run it holds needs: bounded, and no project's inputs to strangers.
    if (!this.mayFetch(pnode, hash)) return this.refuseBlob(pnode, body, `blob ${hash} is not needed by a task of this PNode`);
    if (this.chunks.get(hash)) return this.serveBlob(pnode, body);
    const waiters = this.blobWaiters.get(hash) ?? [];
    if (this.blobWaiterCount >= MAX_BLOB_WAITERS || waiters.filter((w) => w.pnode === pnode).length >= MAX_BLOB_WAITERS_PER_PNODE) {
      return this.refuseBlob(pnode, body, 'too many blob requests are waiting; ask again');
    }
    waiters.push({ pnode, body });
    this.blobWaiterCount++;
    this.blobWaiters.set(hash, waiters);
    if (waiters.length === 1) this.emit('wants-blob', hash);
  }

  private mayFetch(pnode: string, hash: ContentHash): boolean {
    for (const attempt of this.attempts.values()) {
      if (attempt.pnode !== pnode) continue;
      const workload = attempt.task?.workload ?? attempt.benchmark?.task.workload;
      if (!workload) continue;
      if (workload.moduleHash === hash) return true;
      if (workload.files.some((f) => isBlobFile(f) && f.hash === hash)) return true;
    }
    return false;
  }

  private refuseBlob(pnode: string, body: VNodeModuleRequestBody, detail: string, code: 'E_PROTO_INVALID' | 'E_HS_UNKNOWN_REF' = 'E_PROTO_INVALID'): void {
    this.counters.moduleRequestsRefused++;
    this.options.transport.send(pnode, 'error', errorBody(new ProtocolError(code, `vnode-module-request: ${detail}`), body['req/id']));
  }

  private serveBlob(pnode: string, body: VNodeModuleRequestBody): void {
    const stored = this.chunks.get(body['module/hash']);
    if (!stored || stored.size !== body['module/size']) return this.refuseBlob(pnode, body, `blob ${body['module/hash']} of ${body['module/size']} bytes is not kept here`);
    const wanted = body.chunks ?? Array.from({ length: Math.min(MAX_CHUNKS_PER_MODULE_REQUEST, stored.chunks.length) }, (_, i) => i);
    const queue = this.chunkQueues.get(pnode) ?? [];
    if (queue.length + wanted.length > MAX_QUEUED_CHUNKS_PER_PNODE) return this.refuseBlob(pnode, body, `${queue.length} chunks are still on their way to this PNode`);
    for (const index of wanted) if (!stored.chunks[index]) return this.refuseBlob(pnode, body, `chunk ${index} is outside the blob's ${stored.chunks.length}`);
    for (const index of wanted) queue.push({ reId: body['req/id'], chunk: stored.chunks[index]! });
    this.chunkQueues.set(pnode, queue);
    this.pumpChunks(this.now());
  }

  /** A closed session loses every run on that PNode (its results could not reach us). */
  onSessionClosed(pnode: string): void {
    for (const attempt of [...this.attempts.values()]) if (attempt.pnode === pnode) this.end(attempt, 'lost', 'the session with the PNode closed', null, null);
    this.chunkQueues.delete(pnode);
  }

  // --- time -------------------------------------------------------------------------------------

  /** Deadlines, runs on PNodes that went away or paused, the pool, and dispatch. */
  tick(): void {
    const now = this.now();
    for (const attempt of [...this.attempts.values()]) {
      if (now >= attempt.deadline) {
        this.end(attempt, 'no-answer', `no result within ${attempt.deadline - attempt.sentAt} ms`, null, null);
        continue;
      }
      const record = this.orchestrator.vnodes.get(attempt.vnodeId);
      if (!record || record.pnode !== attempt.pnode || !isHeld(record)) {
        this.end(attempt, 'lost', 'the VNode left the PNode', null, null);
        continue;
      }
      const entry = this.orchestrator.registry.get(attempt.pnode);
      if (!entry || entry.state !== 'registered') this.end(attempt, 'lost', 'the PNode lease ended', null, null);
      else if (!entry.contributing) this.end(attempt, 'lost', 'the PNode paused (not contributing)', null, null);
    }
    for (const task of [...this.held.values()]) if (task.state === 'open' && now >= task.deadline) this.failTask(task, 'the deadline passed', now);
    this.pass();
  }

  /** Sends queued chunks, then tasks to free VNodes, then grows or shrinks the pool. */
  pass(): void {
    const now = this.now();
    this.pumpChunks(now);
    this.dispatch(now);
    this.maintainPool(now);
  }

  get chunksQueued(): boolean {
    return this.chunkQueues.size > 0;
  }

  // --- the pool ---------------------------------------------------------------------------------

  private eligible(pnode: string, now: number): PNodeEntry | null {
    const entry = this.orchestrator.registry.get(pnode);
    if (!entry || entry.state !== 'registered' || !entry.primary || !entry.contributing) return null;
    if (this.banned.has(pnode) || (this.benchmarkFailures.get(pnode) ?? 0) >= MAX_BENCHMARK_FAILURES) return null;
    const resting = this.cooldown.get(pnode);
    if (resting !== undefined) {
      if (resting > now) return null;
      this.cooldown.delete(pnode);
    }
    if (!this.options.transport.isConnected(pnode)) return null;
    return entry;
  }

  /** Whether a run of `task` may go to this PNode (independence, failures, standing). */
  private fits(task: HeldTask, pnode: string, place: PNodePlace, needEstablished: boolean): boolean {
    if (task.failedOn.has(pnode)) return false;
    if (needEstablished && !isEstablished(this.standing(pnode))) return false;
    const places: PNodePlace[] = task.votes.map((v) => v.place);
    for (const attempt of task.running) places.push(attempt.place);
    return independentOf(place, places);
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
    if (this.openCount === 0 && this.attempts.size === 0) {
      if (this.pool.size > 0 && now - this.lastWorkAt >= (this.options.idleReleaseMs ?? IDLE_RELEASE_MS)) {
        for (const record of [...this.pool.values()]) this.releaseWorkVNode(record);
      }
      return;
    }
    this.lastWorkAt = now;
    if (unplaced > 0 || this.starved.length === 0 || now - this.lastGrowAt < WORK_TICK_MS) return;
    this.lastGrowAt = now;
    const room: Array<{ nodeId: string; place: PNodePlace; slots: number }> = [];
    for (const entry of this.orchestrator.registry.all()) {
      if ((this.poolSkip.get(entry.nodeId) ?? 0) > now || !this.eligible(entry.nodeId, now)) continue;
      const slots = this.freeSlots(entry);
      const place = this.placeOf(entry.nodeId);
      if (slots > 0 && place) room.push({ nodeId: entry.nodeId, place, slots });
    }
    let requested = 0;
    for (const task of this.starved) {
      if (this.pool.size >= MAX_WORK_VNODES) break;
      const verdict = this.verdictOf(task);
      const needEstablished = verdict.kind === 'run' && verdict.established;
      // A PNode without a benchmark gets a VNode too: its benchmark runs there first.
      const where = room.find((r) => r.slots > 0 && this.fits(task, r.nodeId, r.place, needEstablished && this.benchmarked(r.nodeId)));
      if (!where) continue;
      where.slots--;
      let record: VNodeRecord;
      try {
        record = this.orchestrator.requestVNode({ cores: WORK_VNODE_CORES, memoryMb: this.vnodeMemoryMb });
      } catch {
        break; // the VNode table is full
      }
      for (const pnode of this.banned.keys()) record.refusedBy.set(pnode, Number.POSITIVE_INFINITY);
      for (const [pnode, until] of this.poolSkip) record.refusedBy.set(pnode, until);
      for (const r of room) if (r !== where && !this.fits(task, r.nodeId, r.place, false)) record.refusedBy.set(r.nodeId, now + staleMs);
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
    if (attempt) this.end(attempt, 'lost', 'its VNode was released', null, null);
  }

  // --- sending ----------------------------------------------------------------------------------

  private pumpChunks(now: number): void {
    for (const [pnode, queue] of this.chunkQueues) {
      while (queue.length > 0 && this.budget.take(pnode, now)) {
        const next = queue.shift()!;
        const key = `${pnode} ${next.chunk['module/hash']} ${next.chunk['chunk/index']}`;
        const delivery = (this.chunkDeliveries.get(key) ?? 0) + 1;
        remember(this.chunkDeliveries, key, delivery);
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

  private verdictOf(task: HeldTask) {
    return judge({
      votes: task.votes,
      running: [...task.running].map((a) => this.standing(a.pnode)),
      plan: task.plan ?? { alone: false },
      policy: task.policy,
      validator: task.validator,
      bootstrap: this.bootstrap,
    });
  }

  private dispatch(now: number): void {
    interface Free {
      readonly record: VNodeRecord;
      readonly pnode: string;
      readonly place: PNodePlace;
      readonly standing: Standing;
      readonly score: number;
    }
    const free: Free[] = [];
    for (const record of this.pool.values()) {
      if ((record.state !== 'allocated' && record.state !== 'running') || record.pnode === null || this.busy.has(record.id)) continue;
      const entry = this.eligible(record.pnode, now);
      if (!entry || this.budget.available(record.pnode, now) < 1) continue;
      const place = this.placeOf(record.pnode);
      if (!place) continue;
      if (!this.benchmarked(record.pnode)) {
        // Its benchmark first, one at a time.
        if (this.options.benchmarkModule && !this.benchmarking.has(record.pnode)) this.sendBenchmark(record, record.pnode, place, now);
        continue;
      }
      const standing = this.standing(record.pnode);
      free.push({ record, pnode: record.pnode, place, standing, score: this.orchestrator.registry.score(entry, now) });
    }
    const rank = (s: Standing) => (s === 'reliable' ? 2 : s === 'established' ? 1 : 0);
    free.sort((a, b) => rank(b.standing) - rank(a.standing) || b.score - a.score || (a.pnode < b.pnode ? -1 : a.pnode > b.pnode ? 1 : 0));
    if (this.decidedSincePrune > 256 && this.decidedSincePrune > this.order.length / 2) {
      this.order = this.order.filter((t) => t.state === 'open' && this.held.get(t.id) === t);
      this.decidedSincePrune = 0;
    }
    const starved: HeldTask[] = [];
    for (const task of this.order) {
      if (free.length === 0 && starved.length >= STARVED_SCAN_CAP) break;
      if (task.state !== 'open' || this.held.get(task.id) !== task) continue;
      for (;;) {
        if (task.attempts >= MAX_ATTEMPTS_PER_TASK) break;
        const verdict = this.verdictOf(task);
        if (verdict.kind !== 'run') break;
        const at = free.findIndex((f) => this.fits(task, f.pnode, f.place, verdict.established));
        if (at < 0) {
          for (let i = 0; i < verdict.more && starved.length < STARVED_SCAN_CAP; i++) starved.push(task);
          break;
        }
        const [pick] = free.splice(at, 1);
        if (task.plan === null) {
          const reliable = pick!.standing === 'reliable' && task.policy.adaptive;
          const spotCheck = reliable && this.random() < this.spotCheckFraction;
          task.plan = { alone: reliable && !spotCheck };
          if (spotCheck) this.counters.spotChecks++;
        }
        // A PNode whose budget ran out meanwhile (two of its VNodes in one pass): try the next VNode.
        if (!this.send(task, pick!.record, pick!.pnode, pick!.place, now)) continue;
      }
    }
    this.starved = starved;
  }

  private sendBenchmark(record: VNodeRecord, pnode: string, place: PNodePlace, now: number): void {
    const module = this.options.benchmarkModule!;
    if (!this.budget.take(pnode, now)) return;
    const id = this.runId('wb');
    const run: BenchmarkRun = { task: benchmarkTask(module, this.random, id) };
    const workload = run.task.workload;
    let sent: boolean;
    try {
      sent = this.options.transport.send(pnode, 'vnode-task', { 'req/id': id, 'vnode/id': record.id, task: encodeTask({ ...workload, taskId: id, vnodeId: record.id }) });
    } catch {
      sent = false;
    }
    if (!sent) return;
    const deadline = now + workload.needs.maxMs * ATTEMPT_WALL_FACTOR + (this.options.attemptGraceMs ?? ATTEMPT_GRACE_MS);
    const attempt: Attempt = { id, task: null, benchmark: run, pnode, place, vnodeId: record.id, sentAt: now, deadline, state: 'running' };
    this.attempts.set(id, attempt);
    this.busy.set(record.id, attempt);
    this.benchmarking.add(pnode);
    this.counters.benchmarksSent++;
  }

  private send(task: HeldTask, record: VNodeRecord, pnode: string, place: PNodePlace, now: number): boolean {
    if (!this.budget.take(pnode, now)) return false;
    const id = this.runId('wt');
    const deadline = Math.min(task.deadline, now + task.workload.needs.maxMs * ATTEMPT_WALL_FACTOR + (this.options.attemptGraceMs ?? ATTEMPT_GRACE_MS));
    let sent: boolean;
    try {
      sent = this.options.transport.send(pnode, 'vnode-task', { 'req/id': id, 'vnode/id': record.id, task: encodeTask({ ...task.workload, taskId: id, vnodeId: record.id }) });
    } catch {
      sent = false;
    }
    if (!sent) return false;
    const attempt: Attempt = { id, task, benchmark: null, pnode, place, vnodeId: record.id, sentAt: now, deadline, state: 'running' };
    this.attempts.set(id, attempt);
    this.busy.set(record.id, attempt);
    task.running.add(attempt);
    task.attempts++;
    task.firstSentAt ??= now;
    task.lastSentAt = now;
    if (task.retriesOwed > 0) {
      task.retriesOwed--;
      this.counters.retries++;
    }
    this.counters.attemptsSent++;
    this.statsOf(pnode).sent++;
    // The run is written when it ends: a run in flight is worth nothing after a restart (it is lost).
    this.writeProgress(task);
    return true;
  }

  // --- writes -----------------------------------------------------------------------------------

  private wrote(): void {
    this.writes.size++;
    if (this.writes.size === 1 || this.writes.size >= MAX_WRITES_PER_FLUSH) this.emit('wants-flush');
  }

  private writeReplica(attempt: Attempt, state: ReplicaState, result: TaskResult | null, wire: string | null, detail: string | null): void {
    if (!attempt.task) return;
    this.writes.replicas.push({
      ...attempt.place,
      id: attempt.id,
      task: attempt.task.id,
      orchestrator: this.options.selfNodeId,
      state,
      sentAt: attempt.sentAt,
      endedAt: state === 'running' ? null : this.now(),
      cpuMs: result?.cpuMs ?? 0,
      outputHash: result?.outputHash ?? null,
      result: wire,
      detail,
    });
    this.wrote();
  }

  private writeProgress(task: HeldTask): void {
    this.writes.progress.set(task.id, { task: task.id, attempts: task.attempts, failures: task.failures });
    this.wrote();
  }

  // --- results ----------------------------------------------------------------------------------

  private statsOf(pnode: string): PNodeWorkStats {
    let stats = this.pnodeStats.get(pnode);
    if (!stats) {
      stats = zeroPNodeStats();
      remember(this.pnodeStats, pnode, stats);
    }
    return stats;
  }

  /** A run ended without our judging it (its task was dropped). */
  private endQuietly(attempt: Attempt, state: Exclude<AttemptState, 'running'>): void {
    if (attempt.state !== 'running') return;
    attempt.state = state;
    this.attempts.delete(attempt.id);
    remember(this.givenUp, attempt.id, true);
    if (this.busy.get(attempt.vnodeId) === attempt) this.busy.delete(attempt.vnodeId);
    if (attempt.benchmark) this.benchmarking.delete(attempt.pnode);
    attempt.task?.running.delete(attempt);
    this.writeReplica(attempt, state, null, null, 'given up: its task was decided or dropped');
  }

  /** Ends a run: a vote, a failure, a refusal or a loss; then judges its task. */
  private end(attempt: Attempt, state: Exclude<AttemptState, 'running'>, detail: string, result: TaskResult | null, wire: string | null): void {
    if (attempt.state !== 'running') return;
    attempt.state = state;
    this.attempts.delete(attempt.id);
    if (state === 'lost' || state === 'no-answer') remember(this.givenUp, attempt.id, true);
    if (this.busy.get(attempt.vnodeId) === attempt) this.busy.delete(attempt.vnodeId);
    this.counters.attemptsEnded[state]++;
    const stats = this.statsOf(attempt.pnode);
    stats.cpuMs += result?.cpuMs ?? 0;
    const now = this.now();
    if (attempt.benchmark) return this.benchmarkEnded(attempt, state, detail, result, now);
    const task = attempt.task!;
    task.running.delete(attempt);
    this.writeReplica(attempt, state, state === 'ok' ? result : null, wire, state === 'ok' ? null : detail);
    if (task.state !== 'open' || this.held.get(task.id) !== task) return;
    switch (state) {
      case 'ok': {
        stats.ok++;
        task.votes.push({ replica: attempt.id, pnode: attempt.pnode, hash: result!.outputHash!, output: result!.wasi ?? null, standing: this.standing(attempt.pnode), place: attempt.place, cpuMs: result!.cpuMs, wallMs: Math.max(0, now - attempt.sentAt), wire: wire!, result: result! });
        if (!task.mismatched && groupVotes(task.votes, task.validator).length > 1) {
          task.mismatched = true;
          this.counters.mismatches++;
        }
        break;
      }
      case 'cancelled':
      case 'lost':
        if (state === 'lost') stats.lost++;
        else stats.cancelled++;
        task.retriesOwed++;
        if (state === 'cancelled') this.cooldown.set(attempt.pnode, now + (this.options.refusalCooldownMs ?? REFUSAL_COOLDOWN_MS));
        break;
      default:
        if (state === 'no-answer') stats.noAnswer++;
        else if (state === 'invalid') stats.invalid++;
        else stats.failed++;
        task.failures++;
        task.retriesOwed++;
        task.failedOn.add(attempt.pnode);
        task.lastFailure = { status: state, detail };
        this.writeProgress(task);
        break;
    }
    this.judgeTask(task, now);
    this.emit('changed');
  }

  private benchmarkEnded(attempt: Attempt, state: AttemptState, detail: string, result: TaskResult | null, now: number): void {
    const pnode = attempt.pnode;
    this.benchmarking.delete(pnode);
    if (state === 'lost' || state === 'cancelled') return; // no fault: it runs again on a free VNode
    if (state === 'ok' && result!.outputHash === attempt.benchmark!.task.expected) {
      const score = benchmarkScore(now - attempt.sentAt);
      const facts = this.facts.get(pnode) ?? { record: { validated: 0, streak: 0, lies: 0 }, benchmarkScore: null, benchmarkedAt: null };
      remember(this.facts, pnode, { ...facts, benchmarkScore: score, benchmarkedAt: now });
      this.benchmarkFailures.delete(pnode);
      this.writes.benchmarks.push({ pnode, score, at: now });
      this.wrote();
      this.counters.benchmarksPassed++;
      this.orchestrator.refreshCapacity();
      this.emit('benchmarked', pnode, score);
      return;
    }
    this.counters.benchmarksFailed++;
    const failures = (this.benchmarkFailures.get(pnode) ?? 0) + 1;
    remember(this.benchmarkFailures, pnode, failures);
    const wrong = state === 'ok';
    this.options.trace?.(pnode, {
      code: 'E_PROTO_INVALID',
      class: errorClassOf('E_PROTO_INVALID'),
      message: wrong ? `work: the benchmark's answer is wrong (failure ${failures})` : `work: the benchmark ended ${state}: ${detail} (failure ${failures})`,
    });
    // A wrong answer to a question whose answer we know is a lie.
    if (wrong) this.punish(pnode, 'a wrong benchmark answer', now, true);
  }

  private judgeTask(task: HeldTask, now: number): void {
    if (task.state !== 'open') return;
    if (task.failures >= MAX_TASK_FAILURES) {
      const last = task.lastFailure;
      return this.failTask(task, last ? `${last.status} on ${task.failures} PNodes: ${last.detail}` : `failed on ${task.failures} PNodes`, now);
    }
    const verdict = this.verdictOf(task);
    if (verdict.kind === 'accept') return this.accept(task, verdict.winner as WorkVote, verdict.agreeing as WorkVote[], verdict.dissenting as WorkVote[], verdict.by, now);
    if (verdict.kind === 'fail') return this.failTask(task, verdict.reason, now);
    if (task.running.size === 0 && task.attempts >= MAX_ATTEMPTS_PER_TASK) this.failTask(task, `gave up after ${task.attempts} attempts`, now);
  }

  private accept(task: HeldTask, winner: WorkVote, agreeing: readonly WorkVote[], dissenting: readonly WorkVote[], by: 'quorum' | 'reliable', now: number): void {
    task.state = 'deciding';
    this.decided(task);
    const facts: ValidatedFact[] = agreeing.map((vote) => ({
      task: task.id,
      batch: task.batch,
      project: task.project,
      pnode: vote.pnode,
      replica: vote.replica,
      cpuMs: vote.cpuMs,
      benchmarkScore: this.benchmarkScoreOf(vote.pnode),
      validatedAt: now,
    }));
    const claims = new Map(agreeing.map((vote, i) => [vote.replica, { cpuMs: vote.cpuMs, benchmarkScore: facts[i]!.benchmarkScore, wallMs: vote.wallMs }]));
    const results: ValidatedResult[] = agreeing.map((vote, i) => ({
      ...facts[i]!,
      wallMs: vote.wallMs,
      budgetMs: task.workload.needs.maxMs,
      agreeing: agreeing.filter((other) => other.replica !== vote.replica).map((other) => claims.get(other.replica)!),
    }));
    const reputation: ReputationDelta[] = [...agreeing.map((v) => ({ pnode: v.pnode, validated: 1, lies: 0, at: now })), ...dissenting.map((v) => ({ pnode: v.pnode, validated: 0, lies: 1, at: now }))];
    for (const vote of agreeing) {
      this.statsOf(vote.pnode).agreed++;
      this.adjust(vote.pnode, { validated: 1, lies: 0 });
    }
    for (const vote of dissenting) this.punish(vote.pnode, `its result of task ${task.id} lost to ${agreeing.length} agreeing results`, now, false);
    if (by === 'quorum') this.counters.agreements++;
    else this.counters.acceptedAlone++;
    this.writes.decisions.push({ task: task.id, state: 'accepted', detail: null, acceptedReplica: winner.replica, decidedAt: now, facts, reputation });
    const result = winner.result;
    this.writes.effects.push((outcome) => {
      if (!outcome.applied.has(task.id)) {
        this.counters.decisionsNotApplied++;
        return;
      }
      this.counters.tasksAccepted++;
      for (const validated of results) {
        this.options.onValidated?.(validated);
        this.emit('validated', validated);
      }
      this.emit('task-accepted', { id: task.id, batch: task.batch, project: task.project, name: task.name, replica: winner.replica, result, by, firstSentAt: task.firstSentAt, decidedAt: now });
    });
    this.wrote();
  }

  private failTask(task: HeldTask, reason: string, now: number): void {
    if (task.state !== 'open') return;
    task.state = 'deciding';
    for (const attempt of [...task.running]) this.endQuietly(attempt, 'lost');
    this.decided(task);
    this.writes.decisions.push({ task: task.id, state: 'failed', detail: reason, acceptedReplica: null, decidedAt: now, facts: [], reputation: [] });
    this.writes.effects.push((outcome) => {
      if (!outcome.applied.has(task.id)) {
        this.counters.decisionsNotApplied++;
        return;
      }
      this.counters.tasksFailed++;
      this.emit('task-failed', { id: task.id, batch: task.batch, project: task.project, name: task.name, detail: reason });
    });
    this.wrote();
  }

  /** A decided task leaves the held set (its decision is in the writes). */
  private decided(task: HeldTask): void {
    this.forget(task);
    this.emit('changed');
  }

  private forget(task: HeldTask): void {
    if (this.held.get(task.id) !== task) return;
    this.held.delete(task.id);
    if (task.state === 'open') task.state = 'deciding';
    this.openCount--;
    this.decidedSincePrune++;
    this.lastWorkAt = this.now();
  }

  // --- reputation -------------------------------------------------------------------------------

  private adjust(pnode: string, delta: { validated: number; lies: number }): RepRecord {
    const facts = this.facts.get(pnode) ?? { record: { validated: 0, streak: 0, lies: 0 }, benchmarkScore: null, benchmarkedAt: null };
    const record = applyDelta(facts.record, delta);
    remember(this.facts, pnode, { ...facts, record });
    if (record.streak >= ESTABLISHED_AFTER) this.establishedOnline = true;
    return record;
  }

  private punish(pnode: string, why: string, now: number, writeDelta: boolean): void {
    this.statsOf(pnode).lies++;
    this.counters.lies++;
    const record = this.adjust(pnode, { validated: 0, lies: 1 });
    if (writeDelta) {
      this.writes.reputation.push({ pnode, validated: 0, lies: 1, at: now });
      this.wrote();
    }
    const penalty = this.orchestrator.registry.penalize(pnode, LIE_PENALTY_POINTS);
    this.options.trace?.(pnode, { code: 'E_PROTO_INVALID', class: errorClassOf('E_PROTO_INVALID'), message: `work: ${why} (lie ${record.lies}); score penalty now ${penalty}` });
    if (this.orchestrator.registry.get(pnode)?.trust === 'trusted' && !this.demoted.has(pnode)) {
      remember(this.demoted, pnode, now);
      this.counters.demotions++;
      this.options.trace?.(pnode, { code: 'E_PROTO_INVALID', class: errorClassOf('E_PROTO_INVALID'), message: 'work: a check caught this trusted PNode; it is judged like any untrusted PNode from now on' });
      this.emit('pnode-demoted', pnode);
    }
    if (isBanned(record) && !this.banned.has(pnode)) this.ban(pnode, record.lies);
  }

  private ban(pnode: string, lies: number): void {
    remember(this.banned, pnode, this.now());
    this.counters.bans++;
    for (const record of [...this.pool.values()]) {
      if (record.pnode === pnode) this.releaseWorkVNode(record);
      else if (record.state === 'pending') record.refusedBy.set(pnode, Number.POSITIVE_INFINITY);
    }
    this.options.trace?.(pnode, { code: 'E_PROTO_INVALID', class: errorClassOf('E_PROTO_INVALID'), message: `work: ${lies} results lost to independent PNodes; no more work goes to this PNode` });
    this.emit('pnode-banned', pnode);
  }
}
