// Proof of a private network's key for its seed directory (issue 12 §2): a directory serving a psk
// network answers only requests that carry this header. The proof binds the network, the method,
// the request path and a timestamp:
//   X-PNode-Network-Proof: <ts>.<base64url(HMAC-SHA256(psk, "pnode-directory-psk.v1" 0x00 network-id
//                                       0x00 METHOD 0x00 path 0x00 ts))>
// with ts in whole seconds since the epoch, accepted within DIRECTORY_PROOF_SKEW_MS of the
// directory's clock. It travels inside TLS (a directory is https:// anywhere but loopback), so a
// window of replays by someone who can read the connection is not a concern; what it keeps out is
// anyone without the key.
import type { CryptoProvider } from '../protocol/crypto/provider.js';
import { fromBase64url, toBase64url } from '../protocol/encoding/base64url.js';
import { utf8 } from '../protocol/encoding/bytes.js';

export const DIRECTORY_PROOF_HEADER = 'x-pnode-network-proof';
export const DIRECTORY_PROOF_DOMAIN = 'pnode-directory-psk.v1';
export const DIRECTORY_PROOF_SKEW_MS = 5 * 60_000;
/** The longest header accepted (a timestamp, a dot, 43 base64url characters). */
export const DIRECTORY_PROOF_MAX_CHARS = 64;

function mac(crypto: Pick<CryptoProvider, 'hmacSha256'>, psk: Uint8Array, networkId: string, method: string, path: string, ts: number): Uint8Array {
  return crypto.hmacSha256(psk, utf8(`${DIRECTORY_PROOF_DOMAIN}\u0000${networkId}\u0000${method.toUpperCase()}\u0000${path}\u0000${ts}`));
}

export function directoryProof(crypto: Pick<CryptoProvider, 'hmacSha256'>, psk: Uint8Array, networkId: string, method: string, path: string, nowMs: number): string {
  const ts = Math.floor(nowMs / 1000);
  return `${ts}.${toBase64url(mac(crypto, psk, networkId, method, path, ts))}`;
}

/** Equal in time that does not depend on where the bytes differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function checkDirectoryProof(crypto: Pick<CryptoProvider, 'hmacSha256'>, psk: Uint8Array, networkId: string, method: string, path: string, header: string | undefined, nowMs: number): boolean {
  if (header === undefined || header.length > DIRECTORY_PROOF_MAX_CHARS) return false;
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(header);
  if (!match) return false;
  const ts = Number(match[1]);
  if (Math.abs(ts * 1000 - nowMs) > DIRECTORY_PROOF_SKEW_MS) return false;
  let given: Uint8Array;
  try {
    given = fromBase64url(match[2]!);
  } catch {
    return false;
  }
  return sameBytes(given, mac(crypto, psk, networkId, method, path, ts));
}
