import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { vectors } from '../../tests/fixtures/vectors.js';
import { portableCrypto } from './crypto/portable-provider.js';
import { fromHex, toHex } from './encoding/hex.js';
import { fromBase58, toBase58 } from './encoding/base58.js';
import { ProtocolError, type ErrorCode } from './errors.js';
import {
  DID_KEY_CACHE_SIZE,
  NODE_ID_PREFIX,
  PARTICIPANT_ID_PREFIX,
  fingerprintFromPublicKey,
  fingerprintOf,
  isNodeId,
  nodeIdFromPublicKey,
  parseFingerprint,
  parseNodeId,
  parseParticipantId,
  participantIdFromPublicKey,
  shortId,
} from './did-key.js';

const signer = vectors.test_signer;
const vectorKey = fromHex(signer.derived_ed25519_public_key_hex);
const vectorFingerprint = signer.key_public;

function expectCode(fn: () => unknown, code: ErrorCode, detail?: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a ProtocolError').toBeInstanceOf(ProtocolError);
  const error = thrown as ProtocolError;
  expect(error.code).toBe(code);
  if (typeof detail === 'string') expect(error.detail).toContain(detail);
  else if (detail) expect(error.detail).toMatch(detail);
}

/** A fingerprint over arbitrary bytes (no validation), for building bad ids. */
function rawFingerprint(bytes: Uint8Array): string {
  return `z${toBase58(bytes)}`;
}

function withCodec(codec: readonly number[], key: Uint8Array): Uint8Array {
  return Uint8Array.from([...codec, ...key]);
}

/** Little-endian 32 bytes of a field element, as Ed25519 encodes y. */
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

describe('did:key identifiers: the vector identity', () => {
  it('derives node-id, participant-id and key/public of the test signer', () => {
    const publicKey = portableCrypto.ed25519Signer(fromHex(signer.secret_key_hex)).publicKey;
    expect(toHex(publicKey)).toBe(signer.derived_ed25519_public_key_hex);
    expect(nodeIdFromPublicKey(publicKey)).toBe(signer.node_id);
    expect(participantIdFromPublicKey(publicKey)).toBe(signer.derived_participant_id);
    expect(fingerprintFromPublicKey(publicKey)).toBe(signer.key_public);
  });

  it('starts every Ed25519 fingerprint with z6Mk and carries multicodec 0xed01', () => {
    expect(vectorFingerprint.startsWith('z6Mk')).toBe(true);
    // The vectors file carries more fields than the TestSigner type names.
    const prefixedHex = (vectors.test_signer as unknown as Record<string, string>)['derived_multicodec_prefixed_hex'];
    expect(prefixedHex).toBe(`ed01${signer.derived_ed25519_public_key_hex}`);
    expect(toHex(fromBase58(vectorFingerprint.slice(1)))).toBe(prefixedHex);
  });

  it('parses the vector ids back to the public key', () => {
    expect(toHex(parseNodeId(signer.node_id))).toBe(signer.derived_ed25519_public_key_hex);
    expect(toHex(parseParticipantId(signer.derived_participant_id))).toBe(signer.derived_ed25519_public_key_hex);
    expect(toHex(parseFingerprint(signer.key_public))).toBe(signer.derived_ed25519_public_key_hex);
    expect(isNodeId(signer.node_id)).toBe(true);
  });

  it('accepts the valid example identity z6MkhaXg…', () => {
    expect(parseNodeId('node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK')).toHaveLength(32);
  });

  it('reads the fingerprint of either role and shortens it for people', () => {
    expect(fingerprintOf(signer.node_id)).toBe(vectorFingerprint);
    expect(fingerprintOf(signer.derived_participant_id)).toBe(vectorFingerprint);
    expect(fingerprintOf(vectorFingerprint)).toBe(vectorFingerprint);
    expect(shortId(signer.node_id)).toBe('z6MkwJFp…65yE');
    expect(shortId('z6MkPeer')).toBe('z6MkPeer');
    expect(shortId(signer.node_id.replace('node:', 'operator:'))).toBe('z6MkwJFp…65yE');
  });

  it('refuses to fingerprint a key that is not 32 bytes', () => {
    expectCode(() => fingerprintFromPublicKey(new Uint8Array(31)), 'E_PROTO_INVALID', '32 bytes');
    expectCode(() => nodeIdFromPublicKey(new Uint8Array(33)), 'E_PROTO_INVALID', '32 bytes');
  });
});

describe('did:key identifiers: strict parsing rejects every other text form', () => {
  const prefixCases: Array<[label: string, text: string]> = [
    ['empty text', ''],
    ['a bare did:key without a role', `did:key:${vectorFingerprint}`],
    ['only the role', `node:${vectorFingerprint}`],
    ['role and did without key', `node:did:${vectorFingerprint}`],
    ['an uppercase prefix', `NODE:DID:KEY:${vectorFingerprint}`],
    ['a capitalised role', `Node:did:key:${vectorFingerprint}`],
    ['an uppercase did', `node:DID:key:${vectorFingerprint}`],
    ['the participant role where a node is expected', `participant:did:key:${vectorFingerprint}`],
    ['a leading space', ` node:did:key:${vectorFingerprint}`],
    ['a URL-style prefix', `did:key://${vectorFingerprint}`],
  ];
  for (const [label, text] of prefixCases) {
    it(`rejects ${label}`, () => expectCode(() => parseNodeId(text), 'E_PROTO_INVALID', 'must start with "node:did:key:"'));
  }

  it('rejects a node id where a participant id is expected', () => {
    expectCode(() => parseParticipantId(signer.node_id), 'E_PROTO_INVALID', 'must start with "participant:did:key:"');
  });

  it('rejects a non-string id', () => {
    expectCode(() => parseNodeId(42 as unknown as string), 'E_PROTO_INVALID');
    expectCode(() => parseNodeId(null as unknown as string), 'E_PROTO_INVALID');
  });

  it('rejects a fingerprint without the multibase z, or with another multibase prefix', () => {
    const body = vectorFingerprint.slice(1);
    expectCode(() => parseNodeId(`${NODE_ID_PREFIX}${body}`), 'E_PROTO_INVALID', 'multibase prefix "z"');
    expectCode(() => parseNodeId(`${NODE_ID_PREFIX}Z${body}`), 'E_PROTO_INVALID', 'multibase prefix "z"');
    expectCode(() => parseNodeId(`${NODE_ID_PREFIX}m${body}`), 'E_PROTO_INVALID', 'multibase prefix "z"');
    expectCode(() => parseFingerprint(body), 'E_PROTO_INVALID', 'multibase prefix "z"');
    expectCode(() => parseFingerprint(''), 'E_PROTO_INVALID');
  });

  for (const bad of ['0', 'O', 'I', 'l', '+', '/', '_', ' ', 'é']) {
    it(`rejects the non-base58 character ${JSON.stringify(bad)}`, () => {
      const text = `${vectorFingerprint.slice(0, 10)}${bad}${vectorFingerprint.slice(11)}`;
      expectCode(() => parseFingerprint(text), 'E_PROTO_INVALID', 'outside the alphabet');
      expectCode(() => parseNodeId(`${NODE_ID_PREFIX}${text}`), 'E_PROTO_INVALID', 'outside the alphabet');
    });
  }

  it('rejects trailing text after a valid fingerprint', () => {
    expectCode(() => parseNodeId(`${signer.node_id} `), 'E_PROTO_INVALID');
    expectCode(() => parseNodeId(`${signer.node_id}\n`), 'E_PROTO_INVALID');
    expectCode(() => parseNodeId(`${signer.node_id}1`), 'E_PROTO_INVALID');
  });

  it('rejects a wrong decoded length: 33 and 35 bytes', () => {
    const prefixed = withCodec([0xed, 0x01], vectorKey);
    expectCode(() => parseFingerprint(rawFingerprint(prefixed.slice(0, 33))), 'E_PROTO_INVALID', 'got 33');
    expectCode(() => parseFingerprint(rawFingerprint(Uint8Array.from([...prefixed, 0]))), 'E_PROTO_INVALID', 'got 35');
    expectCode(() => parseFingerprint(rawFingerprint(vectorKey)), 'E_PROTO_INVALID', 'got 32');
    expectCode(() => parseFingerprint('z'), 'E_PROTO_INVALID', 'got 0');
  });

  it('rejects a wrong multicodec: 0x1205 (rsa-pub), 0xec01 (x25519-pub), 0xe701 (secp256k1-pub)', () => {
    for (const codec of [[0x12, 0x05], [0xec, 0x01], [0xe7, 0x01], [0x01, 0xed]]) {
      expectCode(() => parseFingerprint(rawFingerprint(withCodec(codec, vectorKey))), 'E_PROTO_INVALID', 'multicodec 0xed01');
    }
  });

  it('rejects 32 bytes that are not an Ed25519 point', () => {
    // y = 2 has no x on the curve; neither has the all-0xff encoding.
    expectCode(() => parseFingerprint(rawFingerprint(withCodec([0xed, 0x01], littleEndian32(2n)))), 'E_PROTO_INVALID', 'valid Ed25519 point');
    expectCode(() => parseFingerprint(rawFingerprint(withCodec([0xed, 0x01], new Uint8Array(32).fill(0xff)))), 'E_PROTO_INVALID', 'valid Ed25519 point');
  });

  it('rejects non-canonical point encodings (y >= p, or x = 0 with the sign bit set)', () => {
    expectCode(() => parseFingerprint(rawFingerprint(withCodec([0xed, 0x01], littleEndian32(FIELD_PRIME)))), 'E_PROTO_INVALID', 'valid Ed25519 point');
    expectCode(() => parseFingerprint(rawFingerprint(withCodec([0xed, 0x01], littleEndian32(FIELD_PRIME + 1n)))), 'E_PROTO_INVALID', 'valid Ed25519 point');
    const negativeZero = littleEndian32(1n);
    negativeZero[31]! |= 0x80;
    expectCode(() => parseFingerprint(rawFingerprint(withCodec([0xed, 0x01], negativeZero))), 'E_PROTO_INVALID', 'valid Ed25519 point');
  });

  it('rejects small-order points: the identity and points of order 2, 4 and 8', () => {
    const identity = littleEndian32(1n);
    const orderTwo = littleEndian32(FIELD_PRIME - 1n);
    const orderFour = littleEndian32(0n);
    // A point of order 8 (from the well-known Ed25519 torsion list).
    const orderEight = fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    for (const key of [identity, orderTwo, orderFour, orderEight]) {
      expectCode(() => parseFingerprint(rawFingerprint(withCodec([0xed, 0x01], key))), 'E_PROTO_INVALID', 'small-order');
    }
  });

  it('rejects a non-canonical text form: an extra leading "1" (a leading zero byte)', () => {
    expectCode(() => parseFingerprint(`z1${vectorFingerprint.slice(1)}`), 'E_PROTO_INVALID', 'got 35');
    expectCode(() => parseNodeId(`${NODE_ID_PREFIX}z1${vectorFingerprint.slice(1)}`), 'E_PROTO_INVALID');
  });

  it('rejects the digest fixture ids: z6Mkunknownpeer1111… (33 bytes, prefix 0x1209) and z6MkPeer', () => {
    const unknownPeer = `z6Mkunknownpeer${'1'.repeat(31)}`;
    expect(toHex(fromBase58(unknownPeer.slice(1)).slice(0, 2))).toBe('1209');
    expectCode(() => parseFingerprint(unknownPeer), 'E_PROTO_INVALID', 'got 33');
    expectCode(() => parseNodeId(`${NODE_ID_PREFIX}${unknownPeer}`), 'E_PROTO_INVALID', 'got 33');
    expectCode(() => parseNodeId(`${NODE_ID_PREFIX}z6MkPeer`), 'E_PROTO_INVALID', 'got 5');
    expect(isNodeId(`${NODE_ID_PREFIX}${unknownPeer}`)).toBe(false);
  });

  it('judges look-alike ids by their bytes: every length of z6Mkunknownpeer1…1 fails but the one that happens to decode to a key', () => {
    for (let ones = 0; ones < 40; ones++) {
      const text = `z6Mkunknownpeer${'1'.repeat(ones)}`;
      const decodedLength = fromBase58(text.slice(1)).length;
      if (decodedLength === 34) continue;
      expectCode(() => parseFingerprint(text), 'E_PROTO_INVALID', `got ${decodedLength}`);
    }
  });

  it('rejects the handshake vector recipient, whose fingerprint is not an Ed25519 point', () => {
    expectCode(() => parseNodeId('node:did:key:z6MkrLQkJr2YQ6L8eYw6Qk8f9P8GmJm7a3x6P1v1Q2w3E4r5'), 'E_PROTO_INVALID', 'valid Ed25519 point');
  });

  it('refuses over-long text before decoding it', () => {
    expectCode(() => parseFingerprint(`z${'2'.repeat(10_000)}`), 'E_PROTO_INVALID', 'too long');
  });

  it('answers isNodeId without throwing, for any value', () => {
    expect(isNodeId(undefined)).toBe(false);
    expect(isNodeId(7)).toBe(false);
    expect(isNodeId(signer.derived_participant_id)).toBe(false);
  });
});

describe('did:key identifiers: round trips', () => {
  const seeds = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('every Ed25519 public key gives ids that parse back to the same key', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        const publicKey = portableCrypto.ed25519Signer(seed).publicKey;
        const nodeId = nodeIdFromPublicKey(publicKey);
        const participantId = participantIdFromPublicKey(publicKey);
        expect(nodeId.startsWith(`${NODE_ID_PREFIX}z6Mk`)).toBe(true);
        expect(participantId.startsWith(`${PARTICIPANT_ID_PREFIX}z6Mk`)).toBe(true);
        expect(nodeId).toHaveLength(NODE_ID_PREFIX.length + 48);
        expect(parseNodeId(nodeId)).toEqual(publicKey);
        expect(parseParticipantId(participantId)).toEqual(publicKey);
        expect(fingerprintOf(nodeId)).toBe(fingerprintOf(participantId));
      }),
      { numRuns: 150 },
    );
  });

  it('any base58 text after the prefix is either the canonical id of a key or E_PROTO_INVALID', () => {
    const base58Char = fc.constantFrom(...'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz');
    const bodies = fc.oneof(
      fc.string({ unit: base58Char, minLength: 0, maxLength: 60 }),
      // Mostly the right length, so the point check is reached often.
      fc.string({ unit: base58Char, minLength: 47, maxLength: 47 }).map((s) => `6Mk${s.slice(3)}`),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        const id = `${NODE_ID_PREFIX}z${body}`;
        let key: Uint8Array;
        try {
          key = parseNodeId(id);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
          expect((error as ProtocolError).code).toBe('E_PROTO_INVALID');
          return;
        }
        expect(nodeIdFromPublicKey(key)).toBe(id);
      }),
      { numRuns: 400 },
    );
  });

  it('any 32 bytes under the ed01 codec are either a canonical key or E_PROTO_INVALID', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const text = rawFingerprint(withCodec([0xed, 0x01], bytes));
        try {
          expect(parseFingerprint(text)).toEqual(bytes);
          expect(fingerprintFromPublicKey(bytes)).toBe(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
          expect((error as ProtocolError).code).toBe('E_PROTO_INVALID');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('did:key identifiers: the parse cache', () => {
  it('hands out copies, so a caller cannot corrupt the cached key', () => {
    const first = parseNodeId(signer.node_id);
    first.fill(0);
    expect(toHex(parseNodeId(signer.node_id))).toBe(signer.derived_ed25519_public_key_hex);
    expect(parseNodeId(signer.node_id)).not.toBe(parseNodeId(signer.node_id));
  });

  it('still rejects invalid ids after many valid ones went through (bounded cache)', () => {
    for (let i = 0; i < DID_KEY_CACHE_SIZE + 10; i += 97) {
      const seed = new Uint8Array(32);
      seed[0] = i & 0xff;
      seed[1] = i >> 8;
      parseNodeId(nodeIdFromPublicKey(portableCrypto.ed25519Signer(seed).publicKey));
    }
    expectCode(() => parseNodeId(`${NODE_ID_PREFIX}z6MkPeer`), 'E_PROTO_INVALID');
    expect(toHex(parseNodeId(signer.node_id))).toBe(signer.derived_ed25519_public_key_hex);
  });
});
