// Helpers for trusted-registration tests: raw sessions that speak the trust messages by hand (as a
// hand-written or hostile client would), requests with proofs, and descriptors with attestations.
// Not used by the runtime.
import type { Ed25519Signer } from '../../src-shared/protocol/crypto/provider.js';
import { fingerprintFromPublicKey } from '../../src-shared/protocol/did-key.js';
import { formatTimestamp } from '../../src-shared/protocol/time.js';
import { newId } from '../../src-shared/protocol/ids.js';
import { signArtifact } from '../../src-shared/protocol/signing.js';
import type { JsonObject } from '../../src-shared/protocol/artifacts.js';
import type { SessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import type { ErrorBody } from '../../src-shared/protocol/messages/core-bodies.js';
import type { OperatorEnrollBody, OperatorRenewBody, OperatorRotateBody } from '../../src-shared/protocol/messages/trust-bodies.js';
import { unsignedDescriptor, type PnodeDescriptor } from '../../src-shared/membership/descriptor.js';
import { unknownHardwareSummary } from '../../src-shared/hardware/hardware-summary.js';
import { attestDescriptor } from '../../src-shared/trust/attestation.js';
import type { OperatorCredential } from '../../src-shared/trust/credential.js';
import { signProof, tokenHash } from '../../src-shared/trust/enrollment.js';
import { ENROLL_PROOF_DOMAIN, RENEW_PROOF_DOMAIN, ROTATE_PROOF_DOMAIN } from '../../src-shared/trust/trust-profile.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { openOutbound, type PeerConnection } from '../../src-node/kernel/connection/peer-connection.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import type { NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { PATIENCE_MS, waitUntil } from './wait.js';

export function keyOf(signer: Ed25519Signer): string {
  return fingerprintFromPublicKey(signer.publicKey);
}

export function randomSigner(): Ed25519Signer {
  return nativeCrypto.ed25519Signer(nativeCrypto.randomBytes(32));
}

export interface RawSession {
  readonly connection: PeerConnection;
  readonly messages: SessionMessage[];
  /** The reply (same kind, re/id) or the error (re/id) answering `reqId`. */
  answer(reqId: string, timeoutMs?: number): Promise<{ kind: string; body: Record<string, unknown> }>;
}

/** A bare session to `url` as `identity`; the caller terminates `connection`. */
export async function rawSession(identity: NodeIdentity, url: string): Promise<RawSession> {
  const connection = await openOutbound({ crypto: nativeCrypto, identity, clock: systemClock, nonces: new HandshakeNonceCache() }, { url, transport: { policy: { insecureLoopback: true } } });
  const messages: SessionMessage[] = [];
  connection.on('message', (m) => messages.push(m));
  connection.start();
  return {
    connection,
    messages,
    async answer(reqId, timeoutMs = PATIENCE_MS) {
      let found: SessionMessage | undefined;
      await waitUntil(() => (found = messages.find((m) => (m.body as { 're/id'?: string } | null)?.['re/id'] === reqId)) !== undefined, `the answer to ${reqId}`, timeoutMs, 10);
      return { kind: found!.kind, body: found!.body as unknown as Record<string, unknown> };
    },
  };
}

/** The error code of an answer, or 'ok' for a reply. */
export function codeOf(answer: { kind: string; body: Record<string, unknown> }): string {
  return answer.kind === 'error' ? (answer.body as unknown as ErrorBody).code : 'ok';
}

export function enrollBody(identity: NodeIdentity, operator: Ed25519Signer, token: string, change: Partial<OperatorEnrollBody> = {}): OperatorEnrollBody & { 'req/id': string } {
  const operatorKey = keyOf(operator);
  const proof = signProof(ENROLL_PROOF_DOMAIN, { 'token/hash': tokenHash(token, nativeCrypto), 'node/id': identity.nodeId, 'operator/key': operatorKey }, operator);
  return { 'req/id': newId('enroll'), token, 'operator/key': operatorKey, 'node/id': identity.nodeId, proof, ...change } as OperatorEnrollBody & { 'req/id': string };
}

export function renewBody(identity: NodeIdentity, operator: Ed25519Signer, credentialId: string, change: { ts?: number; reqId?: string } = {}): OperatorRenewBody & { 'req/id': string } {
  const binding = { 'req/id': change.reqId ?? newId('renew'), 'credential/id': credentialId, 'node/id': identity.nodeId, 'operator/key': keyOf(operator), ts: formatTimestamp(change.ts ?? Date.now()) };
  return { 'req/id': binding['req/id'], 'credential/id': credentialId, 'operator/key': binding['operator/key'], ts: binding.ts, proof: signProof(RENEW_PROOF_DOMAIN, binding, operator) };
}

export function rotateBody(identity: NodeIdentity, operator: Ed25519Signer, next: Ed25519Signer, credentialId: string): OperatorRotateBody & { 'req/id': string } {
  const binding = { 'req/id': newId('rotate'), 'credential/id': credentialId, 'node/id': identity.nodeId, 'operator/key': keyOf(operator), ts: formatTimestamp(Date.now()), 'operator/new-key': keyOf(next) };
  return {
    'req/id': binding['req/id'],
    'credential/id': credentialId,
    'operator/key': binding['operator/key'],
    'operator/new-key': binding['operator/new-key'],
    ts: binding.ts,
    proof: signProof(ROTATE_PROOF_DOMAIN, binding, operator),
    'proof/new': signProof(ROTATE_PROOF_DOMAIN, binding, next),
  };
}

/**
 * A descriptor of `identity` carrying an attestation by `operator` for `credential` (tamper with
 * the attestation before the node signs, to test the verifier).
 */
export function attestedDescriptor(identity: NodeIdentity, credential: OperatorCredential | JsonObject, operator: Ed25519Signer, tamper?: (attestation: JsonObject) => void): PnodeDescriptor {
  const unsigned = unsignedDescriptor({ nodeId: identity.nodeId, hardware: unknownHardwareSummary(formatTimestamp(Date.now())), offer: { cores: 1, 'memory-mb': 64 }, softwareVersion: 'test', now: Date.now() }) as unknown as JsonObject;
  const attestation = attestDescriptor(unsigned, credential as OperatorCredential, operator) as unknown as JsonObject;
  tamper?.(attestation);
  return signArtifact('pnode-descriptor.v1', { ...unsigned, operator: attestation }, identity.signer) as unknown as PnodeDescriptor;
}
