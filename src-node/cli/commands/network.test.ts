import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_OK, EXIT_REJECTED, EXIT_USAGE } from '../run.js';
import { ManualClock } from '../../kernel/util/clock.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { verifyNetworkDescriptor } from '../../../src-shared/network/network-descriptor.js';
import { signArtifact } from '../../../src-shared/protocol/signing.js';
import { nodeIdFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { pnodeRoot, runCli, type CliRun } from '../../../tests/support/cli.js';
import { makeNetworkCommand } from './network.js';
import { SECRET_FILE_MAX_BYTES } from '../config/network-flags.js';

const clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
const seedNode = testIdentity(0x31).nodeId;
const orchestrator = testIdentity(0x32).nodeId;
const OWNER_HEX = '0c'.repeat(32);
const posix = process.platform !== 'win32';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pnode-cli-network-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function pnode(...argv: string[]): Promise<CliRun> {
  return runCli(pnodeRoot(makeNetworkCommand({ clock })), argv, { cwd: work });
}

async function keygen(file = 'owner.key'): Promise<string> {
  const run = await pnode('network', 'keygen', '--out', file);
  expect(run.code, run.stderr).toBe(EXIT_OK);
  return /owner\/node-id: (node:did:key:z\w+)/.exec(run.stdout)![1]!;
}

const BASIC = ['--id', 'net:lab', '--name', 'The lab', '--seed', `${seedNode}@wss://seed.example.org/peer`, '--directory', 'https://directory.example.org/'];

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(work, file), 'utf8')) as Record<string, unknown>;
}

describe('pnode network keygen', () => {
  it('writes a 0600 key file of 64 hex digits and names the owner', async () => {
    const owner = await keygen();
    expect(owner).toMatch(/^node:did:key:z/);
    expect((await readFile(join(work, 'owner.key'), 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
    if (posix) expect((await stat(join(work, 'owner.key'))).mode & 0o777).toBe(0o600);
  });

  it('never overwrites a key file', async () => {
    await keygen();
    const before = await readFile(join(work, 'owner.key'), 'utf8');
    const again = await pnode('network', 'keygen', '--out', 'owner.key');
    expect(again.code).toBe(EXIT_USAGE);
    expect(again.stderr).toContain('already exists');
    expect(await readFile(join(work, 'owner.key'), 'utf8')).toBe(before);
  });
});

describe('pnode network create', () => {
  it('signs an open network with the key file; the descriptor verifies and lists what was given', async () => {
    const owner = await keygen();
    const run = await pnode('network', 'create', '--out', 'net.json', '--owner-key-file', 'owner.key', ...BASIC, '--orchestrator', `${orchestrator}@wss://orch.example.org/peer`, '--valid-days', '30');
    expect(run.code, run.stderr).toBe(EXIT_OK);
    expect(run.stdout).toContain('wrote net:lab (The lab)');
    const descriptor = await readJson('net.json');
    expect(verifyNetworkDescriptor(descriptor, { crypto: nativeCrypto, now: clock.now() }).ok).toBe(true);
    expect(descriptor).toMatchObject({
      'network/id': 'net:lab',
      'network/name': 'The lab',
      'owner/node-id': owner,
      'created-at': '2026-11-21T12:00:00Z',
      'expires-at': '2026-12-21T12:00:00Z',
      'join/policy': 'open',
      seeds: [{ 'node/id': seedNode, 'endpoint/url': 'wss://seed.example.org/peer' }],
      directories: ['https://directory.example.org/'],
      orchestrators: [{ 'node/id': orchestrator, 'endpoint/url': 'wss://orch.example.org/peer' }],
    });
  });

  it('signs with --owner-secret-key-hex too', async () => {
    const run = await pnode('network', 'create', '--out', 'net.json', '--owner-secret-key-hex', OWNER_HEX, ...BASIC);
    expect(run.code, run.stderr).toBe(EXIT_OK);
    const owner = nodeIdFromPublicKey(nativeCrypto.ed25519Signer(Buffer.from(OWNER_HEX, 'hex')).publicKey);
    expect((await readJson('net.json'))['owner/node-id']).toBe(owner);
    expect(run.stdout).toContain(`owner/node-id: ${owner}`);
  });

  it('writes a fresh random 0600 network key with --psk-out, and the policy becomes psk', async () => {
    await keygen();
    const run = await pnode('network', 'create', '--out', 'net.json', '--owner-key-file', 'owner.key', ...BASIC, '--psk-out', 'net.psk', '--psk-hint', 'ask the lab admin');
    expect(run.code, run.stderr).toBe(EXIT_OK);
    const key = (await readFile(join(work, 'net.psk'), 'utf8')).trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    if (posix) expect((await stat(join(work, 'net.psk'))).mode & 0o777).toBe(0o600);
    const descriptor = await readJson('net.json');
    expect(descriptor['join/policy']).toBe('psk');
    expect(descriptor['psk/hint']).toBe('ask the lab admin');
    expect(JSON.stringify(descriptor)).not.toContain(key);
    const second = await pnode('network', 'create', '--out', 'net2.json', '--owner-key-file', 'owner.key', ...BASIC, '--psk-out', 'other.psk');
    expect((await readFile(join(work, 'other.psk'), 'utf8')).trim()).not.toBe(key);
    expect(second.code).toBe(EXIT_OK);
  });

  it('never overwrites a network key, and refuses --psk-out on an open network', async () => {
    await keygen();
    await writeFile(join(work, 'net.psk'), 'keep me\n');
    const taken = await pnode('network', 'create', '--out', 'net.json', '--owner-key-file', 'owner.key', ...BASIC, '--psk-out', 'net.psk');
    expect(taken.code).toBe(EXIT_USAGE);
    expect(await readFile(join(work, 'net.psk'), 'utf8')).toBe('keep me\n');
    const open = await pnode('network', 'create', '--out', 'net.json', '--owner-key-file', 'owner.key', ...BASIC, '--join-policy', 'open', '--psk-out', 'new.psk');
    expect(open.code).toBe(EXIT_USAGE);
    expect(open.stderr).toContain('--psk-out');
  });

  it.skipIf(!posix)('refuses an owner key file other users can read', async () => {
    await keygen();
    await chmod(join(work, 'owner.key'), 0o644);
    const run = await pnode('network', 'create', '--out', 'net.json', '--owner-key-file', 'owner.key', ...BASIC);
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain('chmod 600');
  });

  it('refuses bad usage with exit 2 and says what is wrong', async () => {
    await keygen();
    await writeFile(join(work, 'junk.key'), 'not a key\n', { mode: 0o600 });
    await writeFile(join(work, 'big.key'), `${'0'.repeat(64)}\n`.repeat(20), { mode: 0o600 });
    const cases: Array<[string[], string]> = [
      [['--out', 'n.json', ...BASIC], 'exactly one of --owner-key-file or --owner-secret-key-hex'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', '--owner-secret-key-hex', OWNER_HEX, ...BASIC], 'exactly one of'],
      [['--out', 'n.json', '--owner-key-file', 'junk.key', ...BASIC], 'must hold 64 hex digits'],
      [['--out', 'n.json', '--owner-key-file', 'missing.key', ...BASIC], 'cannot read --owner-key-file'],
      [['--out', 'n.json', '--owner-key-file', 'big.key', ...BASIC], `larger than ${SECRET_FILE_MAX_BYTES} bytes`],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', ...BASIC, '--seed', 'nobody@wss://x.example.org/peer'], '--seed "nobody@'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', ...BASIC, '--seed', `${seedNode}@wss://other.example.org/peer`], 'listed twice'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', ...BASIC, '--directory', 'ftp://d.example.org/'], 'E_PROTO_INVALID'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', '--id', 'lab', '--name', 'x', '--seed', `${seedNode}@wss://s.example.org/peer`], '$["network/id"]: must match pattern'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', '--id', 'net:lab', '--name', 'x'], 'at least one entry point'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', ...BASIC, '--join-policy', 'invite'], '--join-policy must be one of open, psk'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', ...BASIC, '--valid-days', '0'], '--valid-days'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', ...BASIC, '--valid-days', '3651'], '--valid-days'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', ...BASIC, '--psk-hint', 'a hint'], 'only a psk network has a psk hint'],
      [['--out', 'n.json', '--owner-key-file', 'owner.key', ...BASIC, '--registration-authority-key', 'z6Mk'], 'registration-authority/key'],
    ];
    for (const [args, message] of cases) {
      const run = await pnode('network', 'create', ...args);
      expect(run.code, args.join(' ')).toBe(EXIT_USAGE);
      expect(run.stderr, args.join(' ')).toContain(message);
    }
  });
});

describe('pnode network show', () => {
  async function created(): Promise<string> {
    await keygen();
    const run = await pnode('network', 'create', '--out', 'net.json', '--owner-key-file', 'owner.key', ...BASIC, '--psk-out', 'net.psk', '--psk-hint', 'ask Ada', '--valid-days', '10');
    expect(run.code, run.stderr).toBe(EXIT_OK);
    return join(work, 'net.json');
  }

  it('verifies and prints a descriptor readably, or as JSON', async () => {
    await created();
    const run = await pnode('network', 'show', 'net.json');
    expect(run.code, run.stderr).toBe(EXIT_OK);
    expect(run.stdout).toContain('network/id     net:lab');
    expect(run.stdout).toContain('expires-at     2026-12-01T12:00:00Z (in 10 days)');
    expect(run.stdout).toContain('join/policy    psk (hint: ask Ada)');
    expect(run.stdout).toContain(`  ${seedNode} wss://seed.example.org/peer`);
    expect(run.stdout).toContain('signature      ok');
    const json = await pnode('network', 'show', 'net.json', '--json');
    expect(JSON.parse(json.stdout)).toEqual(await readJson('net.json'));
  });

  it('refuses an expired descriptor with exit 1 and E_ADV_EXPIRED', async () => {
    await created();
    const run = await pnode('network', 'show', 'net.json', '--now', '2026-12-01T12:00:00Z');
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toMatch(/^E_ADV_EXPIRED network descriptor .*net\.json refused: network-descriptor\.v1 expired at 2026-12-01T12:00:00Z/);
  });

  it('refuses a forged descriptor with exit 1 and E_SIG_INVALID', async () => {
    const file = await created();
    const descriptor = await readJson('net.json');
    await writeFile(file, JSON.stringify({ ...descriptor, seeds: [{ 'node/id': orchestrator, 'endpoint/url': 'wss://evil.example.org/peer' }] }));
    const run = await pnode('network', 'show', 'net.json');
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toMatch(/^E_SIG_INVALID /);
  });

  it('refuses a descriptor re-signed by a key that is not its owner with E_SIG_INVALID', async () => {
    const file = await created();
    const descriptor = await readJson('net.json');
    await writeFile(file, JSON.stringify(signArtifact('network-descriptor.v1', { ...descriptor, 'network/name': 'Taken over' }, testIdentity(0x66).signer)));
    const run = await pnode('network', 'show', 'net.json');
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toMatch(/^E_SIG_INVALID /);
  });

  it('refuses what is no descriptor: exit 1 for a schema failure, exit 2 for an unreadable or non-JSON file', async () => {
    await writeFile(join(work, 'adv.json'), JSON.stringify({ 'schema/v': 1 }));
    const schema = await pnode('network', 'show', 'adv.json');
    expect(schema.code).toBe(EXIT_REJECTED);
    expect(schema.stderr).toMatch(/^E_PROTO_INVALID .*is required/);
    await writeFile(join(work, 'text.json'), 'hello');
    expect((await pnode('network', 'show', 'text.json')).code).toBe(EXIT_USAGE);
    expect((await pnode('network', 'show', 'missing.json')).code).toBe(EXIT_USAGE);
    await writeFile(join(work, 'huge.json'), ' '.repeat(70_000));
    expect((await pnode('network', 'show', 'huge.json')).stderr).toContain('larger than');
  });
});
