// A node's identity in memory: the public record plus handles on its keys. The Ed25519 seed is
// imported once into a signer and a static X25519 key (spec digest §a, §d.4) and not kept as bytes.
import type { CryptoProvider, Ed25519Signer, X25519Agreement } from '../../../src-shared/protocol/crypto/provider.js';
import {
  type KeyFingerprint,
  type NodeId,
  type ParticipantId,
  fingerprintFromPublicKey,
  nodeIdFromPublicKey,
  participantIdFromPublicKey,
} from '../../../src-shared/protocol/did-key.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';

/** node-identity.v1 as we write it. */
export interface NodeIdentityRecord {
  readonly 'schema/v': 1;
  readonly 'node/id': NodeId;
  readonly 'participant/id': ParticipantId;
  readonly 'created-at': string;
  readonly 'identity/status': 'active';
  readonly 'key/alg': 'ed25519';
  readonly 'key/public': KeyFingerprint;
  readonly 'key/storage-ref': string;
  readonly [extra: string]: unknown;
}

export interface NodeIdentity {
  readonly nodeId: NodeId;
  /** The participation role; in the MVP it shares the node key, but peers treat it as distinct. */
  readonly participantId: ParticipantId;
  readonly keyPublic: KeyFingerprint;
  readonly publicKey: Uint8Array;
  /** Signs as the node, and (MVP) as the participant. */
  readonly signer: Ed25519Signer;
  /** The static X25519 key derived from the Ed25519 seed (libsodium sk_to_curve25519). */
  readonly staticX25519: X25519Agreement;
  readonly record: NodeIdentityRecord;
}

export function keychainStorageRef(nodeId: string): string {
  return `keychain:pnode/${nodeId}`;
}

export const LOCAL_FILE_STORAGE_REF = 'local-file:identity/node-signing-key.v1.json';

export function identityFromSeed(
  seed: Uint8Array,
  crypto: CryptoProvider,
  options: { createdAt?: string; storageRef?: string } = {},
): NodeIdentity {
  const signer = crypto.ed25519Signer(seed);
  const nodeId = nodeIdFromPublicKey(signer.publicKey);
  const record: NodeIdentityRecord = {
    'schema/v': 1,
    'node/id': nodeId,
    'participant/id': participantIdFromPublicKey(signer.publicKey),
    'created-at': options.createdAt ?? formatTimestamp(Date.now()),
    'identity/status': 'active',
    'key/alg': 'ed25519',
    'key/public': fingerprintFromPublicKey(signer.publicKey),
    'key/storage-ref': options.storageRef ?? LOCAL_FILE_STORAGE_REF,
  };
  return {
    nodeId,
    participantId: record['participant/id'],
    keyPublic: record['key/public'],
    publicKey: signer.publicKey,
    signer,
    staticX25519: crypto.x25519FromSecret(crypto.ed25519SecretToX25519(seed)),
    record,
  };
}
