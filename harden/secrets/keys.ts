// Issue 8 §5 (secrets): the secret keys of a data dir, read from where the product keeps them: the
// node key (identity/node-identity.v1.json names it), the registration authority's key
// (authority/authority.json) and the operator key (trust/trusted-registration.json). Each record's
// `key/storage-ref` says where the seed is: `local-file:<path under the data dir>` (the explicit
// file keystore: a JSON record whose "secret/seed" is base64url) or `keychain:pnode/<account>`
// (the OS keychain, through keytar, service "pnode").
import { readFile, readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { KEYCHAIN_SERVICE, type KeychainApi } from '../../src-node/kernel/identity/keychain-keystore.js';
import { SEED_LENGTH } from './encodings.js';

/** Where a key was read from. */
export type KeyStore = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'keychain'; readonly account: string };

export interface SecretKey {
  /** "node-1 node key", "orchestrator authority key", … */
  readonly label: string;
  readonly seed: Uint8Array;
  readonly store: KeyStore;
}

/** The records that name a key, relative to a data dir, and what the key is. */
export const KEY_RECORDS: ReadonlyArray<{ readonly file: string; readonly what: string }> = [
  { file: 'identity/node-identity.v1.json', what: 'node key' },
  { file: 'authority/authority.json', what: 'authority key' },
  { file: 'trust/trusted-registration.json', what: 'operator key' },
];

/** File-keystore files are named like this (node-signing-key.v1.json, operator-signing-key.v1.z….json, …). */
export const KEY_FILE_PATTERN = /-signing-key\.v1(?:\.[1-9A-HJ-NP-Za-km-z]+)?\.json$/;

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${path} is not a JSON object`);
  return value as Record<string, unknown>;
}

function seedFrom(text: unknown, where: string): Uint8Array {
  if (typeof text !== 'string') throw new Error(`${where} holds no seed`);
  const seed = Uint8Array.from(Buffer.from(text, 'base64url'));
  if (seed.length !== SEED_LENGTH) throw new Error(`${where} does not hold a ${SEED_LENGTH}-byte seed`);
  return seed;
}

/** The store a storage-ref names, relative to `dataDir`. */
export function storeOf(dataDir: string, ref: string): KeyStore {
  if (ref.startsWith('local-file:')) return { kind: 'file', path: join(dataDir, ref.slice('local-file:'.length)) };
  const prefix = `keychain:${KEYCHAIN_SERVICE}/`;
  if (ref.startsWith(prefix)) return { kind: 'keychain', account: ref.slice(prefix.length) };
  throw new Error(`unknown key/storage-ref ${ref}`);
}

/** The seed kept in `store`; keychain stores need `keychain`. Undefined when there is none. */
export async function readSeed(store: KeyStore, keychain: KeychainApi | undefined): Promise<Uint8Array | undefined> {
  if (store.kind === 'file') {
    const record = await readJson(store.path);
    return record ? seedFrom(record['secret/seed'], store.path) : undefined;
  }
  if (!keychain) throw new Error(`the key ${store.account} is in the OS keychain, and no keychain answers here`);
  const text = await keychain.getPassword(KEYCHAIN_SERVICE, store.account);
  return text === null ? undefined : seedFrom(text, `keychain:${KEYCHAIN_SERVICE}/${store.account}`);
}

/** The stores the records of `dataDir` name, without reading any key (for cleaning up). */
export async function namedStores(dataDir: string): Promise<KeyStore[]> {
  const stores: KeyStore[] = [];
  for (const { file } of KEY_RECORDS) {
    const ref = (await readJson(join(dataDir, file)).catch(() => undefined))?.['key/storage-ref'];
    if (typeof ref === 'string') stores.push(storeOf(dataDir, ref));
  }
  return stores;
}

/** Every key the records of `dataDir` name; `name` prefixes the labels. A named key that is missing is an error. */
export async function collectKeys(dataDir: string, name: string, keychain: KeychainApi | undefined): Promise<SecretKey[]> {
  const keys: SecretKey[] = [];
  for (const { file, what } of KEY_RECORDS) {
    const record = await readJson(join(dataDir, file));
    const ref = record?.['key/storage-ref'];
    if (typeof ref !== 'string') continue; // no such record, or (trust) not enrolled
    const store = storeOf(dataDir, ref);
    const seed = await readSeed(store, keychain);
    if (!seed) throw new Error(`${join(dataDir, file)} names ${ref}, which holds no key`);
    keys.push({ label: `${name} ${what}`, seed, store });
  }
  return keys;
}

/** The operator key a node holds now (trust/trusted-registration.json), or undefined. */
export async function currentOperatorKey(dataDir: string, name: string, keychain: KeychainApi | undefined): Promise<SecretKey | undefined> {
  return (await collectKeys(dataDir, name, keychain)).find((k) => k.label.endsWith('operator key'));
}

/** Every file under `root` named like a file-keystore file (bounded depth). */
export async function findKeyFiles(root: string, maxDepth = 16): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const entry of (await readdir(dir)).sort()) {
      const path = join(dir, entry);
      const info = await lstat(path);
      if (info.isDirectory() && depth < maxDepth) await walk(path, depth + 1);
      else if (info.isFile() && KEY_FILE_PATTERN.test(entry)) found.push(path);
    }
  };
  await walk(root, 0);
  return found;
}
