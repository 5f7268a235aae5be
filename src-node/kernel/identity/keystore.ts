// Where the node's 32-byte Ed25519 seed is kept, and which store a node uses.
//
// Selection (openKeystore):
// - An existing identity decides: its record's `key/storage-ref` names the store its key is in.
//   `auto` follows it; an explicit preference that contradicts it is refused (keystore-conflict),
//   and a keychain identity whose keychain does not answer is an error, never a silent fallback.
// - With no identity yet: `keychain` needs a keychain that answers the probe (else
//   keychain-unavailable); `file` is taken as asked; `auto` probes the keychain and falls back to
//   the file store only when no keychain answers.
// - Whenever the file store is in use, `warn` gets one line saying that the secret key is in a plain
//   file and where, and why. The same sentence is kept as `keystore.warning` so the identity store
//   copies it into the `identity/loaded` / `identity/generated` trace detail (`keystore: "file"`,
//   `warning: …`). It is not an `error/occurred` event: nothing failed.
import { readFile } from 'node:fs/promises';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import { FileKeystore } from './file-keystore.js';
import { IdentityError } from './identity-error.js';
import { identityRecordPath, keyFilePath } from './identity-paths.js';
import { KeychainKeystore, type KeychainLoader, loadKeytar, probeKeychain } from './keychain-keystore.js';

export type KeystoreKind = 'keychain' | 'file';
export type KeystorePreference = KeystoreKind | 'auto';
export const KEYSTORE_PREFERENCES: readonly KeystorePreference[] = ['keychain', 'file', 'auto'];

export interface Keystore {
  readonly kind: KeystoreKind;
  /** For people: the key file's path, or which keychain. */
  readonly location: string;
  /** Set when this store is a plain file: the line that was printed about it. */
  readonly warning: string | undefined;
  /** The `key/storage-ref` of a node whose key is in this store. */
  storageRef(nodeId: string): string;
  /** The seed kept for `nodeId`, or undefined when there is none. */
  load(nodeId: string): Promise<Uint8Array | undefined>;
  /** Keeps the seed; never replaces a different key already kept for the node (keystore-conflict). */
  save(nodeId: string, seed: Uint8Array): Promise<void>;
  remove(nodeId: string): Promise<void>;
  /** Node-ids with a key here, where the store can list them (the file store can). */
  list?(): Promise<string[]>;
}

export function isKeystorePreference(value: unknown): value is KeystorePreference {
  return typeof value === 'string' && (KEYSTORE_PREFERENCES as readonly string[]).includes(value);
}

export interface OpenKeystoreOptions {
  readonly dataDir: string;
  readonly preference: KeystorePreference;
  /** One line for the console; used to say loudly that a secret key sits in a plain file. */
  readonly warn: (line: string) => void;
  readonly crypto?: CryptoProvider;
  /** How to reach the keychain; keytar by default. */
  readonly keychain?: KeychainLoader;
  readonly probeTimeoutMs?: number;
  readonly operationTimeoutMs?: number;
}

/** The store kind named by the existing identity record, if there is a readable one. */
async function existingStorageKind(dataDir: string): Promise<{ kind: KeystoreKind; ref: string } | undefined> {
  let ref: unknown;
  try {
    const record = JSON.parse(await readFile(identityRecordPath(dataDir), 'utf8')) as unknown;
    ref = typeof record === 'object' && record !== null ? (record as Record<string, unknown>)['key/storage-ref'] : undefined;
  } catch {
    // Missing or corrupt: the identity store reports a corrupt record; selection goes by preference.
    return undefined;
  }
  if (typeof ref !== 'string') return undefined;
  if (ref.startsWith('keychain:')) return { kind: 'keychain', ref };
  if (ref.startsWith('local-file:')) return { kind: 'file', ref };
  return undefined;
}

function fileWarning(path: string, why: string): string {
  return `warning: the node's secret key is kept in a plain file, ${path} (mode 0600), ${why}`;
}

export async function openKeystore(options: OpenKeystoreOptions): Promise<Keystore> {
  const crypto = options.crypto ?? nativeCrypto;
  const loader = options.keychain ?? loadKeytar;
  const recordPath = identityRecordPath(options.dataDir);
  const keyPath = keyFilePath(options.dataDir);
  const existing = await existingStorageKind(options.dataDir);

  const fileStore = (why: string): Keystore => {
    const warning = fileWarning(keyPath, why);
    options.warn(warning);
    return new FileKeystore({ dataDir: options.dataDir, crypto, warn: options.warn, warning });
  };
  const probe = () => probeKeychain({ loader, ...(options.probeTimeoutMs !== undefined ? { timeoutMs: options.probeTimeoutMs } : {}) });
  const keychain = async (): Promise<Keystore> =>
    new KeychainKeystore(await loader(), options.operationTimeoutMs !== undefined ? { timeoutMs: options.operationTimeoutMs } : {});
  const keychainStore = async (context: string): Promise<Keystore> => {
    const answer = await probe();
    if (!answer.ok) throw new IdentityError('keychain-unavailable', `keychain unavailable: ${answer.reason}${context}`);
    return keychain();
  };

  if (existing) {
    if (options.preference !== 'auto' && options.preference !== existing.kind) {
      throw new IdentityError(
        'keystore-conflict',
        `the identity in ${recordPath} keeps its key in ${existing.ref}; the ${options.preference} keystore cannot be used for it (leave the keystore choice on auto)`,
        recordPath,
      );
    }
    if (existing.kind === 'keychain') return keychainStore(`; the identity in ${recordPath} keeps its key in ${existing.ref}`);
    return fileStore('because this identity was created with the file keystore');
  }
  switch (options.preference) {
    case 'keychain':
      return keychainStore('');
    case 'file':
      return fileStore('because the file keystore was chosen');
    case 'auto': {
      const answer = await probe();
      if (answer.ok) return keychain();
      return fileStore(`because no OS keychain answers (${answer.reason})`);
    }
  }
}
