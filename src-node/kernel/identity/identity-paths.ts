// Where a node's identity lives under its data dir (DESIGN.md §6).
import { join } from 'node:path';
import { LOCAL_FILE_STORAGE_REF } from './node-identity.js';

export const IDENTITY_DIR = 'identity';
/** The public record, node-identity.v1. */
export const IDENTITY_RECORD_FILE = `${IDENTITY_DIR}/node-identity.v1.json`;
/** The secret-key file of the file keystore, named by the spec's canonical storage-ref. */
export const KEY_FILE = LOCAL_FILE_STORAGE_REF.slice('local-file:'.length);

export function identityDirPath(dataDir: string): string {
  return join(dataDir, IDENTITY_DIR);
}

export function identityRecordPath(dataDir: string): string {
  return join(dataDir, IDENTITY_RECORD_FILE);
}

export function keyFilePath(dataDir: string): string {
  return join(dataDir, KEY_FILE);
}
