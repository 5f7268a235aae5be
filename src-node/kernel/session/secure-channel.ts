// The encrypted frame channel of a session (DESIGN.md §5). One ChaCha20-Poly1305 key per direction
// (session-keys.ts). Nonce = 4 zero bytes ‖ 64-bit big-endian frame counter, one counter per
// direction starting at 0, never sent: a WebSocket binary message is exactly ciphertext ‖ tag (16
// bytes), with no header and no AAD.
//
// Failure is final. A frame that fails to open — tampered, replayed, reordered, after a dropped
// one, truncated or oversized — means the two counters no longer agree or someone is interfering,
// so the session must end: after the first failure every later `open` answers the same error.
// (`seal` keeps working so a last `error` message can be sent before the caller closes.)
//
// Limits: MAX_FRAME_BYTES per frame; MAX_FRAMES_PER_DIRECTION frames per direction, after which the
// session must be re-established (a new handshake, so new keys). v1 has no rekeying.
import type { Aead, CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { ProtocolError, type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import { MAX_SESSION_MESSAGE_BYTES } from '../../../src-shared/protocol/messages/session-message.js';

/** Largest plaintext in one frame: one session message. */
export const MAX_FRAME_PLAINTEXT_BYTES = MAX_SESSION_MESSAGE_BYTES;
/** Largest WebSocket binary message after the handshake. */
export const MAX_FRAME_BYTES = MAX_FRAME_PLAINTEXT_BYTES + AEAD_TAG_LENGTH;
/**
 * Frames per direction per session, far below the 2^64 nonce space and below the volume where
 * ChaCha20-Poly1305's bounds weaken: about 136 years of 1 frame/s, or 50 days at 1,000 frames/s.
 */
export const MAX_FRAMES_PER_DIRECTION = 2 ** 32;
/** Leading zero bytes of the nonce; the counter fills the remaining 8. */
export const NONCE_ZERO_PREFIX_LENGTH = 4;

export interface ChannelKeys {
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
}

export interface SecureChannelOptions {
  /** Defaults to MAX_FRAMES_PER_DIRECTION; tests lower it to cross the limit. */
  readonly maxFrames?: number;
}

/** The 12-byte nonce of frame `counter`. */
export function frameNonce(counter: number): Uint8Array {
  const nonce = new Uint8Array(AEAD_NONCE_LENGTH);
  const view = new DataView(nonce.buffer);
  view.setUint32(NONCE_ZERO_PREFIX_LENGTH, Math.floor(counter / 2 ** 32));
  view.setUint32(NONCE_ZERO_PREFIX_LENGTH + 4, counter >>> 0);
  return nonce;
}

export class SecureChannel {
  readonly maxFrames: number;
  private readonly sender: Aead;
  private readonly receiver: Aead;
  private sent = 0;
  private received = 0;
  private failure: ProtocolError | undefined;
  private closed = false;

  constructor(crypto: CryptoProvider, keys: ChannelKeys, options: SecureChannelOptions = {}) {
    this.sender = crypto.aead(keys.sendKey);
    this.receiver = crypto.aead(keys.receiveKey);
    this.maxFrames = options.maxFrames ?? MAX_FRAMES_PER_DIRECTION;
  }

  /** Frames sealed so far (the next send counter). */
  get sentFrames(): number {
    return this.sent;
  }

  /** Frames opened so far (the next receive counter). */
  get receivedFrames(): number {
    return this.received;
  }

  /** The error that ended the receive side, if any. */
  get failed(): ProtocolError | undefined {
    return this.failure;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** False once `seal` can no longer be called: closed, or the send counter is spent. */
  get canSeal(): boolean {
    return !this.closed && this.sent < this.maxFrames;
  }

  /**
   * The frame (ciphertext ‖ tag) carrying `plaintext`. Throws ProtocolError: E_PROTO_INVALID for a
   * plaintext over MAX_FRAME_PLAINTEXT_BYTES (a bug of ours), E_TRANSPORT_UNAVAILABLE once the
   * channel is closed or MAX_FRAMES_PER_DIRECTION frames were sent (re-establish the session).
   */
  seal(plaintext: Uint8Array): Uint8Array {
    if (this.closed) throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', 'the session channel is closed');
    if (this.sent >= this.maxFrames) {
      throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', `the session sent its ${this.maxFrames} frames; re-establish it`);
    }
    if (plaintext.length > MAX_FRAME_PLAINTEXT_BYTES) {
      throw new ProtocolError('E_PROTO_INVALID', `a frame holds at most ${MAX_FRAME_PLAINTEXT_BYTES} bytes, got ${plaintext.length}`);
    }
    const frame = this.sender.seal(frameNonce(this.sent), plaintext);
    this.sent++;
    return frame;
  }

  private end(error: ProtocolError): Result<never> {
    this.failure = error;
    return { ok: false, error };
  }

  /**
   * The plaintext of the next frame, or an error that ends the session (every later call answers
   * the same error). Codes: E_PROTO_INVALID for a frame that is oversized, too short or fails
   * authentication; E_TRANSPORT_UNAVAILABLE once closed or past MAX_FRAMES_PER_DIRECTION.
   */
  open(frame: Uint8Array): Result<Uint8Array> {
    if (this.failure) return { ok: false, error: this.failure };
    if (this.closed) return fail('E_TRANSPORT_UNAVAILABLE', 'the session channel is closed');
    if (this.received >= this.maxFrames) {
      return this.end(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `the peer sent more than ${this.maxFrames} frames; re-establish the session`));
    }
    if (frame.length > MAX_FRAME_BYTES) {
      return this.end(new ProtocolError('E_PROTO_INVALID', `frame of ${frame.length} bytes is over MAX_FRAME_BYTES (${MAX_FRAME_BYTES}); session ended`));
    }
    if (frame.length < AEAD_TAG_LENGTH) {
      return this.end(new ProtocolError('E_PROTO_INVALID', `frame of ${frame.length} bytes is shorter than its tag; session ended`));
    }
    const plaintext = this.receiver.open(frameNonce(this.received), frame);
    if (plaintext === null) {
      return this.end(
        new ProtocolError('E_PROTO_INVALID', `frame ${this.received} failed authentication (tampered, replayed, reordered or after a dropped frame); session ended`),
      );
    }
    this.received++;
    return ok(plaintext);
  }

  /** Ends both directions; later seal throws and open fails. */
  close(): void {
    this.closed = true;
  }
}
