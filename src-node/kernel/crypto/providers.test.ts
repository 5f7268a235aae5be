// The portable (@noble) and native (node:crypto) providers must be interchangeable byte for byte.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nativeCrypto } from './native-provider.js';
import { portableCrypto } from '../../../src-shared/protocol/crypto/portable-provider.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { fromHex, toHex } from '../../../src-shared/protocol/encoding/hex.js';
import { utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { vectors } from '../../../tests/fixtures/vectors.js';

const providers: ReadonlyArray<[string, CryptoProvider]> = [
  ['portable', portableCrypto],
  ['native', nativeCrypto],
];

const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const messageArb = fc.uint8Array({ maxLength: 300 });
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function expectInvalid(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  expect((thrown as ProtocolError).code).toBe('E_PROTO_INVALID');
}

function littleEndian32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let rest = value;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

const FIELD_PRIME = 2n ** 255n - 19n;
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

describe('Ed25519: portable and native agree', () => {
  it('derive the vector public key from the vector seed', () => {
    const seed = fromHex(vectors.test_signer.secret_key_hex);
    for (const [, provider] of providers) expect(toHex(provider.ed25519Signer(seed).publicKey)).toBe(vectors.test_signer.derived_ed25519_public_key_hex);
  });

  it('give identical public keys and signatures, and verify each other\'s signatures', () => {
    fc.assert(
      fc.property(seedArb, messageArb, (seed, message) => {
        const portable = portableCrypto.ed25519Signer(seed);
        const native = nativeCrypto.ed25519Signer(seed);
        expect(toHex(native.publicKey)).toBe(toHex(portable.publicKey));
        const portableSignature = portable.sign(message);
        const nativeSignature = native.sign(message);
        expect(nativeSignature).toHaveLength(64);
        expect(toHex(nativeSignature)).toBe(toHex(portableSignature));
        expect(nativeCrypto.ed25519Verify(portable.publicKey, message, portableSignature)).toBe(true);
        expect(portableCrypto.ed25519Verify(native.publicKey, message, nativeSignature)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('both reject a signature over a changed message, or with a flipped bit', () => {
    fc.assert(
      fc.property(seedArb, messageArb, fc.nat(), (seed, message, position) => {
        const signer = nativeCrypto.ed25519Signer(seed);
        const signature = signer.sign(message);
        const flipped = signature.slice();
        flipped[position % 64]! ^= 1 << (position % 8);
        const changed = Uint8Array.from([...message, 0]);
        for (const [, provider] of providers) {
          expect(provider.ed25519Verify(signer.publicKey, message, flipped)).toBe(false);
          expect(provider.ed25519Verify(signer.publicKey, changed, signature)).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('both reject a malleated signature (S + L) and never throw on malformed input', () => {
    const signer = portableCrypto.ed25519Signer(new Uint8Array(32).fill(1));
    const message = utf8('message');
    const signature = signer.sign(message);
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
    const malleated = signature.slice();
    malleated.set(littleEndian32(s + GROUP_ORDER), 32);
    for (const [, provider] of providers) {
      expect(provider.ed25519Verify(signer.publicKey, message, signature)).toBe(true);
      expect(provider.ed25519Verify(signer.publicKey, message, malleated)).toBe(false);
      expect(provider.ed25519Verify(signer.publicKey, message, signature.subarray(0, 63))).toBe(false);
      expect(provider.ed25519Verify(signer.publicKey.subarray(0, 31), message, signature)).toBe(false);
      expect(provider.ed25519Verify(new Uint8Array(32).fill(0xff), message, signature)).toBe(false);
      expect(provider.ed25519Verify(littleEndian32(2n), message, signature)).toBe(false);
      expect(provider.ed25519Verify(new Uint8Array(0), message, new Uint8Array(0))).toBe(false);
    }
  });

  it('both refuse a seed that is not 32 bytes', () => {
    for (const [, provider] of providers) {
      expectInvalid(() => provider.ed25519Signer(new Uint8Array(31)));
      expectInvalid(() => provider.ed25519Signer(new Uint8Array(64)));
    }
  });
});

describe('Ed25519 → X25519 conversions', () => {
  it('reproduce the vector values for the test signer', () => {
    const seed = fromHex(vectors.test_signer.secret_key_hex);
    const publicKey = fromHex(vectors.test_signer.derived_ed25519_public_key_hex);
    for (const [, provider] of providers) {
      expect(toHex(provider.ed25519PublicToX25519(publicKey))).toBe(vectors.test_signer.derived_x25519_static_public_key_hex);
      expect(toHex(provider.ed25519SecretToX25519(seed))).toBe(vectors.test_signer.derived_x25519_static_secret_hex_clamped);
      const agreement = provider.x25519FromSecret(provider.ed25519SecretToX25519(seed));
      expect(toHex(agreement.publicKey)).toBe(vectors.test_signer.derived_x25519_static_public_key_hex);
    }
  });

  it('agree across providers, and the converted secret belongs to the converted public key', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const publicKey = portableCrypto.ed25519Signer(seed).publicKey;
        const montgomery = toHex(portableCrypto.ed25519PublicToX25519(publicKey));
        expect(toHex(nativeCrypto.ed25519PublicToX25519(publicKey))).toBe(montgomery);
        const secret = portableCrypto.ed25519SecretToX25519(seed);
        expect(toHex(nativeCrypto.ed25519SecretToX25519(seed))).toBe(toHex(secret));
        expect(secret[0]! & 7).toBe(0);
        expect(secret[31]! & 0xc0).toBe(0x40);
        for (const [, provider] of providers) expect(toHex(provider.x25519FromSecret(secret).publicKey)).toBe(montgomery);
      }),
      { numRuns: 60 },
    );
  });

  it('both refuse an Ed25519 public key that is not a point', () => {
    for (const [, provider] of providers) {
      expectInvalid(() => provider.ed25519PublicToX25519(littleEndian32(2n)));
      expectInvalid(() => provider.ed25519PublicToX25519(new Uint8Array(31)));
    }
  });

  it('native hands out copies from its conversion cache', () => {
    const publicKey = fromHex(vectors.test_signer.derived_ed25519_public_key_hex);
    nativeCrypto.ed25519PublicToX25519(publicKey).fill(0);
    expect(toHex(nativeCrypto.ed25519PublicToX25519(publicKey))).toBe(vectors.test_signer.derived_x25519_static_public_key_hex);
  });
});

describe('X25519 agreement', () => {
  it('matches the RFC 7748 §6.1 Diffie-Hellman example on both providers', () => {
    const alice = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bob = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    for (const [, provider] of providers) {
      const a = provider.x25519FromSecret(alice);
      const b = provider.x25519FromSecret(bob);
      expect(toHex(a.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      expect(toHex(b.publicKey)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      expect(toHex(a.agree(b.publicKey))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
      expect(toHex(b.agree(a.publicKey))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    }
  });

  it('static-static: both sides and both providers reach the same secret from the identity keys', () => {
    fc.assert(
      fc.property(seedArb, seedArb, (seedA, seedB) => {
        const edA = portableCrypto.ed25519Signer(seedA).publicKey;
        const edB = portableCrypto.ed25519Signer(seedB).publicKey;
        const results = new Set<string>();
        for (const [, mine] of providers) {
          for (const [, theirs] of providers) {
            results.add(toHex(mine.x25519FromSecret(mine.ed25519SecretToX25519(seedA)).agree(theirs.ed25519PublicToX25519(edB))));
            results.add(toHex(theirs.x25519FromSecret(theirs.ed25519SecretToX25519(seedB)).agree(mine.ed25519PublicToX25519(edA))));
          }
        }
        expect(results.size).toBe(1);
      }),
      { numRuns: 40 },
    );
  });

  it('ephemeral-with-static: agree both ways, across providers', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const staticPublic = portableCrypto.ed25519PublicToX25519(portableCrypto.ed25519Signer(seed).publicKey);
        for (const [, ephemeralSide] of providers) {
          for (const [, staticSide] of providers) {
            const ephemeral = ephemeralSide.x25519Ephemeral();
            const staticKey = staticSide.x25519FromSecret(staticSide.ed25519SecretToX25519(seed));
            expect(toHex(ephemeral.agree(staticPublic))).toBe(toHex(staticKey.agree(ephemeral.publicKey)));
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('gives the same shared secret for the same secrets on both providers', () => {
    fc.assert(
      fc.property(bytes32, bytes32, (a, b) => {
        const peer = portableCrypto.x25519FromSecret(b).publicKey;
        expect(toHex(nativeCrypto.x25519FromSecret(a).agree(peer))).toBe(toHex(portableCrypto.x25519FromSecret(a).agree(peer)));
        expect(toHex(nativeCrypto.x25519FromSecret(a).publicKey)).toBe(toHex(portableCrypto.x25519FromSecret(a).publicKey));
      }),
      { numRuns: 60 },
    );
  });

  it('makes a fresh ephemeral key every time', () => {
    for (const [, provider] of providers) expect(toHex(provider.x25519Ephemeral().publicKey)).not.toBe(toHex(provider.x25519Ephemeral().publicKey));
  });

  const lowOrder: Array<[string, Uint8Array]> = [
    ['all zero (u = 0)', littleEndian32(0n)],
    ['u = 1', littleEndian32(1n)],
    ['a point of order 8', littleEndian32(325606250916557431795983626356110631294008115727848805560023387167927233504n)],
    ['the other point of order 8', littleEndian32(39382357235489614581723060781553021112529911719440698176882885853963445705823n)],
    ['u = p - 1', littleEndian32(FIELD_PRIME - 1n)],
    ['u = p (non-canonical 0)', littleEndian32(FIELD_PRIME)],
    ['u = p + 1 (non-canonical 1)', littleEndian32(FIELD_PRIME + 1n)],
    ['all zero with the top bit set', Uint8Array.from([...new Uint8Array(31), 0x80])],
  ];
  for (const [label, peer] of lowOrder) {
    it(`both reject a low-order public key: ${label}`, () => {
      for (const [, provider] of providers) {
        expectInvalid(() => provider.x25519FromSecret(new Uint8Array(32).fill(7)).agree(peer));
        expectInvalid(() => provider.x25519Ephemeral().agree(peer));
      }
    });
  }

  it('both refuse keys of the wrong length', () => {
    for (const [, provider] of providers) {
      expectInvalid(() => provider.x25519FromSecret(new Uint8Array(31)));
      expectInvalid(() => provider.x25519Ephemeral().agree(new Uint8Array(33)));
    }
  });
});

describe('hashes and key derivation', () => {
  it('SHA-256 of "" and "abc" (FIPS 180-2), and equal on any input', () => {
    for (const [, provider] of providers) {
      expect(toHex(provider.sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect(toHex(provider.sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    }
    fc.assert(
      fc.property(messageArb, (data) => {
        expect(toHex(nativeCrypto.sha256(data))).toBe(toHex(portableCrypto.sha256(data)));
      }),
      { numRuns: 100 },
    );
  });

  it('HMAC-SHA256: RFC 4231 test case 1, and equal on any key and data', () => {
    for (const [, provider] of providers) {
      expect(toHex(provider.hmacSha256(fromHex('0b'.repeat(20)), utf8('Hi There')))).toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), messageArb, (key, data) => {
        expect(toHex(nativeCrypto.hmacSha256(key, data))).toBe(toHex(portableCrypto.hmacSha256(key, data)));
      }),
      { numRuns: 100 },
    );
  });

  it('HKDF-SHA256: RFC 5869 test cases 1 and 3', () => {
    const ikm = fromHex('0b'.repeat(22));
    for (const [, provider] of providers) {
      expect(toHex(provider.hkdfSha256(ikm, fromHex('000102030405060708090a0b0c'), fromHex('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
        '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
      );
      expect(toHex(provider.hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), 42))).toBe(
        '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
      );
    }
  });

  it('HKDF-SHA256: equal on any input and output length up to the session length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 1, max: 128 }), (ikm, salt, info, length) => {
        const out = nativeCrypto.hkdfSha256(ikm, salt, info, length);
        expect(out).toHaveLength(length);
        expect(toHex(out)).toBe(toHex(portableCrypto.hkdfSha256(ikm, salt, info, length)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('ChaCha20-Poly1305', () => {
  it('reproduces the RFC 8439 §2.8.2 AEAD example on both providers', () => {
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('070000004041424344454647');
    const aad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = utf8("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    for (const [, provider] of providers) {
      const sealed = provider.aead(key).seal(nonce, plaintext, aad);
      expect(sealed).toHaveLength(plaintext.length + 16);
      expect(toHex(sealed.subarray(0, 16))).toBe('d31a8d34648e60db7b86afbc53ef7ec2');
      expect(toHex(sealed.subarray(plaintext.length))).toBe('1ae10b594f09e26a7e902ecbd0600691');
      expect(provider.aead(key).open(nonce, sealed, aad)).toEqual(plaintext);
    }
  });

  it('seals to identical bytes for the same key, nonce and aad, and each opens the other', () => {
    fc.assert(
      fc.property(bytes32, fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 1500 }), fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }), (key, nonce, plaintext, aad) => {
        const portable = portableCrypto.aead(key).seal(nonce, plaintext, aad);
        const native = nativeCrypto.aead(key).seal(nonce, plaintext, aad);
        expect(toHex(native)).toBe(toHex(portable));
        expect(toHex(portableCrypto.aead(key).open(nonce, native, aad)!)).toBe(toHex(plaintext));
        expect(toHex(nativeCrypto.aead(key).open(nonce, portable, aad)!)).toBe(toHex(plaintext));
      }),
      { numRuns: 100 },
    );
  });

  it('both answer null for any tampered byte, another aad or another nonce', () => {
    fc.assert(
      fc.property(bytes32, fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (key, plaintext, position) => {
        const nonce = new Uint8Array(12);
        const aad = utf8('header');
        const sealed = portableCrypto.aead(key).seal(nonce, plaintext, aad);
        const tampered = sealed.slice();
        tampered[position % tampered.length]! ^= 0x01;
        const otherNonce = nonce.slice();
        otherNonce[11] = 1;
        for (const [, provider] of providers) {
          const aead = provider.aead(key);
          expect(aead.open(nonce, tampered, aad)).toBeNull();
          expect(aead.open(nonce, sealed, utf8('Header'))).toBeNull();
          expect(aead.open(nonce, sealed)).toBeNull();
          expect(aead.open(otherNonce, sealed, aad)).toBeNull();
          expect(aead.open(nonce, sealed.subarray(0, sealed.length - 1), aad)).toBeNull();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('both answer null for input shorter than a tag, and seal an empty plaintext to a bare tag', () => {
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(12);
    for (const [, provider] of providers) {
      const aead = provider.aead(key);
      expect(aead.open(nonce, new Uint8Array(5))).toBeNull();
      expect(aead.open(nonce, new Uint8Array(0))).toBeNull();
      const tagOnly = aead.seal(nonce, new Uint8Array(0));
      expect(tagOnly).toHaveLength(16);
      expect(aead.open(nonce, tagOnly)).toEqual(new Uint8Array(0));
    }
  });

  it('treats an absent aad like an empty one, on both providers', () => {
    const key = new Uint8Array(32).fill(4);
    const nonce = new Uint8Array(12);
    const a = portableCrypto.aead(key).seal(nonce, utf8('x'));
    const b = nativeCrypto.aead(key).seal(nonce, utf8('x'), new Uint8Array(0));
    expect(toHex(a)).toBe(toHex(b));
  });

  it('both refuse a key or nonce of the wrong length', () => {
    for (const [, provider] of providers) {
      expectInvalid(() => provider.aead(new Uint8Array(16)));
      expectInvalid(() => provider.aead(new Uint8Array(32)).seal(new Uint8Array(8), utf8('x')));
      expectInvalid(() => provider.aead(new Uint8Array(32)).open(new Uint8Array(24), new Uint8Array(32)));
    }
  });

  it('keeps its own copy of the key', () => {
    for (const [, provider] of providers) {
      const key = new Uint8Array(32).fill(9);
      const aead = provider.aead(key);
      const before = toHex(aead.seal(new Uint8Array(12), utf8('x')));
      key.fill(0);
      expect(toHex(aead.seal(new Uint8Array(12), utf8('x')))).toBe(before);
    }
  });
});

describe('random bytes', () => {
  it('gives the asked length, and different bytes each time', () => {
    for (const [, provider] of providers) {
      expect(provider.randomBytes(0)).toHaveLength(0);
      expect(provider.randomBytes(33)).toHaveLength(33);
      expect(toHex(provider.randomBytes(32))).not.toBe(toHex(provider.randomBytes(32)));
    }
  });
});
