// Issue 12 §2: orchestrators and directories take part in peer exchange. PNodes that know only
// their orchestrator learn each other from it; a directory node with a peer listener trades
// advertisements with the peers that dial it.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { contributorNode, type ContributorNode } from '../../src-node/recipes/contributor-node.js';
import { orchestratorNode } from '../../src-node/recipes/orchestrator-node.js';
import { directoryNode } from '../../src-node/recipes/directory-node.js';
import { discoveryNode } from '../../src-node/recipes/discovery-node.js';
import type { NodeConfig } from '../../src-node/kernel/runtime/node-config.js';
import { makeTempDir } from '../support/temp-dir.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { DIRECTORY_PROOF_HEADER, directoryProof } from '../../src-shared/network/directory-proof.js';
import { DAY_MS, buildNetworkDescriptor } from '../../src-shared/network/network-descriptor.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function base(root: string, name: string, role: NodeConfig['role']): NodeConfig {
  return { dataDir: join(root, name), role, listen: ['ws://127.0.0.1:0/peer'], seeds: [], insecureLoopback: true, trustCa: [], keystore: 'file', warn: () => undefined, version: 'test', initialSettings: { joined: true } };
}

/** Peer exchange in rounds of 300 ms instead of 30 s. */
const QUICK = { intervalMs: 300, jitter: 0.1 };

describe('services that gossip', () => {
  it('PNodes that know only their orchestrator learn each other through it', async () => {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const orchestrator = await orchestratorNode({ ...base(dir.path, 'orchestrator', 'orchestrator'), orchestrator: { orchestrator: { heartbeatIntervalMs: 500 }, discovery: { peerExchange: QUICK } } });
    cleanups.push(() => orchestrator.stop());
    const target = { nodeId: orchestrator.runtime.identity.nodeId, urls: orchestrator.runtime.listenUrls() };
    const pnodes: ContributorNode[] = [];
    for (let i = 0; i < 3; i++) {
      // No seeds, no directories: the orchestrator is the only node each knows.
      const node = await contributorNode({ ...base(dir.path, `pnode-${i}`, 'contributor'), contributor: { activity: 'headless', orchestrators: [target], peerExchange: QUICK } });
      cleanups.push(() => node.stop());
      pnodes.push(node);
    }
    const ids = pnodes.map((n) => n.runtime.identity.nodeId);
    for (const node of pnodes) {
      const others = ids.filter((id) => id !== node.runtime.identity.nodeId);
      await expect.poll(() => others.every((id) => node.runtime.advertisements.get(id) !== undefined), { timeout: 20_000 }).toBe(true);
    }
    expect(orchestrator.peerExchange.stats().requestsAnswered).toBeGreaterThan(0);
  });

  it('a directory node with a peer listener gossips like any node', async () => {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const directory = await directoryNode({ ...base(dir.path, 'directory', 'directory'), directory: { listen: 'http://127.0.0.1:0', fsync: false }, discovery: { peerExchange: QUICK } });
    cleanups.push(() => directory.stop());
    const seed = { nodeId: directory.runtime.identity.nodeId, urls: directory.runtime.listenUrls() };
    const a = await discoveryNode({ ...base(dir.path, 'a', 'contributor'), seeds: [seed], discovery: { peerExchange: QUICK } });
    cleanups.push(() => a.stop());
    const b = await discoveryNode({ ...base(dir.path, 'b', 'contributor'), seeds: [seed], discovery: { peerExchange: QUICK } });
    cleanups.push(() => b.stop());
    await expect.poll(() => a.runtime.advertisements.get(b.runtime.identity.nodeId) !== undefined && b.runtime.advertisements.get(a.runtime.identity.nodeId) !== undefined, { timeout: 20_000 }).toBe(true);
    expect(directory.peerExchange.stats().requestsAnswered).toBeGreaterThan(0);
  });
});

describe('network-scoped directories', () => {
  it('serve several networks without mixing them, and a private one only to peers proving its key', async () => {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const psk = nativeCrypto.randomBytes(32);
    const owner = nativeCrypto.ed25519Signer(new Uint8Array(32).fill(9));
    const openDescriptor = buildNetworkDescriptor({ id: 'net:open-a', name: 'Open A', directories: ['http://127.0.0.1:1'], joinPolicy: 'open', createdAt: Date.now(), validForMs: DAY_MS }, owner, nativeCrypto);
    if (!openDescriptor.ok) throw openDescriptor.error;
    const directory = await directoryNode({
      ...base(dir.path, 'directory', 'directory'),
      listen: [],
      directory: { listen: 'http://127.0.0.1:0', fsync: false, networks: [{ id: 'net:open-a', descriptor: openDescriptor.value }, { id: 'net:private-b', psk }] },
    });
    cleanups.push(() => directory.stop());
    const url = directory.directory.url;
    const member = (name: string, id: string, key?: Uint8Array) =>
      discoveryNode({ ...base(dir.path, name, 'contributor'), network: { id, name: id, psk: key }, discovery: { directories: [`${url}/networks/${id}`] } });
    const a = await member('a', 'net:open-a');
    cleanups.push(() => a.stop());
    const b = await member('b', 'net:private-b', psk);
    cleanups.push(() => b.stop());
    const feed = async (id: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${url}/networks/${id}/adv`, { headers });
      return { status: response.status, body: (await response.json()) as { items?: Array<{ 'node/id': string }>; code?: string } };
    };
    const proof = (key: Uint8Array, method: string, path: string) => ({ [DIRECTORY_PROOF_HEADER]: directoryProof(nativeCrypto, key, 'net:private-b', method, path, Date.now()) });

    // Each member published into its own network's store (the private one with its proof).
    await expect.poll(async () => (await feed('net:open-a')).body.items?.map((i) => i['node/id']), { timeout: 20_000 }).toEqual([a.runtime.identity.nodeId]);
    await expect
      .poll(async () => (await feed('net:private-b', proof(psk, 'GET', '/networks/net:private-b/adv'))).body.items?.map((i) => i['node/id']), { timeout: 20_000 })
      .toEqual([b.runtime.identity.nodeId]);

    // No key, a wrong key, a proof for another path: refused.
    expect(await feed('net:private-b')).toMatchObject({ status: 403, body: { code: 'E_TRANSPORT_REJECTED' } });
    expect(await feed('net:private-b', proof(nativeCrypto.randomBytes(32), 'GET', '/networks/net:private-b/adv'))).toMatchObject({ status: 403 });
    expect(await feed('net:private-b', proof(psk, 'GET', '/networks/net:private-b/network'))).toMatchObject({ status: 403 });

    // An advertisement of one network is refused by the other's store, even with the key.
    const path = `/networks/net:private-b/adv/${encodeURIComponent(a.runtime.identity.nodeId)}`;
    const foreign = await fetch(`${url}${path}`, { method: 'PUT', headers: { 'Content-Type': 'application/json', ...proof(psk, 'PUT', path) }, body: JSON.stringify(a.runtime.advertisement) });
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as { detail: string }).detail).toMatch(/names network "net:open-a", not net:private-b/);

    // The root routes are not served; a network's descriptor is, for renewal; an unknown network is not.
    expect((await fetch(`${url}/adv`)).status).toBe(404);
    const served = await fetch(`${url}/networks/net:open-a/network`);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(JSON.parse(JSON.stringify(openDescriptor.value)));
    expect((await fetch(`${url}/networks/net:nobody/adv`)).status).toBe(404);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { networks: string[]; entries: number };
    expect(health.networks).toEqual(['net:open-a', 'net:private-b']);
  });
});
