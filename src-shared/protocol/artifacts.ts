// One table of the signed artifacts: what each signing input leaves out, who the signer is, and
// when it expires. Signing input = "<schema name>" 0x00 || dcbor(artifact without the excluded
// fields) (spec digest §b.1, §b.3; DESIGN.md §5 for artifacts the spec leaves open).
import { ProtocolError } from './errors.js';
import { NODE_ID_PREFIX, PARTICIPANT_ID_PREFIX, parseFingerprint, parseNodeId, parseParticipantId } from './did-key.js';
import type { SchemaName } from './schemas/registry.js';

export type JsonObject = Record<string, unknown>;

export interface SignerClaim {
  /** The id that claims to have signed: a node id, a participant id or a bare fingerprint. */
  readonly id: string;
  /** The artifact's `key/public`, when it carries one; it must match `id`. */
  readonly keyPublic?: string | undefined;
}

export interface SignedArtifactSpec {
  readonly excluded: readonly string[];
  signer(artifact: JsonObject): SignerClaim;
  expiresAt?(artifact: JsonObject): string | undefined;
}

function stringField(artifact: JsonObject, field: string): string {
  const value = artifact[field];
  if (typeof value !== 'string') throw new ProtocolError('E_PROTO_INVALID', `missing ${field}`);
  return value;
}

export const SIGNED_ARTIFACTS = {
  'node-advertisement.v1': {
    excluded: ['signature'],
    signer: (a) => ({ id: stringField(a, 'node/id'), keyPublic: stringField(a, 'key/public') }),
    expiresAt: (a) => stringField(a, 'expires-at'),
  },
  'peer-handshake.v1': {
    // The vector proves protocol/version and transport/profile sit outside the signed map.
    excluded: ['signature', 'protocol/version', 'transport/profile'],
    signer: (a) => ({ id: stringField(a, 'sender/node-id'), keyPublic: stringField(a, 'key/public') }),
  },
  'capability-advertisement.v1': {
    excluded: ['signature'],
    signer: (a) => ({ id: stringField(a, 'node/id') }),
  },
  'signal-marker-envelope.v1': {
    excluded: ['signature'],
    signer: (a) => ({ id: stringField(a, 'sender/participant-id') }),
  },
  // Our profile (DESIGN.md §1 domains): a network described and signed by its owner.
  'network-descriptor.v1': {
    excluded: ['signature'],
    signer: (a) => ({ id: stringField(a, 'owner/node-id') }),
    expiresAt: (a) => stringField(a, 'expires-at'),
  },
  // Our profile (issue 5): what a PNode registers with, signed by its node key.
  'pnode-descriptor.v1': {
    excluded: ['signature'],
    signer: (a) => ({ id: stringField(a, 'node/id') }),
    expiresAt: (a) => stringField(a, 'expires-at'),
  },
  // Our profile (issue 5 §5, src-shared/trust): a registration authority vouches for an operator key.
  'operator-credential.v1': {
    excluded: ['signature'],
    signer: (a) => ({ id: stringField(a, 'issuer/key') }),
    expiresAt: (a) => stringField(a, 'valid-until'),
  },
  // Our profile (issue 5 §5): the credentials an authority revoked, signed by it.
  'revocation-list.v1': {
    excluded: ['signature'],
    signer: (a) => ({ id: stringField(a, 'issuer/key') }),
  },
  // Our profile (issue 13 §5, src-shared/credit): an orchestrator's receipt for one result of a PNode.
  'credit-receipt.v1': {
    excluded: ['signature'],
    signer: (a) => ({ id: stringField(a, 'orchestrator/node-id') }),
  },
} as const satisfies Partial<Record<SchemaName, SignedArtifactSpec>>;

export type SignedSchemaName = keyof typeof SIGNED_ARTIFACTS;

export function isSignedSchema(name: string): name is SignedSchemaName {
  return Object.prototype.hasOwnProperty.call(SIGNED_ARTIFACTS, name);
}

export function signedArtifactSpec(name: SignedSchemaName): SignedArtifactSpec {
  return SIGNED_ARTIFACTS[name];
}

/** The Ed25519 public key behind a node id, participant id or bare fingerprint. Throws E_PROTO_INVALID. */
export function publicKeyOfId(id: string): Uint8Array {
  if (id.startsWith(NODE_ID_PREFIX)) return parseNodeId(id);
  if (id.startsWith(PARTICIPANT_ID_PREFIX)) return parseParticipantId(id);
  return parseFingerprint(id);
}
