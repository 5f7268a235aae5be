// Self-issued capability passports (capability-passport.v1), signed over canonical JSON with
// `signature` and `issuer_delegation` left out and no domain prefix (spec digest §b.4).
import { ProtocolError } from './errors.js';
import { canonicalJson } from './canonical-json.js';
import { utf8 } from './encoding/bytes.js';
import { toBase64url } from './encoding/base64url.js';
import { parseNodeId } from './did-key.js';
import { type JsonObject } from './artifacts.js';
import { decodeSignature, withoutFields, SIGNATURE_ALG } from './signing.js';
import type { CryptoProvider, Ed25519Signer } from './crypto/provider.js';
import { parseTimestamp } from './time.js';

export const PASSPORT_SCHEMA = 'capability-passport.v1';
const PASSPORT_UNSIGNED_FIELDS = ['signature', 'issuer_delegation'] as const;

export function passportSigningInput(passport: JsonObject): Uint8Array {
  return utf8(canonicalJson(withoutFields(passport, PASSPORT_UNSIGNED_FIELDS)));
}

export function signPassport(passport: JsonObject, signer: Ed25519Signer): JsonObject {
  const unsigned = withoutFields(passport, PASSPORT_UNSIGNED_FIELDS);
  const signature = signer.sign(passportSigningInput(unsigned));
  return { ...unsigned, signature: { alg: SIGNATURE_ALG, value: toBase64url(signature) } };
}

/**
 * Checks a self-issued passport presented by `nodeId` for `capabilityId`: schema name, subject,
 * issuer, signature and, when `now` is given, its validity window.
 */
export function verifySelfIssuedPassport(
  passport: JsonObject,
  nodeId: string,
  capabilityId: string,
  crypto: CryptoProvider,
  now?: number,
): void {
  if (passport['schema'] !== PASSPORT_SCHEMA) throw new ProtocolError('E_PROTO_INVALID', `passport for ${capabilityId} is not ${PASSPORT_SCHEMA}`);
  if (passport['node_id'] !== nodeId || passport['issuer/node_id'] !== nodeId) {
    throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `self-issued passport for ${capabilityId} names another node`);
  }
  if (passport['capability_id'] !== capabilityId) {
    throw new ProtocolError('E_PROTO_INVALID', `passport capability_id does not match ${capabilityId}`);
  }
  const signature = decodeSignature(passport['signature']);
  if (!crypto.ed25519Verify(parseNodeId(nodeId), passportSigningInput(passport), signature)) {
    throw new ProtocolError('E_SIG_INVALID', `passport signature for ${capabilityId} does not verify`);
  }
  if (now !== undefined) {
    const expires = typeof passport['expires_at'] === 'string' ? parseTimestamp(passport['expires_at']) : NaN;
    if (!Number.isFinite(expires)) throw new ProtocolError('E_PROTO_INVALID', `passport for ${capabilityId} has no valid expires_at`);
    if (expires <= now) throw new ProtocolError('E_ADV_EXPIRED', `passport for ${capabilityId} expired at ${String(passport['expires_at'])}`);
  }
}
