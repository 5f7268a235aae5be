// The chain of trusted registration, pure: authority key → operator-credential.v1 → operator key →
// descriptor; every link broken once, each with its code.
import { describe, expect, it } from 'vitest';
import { portableCrypto } from '../protocol/crypto/portable-provider.js';
import { fingerprintFromPublicKey, nodeIdFromPublicKey } from '../protocol/did-key.js';
import { signArtifact, withoutFields } from '../protocol/signing.js';
import type { JsonObject } from '../protocol/artifacts.js';
import { unsignedDescriptor, verifyDescriptor } from '../membership/descriptor.js';
import { unknownHardwareSummary } from '../hardware/hardware-summary.js';
import { issueCredential, operatorIdFromKey, parseOperatorId, verifyCredential, type OperatorCredential } from './credential.js';
import { attestDescriptor, verifyOperatorAttestation } from './attestation.js';
import { buildRevocationList, revocationIndex, verifyRevocationList } from './revocation-list.js';
import { OPERATOR_ID_PREFIX } from './trust-profile.js';

const crypto = portableCrypto;
const signer = (byte: number) => crypto.ed25519Signer(new Uint8Array(32).fill(byte));
const authority = signer(0xa1);
const otherAuthority = signer(0xa2);
const operator = signer(0xb1);
const otherOperator = signer(0xb2);
const node = signer(0xc1);
const otherNode = signer(0xc2);
const AUTHORITY = fingerprintFromPublicKey(authority.publicKey);
const OPERATOR = fingerprintFromPublicKey(operator.publicKey);
const NODE = nodeIdFromPublicKey(node.publicKey);
const NOW = Date.parse('2026-11-21T12:00:00Z');
const DAY = 86_400_000;

function credential(change: { nodeId?: string; operatorKey?: string; from?: number; until?: number; issuer?: typeof authority } = {}): OperatorCredential {
  return issueCredential(
    { operatorId: operatorIdFromKey(OPERATOR), operatorKey: change.operatorKey ?? OPERATOR, nodeId: change.nodeId ?? NODE, now: NOW, validFrom: change.from ?? NOW, validUntil: change.until ?? NOW + 30 * DAY },
    change.issuer ?? authority,
  );
}

function descriptor(cred: OperatorCredential, options: { operatorSigner?: typeof operator; nodeSigner?: typeof node; tamper?: (attestation: JsonObject) => void } = {}): JsonObject {
  const nodeSigner = options.nodeSigner ?? node;
  const unsigned = unsignedDescriptor({ nodeId: nodeIdFromPublicKey(nodeSigner.publicKey), hardware: unknownHardwareSummary('2026-11-21T12:00:00Z'), offer: { cores: 1, 'memory-mb': 64 }, softwareVersion: 't', now: NOW }) as unknown as JsonObject;
  const attestation = attestDescriptor(unsigned, cred, options.operatorSigner ?? operator) as unknown as JsonObject;
  options.tamper?.(attestation);
  return signArtifact('pnode-descriptor.v1', { ...unsigned, operator: attestation }, nodeSigner);
}

function check(d: JsonObject, options: { keys?: string[]; revoked?: Set<string>; now?: number } = {}) {
  return verifyOperatorAttestation(d, {
    crypto,
    now: options.now ?? NOW + 1_000,
    authorityKeys: options.keys ?? [AUTHORITY],
    revoked: (id) => (options.revoked?.has(id) ? { reason: 'test', revokedAt: '2026-11-21T12:00:00Z' } : undefined),
  });
}

function code(result: { ok: boolean; error?: { code: string } }): string {
  return result.ok ? 'ok' : result.error!.code;
}

describe('operator ids', () => {
  it('derive from the key and parse back to it; a node id is not one', () => {
    const id = operatorIdFromKey(OPERATOR);
    expect(id.startsWith(OPERATOR_ID_PREFIX)).toBe(true);
    expect(parseOperatorId(id)).toEqual(operator.publicKey);
    expect(() => parseOperatorId(NODE)).toThrow(/operator id/);
  });
});

describe('operator-credential.v1', () => {
  it('verifies, with its issuer trusted and inside its window', () => {
    expect(code(verifyCredential(credential(), { crypto, now: NOW, trustedIssuers: [AUTHORITY] }))).toBe('ok');
  });

  it('is refused when forged, from an unknown issuer, out of its window or malformed', () => {
    const forged = { ...credential(), 'node/id': nodeIdFromPublicKey(otherNode.publicKey) };
    expect(code(verifyCredential(forged, { crypto }))).toBe('E_SIG_INVALID');
    expect(code(verifyCredential(credential({ issuer: otherAuthority }), { crypto, trustedIssuers: [AUTHORITY] }))).toBe('E_SIG_UNKNOWN_SIGNER');
    expect(code(verifyCredential(credential({ until: NOW + 1_000 }), { crypto, now: NOW + 1_000 }))).toBe('E_ADV_EXPIRED');
    expect(code(verifyCredential(credential({ from: NOW + DAY }), { crypto, now: NOW }))).toBe('E_ADV_EXPIRED');
    expect(code(verifyCredential(credential({ until: NOW }), { crypto }))).toBe('E_PROTO_INVALID');
    expect(code(verifyCredential(credential({ operatorKey: NODE.slice('node:did:key:'.length) }), { crypto }))).toBe('E_PROTO_INVALID');
    expect(code(verifyCredential({ ...credential(), 'operator/id': 'operator:did:key:z1111' }, { crypto }))).toBe('E_PROTO_INVALID');
  });
});

describe('the operator attestation in a descriptor', () => {
  it('makes a descriptor trusted, and the node signature still covers it all', () => {
    const d = descriptor(credential());
    expect(verifyDescriptor(d, { crypto, now: NOW + 1_000 }).ok).toBe(true);
    const result = check(d);
    expect(result.ok && result.value).toMatchObject({ operatorId: operatorIdFromKey(OPERATOR), operatorKey: OPERATOR, issuerKey: AUTHORITY });
    const moved = { ...d, operator: { ...(d['operator'] as JsonObject), 'operator/key': OPERATOR } };
    (moved['operator'] as JsonObject)['signature'] = { alg: 'ed25519', value: 'A'.repeat(86) };
    expect(verifyDescriptor(moved, { crypto, now: NOW + 1_000 }).ok).toBe(false);
  });

  it('refuses every broken link with its code', () => {
    // The authority's signature altered: forged.
    expect(code(check(descriptor(credential(), { tamper: (a) => ((a['credential'] as JsonObject)['valid-until'] = '2026-12-31T00:00:00Z') })))).toBe('E_SIG_INVALID');
    // An authority this verifier does not trust.
    expect(code(check(descriptor(credential({ issuer: otherAuthority }))))).toBe('E_SIG_UNKNOWN_SIGNER');
    // Expired.
    expect(code(check(descriptor(credential({ until: NOW + 1_000 }))))).toBe('E_ADV_EXPIRED');
    // Revoked.
    const revoked = credential();
    expect(code(check(descriptor(revoked), { revoked: new Set([revoked['credential/id']]) }))).toBe('E_TRANSPORT_REJECTED');
    // Issued for another node.
    expect(code(check(descriptor(credential({ nodeId: nodeIdFromPublicKey(otherNode.publicKey) }))))).toBe('E_SIG_UNKNOWN_SIGNER');
    // Signed by another operator key that says so.
    expect(code(check(descriptor(credential(), { operatorSigner: otherOperator })))).toBe('E_SIG_UNKNOWN_SIGNER');
    // Signed by another operator key that claims to be the credential's.
    expect(code(check(descriptor(credential(), { operatorSigner: otherOperator, tamper: (a) => (a['operator/key'] = OPERATOR) })))).toBe('E_SIG_INVALID');
    // Malformed slot.
    expect(code(check(descriptor(credential(), { tamper: (a) => delete a['operator/key'] })))).toBe('E_PROTO_INVALID');
    expect(code(check(withoutFields(descriptor(credential()), ['operator'])))).toBe('E_PROTO_INVALID');
  });
});

describe('revocation-list.v1', () => {
  it('verifies from a trusted issuer and indexes its entries', () => {
    const list = buildRevocationList({ sequence: 2, now: NOW, revoked: [{ 'credential/id': 'cred:01J1', 'revoked-at': '2026-11-21T12:00:00Z', reason: 'rotated', 'valid-until': '2026-12-21T12:00:00Z' }] }, authority);
    const verified = verifyRevocationList(list, { crypto, trustedIssuers: [AUTHORITY] });
    expect(verified.ok).toBe(true);
    expect(revocationIndex(list).get('cred:01J1')).toEqual({ reason: 'rotated', revokedAt: '2026-11-21T12:00:00Z' });
  });

  it('is refused from an untrusted issuer, forged, or with an entry twice', () => {
    const entry = { 'credential/id': 'cred:01J1', 'revoked-at': '2026-11-21T12:00:00Z', reason: 'x', 'valid-until': '2026-12-21T12:00:00Z' };
    expect(code(verifyRevocationList(buildRevocationList({ sequence: 1, now: NOW, revoked: [entry] }, otherAuthority), { crypto, trustedIssuers: [AUTHORITY] }))).toBe('E_SIG_UNKNOWN_SIGNER');
    expect(code(verifyRevocationList({ ...buildRevocationList({ sequence: 1, now: NOW, revoked: [entry] }, authority), 'sequence/no': 9 }, { crypto, trustedIssuers: [AUTHORITY] }))).toBe('E_SIG_INVALID');
    expect(code(verifyRevocationList(buildRevocationList({ sequence: 1, now: NOW, revoked: [entry, entry] }, authority), { crypto, trustedIssuers: [AUTHORITY] }))).toBe('E_PROTO_INVALID');
  });
});
