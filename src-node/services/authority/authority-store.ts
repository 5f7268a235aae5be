// The registration authority's durable state (issue 5 §5), <dataDir>/authority/:
//   authority-state.json      tokens (SHA-256 only), their single-use marks and expiry; issued
//                             credentials; revocations with reasons. Written atomically (temp,
//                             fsync, rename), mode 0600, before any answer that depends on it.
//   revocation-list.v1.json   the signed revocation list, republished on every change (public).
//   authority.lock            who writes the state now: {"pid", "since"}.
//
// One writer at a time. A running orchestrator with the authority module holds the lock for its
// whole life; `pnode authority issue-token|revoke` then goes through that orchestrator's admin API
// (POST /authority/tokens, POST /authority/revocations) instead of touching the files. With no
// orchestrator running, the CLI takes the lock for the moment of one read-modify-write. A lock
// whose process no longer exists is stale and taken over.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileWriter, jsonText, writeFileAtomic } from '../../kernel/storage/atomic-file.js';
import { FileExistsError, createFileAtomic } from '../../kernel/storage/exclusive-file.js';
import { removeStaleTempFiles } from '../../kernel/storage/temp-sweep.js';
import type { OperatorCredential } from '../../../src-shared/trust/credential.js';
import type { RevokedCredential } from '../../../src-shared/trust/revocation-list.js';
import { authorityDir } from './authority-key.js';

export const AUTHORITY_STATE_FILE = 'authority-state.json';
export const REVOCATION_LIST_FILE = 'revocation-list.v1.json';
export const AUTHORITY_LOCK_FILE = 'authority.lock';
/** How long a process waits for another's short hold of the lock (a CLI read-modify-write). */
export const LOCK_WAIT_MS = 5_000;
const LOCK_POLL_MS = 50;

export interface TokenRecord {
  readonly 'token/hash': string;
  readonly label: string | null;
  readonly 'issued-at': string;
  readonly 'expires-at': string;
  'used-at': string | null;
  /** Who used it: the binding and proof it was enrolled with (tells a replay from a reuse). */
  'used-by': { readonly 'node/id': string; readonly 'operator/key': string; readonly proof: string; readonly 'credential/id': string } | null;
  'cancelled-at': string | null;
}

export interface AuthorityState {
  readonly 'schema/v': 1;
  tokens: TokenRecord[];
  credentials: OperatorCredential[];
  revocations: RevokedCredential[];
  'revocation-list/sequence': number;
}

export function emptyAuthorityState(): AuthorityState {
  return { 'schema/v': 1, tokens: [], credentials: [], revocations: [], 'revocation-list/sequence': 0 };
}

export function authorityStatePath(dataDir: string): string {
  return join(authorityDir(dataDir), AUTHORITY_STATE_FILE);
}

export function revocationListPath(dataDir: string): string {
  return join(authorityDir(dataDir), REVOCATION_LIST_FILE);
}

function lockPath(dataDir: string): string {
  return join(authorityDir(dataDir), AUTHORITY_LOCK_FILE);
}

export class AuthorityStateError extends Error {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`${path} cannot be used: ${why}`);
    this.name = 'AuthorityStateError';
  }
}

/** The lock is held by another live process. */
export class AuthorityBusyError extends Error {
  constructor(readonly pid: number) {
    super(`the registration authority's state is in use by process ${pid}`);
    this.name = 'AuthorityBusyError';
  }
}

function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

export async function readAuthorityState(dataDir: string): Promise<AuthorityState> {
  const path = authorityStatePath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyAuthorityState();
    throw error;
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new AuthorityStateError(path, 'not JSON');
  }
  if (value['schema/v'] !== 1 || !isArray(value['tokens']) || !isArray(value['credentials']) || !isArray(value['revocations']) || typeof value['revocation-list/sequence'] !== 'number') {
    throw new AuthorityStateError(path, 'not an authority state (schema/v 1 with tokens, credentials, revocations)');
  }
  return value as unknown as AuthorityState;
}

export async function writeAuthorityState(dataDir: string, state: AuthorityState, write: FileWriter = writeFileAtomic): Promise<void> {
  await write(authorityStatePath(dataDir), jsonText(state), { mode: 0o600 });
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid holding the lock, if a live process does. */
export async function lockHolder(dataDir: string): Promise<number | undefined> {
  try {
    const value = JSON.parse(await readFile(lockPath(dataDir), 'utf8')) as { pid?: unknown };
    return typeof value.pid === 'number' && alive(value.pid) ? value.pid : undefined;
  } catch {
    return undefined;
  }
}

export interface AuthorityLock {
  release(): Promise<void>;
}

/**
 * Takes the lock, waiting up to `waitMs` for a short hold by another process to end; takes over a
 * lock whose process is gone. AuthorityBusyError when a live process keeps it.
 */
export async function acquireAuthorityLock(dataDir: string, waitMs = LOCK_WAIT_MS): Promise<AuthorityLock> {
  const path = lockPath(dataDir);
  await removeStaleTempFiles(authorityDir(dataDir)).catch(() => undefined);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await createFileAtomic(path, jsonText({ pid: process.pid, since: new Date().toISOString() }), { mode: 0o600 });
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (error) {
      if (!(error instanceof FileExistsError)) throw error;
    }
    const holder = await lockHolder(dataDir);
    if (holder === undefined) {
      // Stale (its process is gone) or unreadable: take it over.
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) throw new AuthorityBusyError(holder);
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
}
