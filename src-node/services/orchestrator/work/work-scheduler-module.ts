// The work scheduler as a runtime module ('work-scheduler', issue 7 §3, issue 13) inside the
// orchestrator process, after the 'orchestrator' module. It owns the job store (SQLite in
// <dataDir>/jobs/jobs.sqlite, or PostgreSQL with `store: postgres://…`) and the blob store
// (<dataDir>/jobs/blobs), serves the project-facing job API (job-server.ts) when given a listen URL,
// and runs the WorkScheduler: it claims tasks from the store, flushes the scheduler's writes (one
// transaction at a time; the events that promise something follow the commit), renews leases,
// loads PNode records, reads blobs for shipping, routes vnode-result and vnode-module-request, and
// ticks it. On start it recovers: runs this orchestrator had in flight are lost, their tasks
// claimable again. The demo project (demo.ts) runs here when asked. Admin API endpoints:
//
//   GET    /jobs          the scheduler: held tasks, counters, per-PNode work and standing, demo jobs
//   GET    /jobs/<batch>  one batch of any project, with its task counts
//   POST   /jobs          {"demo": "mandelbrot" | "primes", …settings} → 201 a demo job
//   DELETE /jobs/<batch>  aborts a batch's open tasks (the operator's stop button)
import { join } from 'node:path';
import { errorDetail } from '../../../../src-shared/protocol/trace.js';
import { ProtocolError } from '../../../../src-shared/protocol/errors.js';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import type { KernelComponents } from '../../../kernel/runtime/components.js';
import { requireComponents } from '../../../kernel/runtime/components.js';
import type { RuntimeModule } from '../../../kernel/runtime/runtime-module.js';
import type { AdminAnswer, AdminExtension, AdminExtensions, AdminRequest } from '../../../kernel/http/admin-extension.js';
import type { ServerTls } from '../../../kernel/transport/tls.js';
import { hashBytes } from '../../../kernel/storage/module-cache.js';
import type { Orchestrator } from '../orchestrator.js';
import { BLOB_DIR, BlobStore } from '../jobs/blob-store.js';
import { JobApi } from '../jobs/job-api.js';
import { JobServer, parseJobListen } from '../jobs/job-server.js';
import { JobService } from '../jobs/job-service.js';
import type { JobStore, StoreCounts } from '../jobs/job-store.js';
import type { CreditOutboxModule } from '../credit/credit-outbox-module.js';
import { creditFactOf } from './credit-facts.js';
import { batchView } from '../jobs/job-views.js';
import { PostgresJobStore } from '../jobs/postgres-store.js';
import { type ProjectInfo, Projects } from '../jobs/projects.js';
import { SQLITE_FILE, SqliteJobStore } from '../jobs/sqlite-store.js';
import { BENCHMARK_WORKLOAD } from './benchmark.js';
import { DEMO_PROJECT_NAME, type DemoSpec, DemoProject, demoProjectSigner, demoSpecFromJson, formatDemoSpec, wasiWorkloadBytes } from './demo.js';
import { CLAIM_BATCH, CLAIM_POLL_MS, LEASE_RENEW_MS, RELEASE_BACKOFF_MS, TASK_LEASE_MS, WORK_TICK_MS } from './work-profile.js';
import { type ValidatedResult, WorkScheduler, type WorkSchedulerOptions } from './work-scheduler.js';
import { workMetricsText, workView } from './work-views.js';

export const WORK_SCHEDULER_MODULE = 'work-scheduler';
/** While blob chunks wait for a PNode's send budget, the queue is looked at this often. */
export const CHUNK_PUMP_MS = 50;
export const JOBS_DIR = 'jobs';
/** A failed store write is tried again after this long (the writes wait in memory meanwhile). */
export const STORE_RETRY_MS = 1_000;
/** PNode records loaded from the store per round. */
const RECORDS_PER_LOAD = 500;

export type WorkSchedulerComponents = Pick<KernelComponents, 'connections' | 'clock' | 'traces' | 'dataDir' | 'warn' | 'identity' | 'crypto'> & {
  /** The orchestrator whose VNodes the work runs on. */
  readonly orchestrator: Orchestrator;
  /** Where /jobs is served. */
  readonly admin: AdminExtensions;
  /**
   * Credit receipts (issue 13 §5): told of every validated result once the store recorded it
   * (never of a rejected or unanswered one). Absent: no credit here (benches, bare tests).
   */
  readonly credit?: Pick<CreditOutboxModule, 'onValidated'>;
};

export interface WorkSchedulerModuleOptions {
  /** `sqlite` (default: <dataDir>/jobs/jobs.sqlite) or a postgres://… URL (several orchestrators share it). */
  readonly store?: string;
  /** Where blobs live (default <dataDir>/jobs/blobs; orchestrators sharing a PostgreSQL store share it too). */
  readonly blobDir?: string;
  /** Projects allowed to submit (the network descriptor's, and --project-key). */
  readonly projects?: readonly ProjectInfo[];
  /** Serve the job API here: http://127.0.0.1:<port> or https://<host>:<port>. */
  readonly jobsListen?: string;
  readonly tls?: ServerTls;
  /** Run demo jobs one after another from the start. */
  readonly demo?: DemoSpec;
  /** Require a benchmark before project work (default true). */
  readonly benchmark?: boolean;
  /** Devnets and tests on one machine: PNodes on loopback count as separate addresses. */
  readonly devLoopback?: boolean;
  /** Called once per validated result after the store recorded it (besides credit; tests watch here). */
  readonly onValidated?: (result: ValidatedResult) => void;
  readonly tickMs?: number;
  readonly claimPollMs?: number;
  readonly leaseRenewMs?: number;
  readonly leaseMs?: number;
  /** Passed to the WorkScheduler (tests: spot-check share, random source, shorter timeouts, chunkTransform). */
  readonly scheduler?: Partial<Omit<WorkSchedulerOptions, 'orchestrator' | 'transport' | 'clock' | 'selfNodeId' | 'benchmarkModule'>>;
  /** Passed to the demo (tests: the delay between jobs). */
  readonly demoNextJobDelayMs?: number;
}

export class WorkSchedulerModule implements RuntimeModule {
  readonly name = WORK_SCHEDULER_MODULE;
  readonly scheduler: WorkScheduler;
  readonly projects: Projects;
  private storeRef: JobStore | null = null;
  private blobsRef: BlobStore | null = null;
  private serviceRef: JobService | null = null;
  private apiRef: JobApi | null = null;
  private serverRef: JobServer | null = null;
  private demoRef: DemoProject | null = null;
  private readonly benchmarkBytes: Uint8Array | null;
  private timers: NodeJS.Timeout[] = [];
  private pumpTimer: NodeJS.Timeout | undefined;
  private passQueued = false;
  private stopped = false;
  private claiming: Promise<void> | null = null;
  private claimAgain = false;
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastCounts: StoreCounts | null = null;

  private readonly onOrchestratorChanged = (): void => this.schedulePass();

  constructor(
    private readonly components: WorkSchedulerComponents,
    private readonly options: WorkSchedulerModuleOptions = {},
  ) {
    requireComponents(this.name, components, ['connections', 'clock', 'traces', 'dataDir', 'warn', 'identity', 'crypto', 'orchestrator', 'admin']);
    const { connections, traces } = components;
    this.projects = new Projects(options.projects ?? []);
    this.benchmarkBytes = options.benchmark === false ? null : wasiWorkloadBytes(BENCHMARK_WORKLOAD);
    this.scheduler = new WorkScheduler({
      ...options.scheduler,
      ...(options.devLoopback !== undefined ? { devLoopback: options.devLoopback } : {}),
      onValidated: (result) => this.validated(result),
      orchestrator: components.orchestrator,
      clock: components.clock,
      selfNodeId: components.identity.nodeId,
      benchmarkModule: this.benchmarkBytes ? { hash: hashBytes(this.benchmarkBytes), size: this.benchmarkBytes.length } : null,
      transport: {
        send: (nodeId, kind, body) => connections.send(nodeId, kind, body),
        isConnected: (nodeId) => connections.get(nodeId)?.isOpen ?? false,
      },
      trace: (peer, detail) => traces.emit('error/occurred', { peer, detail }),
    });
    components.admin.extend(this.adminExtension());
  }

  /** A result validation accepted, after the store recorded it: its credit receipt is issued into the outbox. */
  private validated(result: ValidatedResult): void {
    this.options.onValidated?.(result);
    const credit = this.components.credit;
    // Also while stopping: the last flush's decisions are credited (credit stops after this module).
    if (!credit) return;
    const fact = creditFactOf(result, this.projects.get(result.project)?.name);
    credit.onValidated(fact).catch((error: unknown) => {
      this.components.warn(`warning: credit: no receipt for ${result.pnode}'s result of task ${result.task}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  get store(): JobStore {
    if (!this.storeRef) throw new Error('the work scheduler has not started');
    return this.storeRef;
  }

  get blobs(): BlobStore {
    if (!this.blobsRef) throw new Error('the work scheduler has not started');
    return this.blobsRef;
  }

  get service(): JobService {
    if (!this.serviceRef) throw new Error('the work scheduler has not started');
    return this.serviceRef;
  }

  get api(): JobApi {
    if (!this.apiRef) throw new Error('the work scheduler has not started');
    return this.apiRef;
  }

  /** The job API's server (null without jobsListen). */
  get server(): JobServer | null {
    return this.serverRef;
  }

  get demo(): DemoProject | null {
    return this.demoRef;
  }

  async start(): Promise<void> {
    const { connections, orchestrator, clock, dataDir } = this.components;
    const scheduler = this.scheduler;
    const jobsDir = join(dataDir, JOBS_DIR);
    const spec = this.options.store ?? 'sqlite';
    this.storeRef = spec === 'sqlite' ? SqliteJobStore.open(join(jobsDir, SQLITE_FILE)) : await PostgresJobStore.open(spec);
    const store = this.storeRef;
    this.blobsRef = new BlobStore(this.options.blobDir ?? join(jobsDir, BLOB_DIR));
    const blobs = this.blobsRef;
    if (this.benchmarkBytes) {
      const put = await blobs.put(this.benchmarkBytes, 'module');
      if (!put.ok) throw new Error(`the benchmark module does not pass the module check: ${put.error.detail}`);
    }
    const self = this.components.identity.nodeId;
    await store.recover(self, clock.now());
    this.serviceRef = new JobService({
      store,
      blobs,
      clock,
      maxTaskMemoryMb: scheduler.vnodeMemoryMb,
      onSubmitted: () => this.scheduleClaim(),
      onAborted: (ids) => {
        scheduler.drop(ids);
        this.schedulePass();
      },
      onBlobsFreed: (hashes) => hashes.forEach((h) => scheduler.chunks.drop(h)),
    });
    if (this.options.demo) await this.startDemo();
    this.apiRef = new JobApi({ service: this.serviceRef, store, projects: this.projects, crypto: this.components.crypto, clock, audience: self });
    if (this.options.jobsListen !== undefined) {
      this.serverRef = await JobServer.start({ api: this.apiRef, listen: parseJobListen(this.options.jobsListen), tls: this.options.tls, clock, traces: this.components.traces });
    }
    scheduler.on('wants-flush', () => this.scheduleFlush());
    scheduler.on('wants-blob', (hash) => void this.loadBlob(hash));
    connections.handle('vnode-result', (c, body) => {
      scheduler.onResult(c.peerNodeId, body);
      this.schedulePass();
    });
    connections.handle('vnode-module-request', (c, body) => {
      scheduler.onModuleRequest(c.peerNodeId, body);
      this.schedulePump();
    });
    connections.on('disconnected', (c) => {
      scheduler.onSessionClosed(c.peerNodeId);
      this.schedulePass();
    });
    orchestrator.on('changed', this.onOrchestratorChanged);
    const every = (ms: number, what: string, fn: () => void | Promise<void>) => {
      const timer = setInterval(() => {
        try {
          const out = fn();
          if (out instanceof Promise) out.catch((error: unknown) => this.traceError(what, error));
        } catch (error) {
          this.traceError(what, error);
        }
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.tickMs ?? WORK_TICK_MS, 'tick', () => scheduler.tick());
    every(this.options.claimPollMs ?? CLAIM_POLL_MS, 'claim', () => {
      this.scheduleClaim();
      return this.loadRecords();
    });
    every(this.options.leaseRenewMs ?? LEASE_RENEW_MS, 'leases', () => this.maintain());
    await this.cleanUpDemo();
    if (this.demoRef && this.options.demo) await this.demoRef.loop(this.options.demo);
    this.scheduleClaim();
    this.schedulePass();
  }

  private async startDemo(): Promise<void> {
    const { clock, crypto, dataDir, warn, identity } = this.components;
    const signer = await demoProjectSigner(dataDir, crypto);
    const demo = new DemoProject({
      scheduler: this.scheduler,
      api: { handle: (request) => this.api.handle(request) },
      audience: identity.nodeId,
      signer,
      clock,
      dataDir,
      warn,
      counts: async (batch) => this.store.batchCounts(batch),
      ...(this.options.demoNextJobDelayMs !== undefined ? { nextJobDelayMs: this.options.demoNextJobDelayMs } : {}),
    });
    this.projects.add({ key: demo.key, name: DEMO_PROJECT_NAME, description: 'Mandelbrot tiles and prime counts that keep a network busy', source: 'local' });
    this.demoRef = demo;
  }

  /** Retires the demo's batches of an earlier run (once the API is up). */
  private async cleanUpDemo(): Promise<void> {
    await this.demoRef?.cleanUp().catch((error: unknown) => this.components.warn(`warning: demo: cleaning up earlier batches: ${error instanceof Error ? error.message : String(error)}`));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.components.orchestrator.off('changed', this.onOrchestratorChanged);
    await this.demoRef?.stop();
    await this.serverRef?.close();
    await this.claiming?.catch(() => undefined);
    // What was decided is written before the store closes.
    await this.flushing?.catch(() => undefined);
    await this.flushOnce().catch((error: unknown) => this.traceError('the last flush', error));
    await this.storeRef?.close();
  }

  /** The demo the module was started with, as text (for banners). */
  get demoText(): string | null {
    return this.options.demo ? formatDemoSpec(this.options.demo) : null;
  }

  private traceError(what: string, error: unknown): void {
    this.components.traces.emit('error/occurred', { detail: errorDetail(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `work scheduler ${what}: ${error instanceof Error ? error.message : String(error)}`)) });
  }

  // --- the store --------------------------------------------------------------------------------

  /** Claims tasks while the scheduler wants more (one claim at a time). */
  private scheduleClaim(): void {
    if (this.stopped || !this.storeRef) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claimLoop()
      .catch((error: unknown) => this.traceError('claim', error))
      .finally(() => {
        this.claiming = null;
      });
  }

  private async claimLoop(): Promise<void> {
    for (let round = 0; round < 16 && !this.stopped; round++) {
      this.claimAgain = false;
      const wanted = Math.min(CLAIM_BATCH, this.scheduler.claimWanted());
      if (wanted <= 0) return;
      const now = this.components.clock.now();
      const claimed = await this.store.claimTasks(this.components.identity.nodeId, wanted, now, this.options.leaseMs ?? TASK_LEASE_MS);
      if (claimed.length > 0) {
        const voters = new Set<string>();
        for (const c of claimed) for (const r of c.replicas) voters.add(r.pnode);
        if (voters.size > 0) this.scheduler.setReputation((await this.store.reputations([...voters])).values());
        this.scheduler.adopt(claimed);
        this.schedulePass();
      }
      if (claimed.length < wanted && !this.claimAgain) return;
    }
  }

  /** Records of PNodes that registered since the last look. */
  private async loadRecords(): Promise<void> {
    const unknown = this.scheduler.unknownPNodes(RECORDS_PER_LOAD);
    if (unknown.length === 0) return;
    this.scheduler.setReputation((await this.store.reputations(unknown)).values());
    this.schedulePass();
  }

  private scheduleFlush(): void {
    if (this.stopped && !this.flushing) return;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = (async () => {
      do {
        this.flushAgain = false;
        await new Promise<void>((resolve) => setImmediate(resolve));
        await this.flushOnce();
      } while (this.flushAgain && !this.stopped);
    })()
      .catch((error: unknown) => {
        this.traceError('store write', error);
        // The writes were put back: try again a little later.
        if (!this.stopped && !this.retryTimer) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.scheduleFlush();
          }, STORE_RETRY_MS);
          this.retryTimer.unref();
        }
      })
      .finally(() => {
        this.flushing = null;
      });
  }

  private pendingRetry: ReturnType<WorkScheduler['takeWrites']> = null;

  /** One transaction of the scheduler's writes; its effects follow the commit. */
  private async flushOnce(): Promise<void> {
    if (!this.storeRef) return;
    const writes = this.pendingRetry ?? this.scheduler.takeWrites();
    this.pendingRetry = null;
    if (!writes) return;
    let outcome;
    try {
      outcome = await this.storeRef.apply(this.components.identity.nodeId, writes.batch);
    } catch (error) {
      this.pendingRetry = writes;
      throw error;
    }
    for (const effect of writes.effects) effect(outcome);
    this.scheduleClaim();
    this.schedulePass();
  }

  /** Leases, tasks stuck here, deadlines nobody holds, old nonces, idle uploads. */
  private async maintain(): Promise<void> {
    const store = this.store;
    const self = this.components.identity.nodeId;
    const now = this.components.clock.now();
    const held = this.scheduler.heldIds();
    const still = new Set(await store.renewLeases(self, held, now, this.options.leaseMs ?? TASK_LEASE_MS));
    const lost = held.filter((id) => !still.has(id) && this.scheduler.heldTask(id)?.state === 'open');
    if (lost.length > 0) this.scheduler.drop(lost);
    const stuck = this.scheduler.takeStuck();
    if (stuck.length > 0) await store.releaseTasks(self, stuck, now + RELEASE_BACKOFF_MS);
    await store.expireDeadlines(now);
    await store.purgeNonces(now);
    await this.blobs.maintain(now);
    this.lastCounts = await store.counts(self);
  }

  private async loadBlob(hash: ContentHash): Promise<void> {
    let bytes: Uint8Array | null = null;
    try {
      bytes = await this.blobs.read(hash);
    } catch (error) {
      this.traceError('blob read', error);
    }
    this.scheduler.blobLoaded(hash, bytes);
    this.schedulePump();
  }

  // --- passes -----------------------------------------------------------------------------------

  /** One dispatch pass per turn of the event loop, however many results asked for it. */
  private schedulePass(): void {
    if (this.passQueued || this.stopped) return;
    this.passQueued = true;
    setImmediate(() => {
      this.passQueued = false;
      if (this.stopped) return;
      try {
        this.scheduler.pass();
      } catch (error) {
        this.traceError('pass', error);
      }
      this.schedulePump();
    });
  }

  /** Chunks waiting for a PNode's send budget go out as it refills. */
  private schedulePump(): void {
    if (this.pumpTimer || this.stopped || !this.scheduler.chunksQueued) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      if (this.stopped) return;
      try {
        this.scheduler.pass();
      } catch (error) {
        this.traceError('pass', error);
      }
      this.schedulePump();
    }, CHUNK_PUMP_MS);
    this.pumpTimer.unref();
  }

  // --- the admin API ----------------------------------------------------------------------------

  private adminExtension(): AdminExtension {
    return {
      route: (request) => this.route(request),
      metrics: () => workMetricsText(this.scheduler),
    };
  }

  private async route(request: AdminRequest): Promise<AdminAnswer | null> {
    const { parts, method } = request;
    if (parts[0] !== 'jobs' || parts.length > 2) return null;
    const orchestrator = this.components.orchestrator;
    if (parts.length === 1) {
      if (method === 'GET') {
        const counts = this.storeRef ? await this.storeRef.counts(this.components.identity.nodeId).catch(() => this.lastCounts) : null;
        return { status: 200, body: workView(orchestrator, this.scheduler, counts, this.demoRef?.list() ?? []) };
      }
      if (method !== 'POST') return { status: 405, body: { error: 'use GET, POST' }, allow: 'GET, POST' };
      const body = await request.body();
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, body: { error: 'the body must be a JSON object {"demo": "mandelbrot" | "primes", …}' } };
      let spec: DemoSpec;
      try {
        spec = demoSpecFromJson(body as Record<string, unknown>);
      } catch (error) {
        return { status: 400, body: { error: (error as Error).message } };
      }
      if (!this.demoRef) {
        await this.startDemo();
        await this.cleanUpDemo();
      }
      try {
        const job = await this.demoRef!.submit(spec);
        return { status: 201, body: { 'batch-id': job.batch, name: job.name, kind: job.kind, state: job.state, tasks: { total: job.total } } };
      } catch (error) {
        return { status: 409, body: { error: (error as Error).message } };
      }
    }
    const batch = await this.store.batch(parts[1]!);
    if (method === 'GET') return batch ? { status: 200, body: { ...batchView(batch, await this.store.batchCounts(batch.id)), project: batch.project } } : { status: 404, body: { error: 'no such batch' } };
    if (method !== 'DELETE') return { status: 405, body: { error: 'use GET, DELETE' }, allow: 'GET, DELETE' };
    if (!batch) return { status: 404, body: { error: 'no such batch' } };
    try {
      const aborted = await this.store.abortBatch(batch.id, this.components.clock.now());
      this.scheduler.drop(aborted);
      return { status: 200, body: { 'batch-id': batch.id, state: 'aborted', 'tasks-aborted': aborted.length } };
    } catch (error) {
      return { status: 409, body: { error: (error as Error).message } };
    }
  }
}

