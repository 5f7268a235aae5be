// What a PNode keeps of its trusted registration, <dataDir>/trust/trusted-registration.json
// (public parts only; the operator key itself is in the keystore, role-keystore.ts):
//
//   {"schema/v": 1,
//    "operator/key": "z…" | null,          the current operator key's fingerprint
//    "key/storage-ref": "keychain:pnode/operator/<node-id>/z…" | "local-file:trust/…" | null,
//    "pending/key": "z…" | null,           a key made for an enrollment or rotation in flight
//    "credential": {operator-credential.v1} | null,
//    "revoked": {"at", "reason"} | null,   the authority said the credential is revoked
//    "last-error": "E_… detail" | null}
//
// Written atomically (temp, fsync, rename) before the key it replaces is removed, so a crash
// leaves either the old key and credential or the new ones, never a credential without its key.
import { join } from 'node:path';
import { type FileWriter, jsonText, readJsonFile, writeFileAtomic } from '../../kernel/storage/atomic-file.js';
import { verifyCredential, type OperatorCredential } from '../../../src-shared/trust/credential.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';

export const TRUST_DIR = 'trust';
export const TRUST_FILE = 'trusted-registration.json';

export interface TrustFile {
  readonly 'schema/v': 1;
  readonly 'operator/key': string | null;
  readonly 'key/storage-ref': string | null;
  readonly 'pending/key': string | null;
  readonly credential: OperatorCredential | null;
  readonly revoked: { readonly at: string; readonly reason: string } | null;
  readonly 'last-error': string | null;
}

export const EMPTY_TRUST_FILE: TrustFile = { 'schema/v': 1, 'operator/key': null, 'key/storage-ref': null, 'pending/key': null, credential: null, revoked: null, 'last-error': null };

export function trustFilePath(dataDir: string): string {
  return join(dataDir, TRUST_DIR, TRUST_FILE);
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * The file, checked; a missing one is empty. A file that is not usable is reported through `warn`
 * and treated as empty (the PNode is then simply not enrolled; nothing secret is lost with it).
 */
export async function readTrustFile(dataDir: string, crypto: CryptoProvider, warn: (line: string) => void): Promise<TrustFile> {
  const path = trustFilePath(dataDir);
  let value: unknown;
  try {
    value = await readJsonFile(path);
  } catch (error) {
    warn(`warning: ${error instanceof Error ? error.message : String(error)}; trusted registration starts over`);
    return EMPTY_TRUST_FILE;
  }
  if (value === undefined) return EMPTY_TRUST_FILE;
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  if (record['schema/v'] !== 1) {
    warn(`warning: ${path} is not a trusted-registration record; trusted registration starts over`);
    return EMPTY_TRUST_FILE;
  }
  let credential: OperatorCredential | null = null;
  if (record['credential'] !== null && record['credential'] !== undefined) {
    const verified = verifyCredential(record['credential'], { crypto });
    if (verified.ok) credential = verified.value;
    else warn(`warning: the credential in ${path} is not usable (${verified.error.code} ${verified.error.detail}); enroll again`);
  }
  const revoked = record['revoked'] as { at?: unknown; reason?: unknown } | null | undefined;
  return {
    'schema/v': 1,
    'operator/key': text(record['operator/key']),
    'key/storage-ref': text(record['key/storage-ref']),
    'pending/key': text(record['pending/key']),
    credential,
    revoked: revoked && typeof revoked.at === 'string' && typeof revoked.reason === 'string' ? { at: revoked.at, reason: revoked.reason } : null,
    'last-error': text(record['last-error']),
  };
}

export async function writeTrustFile(dataDir: string, file: TrustFile, write: FileWriter = writeFileAtomic): Promise<void> {
  await write(trustFilePath(dataDir), jsonText(file), { mode: 0o644 });
}
