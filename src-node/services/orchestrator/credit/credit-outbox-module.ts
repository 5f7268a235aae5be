// Credit on the orchestrator (issue 13 §5) as a runtime module ('credit-outbox'): the work
// scheduler calls `onValidated(fact)` for each result validation decided about; the receipt is
// issued into the outbox (credit-outbox.ts, on disk) and delivered to its PNode over the session
// the PNode keeps with this orchestrator, one at a time per PNode, in sequence order:
//
//   credit-receipt {req/id, receipt} →      ← credit-receipt {re/id, receipt/id}: delivered
//                                            ← error {re/id, E_HS_REPLAY}: it had it, delivered
//                                            ← error {re/id, E_TRANSPORT_UNAVAILABLE}: again after RETRY_AFTER_MS
//                                            ← error {re/id, any other code}: refused for good
//
// A receipt not answered within ACK_TIMEOUT_MS, or whose session closed, is sent again; a PNode
// that is not connected gets its receipts when its session comes back (also after a restart of
// either side: the outbox is on disk).
import type { CreditReceiptBody } from '../../../../src-shared/protocol/messages/credit-bodies.js';
import type { ErrorBody } from '../../../../src-shared/protocol/messages/core-bodies.js';
import { newId } from '../../../../src-shared/protocol/ids.js';
import type { PeerConnection } from '../../../kernel/connection/peer-connection.js';
import type { SessionMessage } from '../../../../src-shared/protocol/messages/session-message.js';
import type { KernelComponents } from '../../../kernel/runtime/components.js';
import { requireComponents } from '../../../kernel/runtime/components.js';
import type { RuntimeModule } from '../../../kernel/runtime/runtime-module.js';
import { CreditOutbox, type CreditOutboxOptions, type IssueOutcome } from './credit-outbox.js';
import type { ValidatedFact } from './validated-fact.js';

export const CREDIT_OUTBOX_MODULE = 'credit-outbox';
/** A receipt sent and not answered within this long is sent again. */
export const ACK_TIMEOUT_MS = 30_000;
/** A PNode that answered "busy" (E_TRANSPORT_UNAVAILABLE) is sent to again after this long. */
export const RETRY_AFTER_MS = 5_000;
/** How often timeouts and retries are looked at. */
export const OUTBOX_TICK_MS = 1_000;
/** How often receipts past their time are dropped. */
export const OUTBOX_EXPIRE_EVERY_MS = 10 * 60_000;

export type CreditOutboxComponents = Pick<KernelComponents, 'dataDir' | 'identity' | 'clock' | 'connections' | 'warn'>;

export interface CreditOutboxModuleOptions {
  readonly ackTimeoutMs?: number;
  readonly retryAfterMs?: number;
  readonly tickMs?: number;
  /** Passed to the outbox (tests: smaller bounds, no fsync). */
  readonly outbox?: Pick<CreditOutboxOptions, 'maxPerPNode' | 'maxReceipts' | 'maxPNodes' | 'compactMinBytes' | 'receiptTtlMs' | 'fsync'>;
}

export interface CreditOutboxStats {
  issued: number;
  /** Facts reported again (answered with the receipt issued before). */
  repeated: number;
  sent: number;
  /** Acknowledged by the PNode, or answered E_HS_REPLAY (it had it). */
  delivered: number;
  refused: number;
  dropped: number;
  busy: number;
  timeouts: number;
}

interface InFlight {
  readonly reqId: string;
  readonly receiptId: string;
  readonly sentAt: number;
}

export class CreditOutboxModule implements RuntimeModule {
  readonly name = CREDIT_OUTBOX_MODULE;
  readonly stats: CreditOutboxStats = { issued: 0, repeated: 0, sent: 0, delivered: 0, refused: 0, dropped: 0, busy: 0, timeouts: 0 };
  private outboxNow: CreditOutbox | undefined;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly retryAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastExpiry = 0;
  private stopped = false;
  private readonly ackTimeoutMs: number;
  private readonly retryAfterMs: number;

  private readonly onConnected = (connection: PeerConnection): void => this.pump(connection.peerNodeId);
  private readonly onDisconnected = (connection: PeerConnection): void => {
    this.inFlight.delete(connection.peerNodeId);
  };
  private readonly onMessage = (connection: PeerConnection, message: SessionMessage): void => {
    if (message.kind !== 'error') return;
    const body = message.body as ErrorBody;
    const pnode = connection.peerNodeId;
    const flight = this.inFlight.get(pnode);
    if (!flight || body['re/id'] !== flight.reqId) return;
    this.inFlight.delete(pnode);
    if (body.code === 'E_TRANSPORT_UNAVAILABLE') {
      this.stats.busy++;
      this.retryAt.set(pnode, this.components.clock.now() + this.retryAfterMs);
      return;
    }
    if (body.code === 'E_HS_REPLAY') {
      if (this.outbox.settle(pnode, flight.receiptId, 'delivered')) this.stats.delivered++;
    } else {
      if (this.outbox.settle(pnode, flight.receiptId, 'refused')) this.stats.refused++;
      this.components.warn(`warning: credit: ${pnode} refused receipt ${flight.receiptId}: ${body.code} ${body.detail}`);
    }
    this.pump(pnode);
  };

  constructor(
    private readonly components: CreditOutboxComponents,
    private readonly options: CreditOutboxModuleOptions = {},
  ) {
    requireComponents(this.name, components, ['dataDir', 'identity', 'clock', 'connections', 'warn']);
    this.ackTimeoutMs = options.ackTimeoutMs ?? ACK_TIMEOUT_MS;
    this.retryAfterMs = options.retryAfterMs ?? RETRY_AFTER_MS;
  }

  /** The outbox (after start). */
  get outbox(): CreditOutbox {
    if (!this.outboxNow) throw new Error('the credit outbox has not started');
    return this.outboxNow;
  }

  async start(): Promise<void> {
    const { connections, dataDir, clock, identity, warn } = this.components;
    this.outboxNow = await CreditOutbox.open({
      ...this.options.outbox,
      dataDir,
      clock,
      signer: identity.signer,
      onDropped: (receipt, why) => {
        this.stats.dropped++;
        warn(`warning: credit: receipt ${receipt['receipt/id']} for ${receipt['pnode/node-id']} dropped: ${why}`);
      },
      onError: (error) => warn(`warning: credit outbox: ${error.message}`),
    });
    const report = this.outboxNow.loadReport;
    if (report.tornBytes > 0 || report.corruptLines > 0) warn(`warning: credit outbox: ${report.tornBytes} torn bytes cut off, ${report.corruptLines} damaged records skipped`);
    connections.handle('credit-receipt', (connection, body) => this.onReply(connection, body));
    connections.on('connected', this.onConnected);
    connections.on('disconnected', this.onDisconnected);
    connections.on('message', this.onMessage);
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? OUTBOX_TICK_MS);
    this.timer.unref();
    for (const pnode of this.outboxNow.pnodesWaiting()) this.pump(pnode);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const { connections } = this.components;
    connections.off('connected', this.onConnected);
    connections.off('disconnected', this.onDisconnected);
    connections.off('message', this.onMessage);
    await this.outboxNow?.close();
  }

  /**
   * The scheduler's hook: validation decided about one result of one PNode. Resolves once the
   * receipt is on disk (it is then delivered whenever the PNode is connected).
   */
  async onValidated(fact: ValidatedFact): Promise<IssueOutcome> {
    const outcome = await this.outbox.issue(fact);
    if (outcome.duplicate) this.stats.repeated++;
    else this.stats.issued++;
    this.pump(fact.pnode);
    return outcome;
  }

  /** Sends the PNode its next receipt, unless one is out already, it is not connected, or it asked to wait. */
  private pump(pnode: string): void {
    if (this.stopped || !this.outboxNow || this.inFlight.has(pnode)) return;
    const now = this.components.clock.now();
    const retry = this.retryAt.get(pnode);
    if (retry !== undefined) {
      if (retry > now) return;
      this.retryAt.delete(pnode);
    }
    const receipt = this.outboxNow.next(pnode);
    if (!receipt) return;
    const connection = this.components.connections.get(pnode);
    if (!connection?.isOpen) return;
    const reqId = newId('cr', now);
    let sent = false;
    try {
      sent = connection.send('credit-receipt', { 'req/id': reqId, receipt: receipt as unknown as Record<string, unknown> });
    } catch (error) {
      this.components.warn(`warning: credit: receipt ${receipt['receipt/id']} could not be sent: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!sent) return;
    this.stats.sent++;
    this.inFlight.set(pnode, { reqId, receiptId: receipt['receipt/id'], sentAt: now });
  }

  private onReply(connection: PeerConnection, body: CreditReceiptBody): void {
    const reId = body['re/id'];
    if (reId === undefined || !this.outboxNow) return; // a PNode sends no receipts
    const pnode = connection.peerNodeId;
    const flight = this.inFlight.get(pnode);
    if (!flight || flight.reqId !== reId || body['receipt/id'] !== flight.receiptId) return;
    this.inFlight.delete(pnode);
    if (this.outboxNow.settle(pnode, flight.receiptId, 'delivered')) this.stats.delivered++;
    this.pump(pnode);
  }

  private tick(): void {
    const now = this.components.clock.now();
    if (now - this.lastExpiry >= OUTBOX_EXPIRE_EVERY_MS) {
      this.lastExpiry = now;
      this.outboxNow?.expire(now);
    }
    for (const [pnode, flight] of [...this.inFlight]) {
      if (flight.sentAt + this.ackTimeoutMs > now) continue;
      this.inFlight.delete(pnode);
      this.stats.timeouts++;
      this.pump(pnode);
    }
    for (const [pnode, at] of [...this.retryAt]) if (at <= now) this.pump(pnode);
  }
}
