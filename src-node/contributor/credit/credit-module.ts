// The contributor's credit (issue 13 §5) as a runtime module ('credit'): takes the credit
// receipts orchestrators deliver (`credit-receipt` requests), stores each in the ledger once it
// verifies (credit-ledger.ts), acknowledges it (`credit-receipt` reply) or refuses it with its code
// (an `error` with re/id, traced as error/occurred), keeps count of the results that wait for a
// receipt (pending-results.ts), and shows it all in the control state (`credit`) and through
// get-receipt and list-receipts (src-shared/control/credit-view.ts).
//
// Who may credit this PNode: an orchestrator it registers with (membership's targets: the command
// line's and the network descriptor's), over a session with that orchestrator itself. Anyone else
// is refused E_SIG_UNKNOWN_SIGNER before any work is done for them. Receipts wait for the ledger
// one at a time; at most MAX_RECEIPTS_QUEUED_PER_ORCHESTRATOR per orchestrator and
// MAX_RECEIPTS_QUEUED in all wait at once, more are refused E_TRANSPORT_UNAVAILABLE (send again).
import { EventEmitter } from 'node:events';
import type { CommandHandlers } from '../../../src-shared/control/commands.js';
import { EMPTY_CREDIT_VIEW, MAX_RECEIPTS_PAGE, RECENT_RECEIPTS_IN_STATE, type CreditView, type ReceiptSummary } from '../../../src-shared/control/credit-view.js';
import type { NodeState, StateSection } from '../../../src-shared/control/state.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { errorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import type { CreditReceiptBody } from '../../../src-shared/protocol/messages/credit-bodies.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import type { PeerConnection } from '../../kernel/connection/peer-connection.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { ControlSource, RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { TaskFinished } from '../vnode/vnode-host.js';
import type { VNodeHostModule } from '../vnode/vnode-module.js';
import { type Appended, CreditLedger, type CreditLedgerOptions } from './credit-ledger.js';
import type { LedgerTotals } from './ledger-totals.js';
import { PendingResults } from './pending-results.js';

export const CREDIT_MODULE = 'credit';
export const MAX_RECEIPTS_QUEUED_PER_ORCHESTRATOR = 16;
export const MAX_RECEIPTS_QUEUED = 64;

export type CreditComponents = Pick<KernelComponents, 'dataDir' | 'identity' | 'crypto' | 'clock' | 'connections' | 'traces' | 'ui' | 'warn'> & {
  /** The orchestrators this PNode registers with (only they may credit it). */
  readonly membership: { link(nodeId: string): unknown };
  /** Where tasks end: a task that ended ok waits for its receipt. */
  readonly vnodes: Pick<VNodeHostModule, 'host'>;
};

export interface CreditModuleOptions {
  /** Passed to the ledger (tests: small segments). */
  readonly ledger?: Pick<CreditLedgerOptions, 'segmentBytes' | 'maxSegments' | 'fsync'>;
}

export interface CreditModuleEvents {
  /** A receipt was stored in the ledger. */
  receipt: [summary: ReceiptSummary];
}

export class CreditModule extends EventEmitter<CreditModuleEvents> implements RuntimeModule, ControlSource {
  readonly name = CREDIT_MODULE;
  private ledgerNow: CreditLedger | undefined;
  private readonly pending: PendingResults;
  private readonly queued = new Map<string, number>();
  private queuedTotal = 0;
  private refused = 0;
  private lastReceiptAt: number | null = null;
  private stopped = false;

  private readonly onAppended = (appended: Appended): void => {
    const { summary, missing } = appended;
    this.lastReceiptAt = summary.receivedAt;
    this.pending.settle(summary.orchestrator, summary.taskId);
    if (missing > 0) this.components.warn(`warning: credit: ${missing} receipt(s) of ${summary.orchestrator} before ${summary.receiptId} never arrived`);
    this.emit('receipt', summary);
    this.components.ui.stateChanged('credit');
  };

  private readonly onTaskFinished = (task: TaskFinished): void => {
    if (task.status !== 'ok') return;
    this.pending.add(task.orchestrator, task.taskId, task.finishedAt);
    this.components.ui.stateChanged('credit');
  };

  readonly commands: CommandHandlers = {
    'get-receipt': async ({ receiptId }) => {
      const detail = this.ledgerNow ? await this.ledgerNow.detail(receiptId) : null;
      return detail ? { ok: true, value: detail } : { ok: false, error: { code: 'failed', message: `no receipt ${receiptId} in this node's ledger` } };
    },
    'list-receipts': ({ before, limit }) => {
      if (!this.ledgerNow) return { ok: true, value: { receipts: [], nextBefore: null } };
      return { ok: true, value: this.ledgerNow.page(before, limit ?? MAX_RECEIPTS_PAGE) };
    },
  };

  constructor(
    private readonly components: CreditComponents,
    private readonly options: CreditModuleOptions = {},
  ) {
    super();
    requireComponents(this.name, components, ['dataDir', 'identity', 'crypto', 'clock', 'connections', 'traces', 'ui', 'warn', 'membership', 'vnodes']);
    this.pending = new PendingResults(components.dataDir, components.clock, (error) => this.warn(error));
  }

  /** The ledger, once started. */
  get ledger(): CreditLedger | undefined {
    return this.ledgerNow;
  }

  async start(): Promise<void> {
    const { connections, dataDir, crypto, identity, clock } = this.components;
    await this.pending.load((error, aside) => this.warn(new Error(`${error.message}; set aside as ${aside}`)));
    const ledger = await CreditLedger.open({ ...this.options.ledger, dataDir, crypto, self: identity.nodeId, clock });
    for (const problem of ledger.loadReport.problems) this.components.warn(`warning: credit ledger: ${problem}`);
    this.ledgerNow = ledger;
    this.lastReceiptAt = ledger.recent(1)[0]?.receivedAt ?? null;
    ledger.on('appended', this.onAppended);
    this.components.vnodes.host.on('task-finished', this.onTaskFinished);
    connections.handle('credit-receipt', (connection, body) => this.onReceiptMessage(connection, body));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.components.vnodes.host.off('task-finished', this.onTaskFinished);
    this.ledgerNow?.off('appended', this.onAppended);
    await this.ledgerNow?.close();
    await this.pending.close();
  }

  /** Receipts stored after ledger index `n` that the ledger still holds, oldest first. */
  receiptsSince(n: number): ReceiptSummary[] {
    return this.ledgerNow?.since(n) ?? [];
  }

  /** The totals of the receipts the ledger has rotated away (see CreditLedger.rotatedAway). */
  receiptsRotatedAway(): LedgerTotals | undefined {
    return this.ledgerNow?.rotatedAway;
  }

  state(): Partial<Pick<NodeState, StateSection>> {
    return { credit: this.view() };
  }

  view(): CreditView {
    const ledger = this.ledgerNow;
    if (!ledger) return EMPTY_CREDIT_VIEW;
    const totals = ledger.totals;
    return {
      unit: 'micro-cobblestone',
      total: totals.credit,
      validated: totals.validated,
      rejected: totals.rejected,
      pending: this.pending.count(),
      receipts: totals.entries,
      gaps: totals.gaps,
      refused: this.refused,
      lastReceiptAt: this.lastReceiptAt,
      recent: ledger.recent(RECENT_RECEIPTS_IN_STATE),
    };
  }

  private knows(nodeId: string): boolean {
    return this.components.membership.link(nodeId) !== undefined;
  }

  private onReceiptMessage(connection: PeerConnection, body: CreditReceiptBody): void {
    const reqId = body['req/id'];
    // Replies are the orchestrator side's; a PNode sends no requests.
    if (reqId === undefined || this.stopped || !this.ledgerNow) return;
    const peer = connection.peerNodeId;
    if (!this.knows(peer)) {
      // Traced, not counted: any node with a session could inflate the count the volunteer sees.
      return this.refuse(connection, reqId, new ProtocolError('E_SIG_UNKNOWN_SIGNER', `credit receipts are taken only from the orchestrators this PNode registers with, not from ${peer}`), false);
    }
    const waiting = this.queued.get(peer) ?? 0;
    if (waiting >= MAX_RECEIPTS_QUEUED_PER_ORCHESTRATOR || this.queuedTotal >= MAX_RECEIPTS_QUEUED) {
      return this.refuse(connection, reqId, new ProtocolError('E_TRANSPORT_UNAVAILABLE', `busy: ${waiting} receipts of this orchestrator wait for the ledger; send it again later`));
    }
    this.queued.set(peer, waiting + 1);
    this.queuedTotal++;
    const ledger = this.ledgerNow;
    void ledger
      .append(body.receipt, (signer) => signer === peer && this.knows(signer))
      .then((result) => {
        if (!result.ok) return this.refuse(connection, reqId, result.error);
        connection.send('credit-receipt', { 're/id': reqId, 'receipt/id': result.value.summary.receiptId });
      })
      .catch((error: unknown) => this.warn(error))
      .finally(() => {
        const left = (this.queued.get(peer) ?? 1) - 1;
        if (left > 0) this.queued.set(peer, left);
        else this.queued.delete(peer);
        this.queuedTotal--;
      });
  }

  private refuse(connection: PeerConnection, reqId: string, error: ProtocolError, count = true): void {
    connection.send('error', errorBody(error, reqId));
    this.components.traces.emit('error/occurred', { peer: connection.peerNodeId, detail: errorDetail(error, { kind: 'credit-receipt', 'req/id': reqId }) });
    // A receipt to send again later is not refused.
    if (!count || error.code === 'E_TRANSPORT_UNAVAILABLE') return;
    this.refused++;
    this.components.ui.stateChanged('credit');
  }

  private warn(error: unknown): void {
    this.components.warn(`warning: credit: ${error instanceof Error ? error.message : String(error)}`);
  }
}
