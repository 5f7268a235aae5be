// Issue 16 §2: the orchestrator finds PNodes for a workload by capability through the network's DHT
// as well as by registration. Full recipes: an orchestrator, a PNode registered with it, and a
// dial-only PNode that registered nowhere but announces its compute profiles on the DHT.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { orchestratorNode, type OrchestratorNode } from '../../src-node/recipes/orchestrator-node.js';
import { contributorNode, type ContributorNode } from '../../src-node/recipes/contributor-node.js';
import type { NodeConfig, NetworkMembership } from '../../src-node/kernel/runtime/node-config.js';
import { dhtNetwork, startDhtTestnet } from '../support/dht.js';
import { waitUntil } from '../support/work-net.js';

const running: Array<{ stop(): Promise<void> }> = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const node of running.splice(0).reverse()) await node.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function base(role: NodeConfig['role'], listen: readonly string[], network: NetworkMembership): NodeConfig {
  const dataDir = mkdtempSync(join(tmpdir(), 'pnode-dht-orch-'));
  dirs.push(dataDir);
  return { dataDir, role, listen, seeds: [], insecureLoopback: true, trustCa: [], keystore: 'file', warn: () => undefined, version: 'test', initialSettings: { joined: true }, network };
}

describe('finding PNodes by capability', () => {
  it('answers the registered PNodes that offer it and, apart, the ones the DHT found and the handshake verified', async () => {
    const net = await startDhtTestnet(4);
    running.push({ stop: () => net.destroy() });
    const network = dhtNetwork(net.bootstrap);
    const dht = { host: '127.0.0.1' };
    const orchestrator: OrchestratorNode = await orchestratorNode({ ...base('orchestrator', ['ws://127.0.0.1:0/peer'], network), orchestrator: { orchestrator: { heartbeatIntervalMs: 300 }, dht } });
    running.push(orchestrator);
    const target = { nodeId: orchestrator.runtime.identity.nodeId, urls: orchestrator.runtime.listenUrls().filter((u) => u.startsWith('ws')) };
    const registeredPnode: ContributorNode = await contributorNode({
      ...base('contributor', ['ws://127.0.0.1:0/peer'], network),
      contributor: { activity: 'headless', orchestrators: [target], membership: { backoff: { minMs: 50, maxMs: 400 }, registerTimeoutMs: 2_000 }, dht },
    });
    running.push(registeredPnode);
    const unregistered: ContributorNode = await contributorNode({ ...base('contributor', [], network), contributor: { activity: 'headless', dht } });
    running.push(unregistered);

    const entry = () => orchestrator.orchestrator.orchestrator.registry.get(registeredPnode.runtime.identity.nodeId);
    await waitUntil(() => entry()?.state === 'registered' && entry()?.contributing === true, 'the first PNode registered and contributing');
    await waitUntil(() => (unregistered.dht.status().index?.announceRounds ?? 0) > 0 && unregistered.dht.status().index!.announced.includes('vnode/wasi'), 'the second PNode announced vnode/wasi');

    const matches = await orchestrator.capabilities.search('vnode/wasi', 8);
    expect(matches.registered).toEqual([registeredPnode.runtime.identity.nodeId]);
    expect(matches.dht).toEqual([unregistered.runtime.identity.nodeId]);
    // Nobody offers a GPU here.
    expect(await orchestrator.capabilities.search('gpu/nvidia', 8)).toEqual({ capability: 'gpu/nvidia', registered: [], dht: [] });
  }, 120_000);
});
