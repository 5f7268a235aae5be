// revocation-list.v1 (issue 5 §5): the credentials a registration authority revoked before their
// end, signed by it. The authority's process checks its own revocations directly; the signed list
// is how other orchestrators learn them (published as a file, served on the admin API): a verifier
// takes a list only from an authority it trusts, and only with a higher sequence/no than the list
// it holds, so an old list cannot hide a newer revocation.
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
