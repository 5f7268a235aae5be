// Full check of an artifact at a boundary: schema gate, semantic rules, signer binding, signature
// and (on request) expiry. Answers with a Result carrying one of the eleven codes.
import { ProtocolError, type Result, attempt } from './errors.js';
import { checkSchema } from './schema-gate.js';
import type { SchemaName } from './schemas/registry.js';
import { type JsonObject, type SignedArtifactSpec, type SignerClaim, SIGNED_ARTIFACTS, isSignedSchema, publicKeyOfId } from './artifacts.js';
import { fingerprintOf, parseNodeId, parseParticipantId } from './did-key.js';
import { decodeSignature, signingInput } from './signing.js';
import { verifySelfIssuedPassport } from './passport.js';
import type { CryptoProvider } from './crypto/provider.js';
import { parseTimestamp } from './time.js';

export interface VerifyOptions {
  readonly crypto: CryptoProvider;
  /** Check `expires-at` (and passport validity) against `now`. */
  readonly checkExpiry?: boolean;
  /** Milliseconds since the epoch; defaults to the clock. */
  readonly now?: number;
}

function semanticChecks(schema: SchemaName, artifact: JsonObject): void {
  switch (schema) {
    case 'node-identity.v1': {
      const nodeId = artifact['node/id'] as string;
      parseNodeId(nodeId);
      parseParticipantId(artifact['participant/id'] as string);
      if (artifact['key/public'] !== fingerprintOf(nodeId)) {
        throw new ProtocolError('E_PROTO_INVALID', 'node-identity.v1 key/public does not match node/id');
      }
      return;
    }
    case 'node-advertisement.v1': {
      const advertised = parseTimestamp(artifact['advertised-at'] as string);
      const expires = parseTimestamp(artifact['expires-at'] as string);
      if (!(expires > advertised)) throw new ProtocolError('E_PROTO_INVALID', 'node-advertisement.v1 expires-at must be after advertised-at');
      return;
    }
    case 'capability-advertisement.v1': {
      const presented = artifact['capabilities/presented'] as JsonObject[];
      const wireNames = new Set(presented.map((p) => p['wire/name']));
      for (const core of artifact['capabilities/core'] as string[]) {
        if (!wireNames.has(core)) {
          throw new ProtocolError('E_PROTO_INVALID', `capability-advertisement.v1 capabilities/core lists ${core}, which no presented capability carries`);
        }
      }
      return;
    }
    default:
      return;
  }
}

function checkSigner(schema: keyof typeof SIGNED_ARTIFACTS, artifact: JsonObject): Uint8Array {
  const claim: SignerClaim = (SIGNED_ARTIFACTS[schema] as SignedArtifactSpec).signer(artifact);
  let key: Uint8Array;
  try {
    key = publicKeyOfId(claim.id);
  } catch (error) {
    const why = error instanceof ProtocolError ? error.detail : 'unparseable';
    throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `${schema} signer ${claim.id} cannot be resolved to an Ed25519 key (${why})`);
  }
  if (claim.keyPublic !== undefined && claim.keyPublic !== fingerprintOf(claim.id)) {
    throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `${schema} key/public does not match the claimed signer ${claim.id}`);
  }
  return key;
}

export function verifyArtifact<T extends JsonObject = JsonObject>(
  schema: SchemaName,
  value: unknown,
  options: VerifyOptions,
): Result<T> {
  const gated = checkSchema<T>(schema, value);
  if (!gated.ok) return gated;
  const artifact = gated.value;
  return attempt(() => {
    semanticChecks(schema, artifact);
    if (!isSignedSchema(schema)) return artifact;
    const key = checkSigner(schema, artifact);
    const signature = decodeSignature(artifact['signature']);
    if (!options.crypto.ed25519Verify(key, signingInput(schema, artifact), signature)) {
      throw new ProtocolError('E_SIG_INVALID', `${schema} signature does not verify`);
    }
    const now = options.checkExpiry ? (options.now ?? Date.now()) : undefined;
    if (schema === 'capability-advertisement.v1') {
      const nodeId = artifact['node/id'] as string;
      for (const presented of artifact['capabilities/presented'] as JsonObject[]) {
        if (presented['assertion/kind'] !== 'self-issued-passport') continue;
        verifySelfIssuedPassport(presented['passport'] as JsonObject, nodeId, presented['capability/id'] as string, options.crypto, now);
      }
    }
    const spec: SignedArtifactSpec = SIGNED_ARTIFACTS[schema];
    if (now !== undefined && spec.expiresAt) {
      const expiresAt = spec.expiresAt(artifact);
      if (expiresAt !== undefined && parseTimestamp(expiresAt) <= now) {
        throw new ProtocolError('E_ADV_EXPIRED', `${schema} expired at ${expiresAt}`);
      }
    }
    return artifact;
  });
}
