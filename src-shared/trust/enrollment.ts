// Enrollment tokens and the proofs that travel with enrollment, renewal and rotation (issue 5 §5).
// Pure: the caller brings the crypto (random bytes, SHA-256, Ed25519).
//
// A token is `pnode-enroll-` and 32 random bytes in unpadded base64url. The authority keeps only
// its SHA-256 (token/hash, base64url), so its state file never holds a usable token.
//
// Proofs are Ed25519 signatures by operator keys over "<domain>" 0x00 || dcbor(binding), the rule
// signing.ts uses for artifacts:
//   enroll  "pnode-operator-enroll.v1" {token/hash, node/id, operator/key}
//           No challenge is needed: the binding ties the token to one node and one operator key, so a
//           token seen on its way cannot be enrolled for another key without that key.
//   renew   "pnode-operator-renew.v1"  {req/id, credential/id, node/id, operator/key, ts}
//   rotate  "pnode-operator-rotate.v1" {req/id, credential/id, node/id, operator/key, operator/new-key, ts}
//           signed by the current key (proof) and by the new one (proof/new).
// A renewal or rotation names its time (ts, within TRUST_CLOCK_SKEW_MS of the authority's clock) and
// its req/id, which the authority remembers for TRUST_REQUEST_TTL_MS: the same request twice is a replay.
import { ProtocolError } from '../protocol/errors.js';
import { encodeDeterministic } from '../protocol/encoding/dcbor.js';
import { concatBytes, utf8 } from '../protocol/encoding/bytes.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { SIGNATURE_ALG, decodeSignature, domainSeparator, type ArtifactSignature } from '../protocol/signing.js';
import { parseFingerprint } from '../protocol/did-key.js';
import type { CryptoProvider, Ed25519Signer } from '../protocol/crypto/provider.js';
import {
  ENROLLMENT_TOKEN_BYTES,
  ENROLLMENT_TOKEN_PATTERN,
  ENROLLMENT_TOKEN_PREFIX,
  type ENROLL_PROOF_DOMAIN,
  type RENEW_PROOF_DOMAIN,
  type ROTATE_PROOF_DOMAIN,
  TOKEN_ID_HASH_CHARS,
  TOKEN_ID_PREFIX,
} from './trust-profile.js';

/** A fresh token. Show it once; keep only tokenHash(token). */
export function newEnrollmentToken(crypto: Pick<CryptoProvider, 'randomBytes'>): string {
  const bytes = crypto.randomBytes(ENROLLMENT_TOKEN_BYTES);
  try {
    return `${ENROLLMENT_TOKEN_PREFIX}${toBase64url(bytes)}`;
  } finally {
    bytes.fill(0);
  }
}

export function isEnrollmentToken(text: unknown): text is string {
  return typeof text === 'string' && ENROLLMENT_TOKEN_PATTERN.test(text);
}

/** E_PROTO_INVALID unless `text` has the token's form (whitespace around it is dropped). */
export function parseEnrollmentToken(text: string): string {
  const token = text.trim();
  if (!isEnrollmentToken(token)) {
    throw new ProtocolError('E_PROTO_INVALID', `an enrollment token is "${ENROLLMENT_TOKEN_PREFIX}" followed by ${ENROLLMENT_TOKEN_BYTES} bytes in base64url`);
  }
  return token;
}

/** base64url(SHA-256(utf8(token))): what the authority stores and what enrollment proofs bind. */
export function tokenHash(token: string, crypto: Pick<CryptoProvider, 'sha256'>): string {
  return toBase64url(crypto.sha256(utf8(token)));
}

/** The name an authority shows for a token (listings, revocation): never the token itself. */
export function tokenIdOf(hash: string): string {
  return `${TOKEN_ID_PREFIX}${hash.slice(0, TOKEN_ID_HASH_CHARS)}`;
}

export interface EnrollBinding {
  readonly 'token/hash': string;
  readonly 'node/id': string;
  readonly 'operator/key': string;
}

export interface RenewBinding {
  readonly 'req/id': string;
  readonly 'credential/id': string;
  readonly 'node/id': string;
  readonly 'operator/key': string;
  readonly ts: string;
}

export interface RotateBinding extends RenewBinding {
  readonly 'operator/new-key': string;
}

export type ProofDomain = typeof ENROLL_PROOF_DOMAIN | typeof RENEW_PROOF_DOMAIN | typeof ROTATE_PROOF_DOMAIN;

export function proofSigningInput(domain: ProofDomain, binding: EnrollBinding | RenewBinding | RotateBinding): Uint8Array {
  return concatBytes(domainSeparator(domain), encodeDeterministic(binding));
}

export function signProof(domain: ProofDomain, binding: EnrollBinding | RenewBinding | RotateBinding, signer: Ed25519Signer): ArtifactSignature {
  return { alg: SIGNATURE_ALG, value: toBase64url(signer.sign(proofSigningInput(domain, binding))) };
}

/** E_SIG_INVALID unless `proof` is `key`'s signature over the binding; E_PROTO_INVALID for a key that is no key. */
export function checkProof(domain: ProofDomain, binding: EnrollBinding | RenewBinding | RotateBinding, key: string, proof: unknown, crypto: CryptoProvider, what = 'proof'): void {
  let publicKey: Uint8Array;
  try {
    publicKey = parseFingerprint(key);
  } catch (error) {
    throw new ProtocolError('E_PROTO_INVALID', `${domain} ${what}: the key is not a key fingerprint (${error instanceof ProtocolError ? error.detail : 'unparseable'})`);
  }
  const signature = decodeSignature(proof);
  if (!crypto.ed25519Verify(publicKey, proofSigningInput(domain, binding), signature)) {
    throw new ProtocolError('E_SIG_INVALID', `${domain} ${what} does not verify with ${key}`);
  }
}
