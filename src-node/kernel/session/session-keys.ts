// Session keys from the handshake (DESIGN.md §5, spec digest §d.4), Noise-IK style:
//   DH1 = X25519(EK_initiator, IK_responder)
//   DH2 = X25519(IK_initiator, EK_responder)
//   DH3 = X25519(EK_initiator, EK_responder)
// EK is the ephemeral key behind `session/pub`; IK is the static X25519 key derived from the
// node's Ed25519 key (ours: identity.staticX25519; the peer's: ed25519PublicToX25519 of its key).
//   transcript = hello signing input ‖ ack signing input   (signingInput('peer-handshake.v1', …))
//   transcriptHash = SHA-256(transcript)
//   okm = HKDF-SHA256(ikm = DH1 ‖ DH2 ‖ DH3, salt = transcriptHash, info = SESSION_KDF_INFO, 64)
//   okm[0..32] = initiator→responder key, okm[32..64] = responder→initiator key
//   sessionId = "sess:" + base64url(transcriptHash)
// The transcript hash (and so the session id) is public: both signing inputs travel in clear.
import type { CryptoProvider, X25519Agreement } from '../../../src-shared/protocol/crypto/provider.js';
import { AEAD_KEY_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { concatBytes, utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import { toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { SESSION_KDF_INFO, SESSION_KDF_LENGTH } from '../../../src-shared/protocol/profile.js';

export type SessionRole = 'initiator' | 'responder';

export const SESSION_ID_PREFIX = 'sess:';

export interface SessionKeyInput {
  readonly crypto: CryptoProvider;
  readonly role: SessionRole;
  /** Our ephemeral key (its public half is our `session/pub`). */
  readonly ephemeral: X25519Agreement;
  /** Our static X25519 key: identity.staticX25519. */
  readonly staticKey: X25519Agreement;
  /** The peer's Ed25519 public key (from its `key/public`). */
  readonly peerPublicKey: Uint8Array;
  /** The peer's ephemeral X25519 public key (its `session/pub`, decoded). */
  readonly peerSessionPublicKey: Uint8Array;
  /** Signing input of the hello and of the ack, whichever side sent them. */
  readonly helloSigningInput: Uint8Array;
  readonly ackSigningInput: Uint8Array;
}

export interface SessionKeys {
  readonly role: SessionRole;
  /** Key we seal with. */
  readonly sendKey: Uint8Array;
  /** Key we open with. */
  readonly receiveKey: Uint8Array;
  readonly transcriptHash: Uint8Array;
  readonly sessionId: string;
}

export function transcriptHash(crypto: CryptoProvider, helloSigningInput: Uint8Array, ackSigningInput: Uint8Array): Uint8Array {
  return crypto.sha256(concatBytes(helloSigningInput, ackSigningInput));
}

export function sessionIdOf(hash: Uint8Array): string {
  return `${SESSION_ID_PREFIX}${toBase64url(hash)}`;
}

/**
 * Both directions' keys for `role`. Throws ProtocolError E_PROTO_INVALID when a peer key is of
 * low order (a DH result would be all zero).
 */
export function deriveSessionKeys(input: SessionKeyInput): SessionKeys {
  const { crypto, role, ephemeral, staticKey } = input;
  const peerStatic = crypto.ed25519PublicToX25519(input.peerPublicKey);
  const peerEphemeral = input.peerSessionPublicKey;
  let dh1: Uint8Array;
  let dh2: Uint8Array;
  let dh3: Uint8Array;
  if (role === 'initiator') {
    dh1 = ephemeral.agree(peerStatic);
    dh2 = staticKey.agree(peerEphemeral);
    dh3 = ephemeral.agree(peerEphemeral);
  } else {
    dh1 = staticKey.agree(peerEphemeral);
    dh2 = ephemeral.agree(peerStatic);
    dh3 = ephemeral.agree(peerEphemeral);
  }
  const ikm = concatBytes(dh1, dh2, dh3);
  const hash = transcriptHash(crypto, input.helloSigningInput, input.ackSigningInput);
  const okm = crypto.hkdfSha256(ikm, hash, utf8(SESSION_KDF_INFO), SESSION_KDF_LENGTH);
  if (okm.length !== 2 * AEAD_KEY_LENGTH) throw new ProtocolError('E_PROTO_INVALID', 'session KDF produced the wrong length');
  const initiatorToResponder = okm.slice(0, AEAD_KEY_LENGTH);
  const responderToInitiator = okm.slice(AEAD_KEY_LENGTH, 2 * AEAD_KEY_LENGTH);
  for (const secret of [dh1, dh2, dh3, ikm, okm]) secret.fill(0);
  return {
    role,
    sendKey: role === 'initiator' ? initiatorToResponder : responderToInitiator,
    receiveKey: role === 'initiator' ? responderToInitiator : initiatorToResponder,
    transcriptHash: hash,
    sessionId: sessionIdOf(hash),
  };
}
