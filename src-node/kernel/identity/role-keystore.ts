// Keys of trusted registration, kept apart from the node key (issue 5 §5, DESIGN.md §6): the
// operator key of a PNode and the registration authority's key. The same rules as the node key:
// the OS keychain (keytar; service `pnode`, account `<role>/<scope>/<fingerprint>`, storage-ref
// `keychain:pnode/<account>`), or, only where no keychain answers, a 0600 file under the data dir
// (`<subdir>/<role>-signing-key.v1.<fingerprint>.json`, storage-ref `local-file:<that path>`),
// said loudly. Each key is stored under its own fingerprint, so a new key (rotation) never replaces
// an old one in place: the caller removes the old key once nothing names it any more.
//
// A stored key is checked on load: its seed must derive the fingerprint it is stored under.
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ED25519_SEED_LENGTH, type CryptoProvider, type Ed25519Signer } from '../../../src-shared/protocol/crypto/provider.js';
import { fingerprintFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { fromBase64url, toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { bytesEqual } from '../../../src-shared/protocol/encoding/bytes.js';
import { FileExistsError, createFileAtomic } from '../storage/exclusive-file.js';
import { jsonText } from '../storage/atomic-file.js';
import { IdentityError, reasonOf } from './identity-error.js';
import { KeychainKeystore, type KeychainLoader, loadKeytar, probeKeychain } from './keychain-keystore.js';
import type { KeystoreKind, KeystorePreference } from './keystore.js';

export type KeyRole = 'operator' | 'authority';
export const ROLE_KEY_FILE_MODE = 0o600;
const ROLE_KEY_FILE_MAX_BYTES = 64 * 1024;

export interface RoleKeystore {
  readonly kind: KeystoreKind;
  /** For people: the folder of the key files, or which keychain. */
  readonly location: string;
  /** Set for the file store: the line that was printed about it. */
  readonly warning: string | undefined;
  storageRef(fingerprint: string): string;
  /** The seed kept under `fingerprint`, checked; undefined when there is none. The caller wipes it. */
  load(fingerprint: string): Promise<Uint8Array | undefined>;
  /** Keeps a seed; refuses a different one under the same fingerprint (keystore-conflict). */
  save(fingerprint: string, seed: Uint8Array): Promise<void>;
  remove(fingerprint: string): Promise<void>;
}

export interface RoleKeystoreOptions {
  readonly dataDir: string;
  /** Folder under the data dir for key files and public records: `trust` or `authority`. */
  readonly subdir: string;
  readonly role: KeyRole;
  /** Separates keys of several nodes in one keychain (the operator key's node-id); empty for none. */
  readonly scope: string;
  readonly kind: KeystoreKind;
  readonly crypto: CryptoProvider;
  readonly keychain?: KeychainLoader | undefined;
  readonly warn: (line: string) => void;
  /** Why the file store is used, for the warning ("because no OS keychain answers", …). */
  readonly why?: string;
}

export function roleKeyFileName(role: KeyRole, fingerprint: string): string {
  return `${role}-signing-key.v1.${fingerprint}.json`;
}

function checkSeed(seed: Uint8Array, fingerprint: string, crypto: CryptoProvider, where: string): void {
  const derived = fingerprintFromPublicKey(crypto.ed25519Signer(seed).publicKey);
  if (derived !== fingerprint) throw new IdentityError('identity-mismatch', `${where} holds the key ${derived}, not ${fingerprint}`, where);
}

class KeychainRoleKeystore implements RoleKeystore {
  readonly kind = 'keychain' as const;
  readonly location = 'the OS keychain (service "pnode")';
  readonly warning = undefined;

  constructor(
    private readonly store: KeychainKeystore,
    private readonly options: RoleKeystoreOptions,
  ) {}

  private account(fingerprint: string): string {
    return [this.options.role, ...(this.options.scope ? [this.options.scope] : []), fingerprint].join('/');
  }

  storageRef(fingerprint: string): string {
    return this.store.storageRef(this.account(fingerprint));
  }

  async load(fingerprint: string): Promise<Uint8Array | undefined> {
    const seed = await this.store.load(this.account(fingerprint));
    if (seed !== undefined) checkSeed(seed, fingerprint, this.options.crypto, this.storageRef(fingerprint));
    return seed;
  }

  save(fingerprint: string, seed: Uint8Array): Promise<void> {
    checkSeed(seed, fingerprint, this.options.crypto, 'the key given');
    return this.store.save(this.account(fingerprint), seed);
  }

  remove(fingerprint: string): Promise<void> {
    return this.store.remove(this.account(fingerprint));
  }
}

class FileRoleKeystore implements RoleKeystore {
  readonly kind = 'file' as const;
  readonly location: string;
  readonly warning: string;

  constructor(private readonly options: RoleKeystoreOptions) {
    this.location = join(options.dataDir, options.subdir);
    this.warning = `warning: the ${options.role} key is kept in a plain file under ${this.location} (mode 0600), ${options.why ?? 'because the file keystore is in use'}`;
    options.warn(this.warning);
  }

  private relative(fingerprint: string): string {
    return `${this.options.subdir}/${roleKeyFileName(this.options.role, fingerprint)}`;
  }

  private path(fingerprint: string): string {
    return join(this.options.dataDir, this.relative(fingerprint));
  }

  storageRef(fingerprint: string): string {
    return `local-file:${this.relative(fingerprint)}`;
  }

  private corrupt(path: string, why: string): IdentityError {
    return new IdentityError('keystore-corrupt', `${path} does not hold a valid ${this.options.role} key: ${why}`, path);
  }

  async load(fingerprint: string): Promise<Uint8Array | undefined> {
    const path = this.path(fingerprint);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.corrupt(path, `it cannot be read (${reasonOf(error)})`);
    }
    if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) {
      this.options.warn(`warning: the secret key file ${path} is readable by group or others; fix it with: chmod 600 ${path}`);
    }
    if (bytes.length > ROLE_KEY_FILE_MAX_BYTES) throw this.corrupt(path, 'it is too large');
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw this.corrupt(path, 'it is not JSON');
    }
    let seed: Uint8Array | undefined;
    try {
      seed = typeof record['secret/seed'] === 'string' ? fromBase64url(record['secret/seed']) : undefined;
    } catch {
      seed = undefined;
    }
    if (record['kind'] !== `${this.options.role}-signing-key.v1` || seed?.length !== ED25519_SEED_LENGTH) throw this.corrupt(path, `it is not a ${this.options.role}-signing-key.v1 record`);
    checkSeed(seed, fingerprint, this.options.crypto, path);
    return seed;
  }

  async save(fingerprint: string, seed: Uint8Array): Promise<void> {
    checkSeed(seed, fingerprint, this.options.crypto, 'the key given');
    const path = this.path(fingerprint);
    const record = { 'schema/v': 1, kind: `${this.options.role}-signing-key.v1`, 'key/public': fingerprint, 'key/alg': 'ed25519', 'secret/seed': toBase64url(seed) };
    try {
      await createFileAtomic(path, jsonText(record), { mode: ROLE_KEY_FILE_MODE });
    } catch (error) {
      if (!(error instanceof FileExistsError)) throw error;
      const existing = await this.load(fingerprint);
      if (existing && bytesEqual(existing, seed)) return;
      throw new IdentityError('keystore-conflict', `${path} already holds another key; it was not replaced`, path);
    }
  }

  async remove(fingerprint: string): Promise<void> {
    await rm(this.path(fingerprint), { force: true });
  }
}

/** The store of a role's keys, of the kind given (decided by the caller: see chooseKeystoreKind). */
export async function openRoleKeystore(options: RoleKeystoreOptions): Promise<RoleKeystore> {
  if (options.kind === 'file') return new FileRoleKeystore(options);
  const api = await (options.keychain ?? loadKeytar)();
  return new KeychainRoleKeystore(new KeychainKeystore(api), options);
}

/** The store kind a storage-ref names; undefined for anything else. */
export function kindOfStorageRef(ref: string): KeystoreKind | undefined {
  if (ref.startsWith('keychain:')) return 'keychain';
  if (ref.startsWith('local-file:')) return 'file';
  return undefined;
}

/**
 * For a new key with no node runtime to follow (the authority CLI): `keychain` needs one that
 * answers; `auto` takes it when it answers and the file store otherwise, saying why.
 */
export async function chooseKeystoreKind(preference: KeystorePreference, keychain?: KeychainLoader): Promise<{ kind: KeystoreKind; why: string }> {
  if (preference === 'file') return { kind: 'file', why: 'because the file keystore was chosen' };
  const answer = await probeKeychain({ ...(keychain ? { loader: keychain } : {}) });
  if (answer.ok) return { kind: 'keychain', why: '' };
  if (preference === 'keychain') throw new IdentityError('keychain-unavailable', `keychain unavailable: ${answer.reason}`);
  return { kind: 'file', why: `because no OS keychain answers (${answer.reason})` };
}

/** A new Ed25519 key kept in `store`: its signer and fingerprint. The seed is wiped. */
export async function createRoleKey(store: RoleKeystore, crypto: CryptoProvider): Promise<{ signer: Ed25519Signer; fingerprint: string }> {
  const seed = crypto.randomBytes(ED25519_SEED_LENGTH);
  try {
    const signer = crypto.ed25519Signer(seed);
    const fingerprint = fingerprintFromPublicKey(signer.publicKey);
    await store.save(fingerprint, seed);
    return { signer, fingerprint };
  } finally {
    seed.fill(0);
  }
}

/** The signer of a stored key; IdentityError 'identity-key-missing' when the store does not hold it. */
export async function loadRoleKey(store: RoleKeystore, fingerprint: string, crypto: CryptoProvider): Promise<Ed25519Signer> {
  const seed = await store.load(fingerprint);
  if (seed === undefined) throw new IdentityError('identity-key-missing', `the key ${fingerprint} is not in ${store.storageRef(fingerprint)}`, store.storageRef(fingerprint));
  try {
    return crypto.ed25519Signer(seed);
  } finally {
    seed.fill(0);
  }
}
