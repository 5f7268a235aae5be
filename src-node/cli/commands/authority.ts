// `pnode authority …`: the registration authority of trusted registration (issue 5 §5), which runs
// inside an orchestrator (`pnode orchestrator --authority`, DESIGN.md §2).
//   init         makes the authority's key (keychain, or a loud 0600 file) and prints its
//                fingerprint, the network descriptor's registration-authority/key
//   issue-token  prints a new single-use, expiring enrollment token, once (the authority keeps only
//                its SHA-256)
//   list         tokens (never the tokens themselves), credentials, revocations
//   revoke       revokes a credential (cred:…) or cancels an unused token (tok:…)
//
// Concurrency (authority-store.ts): the running orchestrator holds the authority's state. While
// it runs, issue-token, list and revoke go through its admin API (<data-dir>/admin.json: URL and
// bearer token); when it does not, they open the state themselves, under its lock.
// Exit codes (run.ts): 0 done; 1 refused; 2 bad usage or no authority in the data dir.
import { resolve } from 'node:path';
import type { CommandContext, CommandSpec, OptionSpec } from '../args.js';
import { UsageError } from '../args.js';
import { EXIT_OK, EXIT_REJECTED } from '../run.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { type Clock, systemClock } from '../../kernel/util/clock.js';
import type { KeychainLoader } from '../../kernel/identity/keychain-keystore.js';
import { KEYSTORE_PREFERENCES, isKeystorePreference } from '../../kernel/identity/keystore.js';
import { readAdminFile, type AdminFile } from '../../services/orchestrator/admin-file.js';
import { chooseKeystoreKind } from '../../kernel/identity/role-keystore.js';
import { loadOrCreateAuthorityKey, readAuthorityRecord, authorityRecordPath } from '../../services/authority/authority-key.js';
import { AuthorityBusyError, lockHolder, revocationListPath } from '../../services/authority/authority-store.js';
import { openAuthority } from '../../services/authority/open-authority.js';
import type { CredentialView, RegistrationAuthority, TokenView } from '../../services/authority/authority.js';
import { MAX_TOKEN_VALID_MINUTES, tokenRequest } from '../../services/authority/admin-routes.js';
import { MAX_REVOCATION_REASON_LENGTH } from '../../../src-shared/trust/trust-profile.js';

export interface AuthorityCommandDeps {
  readonly crypto?: CryptoProvider;
  readonly clock?: Clock;
  /** How to reach the OS keychain (keytar by default). */
  readonly keychain?: KeychainLoader;
}

const DATA_DIR: OptionSpec = { name: 'data-dir', type: 'string', valueName: 'dir', description: "The orchestrator's data directory (the authority lives in <dir>/authority)", required: true };
const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print JSON' };
/** An admin API call may take this long. */
const ADMIN_TIMEOUT_MS = 10_000;

function dataDir(context: CommandContext): string {
  return resolve(context.cwd, context.args.options['data-dir'] as string);
}

async function requireAuthority(dir: string): Promise<void> {
  if (!(await readAuthorityRecord(dir))) throw new UsageError(`${dir} has no registration authority (${authorityRecordPath(dir)}); run "pnode authority init --data-dir ${dir}" or start the orchestrator with --authority`);
}

async function adminCall(admin: AdminFile, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${admin.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${admin.token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
    });
  } catch (error) {
    throw new Error(`the orchestrator's admin API at ${admin.url} does not answer (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const value = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new Error(`the orchestrator's admin API answered ${response.status}: ${typeof value['error'] === 'string' ? value['error'] : 'no reason given'}`);
  return value;
}

/**
 * Runs `direct` on the authority's state under its lock, or `viaAdmin` through the running
 * orchestrator's admin API when that orchestrator holds the state.
 */
async function withAuthority<T>(context: CommandContext, deps: Required<Pick<AuthorityCommandDeps, 'crypto' | 'clock'>> & AuthorityCommandDeps, viaAdmin: (admin: AdminFile) => Promise<T>, direct: (authority: RegistrationAuthority) => Promise<T>): Promise<T> {
  const dir = dataDir(context);
  await requireAuthority(dir);
  const admin = async (pid: number): Promise<T> => {
    let file: AdminFile;
    try {
      file = await readAdminFile(dir);
    } catch {
      throw new UsageError(`the registration authority in ${dir} is in use by process ${pid}, which serves no admin API; start its orchestrator with --admin-listen, or stop it`);
    }
    return viaAdmin(file);
  };
  const holder = await lockHolder(dir);
  if (holder !== undefined) return admin(holder);
  let opened;
  try {
    opened = await openAuthority({ dataDir: dir, crypto: deps.crypto, clock: deps.clock, keychain: deps.keychain, warn: (line) => context.stderr(`${line}\n`), lockWaitMs: 1_000 });
  } catch (error) {
    if (error instanceof AuthorityBusyError) return admin(error.pid);
    throw error;
  }
  try {
    return await direct(opened.authority);
  } finally {
    await opened.close();
  }
}

function tokenLines(tokens: readonly TokenView[]): string[] {
  if (tokens.length === 0) return ['tokens       none'];
  return [`tokens       ${tokens.length}`, ...tokens.map((t) => `  ${t['token/id']}  ${t.status.padEnd(9)} expires ${t['expires-at']}${t.label ? `  "${t.label}"` : ''}${t['node/id'] ? `  ${t['node/id']}` : ''}`)];
}

function credentialLines(credentials: readonly CredentialView[]): string[] {
  if (credentials.length === 0) return ['credentials  none'];
  return [
    `credentials  ${credentials.length}`,
    ...credentials.map((c) => `  ${c['credential/id']}  ${c.status.padEnd(7)} until ${c['valid-until']}  ${c['node/id']}  ${c['operator/id']}${c.reason ? `  (${c.reason})` : ''}`),
  ];
}

export function makeAuthorityCommand(options: AuthorityCommandDeps = {}): CommandSpec {
  const deps = { ...options, crypto: options.crypto ?? nativeCrypto, clock: options.clock ?? systemClock };

  const init: CommandSpec = {
    name: 'init',
    summary: "Make the registration authority's key and print its fingerprint",
    options: [
      DATA_DIR,
      { name: 'keystore', type: 'string', valueName: KEYSTORE_PREFERENCES.join('|'), description: 'Where the key is kept: the OS keychain, a plain 0600 file, or auto (keychain if one answers; default)' },
    ],
    async run(context) {
      const dir = dataDir(context);
      const preference = context.args.options['keystore'] ?? 'auto';
      if (!isKeystorePreference(preference)) throw new UsageError(`--keystore must be one of ${KEYSTORE_PREFERENCES.join(', ')}`);
      const existing = await readAuthorityRecord(dir);
      const chosen = existing ? { kind: 'file' as const, why: '' } : await chooseKeystoreKind(preference, deps.keychain);
      const key = await loadOrCreateAuthorityKey({ dataDir: dir, crypto: deps.crypto, keychain: deps.keychain, warn: (line) => context.stderr(`${line}\n`), kind: chosen.kind, why: chosen.why, now: deps.clock.now() });
      context.stdout(
        `${key.created ? 'made a registration authority' : 'this data dir has a registration authority already'} in ${dir}\n` +
          `registration-authority/key  ${key.fingerprint}\n` +
          `key kept in                 ${key.record['key/storage-ref']}\n` +
          'name it in the network descriptor (pnode network create … --registration-authority-key <key>), or give it to\n' +
          'other orchestrators with --authority-key; run this orchestrator with --authority\n',
      );
      return EXIT_OK;
    },
  };

  const issueToken: CommandSpec = {
    name: 'issue-token',
    summary: 'Print a new single-use, expiring enrollment token (shown once)',
    options: [
      DATA_DIR,
      { name: 'valid-minutes', type: 'number', valueName: 'n', description: `How long the token may be used (default 1440, at most ${MAX_TOKEN_VALID_MINUTES})` },
      { name: 'label', type: 'string', valueName: 'text', description: 'A note for your records (who the token is for)' },
      JSON_OPTION,
    ],
    async run(context) {
      const request = tokenRequest({
        ...(context.args.options['valid-minutes'] !== undefined ? { 'valid-minutes': context.args.options['valid-minutes'] } : {}),
        ...(context.args.options['label'] !== undefined ? { label: context.args.options['label'] } : {}),
      });
      if (typeof request === 'string') throw new UsageError(request.replace(/^valid-minutes/, '--valid-minutes').replace(/^label/, '--label'));
      const issued = (await withAuthority(
        context,
        deps,
        (admin) => adminCall(admin, 'POST', '/authority/tokens', { 'valid-minutes': Math.round(request.validForMs / 60_000), ...(request.label !== null ? { label: request.label } : {}) }),
        async (authority) => {
          const t = await authority.issueToken(request);
          return { token: t.token, 'token/id': t.tokenId, 'expires-at': t.expiresAt, label: t.label };
        },
      )) as { token: string; 'token/id': string; 'expires-at': string; label: string | null };
      if (context.args.options['json'] === true) context.stdout(`${JSON.stringify(issued)}\n`);
      else {
        context.stdout(
          `token       ${issued.token}\n` +
            `token/id    ${issued['token/id']}\n` +
            `expires-at  ${issued['expires-at']}\n` +
            'this is the only time the token is shown (the authority keeps its hash); it enrolls one PNode, once\n',
        );
      }
      return EXIT_OK;
    },
  };

  const list: CommandSpec = {
    name: 'list',
    summary: 'List tokens (by id), credentials and revocations',
    options: [DATA_DIR, JSON_OPTION],
    async run(context) {
      const answer = (await withAuthority(
        context,
        deps,
        async (admin) => ({
          ...((await adminCall(admin, 'GET', '/authority')) as { key: string }),
          ...((await adminCall(admin, 'GET', '/authority/tokens')) as { tokens: TokenView[] }),
          ...((await adminCall(admin, 'GET', '/authority/credentials')) as { credentials: CredentialView[] }),
        }),
        async (authority) => ({ key: authority.fingerprint, tokens: authority.tokenViews(), credentials: authority.credentialViews() }),
      )) as { key: string; tokens: TokenView[]; credentials: CredentialView[] };
      if (context.args.options['json'] === true) context.stdout(`${JSON.stringify({ key: answer.key, tokens: answer.tokens, credentials: answer.credentials }, null, 2)}\n`);
      else context.stdout(`${[`registration-authority/key  ${answer.key}`, ...tokenLines(answer.tokens), ...credentialLines(answer.credentials), `revocation list: ${revocationListPath(dataDir(context))}`].join('\n')}\n`);
      return EXIT_OK;
    },
  };

  const revoke: CommandSpec = {
    name: 'revoke',
    summary: 'Revoke a credential (cred:…) or cancel an unused token (tok:…)',
    positionals: [{ name: 'id', description: 'cred:… or tok:… (see "pnode authority list")', required: true }],
    options: [DATA_DIR, { name: 'reason', type: 'string', valueName: 'text', description: 'Why (kept in the signed revocation list)' }],
    async run(context) {
      const id = context.args.positionals[0]!;
      if (!/^(?:cred|tok):[A-Za-z0-9_-]+$/.test(id)) throw new UsageError(`${JSON.stringify(id)} is neither a credential id (cred:…) nor a token id (tok:…)`);
      const reason = (context.args.options['reason'] as string | undefined) ?? 'revoked by the operator';
      if (reason.length > MAX_REVOCATION_REASON_LENGTH) throw new UsageError(`--reason is at most ${MAX_REVOCATION_REASON_LENGTH} characters`);
      const done = await withAuthority(
        context,
        deps,
        async (admin) => {
          try {
            await adminCall(admin, 'POST', '/authority/revocations', { id, reason });
            return true;
          } catch (error) {
            if (error instanceof Error && / 404:/.test(error.message)) return false;
            throw error;
          }
        },
        (authority) => authority.revoke(id, reason),
      );
      if (!done) {
        context.stderr(`no credential or unused token ${id} to revoke (see "pnode authority list")\n`);
        return EXIT_REJECTED;
      }
      context.stdout(`${id.startsWith('tok:') ? 'cancelled' : 'revoked'} ${id}\n`);
      return EXIT_OK;
    },
  };

  return {
    name: 'authority',
    summary: 'The registration authority of trusted registration: key, enrollment tokens, revocations',
    description:
      'The registration authority issues operator credentials to PNodes that enroll with a token (trusted registration).\n' +
      'It runs inside an orchestrator: "pnode orchestrator --authority". While that orchestrator runs, these commands\n' +
      "go through its admin API (<data-dir>/admin.json); otherwise they open the authority's state themselves.",
    subcommands: [init, issueToken, list, revoke],
  };
}

export const authorityCommand: CommandSpec = makeAuthorityCommand();
