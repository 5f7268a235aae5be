// The operator attestation in a pnode-descriptor.v1's `operator` slot (issue 5 §5), and the chain an
// orchestrator checks before it marks a PNode trusted:
//
//   authority key ──signs──▶ operator-credential.v1 ──names──▶ operator key ──signs──▶ descriptor
//   (a key the orchestrator      (issuer/key, node/id,           (operator/key)           (and the node
//    trusts: --authority-key,     valid-from/until,                                         key signs it
//    the network descriptor's     not revoked)                                              all, last)
//    registration-authority/key,
//    or its own authority)
//
// Attestation: {credential, operator/key, signature}. The operator's signing input is
//   "pnode-descriptor.v1/operator" 0x00 || dcbor(descriptor without `signature`, with `operator`
//   without its `signature`),
// so the operator signs the whole descriptor (hardware, offer, sequence, expiry) and the credential
// inside it. The node key's own descriptor signature then covers everything, the operator's
// signature included: nobody can move an attestation to another descriptor, or a descriptor to
// another node.
//
// Codes of verifyOperatorAttestation, in the order checked:
//   E_PROTO_INVALID       the slot or the credential is malformed
//   E_SIG_UNKNOWN_SIGNER  the credential's issuer is not a trusted authority
//   E_SIG_INVALID         the credential's signature does not verify (forged or altered)
//   E_ADV_EXPIRED         the credential is outside its validity window
//   E_TRANSPORT_REJECTED  the credential was revoked (authentic, but refused by the network's policy,
//                         as a blocked or not-allowlisted peer is; distinct from every forgery code,
//                         so a PNode knows to enroll again rather than suspect an attack)
//   E_SIG_UNKNOWN_SIGNER  the credential names another node, or the attestation's operator/key is not
//                         the credential's (the signer is not the one the credential vouches for)
//   E_SIG_INVALID         the operator's signature over the descriptor does not verify
import { ProtocolError, type Result, attempt } from '../protocol/errors.js';
import { checkSchema } from '../protocol/schema-gate.js';
import { encodeDeterministic } from '../protocol/encoding/dcbor.js';
import { concatBytes } from '../protocol/encoding/bytes.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { SIGNATURE_ALG, decodeSignature, domainSeparator, withoutFields, type ArtifactSignature } from '../protocol/signing.js';
import { fingerprintFromPublicKey, parseFingerprint } from '../protocol/did-key.js';
import type { CryptoProvider, Ed25519Signer } from '../protocol/crypto/provider.js';
import type { JsonObject } from '../protocol/artifacts.js';
import { OPERATOR_ATTESTATION_DOMAIN } from './trust-profile.js';
import { type OperatorCredential, verifyCredential } from './credential.js';

export const OPERATOR_ATTESTATION_SCHEMA = 'operator-attestation.v1';

export interface OperatorAttestation {
  readonly credential: OperatorCredential;
  readonly 'operator/key': string;
  readonly signature: ArtifactSignature;
}

/** What a verifier knows about a revoked credential. */
export interface RevocationEntry {
  readonly reason: string;
  readonly revokedAt: string;
}

/** The operator's signing input for a descriptor (with or without signatures: they are left out). */
export function attestationSigningInput(descriptor: JsonObject): Uint8Array {
  const payload = withoutFields(descriptor, ['signature']);
  const operator = payload['operator'];
  if (typeof operator !== 'object' || operator === null || Array.isArray(operator)) throw new ProtocolError('E_PROTO_INVALID', 'the descriptor has no operator attestation');
  payload['operator'] = withoutFields(operator as JsonObject, ['signature']);
  return concatBytes(domainSeparator(OPERATOR_ATTESTATION_DOMAIN), encodeDeterministic(payload));
}

/**
 * The attestation for a descriptor that is not signed yet: put it in the descriptor's `operator`
 * slot, then sign the descriptor with the node key.
 */
export function attestDescriptor(unsigned: JsonObject, credential: OperatorCredential, operator: Ed25519Signer): OperatorAttestation {
  const operatorKey = fingerprintFromPublicKey(operator.publicKey);
  const body = { credential, 'operator/key': operatorKey };
  const input = attestationSigningInput({ ...withoutFields(unsigned, ['signature', 'operator']), operator: body as unknown as JsonObject });
  return { ...body, signature: { alg: SIGNATURE_ALG, value: toBase64url(operator.sign(input)) } };
}

export interface VerifyAttestationOptions {
  readonly crypto: CryptoProvider;
  readonly now: number;
  /** Fingerprints of the registration authorities this verifier trusts. */
  readonly authorityKeys: ReadonlySet<string> | readonly string[];
  /** A revoked credential's entry, or undefined. */
  readonly revoked?: (credentialId: string, issuerKey: string) => RevocationEntry | undefined;
}

export interface TrustedOperator {
  readonly operatorId: string;
  readonly operatorKey: string;
  readonly credentialId: string;
  readonly issuerKey: string;
  readonly validUntil: string;
}

/**
 * Checks the chain of a descriptor's `operator` slot (see the head of this file). The descriptor
 * itself must already be verified (schema, node signature, expiry): this answers only whether its
 * operator attestation makes it trusted.
 */
export function verifyOperatorAttestation(descriptor: JsonObject, options: VerifyAttestationOptions): Result<TrustedOperator> {
  const slot = descriptor['operator'];
  if (slot === undefined) return { ok: false, error: new ProtocolError('E_PROTO_INVALID', 'the descriptor carries no operator attestation') };
  const shaped = checkSchema<OperatorAttestation>(OPERATOR_ATTESTATION_SCHEMA, slot);
  if (!shaped.ok) return shaped;
  const attestation = shaped.value;
  const credential = verifyCredential(attestation.credential, { crypto: options.crypto, now: options.now, trustedIssuers: options.authorityKeys });
  if (!credential.ok) return credential;
  const c = credential.value;
  return attempt(() => {
    const revoked = options.revoked?.(c['credential/id'], c['issuer/key']);
    if (revoked) throw new ProtocolError('E_TRANSPORT_REJECTED', `operator-credential.v1 ${c['credential/id']} was revoked at ${revoked.revokedAt} (${revoked.reason})`);
    if (c['node/id'] !== descriptor['node/id']) {
      throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `operator-credential.v1 ${c['credential/id']} was issued for ${c['node/id']}, not for ${String(descriptor['node/id'])}`);
    }
    if (attestation['operator/key'] !== c['operator/key']) {
      throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `the attestation is signed by operator key ${attestation['operator/key']}, but the credential vouches for ${c['operator/key']}`);
    }
    const signature = decodeSignature(attestation.signature);
    if (!options.crypto.ed25519Verify(parseFingerprint(c['operator/key']), attestationSigningInput(descriptor), signature)) {
      throw new ProtocolError('E_SIG_INVALID', `the operator signature over descriptor ${String(descriptor['descriptor/id'])} does not verify`);
    }
    return { operatorId: c['operator/id'], operatorKey: c['operator/key'], credentialId: c['credential/id'], issuerKey: c['issuer/key'], validUntil: c['valid-until'] };
  });
}
