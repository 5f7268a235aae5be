// The seed directory: a node of its own (identity, control surface, optional peer listener) that
// serves the signed advertisement cache over HTTP(S).
import type { NodeConfig } from '../kernel/runtime/node-config.js';
import { SignalMarkers } from '../kernel/messaging/signal-markers.js';
import { DirectoryModule, type DirectoryModuleOptions } from '../services/directory/directory-module.js';
import { assembleNode, type AssembledNode, type ControlSetup } from './assembled-node.js';

export interface DirectoryNodeConfig extends NodeConfig {
  readonly directory: DirectoryModuleOptions;
}

export interface DirectoryParts {
  readonly directory: DirectoryModule;
  readonly signals: SignalMarkers;
}

export type DirectoryNode = AssembledNode & DirectoryParts;

export function directoryNode(config: DirectoryNodeConfig, control: ControlSetup = {}): Promise<DirectoryNode> {
  return assembleNode<DirectoryParts>(
    config,
    (runtime) => {
      const kernel = runtime.components;
      const directory = new DirectoryModule(kernel, config.directory);
      const signals = new SignalMarkers(kernel);
      return { modules: [directory, signals], sources: [signals], banner: () => [`directory  ${directory.url}`], parts: { directory, signals } };
    },
    control,
  );
}
