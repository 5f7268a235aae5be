// A private DHT on loopback for tests: bootstrap nodes of ours on 127.0.0.1 (what `pnode
// dht-bootstrap` runs) plus a few reachable DHT nodes to hold records, and the signed network
// descriptor that names them.
import { createSocket } from 'node:dgram';
import { DAY_MS, buildNetworkDescriptor, type DhtBootstrapNode, type NetworkDescriptorInput } from '../../src-shared/network/network-descriptor.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { openDhtEngine, type DhtEngine } from '../../src-node/kernel/dht/engine.js';
import type { NetworkMembership } from '../../src-node/kernel/runtime/node-config.js';
import { DhtModule } from '../../src-node/kernel/dht/dht-module.js';
import { testIdentity } from './identities.js';
import { startTestNode, type TestNode } from './nodes.js';

/** A UDP port the OS says is free on `host` right now. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

export interface DhtTestnet {
  readonly bootstrap: DhtBootstrapNode[];
  readonly engines: DhtEngine[];
  destroy(): Promise<void>;
}

/** One bootstrap node on 127.0.0.1 and `relays` reachable DHT nodes joined to it. */
export async function startDhtTestnet(relays = 4, host = '127.0.0.1'): Promise<DhtTestnet> {
  const port = await freeUdpPort(host);
  const first = openDhtEngine({ mode: 'bootstrap', host, port, bootstrap: [] }).engine;
  await first.ready();
  const bootstrap = [{ host, port }];
  const engines: DhtEngine[] = [first];
  for (let i = 0; i < relays; i++) {
    const engine = openDhtEngine({ mode: 'node', host, bootstrap, reachable: true }).engine;
    await engine.fullyBootstrapped();
    engines.push(engine);
  }
  return {
    bootstrap,
    engines,
    async destroy() {
      for (const engine of engines.splice(0).reverse()) await engine.destroy();
    },
  };
}

const OWNER = testIdentity(0xd7);

/** A network whose signed descriptor names `bootstrap` as its DHT (and a directory as its entry point). */
export function dhtNetwork(bootstrap: readonly DhtBootstrapNode[], change: Partial<NetworkDescriptorInput> & { psk?: Uint8Array } = {}): NetworkMembership {
  const { psk, ...input } = change;
  const built = buildNetworkDescriptor(
    {
      id: 'net:dht-lab',
      name: 'DHT lab',
      directories: ['http://127.0.0.1:9/'],
      joinPolicy: psk ? 'psk' : 'open',
      createdAt: Date.now() - 60_000,
      validForMs: DAY_MS,
      ...(bootstrap.length > 0 ? { dhtBootstrap: bootstrap.map((b) => `${b.host}:${b.port}`) } : {}),
      ...input,
    },
    OWNER.signer,
    nativeCrypto,
  );
  if (!built.ok) throw built.error;
  return { id: built.value['network/id'], name: built.value['network/name'], descriptor: built.value, ...(psk ? { psk } : {}) };
}

export type DhtTestNode = TestNode & { dht: DhtModule };

/**
 * A node with no listener at all (dial-only, as behind NAT), with the DHT module offering
 * `capabilities`; its start waits up to `startWaitMs` for the DHT (0: not at all, as the product).
 * The caller stops it (`cleanup`).
 */
export async function startDhtTestNode(network: NetworkMembership, capabilities: readonly string[] = [], startWaitMs = 15_000): Promise<DhtTestNode> {
  let dht: DhtModule | undefined;
  const node = await startTestNode({
    network,
    listenOn: false,
    modules: (runtime) => {
      dht = new DhtModule({ ...runtime.components, capabilities: { current: () => capabilities, subscribe: () => () => undefined } }, { host: '127.0.0.1', startWaitMs });
      return [dht];
    },
  });
  return Object.assign(node, { dht: dht! });
}
