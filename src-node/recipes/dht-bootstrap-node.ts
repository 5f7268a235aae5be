// A DHT bootstrap node of a network (`pnode dht-bootstrap`, issue 16 §1): a node of its own (identity,
// control surface, traces; no peer listener needed) running the DHT bootstrap module at the IPv4
// address and UDP port the network descriptor lists under `dht/bootstrap`.
import type { NodeConfig } from '../kernel/runtime/node-config.js';
import { DhtBootstrapModule, type DhtBootstrapOptions } from '../kernel/dht/dht-bootstrap.js';
import { assembleNode, type AssembledNode, type ControlSetup } from './assembled-node.js';
import { networkBannerLines } from './discovery.js';

export interface DhtBootstrapNodeConfig extends NodeConfig {
  readonly dhtBootstrap: DhtBootstrapOptions;
}

export interface DhtBootstrapParts {
  readonly dhtBootstrap: DhtBootstrapModule;
}

export type DhtBootstrapNode = AssembledNode & DhtBootstrapParts;

export function dhtBootstrapNode(config: DhtBootstrapNodeConfig, control: ControlSetup = {}): Promise<DhtBootstrapNode> {
  return assembleNode<DhtBootstrapParts>(
    config,
    (runtime) => {
      const dhtBootstrap = new DhtBootstrapModule(runtime.components, config.dhtBootstrap);
      const banner = (): string[] => {
        const status = dhtBootstrap.status();
        return [...networkBannerLines(config), `dht        bootstrap node at udp ${status.address}${status.peers.length ? `; joins ${status.peers.join(', ')}` : ' (the first one)'}`];
      };
      return { modules: [dhtBootstrap], sources: [], banner, parts: { dhtBootstrap } };
    },
    control,
  );
}
