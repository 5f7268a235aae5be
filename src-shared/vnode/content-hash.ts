// Content addresses of workload bytes: modules are named by the SHA-256 of their bytes, and
// results carry the SHA-256 of their output (what redundant runs compare). Text form:
// `sha256:` followed by 64 lowercase hex digits.
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../protocol/encoding/hex.js';

export type ContentHash = `sha256:${string}`;

const PREFIX = 'sha256:';
const PATTERN = /^sha256:[0-9a-f]{64}$/;

export function contentHash(bytes: Uint8Array): ContentHash {
  return `${PREFIX}${toHex(sha256(bytes))}`;
}

/** Strict: the prefix, then exactly 64 lowercase hex digits. */
export function isContentHash(value: unknown): value is ContentHash {
  return typeof value === 'string' && PATTERN.test(value);
}

/** The hex part, safe to use as a file name once isContentHash holds. */
export function contentHashHex(hash: ContentHash): string {
  return hash.slice(PREFIX.length);
}
