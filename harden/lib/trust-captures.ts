// Real captures of trusted registration (issue 5 §5): a real RegistrationAuthority (in memory)
// issues enrollment tokens; operators enroll, renew and rotate through it with real proofs; its
// credentials, a revocation list it signed, and a descriptor attested by an operator key are what
// the operator-credential targets mutate. Kept apart from captures.ts: this code is young.
import type { CryptoProvider, Ed25519Signer } from '../../src-shared/protocol/crypto/provider.js';
import type { JsonObject } from '../../src-shared/protocol/artifacts.js';
import { fingerprintFromPublicKey } from '../../src-shared/protocol/did-key.js';
import { signArtifact } from '../../src-shared/protocol/signing.js';
import { formatTimestamp } from '../../src-shared/protocol/time.js';
import type { SessionBody } from '../../src-shared/protocol/messages/kinds.js';
import { ENROLL_PROOF_DOMAIN, RENEW_PROOF_DOMAIN, ROTATE_PROOF_DOMAIN } from '../../src-shared/trust/trust-profile.js';
import { signProof, tokenHash } from '../../src-shared/trust/enrollment.js';
import { attestDescriptor, attestationSigningInput, type OperatorAttestation } from '../../src-shared/trust/attestation.js';
import type { OperatorCredential } from '../../src-shared/trust/credential.js';
import type { RevocationList } from '../../src-shared/trust/revocation-list.js';
import { unsignedDescriptor } from '../../src-shared/membership/descriptor.js';
import type { HardwareSummary } from '../../src-shared/hardware/hardware-summary.js';
import { toBase64url } from '../../src-shared/protocol/encoding/base64url.js';
import { RegistrationAuthority } from '../../src-node/services/authority/authority.js';
import { emptyAuthorityState, type AuthorityState } from '../../src-node/services/authority/authority-store.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed, type NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { ManualClock } from '../../src-node/kernel/util/clock.js';
import { Rng, deriveSeed } from './random.js';

export interface TrustCaptures {
  /** The authority's key (trusted by the verifiers the targets call). */
  readonly authorityKey: string;
  readonly authoritySigner: Ed25519Signer;
  /** Operator signers by key fingerprint (to re-sign mutated attestations and proofs). */
  readonly operators: ReadonlyMap<string, Ed25519Signer>;
  readonly credentials: readonly OperatorCredential[];
  readonly revocationLists: readonly RevocationList[];
  readonly attestations: readonly OperatorAttestation[];
  /** A descriptor of `a` with an operator attestation, signed by `a`. */
  readonly attestedDescriptor: JsonObject;
  /** The attested descriptor without its signature and operator slot (what an attestation signs over). */
  readonly unsignedDescriptor: JsonObject;
  readonly bodies: {
    readonly 'operator-enroll': readonly SessionBody<'operator-enroll'>[];
    readonly 'operator-renew': readonly SessionBody<'operator-renew'>[];
    readonly 'operator-rotate': readonly SessionBody<'operator-rotate'>[];
    readonly 'revocation-list': readonly SessionBody<'revocation-list'>[];
  };
  /** The authority's state at the end: a fresh authority for the fuzz targets starts from a copy. */
  readonly state: AuthorityState;
  newAuthority(now: number): RegistrationAuthority;
}

function operator(seed: number, label: string): Ed25519Signer {
  return identityFromSeed(new Rng(deriveSeed(seed, label)).bytes(32), nativeCrypto, { createdAt: '2026-11-21T12:00:00Z' }).signer;
}

export async function trustCaptures(seed: number, now: number, a: NodeIdentity, authorityIdentity: NodeIdentity, hardware: HardwareSummary, crypto: CryptoProvider = nativeCrypto): Promise<TrustCaptures> {
  const clock = new ManualClock(now);
  const authoritySigner = authorityIdentity.signer;
  const authorityKey = authorityIdentity.keyPublic;
  const state = emptyAuthorityState();
  const authority = new RegistrationAuthority({ signer: authoritySigner, fingerprint: authorityKey, crypto, clock, state, persist: async () => undefined });
  const op1 = operator(seed, 'operator-1');
  const op2 = operator(seed, 'operator-2');
  const op3 = operator(seed, 'operator-3');
  const key = (signer: Ed25519Signer): string => fingerprintFromPublicKey(signer.publicKey);
  const operators = new Map([op1, op2, op3].map((s) => [key(s), s]));

  const enrollBody = async (signer: Ed25519Signer, reqId: string): Promise<SessionBody<'operator-enroll'>> => {
    const { token } = await authority.issueToken({ label: `harden ${reqId}` });
    const binding = { 'token/hash': tokenHash(token, nativeCrypto), 'node/id': a.nodeId, 'operator/key': key(signer) };
    return { 'req/id': reqId, token, 'operator/key': key(signer), 'node/id': a.nodeId, proof: signProof(ENROLL_PROOF_DOMAIN, binding, signer) };
  };
  const enrolled = async (body: SessionBody<'operator-enroll'>): Promise<OperatorCredential> => {
    const result = await authority.enroll(a.nodeId, body);
    if (!result.ok) throw result.error;
    return result.value;
  };
  const enroll1 = await enrollBody(op1, 'oe:1');
  const credential1 = await enrolled(enroll1);
  const enroll2 = await enrollBody(op2, 'oe:2');
  const credential2 = await enrolled(enroll2);
  // Tokens issued but not used: a fresh authority from the final state can still enroll with them.
  const spareEnroll = await enrollBody(op3, 'oe:3');

  const ts = formatTimestamp(now);
  const renewBinding = { 'req/id': 'or:1', 'credential/id': credential1['credential/id'], 'node/id': a.nodeId, 'operator/key': key(op1), ts };
  const renew: SessionBody<'operator-renew'> = { 'req/id': 'or:1', 'credential/id': credential1['credential/id'], 'operator/key': key(op1), ts, proof: signProof(RENEW_PROOF_DOMAIN, renewBinding, op1) };
  const renewed = await authority.renew(a.nodeId, renew);
  if (!renewed.ok) throw renewed.error;
  const rotateBinding = { 'req/id': 'ot:1', 'credential/id': renewed.value['credential/id'], 'node/id': a.nodeId, 'operator/key': key(op1), ts, 'operator/new-key': key(op3) };
  const rotate: SessionBody<'operator-rotate'> = {
    'req/id': 'ot:1',
    'credential/id': renewed.value['credential/id'],
    'operator/key': key(op1),
    'operator/new-key': key(op3),
    ts,
    proof: signProof(ROTATE_PROOF_DOMAIN, rotateBinding, op1),
    'proof/new': signProof(ROTATE_PROOF_DOMAIN, rotateBinding, op3),
  };
  const rotated = await authority.rotate(a.nodeId, rotate);
  if (!rotated.ok) throw rotated.error;
  await authority.revoke(credential1['credential/id'], 'harden capture');
  const revocationList = authority.revocationList();

  // A descriptor of a, attested by the operator of credential 2 (not revoked).
  const unsigned = unsignedDescriptor({ nodeId: a.nodeId, hardware, offer: { cores: 1, 'memory-mb': 1024 }, softwareVersion: '0.1.0', now }) as unknown as JsonObject;
  const attestation = attestDescriptor(unsigned, credential2, op2);
  const attestedDescriptor = signArtifact('pnode-descriptor.v1', { ...unsigned, operator: attestation as unknown as JsonObject }, a.signer) as unknown as JsonObject;

  const finalState = structuredClone(state);
  return {
    authorityKey,
    authoritySigner,
    operators,
    credentials: [credential1, credential2, renewed.value, rotated.value],
    revocationLists: [revocationList],
    attestations: [attestation],
    attestedDescriptor,
    unsignedDescriptor: unsigned,
    bodies: {
      'operator-enroll': [enroll1, spareEnroll, { 're/id': 'oe:1', credential: credential1 as unknown as JsonObject }],
      'operator-renew': [renew, { 're/id': 'or:1', credential: renewed.value as unknown as JsonObject }],
      'operator-rotate': [rotate, { 're/id': 'ot:1', credential: rotated.value as unknown as JsonObject }],
      'revocation-list': [
        { 'req/id': 'rl:1', 'issuer/key': authorityKey, 'sequence/no': -1 },
        { 're/id': 'rl:1', list: revocationList as unknown as JsonObject },
        { 're/id': 'rl:2' },
        { list: revocationList as unknown as JsonObject },
        { 'issuer/key': authorityKey, 'sequence/no': revocationList['sequence/no'] },
      ],
    },
    state: finalState,
    newAuthority: (at) => new RegistrationAuthority({ signer: authoritySigner, fingerprint: authorityKey, crypto: nativeCrypto, clock: new ManualClock(at), state: structuredClone(finalState), persist: async () => undefined }),
  };
}

/**
 * A mutated attestation made to pass the signatures it can: its credential re-signed by the
 * authority, the attestation re-signed by the operator key it names (when we hold it), over the
 * captured descriptor. Undefined when there is nothing to sign with.
 */
export function resignAttestation(value: unknown, trust: TrustCaptures, resignCredential: (credential: unknown) => JsonObject | undefined): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const attestation = { ...(value as JsonObject) };
  const credential = resignCredential(attestation['credential']);
  if (credential) attestation['credential'] = credential;
  const signer = typeof attestation['operator/key'] === 'string' ? trust.operators.get(attestation['operator/key']) : undefined;
  if (!signer) return credential ? attestation : undefined;
  try {
    const input = attestationSigningInput({ ...trust.unsignedDescriptor, operator: attestation });
    return { ...attestation, signature: { alg: 'ed25519', value: toBase64url(signer.sign(input)) } };
  } catch {
    return credential ? attestation : undefined;
  }
}
