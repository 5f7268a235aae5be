// The node's Ed25519 seed in a plain file, for machines with no OS keychain (DESIGN.md §6):
// `<data dir>/identity/node-signing-key.v1.json`, mode 0600, storage-ref
// `local-file:identity/node-signing-key.v1.json`. The spec leaves the record's format open; ours is
//
//   {"schema/v": 1, "kind": "node-signing-key.v1", "node/id": "node:did:key:z…",
//    "key/alg": "ed25519", "secret/seed": "<32 bytes, base64url>"}
//
// The file is created once and never overwritten: saving a different key over it is refused.
// Loading checks that the seed derives the node-id the file claims, and warns (once) when the file
// is readable by group or others.
import { readFile, rm, stat } from 'node:fs/promises';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { ED25519_SEED_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { fromBase64url, toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { bytesEqual } from '../../../src-shared/protocol/encoding/bytes.js';
import { nodeIdFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { FileExistsError, createFileAtomic } from '../storage/exclusive-file.js';
import { jsonText } from '../storage/atomic-file.js';
import { IdentityError, reasonOf } from './identity-error.js';
import { keyFilePath } from './identity-paths.js';
import type { Keystore } from './keystore.js';
import { LOCAL_FILE_STORAGE_REF } from './node-identity.js';

export const KEY_FILE_KIND = 'node-signing-key.v1';
export const KEY_FILE_MODE = 0o600;
/** A key record is about 200 bytes; anything much larger is not one. */
export const KEY_FILE_MAX_BYTES = 64 * 1024;

export interface NodeSigningKeyRecord {
  readonly 'schema/v': 1;
  readonly kind: typeof KEY_FILE_KIND;
  readonly 'node/id': string;
  readonly 'key/alg': 'ed25519';
  /** The 32-byte Ed25519 seed, base64url without padding. */
  readonly 'secret/seed': string;
}

export interface FileKeystoreOptions {
  readonly dataDir: string;
  readonly crypto: CryptoProvider;
  /** Told about a key file that group or others can read. */
  readonly warn?: (line: string) => void;
  /** Why this keystore is in use; copied into identity traces by the identity store. */
  readonly warning?: string;
}

interface KeyFileContents {
  readonly nodeId: string;
  readonly seed: Uint8Array;
}

export class FileKeystore implements Keystore {
  readonly kind = 'file' as const;
  readonly path: string;
  readonly location: string;
  readonly warning: string | undefined;
  private readonly crypto: CryptoProvider;
  private readonly warn: (line: string) => void;
  private warnedMode = false;

  constructor(options: FileKeystoreOptions) {
    this.path = keyFilePath(options.dataDir);
    this.location = this.path;
    this.crypto = options.crypto;
    this.warn = options.warn ?? (() => {});
    this.warning = options.warning;
  }

  storageRef(): string {
    return LOCAL_FILE_STORAGE_REF;
  }

  private corrupt(reason: string): IdentityError {
    return new IdentityError('keystore-corrupt', `${this.path} does not hold a valid node signing key: ${reason}`, this.path);
  }

  private async checkMode(): Promise<void> {
    if (this.warnedMode || process.platform === 'win32') return;
    try {
      const mode = (await stat(this.path)).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        this.warnedMode = true;
        this.warn(`warning: the secret key file ${this.path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); fix it with: chmod 600 ${this.path}`);
      }
    } catch {
      // The read that follows reports a file that cannot be examined.
    }
  }

  /** The key file's contents, checked; undefined when there is no key file. */
  private async read(): Promise<KeyFileContents | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.corrupt(`it cannot be read (${reasonOf(error)})`);
    }
    await this.checkMode();
    if (bytes.length > KEY_FILE_MAX_BYTES) throw this.corrupt(`it is larger than ${KEY_FILE_MAX_BYTES} bytes`);
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw this.corrupt('it is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.corrupt('it is not a JSON object');
    const record = value as Record<string, unknown>;
    if (record['schema/v'] !== 1) throw this.corrupt('"schema/v" must be 1');
    if (record['kind'] !== KEY_FILE_KIND) throw this.corrupt(`"kind" must be "${KEY_FILE_KIND}"`);
    if (record['key/alg'] !== 'ed25519') throw this.corrupt('"key/alg" must be "ed25519"');
    const nodeId = record['node/id'];
    if (typeof nodeId !== 'string') throw this.corrupt('"node/id" is missing');
    const seedText = record['secret/seed'];
    let seed: Uint8Array | undefined;
    try {
      seed = typeof seedText === 'string' ? fromBase64url(seedText) : undefined;
    } catch {
      seed = undefined;
    }
    if (seed?.length !== ED25519_SEED_LENGTH) throw this.corrupt(`"secret/seed" must be ${ED25519_SEED_LENGTH} bytes in base64url`);
    const derived = nodeIdFromPublicKey(this.crypto.ed25519Signer(seed).publicKey);
    if (derived !== nodeId) {
      throw new IdentityError('identity-mismatch', `${this.path} claims node ${nodeId}, but its key is the key of ${derived}`, this.path);
    }
    return { nodeId, seed };
  }

  async load(nodeId: string): Promise<Uint8Array | undefined> {
    const contents = await this.read();
    if (contents === undefined) return undefined;
    if (contents.nodeId !== nodeId) {
      throw new IdentityError('identity-mismatch', `${this.path} holds the key of ${contents.nodeId}, not of ${nodeId}`, this.path);
    }
    return contents.seed;
  }

  async save(nodeId: string, seed: Uint8Array): Promise<void> {
    if (seed.length !== ED25519_SEED_LENGTH) throw new RangeError(`an Ed25519 seed is ${ED25519_SEED_LENGTH} bytes`);
    const derived = nodeIdFromPublicKey(this.crypto.ed25519Signer(seed).publicKey);
    if (derived !== nodeId) throw new IdentityError('identity-mismatch', `the key given for ${nodeId} is the key of ${derived}`);
    const record: NodeSigningKeyRecord = { 'schema/v': 1, kind: KEY_FILE_KIND, 'node/id': nodeId, 'key/alg': 'ed25519', 'secret/seed': toBase64url(seed) };
    try {
      await createFileAtomic(this.path, jsonText(record), { mode: KEY_FILE_MODE });
    } catch (error) {
      if (!(error instanceof FileExistsError)) throw error;
      const existing = await this.read();
      if (existing && existing.nodeId === nodeId && bytesEqual(existing.seed, seed)) return;
      throw new IdentityError(
        'keystore-conflict',
        `${this.path} already holds the key of ${existing?.nodeId ?? 'another node'}; it was not replaced (move it away first if it is no longer needed)`,
        this.path,
      );
    }
  }

  async remove(nodeId: string): Promise<void> {
    const contents = await this.read();
    if (contents === undefined) return;
    if (contents.nodeId !== nodeId) throw new IdentityError('keystore-conflict', `${this.path} holds the key of ${contents.nodeId}, not of ${nodeId}; it was left in place`, this.path);
    await rm(this.path, { force: true });
  }

  /** The node-ids this keystore holds a key for: at most one. */
  async list(): Promise<string[]> {
    const contents = await this.read();
    return contents ? [contents.nodeId] : [];
  }
}
