// `pnode node --network F [--psk-file P]`, through the same parser and exit codes the real command
// uses: a stand-in `node` command runs runtimeConfigFrom + applyNetwork and reports the config.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandSpec } from '../args.js';
import { EXIT_OK, EXIT_REJECTED, EXIT_USAGE } from '../run.js';
import { NODE_FLAGS, nodeConfigFrom } from './node-flags.js';
import { NETWORK_OPTIONS, applyNetwork } from './network-flags.js';
import type { NodeConfig } from '../../kernel/runtime/node-config.js';
import { configuredDirectories, networkBannerLines } from '../../recipes/discovery.js';
import { contributorOrchestrators } from '../../recipes/contributor-node.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { DAY_MS, type NetworkDescriptorInput, buildNetworkDescriptor, formatPsk } from '../../../src-shared/network/network-descriptor.js';
import { toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { pnodeRoot, runCli } from '../../../tests/support/cli.js';

const owner = testIdentity(0x41);
const seedA = testIdentity(0x42).nodeId;
const seedB = testIdentity(0x43).nodeId;
const orchestrator = testIdentity(0x44).nodeId;
const PSK = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pnode-cli-netopt-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function descriptorFile(change: Partial<NetworkDescriptorInput> = {}, file = 'net.json'): Promise<string> {
  const built = buildNetworkDescriptor(
    {
      id: 'net:lab',
      name: 'The lab',
      seeds: [
        { nodeId: seedA, url: 'ws://127.0.0.1:7101/peer', label: 'a' },
        { nodeId: seedB, url: 'wss://seed-b.example.org/peer' },
      ],
      directories: ['https://directory.example.org/'],
      orchestrators: [{ nodeId: orchestrator, url: 'wss://orch.example.org/peer' }],
      joinPolicy: 'open',
      createdAt: Date.now() - DAY_MS,
      validForMs: 30 * DAY_MS,
      ...change,
    },
    owner.signer,
    nativeCrypto,
  );
  if (!built.ok) throw built.error;
  await writeFile(join(work, file), JSON.stringify(built.value));
  return file;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  config?: NodeConfig;
}

async function node(...argv: string[]): Promise<Run> {
  let config: NodeConfig | undefined;
  const warnings: string[] = [];
  const nodeCommand: CommandSpec = {
    name: 'node',
    summary: 'stand-in',
    options: [...NODE_FLAGS, ...NETWORK_OPTIONS],
    async run(context) {
      const base = nodeConfigFrom(context.args, 'contributor', context.cwd, (line) => warnings.push(line));
      config = await applyNetwork(base, context.args, { cwd: context.cwd });
      return EXIT_OK;
    },
  };
  const { code, stdout, stderr } = await runCli(pnodeRoot(nodeCommand), ['node', '--data-dir', 'd', ...argv], { cwd: work });
  return { code, stdout, stderr: stderr + warnings.join('\n'), ...(config ? { config } : {}) };
}

describe('pnode node --network', () => {
  it('merges an open network: seeds after --seed, network id and name, directories and orchestrators', async () => {
    const file = await descriptorFile();
    const cliSeed = `${seedB}@wss://my-own-route.example.org/peer`;
    const run = await node('--insecure-loopback', '--seed', cliSeed, '--network', file);
    expect(run.code, run.stderr).toBe(EXIT_OK);
    const config = run.config!;
    expect(config.network?.id).toBe('net:lab');
    expect(config.network?.name).toBe('The lab');
    expect(config.network?.psk).toBeUndefined();
    expect(config.seeds).toEqual([
      { nodeId: seedB, urls: ['wss://my-own-route.example.org/peer', 'wss://seed-b.example.org/peer'] },
      { nodeId: seedA, urls: ['ws://127.0.0.1:7101/peer'], label: 'a' },
    ]);
    expect(configuredDirectories(config)).toEqual(['https://directory.example.org/']);
    expect(contributorOrchestrators({ ...config, contributor: { activity: 'headless' } })).toEqual([{ nodeId: orchestrator, urls: ['wss://orch.example.org/peer'] }]);
    expect(networkBannerLines(config)).toEqual(['network    net:lab (The lab), join policy open']);
  });

  it('reads the key of a psk network, as hex or base64url', async () => {
    const file = await descriptorFile({ joinPolicy: 'psk', pskHint: 'ask Ada' });
    await writeFile(join(work, 'hex.psk'), formatPsk(PSK), { mode: 0o600 });
    await writeFile(join(work, 'b64.psk'), `${toBase64url(PSK)}\n`, { mode: 0o600 });
    for (const key of ['hex.psk', 'b64.psk']) {
      const run = await node('--insecure-loopback', '--network', file, '--psk-file', key);
      expect(run.code, run.stderr).toBe(EXIT_OK);
      expect(run.config?.network?.psk).toEqual(PSK);
    }
  });

  it.skipIf(process.platform === 'win32')('warns when the network key is readable by other users', async () => {
    const file = await descriptorFile({ joinPolicy: 'psk' });
    await writeFile(join(work, 'open.psk'), formatPsk(PSK));
    await chmod(join(work, 'open.psk'), 0o644);
    const run = await node('--insecure-loopback', '--network', file, '--psk-file', 'open.psk');
    expect(run.code).toBe(EXIT_OK);
    expect(run.stderr).toContain('readable by other users');
  });

  it('refuses a forged descriptor with exit 1 and E_SIG_INVALID', async () => {
    const file = await descriptorFile();
    const text = await readFile(join(work, file), 'utf8');
    await writeFile(join(work, file), text.replace('The lab', 'The lab!'));
    const run = await node('--insecure-loopback', '--network', file);
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toMatch(/^E_SIG_INVALID network descriptor .*net\.json refused/);
  });

  it('refuses an expired descriptor with exit 1 and E_ADV_EXPIRED', async () => {
    const file = await descriptorFile({ createdAt: Date.now() - 40 * DAY_MS });
    const run = await node('--insecure-loopback', '--network', file);
    expect(run.code).toBe(EXIT_REJECTED);
    expect(run.stderr).toMatch(/^E_ADV_EXPIRED /);
  });

  it('warns when the descriptor expires within a week', async () => {
    const file = await descriptorFile({ createdAt: Date.now() - 25 * DAY_MS });
    const run = await node('--insecure-loopback', '--network', file);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stderr).toContain('expires at');
  });

  it('refuses a psk network without its key, an open one with a key, and a key without a network (exit 2)', async () => {
    const psk = await descriptorFile({ joinPolicy: 'psk', pskHint: 'ask Ada' }, 'psk.json');
    const open = await descriptorFile({}, 'open.json');
    await writeFile(join(work, 'net.psk'), formatPsk(PSK), { mode: 0o600 });
    await writeFile(join(work, 'short.psk'), formatPsk(PSK.slice(1)), { mode: 0o600 });
    const cases: Array<[string[], string]> = [
      [['--network', psk], 'give its key with --psk-file (hint: ask Ada)'],
      [['--network', open, '--psk-file', 'net.psk'], 'drop --psk-file'],
      [['--psk-file', 'net.psk'], '--psk-file needs --network'],
      [['--network', psk, '--psk-file', 'short.psk'], 'exactly 32 bytes'],
      [['--network', psk, '--psk-file', 'missing.psk'], 'cannot read --psk-file'],
      [['--network', 'missing.json'], 'cannot read --network'],
    ];
    for (const [args, message] of cases) {
      const run = await node('--insecure-loopback', ...args);
      expect(run.code, args.join(' ')).toBe(EXIT_USAGE);
      expect(run.stderr, args.join(' ')).toContain(message);
    }
  });

  it('refuses a descriptor whose ws:// seeds this node may not dial (no --insecure-loopback)', async () => {
    const file = await descriptorFile();
    const run = await node('--network', file);
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain(`lists ${seedA} at ws://127.0.0.1:7101/peer: plain ws:// needs --insecure-loopback`);
  });

  it('leaves the config alone without --network', async () => {
    const run = await node('--insecure-loopback');
    expect(run.code).toBe(EXIT_OK);
    expect(run.config?.network).toBeUndefined();
    expect(configuredDirectories(run.config!)).toEqual([]);
  });
});
