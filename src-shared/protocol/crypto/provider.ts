// The crypto a node needs, behind one small interface. The portable provider (@noble) runs
// anywhere; src-node supplies a native one on node:crypto for hot paths. A test proves both give
// identical bytes. Secrets are handed out as handles (a signer, an agreement key) so a provider can
// import a key once: with node:crypto, importing a private key costs ten times the operation.

export const ED25519_SEED_LENGTH = 32;
export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;
export const X25519_KEY_LENGTH = 32;
export const AEAD_KEY_LENGTH = 32;
export const AEAD_NONCE_LENGTH = 12;
export const AEAD_TAG_LENGTH = 16;

/** An Ed25519 secret key, imported once. */
export interface Ed25519Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** An X25519 key pair, imported or generated once; `agree` throws E_PROTO_INVALID on a low-order peer key. */
export interface X25519Agreement {
  readonly publicKey: Uint8Array;
  agree(peerPublicKey: Uint8Array): Uint8Array;
}

/** ChaCha20-Poly1305 bound to one key. `open` answers null when authentication fails. */
export interface Aead {
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  open(nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array | null;
}

export interface CryptoProvider {
  readonly name: string;
  ed25519Signer(seed: Uint8Array): Ed25519Signer;
  /** False for a bad signature, a malformed key or signature; never throws. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Birational map u = (1 + y) / (1 - y) of an Ed25519 public key (libsodium's pk_to_curve25519). */
  ed25519PublicToX25519(publicKey: Uint8Array): Uint8Array;
  /** clamp(SHA-512(seed)[0..32]) (libsodium's sk_to_curve25519). */
  ed25519SecretToX25519(seed: Uint8Array): Uint8Array;
  x25519FromSecret(secretKey: Uint8Array): X25519Agreement;
  x25519Ephemeral(): X25519Agreement;
  sha256(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  aead(key: Uint8Array): Aead;
  randomBytes(length: number): Uint8Array;
}
