import { describe, expect, it } from 'vitest';
import { portableCrypto } from '../protocol/crypto/portable-provider.js';
import { fingerprintFromPublicKey, nodeIdFromPublicKey } from '../protocol/did-key.js';
import { signArtifact, signingInput } from '../protocol/signing.js';
import { concatBytes, utf8 } from '../protocol/encoding/bytes.js';
import { encodeDeterministic } from '../protocol/encoding/dcbor.js';
import type { JsonObject } from '../protocol/artifacts.js';
import { computeCredit, creditFor } from './credit-formula.js';
import { CREDIT_RECEIPT_SCHEMA, type CreditReceipt, MAX_RECEIPT_CPU_MS, type ReceiptInput, compareEpochs, issueCreditReceipt, newSequenceEpoch, verifyCreditReceipt } from './credit-receipt.js';

const crypto = portableCrypto;
const orchestratorKey = crypto.ed25519Signer(new Uint8Array(32).fill(1));
const otherOrchestratorKey = crypto.ed25519Signer(new Uint8Array(32).fill(2));
const pnodeKey = crypto.ed25519Signer(new Uint8Array(32).fill(3));
const projectKey = crypto.ed25519Signer(new Uint8Array(32).fill(4));
const ORCHESTRATOR = nodeIdFromPublicKey(orchestratorKey.publicKey);
const OTHER = nodeIdFromPublicKey(otherOrchestratorKey.publicKey);
const PNODE = nodeIdFromPublicKey(pnodeKey.publicKey);
const NOW = Date.parse('2026-11-21T12:00:00Z');

function input(change: Partial<ReceiptInput> = {}): ReceiptInput {
  return {
    pnode: PNODE,
    project: { key: fingerprintFromPublicKey(projectKey.publicKey), name: 'Primes below a million' },
    taskId: 'att:01JTASK0001',
    outcome: 'validated',
    validatedAt: NOW,
    cpuMs: 43_200,
    award: computeCredit({ outcome: change.outcome ?? 'validated', claim: { cpuMs: 43_200, benchMops: 2_000, wallMs: 50_000 }, budgetMs: 60_000 }),
    epoch: 'seq:01JEPOCH0001',
    sequence: 1,
    ...change,
  };
}

const options = { crypto, self: PNODE, knownOrchestrator: (id: string) => id === ORCHESTRATOR, now: NOW };

/** Signed again by `key` after `change` (a forgery that gets past the schema). */
function resigned(receipt: CreditReceipt, change: (r: JsonObject) => void, key = orchestratorKey): JsonObject {
  const copy = structuredClone(receipt) as unknown as JsonObject;
  change(copy);
  return signArtifact(CREDIT_RECEIPT_SCHEMA, copy, key);
}

function code(value: unknown, opts = options): string {
  const result = verifyCreditReceipt(value, opts);
  return result.ok ? 'ok' : result.error.code;
}

describe('credit-receipt.v1', () => {
  it('is signed by the orchestrator over "credit-receipt.v1" 0x00 ‖ dcbor(payload without signature)', () => {
    const receipt = issueCreditReceipt(input(), orchestratorKey);
    expect(receipt['orchestrator/node-id']).toBe(ORCHESTRATOR);
    expect(receipt['credit/micro']).toBe(creditFor(43_200, 2_000));
    expect(receipt['receipt/id']).toMatch(/^rcpt:[0-9A-Z]{26}$/);
    const { signature, ...payload } = receipt;
    const expected = concatBytes(utf8('credit-receipt.v1'), Uint8Array.of(0), encodeDeterministic(payload as JsonObject));
    expect(Buffer.from(signingInput(CREDIT_RECEIPT_SCHEMA, receipt as unknown as JsonObject)).equals(Buffer.from(expected))).toBe(true);
    expect(crypto.ed25519Verify(orchestratorKey.publicKey, expected, Buffer.from(signature.value, 'base64url'))).toBe(true);
    const verified = verifyCreditReceipt(receipt, options);
    expect(verified.ok && verified.value).toEqual(receipt);
  });

  it('carries no credit for a result that was not validated, and clamps an absurd CPU report', () => {
    const rejected = issueCreditReceipt(input({ outcome: 'invalid' }), orchestratorKey);
    expect(rejected['credit/micro']).toBe(0);
    expect(code(rejected)).toBe('ok');
    const clamped = issueCreditReceipt(input({ cpuMs: 1e15 }), orchestratorKey);
    expect(clamped['cpu/ms']).toBe(MAX_RECEIPT_CPU_MS);
  });

  it('refuses a forged receipt: a field changed after signing is E_SIG_INVALID', () => {
    const receipt = issueCreditReceipt(input(), orchestratorKey);
    expect(code({ ...receipt, 'task/id': 'att:01JOTHERTASK' })).toBe('E_SIG_INVALID');
    expect(code({ ...receipt, 'sequence/no': 2 })).toBe('E_SIG_INVALID');
    expect(code({ ...receipt, signature: { alg: 'ed25519', value: 'A'.repeat(86) } })).toBe('E_SIG_INVALID');
  });

  it('refuses a receipt signed by a key that is not the named orchestrator as E_SIG_INVALID', () => {
    const receipt = issueCreditReceipt(input(), orchestratorKey);
    expect(code(resigned(receipt, () => undefined, otherOrchestratorKey))).toBe('E_SIG_INVALID');
  });

  it('refuses a receipt from an orchestrator this PNode is not registered with as E_SIG_UNKNOWN_SIGNER', () => {
    const receipt = issueCreditReceipt(input(), otherOrchestratorKey);
    expect(receipt['orchestrator/node-id']).toBe(OTHER);
    expect(code(receipt)).toBe('E_SIG_UNKNOWN_SIGNER');
    expect(code(receipt, { ...options, knownOrchestrator: () => true })).toBe('ok');
  });

  it('refuses a receipt for another PNode as E_PROTO_INVALID', () => {
    const receipt = issueCreditReceipt(input({ pnode: OTHER }), orchestratorKey);
    const result = verifyCreditReceipt(receipt, options);
    expect(!result.ok && result.error.code).toBe('E_PROTO_INVALID');
    expect(!result.ok && result.error.detail).toMatch(/not for this PNode/);
  });

  it('refuses malformed and oversized receipts as E_PROTO_INVALID with the failing path', () => {
    const receipt = issueCreditReceipt(input(), orchestratorKey);
    for (const bad of [null, 'receipt', [], {}, { ...receipt, 'schema/v': 2 }, { ...receipt, 'credit/micro': -1 }, { ...receipt, 'credit/micro': '5' }, { ...receipt, extra: true }]) {
      expect(code(bad), JSON.stringify(bad)?.slice(0, 60)).toBe('E_PROTO_INVALID');
    }
    const long = verifyCreditReceipt({ ...receipt, 'project/name': 'x'.repeat(65) }, options);
    expect(!long.ok && long.error.detail).toMatch(/project\/name/);
    const huge = verifyCreditReceipt({ ...receipt, 'task/id': 'x'.repeat(100_000) }, options);
    expect(!huge.ok && huge.error.code).toBe('E_PROTO_INVALID');
    expect(!huge.ok && huge.error.detail).toMatch(/larger than/);
  });

  it('refuses signed receipts whose numbers disagree with themselves as E_PROTO_INVALID', () => {
    const receipt = issueCreditReceipt(input(), orchestratorKey);
    const cases: Array<[string, (r: JsonObject) => void]> = [
      ['credit for an invalid result', (r) => (r['result/outcome'] = 'invalid')],
      ['more credit than its CPU time and speed earn', (r) => (r['credit/micro'] = (r['credit/micro'] as number) + 1)],
      ['credited CPU above the reported', (r) => (r['credited/cpu-ms'] = (r['cpu/ms'] as number) + 1)],
      ['an orchestrator crediting itself', (r) => (r['pnode/node-id'] = r['orchestrator/node-id'])],
      ['validated in the future', (r) => (r['validated-at'] = '2026-11-21T13:00:00Z')],
      ['a project key that is not a key', (r) => (r['project/key'] = 'z111')],
    ];
    for (const [label, change] of cases) {
      const forged = resigned(receipt, change);
      const result = verifyCreditReceipt(forged, { ...options, self: forged['pnode/node-id'] as string });
      expect(!result.ok && result.error.code, label).toBe('E_PROTO_INVALID');
    }
  });

  it('is never signed when the issuing orchestrator would refuse it itself', () => {
    expect(() => issueCreditReceipt(input({ pnode: ORCHESTRATOR }), orchestratorKey)).toThrow(expect.objectContaining({ code: 'E_PROTO_INVALID' }));
    const inflated = input();
    expect(() => issueCreditReceipt({ ...inflated, award: { ...inflated.award, creditMicro: inflated.award.creditMicro * 2 } }, orchestratorKey)).toThrow(expect.objectContaining({ code: 'E_PROTO_INVALID' }));
  });

  it('numbers epochs so a later one sorts after an earlier one', () => {
    const early = newSequenceEpoch(NOW);
    const late = newSequenceEpoch(NOW + 1_000);
    expect(early).toMatch(/^seq:[0-9A-Z]{26}$/);
    expect(compareEpochs(early, late)).toBeLessThan(0);
    expect(compareEpochs(late, early)).toBeGreaterThan(0);
    expect(compareEpochs(late, late)).toBe(0);
  });
});
