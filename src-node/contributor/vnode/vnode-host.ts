// The VNode host (issue 7 §2): runs the tasks orchestrators place on this computer, inside the
// volunteer's limits, and stops them when the volunteer wants the machine back.
//
// Isolation. Each VNode gets its own sandbox process (sandbox-process.ts), started on its first
// task and kept warm between tasks (ended after SANDBOX_IDLE_MS idle); each task runs in a fresh
// worker thread inside it (a new V8 isolate: nothing survives from one task to the next; the next
// isolate boots while the current task runs, see sandbox-scripts.ts). The
// process runs with an empty environment, under Node's permission model where available (no file
// system, no child processes, no addons), and the module is instantiated with the host API only
// (host-api.ts), so it can reach neither. Memory is capped twice: the WebAssembly memory's
// maximum is the declared need (growing past it fails inside the module), and the worker's JS
// heap is limited (TASK_HEAP_MB in sandbox-scripts.ts), which bounds what a module can make the
// engine allocate for it (tables, for one). A heap overrun may take the whole sandbox process
// down; that is the point of having a process: the host survives and reports `memory-exceeded`.
//
// Stopping. An endless loop or a task past its running-time budget (needs.max-ms; suspended time
// does not count) is stopped by killing its process (SIGKILL; the next task gets a new one). The
// budget counts from the moment the sandbox has the task: starting a sandbox process (a Node boot,
// seconds on a starved machine) is the host's cost, not the task's.
//
// CPU share (BOINC's throttle). All running tasks share one duty cycle of DUTY_CYCLE_PERIOD_MS:
// they run for cpuPercent of it and are suspended for the rest; at most coreSlots(maxCores) tasks
// run at once, so the host uses at most maxCores × cpuPercent % of the machine. Pauses (toggle
// off, snooze, user active with onlyWhenIdle, on battery with pauseOnBattery) suspend every task
// at once and start no new ones.
//
// How a task is suspended — the trade-off. A worker thread cannot be stopped from outside: V8
// offers no way to freeze a thread, only to terminate it, and terminating throws the work away.
// So the host suspends the whole sandbox process with SIGSTOP and resumes it with SIGCONT: it
// takes effect at once whatever the module does (a module that never yields is stopped the same),
// costs nothing while running, and the kernel accounts no CPU to a stopped process. The price is
// a process per VNode (≈ 100 ms to start and ≈ 55–60 MB resident, so it is reused between tasks
// and counted in TASK_OVERHEAD_MB) and POSIX:
// Windows has no SIGSTOP, so there (suspendMode 'cooperative') the host sets a shared flag that
// the host API's yield() waits on. That reaches only modules that call yield at loop boundaries,
// as the demo workloads do; a module that never yields is then neither throttled nor paused on
// Windows, only stopped by its budget. (Suspending a Windows process needs NtSuspendProcess, a
// native call Node does not expose.)
//
// WASI tasks (issue 13 §2) take the same path — the same sandbox process, budget, duty cycle,
// pauses and kill — with three differences: the module is judged and its memory capped by
// planWasiModule; the task gets a fresh directory (wasi-task-dir.ts) holding its input files,
// which is the program's only preopen and is removed when the task ends; and the result carries
// exit code, stdout, stderr and the output files read from that directory. Every WASI call is a
// safe point for the cooperative pause, so on Windows WASI programs can be paused too.
import { EventEmitter } from 'node:events';
import { availableParallelism, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ContributionLimits, SuspendReason, VNodeView } from '../../../src-shared/control/state.js';
import { type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import {
  type HostConditions,
  RUNNING_CONDITIONS,
  coreSlots,
  memoryBudgetMb,
  pauseReasons,
  runMsPerCycle,
  taskFootprintMb,
} from '../../../src-shared/vnode/conditions.js';
import { DUTY_CYCLE_PERIOD_MS, MAX_ID_LENGTH, MAX_NEED_MEMORY_MB, MAX_OUTPUT_BYTES, MAX_WASI_CREATED_ENTRIES, MAX_WASI_WRITTEN_BYTES } from '../../../src-shared/vnode/limits.js';
import { planModule } from '../../../src-shared/vnode/module-plan.js';
import { type TaskResult, type TaskStatus, makeTaskResult } from '../../../src-shared/vnode/task-result.js';
import type { WasiOutputFile } from '../../../src-shared/vnode/wasi-output.js';
import { planWasiModule } from '../../../src-shared/vnode/wasi-plan.js';
import { wasiRandomKey } from '../../../src-shared/vnode/wasi-random.js';
import { type WasiTask, isBlobFile, wasiSeedOf } from '../../../src-shared/vnode/wasi-workload.js';
import { type AnyTask, checkTask, isWasiTask } from '../../../src-shared/vnode/workload.js';
import { type Clock, systemClock } from '../../kernel/util/clock.js';
import { ModuleCache } from '../../kernel/storage/module-cache.js';
import { SandboxProcess, type SandboxLauncher, type SandboxOutcome, type SuspendMode, defaultSuspendMode } from './sandbox-process.js';
import { VNodeStatsStore } from './vnode-stats.js';
import { type TaskInputFile, type WasiTaskDir, WasiTaskDirs } from './wasi-task-dir.js';

/** An idle VNode's sandbox process is ended after this long without a task. */
export const SANDBOX_IDLE_MS = 30_000;
/** While tasks run, the host reports a change this often (CPU counters move). */
export const VIEW_REFRESH_MS = 5_000;
/** Released VNodes still shown (the most recent ones)… */
export const MAX_RELEASED_VIEWS = 8;
/** …and only while they were active within this long (older ones stay counted, not listed). */
export const RELEASED_VIEW_MS = 24 * 60 * 60 * 1000;

/** A VNode as an orchestrator allocates it. */
export interface VNodeAllocation {
  readonly vnodeId: string;
  /** Node id of the orchestrator that placed it. */
  readonly orchestrator: string;
  readonly cores: number;
  readonly memoryMb: number;
}

export interface VNodeHostOptions {
  readonly dataDir: string;
  readonly limits: ContributionLimits;
  readonly conditions?: HostConditions;
  readonly clock?: Clock;
  /** Defaults: the machine's. */
  readonly totalMemoryMb?: number;
  readonly logicalCores?: number;
  /** Default: 'signal' on POSIX, 'cooperative' on Windows. */
  readonly suspendMode?: SuspendMode;
  /** How sandbox processes are started (default: node with -e; see SandboxLauncher for Electron). */
  readonly launcher?: SandboxLauncher;
  readonly permissionModel?: boolean;
  readonly dutyCyclePeriodMs?: number;
  readonly sandboxIdleMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** A task that ended here, as the contribution history and the credit module count it. */
export interface TaskFinished {
  readonly taskId: string;
  readonly vnodeId: string;
  /** The orchestrator that placed the VNode (and sent the task). */
  readonly orchestrator: string;
  readonly status: TaskStatus;
  readonly cpuMs: number;
  /** By the host's clock: when it began (finishedAt less its wall time) and when it ended. */
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** A task that began running here (the work view and the volunteer's log follow it). */
export interface TaskStarted {
  readonly task: AnyTask;
  readonly orchestrator: string;
  /** By the host's clock. */
  readonly startedAt: number;
}

export interface VNodeHostEvents {
  /** Something the VNode views show changed. */
  changed: [];
  'task-started': [started: TaskStarted];
  'task-finished': [task: TaskFinished];
  /** The same moment as task-finished, with the task and its whole result (output included). */
  'task-result': [task: AnyTask, result: TaskResult];
}

/** A running task as tests and figures see it. */
export interface RunningTaskView {
  readonly taskId: string;
  readonly vnodeId: string;
  readonly pid: number | null;
  readonly suspended: boolean;
  /** CPU time so far, as last reported by the sandbox (every CPU_REPORT_MS). */
  readonly cpuMs: number;
  /** Running time so far (what needs.max-ms bounds). */
  readonly activeMs: number;
}

interface Slot {
  readonly allocation: VNodeAllocation;
  current: RunningTask | null;
  sandbox: SandboxProcess | null;
  idleTimer: NodeJS.Timeout | undefined;
  failure: string | null;
}

interface QueuedTask {
  readonly task: AnyTask;
  readonly resolve: (result: TaskResult) => void;
  readonly queuedAt: number;
}

interface RunningTask {
  readonly task: AnyTask;
  readonly slot: Slot;
  readonly resolve: (result: TaskResult) => void;
  readonly startedAt: number;
  readonly footprintMb: number;
  sandbox: SandboxProcess | null;
  suspended: boolean;
  activeMs: number;
  runningSince: number | null;
  budgetTimer: NodeJS.Timeout | undefined;
  stop: { status: 'timeout' | 'cancelled'; detail: string } | null;
  finished: boolean;
  /** Settles once the task's result is out. */
  readonly done: Promise<void>;
  readonly markDone: () => void;
}

/** A sandbox outcome with what the host adds to it: a WASI task's output files. */
type TaskOutcome = SandboxOutcome & { readonly files?: readonly WasiOutputFile[] };

function unrefTimer(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}

const ID_PATTERN = /^[\x21-\x7e]+$/;

export class VNodeHost extends EventEmitter<VNodeHostEvents> {
  /** Modules and blobs (WASI input files given by hash), by hash. */
  readonly modules: ModuleCache;
  readonly stats: VNodeStatsStore;
  readonly taskDirs: WasiTaskDirs;
  readonly suspendMode: SuspendMode;
  private limitsNow: ContributionLimits;
  private conditionsNow: HostConditions;
  private readonly manualPauses = new Set<SuspendReason>();
  private readonly clock: Clock;
  private readonly totalMemoryMb: number;
  private readonly logicalCores: number;
  private readonly periodMs: number;
  private readonly sandboxIdleMs: number;
  private readonly slots = new Map<string, Slot>();
  private readonly queue: QueuedTask[] = [];
  private readonly runningTasks = new Set<RunningTask>();
  private memoryInUseMb = 0;
  private blockedByLimits = false;
  private started = false;
  private stopping: Promise<void> | null = null;
  private dutyOn = true;
  private dutyTimer: NodeJS.Timeout | undefined;
  private cycleStart = 0;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: VNodeHostOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.limitsNow = options.limits;
    this.conditionsNow = options.conditions ?? RUNNING_CONDITIONS;
    this.totalMemoryMb = options.totalMemoryMb ?? Math.floor(totalmem() / (1024 * 1024));
    this.logicalCores = options.logicalCores ?? availableParallelism();
    this.suspendMode = options.suspendMode ?? defaultSuspendMode();
    this.periodMs = options.dutyCyclePeriodMs ?? DUTY_CYCLE_PERIOD_MS;
    this.sandboxIdleMs = options.sandboxIdleMs ?? SANDBOX_IDLE_MS;
    this.modules = new ModuleCache(options.dataDir);
    this.taskDirs = new WasiTaskDirs(options.dataDir);
    this.stats = new VNodeStatsStore(options.dataDir, this.clock, (error) => this.reportError(error));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.stats.load((error, aside) => this.reportError(new Error(`${error.message}; set aside as ${aside}`)));
    await this.taskDirs.sweep();
    this.started = true;
  }

  /** Cancels every task, ends every sandbox process, writes the counters. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.started = false;
    for (const queued of this.queue.splice(0)) this.resolveUnstarted(queued, 'cancelled', 'the host stopped');
    const stops = [...this.runningTasks].map((running) => this.stopTask(running, 'cancelled', 'the host stopped'));
    await Promise.all(stops);
    for (const slot of this.slots.values()) {
      await this.endSandbox(slot);
      this.stats.release(slot.allocation.vnodeId);
    }
    this.slots.clear();
    this.stopDutyCycle();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.stats.close();
  }

  // --- limits and conditions ------------------------------------------------------------------

  get limits(): ContributionLimits {
    return this.limitsNow;
  }

  get conditions(): HostConditions {
    return this.conditionsNow;
  }

  setLimits(limits: ContributionLimits): void {
    const cpuChanged = limits.cpuPercent !== this.limitsNow.cpuPercent;
    this.limitsNow = limits;
    if (cpuChanged) this.stopDutyCycle();
    this.reapply();
  }

  /** The inputs that pause the host (contribution toggle, snooze, user activity, battery). */
  setConditions(change: Partial<HostConditions>): void {
    this.conditionsNow = { ...this.conditionsNow, ...change };
    this.reapply();
  }

  /** Pauses everything for a reason of the caller's own, until resumeAll(). */
  pauseAll(reason: SuspendReason): void {
    this.manualPauses.add(reason);
    this.reapply();
  }

  /** Lifts the pauses made with pauseAll (conditions still apply). */
  resumeAll(): void {
    this.manualPauses.clear();
    this.reapply();
  }

  /** Reasons the host is paused now (empty: it may compute). */
  pausedBy(): SuspendReason[] {
    const reasons = pauseReasons(this.conditionsNow, this.limitsNow);
    for (const reason of this.manualPauses) if (!reasons.includes(reason)) reasons.push(reason);
    return reasons;
  }

  get paused(): boolean {
    return this.pausedBy().length > 0;
  }

  /** Why work is not being done: the pauses, and 'limits' when queued work cannot fit the limits. */
  suspendReasons(): SuspendReason[] {
    const reasons = this.pausedBy();
    if (reasons.length === 0 && this.blockedByLimits) reasons.push('limits');
    return reasons;
  }

  /** Tasks that may run at once. */
  coreSlots(): number {
    return coreSlots(this.limitsNow.maxCores, this.logicalCores);
  }

  memoryBudgetMb(): number {
    return memoryBudgetMb(this.totalMemoryMb, this.limitsNow.memoryPercent);
  }

  private reapply(): void {
    this.applySuspension();
    this.pump();
    this.changed();
  }

  // --- allocations ----------------------------------------------------------------------------

  /** Takes a VNode an orchestrator placed here; refused when it would exceed the limits. */
  allocate(allocation: VNodeAllocation): Result<VNodeView> {
    if (typeof allocation.vnodeId !== 'string' || allocation.vnodeId.length === 0 || allocation.vnodeId.length > MAX_ID_LENGTH || !ID_PATTERN.test(allocation.vnodeId)) {
      return fail('E_PROTO_INVALID', `vnode id must be 1–${MAX_ID_LENGTH} printable ASCII characters`);
    }
    if (!Number.isSafeInteger(allocation.cores) || allocation.cores < 1) return fail('E_PROTO_INVALID', 'cores must be a positive integer');
    if (!Number.isSafeInteger(allocation.memoryMb) || allocation.memoryMb < 1 || allocation.memoryMb > MAX_NEED_MEMORY_MB) {
      return fail('E_PROTO_INVALID', `memory must be an integer from 1 to ${MAX_NEED_MEMORY_MB} MB`);
    }
    const existing = this.slots.get(allocation.vnodeId);
    if (existing) {
      const same = existing.allocation.orchestrator === allocation.orchestrator && existing.allocation.cores === allocation.cores && existing.allocation.memoryMb === allocation.memoryMb;
      return same ? ok(this.viewOf(existing)) : fail('E_PROTO_INVALID', `VNode ${allocation.vnodeId} is already allocated with other terms`);
    }
    let cores = allocation.cores;
    let memory = taskFootprintMb(allocation.memoryMb);
    for (const slot of this.slots.values()) {
      cores += slot.allocation.cores;
      memory += taskFootprintMb(slot.allocation.memoryMb);
    }
    if (cores > this.coreSlots()) return fail('E_PROTO_INVALID', `the limits allow ${this.coreSlots()} cores; this VNode would make ${cores}`);
    if (memory > this.memoryBudgetMb()) return fail('E_PROTO_INVALID', `the limits allow ${this.memoryBudgetMb()} MB; this VNode would make ${memory} MB`);
    const slot: Slot = { allocation: { ...allocation }, current: null, sandbox: null, idleTimer: undefined, failure: null };
    this.slots.set(allocation.vnodeId, slot);
    this.stats.allocate(allocation);
    this.changed();
    return ok(this.viewOf(slot));
  }

  /** Ends a VNode: its queued and running tasks are cancelled, its sandbox process ended. */
  async release(vnodeId: string): Promise<boolean> {
    const slot = this.slots.get(vnodeId);
    if (!slot) return false;
    this.slots.delete(vnodeId);
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const queued = this.queue[i]!;
      if (queued.task.vnodeId !== vnodeId) continue;
      this.queue.splice(i, 1);
      this.resolveUnstarted(queued, 'cancelled', `VNode ${vnodeId} was released`);
    }
    if (slot.current) await this.stopTask(slot.current, 'cancelled', `VNode ${vnodeId} was released`);
    await this.endSandbox(slot);
    this.stats.release(vnodeId);
    this.pump();
    this.changed();
    return true;
  }

  allocations(): VNodeAllocation[] {
    return [...this.slots.values()].map((slot) => slot.allocation);
  }

  // --- tasks ----------------------------------------------------------------------------------

  /**
   * Runs a task on its VNode: queued while its VNode is busy, all cores are in use or the host is
   * paused; resolves with the result (never rejects). The module must be in the cache.
   */
  runTask(task: AnyTask): Promise<TaskResult> {
    const queuedAt = performance.now();
    return new Promise<TaskResult>((resolve) => {
      const reject = (status: TaskStatus, detail: string) => resolve(makeTaskResult({ taskId: String(task.taskId), vnodeId: String(task.vnodeId), status, detail, cpuMs: 0, wallMs: 0 }));
      const checked = checkTask(task);
      if (!checked.ok) return reject('failed', `malformed task: ${checked.error.detail}`);
      if (!this.started) return reject('cancelled', 'the host is not running');
      const slot = this.slots.get(task.vnodeId);
      if (!slot) return reject('failed', `VNode ${task.vnodeId} is not allocated here`);
      if (task.needs.memoryMb > slot.allocation.memoryMb) return reject('failed', `the task needs ${task.needs.memoryMb} MB; its VNode has ${slot.allocation.memoryMb} MB`);
      if (this.queue.some((q) => q.task.taskId === task.taskId) || [...this.runningTasks].some((r) => r.task.taskId === task.taskId)) {
        return reject('failed', `task ${task.taskId} is already here`);
      }
      this.queue.push({ task: checked.value, resolve, queuedAt });
      this.pump();
      this.changed();
    });
  }

  /** Cancels a queued or running task; false when the host does not have it. */
  async cancelTask(taskId: string): Promise<boolean> {
    const index = this.queue.findIndex((q) => q.task.taskId === taskId);
    if (index >= 0) {
      const [queued] = this.queue.splice(index, 1);
      this.resolveUnstarted(queued!, 'cancelled', 'cancelled');
      this.changed();
      return true;
    }
    const running = [...this.runningTasks].find((r) => r.task.taskId === taskId);
    if (!running) return false;
    await this.stopTask(running, 'cancelled', 'cancelled');
    return true;
  }

  queued(): number {
    return this.queue.length;
  }

  running(): RunningTaskView[] {
    return [...this.runningTasks].map((r) => ({
      taskId: r.task.taskId,
      vnodeId: r.task.vnodeId,
      pid: r.sandbox?.pid ?? null,
      suspended: r.suspended,
      cpuMs: r.sandbox?.cpuMs ?? 0,
      activeMs: this.activeMsOf(r),
    }));
  }

  private resolveUnstarted(queued: QueuedTask, status: TaskStatus, detail: string): void {
    queued.resolve(makeTaskResult({ taskId: queued.task.taskId, vnodeId: queued.task.vnodeId, status, detail, cpuMs: 0, wallMs: performance.now() - queued.queuedAt }));
  }

  /** Starts queued tasks while the pauses, the cores and the memory budget allow, in order. */
  private pump(): void {
    this.blockedByLimits = false;
    if (!this.started || this.paused) return;
    for (let i = 0; i < this.queue.length; ) {
      const queued = this.queue[i]!;
      const slot = this.slots.get(queued.task.vnodeId);
      if (!slot) {
        this.queue.splice(i, 1);
        this.resolveUnstarted(queued, 'cancelled', `VNode ${queued.task.vnodeId} was released`);
        continue;
      }
      if (this.runningTasks.size >= this.coreSlots()) break;
      // A VNode runs one task at a time; its next one waits without holding up other VNodes.
      if (slot.current) {
        i++;
        continue;
      }
      const footprint = taskFootprintMb(queued.task.needs.memoryMb);
      if (this.memoryInUseMb + footprint > this.memoryBudgetMb()) {
        // First in, first served: a big task is not overtaken by smaller ones forever.
        this.blockedByLimits = this.runningTasks.size === 0;
        break;
      }
      this.queue.splice(i, 1);
      this.begin(queued, slot, footprint);
    }
  }

  private begin(queued: QueuedTask, slot: Slot, footprintMb: number): void {
    let markDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    const running: RunningTask = {
      task: queued.task,
      slot,
      resolve: queued.resolve,
      startedAt: performance.now(),
      footprintMb,
      sandbox: null,
      suspended: false,
      activeMs: 0,
      runningSince: null,
      budgetTimer: undefined,
      stop: null,
      finished: false,
      done,
      markDone,
    };
    slot.current = running;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    this.runningTasks.add(running);
    this.memoryInUseMb += footprintMb;
    // Joins the cycle where it is: a task that starts in the suspended part waits for the next run.
    this.setSuspended(running, !this.dutyOn);
    this.ensureDutyCycle();
    this.ensureRefresh();
    this.emit('task-started', { task: queued.task, orchestrator: slot.allocation.orchestrator, startedAt: this.clock.now() });
    void this.execute(running).catch((error: unknown) => {
      this.reportError(error);
      this.finish(running, { status: 'failed', detail: `the host failed: ${error instanceof Error ? error.message : String(error)}`, output: null, cpuMs: running.sandbox?.cpuMs ?? 0, processDied: false });
    });
  }

  private async execute(running: RunningTask): Promise<void> {
    const { task } = running;
    const finishWith = (status: SandboxOutcome['status'], detail: string) => this.finish(running, { status, detail, output: null, cpuMs: 0, processDied: false });
    const cached = await this.modules.get(task.moduleHash);
    if (running.stop) return finishWith('failed', running.stop.detail);
    if (cached === null) return finishWith('failed', `module ${task.moduleHash} is not in the cache`);
    if (!cached.ok) return finishWith('failed', cached.error.detail);
    const bytes = cached.value;
    if (bytes.length !== task.moduleSize) return finishWith('failed', `module ${task.moduleHash} is ${bytes.length} bytes; the task says ${task.moduleSize}`);
    if (isWasiTask(task)) return this.executeWasi(running, task, bytes);
    const planned = planModule(bytes, task.entry, task.needs.memoryMb);
    if (!planned.ok) return finishWith(planned.refusal.status, `module ${task.moduleHash} ${planned.refusal.detail}`);
    const sandbox = await this.sandboxFor(running);
    if (typeof sandbox === 'string') return finishWith('failed', sandbox);
    const outcome = await sandbox.run({
      taskId: task.taskId,
      module: bytes,
      input: task.input,
      entry: task.entry,
      memory: planned.plan.memory,
      entryReturnsStatus: planned.plan.entryReturnsStatus,
      maxOutput: MAX_OUTPUT_BYTES,
    });
    this.finish(running, outcome);
  }

  /** The task's VNode's sandbox, started when it has none; a string says why there is none. */
  private async sandboxFor(running: RunningTask): Promise<SandboxProcess | string> {
    const { task, slot } = running;
    if (running.stop) return running.stop.detail;
    let sandbox = slot.sandbox?.alive ? slot.sandbox : null;
    if (!sandbox) {
      try {
        sandbox = await SandboxProcess.start({
          suspendMode: this.suspendMode,
          ...(this.options.launcher !== undefined ? { launcher: this.options.launcher } : {}),
          ...(this.options.permissionModel !== undefined ? { permissionModel: this.options.permissionModel } : {}),
        });
      } catch (error) {
        slot.failure = error instanceof Error ? error.message : String(error);
        return slot.failure;
      }
      slot.failure = null;
      // Stopped or released while the sandbox started (re-read: the awaits above let that happen).
      const stop = running.stop as RunningTask['stop'];
      if (stop || this.slots.get(task.vnodeId) !== slot) {
        void sandbox.kill();
        return stop?.detail ?? `VNode ${task.vnodeId} was released`;
      }
      slot.sandbox = sandbox;
    }
    running.sandbox = sandbox;
    // A reused sandbox may have been stopped just as its last task ended: set it to this task's state.
    if (running.suspended) sandbox.suspend();
    else {
      sandbox.resume();
      this.startClock(running);
    }
    return sandbox;
  }

  /** A WASI task: plan the module, prepare its directory, run it, collect its outputs, clean up. */
  private async executeWasi(running: RunningTask, task: WasiTask, bytes: Uint8Array): Promise<void> {
    const failed = (status: SandboxOutcome['status'], detail: string): TaskOutcome => ({ status, detail, output: null, cpuMs: 0, processDied: false });
    const planned = planWasiModule(bytes, task.needs.memoryMb);
    if (!planned.ok) return this.finish(running, failed(planned.refusal.status, `module ${task.moduleHash} ${planned.refusal.detail}`));
    const inputs = await this.wasiInputs(task);
    if (typeof inputs === 'string') return this.finish(running, failed('failed', inputs));
    let dir: WasiTaskDir;
    try {
      dir = await this.taskDirs.create(inputs);
    } catch (error) {
      return this.finish(running, failed('failed', `the task directory could not be prepared: ${error instanceof Error ? error.message : String(error)}`));
    }
    let outcome: TaskOutcome;
    try {
      const sandbox = await this.sandboxFor(running);
      if (typeof sandbox === 'string') {
        outcome = failed('failed', sandbox);
      } else {
        outcome = await sandbox.run({
          kind: 'wasi',
          taskId: task.taskId,
          module: planned.plan.bytes,
          args: task.args,
          stdin: task.stdin,
          preopen: dir.path,
          inputIds: dir.inputIds,
          outputCap: task.outputCap,
          stderrCap: task.stderrCap,
          writtenCap: MAX_WASI_WRITTEN_BYTES,
          createdCap: MAX_WASI_CREATED_ENTRIES,
          seedKey: wasiRandomKey(wasiSeedOf(task)),
          memoryMaxPages: planned.plan.memory.maximum,
        });
        if (outcome.status === 'ok' && outcome.wasi && running.stop === null) {
          const collected = await dir.collect(task.outputs, outcome.wasi.stdout.length, task.outputCap);
          outcome = collected.ok ? { ...outcome, files: collected.files } : { ...outcome, status: collected.failure.status, detail: collected.failure.detail };
        }
      }
    } finally {
      await dir.remove().catch((error: unknown) => this.reportError(error));
    }
    this.finish(running, outcome);
  }

  /** The task's input files as bytes: inline ones as they are, blobs from the cache (checked). */
  private async wasiInputs(task: WasiTask): Promise<TaskInputFile[] | string> {
    const files: TaskInputFile[] = [];
    for (const file of task.files) {
      if (!isBlobFile(file)) {
        files.push(file);
        continue;
      }
      const cached = await this.modules.get(file.hash);
      if (cached === null) return `input file "${file.name}" (${file.hash}) is not in the cache`;
      if (!cached.ok) return `input file "${file.name}": ${cached.error.detail}`;
      if (cached.value.length !== file.size) return `input file "${file.name}" is ${cached.value.length} bytes; the task says ${file.size}`;
      files.push({ name: file.name, bytes: cached.value });
    }
    return files;
  }

  /** Stops a running task for the host's own reason (budget, cancel) and waits for its result. */
  private async stopTask(running: RunningTask, status: 'timeout' | 'cancelled', detail: string): Promise<void> {
    if (running.finished) return;
    running.stop ??= { status, detail };
    if (running.sandbox) await running.sandbox.kill();
    await running.done;
  }

  private finish(running: RunningTask, outcome: TaskOutcome): void {
    if (running.finished) return;
    running.finished = true;
    this.stopClock(running);
    if (running.budgetTimer) clearTimeout(running.budgetTimer);
    this.runningTasks.delete(running);
    this.memoryInUseMb -= running.footprintMb;
    const { slot, task } = running;
    if (slot.current === running) slot.current = null;
    const processGone = outcome.processDied || running.stop !== null;
    if (processGone && slot.sandbox === running.sandbox) slot.sandbox = null;
    if (processGone && running.sandbox?.alive) void running.sandbox.kill();
    // A task the host stopped reports why it stopped it, whatever the dying sandbox said.
    const status: TaskStatus = running.stop?.status ?? outcome.status;
    const detail = running.stop?.detail ?? outcome.detail;
    const cpuMs = Math.max(outcome.cpuMs, running.sandbox?.cpuMs ?? 0);
    // A WASI program's part of the result, unless the host stopped it (then nothing of it is kept).
    const wasi = outcome.wasi && !running.stop ? { ...outcome.wasi, files: outcome.files ?? [] } : null;
    const result = makeTaskResult({ taskId: task.taskId, vnodeId: task.vnodeId, status, detail, output: outcome.output, wasi, cpuMs, wallMs: performance.now() - running.startedAt });
    this.stats.addTask(task.vnodeId, result.cpuMs, status === 'ok' ? 'done' : status === 'cancelled' ? 'cancelled' : 'failed');
    const finishedAt = this.clock.now();
    this.emit('task-finished', { taskId: task.taskId, vnodeId: task.vnodeId, orchestrator: slot.allocation.orchestrator, status, cpuMs: result.cpuMs, startedAt: finishedAt - Math.round(result.wallMs), finishedAt });
    this.emit('task-result', task, result);
    this.scheduleIdleEnd(slot);
    if (this.runningTasks.size === 0) this.stopDutyCycle();
    running.resolve(result);
    running.markDone();
    this.pump();
    this.changed();
  }

  // --- running time (needs.max-ms counts only time a task was allowed to run) --------------------

  private activeMsOf(running: RunningTask): number {
    return running.activeMs + (running.runningSince !== null ? performance.now() - running.runningSince : 0);
  }

  /** Counts running time, once the task has its sandbox (see Stopping, above). */
  private startClock(running: RunningTask): void {
    if (running.runningSince !== null || running.finished || running.sandbox === null) return;
    running.runningSince = performance.now();
    const left = Math.max(0, running.task.needs.maxMs - running.activeMs);
    running.budgetTimer = unrefTimer(setTimeout(() => void this.stopTask(running, 'timeout', `ran longer than its ${running.task.needs.maxMs} ms budget and was stopped`), left));
  }

  private stopClock(running: RunningTask): void {
    if (running.runningSince === null) return;
    running.activeMs += performance.now() - running.runningSince;
    running.runningSince = null;
    if (running.budgetTimer) clearTimeout(running.budgetTimer);
    running.budgetTimer = undefined;
  }

  // --- suspension: pauses and the duty cycle -------------------------------------------------

  private applySuspension(): void {
    const paused = this.paused;
    if (paused) this.stopDutyCycle();
    for (const running of this.runningTasks) this.setSuspended(running, paused || !this.dutyOn);
    if (!paused) this.ensureDutyCycle();
  }

  private setSuspended(running: RunningTask, suspended: boolean): void {
    if (running.finished) return;
    running.suspended = suspended;
    if (suspended) {
      running.sandbox?.suspend();
      this.stopClock(running);
    } else {
      running.sandbox?.resume();
      this.startClock(running);
    }
  }

  /** Starts the cycle if tasks run under a CPU limit; every cycle begins with its running part. */
  private ensureDutyCycle(): void {
    if (this.dutyTimer || this.paused || this.runningTasks.size === 0) return;
    const runMs = runMsPerCycle(this.limitsNow.cpuPercent, this.periodMs);
    if (runMs >= this.periodMs) return;
    this.cycleStart = performance.now();
    this.enterPhase(true);
  }

  private enterPhase(on: boolean): void {
    this.dutyOn = on;
    for (const running of this.runningTasks) this.setSuspended(running, !on);
    const runMs = runMsPerCycle(this.limitsNow.cpuPercent, this.periodMs);
    const now = performance.now();
    if (!on) {
      // The next cycle starts one period after this one (late timers do not accumulate drift).
      const next = this.cycleStart + this.periodMs;
      this.dutyTimer = unrefTimer(setTimeout(() => {
        this.cycleStart = Math.max(next, performance.now() - this.periodMs / 2);
        this.enterPhase(true);
      }, Math.max(0, next - now)));
    } else {
      this.dutyTimer = unrefTimer(setTimeout(() => this.enterPhase(false), Math.max(0, this.cycleStart + runMs - now)));
    }
  }

  private stopDutyCycle(): void {
    if (this.dutyTimer) clearTimeout(this.dutyTimer);
    this.dutyTimer = undefined;
    this.dutyOn = true;
  }

  // --- sandboxes ----------------------------------------------------------------------------

  private scheduleIdleEnd(slot: Slot): void {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    if (!slot.sandbox) return;
    slot.idleTimer = unrefTimer(setTimeout(() => {
      if (!slot.current) void this.endSandbox(slot);
    }, this.sandboxIdleMs));
  }

  private async endSandbox(slot: Slot): Promise<void> {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    const sandbox = slot.sandbox;
    slot.sandbox = null;
    if (sandbox) await sandbox.kill();
  }

  // --- views --------------------------------------------------------------------------------

  private viewOf(slot: Slot): VNodeView {
    const record = this.stats.get(slot.allocation.vnodeId);
    const live = slot.current?.sandbox?.cpuMs ?? 0;
    const paused = this.pausedBy();
    const state: VNodeView['state'] = slot.failure !== null ? 'failed' : paused.length > 0 ? 'paused' : slot.current ? 'running' : 'allocated';
    return {
      vnodeId: slot.allocation.vnodeId,
      orchestrator: slot.allocation.orchestrator,
      cores: slot.allocation.cores,
      memoryMb: slot.allocation.memoryMb,
      state,
      pausedReason: state === 'paused' ? paused.join(', ') : state === 'failed' ? slot.failure : null,
      tasksDone: record?.tasksDone ?? 0,
      cpuMsToday: Math.round((record?.cpuMsToday ?? 0) + live),
      cpuMsTotal: Math.round((record?.cpuMsTotal ?? 0) + live),
      since: record?.since ?? this.clock.now(),
    };
  }

  /** The UI's VNodes: allocated ones, then the most recently released. */
  views(): VNodeView[] {
    const allocated = [...this.slots.values()].map((slot) => this.viewOf(slot));
    const released = this.stats
      .all()
      // A record without a slot is a VNode that is gone (released, or allocated before a restart).
      .filter((r) => !this.slots.has(r.vnodeId) && r.lastActive >= this.clock.now() - RELEASED_VIEW_MS)
      .sort((a, b) => b.lastActive - a.lastActive)
      .slice(0, MAX_RELEASED_VIEWS)
      .map(
        (r): VNodeView => ({
          vnodeId: r.vnodeId,
          orchestrator: r.orchestrator,
          cores: r.cores,
          memoryMb: r.memoryMb,
          state: 'released',
          pausedReason: null,
          tasksDone: r.tasksDone,
          cpuMsToday: r.cpuMsToday,
          cpuMsTotal: r.cpuMsTotal,
          since: r.since,
        }),
      );
    return [...allocated, ...released];
  }

  private ensureRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = unrefTimer(setInterval(() => {
      if (this.runningTasks.size === 0) {
        clearInterval(this.refreshTimer);
        this.refreshTimer = undefined;
      }
      this.changed();
    }, VIEW_REFRESH_MS));
  }

  private changed(): void {
    this.emit('changed');
  }

  private reportError(error: unknown): void {
    this.options.onError?.(error);
  }
}
