// The ledger's running totals and its ordering rule, pure. Totals survive rotation: each segment
// of the ledger starts with the totals of everything before it (ledger-file.ts).
//
// Order. Per orchestrator the ledger holds the (epoch, number) of the last receipt stored. The
// next receipt must be in the same epoch with a higher number (one higher: in order; more: the
// receipts between were lost, a gap, counted), or in a later epoch (the orchestrator started
// counting again; the numbers below its first one are gaps). Anything else is older than what the
// ledger holds: E_ADV_STALE_SEQ.
import type { CreditReceipt } from '../../../src-shared/credit/credit-receipt.js';
import { compareEpochs } from '../../../src-shared/credit/credit-receipt.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';

/** Orchestrators one ledger keeps counts for; receipts from one more are refused. */
export const MAX_LEDGER_ORCHESTRATORS = 64;

export interface OrchestratorCount {
  readonly epoch: string;
  readonly seq: number;
  readonly receipts: number;
  readonly credit: number;
}

export interface LedgerTotals {
  /** Receipts stored, all time (the index of the last one). */
  readonly entries: number;
  /** Micro-cobblestones. */
  readonly credit: number;
  readonly validated: number;
  readonly rejected: number;
  readonly gaps: number;
  readonly orchestrators: Readonly<Record<string, OrchestratorCount>>;
}

export const EMPTY_TOTALS: LedgerTotals = { entries: 0, credit: 0, validated: 0, rejected: 0, gaps: 0, orchestrators: {} };

/** Where a receipt falls in its orchestrator's sequence: how many receipts before it never came. */
export function placeReceipt(totals: LedgerTotals, receipt: CreditReceipt): { readonly missing: number } {
  const orchestrator = receipt['orchestrator/node-id'];
  const seq = receipt['sequence/no'];
  const epoch = receipt['sequence/epoch'];
  const last = Object.hasOwn(totals.orchestrators, orchestrator) ? totals.orchestrators[orchestrator] : undefined;
  if (!last) {
    if (Object.keys(totals.orchestrators).length >= MAX_LEDGER_ORCHESTRATORS) {
      throw new ProtocolError('E_PROTO_INVALID', `the ledger counts receipts of ${MAX_LEDGER_ORCHESTRATORS} orchestrators already`);
    }
    return { missing: seq - 1 };
  }
  const order = compareEpochs(epoch, last.epoch);
  if (order > 0) return { missing: seq - 1 };
  if (order < 0) throw new ProtocolError('E_ADV_STALE_SEQ', `receipt ${receipt['receipt/id']} is of sequence epoch ${epoch}, older than ${last.epoch} of ${orchestrator}`);
  if (seq <= last.seq) throw new ProtocolError('E_ADV_STALE_SEQ', `receipt ${receipt['receipt/id']} is number ${seq} of ${orchestrator}, not after ${last.seq}, the last stored`);
  return { missing: seq - last.seq - 1 };
}

/** The totals with one more receipt (placeReceipt said where it falls). */
export function addReceipt(totals: LedgerTotals, receipt: CreditReceipt, missing: number): LedgerTotals {
  const orchestrator = receipt['orchestrator/node-id'];
  const previous = Object.hasOwn(totals.orchestrators, orchestrator) ? totals.orchestrators[orchestrator] : undefined;
  const credit = receipt['credit/micro'];
  const validated = receipt['result/outcome'] === 'validated';
  return {
    entries: totals.entries + 1,
    credit: totals.credit + credit,
    validated: totals.validated + (validated ? 1 : 0),
    rejected: totals.rejected + (validated ? 0 : 1),
    gaps: totals.gaps + missing,
    orchestrators: {
      ...totals.orchestrators,
      [orchestrator]: { epoch: receipt['sequence/epoch'], seq: receipt['sequence/no'], receipts: (previous?.receipts ?? 0) + 1, credit: (previous?.credit ?? 0) + credit },
    },
  };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** Totals as a segment head carries them; undefined when any part is malformed. */
export function decodeTotals(raw: unknown): LedgerTotals | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const v = raw as Record<string, unknown>;
  const numbers = ['entries', 'credit', 'validated', 'rejected', 'gaps'].map((key) => count(v[key]));
  if (numbers.some((n) => n === undefined)) return undefined;
  const list = v['orchestrators'];
  if (typeof list !== 'object' || list === null || Array.isArray(list)) return undefined;
  const entries = Object.entries(list as Record<string, unknown>);
  if (entries.length > MAX_LEDGER_ORCHESTRATORS) return undefined;
  const orchestrators: Record<string, OrchestratorCount> = {};
  for (const [id, value] of entries) {
    if (typeof value !== 'object' || value === null) return undefined;
    const o = value as Record<string, unknown>;
    const [seq, receipts, credit] = [count(o['seq']), count(o['receipts']), count(o['credit'])];
    if (typeof o['epoch'] !== 'string' || seq === undefined || receipts === undefined || credit === undefined) return undefined;
    orchestrators[id] = { epoch: o['epoch'], seq, receipts, credit };
  }
  const [entriesCount, credit, validated, rejected, gaps] = numbers as number[];
  return { entries: entriesCount!, credit: credit!, validated: validated!, rejected: rejected!, gaps: gaps!, orchestrators };
}
