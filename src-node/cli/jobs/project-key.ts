// A project's key on disk (issue 13 §1): `pnode project keygen` makes it, `pnode job …` signs with
// it. A JSON file, mode 0600: {"schema": "pnode-project-key.v1", "key": "z…", "seed": base64url}.
// The key (the did:key fingerprint) is what the network descriptor's `projects` lists.
import { readFile } from 'node:fs/promises';
import type { CryptoProvider, Ed25519Signer } from '../../../src-shared/protocol/crypto/provider.js';
import { fingerprintFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { fromBase64url, toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { randomBytes } from '../../../src-shared/protocol/encoding/bytes.js';
import { FileExistsError, createFileAtomic } from '../../kernel/storage/exclusive-file.js';

export const PROJECT_KEY_SCHEMA = 'pnode-project-key.v1';

export interface ProjectKey {
  readonly key: string;
  readonly signer: Ed25519Signer;
}

/** Makes a new key and writes it (0600); refuses to overwrite an existing file. */
export async function makeProjectKey(path: string, crypto: CryptoProvider): Promise<ProjectKey> {
  const seed = randomBytes(32);
  const signer = crypto.ed25519Signer(seed);
  const key = fingerprintFromPublicKey(signer.publicKey);
  try {
    await createFileAtomic(path, `${JSON.stringify({ schema: PROJECT_KEY_SCHEMA, key, seed: toBase64url(seed) }, null, 2)}\n`, { mode: 0o600 });
  } catch (error) {
    if (error instanceof FileExistsError) throw new Error(`${path} exists already; a project key is never overwritten`, { cause: error });
    throw error;
  } finally {
    seed.fill(0);
  }
  return { key, signer };
}

export async function readProjectKey(path: string, crypto: CryptoProvider): Promise<ProjectKey> {
  let value: { schema?: unknown; key?: unknown; seed?: unknown };
  try {
    value = JSON.parse(await readFile(path, 'utf8')) as typeof value;
  } catch (error) {
    throw new Error(`${path} is not a project key file (${error instanceof Error ? error.message : String(error)}); make one with pnode project keygen`, { cause: error });
  }
  if (value.schema !== PROJECT_KEY_SCHEMA || typeof value.seed !== 'string') throw new Error(`${path} is not a ${PROJECT_KEY_SCHEMA} file`);
  let seed: Uint8Array;
  try {
    seed = fromBase64url(value.seed);
  } catch {
    throw new Error(`${path}: the seed is not base64url`);
  }
  if (seed.length !== 32) throw new Error(`${path}: the seed is not 32 bytes`);
  const signer = crypto.ed25519Signer(seed);
  const key = fingerprintFromPublicKey(signer.publicKey);
  if (value.key !== undefined && value.key !== key) throw new Error(`${path}: the key does not match the seed`);
  return { key, signer };
}
