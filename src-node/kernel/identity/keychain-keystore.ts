// The node's Ed25519 seed in the OS keychain, through keytar (DESIGN.md §6): service `pnode`,
// account = the node-id, storage-ref `keychain:pnode/<node-id>`. The seed is stored as base64url.
//
// keytar is an optional dependency and is loaded on first use. Every keychain call is bounded in
// time: without a Secret Service, some keytar calls never answer. A call that times out keeps its
// libuv worker thread busy and the process alive; nothing can cancel it, so a process that hit a
// timeout (unansweredKeychainCalls() > 0) should exit explicitly when done.
import { ED25519_SEED_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { fromBase64url, toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { bytesEqual } from '../../../src-shared/protocol/encoding/bytes.js';
import { IdentityError, reasonOf } from './identity-error.js';
import type { Keystore } from './keystore.js';
import { withTimeout } from '../util/time-limit.js';
import { keychainStorageRef } from './node-identity.js';
import { randomBytes } from 'node:crypto';

export const KEYCHAIN_SERVICE = 'pnode';
/** The probe is a write, a read and a delete; a working keychain answers in milliseconds. */
export const KEYCHAIN_PROBE_TIMEOUT_MS = 10_000;
/** Longer than the probe: a desktop keyring may ask the user to unlock it. */
export const KEYCHAIN_OPERATION_TIMEOUT_MS = 60_000;

/** The part of keytar we use. Tests may pass their own. */
export interface KeychainApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

export type KeychainLoader = () => Promise<KeychainApi>;

export type KeychainProbe = { ok: true } | { ok: false; reason: string };

// A variable specifier: keytar may be absent, and then neither tsc nor the bundler should need it.
const KEYTAR_MODULE = 'keytar';
let keytar: Promise<KeychainApi> | undefined;

function isKeychainApi(value: unknown): value is KeychainApi {
  const api = value as Partial<KeychainApi> | null;
  return typeof api === 'object' && api !== null && typeof api.getPassword === 'function' && typeof api.setPassword === 'function' && typeof api.deletePassword === 'function';
}

/** keytar, loaded once; IdentityError('keychain-unavailable') when it is not installed or does not load. */
export function loadKeytar(): Promise<KeychainApi> {
  keytar ??= (async () => {
    let loaded: unknown;
    try {
      loaded = await import(KEYTAR_MODULE);
    } catch (error) {
      throw new IdentityError('keychain-unavailable', `keychain unavailable: keytar cannot be loaded (${reasonOf(error)})`);
    }
    const api = (loaded as { default?: unknown }).default ?? loaded;
    if (!isKeychainApi(api)) throw new IdentityError('keychain-unavailable', 'keychain unavailable: keytar has an unexpected shape');
    return api;
  })();
  return keytar;
}

let unanswered = 0;

/**
 * Keychain calls that timed out and have still not answered. Each holds a libuv worker thread and
 * keeps the process alive; a CLI that sees a non-zero count should end with process.exit().
 */
export function unansweredKeychainCalls(): number {
  return unanswered;
}

/** withTimeout for a keychain call, counting calls that are given up on while still running. */
function keychainCall<T>(promise: Promise<T>, ms: number): Promise<T> {
  let settled = false;
  let abandoned = false;
  const settle = (): void => {
    settled = true;
    if (abandoned) unanswered--;
  };
  promise.then(settle, settle);
  return withTimeout(promise, ms, 'the keychain').catch((error: unknown) => {
    if (!settled && !abandoned) {
      abandoned = true;
      unanswered++;
    }
    throw error;
  });
}

/**
 * Does an OS keychain answer? Writes, reads back and deletes a probe entry (service `pnode`,
 * account `probe/<pid>-<random>`), within `timeoutMs` in all.
 */
export async function probeKeychain(options: { loader?: KeychainLoader; timeoutMs?: number } = {}): Promise<KeychainProbe> {
  const timeoutMs = options.timeoutMs ?? KEYCHAIN_PROBE_TIMEOUT_MS;
  const account = `probe/${process.pid}-${randomBytes(6).toString('hex')}`;
  const value = randomBytes(12).toString('base64url');
  const attempt = async (): Promise<KeychainProbe> => {
    const api = await (options.loader ?? loadKeytar)();
    await api.setPassword(KEYCHAIN_SERVICE, account, value);
    const read = await api.getPassword(KEYCHAIN_SERVICE, account);
    const deleted = await api.deletePassword(KEYCHAIN_SERVICE, account);
    if (read !== value) return { ok: false, reason: 'a probe entry read back differently from what was written' };
    if (!deleted) return { ok: false, reason: 'a probe entry could not be deleted' };
    return { ok: true };
  };
  try {
    return await keychainCall(attempt(), timeoutMs);
  } catch (error) {
    const reason = reasonOf(error).replace(/^keychain unavailable: /, '');
    return { ok: false, reason };
  }
}

function unavailable(error: unknown, what: string): IdentityError {
  if (error instanceof IdentityError) return error;
  return new IdentityError('keychain-unavailable', `keychain unavailable: ${what} failed (${reasonOf(error)})`);
}

export class KeychainKeystore implements Keystore {
  readonly kind = 'keychain' as const;
  readonly location = `the OS keychain (service "${KEYCHAIN_SERVICE}")`;
  readonly warning = undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly api: KeychainApi,
    options: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? KEYCHAIN_OPERATION_TIMEOUT_MS;
  }

  storageRef(nodeId: string): string {
    return keychainStorageRef(nodeId);
  }

  async load(nodeId: string): Promise<Uint8Array | undefined> {
    let text: string | null;
    try {
      text = await keychainCall(this.api.getPassword(KEYCHAIN_SERVICE, nodeId), this.timeoutMs);
    } catch (error) {
      throw unavailable(error, `reading ${this.storageRef(nodeId)}`);
    }
    if (text === null) return undefined;
    let seed: Uint8Array | undefined;
    try {
      seed = fromBase64url(text);
    } catch {
      seed = undefined;
    }
    if (seed?.length !== ED25519_SEED_LENGTH) {
      throw new IdentityError('keystore-corrupt', `${this.storageRef(nodeId)} does not hold a ${ED25519_SEED_LENGTH}-byte Ed25519 seed`, this.storageRef(nodeId));
    }
    return seed;
  }

  async save(nodeId: string, seed: Uint8Array): Promise<void> {
    if (seed.length !== ED25519_SEED_LENGTH) throw new RangeError(`an Ed25519 seed is ${ED25519_SEED_LENGTH} bytes`);
    const ref = this.storageRef(nodeId);
    const existing = await this.load(nodeId);
    if (existing !== undefined) {
      if (bytesEqual(existing, seed)) return;
      throw new IdentityError('keystore-conflict', `${ref} already holds a different key; it was not replaced`, ref);
    }
    try {
      await keychainCall(this.api.setPassword(KEYCHAIN_SERVICE, nodeId, toBase64url(seed)), this.timeoutMs);
    } catch (error) {
      throw unavailable(error, `writing ${ref}`);
    }
    // Read it back: a keychain that accepted the write but keeps nothing must not pass.
    const stored = await this.load(nodeId);
    if (stored === undefined || !bytesEqual(stored, seed)) {
      throw new IdentityError('keychain-unavailable', `keychain unavailable: ${ref} did not read back what was written`, ref);
    }
  }

  async remove(nodeId: string): Promise<void> {
    try {
      await keychainCall(this.api.deletePassword(KEYCHAIN_SERVICE, nodeId), this.timeoutMs);
    } catch (error) {
      throw unavailable(error, `deleting ${this.storageRef(nodeId)}`);
    }
  }
}
