// The work scheduler as a runtime module ('work-scheduler', issue 7 §3) inside the orchestrator
// process, after the 'orchestrator' module: it routes vnode-result and vnode-module-request to the
// WorkScheduler, ticks it, serves /jobs under the admin API, adds the work metrics, and runs the
// demo when asked (`pnode orchestrator --demo …`).
//
//   GET    /jobs          every job remembered (progress), the counters, per-PNode work stats
//   GET    /jobs/<id>     one job: progress, agreements, mismatches, retries, lies, per-PNode stats,
//                         failed tasks, and its demo fields (a Mandelbrot job's picture path)
//   POST   /jobs          {"demo": "mandelbrot" | "primes", …settings} → 201 a demo job
//   DELETE /jobs/<id>     cancels a running job's open tasks
import { errorDetail } from '../../../../src-shared/protocol/trace.js';
import { ProtocolError } from '../../../../src-shared/protocol/errors.js';
import type { KernelComponents } from '../../../kernel/runtime/components.js';
import { requireComponents } from '../../../kernel/runtime/components.js';
import type { RuntimeModule } from '../../../kernel/runtime/runtime-module.js';
import type { AdminAnswer, AdminExtension, AdminExtensions, AdminRequest } from '../../../kernel/http/admin-extension.js';
import type { Orchestrator } from '../orchestrator.js';
import { type DemoSpec, DemoRunner, demoSpecFromJson, formatDemoSpec } from './demo.js';
import { WORK_TICK_MS } from './work-profile.js';
import { WorkScheduler, type WorkSchedulerOptions } from './work-scheduler.js';
import { jobDetail, jobsView, jobSummary, workMetricsText } from './work-views.js';

export const WORK_SCHEDULER_MODULE = 'work-scheduler';
/** While module chunks wait for a PNode's send budget, the queue is looked at this often. */
export const CHUNK_PUMP_MS = 50;

export type WorkSchedulerComponents = Pick<KernelComponents, 'connections' | 'clock' | 'traces' | 'dataDir' | 'warn'> & {
  /** The orchestrator whose VNodes the work runs on. */
  readonly orchestrator: Orchestrator;
  /** Where /jobs is served. */
  readonly admin: AdminExtensions;
};

export interface WorkSchedulerModuleOptions {
  /** Run demo jobs one after another from the start. */
  readonly demo?: DemoSpec;
  readonly tickMs?: number;
  /** Passed to the WorkScheduler (tests: spot-check share, random source, shorter timeouts, chunkTransform). */
  readonly scheduler?: Partial<Omit<WorkSchedulerOptions, 'orchestrator' | 'transport' | 'clock'>>;
  /** Passed to the demo (tests: the delay between jobs). */
  readonly demoNextJobDelayMs?: number;
}

export class WorkSchedulerModule implements RuntimeModule {
  readonly name = WORK_SCHEDULER_MODULE;
  readonly scheduler: WorkScheduler;
  readonly demo: DemoRunner;
  private timer: NodeJS.Timeout | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  private passQueued = false;
  private stopped = false;

  private readonly onOrchestratorChanged = (): void => this.schedulePass();

  constructor(
    private readonly components: WorkSchedulerComponents,
    private readonly options: WorkSchedulerModuleOptions = {},
  ) {
    requireComponents(this.name, components, ['connections', 'clock', 'traces', 'dataDir', 'warn', 'orchestrator', 'admin']);
    const { connections, traces } = components;
    this.scheduler = new WorkScheduler({
      ...options.scheduler,
      orchestrator: components.orchestrator,
      clock: components.clock,
      transport: {
        send: (nodeId, kind, body) => connections.send(nodeId, kind, body),
        isConnected: (nodeId) => connections.get(nodeId)?.isOpen ?? false,
      },
      trace: (peer, detail) => traces.emit('error/occurred', { peer, detail }),
    });
    this.demo = new DemoRunner({
      scheduler: this.scheduler,
      dataDir: components.dataDir,
      warn: components.warn,
      ...(options.demoNextJobDelayMs !== undefined ? { nextJobDelayMs: options.demoNextJobDelayMs } : {}),
    });
    components.admin.extend(this.adminExtension());
  }

  async start(): Promise<void> {
    const { connections, orchestrator } = this.components;
    const scheduler = this.scheduler;
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
    // Allocations, heartbeats that change what can run, PNodes that come and go.
    orchestrator.on('changed', this.onOrchestratorChanged);
    this.timer = setInterval(() => this.guarded('tick', () => scheduler.tick()), this.options.tickMs ?? WORK_TICK_MS);
    this.timer.unref();
    if (this.options.demo) await this.demo.loop(this.options.demo);
    this.schedulePass();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.timer = this.pumpTimer = undefined;
    this.components.orchestrator.off('changed', this.onOrchestratorChanged);
    await this.demo.stop();
  }

  /** The demo the module was started with, as text (for banners). */
  get demoText(): string | null {
    return this.options.demo ? formatDemoSpec(this.options.demo) : null;
  }

  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.components.traces.emit('error/occurred', { detail: errorDetail(new ProtocolError('E_PROTO_INVALID', `work scheduler ${what}: ${error instanceof Error ? error.message : String(error)}`)) });
    }
  }

  /** One dispatch pass per turn of the event loop, however many results asked for it. */
  private schedulePass(): void {
    if (this.passQueued || this.stopped) return;
    this.passQueued = true;
    setImmediate(() => {
      this.passQueued = false;
      if (this.stopped) return;
      this.guarded('pass', () => this.scheduler.pass());
      this.schedulePump();
    });
  }

  /** Chunks waiting for a PNode's send budget go out as it refills. */
  private schedulePump(): void {
    if (this.pumpTimer || this.stopped || !this.scheduler.chunksQueued) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      if (this.stopped) return;
      this.guarded('pass', () => this.scheduler.pass());
      this.schedulePump();
    }, CHUNK_PUMP_MS);
    this.pumpTimer.unref();
  }

  private adminExtension(): AdminExtension {
    return {
      route: (request) => this.route(request),
      metrics: () => workMetricsText(this.scheduler),
    };
  }

  private async route(request: AdminRequest): Promise<AdminAnswer | null> {
    const { parts, method } = request;
    if (parts[0] !== 'jobs' || parts.length > 2) return null;
    const scheduler = this.scheduler;
    const orchestrator = this.components.orchestrator;
    if (parts.length === 1) {
      if (method === 'GET') return { status: 200, body: jobsView(orchestrator, scheduler) };
      if (method !== 'POST') return { status: 405, body: { error: 'use GET, POST' }, allow: 'GET, POST' };
      const body = await request.body();
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, body: { error: 'the body must be a JSON object {"demo": "mandelbrot" | "primes", …}' } };
      let spec: DemoSpec;
      try {
        spec = demoSpecFromJson(body as Record<string, unknown>);
      } catch (error) {
        return { status: 400, body: { error: (error as Error).message } };
      }
      try {
        const job = await this.demo.submit(spec);
        this.schedulePass();
        return { status: 201, body: jobSummary(job) };
      } catch (error) {
        return { status: 409, body: { error: (error as Error).message } };
      }
    }
    const job = scheduler.job(parts[1]!);
    if (method === 'GET') return job ? { status: 200, body: jobDetail(orchestrator, scheduler, job) } : { status: 404, body: { error: 'no such job' } };
    if (method !== 'DELETE') return { status: 405, body: { error: 'use GET, DELETE' }, allow: 'GET, DELETE' };
    if (!job) return { status: 404, body: { error: 'no such job' } };
    if (!scheduler.cancel(job.id)) return { status: 409, body: { error: `the job is ${job.state} already` } };
    return { status: 200, body: jobSummary(job) };
  }
}
