// Issue 4 §3: networks. A node joins with a signed network descriptor (its seeds, its id, its
// join policy); a private network's pre-shared key is proven in every handshake, so a node with
// another key or none is refused both ways with E_TRANSPORT_REJECTED; forged or expired
// descriptors are refused before the node starts.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNode, seedOf } from '../support/nodes.js';
import { makeTempDir } from '../support/temp-dir.js';
import { testIdentity } from '../support/identities.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import type { NodeConfig } from '../../src-node/kernel/runtime/node-config.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { applyNetwork } from '../../src-node/cli/config/network-flags.js';
import { PeerExchange } from '../../src-node/kernel/discovery/peer-exchange.js';
import { BootstrapModule } from '../../src-node/kernel/discovery/bootstrap.js';
import { DAY_MS, type NetworkDescriptorInput, buildNetworkDescriptor, formatPsk } from '../../src-shared/network/network-descriptor.js';
import { ProtocolError } from '../../src-shared/protocol/errors.js';
import { NodeControl } from '../../src-node/control/node-control.js';

type TestNode = NodeRuntime & { cleanup: () => Promise<void> };
const nodes: TestNode[] = [];
const dirs: Array<{ path: string; cleanup: () => void }> = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.cleanup()));
  for (const dir of dirs.splice(0)) dir.cleanup();
});

const owner = testIdentity(0xd1);
const KEY = nativeCrypto.randomBytes(32);
const OTHER_KEY = nativeCrypto.randomBytes(32);

function workDir(): string {
  const dir = makeTempDir('pnode-net-');
  dirs.push(dir);
  return dir.path;
}

function modules(runtime: NodeRuntime) {
  return [new BootstrapModule(runtime.components, { seeds: runtime.config.seeds }), new PeerExchange(runtime.components, { intervalMs: 300, responseTimeoutMs: 2_000, inboundPerMinute: 600, inboundBurst: 20 })];
}

/** Membership of the lab network by its key alone (no descriptor): what a node started by hand has. */
function lab(psk: Uint8Array, name: string | null = null) {
  return { network: { id: 'net:private-lab', name, psk } };
}

async function node(options: Parameters<typeof startTestNode>[0] = {}): Promise<TestNode> {
  const started = await startTestNode({ ...options, modules });
  nodes.push(started);
  return started;
}

/** Writes a psk-network descriptor signed by `owner` and its key file; answers their paths. */
function networkFiles(dir: string, change: Partial<NetworkDescriptorInput>, key: Uint8Array = KEY): { descriptor: string; psk: string } {
  const built = buildNetworkDescriptor(
    { id: 'net:private-lab', name: 'Private lab', joinPolicy: 'psk', pskHint: 'ask the lab admin', createdAt: Date.now() - 60_000, validForMs: 30 * DAY_MS, ...change },
    owner.signer,
    nativeCrypto,
  );
  if (!built.ok) throw built.error;
  const descriptor = join(dir, 'network.json');
  const psk = join(dir, 'network.psk');
  writeFileSync(descriptor, JSON.stringify(built.value));
  writeFileSync(psk, formatPsk(key), { mode: 0o600 });
  return { descriptor, psk };
}

/** `pnode node --network F --psk-file P` as the CLI would build it, then started. */
async function joinWithDescriptor(descriptor: string, psk: string | undefined): Promise<TestNode> {
  const dir = workDir();
  const base: NodeConfig = {
    dataDir: join(dir, 'node'),
    role: 'contributor',
    listen: ['ws://127.0.0.1:0/peer'],
    seeds: [],
    insecureLoopback: true,
    trustCa: [],
    keystore: 'file',
    warn: () => undefined,
    version: 'test',
  };
  const config = await applyNetwork(base, { options: { network: descriptor, ...(psk ? { 'psk-file': psk } : {}) }, positionals: [] }, { cwd: dir });
  return node({ ...config, initialSettings: { joined: true } });
}

function rejectedWith(runtime: NodeRuntime, code: string): number {
  return runtime.traces.recent(10_000).filter((e) => e['event/type'] === 'handshake/rejected' && e.detail?.['code'] === code).length;
}

function connected(a: NodeRuntime, b: NodeRuntime): boolean {
  return a.connections.get(b.identity.nodeId)?.isOpen ?? false;
}

describe('a private (psk) network', () => {
  it('members with the key connect through the descriptor and gossip inside the network', async () => {
    const seed = await node(lab(KEY, 'Private lab'));
    const files = networkFiles(workDir(), { seeds: [{ nodeId: seed.identity.nodeId, url: seed.listenUrls()[0]!, label: 'lab seed' }] });
    const member = await joinWithDescriptor(files.descriptor, files.psk);
    expect(member.config.network?.id).toBe('net:private-lab');
    expect(member.config.network?.psk).toEqual(KEY);
    expect(member.config.network?.descriptor?.['owner/node-id']).toBe(owner.nodeId);
    expect(member.config.seeds.map((s) => s.nodeId)).toEqual([seed.identity.nodeId]);
    await expect.poll(() => connected(member, seed)).toBe(true);
    expect(connected(seed, member)).toBe(true);
    // Advertisements carry the network id, and gossip takes them.
    await expect.poll(() => seed.advertisements.get(member.identity.nodeId)?.['federation/id']).toBe('net:private-lab');
  });

  it('shows volunteers the projects the descriptor lists (issue 13 §1): name, description and URL', async () => {
    const project = testIdentity(0xd2).nodeId.slice('node:did:key:'.length);
    const seed = await node(lab(KEY, 'Private lab'));
    const files = networkFiles(workDir(), { seeds: [{ nodeId: seed.identity.nodeId, url: seed.listenUrls()[0]! }], projects: [{ key: project, name: 'Protein lab', description: 'Folding small proteins', url: 'https://lab.example.org/' }] });
    const member = await joinWithDescriptor(files.descriptor, files.psk);
    expect(new NodeControl(member).snapshot().network.projects).toEqual([{ key: project, name: 'Protein lab', description: 'Folding small proteins', url: 'https://lab.example.org/' }]);
    expect(new NodeControl(seed).snapshot().network.projects).toEqual([]);
  });

  it('refuses a node with another key both ways, traced with E_TRANSPORT_REJECTED', async () => {
    const member = await node(lab(KEY));
    const stranger = await node({ ...lab(OTHER_KEY), seeds: [seedOf(member)] });
    await expect.poll(() => rejectedWith(member, 'E_TRANSPORT_REJECTED')).toBeGreaterThan(0);
    const dialingMember = await node({ ...lab(KEY), seeds: [seedOf(stranger)] });
    await expect.poll(() => rejectedWith(stranger, 'E_TRANSPORT_REJECTED')).toBeGreaterThan(0);
    const refusal = member.traces.recent(10_000).find((e) => e['event/type'] === 'handshake/rejected');
    expect(refusal?.detail).toMatchObject({ code: 'E_TRANSPORT_REJECTED', class: 'transport/rejected', message: 'psk/proof is wrong' });
    expect(connected(member, stranger) || connected(stranger, member)).toBe(false);
    expect(connected(dialingMember, stranger) || connected(stranger, dialingMember)).toBe(false);
  });

  it('refuses a node without a key both ways, traced with E_TRANSPORT_REJECTED', async () => {
    const member = await node(lab(KEY));
    const outsider = await node({ seeds: [seedOf(member)] });
    await expect.poll(() => rejectedWith(member, 'E_TRANSPORT_REJECTED')).toBeGreaterThan(0);
    expect(member.traces.recent(10_000).find((e) => e['event/type'] === 'handshake/rejected')?.detail?.['message']).toBe('this network needs a psk/proof');
    // The other way: the outsider answers the member's hello, but its ack carries no proof.
    const dialingMember = await node({ ...lab(KEY), seeds: [seedOf(outsider)] });
    await expect.poll(() => rejectedWith(dialingMember, 'E_TRANSPORT_REJECTED')).toBeGreaterThan(0);
    await expect.poll(() => connected(outsider, dialingMember)).toBe(false);
    expect(connected(dialingMember, outsider)).toBe(false);
    expect(connected(member, outsider) || connected(outsider, member)).toBe(false);
  });
});

describe('descriptors that are refused before a node starts', () => {
  it('an expired descriptor: E_ADV_EXPIRED', async () => {
    const files = networkFiles(workDir(), { seeds: [{ nodeId: testIdentity(0xd2).nodeId, url: 'ws://127.0.0.1:9/peer' }], createdAt: Date.now() - 31 * DAY_MS });
    await expect(joinWithDescriptor(files.descriptor, files.psk)).rejects.toMatchObject({ code: 'E_ADV_EXPIRED' });
  });

  it('a forged descriptor (a seed swapped after signing): E_SIG_INVALID', async () => {
    const dir = workDir();
    const files = networkFiles(dir, { seeds: [{ nodeId: testIdentity(0xd2).nodeId, url: 'ws://127.0.0.1:9/peer' }] });
    const forged = JSON.parse(readFileSync(files.descriptor, 'utf8')) as Record<string, unknown>;
    forged['seeds'] = [{ 'node/id': testIdentity(0xd3).nodeId, 'endpoint/url': 'ws://127.0.0.1:6666/evil' }];
    writeFileSync(files.descriptor, JSON.stringify(forged));
    const refused = joinWithDescriptor(files.descriptor, files.psk);
    await expect(refused).rejects.toBeInstanceOf(ProtocolError);
    await expect(refused).rejects.toMatchObject({ code: 'E_SIG_INVALID' });
  });
});
