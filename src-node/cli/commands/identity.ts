// `pnode identity …`: show, create, back up and restore the node identity of a data dir.
// Passphrases come from --passphrase-file, the PNODE_PASSPHRASE variable, or a hidden prompt on a
// terminal; never from the command line, where other users could read them.
// Exit codes (run.ts): 0 done, 1 refused (a specific reason is printed), 2 bad usage or unreadable input.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandContext, CommandSpec, OptionSpec } from '../args.js';
import { UsageError } from '../args.js';
import { EXIT_OK, EXIT_REJECTED } from '../run.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { type Clock, systemClock } from '../../kernel/util/clock.js';
import { FileExistsError, createFileAtomic } from '../../kernel/storage/exclusive-file.js';
import { BACKUP_MAX_BYTES, BACKUP_MIN_PASSPHRASE_LENGTH, exportIdentity, importIdentity } from '../../kernel/identity/backup.js';
import { IdentityError } from '../../kernel/identity/identity-error.js';
import { installIdentity, loadIdentity, loadOrCreateIdentity, readIdentityRecord, readIdentitySecret } from '../../kernel/identity/identity-store.js';
import { identityRecordPath } from '../../kernel/identity/identity-paths.js';
import { type KeystorePreference, KEYSTORE_PREFERENCES, isKeystorePreference, openKeystore } from '../../kernel/identity/keystore.js';
import type { KeychainLoader } from '../../kernel/identity/keychain-keystore.js';

export const PASSPHRASE_ENV = 'PNODE_PASSPHRASE';
/** A passphrase file is one line; anything this large is the wrong file. */
export const PASSPHRASE_FILE_MAX_BYTES = 4096;
export const BACKUP_FILE_MODE = 0o600;

export interface IdentityCommandDeps {
  readonly crypto?: CryptoProvider;
  readonly clock?: Clock;
  /** How to reach the OS keychain (keytar by default). */
  readonly keychain?: KeychainLoader;
  readonly probeTimeoutMs?: number;
  /** Asks for a passphrase without echo; undefined where there is no terminal to ask on. */
  readonly promptPassphrase?: ((question: string) => Promise<string>) | undefined;
}

const DATA_DIR: OptionSpec = { name: 'data-dir', type: 'string', valueName: 'dir', description: 'The node data directory', required: true };
const KEYSTORE: OptionSpec = {
  name: 'keystore',
  type: 'string',
  valueName: KEYSTORE_PREFERENCES.join('|'),
  description: 'Where a new secret key is kept: the OS keychain, a plain file, or auto (keychain if one answers; default)',
};
const PASSPHRASE_FILE: OptionSpec = {
  name: 'passphrase-file',
  type: 'string',
  valueName: 'file',
  description: `Read the backup passphrase from this file (else ${PASSPHRASE_ENV}, else a prompt on a terminal)`,
};

function pathOption(context: CommandContext, name: string): string {
  const value = context.args.options[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return resolve(context.cwd, value);
}

function keystorePreference(context: CommandContext): KeystorePreference {
  const value = context.args.options['keystore'] ?? 'auto';
  if (!isKeystorePreference(value)) throw new UsageError(`--keystore must be one of ${KEYSTORE_PREFERENCES.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

/** The default terminal prompt: reads one line from a TTY stdin in raw mode, without echo. */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  const output = process.stderr;
  return new Promise((resolvePrompt, reject) => {
    let value = '';
    const done = (error?: Error): void => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolvePrompt(value);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new UsageError('cancelled at the passphrase prompt'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    output.write(question);
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

function defaultPrompt(): ((question: string) => Promise<string>) | undefined {
  return process.stdin.isTTY && process.stderr.isTTY ? promptHidden : undefined;
}

async function readPassphrase(context: CommandContext, deps: IdentityCommandDeps, purpose: 'export' | 'import'): Promise<string> {
  let passphrase: string;
  const file = context.args.options['passphrase-file'];
  if (typeof file === 'string') {
    const path = resolve(context.cwd, file);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new UsageError(`cannot read --passphrase-file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (bytes.length > PASSPHRASE_FILE_MAX_BYTES) throw new UsageError(`--passphrase-file ${path} is larger than ${PASSPHRASE_FILE_MAX_BYTES} bytes`);
    // One trailing line break is the file's, not the passphrase's.
    passphrase = bytes.toString('utf8').replace(/\r?\n$/, '');
  } else if (context.env[PASSPHRASE_ENV] !== undefined && context.env[PASSPHRASE_ENV] !== '') {
    passphrase = context.env[PASSPHRASE_ENV]!;
  } else {
    const prompt = 'promptPassphrase' in deps ? deps.promptPassphrase : defaultPrompt();
    if (!prompt) {
      throw new UsageError(`no passphrase: give --passphrase-file <file> or set ${PASSPHRASE_ENV} (a passphrase is never taken on the command line)`);
    }
    passphrase = await prompt(purpose === 'export' ? 'Passphrase for the backup: ' : 'Passphrase of the backup: ');
    if (purpose === 'export' && passphrase !== '' && (await prompt('Same passphrase again: ')) !== passphrase) {
      throw new UsageError('the two passphrases differ');
    }
  }
  if (passphrase === '') throw new UsageError('the passphrase is empty');
  if (purpose === 'export' && [...passphrase].length < BACKUP_MIN_PASSPHRASE_LENGTH) {
    throw new UsageError(`a backup passphrase needs at least ${BACKUP_MIN_PASSPHRASE_LENGTH} characters`);
  }
  return passphrase;
}

/** IdentityErrors are refusals with a specific reason: one line, exit 1. */
function guarded(run: (context: CommandContext) => Promise<number>): (context: CommandContext) => Promise<number> {
  return async (context) => {
    try {
      return await run(context);
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      context.stderr(`${context.commandPath}: ${error.code}: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return EXIT_REJECTED;
    }
  };
}

export function makeIdentityCommand(deps: IdentityCommandDeps = {}): CommandSpec {
  const crypto = deps.crypto ?? nativeCrypto;
  const clock = deps.clock ?? systemClock;
  const keystoreFor = (context: CommandContext, dataDir: string, preference: KeystorePreference) =>
    openKeystore({
      dataDir,
      preference,
      crypto,
      warn: (line) => context.stderr(`${line}\n`),
      ...(deps.keychain ? { keychain: deps.keychain } : {}),
      ...(deps.probeTimeoutMs !== undefined ? { probeTimeoutMs: deps.probeTimeoutMs } : {}),
    });

  const show: CommandSpec = {
    name: 'show',
    summary: "Print this data dir's node identity (public record only)",
    options: [
      DATA_DIR,
      { name: 'json', type: 'boolean', description: 'Print one JSON object' },
      { name: 'check-key', type: 'boolean', description: 'Also check that the secret key is in its keystore and matches' },
    ],
    run: guarded(async (context) => {
      const dataDir = pathOption(context, 'data-dir');
      const path = identityRecordPath(dataDir);
      const record = await readIdentityRecord(dataDir, crypto);
      if (!record) throw new IdentityError('identity-missing', `there is no identity in ${path}`, path);
      let keyStatus: string | undefined;
      if (context.args.options['check-key'] === true) {
        const keystore = await keystoreFor(context, dataDir, 'auto');
        await loadIdentity({ dataDir, keystore, crypto });
        keyStatus = `present in ${keystore.location}, matches node/id`;
      }
      const fields: Record<string, unknown> = { ...record, 'record/path': path, ...(keyStatus ? { 'key/status': keyStatus } : {}) };
      if (context.args.options['json'] === true) context.stdout(`${JSON.stringify(fields, null, 2)}\n`);
      else for (const [key, value] of Object.entries(fields)) context.stdout(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
      return EXIT_OK;
    }),
  };

  const init: CommandSpec = {
    name: 'init',
    summary: 'Create the node identity of a data dir now (a node also creates it when it first starts)',
    options: [DATA_DIR, KEYSTORE],
    run: guarded(async (context) => {
      const dataDir = pathOption(context, 'data-dir');
      const keystore = await keystoreFor(context, dataDir, keystorePreference(context));
      const { identity, created } = await loadOrCreateIdentity({ dataDir, keystore, crypto, clock });
      context.stdout(`${created ? 'created' : 'exists'}: ${identity.nodeId}\nsecret key: ${identity.record['key/storage-ref']} (${keystore.location})\n`);
      return EXIT_OK;
    }),
  };

  const exportCommand: CommandSpec = {
    name: 'export',
    summary: 'Write a passphrase-encrypted backup of the node identity (secret key included)',
    options: [DATA_DIR, { name: 'out', type: 'string', valueName: 'file', description: 'The backup file to create (never overwritten)', required: true }, PASSPHRASE_FILE],
    run: guarded(async (context) => {
      const dataDir = pathOption(context, 'data-dir');
      const out = pathOption(context, 'out');
      // Checked before the keychain is asked: a bad --out should not cost a keychain unlock.
      if (await exists(out)) throw new UsageError(`${out} already exists; choose another --out (a backup is never overwritten)`);
      const passphrase = await readPassphrase(context, deps, 'export');
      const keystore = await keystoreFor(context, dataDir, 'auto');
      const { record, seed } = await readIdentitySecret({ dataDir, keystore, crypto });
      let text: string;
      try {
        text = await exportIdentity({ record, seed, passphrase, crypto, clock });
      } finally {
        seed.fill(0);
      }
      try {
        await createFileAtomic(out, text, { mode: BACKUP_FILE_MODE });
      } catch (error) {
        if (error instanceof FileExistsError) throw new UsageError(`${out} already exists; choose another --out (a backup is never overwritten)`);
        throw error;
      }
      context.stdout(`wrote a backup of ${record['node/id']} to ${out}\nkeep it and its passphrase apart: together they are this node's secret key\n`);
      return EXIT_OK;
    }),
  };

  const importCommand: CommandSpec = {
    name: 'import',
    summary: 'Restore a node identity from a backup into a data dir that has none (or has lost its key)',
    options: [DATA_DIR, { name: 'in', type: 'string', valueName: 'file', description: 'The backup file', required: true }, KEYSTORE, PASSPHRASE_FILE],
    run: guarded(async (context) => {
      const dataDir = pathOption(context, 'data-dir');
      const input = pathOption(context, 'in');
      const preference = keystorePreference(context);
      let text: string;
      try {
        const bytes = await readFile(input);
        if (bytes.length > BACKUP_MAX_BYTES) throw new UsageError(`${input} is larger than ${BACKUP_MAX_BYTES} bytes; it is not an identity backup`);
        text = bytes.toString('utf8');
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`cannot read --in ${input} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const passphrase = await readPassphrase(context, deps, 'import');
      const imported = await importIdentity(text, passphrase, { crypto });
      try {
        const keystore = await keystoreFor(context, dataDir, preference);
        const { identity, outcome, recordPath } = await installIdentity({ dataDir, keystore, crypto, clock, seed: imported.seed, createdAt: imported.createdAt });
        const what = { installed: 'imported', repaired: 'restored the missing secret key of', unchanged: 'already present, nothing changed:' }[outcome];
        context.stdout(`${what} ${identity.nodeId}\nrecord: ${recordPath}\nsecret key: ${identity.record['key/storage-ref']} (${keystore.location})\n`);
      } finally {
        imported.seed.fill(0);
      }
      return EXIT_OK;
    }),
  };

  return {
    name: 'identity',
    summary: 'Show, create, back up and restore the node identity',
    description:
      'The node identity: a public record in <data-dir>/identity/node-identity.v1.json and an Ed25519 secret key ' +
      'in the OS keychain (or, where none answers, a 0600 file beside the record). Backups are encrypted with a passphrase.',
    subcommands: [show, init, exportCommand, importCommand],
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export const identityCommand: CommandSpec = makeIdentityCommand();
