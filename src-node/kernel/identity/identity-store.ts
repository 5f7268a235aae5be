// Load-or-generate of the node identity (spec digest §a): the public record
// `<data dir>/identity/node-identity.v1.json`, through the schema gate on write and on read, and its
// seed in a Keystore.
//
// An existing identity is never replaced. A corrupt record, a record whose key is missing, a key
// that derives another node-id, a record that is not `active`: each is a specific IdentityError
// naming the file, and nothing is generated over it. The one repair done without asking is
// rebuilding a missing public record from the only key the file store holds (a crash between
// saving the key and writing the record leaves exactly that); it is reported in the trace detail.
//
// Traces: the trace sink is usually created once the node-id is known, so the result carries the
// `identity/loaded` or `identity/generated` event to emit (emitIdentityEvent); a sink given as
// `trace` gets it at once.
import { readFile } from 'node:fs/promises';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { ED25519_SEED_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { verifyArtifact } from '../../../src-shared/protocol/verify.js';
import { nodeIdFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import type { TraceDetail } from '../../../src-shared/protocol/trace.js';
import type { TraceSink } from '../trace/trace-sink.js';
import { type Clock, systemClock } from '../util/clock.js';
import { type FileWriter, jsonText } from '../storage/atomic-file.js';
import { FileExistsError, createFileAtomic } from '../storage/exclusive-file.js';
import { removeStaleTempFiles } from '../storage/temp-sweep.js';
import { IdentityError, reasonOf } from './identity-error.js';
import { identityDirPath, identityRecordPath } from './identity-paths.js';
import type { Keystore } from './keystore.js';
import { type NodeIdentity, type NodeIdentityRecord, identityFromSeed } from './node-identity.js';

/** The public record is small; a larger file is not one. */
export const IDENTITY_RECORD_MAX_BYTES = 64 * 1024;
export const IDENTITY_RECORD_MODE = 0o644;

export type IdentityEventType = 'identity/loaded' | 'identity/generated';

export interface IdentityEvent {
  readonly type: IdentityEventType;
  readonly detail: TraceDetail;
}

export interface LoadedIdentity {
  readonly identity: NodeIdentity;
  /** True when this call generated a new identity. */
  readonly created: boolean;
  /** The trace event to emit once a sink exists. */
  readonly event: IdentityEvent;
  readonly recordPath: string;
}

export interface IdentityStoreOptions {
  readonly dataDir: string;
  readonly keystore: Keystore;
  readonly crypto: CryptoProvider;
  readonly clock?: Clock;
  /** Gets the identity event at once, when a sink already exists. */
  readonly trace?: TraceSink;
  /** How the public record is created (default createFileAtomic; tests put a full disk here). */
  readonly createRecord?: FileWriter;
}

export function emitIdentityEvent(sink: TraceSink, loaded: Pick<LoadedIdentity, 'event'>): void {
  sink.emit(loaded.event.type, { detail: loaded.event.detail });
}

function eventDetail(keystore: Keystore, storageRef: string, extra: TraceDetail = {}): TraceDetail {
  return { keystore: keystore.kind, 'key/storage-ref': storageRef, ...(keystore.warning !== undefined ? { warning: keystore.warning } : {}), ...extra };
}

function moveAwayAdvice(dataDir: string): string {
  return `move ${identityDirPath(dataDir)} away to start a new identity, or restore one with "pnode identity import"`;
}

/**
 * The public record, checked by the schema gate and the id/key binding; undefined when there is
 * none. IdentityError 'identity-corrupt' or 'identity-inactive' otherwise.
 */
export async function readIdentityRecord(dataDir: string, crypto: CryptoProvider): Promise<NodeIdentityRecord | undefined> {
  const path = identityRecordPath(dataDir);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdentityError('identity-corrupt', `${path} cannot be read (${reasonOf(error)})`, path);
  }
  const corrupt = (why: string): IdentityError => new IdentityError('identity-corrupt', `${path} is not a usable identity record: ${why}; ${moveAwayAdvice(dataDir)}`, path);
  if (bytes.length > IDENTITY_RECORD_MAX_BYTES) throw corrupt(`it is larger than ${IDENTITY_RECORD_MAX_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw corrupt(`not valid JSON (${reasonOf(error)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt('not a JSON object');
  const status = (value as Record<string, unknown>)['identity/status'];
  if (status !== undefined && status !== 'active') {
    throw new IdentityError('identity-inactive', `${path} has identity/status ${JSON.stringify(status)}; only "active" identities can be used`, path);
  }
  const verified = verifyArtifact('node-identity.v1', value, { crypto });
  if (!verified.ok) throw corrupt(`${verified.error.code} ${verified.error.detail}`);
  // identity/status is optional; absent means active, the only meaningful value.
  return { ...verified.value, 'identity/status': 'active' } as NodeIdentityRecord;
}

/** The record's key from the keystore, checked against the record. The caller wipes `seed`. */
async function unlock(dataDir: string, record: NodeIdentityRecord, keystore: Keystore, crypto: CryptoProvider): Promise<{ identity: NodeIdentity; seed: Uint8Array }> {
  const path = identityRecordPath(dataDir);
  const nodeId = record['node/id'];
  const ref = record['key/storage-ref'];
  const expected = keystore.storageRef(nodeId);
  if (ref !== expected) {
    throw new IdentityError('keystore-conflict', `${path} keeps its key in ${ref}, but the keystore in use keeps it in ${expected}`, path);
  }
  const seed = await keystore.load(nodeId);
  if (seed === undefined) {
    throw new IdentityError('identity-key-missing', `the identity in ${path} (${nodeId}) has no key in ${ref}; ${moveAwayAdvice(dataDir)}`, path);
  }
  const identity = identityFromSeed(seed, crypto, { createdAt: record['created-at'], storageRef: ref });
  if (identity.nodeId !== nodeId) {
    seed.fill(0);
    throw new IdentityError('identity-mismatch', `the key in ${ref} is the key of ${identity.nodeId}, not of ${nodeId} named by ${path}`, path);
  }
  return { identity: { ...identity, record }, seed };
}

function requireRecord(dataDir: string, record: NodeIdentityRecord | undefined): NodeIdentityRecord {
  if (record) return record;
  const path = identityRecordPath(dataDir);
  throw new IdentityError('identity-missing', `there is no identity in ${path} (a node creates one when it first starts; "pnode identity import" restores one)`, path);
}

/** Loads the existing identity; IdentityError 'identity-missing' when there is none. */
export async function loadIdentity(options: IdentityStoreOptions): Promise<LoadedIdentity> {
  const record = requireRecord(options.dataDir, await readIdentityRecord(options.dataDir, options.crypto));
  return loaded(options, record);
}

async function loaded(options: IdentityStoreOptions, record: NodeIdentityRecord): Promise<LoadedIdentity> {
  const { identity, seed } = await unlock(options.dataDir, record, options.keystore, options.crypto);
  seed.fill(0);
  return finish(options, { identity, created: false, event: { type: 'identity/loaded', detail: eventDetail(options.keystore, record['key/storage-ref']) } });
}

function finish(options: IdentityStoreOptions, result: Omit<LoadedIdentity, 'recordPath'>): LoadedIdentity {
  const done = { ...result, recordPath: identityRecordPath(options.dataDir) };
  if (options.trace) emitIdentityEvent(options.trace, done);
  return done;
}

/** The record and the seed, for a backup. The caller wipes the seed when done. */
export async function readIdentitySecret(options: Omit<IdentityStoreOptions, 'trace' | 'clock'>): Promise<{ record: NodeIdentityRecord; seed: Uint8Array }> {
  const record = requireRecord(options.dataDir, await readIdentityRecord(options.dataDir, options.crypto));
  const { identity, seed } = await unlock(options.dataDir, record, options.keystore, options.crypto);
  return { record: identity.record, seed };
}

function nodeIdOfSeed(seed: Uint8Array, crypto: CryptoProvider): string {
  return nodeIdFromPublicKey(crypto.ed25519Signer(seed).publicKey);
}

function checkedRecord(identity: NodeIdentity, crypto: CryptoProvider): NodeIdentityRecord {
  const verified = verifyArtifact('node-identity.v1', identity.record, { crypto });
  if (!verified.ok) throw verified.error;
  return identity.record;
}

/** Writes a new public record; false when one appeared meanwhile (another process won). */
async function writeNewRecord(dataDir: string, record: NodeIdentityRecord, create: FileWriter = createFileAtomic): Promise<boolean> {
  try {
    await create(identityRecordPath(dataDir), jsonText(record), { mode: IDENTITY_RECORD_MODE });
    return true;
  } catch (error) {
    if (error instanceof FileExistsError) return false;
    throw error;
  }
}

/**
 * Writes the record of a key just saved. A record that cannot be written (a full disk) takes the key
 * with it: a key without its record would be adopted as the identity at the next start, and an
 * import that answered "failed" must leave no trace.
 */
async function recordOrForget(
  options: Pick<IdentityStoreOptions, 'dataDir' | 'keystore' | 'createRecord'> & { readonly keep?: boolean },
  record: NodeIdentityRecord,
  nodeId: string,
): Promise<boolean> {
  try {
    return await writeNewRecord(options.dataDir, record, options.createRecord);
  } catch (error) {
    if (!options.keep) await forget(options.keystore, nodeId);
    throw error;
  }
}

async function forget(keystore: Keystore, nodeId: string): Promise<void> {
  try {
    await keystore.remove(nodeId);
  } catch {
    // Best effort: an unused key left behind is harmless.
  }
}

/**
 * The identity of the node at `dataDir`: loaded when it exists, generated (key saved first, then
 * the public record, created exclusively) when it does not. Two processes starting on one data dir
 * at once end up with the same identity.
 */
export async function loadOrCreateIdentity(options: IdentityStoreOptions): Promise<LoadedIdentity> {
  await removeStaleTempFiles(identityDirPath(options.dataDir));
  try {
    return await loadOrCreateOnce(options);
  } catch (error) {
    // Another process saved its key between our look and our save: start over once, and find it.
    if (error instanceof IdentityError && error.code === 'keystore-conflict' && error.path !== undefined && error.path !== identityRecordPath(options.dataDir)) {
      return loadOrCreateOnce(options);
    }
    throw error;
  }
}

async function loadOrCreateOnce(options: IdentityStoreOptions): Promise<LoadedIdentity> {
  const { dataDir, keystore, crypto } = options;
  const existing = await readIdentityRecord(dataDir, crypto);
  if (existing) return loaded(options, existing);
  const createdAt = formatTimestamp((options.clock ?? systemClock).now());

  // A key without its record: the record write was interrupted. Rebuild the record from the key.
  const orphans = keystore.list ? await keystore.list() : [];
  if (orphans.length === 1) {
    const nodeId = orphans[0]!;
    const seed = await keystore.load(nodeId);
    if (seed !== undefined) {
      const identity = identityFromSeed(seed, crypto, { createdAt, storageRef: keystore.storageRef(nodeId) });
      seed.fill(0);
      const record = checkedRecord(identity, crypto);
      if (await writeNewRecord(dataDir, record, options.createRecord)) {
        const detail = eventDetail(keystore, record['key/storage-ref'], { recovered: `public record rebuilt from the key in ${keystore.location}` });
        return finish(options, { identity, created: false, event: { type: 'identity/loaded', detail } });
      }
      return loadIdentity(options);
    }
  }

  const seed = crypto.randomBytes(ED25519_SEED_LENGTH);
  const identity = identityFromSeed(seed, crypto, { createdAt, storageRef: keystore.storageRef(nodeIdOfSeed(seed, crypto)) });
  const record = checkedRecord(identity, crypto);
  try {
    await keystore.save(identity.nodeId, seed);
  } finally {
    seed.fill(0);
  }
  if (!(await recordOrForget(options, record, identity.nodeId))) {
    // A record appeared meanwhile. If it names our key (another process adopted it), it is ours;
    // otherwise another process created its own identity first: keep that one, drop our key.
    const winner = await readIdentityRecord(dataDir, crypto);
    if (winner?.['node/id'] !== identity.nodeId) await forget(keystore, identity.nodeId);
    return loadIdentity(options);
  }
  return finish(options, { identity, created: true, event: { type: 'identity/generated', detail: eventDetail(keystore, record['key/storage-ref']) } });
}

export type InstallOutcome = 'installed' | 'repaired' | 'unchanged';

/**
 * Puts a known key (from a backup) in place as this data dir's identity. Refuses a data dir that
 * holds a different identity (identity-exists); puts back the key of the same identity if the
 * keystore lost it ('repaired'); does nothing if it is all there ('unchanged').
 */
export async function installIdentity(
  options: Omit<IdentityStoreOptions, 'trace'> & { readonly seed: Uint8Array; readonly createdAt?: string },
): Promise<{ identity: NodeIdentity; outcome: InstallOutcome; recordPath: string }> {
  const { dataDir, keystore, crypto, seed } = options;
  const recordPath = identityRecordPath(dataDir);
  const nodeId = nodeIdOfSeed(seed, crypto);
  const existing = await readIdentityRecord(dataDir, crypto);
  if (existing) {
    if (existing['node/id'] !== nodeId) {
      throw new IdentityError(
        'identity-exists',
        `${recordPath} already holds identity ${existing['node/id']}; to import ${nodeId} instead, first back up the current one ("pnode identity export") and move ${identityDirPath(dataDir)} away`,
        recordPath,
      );
    }
    let stored: Uint8Array | undefined;
    try {
      const unlocked = await unlock(dataDir, existing, keystore, crypto);
      stored = unlocked.seed;
    } catch (error) {
      if (!(error instanceof IdentityError && error.code === 'identity-key-missing')) throw error;
    }
    if (stored !== undefined) {
      stored.fill(0);
      return { identity: { ...identityFromSeed(seed, crypto, { createdAt: existing['created-at'], storageRef: existing['key/storage-ref'] }), record: existing }, outcome: 'unchanged', recordPath };
    }
    await keystore.save(nodeId, seed);
    const { identity, seed: copy } = await unlock(dataDir, existing, keystore, crypto);
    copy.fill(0);
    return { identity, outcome: 'repaired', recordPath };
  }
  const createdAt = options.createdAt ?? formatTimestamp((options.clock ?? systemClock).now());
  const identity = identityFromSeed(seed, crypto, { createdAt, storageRef: keystore.storageRef(nodeId) });
  const record = checkedRecord(identity, crypto);
  // A key of this identity already in the keystore (left without its record) is not ours to drop.
  const held = await keystore.load(identity.nodeId).catch(() => undefined);
  held?.fill(0);
  await keystore.save(identity.nodeId, seed);
  if (!(await recordOrForget({ ...options, ...(held ? { keep: true } : {}) }, record, identity.nodeId))) {
    // Another process made a record first; our key stays only if that record names it.
    const winner = await readIdentityRecord(dataDir, crypto);
    if (winner?.['node/id'] !== identity.nodeId) await forget(keystore, identity.nodeId);
    throw new IdentityError('identity-exists', `${recordPath} was created by another process meanwhile; nothing was imported over it`, recordPath);
  }
  return { identity, outcome: 'installed', recordPath };
}
