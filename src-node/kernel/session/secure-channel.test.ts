import { describe, expect, it } from 'vitest';
import { portableCrypto } from '../../../src-shared/protocol/crypto/portable-provider.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { AEAD_TAG_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { toHex } from '../../../src-shared/protocol/encoding/hex.js';
import { utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import {
  MAX_FRAMES_PER_DIRECTION,
  MAX_FRAME_BYTES,
  MAX_FRAME_PLAINTEXT_BYTES,
  SecureChannel,
  type SecureChannelOptions,
  frameNonce,
} from './secure-channel.js';

const keyA = new Uint8Array(32).fill(0xa1);
const keyB = new Uint8Array(32).fill(0xb2);

function pair(crypto: CryptoProvider, options?: SecureChannelOptions): { alice: SecureChannel; bob: SecureChannel } {
  return {
    alice: new SecureChannel(crypto, { sendKey: keyA, receiveKey: keyB }, options),
    bob: new SecureChannel(crypto, { sendKey: keyB, receiveKey: keyA }, options),
  };
}

function opened(channel: SecureChannel, frame: Uint8Array): string {
  const result = channel.open(frame);
  if (!result.ok) throw result.error;
  return new TextDecoder().decode(result.value);
}

function expectFailure(channel: SecureChannel, frame: Uint8Array, code: string, detail?: RegExp): void {
  const result = channel.open(frame);
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.error.code).toBe(code);
    if (detail) expect(result.error.detail).toMatch(detail);
  }
}

describe('frame nonce', () => {
  it('is 4 zero bytes then the 64-bit big-endian counter', () => {
    expect(toHex(frameNonce(0))).toBe('000000000000000000000000');
    expect(toHex(frameNonce(1))).toBe('000000000000000000000001');
    expect(toHex(frameNonce(0x01020304))).toBe('000000000000000001020304');
    expect(toHex(frameNonce(2 ** 32))).toBe('000000000000000100000000');
    expect(toHex(frameNonce(2 ** 40 + 5))).toBe('000000000000010000000005');
  });
});

describe('the frame limits', () => {
  it('are far below the nonce space and tied to the message size', () => {
    expect(MAX_FRAMES_PER_DIRECTION).toBeLessThan(2 ** 53);
    expect(MAX_FRAME_BYTES).toBe(MAX_FRAME_PLAINTEXT_BYTES + AEAD_TAG_LENGTH);
    expect(new SecureChannel(portableCrypto, { sendKey: keyA, receiveKey: keyB }).maxFrames).toBe(MAX_FRAMES_PER_DIRECTION);
  });
});

describe.each([
  ['portable', portableCrypto],
  ['native', nativeCrypto],
])('secure channel (%s provider)', (_name, crypto) => {
  it('round-trips frames both ways, counting each direction on its own', () => {
    const { alice, bob } = pair(crypto);
    for (let i = 0; i < 5; i++) expect(opened(bob, alice.seal(utf8(`a${i}`)))).toBe(`a${i}`);
    expect(opened(alice, bob.seal(utf8('b0')))).toBe('b0');
    expect(alice.sentFrames).toBe(5);
    expect(alice.receivedFrames).toBe(1);
    expect(bob.receivedFrames).toBe(5);
    expect(bob.sentFrames).toBe(1);
  });

  it('a frame is exactly ciphertext ‖ tag, sealed with the counter nonce and no AAD', () => {
    const { alice } = pair(crypto);
    const plaintext = utf8('hello');
    const first = alice.seal(plaintext);
    const second = alice.seal(plaintext);
    expect(first.length).toBe(plaintext.length + AEAD_TAG_LENGTH);
    expect(toHex(first)).toBe(toHex(crypto.aead(keyA).seal(frameNonce(0), plaintext)));
    expect(toHex(second)).toBe(toHex(crypto.aead(keyA).seal(frameNonce(1), plaintext)));
    expect(toHex(first)).not.toBe(toHex(second));
  });

  it('an empty plaintext is a tag-only frame', () => {
    const { alice, bob } = pair(crypto);
    const frame = alice.seal(new Uint8Array(0));
    expect(frame.length).toBe(AEAD_TAG_LENGTH);
    expect(opened(bob, frame)).toBe('');
  });

  it('a tampered frame ends the session, and every later open fails with the same error', () => {
    const { alice, bob } = pair(crypto);
    const frame = alice.seal(utf8('pay 10'));
    const next = alice.seal(utf8('pay 20'));
    const tampered = frame.slice();
    tampered[0]! ^= 1;
    expectFailure(bob, tampered, 'E_PROTO_INVALID', /failed authentication.*session ended/);
    const firstError = bob.failed;
    expect(firstError).toBeDefined();
    expectFailure(bob, frame, 'E_PROTO_INVALID');
    expectFailure(bob, next, 'E_PROTO_INVALID');
    const later = bob.open(frame);
    expect(later.ok).toBe(false);
    if (!later.ok) expect(later.error).toBe(firstError);
  });

  it('a tampered tag fails too', () => {
    const { alice, bob } = pair(crypto);
    const frame = alice.seal(utf8('x'));
    frame[frame.length - 1]! ^= 0x80;
    expectFailure(bob, frame, 'E_PROTO_INVALID', /failed authentication/);
  });

  it('a replayed frame ends the session', () => {
    const { alice, bob } = pair(crypto);
    const frame = alice.seal(utf8('once'));
    expect(opened(bob, frame)).toBe('once');
    expectFailure(bob, frame, 'E_PROTO_INVALID', /failed authentication/);
    expectFailure(bob, alice.seal(utf8('fresh')), 'E_PROTO_INVALID');
  });

  it('reordered frames end the session', () => {
    const { alice, bob } = pair(crypto);
    const f0 = alice.seal(utf8('0'));
    const f1 = alice.seal(utf8('1'));
    expectFailure(bob, f1, 'E_PROTO_INVALID');
    expectFailure(bob, f0, 'E_PROTO_INVALID');
  });

  it('a dropped frame ends the session at the next one', () => {
    const { alice, bob } = pair(crypto);
    expect(opened(bob, alice.seal(utf8('0')))).toBe('0');
    alice.seal(utf8('1 (lost)'));
    expectFailure(bob, alice.seal(utf8('2')), 'E_PROTO_INVALID');
  });

  it('a frame sealed for the other direction does not open', () => {
    const { alice } = pair(crypto);
    expectFailure(alice, alice.seal(utf8('echo')), 'E_PROTO_INVALID');
  });

  it('sealing still works after a receive failure (to send a last error), then close stops both', () => {
    const { alice, bob } = pair(crypto);
    expectFailure(bob, new Uint8Array(AEAD_TAG_LENGTH + 3), 'E_PROTO_INVALID');
    expect(opened(alice, bob.seal(utf8('error: bye')))).toBe('error: bye');
    bob.close();
    expect(bob.isClosed).toBe(true);
    expect(bob.canSeal).toBe(false);
    expect(() => bob.seal(utf8('more'))).toThrow(/E_TRANSPORT_UNAVAILABLE/);
    alice.close();
    expectFailure(alice, new Uint8Array(AEAD_TAG_LENGTH), 'E_TRANSPORT_UNAVAILABLE', /closed/);
  });

  it('crosses the frames-per-direction cap: sealing and opening stop, the session must be re-established', () => {
    const { alice, bob } = pair(crypto, { maxFrames: 3 });
    const frames = [0, 1, 2].map((i) => alice.seal(utf8(String(i))));
    expect(alice.canSeal).toBe(false);
    expect(() => alice.seal(utf8('3'))).toThrow(/E_TRANSPORT_UNAVAILABLE.*re-establish/);
    for (const [i, frame] of frames.entries()) expect(opened(bob, frame)).toBe(String(i));
    // A peer that ignores the cap: its fourth frame (counter 3) is refused before decryption.
    const unbounded = new SecureChannel(crypto, { sendKey: keyA, receiveKey: keyB });
    for (let i = 0; i < 3; i++) unbounded.seal(utf8('x'));
    expectFailure(bob, unbounded.seal(utf8('3')), 'E_TRANSPORT_UNAVAILABLE', /more than 3 frames/);
    expectFailure(bob, unbounded.seal(utf8('4')), 'E_TRANSPORT_UNAVAILABLE');
  });

  it('carries a plaintext of exactly MAX_FRAME_PLAINTEXT_BYTES and refuses one byte more', () => {
    const { alice, bob } = pair(crypto);
    const biggest = new Uint8Array(MAX_FRAME_PLAINTEXT_BYTES).fill(0x42);
    const frame = alice.seal(biggest);
    expect(frame.length).toBe(MAX_FRAME_BYTES);
    const result = bob.open(frame);
    expect(result.ok && result.value.length === MAX_FRAME_PLAINTEXT_BYTES).toBe(true);
    expect(() => alice.seal(new Uint8Array(MAX_FRAME_PLAINTEXT_BYTES + 1))).toThrow(/E_PROTO_INVALID/);
    expect(alice.sentFrames).toBe(1);
  });

  it('refuses a frame over MAX_FRAME_BYTES or shorter than a tag, ending the session', () => {
    const { bob } = pair(crypto);
    expectFailure(bob, new Uint8Array(MAX_FRAME_BYTES + 1), 'E_PROTO_INVALID', /over MAX_FRAME_BYTES/);
    const other = pair(crypto).bob;
    expectFailure(other, new Uint8Array(AEAD_TAG_LENGTH - 1), 'E_PROTO_INVALID', /shorter than its tag/);
    expectFailure(other, new Uint8Array(AEAD_TAG_LENGTH), 'E_PROTO_INVALID');
  });
});

describe('secure channel across providers', () => {
  it('portable and native seal the same bytes and open each other', () => {
    const p = pair(portableCrypto);
    const n = pair(nativeCrypto);
    for (const text of ['', 'ping', 'x'.repeat(1000)]) {
      const fp = p.alice.seal(utf8(text));
      const fn = n.alice.seal(utf8(text));
      expect(toHex(fp)).toBe(toHex(fn));
      expect(opened(n.bob, fp)).toBe(text);
      expect(opened(p.bob, fn)).toBe(text);
    }
  });
});
