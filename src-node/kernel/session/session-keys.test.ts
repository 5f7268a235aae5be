import { describe, expect, it } from 'vitest';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { portableCrypto } from '../../../src-shared/protocol/crypto/portable-provider.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { concatBytes, utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import { toHex } from '../../../src-shared/protocol/encoding/hex.js';
import { toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import { identityFromSeed } from '../identity/node-identity.js';
import { SESSION_ID_PREFIX, type SessionKeyInput, deriveSessionKeys } from './session-keys.js';

const seedI = new Uint8Array(32).fill(0x11);
const seedR = new Uint8Array(32).fill(0x22);
const ephI = new Uint8Array(32).fill(0x33);
const ephR = new Uint8Array(32).fill(0x44);
const helloInput = utf8('peer-handshake.v1\u0000hello-map');
const ackInput = utf8('peer-handshake.v1\u0000ack-map');

function inputs(crypto: CryptoProvider): { initiator: SessionKeyInput; responder: SessionKeyInput } {
  const i = identityFromSeed(seedI, crypto);
  const r = identityFromSeed(seedR, crypto);
  const ei = crypto.x25519FromSecret(ephI);
  const er = crypto.x25519FromSecret(ephR);
  const common = { crypto, helloSigningInput: helloInput, ackSigningInput: ackInput };
  return {
    initiator: { ...common, role: 'initiator', ephemeral: ei, staticKey: i.staticX25519, peerPublicKey: r.publicKey, peerSessionPublicKey: er.publicKey },
    responder: { ...common, role: 'responder', ephemeral: er, staticKey: r.staticX25519, peerPublicKey: i.publicKey, peerSessionPublicKey: ei.publicKey },
  };
}

/** The formula of DESIGN.md §5, written out with @noble directly. */
function expectedKeys(): { i2r: string; r2i: string; hash: Uint8Array } {
  const ikI = portableCrypto.ed25519SecretToX25519(seedI);
  const ikR = portableCrypto.ed25519SecretToX25519(seedR);
  const pub = (secret: Uint8Array) => x25519.getPublicKey(secret);
  const dh1 = x25519.getSharedSecret(ephI, pub(ikR));
  const dh2 = x25519.getSharedSecret(ikI, pub(ephR));
  const dh3 = x25519.getSharedSecret(ephI, pub(ephR));
  const hash = sha256(concatBytes(helloInput, ackInput));
  const okm = hkdf(sha256, concatBytes(dh1, dh2, dh3), hash, utf8('pnode/session.v1'), 64);
  return { i2r: toHex(okm.slice(0, 32)), r2i: toHex(okm.slice(32)), hash };
}

describe.each([
  ['portable', portableCrypto],
  ['native', nativeCrypto],
])('session keys (%s provider)', (_name, crypto) => {
  it('both roles derive matching keys: my send key is your receive key', () => {
    const { initiator, responder } = inputs(crypto);
    const a = deriveSessionKeys(initiator);
    const b = deriveSessionKeys(responder);
    expect(toHex(a.sendKey)).toBe(toHex(b.receiveKey));
    expect(toHex(a.receiveKey)).toBe(toHex(b.sendKey));
    expect(toHex(a.sendKey)).not.toBe(toHex(a.receiveKey));
    expect(a.sessionId).toBe(b.sessionId);
  });

  it('follows IKM = DH1‖DH2‖DH3, salt = SHA-256(hello input ‖ ack input), info pnode/session.v1, 64 bytes', () => {
    const expected = expectedKeys();
    const a = deriveSessionKeys(inputs(crypto).initiator);
    expect(toHex(a.sendKey)).toBe(expected.i2r);
    expect(toHex(a.receiveKey)).toBe(expected.r2i);
    expect(toHex(a.transcriptHash)).toBe(toHex(expected.hash));
    expect(a.sessionId).toBe(`${SESSION_ID_PREFIX}${toBase64url(expected.hash)}`);
  });

  it('another transcript gives other keys', () => {
    const { initiator } = inputs(crypto);
    const a = deriveSessionKeys(initiator);
    const b = deriveSessionKeys({ ...initiator, ackSigningInput: utf8('peer-handshake.v1\u0000other-ack') });
    expect(toHex(a.sendKey)).not.toBe(toHex(b.sendKey));
    expect(a.sessionId).not.toBe(b.sessionId);
  });

  it('refuses a low-order peer session key', () => {
    const { initiator } = inputs(crypto);
    expect(() => deriveSessionKeys({ ...initiator, peerSessionPublicKey: new Uint8Array(32) })).toThrow(/E_PROTO_INVALID/);
  });
});

describe('session keys across providers', () => {
  it('portable and native derive the same bytes', () => {
    const p = deriveSessionKeys(inputs(portableCrypto).responder);
    const n = deriveSessionKeys(inputs(nativeCrypto).responder);
    expect(toHex(p.sendKey)).toBe(toHex(n.sendKey));
    expect(toHex(p.receiveKey)).toBe(toHex(n.receiveKey));
    expect(p.sessionId).toBe(n.sessionId);
  });
});
