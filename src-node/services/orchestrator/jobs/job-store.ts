// The job store (issue 13 §3): where batches, tasks, replicas, results, the blobs' index, the
// reputation of PNodes and the facts credit needs are kept, so that a SIGKILLed orchestrator loses
// nothing it acknowledged. Two implementations: SQLite embedded (sqlite-store.ts, the default) and
// PostgreSQL (postgres-store.ts) for several orchestrators serving one project.
//
// Ownership of work. A task is held by one orchestrator at a time: `claimTasks` takes open tasks
// whose lease ran out (in submission order) and sets the claimer as owner with a fresh lease, in
// one statement that skips rows another claimer has locked (PostgreSQL: SELECT … FOR UPDATE SKIP
// LOCKED), so two orchestrators never hand out replicas of one task. The owner places all of the
// task's replicas, renews its lease while it holds it, and writes what happens through `apply`;
// every decision there is conditional on still owning the open task, so an orchestrator that lost
// a task (its lease ran out, the batch was aborted) can never accept or fail it. After a restart an
// orchestrator gives back what it held (`recover`): replicas that were running are lost, and their
// tasks are claimable again at once.
//
// Durability. Every method returns once its transaction is committed (SQLite: WAL with
// synchronous=FULL; PostgreSQL: the server's commit). Callers acknowledge nothing before that: the
// job API answers a submission after `submitTasks`, the scheduler emits a validated result after
// `apply`.
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';

export type BatchState = 'open' | 'aborted' | 'retired';
export type TaskState = 'open' | 'accepted' | 'failed' | 'aborted';
/**
 * What became of one replica: `running` until it ends with the result's status, `no-answer` (none
 * by its deadline), `lost` (given up without fault: the PNode left, paused, or the orchestrator
 * restarted) or `invalid` (a result the orchestrator refused: over the output cap, not the task's).
 */
export type ReplicaState = 'running' | 'ok' | 'failed' | 'timeout' | 'memory-exceeded' | 'trap' | 'cancelled' | 'no-answer' | 'lost' | 'invalid';
export type BlobKind = 'module' | 'input';

export interface BatchRow {
  readonly id: string;
  readonly project: string;
  readonly name: string;
  readonly state: BatchState;
  readonly createdAt: number;
  /** When it was aborted or retired. */
  readonly endedAt: number | null;
}

export interface BatchCounts {
  readonly open: number;
  readonly accepted: number;
  readonly failed: number;
  readonly aborted: number;
}

export interface NewTask {
  readonly id: string;
  readonly name: string;
  /** The stored spec (stored-task.ts): workload wire form, replication, validator. */
  readonly spec: string;
  readonly deadline: number;
}

export interface TaskRow {
  readonly id: string;
  readonly batch: string;
  readonly project: string;
  readonly seq: number;
  readonly name: string;
  readonly spec: string;
  readonly deadline: number;
  readonly state: TaskState;
  readonly attempts: number;
  readonly failures: number;
  readonly detail: string | null;
  /** The replica whose result was accepted. */
  readonly acceptedReplica: string | null;
  readonly createdAt: number;
  readonly decidedAt: number | null;
  readonly owner: string | null;
  readonly leaseUntil: number;
}

/** Where a replica ran: what independence is judged by (independence.ts). */
export interface PNodePlace {
  readonly pnode: string;
  readonly address: string;
  readonly prefix: string;
  /** The operator who vouched for a trusted PNode; null for untrusted ones. */
  readonly operator: string | null;
  readonly session: string;
}

export interface ReplicaRow extends PNodePlace {
  /** The req/id of its vnode-task, and the task id on the wire. */
  readonly id: string;
  readonly task: string;
  readonly orchestrator: string;
  readonly state: ReplicaState;
  readonly sentAt: number;
  readonly endedAt: number | null;
  readonly cpuMs: number;
  readonly outputHash: ContentHash | null;
  /** The result as received (TaskResultWire JSON) for ok results; null otherwise. */
  readonly result: string | null;
  readonly detail: string | null;
}

/** What credit needs of one validated result (issue 13 §5): the credit receipt is made from it. */
export interface ValidatedFact {
  readonly task: string;
  readonly batch: string;
  readonly project: string;
  readonly pnode: string;
  readonly replica: string;
  /** CPU time the PNode measured for its run. */
  readonly cpuMs: number;
  /** The PNode's benchmark score when its result was validated (null: none on record). */
  readonly benchmarkScore: number | null;
  readonly validatedAt: number;
}

export interface ReputationDelta {
  readonly pnode: string;
  /** Results of this PNode on the accepted side. */
  readonly validated: number;
  /** Results on the losing side (each resets its streak). */
  readonly lies: number;
  readonly at: number;
}

export interface Decision {
  readonly task: string;
  readonly state: 'accepted' | 'failed';
  readonly detail: string | null;
  readonly acceptedReplica: string | null;
  readonly decidedAt: number;
  readonly facts: readonly ValidatedFact[];
  readonly reputation: readonly ReputationDelta[];
}

export interface TaskProgress {
  readonly task: string;
  readonly attempts: number;
  readonly failures: number;
}

export interface BenchmarkRecord {
  readonly pnode: string;
  readonly score: number;
  readonly at: number;
}

/** What the scheduler writes in one transaction. */
export interface WriteBatch {
  /** Replicas started or ended (upserted by id). */
  readonly replicas: readonly ReplicaRow[];
  readonly progress: readonly TaskProgress[];
  readonly decisions: readonly Decision[];
  readonly benchmarks: readonly BenchmarkRecord[];
  /** Reputation changes not tied to a decision (a wrong benchmark answer). */
  readonly reputation: readonly ReputationDelta[];
}

export interface ApplyOutcome {
  /** Decisions that took effect (the writer still owned the open task). */
  readonly applied: ReadonlySet<string>;
}

export interface ReputationRow {
  readonly pnode: string;
  readonly validated: number;
  /** Validated results since its last lie. */
  readonly streak: number;
  readonly lies: number;
  readonly benchmarkScore: number | null;
  readonly benchmarkedAt: number | null;
  readonly updatedAt: number;
}

export interface ClaimedTask {
  readonly task: TaskRow;
  /** Every replica it had (ended ones vote or count as failures; running ones were lost). */
  readonly replicas: readonly ReplicaRow[];
}

export interface BlobRow {
  readonly hash: ContentHash;
  readonly size: number;
  readonly kind: BlobKind;
  /** Modules: the initial memory they declare, in pages (a task's memory need must cover it). */
  readonly minPages: number | null;
  readonly createdAt: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `after` for the next page; null at the end. */
  readonly next: string | null;
}

export interface StoreCounts {
  readonly openTasks: number;
  readonly heldBy: number;
  readonly batches: number;
  readonly validated: number;
}

/** Refusals a caller shows as they are (E_… code and detail), e.g. 409 and 404 of the job API. */
export class StoreConflict extends Error {
  constructor(
    readonly kind: 'not-found' | 'conflict' | 'limit',
    message: string,
  ) {
    super(message);
    this.name = 'StoreConflict';
  }
}

export interface JobStore {
  /** `sqlite` or `postgres`, for banners and figures. */
  readonly kind: 'sqlite' | 'postgres';
  /** Where it is, without credentials (a file path, or postgres://host:port/db). */
  readonly location: string;
  close(): Promise<void>;

  // --- requests ---------------------------------------------------------------------------------
  /** Remembers a request's nonce until `expiresAt`; false when it was seen before (a replay). */
  useNonce(project: string, nonce: string, expiresAt: number, now: number): Promise<boolean>;
  /** Forgets nonces whose time window has passed. */
  purgeNonces(now: number): Promise<number>;

  // --- batches ----------------------------------------------------------------------------------
  /** A new open batch; StoreConflict('limit') past maxLive live batches of the project. */
  createBatch(batch: { id: string; project: string; name: string; now: number; maxLive: number }): Promise<BatchRow>;
  batch(id: string): Promise<BatchRow | null>;
  batches(project: string, after: string | null, limit: number): Promise<Page<BatchRow>>;
  batchCounts(id: string): Promise<BatchCounts>;
  /** Aborts the batch's open tasks and marks it aborted; the ids of the tasks aborted. */
  abortBatch(id: string, now: number): Promise<string[]>;
  /**
   * Drops the batch's tasks, replicas and blob references and marks it retired (validated facts
   * stay: they are credit). The blobs no batch references any more (their files may go).
   * StoreConflict('conflict') while it has open tasks.
   */
  retireBatch(id: string, now: number): Promise<ContentHash[]>;

  // --- blobs ------------------------------------------------------------------------------------
  /** Records a complete blob (idempotent) and attaches it to the batch. */
  attachBlob(batch: string, blob: BlobRow): Promise<void>;
  blob(hash: ContentHash): Promise<BlobRow | null>;
  /** Whether the batch references the blob (a task may name only blobs of its batch). */
  batchHasBlob(batch: string, hash: ContentHash): Promise<boolean>;
  batchBlobs(batch: string, after: string | null, limit: number): Promise<Page<BlobRow>>;
  /** Whether any batch of the project references the blob (it uploaded it: the bytes are its own to reuse). */
  projectHasBlob(project: string, hash: ContentHash): Promise<boolean>;
  /** Bytes of the distinct blobs the project's live batches reference. */
  projectBlobBytes(project: string): Promise<number>;

  // --- tasks ------------------------------------------------------------------------------------
  /**
   * Adds tasks to an open batch, all or none. StoreConflict: the batch is not open ('conflict'), a
   * name is taken in it ('conflict'), the batch or the store would hold too many ('limit').
   */
  submitTasks(batch: string, tasks: readonly NewTask[], now: number, limits: { maxPerBatch: number; maxOpen: number }): Promise<void>;
  task(id: string): Promise<TaskRow | null>;
  taskByName(batch: string, name: string): Promise<TaskRow | null>;
  tasks(batch: string, after: string | null, limit: number, state?: TaskState): Promise<Page<TaskRow>>;
  replica(id: string): Promise<ReplicaRow | null>;
  /** The replicas a task had (newest last), at most `limit`. */
  replicasOf(task: string, limit: number): Promise<ReplicaRow[]>;

  // --- the scheduler ----------------------------------------------------------------------------
  claimTasks(owner: string, limit: number, now: number, leaseMs: number): Promise<ClaimedTask[]>;
  /** Renews the leases of tasks still held; the ids the owner still holds (open, owned). */
  renewLeases(owner: string, ids: readonly string[], now: number, leaseMs: number): Promise<string[]>;
  /** Gives tasks back: claimable by anyone after `claimableAt`. */
  releaseTasks(owner: string, ids: readonly string[], claimableAt: number): Promise<void>;
  /** After a restart: replicas this owner had running are lost, its tasks claimable at once. Returns the tasks given back. */
  recover(owner: string, now: number): Promise<number>;
  apply(owner: string, batch: WriteBatch): Promise<ApplyOutcome>;
  /** Fails open tasks past their deadline that nobody holds (a live owner fails its own). */
  expireDeadlines(now: number): Promise<number>;
  reputations(pnodes: readonly string[]): Promise<Map<string, ReputationRow>>;
  /** Validated facts in the order they were recorded (credit reads them). */
  validatedFacts(after: number, limit: number): Promise<Array<ValidatedFact & { readonly seq: number }>>;
  counts(owner: string): Promise<StoreCounts>;
}
