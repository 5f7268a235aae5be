import { identityFromSeed, type NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';

/** A deterministic identity for tests: seed = 32 bytes of `byte`. */
export function testIdentity(byte: number): NodeIdentity {
  return identityFromSeed(new Uint8Array(32).fill(byte), nativeCrypto, { createdAt: '2026-11-21T12:00:00Z' });
}
