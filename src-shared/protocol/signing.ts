import { ProtocolError } from './errors.js';
import { encodeDeterministic } from './encoding/dcbor.js';
import { concatBytes, utf8 } from './encoding/bytes.js';
import { fromBase64url, toBase64url } from './encoding/base64url.js';
import { type JsonObject, type SignedSchemaName, SIGNED_ARTIFACTS } from './artifacts.js';
import type { Ed25519Signer } from './crypto/provider.js';
import { ED25519_SIGNATURE_LENGTH } from './crypto/provider.js';

export const SIGNATURE_ALG = 'ed25519';

export interface ArtifactSignature {
  readonly alg: typeof SIGNATURE_ALG;
  readonly value: string;
}

/** `"<schema>" 0x00` — the domain separator in front of every signed map. */
export function domainSeparator(schema: string): Uint8Array {
  return concatBytes(utf8(schema), Uint8Array.of(0));
}

export function withoutFields(artifact: JsonObject, excluded: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(artifact)) if (!excluded.includes(key)) out[key] = artifact[key];
  return out;
}

export function signingInput(schema: SignedSchemaName, artifact: JsonObject): Uint8Array {
  const payload = withoutFields(artifact, SIGNED_ARTIFACTS[schema].excluded);
  return concatBytes(domainSeparator(schema), encodeDeterministic(payload));
}

/** The artifact with `signature` set (any previous signature is replaced). */
export function signArtifact<T extends JsonObject>(
  schema: SignedSchemaName,
  artifact: T,
  signer: Ed25519Signer,
): T & { signature: ArtifactSignature } {
  const unsigned = withoutFields(artifact, ['signature']);
  const signature = signer.sign(signingInput(schema, unsigned));
  return { ...(unsigned as T), signature: { alg: SIGNATURE_ALG, value: toBase64url(signature) } };
}

/** Decodes a `signature` object's value; E_SIG_INVALID for an unknown algorithm or a malformed value. */
export function decodeSignature(signature: unknown): Uint8Array {
  if (typeof signature !== 'object' || signature === null) throw new ProtocolError('E_SIG_INVALID', 'no signature object');
  const { alg, value } = signature as { alg?: unknown; value?: unknown };
  if (alg !== SIGNATURE_ALG) throw new ProtocolError('E_SIG_INVALID', `unsupported signature algorithm ${JSON.stringify(alg)}`);
  if (typeof value !== 'string') throw new ProtocolError('E_SIG_INVALID', 'signature value is not a string');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(value);
  } catch {
    throw new ProtocolError('E_SIG_INVALID', 'signature value is not unpadded base64url');
  }
  if (bytes.length !== ED25519_SIGNATURE_LENGTH) {
    throw new ProtocolError('E_SIG_INVALID', `signature value must hold ${ED25519_SIGNATURE_LENGTH} bytes, got ${bytes.length}`);
  }
  return bytes;
}
