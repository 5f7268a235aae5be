// The contribution history (issue 14 §1) as a runtime module ('contribution-history'): what this
// node gave, per local hour for a day and per local day for a month, and in all (CPU time, tasks
// done, validated, rejected, credit). Fed by the VNode host (every task that ends, with the CPU
// time it used, spread over the hours it ran in) and by the credit ledger (every receipt stored);
// kept in <dataDir>/contribution-history.json (contribution-history.ts). Shows the totals in the
// control state (`contributionHistory`) and the buckets through get-history.
//
// On a first start (no history file yet) the all-time totals begin from what the VNode host had
// counted before (its vnode-stats.json), so an upgraded node does not start from zero.
import type { CommandHandlers } from '../../../src-shared/control/commands.js';
import type { ContributionHistoryDetail, ContributionHistoryView, ReceiptSummary } from '../../../src-shared/control/credit-view.js';
import type { NodeState, StateSection } from '../../../src-shared/control/state.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { ControlSource, RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { TaskFinished } from '../vnode/vnode-host.js';
import type { VNodeHostModule } from '../vnode/vnode-module.js';
import { ContributionHistoryStore } from './contribution-history.js';
import { HOUR_MS, type HistoryData, addTotals, dayBuckets, hourBuckets, hourStart, type ReceiptTotals, receiptCount, summary, withLedgerSince, withReceipt, withTask } from './history-buckets.js';

export const HISTORY_MODULE = 'contribution-history';

/** What the history needs of the credit module: its receipts as they are stored, those it holds, and the totals of those it no longer holds. */
export interface ReceiptFeed {
  on(event: 'receipt', listener: (summary: ReceiptSummary) => void): unknown;
  off(event: 'receipt', listener: (summary: ReceiptSummary) => void): unknown;
  receiptsSince(index: number): ReceiptSummary[];
  receiptsRotatedAway(): ReceiptTotals | undefined;
}

export type HistoryComponents = Pick<KernelComponents, 'dataDir' | 'clock' | 'ui' | 'warn'> & {
  readonly vnodes: Pick<VNodeHostModule, 'host'>;
  readonly credit: ReceiptFeed;
};

export class ContributionHistoryModule implements RuntimeModule, ControlSource {
  readonly name = HISTORY_MODULE;
  readonly store: ContributionHistoryStore;
  private hourTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  private readonly onTask = (task: TaskFinished): void => {
    const done = task.status === 'ok';
    this.change((data, now) => withTask(data, { startedAt: task.startedAt, finishedAt: task.finishedAt, cpuMs: task.cpuMs, done }, now));
  };

  private readonly onReceipt = (receipt: ReceiptSummary): void => {
    this.change((data, now) => withReceipt(data, receiptCount(receipt), now));
  };

  readonly commands: CommandHandlers = {
    'get-history': () => ({ ok: true, value: this.detail() }),
  };

  constructor(private readonly components: HistoryComponents) {
    requireComponents(this.name, components, ['dataDir', 'clock', 'ui', 'warn', 'vnodes', 'credit']);
    this.store = new ContributionHistoryStore(components.dataDir, components.clock, (error) => components.warn(`warning: contribution history: ${error instanceof Error ? error.message : String(error)}`));
  }

  async start(): Promise<void> {
    const { vnodes, credit, warn } = this.components;
    await this.store.load((error, aside) => warn(`warning: contribution history: ${error.message}; set aside as ${aside}`));
    if (!this.store.existed) {
      const before = vnodes.host.stats.total();
      this.store.update((data) => ({ ...data, total: addTotals(data.total, { cpuMs: before.cpuMsTotal, tasksDone: before.tasksDone }) }));
    }
    // Receipts the ledger stored while the history's last write did not make it to disk.
    const rotatedAway = credit.receiptsRotatedAway();
    const held = credit.receiptsSince(this.store.get().receiptsThrough);
    if (rotatedAway || held.length > 0) this.change((data, now) => withLedgerSince(data, rotatedAway, held, now));
    vnodes.host.on('task-finished', this.onTask);
    credit.on('receipt', this.onReceipt);
    this.scheduleHour();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.hourTimer) clearTimeout(this.hourTimer);
    this.components.vnodes.host.off('task-finished', this.onTask);
    this.components.credit.off('receipt', this.onReceipt);
    await this.store.close();
  }

  private change(update: (data: HistoryData, now: number) => HistoryData): void {
    const now = this.components.clock.now();
    this.store.update((data) => update(data, now));
    this.components.ui.stateChanged('contributionHistory');
  }

  /** At each new local hour the buckets move on: the UIs are told, though nothing was counted. */
  private scheduleHour(): void {
    if (this.stopped) return;
    const now = this.components.clock.now();
    const wait = Math.max(1_000, hourStart(now) + HOUR_MS - now + 1);
    this.hourTimer = setTimeout(() => {
      this.components.ui.stateChanged('contributionHistory');
      this.scheduleHour();
    }, wait);
    this.hourTimer.unref();
  }

  state(): Partial<Pick<NodeState, StateSection>> {
    return { contributionHistory: this.view() };
  }

  view(): ContributionHistoryView {
    const now = this.components.clock.now();
    const data = this.store.get();
    return { ...summary(data, now), since: data.since, revision: data.revision, hour: hourStart(now) };
  }

  detail(): ContributionHistoryDetail {
    const now = this.components.clock.now();
    const data = this.store.get();
    return { ...this.view(), hours: hourBuckets(data, now), days: dayBuckets(data, now) };
  }
}
