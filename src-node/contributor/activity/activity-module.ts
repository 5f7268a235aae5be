// The volunteer's log (issue 14 §2) as a runtime module ('activity'): it follows the owners'
// typed events and writes what happened in a volunteer's words — joined and left (Availability),
// paused, resumed, snoozed, snooze over, limits changed (Availability), connected to and lost the
// network's orchestrators (membership), work started, finished or failed (the VNode host), results
// validated or rejected with their credit (the credit module's receipts), trusted registration
// approved or revoked (trusted registration). The log is kept on disk (activity-store.ts) and shown
// as `state.activity` and through list-activity. It changes nothing it watches.
import type { EventEmitter } from 'node:events';
import type { CommandHandlers } from '../../../src-shared/control/commands.js';
import { MAX_ACTIVITY_PAGE, RECENT_ACTIVITY_IN_STATE, type ActivityView } from '../../../src-shared/control/activity-view.js';
import type { AvailabilityState } from '../../../src-shared/control/contribution.js';
import type { ReceiptSummary } from '../../../src-shared/control/credit-view.js';
import type { ContributionLimits, NodeState, StateSection } from '../../../src-shared/control/state.js';
import type { WorkloadInfo } from '../../../src-shared/control/work-view.js';
import type { AnyTask } from '../../../src-shared/vnode/workload.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { ControlSource, RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { AvailabilityEvents } from '../availability/availability.js';
import type { MembershipEvents } from '../membership/membership-module.js';
import type { TrustedRegistrationEvents } from '../trust/trusted-registration-module.js';
import type { TaskFinished, TaskStarted } from '../vnode/vnode-host.js';
import type { VNodeHostModule } from '../vnode/vnode-module.js';
import { type ActivityHappening, pageOf, withHappening } from './activity-log.js';
import { ActivityStore } from './activity-store.js';

export const ACTIVITY_MODULE = 'activity';

const LIMIT_KEYS: readonly (keyof ContributionLimits)[] = ['cpuPercent', 'memoryPercent', 'maxCores', 'onlyWhenIdle', 'pauseOnBattery'];

export type ActivityComponents = Pick<KernelComponents, 'dataDir' | 'clock' | 'ui' | 'warn'> & {
  readonly availability: Pick<EventEmitter<AvailabilityEvents>, 'on' | 'off'>;
  readonly vnodes: Pick<VNodeHostModule, 'host'>;
  /** Names what a task is (the work view's catalogue). */
  readonly workloads: { describe(task: AnyTask): WorkloadInfo };
  readonly membership?: Pick<EventEmitter<MembershipEvents>, 'on' | 'off'> | undefined;
  readonly credit?: { on(event: 'receipt', listener: (summary: ReceiptSummary) => void): unknown; off(event: 'receipt', listener: (summary: ReceiptSummary) => void): unknown } | undefined;
  readonly trusted?: Pick<EventEmitter<TrustedRegistrationEvents>, 'on' | 'off'> | undefined;
};

/** What changed between two availability states, as happenings (the volunteer's choices only). */
export function availabilityHappenings(next: AvailabilityState, previous: AvailabilityState, now: number): ActivityHappening[] {
  const out: ActivityHappening[] = [];
  if (next.joined !== previous.joined) out.push({ kind: next.joined ? 'joined' : 'left', at: now });
  if (next.joined && next.contributionEnabled !== previous.contributionEnabled) out.push({ kind: next.contributionEnabled ? 'contribution-resumed' : 'contribution-paused', at: now });
  if (next.snoozed && (!previous.snoozed || next.snoozedUntil !== previous.snoozedUntil)) out.push({ kind: 'snoozed', at: now, detail: { until: next.snoozedUntil } });
  if (!next.snoozed && previous.snoozed) {
    // Past its end: it ran out; before: the volunteer resumed by hand.
    const ranOut = previous.snoozedUntil !== null && now >= previous.snoozedUntil;
    out.push({ kind: ranOut ? 'snooze-ended' : 'contribution-resumed', at: now });
  }
  const changed: Record<string, number | boolean> = {};
  for (const key of LIMIT_KEYS) {
    if (next.limits[key] === previous.limits[key]) continue;
    changed[key] = next.limits[key];
    changed[`${key}.was`] = previous.limits[key];
  }
  if (Object.keys(changed).length > 0) out.push({ kind: 'limits-changed', at: now, detail: changed });
  return out;
}

export class ActivityModule implements RuntimeModule, ControlSource {
  readonly name = ACTIVITY_MODULE;
  readonly store: ActivityStore;
  /** Whether the node holds an orchestrator's registration now, as the log last said. */
  private connected = false;

  private readonly onAvailability = (next: AvailabilityState, previous: AvailabilityState): void => {
    for (const happening of availabilityHappenings(next, previous, this.now())) this.record(happening);
  };

  private readonly onTaskStarted = (started: TaskStarted): void => {
    const workload = this.components.workloads.describe(started.task);
    this.record({ kind: 'task-started', at: started.startedAt, foldKey: workload.name, detail: { workload: workload.name, orchestrator: started.orchestrator } });
  };

  private readonly onTaskFinished = (task: TaskFinished): void => {
    const workload = this.workloadNames.get(task.taskId) ?? 'A program';
    this.workloadNames.delete(task.taskId);
    if (task.status === 'cancelled') return; // stopped by a pause or a release: not the work's doing
    if (task.status === 'ok') this.record({ kind: 'task-finished', at: task.finishedAt, foldKey: workload, detail: { workload, cpuMs: Math.round(task.cpuMs) } });
    else this.record({ kind: 'task-failed', at: task.finishedAt, foldKey: workload, detail: { workload, status: task.status } });
  };

  /** Workload names by task id, for the finish (which carries no task), bounded by the tasks running. */
  private readonly workloadNames = new Map<string, string>();
  private readonly rememberName = (started: TaskStarted): void => {
    this.workloadNames.set(started.task.taskId, this.components.workloads.describe(started.task).name);
  };

  private readonly onReceipt = (receipt: ReceiptSummary): void => {
    const project = receipt.projectName;
    if (receipt.outcome === 'validated') this.record({ kind: 'result-validated', at: receipt.receivedAt, foldKey: project, detail: { project, credit: receipt.credit, cpuMs: receipt.cpuMs } });
    else this.record({ kind: 'result-rejected', at: receipt.receivedAt, foldKey: project, detail: { project, outcome: receipt.outcome } });
  };

  private readonly onRegistered = (nodeId: string): void => {
    if (this.connected) return;
    this.connected = true;
    this.record({ kind: 'orchestrator-connected', at: this.now(), detail: { orchestrator: nodeId } });
  };

  private readonly onLost = (): void => {
    this.connected = false;
    this.record({ kind: 'orchestrator-lost', at: this.now() });
  };

  private readonly onApproved = (): void => this.record({ kind: 'trusted-approved', at: this.now() });
  private readonly onRevoked = (reason: string): void => this.record({ kind: 'trusted-revoked', at: this.now(), detail: { reason } });

  readonly commands: CommandHandlers = {
    'list-activity': ({ before, limit }) => ({ ok: true, value: pageOf(this.store.get(), before, limit ?? MAX_ACTIVITY_PAGE) }),
  };

  constructor(private readonly components: ActivityComponents) {
    requireComponents(this.name, components, ['dataDir', 'clock', 'ui', 'warn', 'availability', 'vnodes', 'workloads']);
    this.store = new ActivityStore(components.dataDir, components.clock, (error) => components.warn(`warning: activity log: ${error instanceof Error ? error.message : String(error)}`));
  }

  private now(): number {
    return this.components.clock.now();
  }

  /** Writes a happening (also for owners without an event of their own, e.g. a renewed network). */
  record(happening: ActivityHappening): void {
    this.store.update((log) => withHappening(log, happening));
    this.components.ui.stateChanged('activity');
  }

  async start(): Promise<void> {
    const c = this.components;
    await this.store.load((error, aside) => c.warn(`warning: activity log: ${error.message}; set aside as ${aside}`));
    c.availability.on('changed', this.onAvailability);
    c.vnodes.host.on('task-started', this.rememberName);
    c.vnodes.host.on('task-started', this.onTaskStarted);
    c.vnodes.host.on('task-finished', this.onTaskFinished);
    c.membership?.on('orchestrator-registered', this.onRegistered);
    c.membership?.on('orchestrators-lost', this.onLost);
    c.credit?.on('receipt', this.onReceipt);
    c.trusted?.on('trusted-approved', this.onApproved);
    c.trusted?.on('trusted-revoked', this.onRevoked);
  }

  async stop(): Promise<void> {
    const c = this.components;
    c.availability.off('changed', this.onAvailability);
    c.vnodes.host.off('task-started', this.rememberName);
    c.vnodes.host.off('task-started', this.onTaskStarted);
    c.vnodes.host.off('task-finished', this.onTaskFinished);
    c.membership?.off('orchestrator-registered', this.onRegistered);
    c.membership?.off('orchestrators-lost', this.onLost);
    c.credit?.off('receipt', this.onReceipt);
    c.trusted?.off('trusted-approved', this.onApproved);
    c.trusted?.off('trusted-revoked', this.onRevoked);
    await this.store.close();
  }

  state(): Partial<Pick<NodeState, StateSection>> {
    return { activity: this.view() };
  }

  view(): ActivityView {
    const log = this.store.get();
    return { recent: pageOf(log, undefined, RECENT_ACTIVITY_IN_STATE).entries, total: log.entries.length, revision: log.revision };
  }
}
