import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ProtocolError } from '../errors.js';
import { randomBytes } from '../encoding/bytes.js';
import type { Aead, CryptoProvider, Ed25519Signer, X25519Agreement } from './provider.js';
import {
  AEAD_KEY_LENGTH,
  AEAD_NONCE_LENGTH,
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  X25519_KEY_LENGTH,
} from './provider.js';

export function requireLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new ProtocolError('E_PROTO_INVALID', `${what} must be ${length} bytes`);
  }
}

/** RFC 7748 clamping of an X25519 scalar. */
export function clampX25519Scalar(scalar: Uint8Array): Uint8Array {
  const out = scalar.slice(0, X25519_KEY_LENGTH);
  out[0]! &= 248;
  out[31]! &= 127;
  out[31]! |= 64;
  return out;
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const byte of bytes) acc |= byte;
  return acc === 0;
}

export function lowOrderKeyError(): ProtocolError {
  return new ProtocolError('E_PROTO_INVALID', 'X25519 with a low-order public key');
}

/** Ed25519 public key to X25519 (u = (1 + y) / (1 - y)); shared by both providers. */
export function edwardsToMontgomery(publicKey: Uint8Array): Uint8Array {
  requireLength(publicKey, ED25519_PUBLIC_KEY_LENGTH, 'Ed25519 public key');
  try {
    return ed25519.utils.toMontgomery(publicKey);
  } catch {
    throw new ProtocolError('E_PROTO_INVALID', 'not a valid Ed25519 public key');
  }
}

function portableAgreement(secretKey: Uint8Array): X25519Agreement {
  requireLength(secretKey, X25519_KEY_LENGTH, 'X25519 secret key');
  const secret = secretKey.slice();
  return {
    publicKey: x25519.getPublicKey(secret),
    agree(peerPublicKey) {
      requireLength(peerPublicKey, X25519_KEY_LENGTH, 'X25519 public key');
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(secret, peerPublicKey);
      } catch {
        throw lowOrderKeyError();
      }
      if (isAllZero(shared)) throw lowOrderKeyError();
      return shared;
    },
  };
}

class PortableAead implements Aead {
  constructor(private readonly key: Uint8Array) {}

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
    requireLength(nonce, AEAD_NONCE_LENGTH, 'AEAD nonce');
    return chacha20poly1305(this.key, nonce, aad).encrypt(plaintext);
  }

  open(nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array | null {
    requireLength(nonce, AEAD_NONCE_LENGTH, 'AEAD nonce');
    try {
      return chacha20poly1305(this.key, nonce, aad).decrypt(ciphertext);
    } catch {
      return null;
    }
  }
}

export const portableCrypto: CryptoProvider = {
  name: 'portable (@noble)',
  ed25519Signer(seed): Ed25519Signer {
    requireLength(seed, ED25519_SEED_LENGTH, 'Ed25519 seed');
    const secret = seed.slice();
    return { publicKey: ed25519.getPublicKey(secret), sign: (message) => ed25519.sign(message, secret) };
  },
  ed25519Verify(publicKey, message, signature) {
    if (signature.length !== ED25519_SIGNATURE_LENGTH || publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) return false;
    try {
      return ed25519.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
  ed25519PublicToX25519: edwardsToMontgomery,
  ed25519SecretToX25519(seed) {
    requireLength(seed, ED25519_SEED_LENGTH, 'Ed25519 seed');
    return clampX25519Scalar(sha512(seed));
  },
  x25519FromSecret: portableAgreement,
  x25519Ephemeral() {
    return portableAgreement(x25519.utils.randomSecretKey());
  },
  sha256: (data) => sha256(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  aead(key) {
    requireLength(key, AEAD_KEY_LENGTH, 'AEAD key');
    return new PortableAead(key.slice());
  },
  randomBytes,
};
