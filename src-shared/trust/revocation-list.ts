// revocation-list.v1 (issue 5 §5): the credentials a registration authority revoked before their
// end, signed by it. The authority's process checks its own revocations directly; the signed list
// is how everyone else learns them: through the network's seed directories and over sessions
// (issue 15 §5, kernel/revocation), or as a file. A verifier takes a list only from an authority it
// trusts, and only with a higher sequence/no than the list it holds (acceptNewer), so an old list
// cannot hide a newer revocation. A list travels only within MAX_DISTRIBUTED_REVOCATION_LIST_BYTES.
import { ProtocolError, type Result, attempt, fail } from '../protocol/errors.js';
import { checkSchema } from '../protocol/schema-gate.js';
import { verifyArtifact } from '../protocol/verify.js';
import { signArtifact, type ArtifactSignature } from '../protocol/signing.js';
import { fingerprintFromPublicKey } from '../protocol/did-key.js';
import { formatTimestamp } from '../protocol/time.js';
import type { CryptoProvider, Ed25519Signer } from '../protocol/crypto/provider.js';
import type { JsonObject } from '../protocol/artifacts.js';
import type { RevocationEntry } from './attestation.js';

export const REVOCATION_LIST_SCHEMA = 'revocation-list.v1';
/** Largest list (as JSON) a directory stores and serves or a node takes from elsewhere (≈ 5,000 revocations). */
export const MAX_DISTRIBUTED_REVOCATION_LIST_BYTES = 1024 * 1024;

export interface RevokedCredential {
  readonly 'credential/id': string;
  readonly 'revoked-at': string;
  readonly reason: string;
  /** The revoked credential's own end: after it, the entry may be dropped. */
  readonly 'valid-until': string;
}

export interface RevocationList {
  readonly 'schema/v': 1;
  readonly 'issuer/key': string;
  readonly 'sequence/no': number;
  readonly 'issued-at': string;
  readonly revoked: readonly RevokedCredential[];
  readonly signature: ArtifactSignature;
}

export function buildRevocationList(input: { sequence: number; now: number; revoked: readonly RevokedCredential[] }, issuer: Ed25519Signer): RevocationList {
  const payload: JsonObject = {
    'schema/v': 1,
    'issuer/key': fingerprintFromPublicKey(issuer.publicKey),
    'sequence/no': input.sequence,
    'issued-at': formatTimestamp(input.now),
    revoked: input.revoked.map((r) => ({ ...r })),
  };
  return signArtifact(REVOCATION_LIST_SCHEMA, payload, issuer) as unknown as RevocationList;
}

/** Schema, issuer trusted (E_SIG_UNKNOWN_SIGNER), signature (E_SIG_INVALID), no credential listed twice. */
export function verifyRevocationList(value: unknown, options: { crypto: CryptoProvider; trustedIssuers: ReadonlySet<string> | readonly string[] }): Result<RevocationList> {
  const shaped = checkSchema<RevocationList>(REVOCATION_LIST_SCHEMA, value);
  if (!shaped.ok) return shaped;
  const issuers = options.trustedIssuers;
  const issuer = shaped.value['issuer/key'];
  if (!(issuers instanceof Set ? issuers.has(issuer) : (issuers as readonly string[]).includes(issuer))) {
    return fail('E_SIG_UNKNOWN_SIGNER', `${REVOCATION_LIST_SCHEMA} is signed by ${issuer}, not by a registration authority trusted here`);
  }
  const verified = verifyArtifact<RevocationList & JsonObject>(REVOCATION_LIST_SCHEMA, shaped.value, { crypto: options.crypto });
  if (!verified.ok) return verified;
  return attempt(() => {
    const seen = new Set<string>();
    verified.value.revoked.forEach((entry, i) => {
      if (seen.has(entry['credential/id'])) throw new ProtocolError('E_PROTO_INVALID', `${REVOCATION_LIST_SCHEMA} $.revoked[${i}]["credential/id"]: is listed twice`);
      seen.add(entry['credential/id']);
    });
    return verified.value;
  });
}

/** The list as a lookup (credential id → entry). */
export function revocationIndex(list: RevocationList): Map<string, RevocationEntry> {
  return new Map(list.revoked.map((r) => [r['credential/id'], { reason: r.reason, revokedAt: r['revoked-at'] }]));
}

/**
 * A list from elsewhere (a directory, a peer) checked against the one held: within
 * MAX_DISTRIBUTED_REVOCATION_LIST_BYTES (E_PROTO_INVALID), verified as above with `issuerKey` the
 * only issuer accepted, and strictly newer than `heldSequence` (E_ADV_STALE_SEQ otherwise).
 */
export function acceptNewer(value: unknown, options: { crypto: CryptoProvider; issuerKey: string; heldSequence: number | undefined; bytes?: number }): Result<RevocationList> {
  let bytes = options.bytes;
  if (bytes === undefined) {
    try {
      bytes = (JSON.stringify(value) ?? '').length;
    } catch {
      return fail('E_PROTO_INVALID', `a ${REVOCATION_LIST_SCHEMA} must be JSON`);
    }
  }
  if (bytes > MAX_DISTRIBUTED_REVOCATION_LIST_BYTES) return fail('E_PROTO_INVALID', `a ${REVOCATION_LIST_SCHEMA} larger than ${MAX_DISTRIBUTED_REVOCATION_LIST_BYTES} bytes is not taken`);
  const verified = verifyRevocationList(value, { crypto: options.crypto, trustedIssuers: [options.issuerKey] });
  if (!verified.ok) return verified;
  const sequence = verified.value['sequence/no'];
  if (options.heldSequence !== undefined && sequence <= options.heldSequence) {
    return fail('E_ADV_STALE_SEQ', `${REVOCATION_LIST_SCHEMA} of ${options.issuerKey}: sequence/no ${sequence} is not above the held ${options.heldSequence}`);
  }
  return verified;
}
