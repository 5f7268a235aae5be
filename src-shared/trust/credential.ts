// operator-credential.v1 (issue 5 §5): a registration authority's statement that an operator key
// speaks for one PNode during a validity window. Pure: no I/O, time comes in as `now`.
//
// Ids. operator/id is `operator:did:key:z…`, derived from the operator's *first* key, the one it
// enrolled with. Why derived: it needs no registry of names, cannot collide, carries no personal
// data, and at enrollment anyone can check that the id belongs to the key that asked for it. Why
// its own prefix: an operator key is never a node key, and `operator:` keeps the two from ever
// being read as one another (a node id cannot be passed off as an operator id, nor the reverse).
// Why kept on rotation: rotation changes operator/key, not who the operator is; after a rotation
// the binding of id and key rests on the authority's signature, which is what the credential is.
//
// Codes (verifyCredential): E_PROTO_INVALID (shape, ids, window), E_SIG_UNKNOWN_SIGNER (an issuer
// the verifier does not trust), E_SIG_INVALID (the signature), E_ADV_EXPIRED (outside the window).
import { ProtocolError, type Result, attempt, fail } from '../protocol/errors.js';
import { checkSchema } from '../protocol/schema-gate.js';
import { verifyArtifact } from '../protocol/verify.js';
import { signArtifact, type ArtifactSignature } from '../protocol/signing.js';
import { fingerprintFromPublicKey, parseFingerprint, parseNodeId } from '../protocol/did-key.js';
import { formatTimestamp, parseTimestamp } from '../protocol/time.js';
import { newId } from '../protocol/ids.js';
import type { CryptoProvider, Ed25519Signer } from '../protocol/crypto/provider.js';
import type { JsonObject } from '../protocol/artifacts.js';
import { MAX_CREDENTIAL_VALIDITY_MS, OPERATOR_ID_PREFIX, TRUST_CLOCK_SKEW_MS } from './trust-profile.js';

export const OPERATOR_CREDENTIAL_SCHEMA = 'operator-credential.v1';

export interface OperatorCredential {
  readonly 'schema/v': 1;
  readonly 'credential/id': string;
  readonly 'operator/id': string;
  /** Fingerprint (z…) of the key that signs for the operator now. */
  readonly 'operator/key': string;
  /** The PNode this credential was issued for. */
  readonly 'node/id': string;
  /** Fingerprint (z…) of the registration authority's key. */
  readonly 'issuer/key': string;
  readonly 'issued-at': string;
  readonly 'valid-from': string;
  readonly 'valid-until': string;
  readonly signature: ArtifactSignature;
}

/** `operator:did:key:z…` of an operator key fingerprint. */
export function operatorIdFromKey(fingerprint: string): string {
  return `${OPERATOR_ID_PREFIX}${fingerprint}`;
}

/** The key an operator id was derived from; E_PROTO_INVALID for anything else. */
export function parseOperatorId(id: string): Uint8Array {
  if (typeof id !== 'string' || !id.startsWith(OPERATOR_ID_PREFIX)) throw new ProtocolError('E_PROTO_INVALID', `an operator id must start with "${OPERATOR_ID_PREFIX}"`);
  return parseFingerprint(id.slice(OPERATOR_ID_PREFIX.length));
}

/** The fingerprint of a public key, checked. */
export function keyFingerprint(publicKey: Uint8Array): string {
  return fingerprintFromPublicKey(publicKey);
}

export interface CredentialInput {
  readonly operatorId: string;
  readonly operatorKey: string;
  readonly nodeId: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly validFrom: number;
  readonly validUntil: number;
  readonly credentialId?: string;
}

/** A credential signed by the authority's key (issuer/key is that key). */
export function issueCredential(input: CredentialInput, issuer: Ed25519Signer): OperatorCredential {
  const payload: JsonObject = {
    'schema/v': 1,
    'credential/id': input.credentialId ?? newId('cred', input.now),
    'operator/id': input.operatorId,
    'operator/key': input.operatorKey,
    'node/id': input.nodeId,
    'issuer/key': fingerprintFromPublicKey(issuer.publicKey),
    'issued-at': formatTimestamp(input.now),
    'valid-from': formatTimestamp(input.validFrom),
    'valid-until': formatTimestamp(input.validUntil),
  };
  return signArtifact(OPERATOR_CREDENTIAL_SCHEMA, payload, issuer) as unknown as OperatorCredential;
}

function invalid(path: string, why: string): ProtocolError {
  return new ProtocolError('E_PROTO_INVALID', `${OPERATOR_CREDENTIAL_SCHEMA} ${path}: ${why}`);
}

function parsed(path: string, parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    throw invalid(path, error instanceof ProtocolError ? error.detail : 'unparseable');
  }
}

/** The rules beyond the schema: every id strictly parsed, a window that is not empty and not too long. */
export function checkCredentialSemantics(credential: OperatorCredential): void {
  parsed('$["operator/id"]', () => parseOperatorId(credential['operator/id']));
  parsed('$["operator/key"]', () => parseFingerprint(credential['operator/key']));
  parsed('$["node/id"]', () => parseNodeId(credential['node/id']));
  parsed('$["issuer/key"]', () => parseFingerprint(credential['issuer/key']));
  if (credential['operator/key'] === credential['node/id'].slice('node:did:key:'.length)) throw invalid('$["operator/key"]', 'the operator key must not be the node key');
  const from = parseTimestamp(credential['valid-from']);
  const until = parseTimestamp(credential['valid-until']);
  if (!(until > from)) throw invalid('$["valid-until"]', 'must be after valid-from');
  if (until - from > MAX_CREDENTIAL_VALIDITY_MS) throw invalid('$["valid-until"]', `the window is longer than ${MAX_CREDENTIAL_VALIDITY_MS} ms`);
}

export interface VerifyCredentialOptions {
  readonly crypto: CryptoProvider;
  /** When given, the validity window is checked at this time (E_ADV_EXPIRED outside it). */
  readonly now?: number;
  /** When given, issuer/key must be one of these fingerprints (else E_SIG_UNKNOWN_SIGNER). */
  readonly trustedIssuers?: ReadonlySet<string> | readonly string[];
}

/** E_ADV_EXPIRED when `now` is outside the credential's window (valid-from may be TRUST_CLOCK_SKEW_MS ahead). */
export function checkCredentialWindow(credential: OperatorCredential, now: number): void {
  const from = parseTimestamp(credential['valid-from']);
  const until = parseTimestamp(credential['valid-until']);
  if (from > now + TRUST_CLOCK_SKEW_MS) throw new ProtocolError('E_ADV_EXPIRED', `${OPERATOR_CREDENTIAL_SCHEMA} ${credential['credential/id']} is not valid before ${credential['valid-from']}`);
  if (until <= now) throw new ProtocolError('E_ADV_EXPIRED', `${OPERATOR_CREDENTIAL_SCHEMA} ${credential['credential/id']} expired at ${credential['valid-until']}`);
}

function isTrusted(issuers: ReadonlySet<string> | readonly string[], key: string): boolean {
  return issuers instanceof Set ? issuers.has(key) : (issuers as readonly string[]).includes(key);
}

/**
 * Full check, cheapest first: schema gate, ids and window rules, a trusted issuer, the
 * authority's signature, then (with `now`) the validity window.
 */
export function verifyCredential(value: unknown, options: VerifyCredentialOptions): Result<OperatorCredential> {
  const shaped = checkSchema<OperatorCredential>(OPERATOR_CREDENTIAL_SCHEMA, value);
  if (!shaped.ok) return shaped;
  const credential = shaped.value;
  const rules = attempt(() => checkCredentialSemantics(credential));
  if (!rules.ok) return rules;
  if (options.trustedIssuers !== undefined && !isTrusted(options.trustedIssuers, credential['issuer/key'])) {
    return fail('E_SIG_UNKNOWN_SIGNER', `${OPERATOR_CREDENTIAL_SCHEMA} ${credential['credential/id']} was issued by ${credential['issuer/key']}, not by a registration authority trusted here`);
  }
  const verified = verifyArtifact<OperatorCredential & JsonObject>(OPERATOR_CREDENTIAL_SCHEMA, credential, { crypto: options.crypto });
  if (!verified.ok) return verified;
  if (options.now === undefined) return verified;
  const now = options.now;
  return attempt(() => {
    checkCredentialWindow(verified.value, now);
    return verified.value;
  });
}

/** Milliseconds since the epoch of a credential's window. */
export function credentialWindow(credential: OperatorCredential): { from: number; until: number } {
  return { from: parseTimestamp(credential['valid-from']), until: parseTimestamp(credential['valid-until']) };
}
