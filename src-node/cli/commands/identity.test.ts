import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_OK, EXIT_REJECTED, EXIT_USAGE } from '../run.js';
import { IdentityError } from '../../kernel/identity/identity-error.js';
import { KEYCHAIN_SERVICE, type KeychainLoader, loadKeytar, probeKeychain } from '../../kernel/identity/keychain-keystore.js';
import { MemoryKeychain } from '../../../tests/support/memory-keychain.js';
import { pnodeRoot, runCli, type CliRun } from '../../../tests/support/cli.js';
import { type IdentityCommandDeps, identityCommand, makeIdentityCommand } from './identity.js';

const noKeychain: KeychainLoader = async () => {
  throw new IdentityError('keychain-unavailable', 'keychain unavailable: no D-Bus session');
};

const osKeychain = await probeKeychain({ timeoutMs: 5_000 });

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pnode-cli-identity-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function pnode(argv: string[], options: { env?: Record<string, string>; deps?: IdentityCommandDeps } = {}): Promise<CliRun> {
  const root = pnodeRoot(makeIdentityCommand({ keychain: noKeychain, promptPassphrase: undefined, ...options.deps }));
  return runCli(root, argv, { cwd: work, ...(options.env ? { env: options.env } : {}) });
}

const PASS = { PNODE_PASSPHRASE: 'correct horse battery staple' };

async function initFileIdentity(dir = 'node'): Promise<string> {
  const run = await pnode(['identity', 'init', '--data-dir', dir, '--keystore', 'file']);
  expect(run.code).toBe(EXIT_OK);
  return /created: (node:did:key:z\w+)/.exec(run.stdout)![1]!;
}

describe('pnode identity', () => {
  it('is a command named identity with show, init, export and import', () => {
    expect(identityCommand.name).toBe('identity');
    expect(identityCommand.subcommands?.map((c) => c.name)).toEqual(['show', 'init', 'export', 'import']);
  });

  it('show refuses a data dir with no identity (exit 1) and creates nothing', async () => {
    const run = await pnode(['identity', 'show', '--data-dir', 'node']);
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toMatch(/^pnode identity show: identity-missing: there is no identity in .*node-identity\.v1\.json\n$/);
    expect(await readdir(work)).toEqual([]);
  });

  it('init with the file keystore warns in one line where the secret key is', async () => {
    const run = await pnode(['identity', 'init', '--data-dir', 'node', '--keystore', 'file']);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toMatch(/^created: node:did:key:z6Mk\w+\nsecret key: local-file:identity\/node-signing-key\.v1\.json \(.*\)\n$/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`plain file, ${join(work, 'node', 'identity', 'node-signing-key.v1.json')}`);
    const again = await pnode(['identity', 'init', '--data-dir', 'node']);
    expect(again.stdout).toMatch(/^exists: /);
  });

  it('init with auto and no keychain falls back to the file store and says why', async () => {
    const run = await pnode(['identity', 'init', '--data-dir', 'node']);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stderr).toContain('because no OS keychain answers (no D-Bus session)');
  });

  it('init with keychain and no keychain is refused, not downgraded', async () => {
    const run = await pnode(['identity', 'init', '--data-dir', 'node', '--keystore', 'keychain']);
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toBe('pnode identity init: keychain-unavailable: keychain unavailable: no D-Bus session\n');
  });

  it('show prints the public record, as text or JSON, and checks the key on request', async () => {
    const nodeId = await initFileIdentity();
    const text = await pnode(['identity', 'show', '--data-dir', 'node']);
    expect(text.code).toBe(EXIT_OK);
    expect(text.stdout).toContain(`node/id: ${nodeId}\n`);
    expect(text.stdout).toContain('key/storage-ref: local-file:identity/node-signing-key.v1.json\n');
    expect(text.stderr).toBe('');
    const json = JSON.parse((await pnode(['identity', 'show', '--data-dir', 'node', '--json'])).stdout) as Record<string, unknown>;
    expect(json['node/id']).toBe(nodeId);
    expect(json['record/path']).toBe(join(work, 'node', 'identity', 'node-identity.v1.json'));
    expect(JSON.stringify(json)).not.toMatch(/secret\/seed/);
    const checked = await pnode(['identity', 'show', '--data-dir', 'node', '--check-key']);
    expect(checked.stdout).toMatch(/key\/status: present in .*, matches node\/id/);
  });

  it('export and import move an identity to another data dir, passphrase from the environment or a file', async () => {
    const nodeId = await initFileIdentity();
    const exported = await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'backup.json'], { env: PASS });
    expect(exported.code).toBe(EXIT_OK);
    expect(exported.stdout).toContain(`wrote a backup of ${nodeId}`);
    expect((await stat(join(work, 'backup.json'))).mode & 0o777).toBe(0o600);
    const backup = JSON.parse(await readFile(join(work, 'backup.json'), 'utf8')) as Record<string, unknown>;
    expect(backup['node/id']).toBe(nodeId);

    await writeFile(join(work, 'pass.txt'), 'correct horse battery staple\n');
    const imported = await pnode(['identity', 'import', '--data-dir', 'other', '--in', 'backup.json', '--passphrase-file', 'pass.txt', '--keystore', 'file']);
    expect(imported.code).toBe(EXIT_OK);
    expect(imported.stdout).toContain(`imported ${nodeId}`);
    const original = JSON.parse((await pnode(['identity', 'show', '--data-dir', 'node', '--json'])).stdout) as Record<string, unknown>;
    const copy = JSON.parse((await pnode(['identity', 'show', '--data-dir', 'other', '--json', '--check-key'])).stdout) as Record<string, unknown>;
    expect(copy['node/id']).toBe(nodeId);
    expect(copy['created-at']).toBe(original['created-at']);
    expect(copy['key/status']).toMatch(/^present/);

    const again = await pnode(['identity', 'import', '--data-dir', 'other', '--in', 'backup.json'], { env: PASS });
    expect(again.code).toBe(EXIT_OK);
    expect(again.stdout).toContain('already present, nothing changed');
  });

  it('import puts back a lost key of the same identity', async () => {
    const nodeId = await initFileIdentity();
    await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'backup.json'], { env: PASS });
    await rm(join(work, 'node', 'identity', 'node-signing-key.v1.json'));
    const broken = await pnode(['identity', 'show', '--data-dir', 'node', '--check-key']);
    expect(broken.code).toBe(EXIT_REJECTED);
    expect(broken.stderr).toContain('identity-key-missing');
    const repaired = await pnode(['identity', 'import', '--data-dir', 'node', '--in', 'backup.json'], { env: PASS });
    expect(repaired.code).toBe(EXIT_OK);
    expect(repaired.stdout).toContain(`restored the missing secret key of ${nodeId}`);
    expect((await pnode(['identity', 'show', '--data-dir', 'node', '--check-key'])).code).toBe(EXIT_OK);
  });

  it('import refuses a wrong passphrase (exit 1) and writes nothing', async () => {
    await initFileIdentity();
    await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'backup.json'], { env: PASS });
    const run = await pnode(['identity', 'import', '--data-dir', 'other', '--in', 'backup.json', '--keystore', 'file'], { env: { PNODE_PASSPHRASE: 'not the passphrase' } });
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toBe('pnode identity import: backup-wrong-passphrase: wrong passphrase or corrupted backup\n');
    expect((await readdir(work)).sort()).toEqual(['backup.json', 'node']);
  });

  it('import refuses a data dir that holds a different identity, and leaves it as it was', async () => {
    await initFileIdentity('a');
    const b = await initFileIdentity('b');
    await pnode(['identity', 'export', '--data-dir', 'a', '--out', 'a.json'], { env: PASS });
    const run = await pnode(['identity', 'import', '--data-dir', 'b', '--in', 'a.json'], { env: PASS });
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toMatch(/identity-exists: .* already holds identity node:did:key:.*move .* away/);
    expect(JSON.parse((await pnode(['identity', 'show', '--data-dir', 'b', '--json', '--check-key'])).stdout)).toMatchObject({ 'node/id': b });
  });

  it('import refuses a malformed backup with the protocol code (exit 1)', async () => {
    await writeFile(join(work, 'bad.json'), JSON.stringify({ 'schema/v': 1, kind: 'pnode-identity-backup.v1' }));
    const run = await pnode(['identity', 'import', '--data-dir', 'node', '--in', 'bad.json'], { env: PASS });
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toMatch(/^E_PROTO_INVALID identity backup \$\["node\/id"\]: is required\n$/);
  });

  it('export never overwrites a file, needs a passphrase, and takes none on the command line', async () => {
    await initFileIdentity();
    await writeFile(join(work, 'taken.json'), 'keep');
    const taken = await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'taken.json'], { env: PASS });
    expect(taken.code).toBe(EXIT_USAGE);
    expect(await readFile(join(work, 'taken.json'), 'utf8')).toBe('keep');
    const none = await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'b.json']);
    expect(none.code).toBe(EXIT_USAGE);
    expect(none.stderr).toContain('PNODE_PASSPHRASE');
    const inline = await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'b.json', '--passphrase', 'hunter2hunter2']);
    expect(inline.code).toBe(EXIT_USAGE);
    expect(inline.stderr).toContain('unknown option --passphrase');
    const short = await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'b.json'], { env: { PNODE_PASSPHRASE: 'short' } });
    expect(short.code).toBe(EXIT_USAGE);
    expect(short.stderr).toContain('at least 8 characters');
    expect(await readdir(work)).not.toContain('b.json');
  });

  it('asks twice on a terminal when exporting, and refuses two different answers', async () => {
    await initFileIdentity();
    const answers = ['first passphrase', 'first passphrase', 'one passphrase', 'another passphrase'];
    const asked: string[] = [];
    const promptPassphrase = async (question: string): Promise<string> => {
      asked.push(question);
      return answers.shift()!;
    };
    const ok = await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'one.json'], { deps: { promptPassphrase } });
    expect(ok.code).toBe(EXIT_OK);
    expect(asked).toHaveLength(2);
    const differ = await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'two.json'], { deps: { promptPassphrase } });
    expect(differ.code).toBe(EXIT_USAGE);
    expect(differ.stderr).toContain('the two passphrases differ');
  });

  it('bad usage exits 2', async () => {
    expect((await pnode(['identity', 'init', '--data-dir', 'node', '--keystore', 'vault'])).code).toBe(EXIT_USAGE);
    expect((await pnode(['identity', 'import', '--data-dir', 'node', '--in', 'missing.json'], { env: PASS })).code).toBe(EXIT_USAGE);
    expect((await pnode(['identity', 'import', '--data-dir', 'node', '--in', 'x', '--passphrase-file', 'missing.txt'])).code).toBe(EXIT_USAGE);
    expect((await pnode(['identity', 'show'])).code).toBe(EXIT_USAGE);
  });

  it('with a keychain answering, auto keeps keys there and never writes a key file', async () => {
    const keychain = new MemoryKeychain();
    const deps = { keychain: keychain.loader() };
    const init = await pnode(['identity', 'init', '--data-dir', 'node'], { deps });
    expect(init.code).toBe(EXIT_OK);
    expect(init.stderr).toBe('');
    expect(init.stdout).toMatch(/secret key: keychain:pnode\/node:did:key:z\w+ \(the OS keychain/);
    expect(await readdir(join(work, 'node', 'identity'))).toEqual(['node-identity.v1.json']);
    await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'b.json'], { env: PASS, deps });
    const imported = await pnode(['identity', 'import', '--data-dir', 'copy', '--in', 'b.json', '--keystore', 'file'], { env: PASS, deps });
    expect(imported.code).toBe(EXIT_OK);
    expect((await pnode(['identity', 'show', '--data-dir', 'copy', '--check-key'], { deps })).code).toBe(EXIT_OK);
    // The copy's identity keeps its key in a file; asking for the keychain for it is refused.
    const conflict = await pnode(['identity', 'init', '--data-dir', 'copy', '--keystore', 'keychain'], { deps });
    expect(conflict.code).toBe(EXIT_REJECTED);
    expect(conflict.stderr).toContain('keystore-conflict');
  });
});

describe.skipIf(!osKeychain.ok)(`pnode identity on the OS keychain${osKeychain.ok ? '' : ` (skipped: keychain unavailable: ${osKeychain.reason})`}`, () => {
  it('init, show --check-key, export and import through keytar with the default settings', async () => {
    const real = { deps: { keychain: loadKeytar } };
    const init = await pnode(['identity', 'init', '--data-dir', 'node'], real);
    expect(init.code).toBe(EXIT_OK);
    expect(init.stderr).toBe('');
    const nodeId = /created: (node:did:key:z\w+)/.exec(init.stdout)![1]!;
    try {
      expect(init.stdout).toContain(`secret key: keychain:pnode/${nodeId}`);
      expect((await pnode(['identity', 'show', '--data-dir', 'node', '--check-key'], real)).code).toBe(EXIT_OK);
      expect((await pnode(['identity', 'export', '--data-dir', 'node', '--out', 'b.json'], { ...real, env: PASS })).code).toBe(EXIT_OK);
      const keytar = await loadKeytar();
      await keytar.deletePassword(KEYCHAIN_SERVICE, nodeId);
      expect((await pnode(['identity', 'show', '--data-dir', 'node', '--check-key'], real)).stderr).toContain('identity-key-missing');
      const restored = await pnode(['identity', 'import', '--data-dir', 'node', '--in', 'b.json'], { ...real, env: PASS });
      expect(restored.stdout).toContain(`restored the missing secret key of ${nodeId}`);
      expect((await pnode(['identity', 'show', '--data-dir', 'node', '--check-key'], real)).code).toBe(EXIT_OK);
    } finally {
      await (await loadKeytar()).deletePassword(KEYCHAIN_SERVICE, nodeId);
    }
  });
});
