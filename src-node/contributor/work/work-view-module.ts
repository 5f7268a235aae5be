// The work running here, as the volunteer sees it (issue 14 §1), as a runtime module ('work-view'):
// the CPU the work uses against the limit (sampled while tasks run), the tasks running now (what
// they are, how long they have run of their budget), the last MAX_RECENT_RESULTS tasks that ended,
// and the pictures of those whose result is one (get-result-picture). It only follows the VNode
// host's events; it changes nothing.
import type { CommandHandlers } from '../../../src-shared/control/commands.js';
import type { NodeState, StateSection } from '../../../src-shared/control/state.js';
import { MAX_RECENT_RESULTS, type CpuUseView, type FinishedTaskInfo, type RunningTaskInfo, type WorkView, type WorkloadInfo } from '../../../src-shared/control/work-view.js';
import type { TaskResult } from '../../../src-shared/vnode/task-result.js';
import type { AnyTask } from '../../../src-shared/vnode/workload.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { ControlSource, RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { AvailabilityFeed } from '../availability/availability.js';
import type { TaskFinished, TaskStarted } from '../vnode/vnode-host.js';
import type { VNodeHostModule } from '../vnode/vnode-module.js';
import { type RenderedPicture, mandelbrotTilePicture } from './result-picture.js';
import { WorkloadCatalogue } from './workload-catalogue.js';

export const WORK_VIEW_MODULE = 'work-view';
/** The CPU use is sampled this often while tasks run. */
export const CPU_SAMPLE_MS = 5_000;

export type WorkViewComponents = Pick<KernelComponents, 'clock' | 'ui'> & {
  readonly vnodes: Pick<VNodeHostModule, 'host'>;
  readonly availability: Pick<AvailabilityFeed, 'current'>;
  /** Logical cores of this machine (null: unknown). */
  readonly logicalCores: () => number | null;
};

interface Started {
  readonly task: AnyTask;
  readonly orchestrator: string;
  readonly startedAt: number;
  readonly workload: WorkloadInfo;
}

interface Finished {
  readonly info: FinishedTaskInfo;
  readonly picture: RenderedPicture | null;
}

/** The limit as a share of the whole machine, in ‰. */
export function limitPermille(cpuPercent: number, maxCores: number, logicalCores: number | null): number {
  const cores = logicalCores ?? maxCores;
  return Math.round((cpuPercent * 10 * Math.min(maxCores, cores)) / Math.max(1, cores));
}

/** CPU used over a window as a share of the whole machine, in ‰ (bounded to 0–1000). */
export function usedPermille(cpuMs: number, wallMs: number, logicalCores: number): number {
  if (wallMs <= 0 || logicalCores <= 0) return 0;
  return Math.max(0, Math.min(1000, Math.round((cpuMs * 1000) / (wallMs * logicalCores))));
}

export class WorkViewModule implements RuntimeModule, ControlSource {
  readonly name = WORK_VIEW_MODULE;
  readonly catalogue = new WorkloadCatalogue();
  private readonly started = new Map<string, Started>();
  /** Newest last. */
  private recent: Finished[] = [];
  /** CPU of tasks that ended since the node started (with the running ones': all the work's CPU). */
  private finishedCpuMs = 0;
  private sample: { at: number; cpuMs: number } | null = null;
  private used: { permille: number; at: number } | null = null;
  private timer: NodeJS.Timeout | undefined;

  private readonly onStarted = (started: TaskStarted): void => {
    this.started.set(started.task.taskId, { ...started, workload: this.catalogue.describe(started.task) });
    this.ensureSampling();
    this.components.ui.stateChanged('work');
  };

  private readonly onFinished = (task: TaskFinished): void => {
    this.finishedCpuMs += task.cpuMs;
  };

  private readonly onResult = (task: AnyTask, result: TaskResult): void => {
    const started = this.started.get(task.taskId);
    this.started.delete(task.taskId);
    // Tasks stopped before they ran (released, paused) are not results anyone asked about.
    if (result.status === 'cancelled' && started === undefined) return;
    const workload = started?.workload ?? this.catalogue.describe(task);
    const picture = workload.kind === 'mandelbrot-demo' ? mandelbrotTilePicture(task, result) : null;
    const info: FinishedTaskInfo = {
      taskId: task.taskId,
      vnodeId: task.vnodeId,
      orchestrator: started?.orchestrator ?? '',
      workload,
      status: result.status,
      finishedAt: this.components.clock.now(),
      cpuMs: Math.round(result.cpuMs),
      picture: picture?.info ?? null,
    };
    this.recent = [...this.recent, { info, picture }].slice(-MAX_RECENT_RESULTS);
    this.components.ui.stateChanged('work');
  };

  readonly commands: CommandHandlers = {
    'get-result-picture': ({ taskId }) => {
      const found = this.recent.find((entry) => entry.info.taskId === taskId);
      if (!found?.picture) return { ok: false, error: { code: 'failed', message: `no picture for task ${taskId} here (only the last ${MAX_RECENT_RESULTS} results are kept)` } };
      const { info, png } = found.picture;
      return { ok: true, value: { taskId, mime: 'image/png', width: info.width, height: info.height, base64: Buffer.from(png).toString('base64') } };
    },
  };

  constructor(private readonly components: WorkViewComponents) {
    requireComponents(this.name, components, ['clock', 'ui', 'vnodes', 'availability', 'logicalCores']);
  }

  async start(): Promise<void> {
    await this.catalogue.load();
    const host = this.components.vnodes.host;
    host.on('task-started', this.onStarted);
    host.on('task-finished', this.onFinished);
    host.on('task-result', this.onResult);
  }

  stop(): void {
    const host = this.components.vnodes.host;
    host.off('task-started', this.onStarted);
    host.off('task-finished', this.onFinished);
    host.off('task-result', this.onResult);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** All the CPU the work has used since the node started. */
  private workCpuMs(): number {
    return this.finishedCpuMs + this.components.vnodes.host.running().reduce((sum, task) => sum + task.cpuMs, 0);
  }

  /** Samples while tasks run, and once more after the last ended (so the figure falls back to zero). */
  private ensureSampling(): void {
    if (this.timer) return;
    this.sample = { at: this.components.clock.now(), cpuMs: this.workCpuMs() };
    this.timer = setInterval(() => this.takeSample(), CPU_SAMPLE_MS);
    this.timer.unref();
  }

  takeSample(): void {
    const now = this.components.clock.now();
    const cpuMs = this.workCpuMs();
    const cores = this.components.logicalCores() ?? 1;
    if (this.sample !== null) this.used = { permille: usedPermille(cpuMs - this.sample.cpuMs, now - this.sample.at, cores), at: now };
    this.sample = { at: now, cpuMs };
    if (this.components.vnodes.host.running().length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.components.ui.stateChanged('work');
  }

  state(): Partial<Pick<NodeState, StateSection>> {
    return { work: this.view() };
  }

  view(): WorkView {
    const host = this.components.vnodes.host;
    const { limits } = this.components.availability.current();
    const cpu: CpuUseView = {
      usedPermille: this.used?.permille ?? null,
      limitPermille: limitPermille(limits.cpuPercent, limits.maxCores, this.components.logicalCores()),
      sampledAt: this.used?.at ?? null,
    };
    const running: RunningTaskInfo[] = [];
    for (const task of host.running()) {
      const started = this.started.get(task.taskId);
      if (!started) continue;
      running.push({
        taskId: task.taskId,
        vnodeId: task.vnodeId,
        orchestrator: started.orchestrator,
        workload: started.workload,
        startedAt: started.startedAt,
        budgetMs: started.task.needs.maxMs,
        activeMs: Math.round(task.activeMs),
        cpuMs: Math.round(task.cpuMs),
        suspended: task.suspended,
        progress: null,
      });
    }
    return { cpu, running, queued: host.queued(), recent: [...this.recent].reverse().map((entry) => entry.info) };
  }
}
