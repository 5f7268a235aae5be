// A node that only takes part in discovery: a seed (a bootstrap anchor that accepts many sessions
// and gossips), or one of a simulation's hundreds of nodes.
import type { NodeConfig } from '../kernel/runtime/node-config.js';
import { assembleNode, type AssembledNode, type ControlSetup } from './assembled-node.js';
import { discoveryBanner, discoveryModules, discoveryParts, type DiscoveryParts, type DiscoverySetup } from './discovery.js';

export interface DiscoveryNodeConfig extends NodeConfig {
  readonly discovery?: DiscoverySetup;
  /** What the node announces on the network's DHT beyond core/messaging (simulations). */
  readonly dhtCapabilities?: readonly string[];
}

export type DiscoveryNode = AssembledNode & DiscoveryParts;

export function discoveryNode(config: DiscoveryNodeConfig, control: ControlSetup = {}): Promise<DiscoveryNode> {
  return assembleNode<DiscoveryParts>(
    config,
    (runtime) => {
      const capabilities = config.dhtCapabilities ?? [];
      const parts = discoveryParts(runtime, config.discovery, { current: () => capabilities, subscribe: () => () => undefined });
      return { modules: discoveryModules(parts), sources: [parts.signals], banner: () => discoveryBanner(config, parts), parts };
    },
    control,
  );
}
