// The registration authority's key (issue 5 §5, DESIGN.md §2, §6): an Ed25519 key of its own,
// separate from the orchestrator's node key, kept by the same rules (role-keystore.ts: the OS
// keychain, or a loud 0600 file under <dataDir>/authority/). Its public record,
// <dataDir>/authority/authority.json, names the key's fingerprint (what a network descriptor's
// `registration-authority/key` carries) and where the secret is:
//
//   {"schema/v": 1, "kind": "registration-authority.v1", "key/public": "z…",
//    "key/storage-ref": "keychain:pnode/authority/z…" | "local-file:authority/authority-signing-key.v1.z….json",
//    "created-at": "…"}
//
// The record is created once and never replaced (createFileAtomic): a second init finds it.
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { CryptoProvider, Ed25519Signer } from '../../../src-shared/protocol/crypto/provider.js';
import { parseFingerprint } from '../../../src-shared/protocol/did-key.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import { FileExistsError, createFileAtomic } from '../../kernel/storage/exclusive-file.js';
import { jsonText } from '../../kernel/storage/atomic-file.js';
import { IdentityError } from '../../kernel/identity/identity-error.js';
import type { KeychainLoader } from '../../kernel/identity/keychain-keystore.js';
import type { KeystoreKind } from '../../kernel/identity/keystore.js';
import { createRoleKey, kindOfStorageRef, loadRoleKey, openRoleKeystore, type RoleKeystore } from '../../kernel/identity/role-keystore.js';

export const AUTHORITY_DIR = 'authority';
export const AUTHORITY_RECORD_FILE = 'authority.json';
export const AUTHORITY_RECORD_KIND = 'registration-authority.v1';

export interface AuthorityRecord {
  readonly 'schema/v': 1;
  readonly kind: typeof AUTHORITY_RECORD_KIND;
  readonly 'key/public': string;
  readonly 'key/storage-ref': string;
  readonly 'created-at': string;
}

export function authorityDir(dataDir: string): string {
  return join(dataDir, AUTHORITY_DIR);
}

export function authorityRecordPath(dataDir: string): string {
  return join(authorityDir(dataDir), AUTHORITY_RECORD_FILE);
}

/** The public record, checked; undefined when this data dir has no authority. */
export async function readAuthorityRecord(dataDir: string): Promise<AuthorityRecord | undefined> {
  const path = authorityRecordPath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const corrupt = (why: string) => new IdentityError('identity-corrupt', `${path} is not a registration authority record: ${why}`, path);
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw corrupt('not JSON');
  }
  if (record['kind'] !== AUTHORITY_RECORD_KIND || record['schema/v'] !== 1) throw corrupt(`kind must be ${AUTHORITY_RECORD_KIND}`);
  const key = record['key/public'];
  const ref = record['key/storage-ref'];
  if (typeof key !== 'string' || typeof ref !== 'string' || kindOfStorageRef(ref) === undefined) throw corrupt('key/public or key/storage-ref is missing');
  try {
    parseFingerprint(key);
  } catch {
    throw corrupt('key/public is not a key fingerprint');
  }
  return record as unknown as AuthorityRecord;
}

export interface AuthorityKeyOptions {
  readonly dataDir: string;
  readonly crypto: CryptoProvider;
  readonly keychain?: KeychainLoader | undefined;
  readonly warn: (line: string) => void;
}

export interface AuthorityKey {
  readonly record: AuthorityRecord;
  readonly signer: Ed25519Signer;
  readonly fingerprint: string;
  readonly keystore: RoleKeystore;
  /** True when this call made the key. */
  readonly created: boolean;
}

function keystoreFor(options: AuthorityKeyOptions, kind: KeystoreKind, why?: string): Promise<RoleKeystore> {
  return openRoleKeystore({ dataDir: options.dataDir, subdir: AUTHORITY_DIR, role: 'authority', scope: '', kind, crypto: options.crypto, keychain: options.keychain, warn: options.warn, ...(why ? { why } : {}) });
}

/** The existing authority key; IdentityError 'identity-missing' when the data dir has none. */
export async function loadAuthorityKey(options: AuthorityKeyOptions): Promise<AuthorityKey> {
  const record = await readAuthorityRecord(options.dataDir);
  if (!record) throw new IdentityError('identity-missing', `${options.dataDir} has no registration authority (run "pnode authority init --data-dir ${options.dataDir}")`, authorityRecordPath(options.dataDir));
  const keystore = await keystoreFor(options, kindOfStorageRef(record['key/storage-ref'])!, 'because this authority was created with the file keystore');
  const signer = await loadRoleKey(keystore, record['key/public'], options.crypto);
  return { record, signer, fingerprint: record['key/public'], keystore, created: false };
}

/** Loads the authority key, or makes one (in a store of `kind`) when the data dir has none yet. */
export async function loadOrCreateAuthorityKey(options: AuthorityKeyOptions & { readonly kind: KeystoreKind; readonly why?: string; readonly now: number }): Promise<AuthorityKey> {
  if (await readAuthorityRecord(options.dataDir)) return loadAuthorityKey(options);
  const keystore = await keystoreFor(options, options.kind, options.why);
  const { signer, fingerprint } = await createRoleKey(keystore, options.crypto);
  const record: AuthorityRecord = { 'schema/v': 1, kind: AUTHORITY_RECORD_KIND, 'key/public': fingerprint, 'key/storage-ref': keystore.storageRef(fingerprint), 'created-at': formatTimestamp(options.now) };
  try {
    await createFileAtomic(authorityRecordPath(options.dataDir), jsonText(record), { mode: 0o644 });
  } catch (error) {
    if (!(error instanceof FileExistsError)) throw error;
    // Another process made one meanwhile: that one is the authority; ours goes.
    await keystore.remove(fingerprint).catch(() => undefined);
    return loadAuthorityKey(options);
  }
  return { record, signer, fingerprint, keystore, created: true };
}
