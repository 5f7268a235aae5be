// The control contract's view of the work running here (issue 14 §1): the CPU it uses against the
// volunteer's limit, the tasks running now (what they are, how long they have run of their budget),
// the tasks that finished last, and their pictures where the result is one (the Mandelbrot demo's
// tiles). Pictures travel through the control surface itself (`get-result-picture`, so the same
// token and origin rules as every command apply, over IPC and the WebSocket alike), never as a
// file:// path.
import type { TaskStatus } from '../vnode/task-result.js';

/** Finished tasks the state shows (newest first). */
export const MAX_RECENT_RESULTS = 12;
/** Largest picture side the node renders (a demo tile is at most 128 px). */
export const MAX_PICTURE_SIDE = 128;
/** Longest task id a command accepts. */
export const MAX_TASK_ID_LENGTH = 128;

export type WorkloadKind = 'mandelbrot-demo' | 'primes-demo' | 'program' | 'wasi-program';

/** What a task is, as far as this node can tell: the demos by their module, anything else by its kind. */
export interface WorkloadInfo {
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly description: string;
  /** Where to read more (null: nowhere known). */
  readonly url: string | null;
  readonly moduleHash: string;
}

export interface RunningTaskInfo {
  readonly taskId: string;
  readonly vnodeId: string;
  readonly orchestrator: string;
  readonly workload: WorkloadInfo;
  readonly startedAt: number;
  /** The running-time budget the task was given (needs.max-ms). */
  readonly budgetMs: number;
  /** Running time so far (suspended time does not count). */
  readonly activeMs: number;
  readonly cpuMs: number;
  /** Held by a pause or by the CPU share's duty cycle right now. */
  readonly suspended: boolean;
  /** Reported by the workload itself; null when it reports none (no workload does yet). */
  readonly progress: { readonly done: number; readonly total: number } | null;
}

export interface PictureInfo {
  readonly width: number;
  readonly height: number;
  /** What the picture shows, in words. */
  readonly caption: string;
}

export interface FinishedTaskInfo {
  readonly taskId: string;
  readonly vnodeId: string;
  readonly orchestrator: string;
  readonly workload: WorkloadInfo;
  readonly status: TaskStatus;
  readonly finishedAt: number;
  readonly cpuMs: number;
  /** Set when the result is a picture (get-result-picture fetches it). */
  readonly picture: PictureInfo | null;
}

export interface CpuUseView {
  /** Share of the whole machine the work used over the last sample, in ‰ (null: not measured yet). */
  readonly usedPermille: number | null;
  /** The most the limits allow: cpuPercent of maxCores of the logical cores, in ‰ of the machine. */
  readonly limitPermille: number;
  readonly sampledAt: number | null;
}

export interface WorkView {
  readonly cpu: CpuUseView;
  readonly running: readonly RunningTaskInfo[];
  /** Tasks waiting for room (cores, memory) on this machine. */
  readonly queued: number;
  /** Newest first, at most MAX_RECENT_RESULTS. */
  readonly recent: readonly FinishedTaskInfo[];
}

/** get-result-picture's answer. */
export interface ResultPicture {
  readonly taskId: string;
  readonly mime: 'image/png';
  readonly width: number;
  readonly height: number;
  /** The PNG, base64 (the UI shows it as a data: URL, which the CSP allows for images). */
  readonly base64: string;
}

export const EMPTY_WORK_VIEW: WorkView = { cpu: { usedPermille: null, limitPermille: 0, sampledAt: null }, running: [], queued: 0, recent: [] };
