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
