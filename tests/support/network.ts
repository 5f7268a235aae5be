// A small real network on loopback for the issue 12 tests: an orchestrator, a seed directory and a
// seed peer (each a recipe's node, in this process), described by a descriptor its owner signs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, type JoinPolicy, type NetworkDescriptor, type NetworkDescriptorInput, buildNetworkDescriptor } from '../../src-shared/network/network-descriptor.js';
import { inviteLink } from '../../src-shared/network/invite.js';
import type { Ed25519Signer } from '../../src-shared/protocol/crypto/provider.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import type { NodeConfig } from '../../src-node/kernel/runtime/node-config.js';
import { orchestratorNode, type OrchestratorNode } from '../../src-node/recipes/orchestrator-node.js';
import { directoryNode, type DirectoryNode } from '../../src-node/recipes/directory-node.js';
import { discoveryNode, type DiscoveryNode } from '../../src-node/recipes/discovery-node.js';

export interface TestNetwork {
  readonly descriptor: NetworkDescriptor;
  readonly invite: string;
  readonly owner: Ed25519Signer;
  readonly orchestrator: OrchestratorNode;
  readonly directory: DirectoryNode;
  readonly seed: DiscoveryNode;
  /** Another descriptor of this network, signed by its owner (a renewal, an expired or a forged variant). */
  sign(change: Partial<NetworkDescriptorInput>, signer?: Ed25519Signer): NetworkDescriptor;
  stop(): Promise<void>;
}

export interface TestNetworkOptions {
  readonly id?: string;
  readonly name?: string;
  readonly policy?: JoinPolicy;
  readonly psk?: Uint8Array;
  readonly heartbeatIntervalMs?: number;
  /** The owner's key seed byte (two networks of one owner share it). */
  readonly ownerByte?: number;
}

export async function startTestNetwork(options: TestNetworkOptions = {}): Promise<TestNetwork> {
  const root = mkdtempSync(join(tmpdir(), 'pnode-net-'));
  const id = options.id ?? 'net:test-lab';
  const psk = options.psk;
  const base = (name: string, role: NodeConfig['role']): NodeConfig => ({
    dataDir: join(root, name),
    role,
    listen: ['ws://127.0.0.1:0/peer'],
    seeds: [],
    insecureLoopback: true,
    trustCa: [],
    keystore: 'file',
    warn: () => undefined,
    version: 'test',
    network: { id, name: options.name ?? 'Test lab', psk },
  });
  const stops: Array<() => Promise<void>> = [];
  try {
    const orchestrator = await orchestratorNode({ ...base('orchestrator', 'orchestrator'), orchestrator: { orchestrator: { heartbeatIntervalMs: options.heartbeatIntervalMs ?? 500 } } });
    stops.push(() => orchestrator.stop());
    const directory = await directoryNode({ ...base('directory', 'directory'), listen: [], directory: { listen: 'http://127.0.0.1:0', fsync: false } });
    stops.push(() => directory.stop());
    const seed = await discoveryNode({ ...base('seed', 'seed'), discovery: { directories: [directory.directory.url] } });
    stops.push(() => seed.stop());
    const owner = nativeCrypto.ed25519Signer(new Uint8Array(32).fill(options.ownerByte ?? 0x42));
    const input: NetworkDescriptorInput = {
      id,
      name: options.name ?? 'Test lab',
      seeds: [{ nodeId: seed.runtime.identity.nodeId, url: seed.runtime.listenUrls()[0]! }],
      directories: [directory.directory.url],
      orchestrators: [{ nodeId: orchestrator.runtime.identity.nodeId, url: orchestrator.runtime.listenUrls()[0]! }],
      joinPolicy: options.policy ?? (psk ? 'psk' : 'open'),
      createdAt: Date.now() - 60_000,
      validForMs: 30 * DAY_MS,
    };
    const sign = (change: Partial<NetworkDescriptorInput>, signer: Ed25519Signer = owner): NetworkDescriptor => {
      const built = buildNetworkDescriptor({ ...input, ...change }, signer, nativeCrypto);
      if (!built.ok) throw built.error;
      return built.value;
    };
    const descriptor = sign({});
    return {
      descriptor,
      invite: inviteLink(descriptor),
      owner,
      orchestrator,
      directory,
      seed,
      sign,
      async stop() {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
