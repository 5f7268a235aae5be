import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_OK, EXIT_REJECTED, EXIT_USAGE } from '../run.js';
import { MemoryKeychain } from '../../../tests/support/memory-keychain.js';
import { makeAuthorityCommand } from './authority.js';
import { verifyRevocationList } from '../../../src-shared/trust/revocation-list.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { openAuthority } from '../../services/authority/open-authority.js';
import { systemClock } from '../../kernel/util/clock.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { pnodeRoot, runCli, type CliRun } from '../../../tests/support/cli.js';
import { enrollBody, randomSigner } from '../../../tests/support/trust.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pnode-cli-authority-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function pnode(keychain: MemoryKeychain | undefined, ...argv: string[]): Promise<CliRun> {
  return runCli(pnodeRoot(makeAuthorityCommand(keychain ? { keychain: keychain.loader() } : {})), argv, { cwd: work });
}

const posix = process.platform !== 'win32';

describe('pnode authority', () => {
  it('init makes the key once (a loud 0600 file here) and prints its fingerprint; a second init finds it', async () => {
    const first = await pnode(undefined, 'authority', 'init', '--data-dir', 'orch', '--keystore', 'file');
    expect(first.code, first.stderr).toBe(EXIT_OK);
    const key = /registration-authority\/key\s+(z\w+)/.exec(first.stdout)![1]!;
    expect(first.stderr).toMatch(/warning: the authority key is kept in a plain file/);
    const record = JSON.parse(await readFile(join(work, 'orch', 'authority', 'authority.json'), 'utf8')) as Record<string, string>;
    expect(record['key/public']).toBe(key);
    expect(record['key/storage-ref']).toBe(`local-file:authority/authority-signing-key.v1.${key}.json`);
    if (posix) expect((await stat(join(work, 'orch', 'authority', `authority-signing-key.v1.${key}.json`))).mode & 0o077).toBe(0);
    const second = await pnode(undefined, 'authority', 'init', '--data-dir', 'orch');
    expect(second.code).toBe(EXIT_OK);
    expect(second.stdout).toContain('already');
    expect(second.stdout).toContain(key);
  });

  it('init keeps the key in the keychain when one answers', async () => {
    const keychain = new MemoryKeychain();
    const run = await pnode(keychain, 'authority', 'init', '--data-dir', 'orch');
    expect(run.code, run.stderr).toBe(EXIT_OK);
    const key = /registration-authority\/key\s+(z\w+)/.exec(run.stdout)![1]!;
    expect(run.stdout).toContain(`keychain:pnode/authority/${key}`);
    expect(await keychain.getPassword('pnode', `authority/${key}`)).not.toBeNull();
    expect(run.stderr).not.toMatch(/plain file/);
  });

  it('issue-token prints a token once; the state keeps its hash; list shows it by id; revoke cancels it', async () => {
    expect((await pnode(undefined, 'authority', 'init', '--data-dir', 'orch', '--keystore', 'file')).code).toBe(EXIT_OK);
    const issued = await pnode(undefined, 'authority', 'issue-token', '--data-dir', 'orch', '--valid-minutes', '30', '--label', 'alice', '--json');
    expect(issued.code, issued.stderr).toBe(EXIT_OK);
    const token = JSON.parse(issued.stdout) as { token: string; 'token/id': string; 'expires-at': string; label: string };
    expect(token.token).toMatch(/^pnode-enroll-[A-Za-z0-9_-]{43}$/);
    expect(token.label).toBe('alice');
    const state = await readFile(join(work, 'orch', 'authority', 'authority-state.json'), 'utf8');
    expect(state).not.toContain(token.token.slice('pnode-enroll-'.length));
    if (posix) expect((await stat(join(work, 'orch', 'authority', 'authority-state.json'))).mode & 0o077).toBe(0);
    const text = await pnode(undefined, 'authority', 'issue-token', '--data-dir', 'orch');
    expect(text.stdout).toMatch(/^token\s+pnode-enroll-/m);

    const list = await pnode(undefined, 'authority', 'list', '--data-dir', 'orch');
    expect(list.code).toBe(EXIT_OK);
    expect(list.stdout).toContain(token['token/id']);
    expect(list.stdout).toContain('alice');
    expect(list.stdout).not.toContain(token.token);

    const cancel = await pnode(undefined, 'authority', 'revoke', '--data-dir', 'orch', token['token/id']);
    expect(cancel.code, cancel.stderr).toBe(EXIT_OK);
    expect(cancel.stdout).toContain(`cancelled ${token['token/id']}`);
    const json = JSON.parse((await pnode(undefined, 'authority', 'list', '--data-dir', 'orch', '--json')).stdout) as { tokens: Array<{ 'token/id': string; status: string }> };
    expect(json.tokens.find((t) => t['token/id'] === token['token/id'])?.status).toBe('cancelled');
    const again = await pnode(undefined, 'authority', 'revoke', '--data-dir', 'orch', token['token/id']);
    expect(again.code).toBe(EXIT_REJECTED);
  });

  it('revoke of a credential re-signs the published revocation list', async () => {
    expect((await pnode(undefined, 'authority', 'init', '--data-dir', 'orch', '--keystore', 'file')).code).toBe(EXIT_OK);
    // A credential to revoke, issued through the authority's own rules.
    const opened = await openAuthority({ dataDir: join(work, 'orch'), crypto: nativeCrypto, clock: systemClock, warn: () => undefined });
    const { token } = await opened.authority.issueToken();
    const node = testIdentity(0x41);
    const enrolled = await opened.authority.enroll(node.nodeId, enrollBody(node, randomSigner(), token));
    await opened.close();
    expect(enrolled.ok).toBe(true);
    const id = enrolled.ok ? enrolled.value['credential/id'] : '';
    const none = await pnode(undefined, 'authority', 'revoke', '--data-dir', 'orch', 'cred:01JNOSUCHCREDENTIAL', '--reason', 'x');
    expect(none.code).toBe(EXIT_REJECTED);
    const done = await pnode(undefined, 'authority', 'revoke', '--data-dir', 'orch', id, '--reason', 'lost laptop');
    expect(done.code, done.stderr).toBe(EXIT_OK);
    expect(done.stdout).toContain(`revoked ${id}`);
    const list = await pnode(undefined, 'authority', 'list', '--data-dir', 'orch');
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+revoked`));
    const file = JSON.parse(await readFile(join(work, 'orch', 'authority', 'revocation-list.v1.json'), 'utf8')) as { revoked: Array<{ 'credential/id': string; reason: string }> };
    expect(file.revoked).toEqual([expect.objectContaining({ 'credential/id': id, reason: 'lost laptop' })]);
    const key = (JSON.parse(await readFile(join(work, 'orch', 'authority', 'authority.json'), 'utf8')) as { 'key/public': string })['key/public'];
    expect(verifyRevocationList(file, { crypto: nativeCrypto, trustedIssuers: [key] }).ok).toBe(true);
  });

  it('refuses bad usage: no authority in the data dir, out-of-range minutes, a control character in a label, an id of neither kind', async () => {
    expect((await pnode(undefined, 'authority', 'issue-token', '--data-dir', 'orch')).code).toBe(EXIT_USAGE);
    expect((await pnode(undefined, 'authority', 'init', '--data-dir', 'orch', '--keystore', 'file')).code).toBe(EXIT_OK);
    expect((await pnode(undefined, 'authority', 'issue-token', '--data-dir', 'orch', '--valid-minutes', '0')).code).toBe(EXIT_USAGE);
    expect((await pnode(undefined, 'authority', 'issue-token', '--data-dir', 'orch', '--valid-minutes', '1.5')).code).toBe(EXIT_USAGE);
    expect((await pnode(undefined, 'authority', 'issue-token', '--data-dir', 'orch', '--valid-minutes', '999999')).code).toBe(EXIT_USAGE);
    expect((await pnode(undefined, 'authority', 'issue-token', '--data-dir', 'orch', '--label', 'a\u0007b')).code).toBe(EXIT_USAGE);
    expect((await pnode(undefined, 'authority', 'revoke', '--data-dir', 'orch', 'node:did:key:z6Mk')).code).toBe(EXIT_USAGE);
    expect((await pnode(undefined, 'authority', 'init', '--data-dir', 'other', '--keystore', 'vault')).code).toBe(EXIT_USAGE);
  });

  it('waits for nobody when the state is locked by a live process without an admin API: it says what to do', async () => {
    expect((await pnode(undefined, 'authority', 'init', '--data-dir', 'orch', '--keystore', 'file')).code).toBe(EXIT_OK);
    const held = await openAuthority({ dataDir: join(work, 'orch'), crypto: nativeCrypto, clock: systemClock, warn: () => undefined });
    try {
      const run = await pnode(undefined, 'authority', 'issue-token', '--data-dir', 'orch');
      expect(run.code).toBe(EXIT_USAGE);
      expect(run.stderr).toMatch(/in use by process \d+, which serves no admin API/);
    } finally {
      await held.close();
    }
  });
});
