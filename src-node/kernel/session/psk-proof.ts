// Private networks (DESIGN.md §5, join policy `psk`): a handshake proves knowledge of the network's
// pre-shared key with `terms/negotiated["psk/proof"]` =
//   base64url(HMAC-SHA256(psk, "pnode-psk.v1" ‖ 0x00 ‖ handshake/id ‖ nonce ‖ session/pub ‖ sender/node-id))
// (the UTF-8 bytes of each string, concatenated in that order). `terms/negotiated` is inside the
// signed map, so the proof is covered by the handshake signature.
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { bytesEqual, concatBytes, utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import { fromBase64url, toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';

export const PSK_PROOF_LABEL = 'pnode-psk.v1';
export const PSK_PROOF_FIELD = 'psk/proof';
/** HMAC-SHA256 output length. */
export const PSK_PROOF_LENGTH = 32;

/** The handshake fields the proof binds. */
export interface PskProofFields {
  readonly 'handshake/id': string;
  readonly nonce: string;
  readonly 'session/pub': string;
  readonly 'sender/node-id': string;
}

export function pskProofInput(fields: PskProofFields): Uint8Array {
  return concatBytes(
    utf8(PSK_PROOF_LABEL),
    Uint8Array.of(0),
    utf8(fields['handshake/id']),
    utf8(fields.nonce),
    utf8(fields['session/pub']),
    utf8(fields['sender/node-id']),
  );
}

export function pskProof(crypto: CryptoProvider, psk: Uint8Array, fields: PskProofFields): string {
  return toBase64url(crypto.hmacSha256(psk, pskProofInput(fields)));
}

/** Constant-time check of a claimed proof; false for anything that is not the exact proof. */
export function verifyPskProof(crypto: CryptoProvider, psk: Uint8Array, fields: PskProofFields, claimed: unknown): boolean {
  if (typeof claimed !== 'string') return false;
  let claimedBytes: Uint8Array;
  try {
    claimedBytes = fromBase64url(claimed);
  } catch {
    return false;
  }
  if (claimedBytes.length !== PSK_PROOF_LENGTH) return false;
  return bytesEqual(crypto.hmacSha256(psk, pskProofInput(fields)), claimedBytes);
}
