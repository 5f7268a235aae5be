// Randomness for building captures, drawn from the seed, so a seed replays the same captures (and
// so the same inputs) on any machine: a crypto provider whose random bytes and ephemeral keys come
// from the seed, and, while the captures are built, a seeded crypto.getRandomValues (the ids the
// code makes, `hs:…`, `nonce:…`, `vn:…`, come from it). Signatures need nothing: Ed25519 is
// deterministic.
import type { CryptoProvider } from '../../src-shared/protocol/crypto/provider.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import type { Rng } from './random.js';

export function seededCrypto(rng: Rng): CryptoProvider {
  return { ...nativeCrypto, randomBytes: (length) => rng.bytes(length), x25519Ephemeral: () => nativeCrypto.x25519FromSecret(rng.bytes(32)) };
}

/** Runs `fn` with crypto.getRandomValues drawing from `rng`; the real one is back afterwards. */
export async function withSeededRandomValues<T>(rng: Rng, fn: () => Promise<T>): Promise<T> {
  const webcrypto = globalThis.crypto;
  Object.defineProperty(webcrypto, 'getRandomValues', {
    value: <A extends ArrayBufferView | null>(array: A): A => {
      if (array) new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(rng.bytes(array.byteLength));
      return array;
    },
    configurable: true,
    writable: true,
  });
  try {
    return await fn();
  } finally {
    delete (webcrypto as { getRandomValues?: unknown }).getRandomValues;
  }
}
