// Helpers for directory tests and the directory bench: publishers with real keys and signed
// node-advertisement.v1 artifacts with chosen sequence numbers and times. Not used by the runtime.
import { randomBytes } from 'node:crypto';
import type { Ed25519Signer } from '../../src-shared/protocol/crypto/provider.js';
import { fingerprintFromPublicKey, nodeIdFromPublicKey } from '../../src-shared/protocol/did-key.js';
import { newId } from '../../src-shared/protocol/ids.js';
import { signArtifact } from '../../src-shared/protocol/signing.js';
import { formatTimestamp } from '../../src-shared/protocol/time.js';
import { ADVERTISEMENT_TTL_MS } from '../../src-shared/protocol/profile.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import type { NodeAdvertisement } from '../../src-node/kernel/advertisement/advertisement-types.js';

export interface Publisher {
  readonly nodeId: string;
  readonly keyPublic: string;
  readonly signer: Ed25519Signer;
}

/** A publisher with a fresh random key (or the key of `seed`). */
export function makePublisher(seed: Uint8Array = randomBytes(32)): Publisher {
  const signer = nativeCrypto.ed25519Signer(seed);
  return { nodeId: nodeIdFromPublicKey(signer.publicKey), keyPublic: fingerprintFromPublicKey(signer.publicKey), signer };
}

export interface AdvertisementOptions {
  readonly sequence?: number;
  /** advertised-at, ms (default: now). */
  readonly at?: number;
  readonly ttlMs?: number;
  readonly url?: string;
  /** Extra fields, signed along (e.g. padding). */
  readonly extra?: Record<string, unknown>;
}

export function signedAdvertisement(publisher: Publisher, options: AdvertisementOptions = {}): NodeAdvertisement {
  const at = options.at ?? Date.now();
  const payload = {
    'schema/v': 1,
    'advertisement/id': newId('adv', at),
    'node/id': publisher.nodeId,
    'sequence/no': options.sequence ?? 0,
    'advertised-at': formatTimestamp(at),
    'expires-at': formatTimestamp(at + (options.ttlMs ?? ADVERTISEMENT_TTL_MS)),
    'key/alg': 'ed25519',
    'key/public': publisher.keyPublic,
    endpoints: [{ 'endpoint/url': options.url ?? 'wss://node.example:7443/peer', 'endpoint/transport': 'wss', 'endpoint/role': 'listener', 'endpoint/priority': 0 }],
    'transports/supported': ['wss'],
    ...options.extra,
  };
  return signArtifact('node-advertisement.v1', payload, publisher.signer) as unknown as NodeAdvertisement;
}
