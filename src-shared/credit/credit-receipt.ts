// credit-receipt.v1 (issue 13 §5): what an orchestrator tells a PNode about one result it
// returned — what validation decided and the credit it earned — signed by the orchestrator's node
// key. Pure: no I/O; time comes in as `now`.
//
// Sequence. Receipts from one orchestrator to one PNode are numbered 1, 2, 3, … within an epoch
// (`sequence/epoch`, a time-ordered id the orchestrator picks when it starts counting for that
// PNode, and again if it ever lost the count). The PNode keeps the last (epoch, number) per
// orchestrator: a lower number, or an older epoch, is a replay; a number past the next one means
// receipts were lost on the way (a gap, counted and shown, not refused).
//
// Codes (verifyCreditReceipt), cheapest check first:
//   E_PROTO_INVALID       oversized, malformed (schema), inconsistent (credit for a result that
//                         was not validated, more credit than its own CPU time and speed give,
//                         credited CPU above the reported), validated-at in the future, or a
//                         receipt for another PNode
//   E_SIG_UNKNOWN_SIGNER  signed by an orchestrator this PNode has no session or registration with
//   E_SIG_INVALID         the signature does not verify
import { ProtocolError, type Result, attempt, fail } from '../protocol/errors.js';
import { checkSchema } from '../protocol/schema-gate.js';
import { verifyArtifact } from '../protocol/verify.js';
import { type ArtifactSignature, signArtifact } from '../protocol/signing.js';
import { nodeIdFromPublicKey, parseFingerprint, parseNodeId } from '../protocol/did-key.js';
import { formatTimestamp, parseTimestamp } from '../protocol/time.js';
import { newId } from '../protocol/ids.js';
import { HANDSHAKE_MAX_CLOCK_SKEW_MS } from '../protocol/profile.js';
import type { JsonObject } from '../protocol/artifacts.js';
import type { CryptoProvider, Ed25519Signer } from '../protocol/crypto/provider.js';
import { type CreditAward, MAX_CREDITED_BENCH_MOPS, MAX_CREDITED_CPU_MS, MAX_CREDIT_MICRO, type ResultOutcome, creditFor } from './credit-formula.js';

export const CREDIT_RECEIPT_SCHEMA = 'credit-receipt.v1';
export const RECEIPT_ID_PREFIX = 'rcpt';
export const SEQUENCE_EPOCH_PREFIX = 'seq';
/** A receipt as JSON text is at most this long (the schema's bounds keep a real one near 900). */
export const MAX_RECEIPT_JSON_BYTES = 2_048;
/** The largest CPU time a receipt repeats from a PNode's report (ten days; more is clamped). */
export const MAX_RECEIPT_CPU_MS = 10 * MAX_CREDITED_CPU_MS;
export const MAX_PROJECT_NAME_LENGTH = 64;
export const MAX_TASK_ID_LENGTH = 128;
/** validated-at may be this far ahead of the PNode's clock. */
export const RECEIPT_CLOCK_SKEW_MS = HANDSHAKE_MAX_CLOCK_SKEW_MS;

export interface CreditReceipt {
  readonly 'schema/v': 1;
  readonly 'receipt/id': string;
  readonly 'orchestrator/node-id': string;
  readonly 'pnode/node-id': string;
  /** Fingerprint (z…) of the project key. */
  readonly 'project/key': string;
  readonly 'project/name': string;
  /** The id the PNode received in the vnode-task. */
  readonly 'task/id': string;
  readonly 'result/outcome': ResultOutcome;
  readonly 'validated-at': string;
  readonly 'cpu/ms': number;
  readonly 'credited/cpu-ms': number;
  readonly 'bench/mops': number;
  /** Micro-cobblestones. */
  readonly 'credit/micro': number;
  readonly 'sequence/epoch': string;
  readonly 'sequence/no': number;
  readonly signature: ArtifactSignature;
}

export interface ReceiptInput {
  readonly pnode: string;
  readonly project: { readonly key: string; readonly name: string };
  readonly taskId: string;
  readonly outcome: ResultOutcome;
  /** Milliseconds since the epoch. */
  readonly validatedAt: number;
  /** The CPU time the PNode reported (clamped to MAX_RECEIPT_CPU_MS). */
  readonly cpuMs: number;
  readonly award: CreditAward;
  readonly epoch: string;
  readonly sequence: number;
  readonly receiptId?: string;
}

/** A new sequence epoch id (time-ordered: a later epoch sorts after an earlier one). */
export function newSequenceEpoch(now: number): string {
  return newId(SEQUENCE_EPOCH_PREFIX, now);
}

/** The receipt for one result, signed by the orchestrator's key (orchestrator/node-id is that key's). */
export function issueCreditReceipt(input: ReceiptInput, orchestrator: Ed25519Signer): CreditReceipt {
  const payload: JsonObject = {
    'schema/v': 1,
    'receipt/id': input.receiptId ?? newId(RECEIPT_ID_PREFIX, input.validatedAt),
    'orchestrator/node-id': nodeIdFromPublicKey(orchestrator.publicKey),
    'pnode/node-id': input.pnode,
    'project/key': input.project.key,
    'project/name': input.project.name,
    'task/id': input.taskId,
    'result/outcome': input.outcome,
    'validated-at': formatTimestamp(input.validatedAt),
    'cpu/ms': Math.min(Math.max(0, Math.floor(input.cpuMs)), MAX_RECEIPT_CPU_MS),
    'credited/cpu-ms': input.award.creditedCpuMs,
    'bench/mops': input.award.creditedBenchMops,
    'credit/micro': input.outcome === 'validated' ? input.award.creditMicro : 0,
    'sequence/epoch': input.epoch,
    'sequence/no': input.sequence,
  };
  // The payload is checked as the PNode will check it: a receipt we would refuse is never signed.
  const rules = attempt(() => checkReceiptRules(payload as unknown as CreditReceipt));
  if (!rules.ok) throw rules.error;
  return signArtifact(CREDIT_RECEIPT_SCHEMA, payload, orchestrator) as unknown as CreditReceipt;
}

function invalid(path: string, why: string): ProtocolError {
  return new ProtocolError('E_PROTO_INVALID', `${CREDIT_RECEIPT_SCHEMA} ${path}: ${why}`);
}

function parsed(path: string, parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    throw invalid(path, error instanceof ProtocolError ? error.detail : 'unparseable');
  }
}

/** The rules beyond the schema: ids strictly parsed, and the numbers consistent with each other. */
export function checkReceiptRules(receipt: CreditReceipt): void {
  parsed('$["orchestrator/node-id"]', () => parseNodeId(receipt['orchestrator/node-id']));
  parsed('$["pnode/node-id"]', () => parseNodeId(receipt['pnode/node-id']));
  parsed('$["project/key"]', () => parseFingerprint(receipt['project/key']));
  if (receipt['orchestrator/node-id'] === receipt['pnode/node-id']) throw invalid('$["pnode/node-id"]', 'an orchestrator does not credit itself');
  if (receipt['credited/cpu-ms'] > receipt['cpu/ms']) throw invalid('$["credited/cpu-ms"]', 'is more than the CPU time reported');
  if (receipt['credited/cpu-ms'] > MAX_CREDITED_CPU_MS) throw invalid('$["credited/cpu-ms"]', `is more than ${MAX_CREDITED_CPU_MS}`);
  if (receipt['bench/mops'] > MAX_CREDITED_BENCH_MOPS) throw invalid('$["bench/mops"]', `is more than ${MAX_CREDITED_BENCH_MOPS}`);
  const credit = receipt['credit/micro'];
  if (receipt['result/outcome'] !== 'validated' && credit !== 0) throw invalid('$["credit/micro"]', `a result that is ${receipt['result/outcome']} earns nothing`);
  if (credit > MAX_CREDIT_MICRO || credit > creditFor(receipt['credited/cpu-ms'], receipt['bench/mops'])) {
    throw invalid('$["credit/micro"]', 'is more than its credited CPU time and speed earn');
  }
  if (!Number.isFinite(parseTimestamp(receipt['validated-at']))) throw invalid('$["validated-at"]', 'is not a time');
}

export interface VerifyReceiptOptions {
  readonly crypto: CryptoProvider;
  /** This PNode's node id: a receipt must name it. */
  readonly self: string;
  /** Whether this orchestrator may credit us (one we have a session or registration with). */
  readonly knownOrchestrator: (nodeId: string) => boolean;
  /** When given, validated-at may be at most RECEIPT_CLOCK_SKEW_MS ahead of it. */
  readonly now?: number;
}

function jsonBytesOver(value: unknown, limit: number): boolean {
  try {
    return JSON.stringify(value).length > limit;
  } catch {
    return true;
  }
}

/** Full check, cheapest first (the header lists the codes). */
export function verifyCreditReceipt(value: unknown, options: VerifyReceiptOptions): Result<CreditReceipt> {
  if (jsonBytesOver(value, MAX_RECEIPT_JSON_BYTES)) return fail('E_PROTO_INVALID', `${CREDIT_RECEIPT_SCHEMA} is larger than ${MAX_RECEIPT_JSON_BYTES} bytes`);
  const shaped = checkSchema<CreditReceipt>(CREDIT_RECEIPT_SCHEMA, value);
  if (!shaped.ok) return shaped;
  const receipt = shaped.value;
  const rules = attempt(() => checkReceiptRules(receipt));
  if (!rules.ok) return rules;
  if (receipt['pnode/node-id'] !== options.self) return fail('E_PROTO_INVALID', `${CREDIT_RECEIPT_SCHEMA} ${receipt['receipt/id']} is for ${receipt['pnode/node-id']}, not for this PNode`);
  if (options.now !== undefined && parseTimestamp(receipt['validated-at']) > options.now + RECEIPT_CLOCK_SKEW_MS) {
    return fail('E_PROTO_INVALID', `${CREDIT_RECEIPT_SCHEMA} ${receipt['receipt/id']} says it was validated at ${receipt['validated-at']}, in the future`);
  }
  if (!options.knownOrchestrator(receipt['orchestrator/node-id'])) {
    return fail('E_SIG_UNKNOWN_SIGNER', `${CREDIT_RECEIPT_SCHEMA} ${receipt['receipt/id']} is signed by ${receipt['orchestrator/node-id']}, an orchestrator this PNode is not registered with`);
  }
  const verified = verifyArtifact<CreditReceipt & JsonObject>(CREDIT_RECEIPT_SCHEMA, receipt, { crypto: options.crypto });
  return verified.ok ? { ok: true, value: verified.value } : verified;
}

/** `seq:<ULID>` epochs sort by time: a negative number when `a` is older than `b`. */
export function compareEpochs(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
