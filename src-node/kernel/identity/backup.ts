// Passphrase-encrypted backup of the node identity: a JSON file holding the 32-byte Ed25519 seed
// sealed with ChaCha20-Poly1305 under a key derived from the passphrase with scrypt.
//
//   {"schema/v": 1, "kind": "pnode-identity-backup.v1",
//    "node/id": "node:did:key:z…", "key/alg": "ed25519",
//    "created-at": <the identity's created-at>, "exported-at": <when this file was made>,
//    "kdf": {"alg": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": <16 bytes, base64url>},
//    "cipher": {"alg": "chacha20-poly1305", "nonce": <12 bytes, base64url>},
//    "ciphertext": <seed ‖ tag, 48 bytes, base64url>}
//
// Everything but the ciphertext is readable without the passphrase (the node-id in clear says whose
// backup it is) and is bound to the ciphertext as associated data (canonical JSON of those fields),
// so a changed header fails like a wrong passphrase. Import checks the format first, bounds the
// scrypt cost it will pay (a file cannot make us allocate gigabytes), then decrypts and checks that
// the seed derives the node-id the file states.
import { scrypt as scryptCallback } from 'node:crypto';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { AEAD_NONCE_LENGTH, AEAD_KEY_LENGTH, AEAD_TAG_LENGTH, ED25519_SEED_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { fromBase64url, toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import { canonicalJson } from '../../../src-shared/protocol/canonical-json.js';
import { type NodeId, isNodeId, nodeIdFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import { type Clock, systemClock } from '../util/clock.js';
import { IdentityError } from './identity-error.js';
import type { NodeIdentityRecord } from './node-identity.js';

export const BACKUP_KIND = 'pnode-identity-backup.v1';
export const BACKUP_KDF = 'scrypt';
export const BACKUP_CIPHER = 'chacha20-poly1305';
/** scrypt cost written into new backups: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s). */
export const BACKUP_SCRYPT_N = 2 ** 15;
export const BACKUP_SCRYPT_R = 8;
export const BACKUP_SCRYPT_P = 1;
/** Bounds accepted on import (and on export): weaker is refused, costlier is a memory or CPU DoS. */
export const BACKUP_SCRYPT_MIN_N = 2 ** 15;
export const BACKUP_SCRYPT_MAX_N = 2 ** 20;
export const BACKUP_SCRYPT_MAX_R = 16;
export const BACKUP_SCRYPT_MAX_P = 4;
/** scrypt needs 128·N·r bytes; this caps it. */
export const BACKUP_SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;
export const BACKUP_SALT_LENGTH = 16;
/** A backup is under 1 KiB; the reader refuses anything past this before parsing. */
export const BACKUP_MAX_BYTES = 64 * 1024;
export const BACKUP_MIN_PASSPHRASE_LENGTH = 8;

export interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

export interface IdentityBackup {
  readonly 'schema/v': 1;
  readonly kind: typeof BACKUP_KIND;
  readonly 'node/id': string;
  readonly 'key/alg': 'ed25519';
  readonly 'created-at': string;
  readonly 'exported-at': string;
  readonly kdf: { readonly alg: typeof BACKUP_KDF; readonly n: number; readonly r: number; readonly p: number; readonly salt: string };
  readonly cipher: { readonly alg: typeof BACKUP_CIPHER; readonly nonce: string };
  readonly ciphertext: string;
}

export interface ImportedIdentity {
  readonly nodeId: NodeId;
  readonly createdAt: string;
  /** The Ed25519 seed; the caller wipes it once it is stored. */
  readonly seed: Uint8Array;
}

function invalid(detail: string): ProtocolError {
  return new ProtocolError('E_PROTO_INVALID', `identity backup ${detail}`);
}

/** Throws E_PROTO_INVALID when `params` are outside the bounds above. */
export function checkScryptParams(params: ScryptParams): void {
  const { n, r, p } = params;
  if (!Number.isSafeInteger(n) || n < BACKUP_SCRYPT_MIN_N || n > BACKUP_SCRYPT_MAX_N || (n & (n - 1)) !== 0) {
    throw invalid(`$.kdf.n: must be a power of two from ${BACKUP_SCRYPT_MIN_N} to ${BACKUP_SCRYPT_MAX_N}`);
  }
  if (!Number.isSafeInteger(r) || r < 1 || r > BACKUP_SCRYPT_MAX_R) throw invalid(`$.kdf.r: must be an integer from 1 to ${BACKUP_SCRYPT_MAX_R}`);
  if (!Number.isSafeInteger(p) || p < 1 || p > BACKUP_SCRYPT_MAX_P) throw invalid(`$.kdf.p: must be an integer from 1 to ${BACKUP_SCRYPT_MAX_P}`);
  if (128 * n * r > BACKUP_SCRYPT_MAX_MEMORY) throw invalid(`$.kdf: n and r need more than ${BACKUP_SCRYPT_MAX_MEMORY / (1024 * 1024)} MiB`);
}

function normalizePassphrase(passphrase: string): Uint8Array {
  // The same typed text gives the same bytes whatever the keyboard or OS composed.
  return utf8(passphrase.normalize('NFC'));
}

function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  checkScryptParams(params);
  const maxmem = 128 * params.r * (params.n + params.p + 2) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scryptCallback(normalizePassphrase(passphrase), salt, AEAD_KEY_LENGTH, { N: params.n, r: params.r, p: params.p, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}

type BackupHeader = Omit<IdentityBackup, 'ciphertext'>;

function associatedData(header: BackupHeader): Uint8Array {
  return utf8(canonicalJson(header));
}

/**
 * Seals `seed` as a backup of `nodeId` without checking that they belong together; use
 * exportIdentity, which does.
 */
export async function sealBackup(options: {
  nodeId: string;
  createdAt: string;
  seed: Uint8Array;
  passphrase: string;
  crypto: CryptoProvider;
  now?: number;
  scrypt?: Partial<ScryptParams>;
}): Promise<string> {
  if (options.seed.length !== ED25519_SEED_LENGTH) throw new RangeError(`an Ed25519 seed is ${ED25519_SEED_LENGTH} bytes`);
  if ([...options.passphrase].length < BACKUP_MIN_PASSPHRASE_LENGTH) throw new RangeError(`a backup passphrase needs at least ${BACKUP_MIN_PASSPHRASE_LENGTH} characters`);
  const params: ScryptParams = { n: options.scrypt?.n ?? BACKUP_SCRYPT_N, r: options.scrypt?.r ?? BACKUP_SCRYPT_R, p: options.scrypt?.p ?? BACKUP_SCRYPT_P };
  checkScryptParams(params);
  const salt = options.crypto.randomBytes(BACKUP_SALT_LENGTH);
  const nonce = options.crypto.randomBytes(AEAD_NONCE_LENGTH);
  const header: BackupHeader = {
    'schema/v': 1,
    kind: BACKUP_KIND,
    'node/id': options.nodeId,
    'key/alg': 'ed25519',
    'created-at': options.createdAt,
    'exported-at': formatTimestamp(options.now ?? Date.now()),
    kdf: { alg: BACKUP_KDF, n: params.n, r: params.r, p: params.p, salt: toBase64url(salt) },
    cipher: { alg: BACKUP_CIPHER, nonce: toBase64url(nonce) },
  };
  const key = await deriveKey(options.passphrase, salt, params);
  const ciphertext = options.crypto.aead(key).seal(nonce, options.seed, associatedData(header));
  key.fill(0);
  const backup: IdentityBackup = { ...header, ciphertext: toBase64url(ciphertext) };
  return `${JSON.stringify(backup, null, 2)}\n`;
}

/** The backup file text for an identity; checks first that `seed` is the key of `record`. */
export async function exportIdentity(options: {
  record: NodeIdentityRecord;
  seed: Uint8Array;
  passphrase: string;
  crypto: CryptoProvider;
  clock?: Clock;
  scrypt?: Partial<ScryptParams>;
}): Promise<string> {
  const nodeId = options.record['node/id'];
  const derived = nodeIdFromPublicKey(options.crypto.ed25519Signer(options.seed).publicKey);
  if (derived !== nodeId) throw new IdentityError('identity-mismatch', `the key given is the key of ${derived}, not of ${nodeId}`);
  return sealBackup({
    nodeId,
    createdAt: options.record['created-at'],
    seed: options.seed,
    passphrase: options.passphrase,
    crypto: options.crypto,
    now: (options.clock ?? systemClock).now(),
    ...(options.scrypt ? { scrypt: options.scrypt } : {}),
  });
}

const TOP_KEYS = ['schema/v', 'kind', 'node/id', 'key/alg', 'created-at', 'exported-at', 'kdf', 'cipher', 'ciphertext'];
const KDF_KEYS = ['alg', 'n', 'r', 'p', 'salt'];
const CIPHER_KEYS = ['alg', 'nonce'];
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function object(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${path}: must be an object`);
  const record = value as Record<string, unknown>;
  for (const key of keys) if (!(key in record)) throw invalid(`${path}[${JSON.stringify(key)}]: is required`);
  for (const key of Object.keys(record)) if (!keys.includes(key)) throw invalid(`${path}[${JSON.stringify(key)}]: is not allowed`);
  return record;
}

function bytesField(value: unknown, path: string, length: number): Uint8Array {
  let bytes: Uint8Array | undefined;
  try {
    bytes = typeof value === 'string' ? fromBase64url(value) : undefined;
  } catch {
    bytes = undefined;
  }
  if (bytes?.length !== length) throw invalid(`${path}: must be ${length} bytes in base64url`);
  return bytes;
}

function timestampField(value: unknown, path: string): string {
  if (typeof value !== 'string' || !TIMESTAMP.test(value) || !Number.isFinite(Date.parse(value))) throw invalid(`${path}: must be an RFC 3339 date-time`);
  return value;
}

/** The backup's fields, checked; E_PROTO_INVALID naming the first bad field. Needs no passphrase. */
export function parseBackup(text: string): IdentityBackup {
  if (text.length > BACKUP_MAX_BYTES) throw invalid(`is larger than ${BACKUP_MAX_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('is not JSON');
  }
  const top = object(value, '$', TOP_KEYS);
  if (top['schema/v'] !== 1) throw invalid('$["schema/v"]: must be 1');
  if (top['kind'] !== BACKUP_KIND) throw invalid(`$.kind: must be "${BACKUP_KIND}"`);
  if (!isNodeId(top['node/id'])) throw invalid('$["node/id"]: must be a node:did:key id');
  if (top['key/alg'] !== 'ed25519') throw invalid('$["key/alg"]: must be "ed25519"');
  timestampField(top['created-at'], '$["created-at"]');
  timestampField(top['exported-at'], '$["exported-at"]');
  const kdf = object(top['kdf'], '$.kdf', KDF_KEYS);
  if (kdf['alg'] !== BACKUP_KDF) throw invalid(`$.kdf.alg: must be "${BACKUP_KDF}"`);
  checkScryptParams({ n: kdf['n'] as number, r: kdf['r'] as number, p: kdf['p'] as number });
  bytesField(kdf['salt'], '$.kdf.salt', BACKUP_SALT_LENGTH);
  const cipher = object(top['cipher'], '$.cipher', CIPHER_KEYS);
  if (cipher['alg'] !== BACKUP_CIPHER) throw invalid(`$.cipher.alg: must be "${BACKUP_CIPHER}"`);
  bytesField(cipher['nonce'], '$.cipher.nonce', AEAD_NONCE_LENGTH);
  bytesField(top['ciphertext'], '$.ciphertext', ED25519_SEED_LENGTH + AEAD_TAG_LENGTH);
  return value as IdentityBackup;
}

/**
 * The identity in a backup. E_PROTO_INVALID for a malformed file; IdentityError
 * 'backup-wrong-passphrase' when it does not decrypt; 'backup-mismatch' when the key is not the
 * node-id the file states.
 */
export async function importIdentity(text: string, passphrase: string, options: { crypto: CryptoProvider }): Promise<ImportedIdentity> {
  const backup = parseBackup(text);
  const { ciphertext, ...header } = backup;
  const salt = fromBase64url(backup.kdf.salt);
  const key = await deriveKey(passphrase, salt, backup.kdf);
  const seed = options.crypto.aead(key).open(fromBase64url(backup.cipher.nonce), fromBase64url(ciphertext), associatedData(header));
  key.fill(0);
  if (seed === null) throw new IdentityError('backup-wrong-passphrase', 'wrong passphrase or corrupted backup');
  const derived = nodeIdFromPublicKey(options.crypto.ed25519Signer(seed).publicKey);
  if (derived !== backup['node/id']) {
    seed.fill(0);
    throw new IdentityError('backup-mismatch', `the backup states node ${backup['node/id']}, but its key is the key of ${derived}; nothing was imported`);
  }
  return { nodeId: derived, createdAt: backup['created-at'], seed };
}
