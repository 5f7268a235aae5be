// The seed directory: a node of its own (identity, control surface, optional peer listener) that
// serves the signed advertisement cache over HTTP(S), and takes part in peer exchange like any node
// (issue 12 §2): with a peer listener, the peers that dial it trade advertisements with it.
import type { NodeConfig } from '../kernel/runtime/node-config.js';
import { DirectoryModule, type DirectoryModuleOptions } from '../services/directory/directory-module.js';
import { assembleNode, type AssembledNode, type ControlSetup } from './assembled-node.js';
import { discoveryBanner, discoveryModules, discoveryParts, type DiscoveryParts, type DiscoverySetup } from './discovery.js';

export interface DirectoryNodeConfig extends NodeConfig {
  readonly directory: DirectoryModuleOptions;
  /** Its own gossip: seeds come from the config, directories (others) and tuning from here. */
  readonly discovery?: DiscoverySetup;
}

export interface DirectoryParts extends DiscoveryParts {
  readonly directory: DirectoryModule;
}

export type DirectoryNode = AssembledNode & DirectoryParts;

export function directoryNode(config: DirectoryNodeConfig, control: ControlSetup = {}): Promise<DirectoryNode> {
  return assembleNode<DirectoryParts>(
    config,
    (runtime) => {
      const kernel = runtime.components;
      const directory = new DirectoryModule(kernel, config.directory);
      const discovery = discoveryParts(runtime, config.discovery);
      return {
        modules: [directory, ...discoveryModules(discovery)],
        sources: [discovery.signals],
        banner: () => [`directory  ${directory.url}`, ...discoveryBanner(config, discovery)],
        parts: { directory, ...discovery },
      };
    },
    control,
  );
}
