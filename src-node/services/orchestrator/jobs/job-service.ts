// What a project may do (issue 13 §1), over the job store and the blob store, for a project whose
// request was already authenticated (job-api.ts): create a batch, upload blobs to it, submit
// tasks, read batches, tasks and outputs, abort, retire. Every check runs before anything is
// written, and every write is one store transaction, so a refused request leaves no trace.
// A project sees only its own batches: another project's batch is "not found".
import { ProtocolError, type ErrorCode } from '../../../../src-shared/protocol/errors.js';
import { newId } from '../../../../src-shared/protocol/ids.js';
import {
  DEFAULT_PAGE_SIZE,
  DEFAULT_TASK_DEADLINE_MS,
  MAX_LIVE_BATCHES_PER_PROJECT,
  MAX_OPEN_TASKS,
  MAX_PAGE_SIZE,
  MAX_PROJECT_BLOB_BYTES,
  MAX_TASKS_PER_BATCH,
  MAX_TASK_DEADLINE_MS,
  MIN_TASK_DEADLINE_MS,
} from '../../../../src-shared/jobs/job-limits.js';
import type { TaskSpec } from '../../../../src-shared/jobs/task-spec.js';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { pagesForMb } from '../../../../src-shared/vnode/limits.js';
import { type WasiInputFile, type WasiWorkload, checkWasiWorkload } from '../../../../src-shared/vnode/wasi-workload.js';
import type { Clock } from '../../../kernel/util/clock.js';
import type { AppendOutcome, BlobStore, UploadState } from './blob-store.js';
import { type BatchRow, type BlobKind, type BlobRow, type JobStore, type NewTask, StoreConflict, type TaskRow, type TaskState } from './job-store.js';
import { batchView, blobView, outputView, taskDetail, taskSummary } from './job-views.js';
import { encodeStoredTask } from './stored-task.js';

/** Memory and running time of a task that names none. */
export const DEFAULT_TASK_MEMORY_MB = 64;
export const DEFAULT_TASK_MAX_MS = 60_000;
/** Replicas shown in a task's detail at most. */
export const MAX_REPLICAS_SHOWN = 16;

/** A refusal of the job API: an HTTP status and one of the eleven codes. */
export class JobApiError extends ProtocolError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    detail: string,
  ) {
    super(code, detail);
  }
}

export const badInput = (detail: string): JobApiError => new JobApiError(400, 'E_PROTO_INVALID', detail);
const notFound = (detail: string): JobApiError => new JobApiError(404, 'E_HS_UNKNOWN_REF', detail);

/** A store refusal as the API shows it. */
export function fromStoreConflict(error: unknown): never {
  if (error instanceof StoreConflict) {
    if (error.kind === 'not-found') throw notFound(error.message);
    throw new JobApiError(409, 'E_PROTO_INVALID', error.message);
  }
  throw error;
}

export interface JobServiceOptions {
  readonly store: JobStore;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** The memory of the VNodes tasks run in: a task may not need more. */
  readonly maxTaskMemoryMb: number;
  /** New tasks are in the store (the scheduler may claim them). */
  readonly onSubmitted?: () => void;
  /** Tasks left the open state outside the scheduler (an abort): it drops them. */
  readonly onAborted?: (taskIds: readonly string[]) => void;
  /** Blobs that no batch references any more were removed. */
  readonly onBlobsFreed?: (hashes: readonly ContentHash[]) => void;
}

export interface PageQuery {
  readonly after: string | null;
  readonly limit: number;
}

export function pageQuery(params: URLSearchParams): PageQuery {
  const limitText = params.get('limit');
  const limit = limitText === null ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw badInput(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  const after = params.get('after');
  if (after !== null && (after.length === 0 || after.length > 200)) throw badInput('after must be the `next` of the page before');
  return { after, limit };
}

export class JobService {
  constructor(private readonly options: JobServiceOptions) {}

  private get store(): JobStore {
    return this.options.store;
  }

  private now(): number {
    return this.options.clock.now();
  }

  /** The batch, if it is the project's. */
  async ownBatch(project: string, id: string): Promise<BatchRow> {
    const batch = await this.store.batch(id);
    if (!batch || batch.project !== project) throw notFound(`no batch ${id}`);
    return batch;
  }

  async ownTask(project: string, id: string): Promise<TaskRow> {
    const task = await this.store.task(id);
    if (!task || task.project !== project) throw notFound(`no task ${id}`);
    return task;
  }

  // --- batches ----------------------------------------------------------------------------------

  async createBatch(project: string, name: string) {
    const batch = await this.store.createBatch({ id: newId('batch', this.now()), project, name, now: this.now(), maxLive: MAX_LIVE_BATCHES_PER_PROJECT }).catch(fromStoreConflict);
    return batchView(batch, { open: 0, accepted: 0, failed: 0, aborted: 0 });
  }

  async batch(project: string, id: string) {
    const batch = await this.ownBatch(project, id);
    return batchView(batch, batch.state === 'retired' ? null : await this.store.batchCounts(id));
  }

  async batches(project: string, page: PageQuery) {
    const found = await this.store.batches(project, page.after, page.limit);
    return { items: found.items.map((b) => batchView(b, null)), next: found.next };
  }

  async abort(project: string, id: string) {
    await this.ownBatch(project, id);
    const aborted = await this.store.abortBatch(id, this.now()).catch(fromStoreConflict);
    this.options.onAborted?.(aborted);
    return { 'batch-id': id, state: 'aborted', 'tasks-aborted': aborted.length };
  }

  async retire(project: string, id: string) {
    await this.ownBatch(project, id);
    const freed = await this.store.retireBatch(id, this.now()).catch(fromStoreConflict);
    for (const hash of freed) await this.options.blobs.remove(hash);
    if (freed.length > 0) this.options.onBlobsFreed?.(freed);
    return { 'batch-id': id, state: 'retired', 'blobs-freed': freed.length };
  }

  // --- blobs ------------------------------------------------------------------------------------

  async uploadState(project: string, batchId: string, hash: ContentHash): Promise<UploadState & { readonly attached: boolean }> {
    await this.ownBatch(project, batchId);
    const attached = await this.store.batchHasBlob(batchId, hash);
    const state = await this.options.blobs.uploadState(project, hash, await this.store.projectHasBlob(project, hash));
    return { ...state, attached: attached && state.state === 'complete' };
  }

  async blobs(project: string, batchId: string, page: PageQuery) {
    await this.ownBatch(project, batchId);
    const found = await this.store.batchBlobs(batchId, page.after, page.limit);
    return { items: found.items.map(blobView), next: found.next };
  }

  /** One chunk of an upload; a complete blob is attached to the batch. */
  async upload(project: string, batchId: string, hash: ContentHash, size: number, kind: BlobKind, offset: number, bytes: Uint8Array): Promise<AppendOutcome> {
    const batch = await this.ownBatch(project, batchId);
    if (batch.state !== 'open') throw new JobApiError(409, 'E_PROTO_INVALID', `the batch is ${batch.state}: it takes no more blobs`);
    if (offset === 0) {
      const used = await this.store.projectBlobBytes(project);
      if (used + size > MAX_PROJECT_BLOB_BYTES) throw new JobApiError(409, 'E_PROTO_INVALID', `the project keeps ${used} bytes of blobs (at most ${MAX_PROJECT_BLOB_BYTES}): retire batches first`);
    }
    const known = await this.store.projectHasBlob(project, hash);
    const appended = await this.options.blobs.append(project, hash, size, kind, offset, bytes, known, this.now());
    if (!appended.ok) throw badInput(appended.error.detail);
    if (appended.value.state === 'complete') {
      const blob: BlobRow = { hash, size, kind, minPages: appended.value.minPages, createdAt: this.now() };
      await this.store.attachBlob(batchId, blob);
    }
    return appended.value;
  }

  // --- tasks ------------------------------------------------------------------------------------

  /** Checks every spec, resolves its blobs, and stores them all or none. */
  async submit(project: string, batchId: string, specs: readonly TaskSpec[]) {
    const batch = await this.ownBatch(project, batchId);
    if (batch.state !== 'open') throw new JobApiError(409, 'E_PROTO_INVALID', `the batch is ${batch.state}: it takes no more tasks`);
    const now = this.now();
    const blobs = new Map<ContentHash, BlobRow | null>();
    const blobOf = async (hash: ContentHash): Promise<BlobRow | null> => {
      if (!blobs.has(hash)) blobs.set(hash, (await this.store.batchHasBlob(batchId, hash)) ? await this.store.blob(hash) : null);
      return blobs.get(hash)!;
    };
    const names = new Set<string>();
    const tasks: NewTask[] = [];
    for (const [i, spec] of specs.entries()) {
      const at = `tasks.${i}`;
      const id = newId('task', now);
      const name = spec.name ?? id.slice('task:'.length);
      if (names.has(name)) throw badInput(`${at}.name: ${JSON.stringify(name)} is named twice in this request`);
      names.add(name);
      const module = await blobOf(spec.module);
      if (!module || module.kind !== 'module') throw badInput(`${at}.module: ${spec.module} is not a module uploaded to this batch`);
      const memoryMb = spec.memoryMb ?? DEFAULT_TASK_MEMORY_MB;
      if (memoryMb > this.options.maxTaskMemoryMb) throw badInput(`${at}.limits.memory-mb: tasks run in VNodes of ${this.options.maxTaskMemoryMb} MB here`);
      if (module.minPages !== null && module.minPages > pagesForMb(memoryMb)) throw badInput(`${at}.limits.memory-mb: the module starts with ${module.minPages} pages, more than ${memoryMb} MB`);
      const files: WasiInputFile[] = [];
      for (const [j, file] of spec.files.entries()) {
        if ('bytes' in file) {
          files.push({ name: file.name, bytes: file.bytes });
          continue;
        }
        const blob = await blobOf(file.blob);
        if (!blob) throw badInput(`${at}.files.${j}.blob: ${file.blob} is not uploaded to this batch`);
        files.push({ name: file.name, hash: blob.hash, size: blob.size });
      }
      files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const deadline = spec.deadline ?? now + DEFAULT_TASK_DEADLINE_MS;
      if (deadline < now + MIN_TASK_DEADLINE_MS) throw badInput(`${at}.deadline: leaves less than ${MIN_TASK_DEADLINE_MS / 1000} s to run`);
      if (deadline > now + MAX_TASK_DEADLINE_MS) throw badInput(`${at}.deadline: more than ${MAX_TASK_DEADLINE_MS / 86_400_000} days ahead`);
      const workload: WasiWorkload = {
        kind: 'wasi',
        moduleHash: module.hash,
        moduleSize: module.size,
        args: spec.args,
        stdin: spec.stdin,
        files,
        outputs: [...spec.outputs].sort(),
        outputCap: spec.outputCap,
        stderrCap: spec.stderrCap,
        // Replicas of one task must draw the same random bytes: the seed is the task's, not the run's.
        randomSeed: spec.randomSeed ?? id,
        needs: { memoryMb, maxMs: spec.maxMs ?? DEFAULT_TASK_MAX_MS, cores: 1 },
      };
      const checked = checkWasiWorkload(workload);
      if (!checked.ok) throw badInput(`${at}: ${checked.error.detail}`);
      tasks.push({ id, name, spec: encodeStoredTask({ workload: checked.value, replication: spec.replication, validator: spec.validator }), deadline });
    }
    await this.store.submitTasks(batchId, tasks, now, { maxPerBatch: MAX_TASKS_PER_BATCH, maxOpen: MAX_OPEN_TASKS }).catch(fromStoreConflict);
    if (tasks.length > 0) this.options.onSubmitted?.();
    return { 'batch-id': batchId, tasks: tasks.map((t) => ({ 'task-id': t.id, name: t.name })) };
  }

  async tasks(project: string, batchId: string, page: PageQuery, state?: TaskState) {
    await this.ownBatch(project, batchId);
    const found = await this.store.tasks(batchId, page.after, page.limit, state);
    return { items: found.items.map(taskSummary), next: found.next };
  }

  async task(project: string, id: string) {
    const task = await this.ownTask(project, id);
    return taskDetail(task, await this.store.replicasOf(id, MAX_REPLICAS_SHOWN));
  }

  async output(project: string, id: string) {
    const task = await this.ownTask(project, id);
    return outputView(task, task.acceptedReplica ? await this.store.replica(task.acceptedReplica) : null);
  }

  /** Decided tasks of a batch with their outputs (accepted) or why they failed, a page at a time. */
  async results(project: string, batchId: string, page: PageQuery) {
    await this.ownBatch(project, batchId);
    const found = await this.store.tasks(batchId, page.after, page.limit);
    const items = [];
    for (const task of found.items) {
      if (task.state === 'open') items.push({ 'task-id': task.id, name: task.name, state: task.state, detail: null, output: null });
      else items.push(outputView(task, task.acceptedReplica ? await this.store.replica(task.acceptedReplica) : null));
    }
    return { items, next: found.next };
  }
}
