// The feature modules a node runs, by role, assembled from its configuration: one place, so
// `pnode node`, the services and devnet's children get the same discovery stack.
import type { NodeRuntimeConfig } from '../runtime/runtime-config.js';
import type { RuntimeModule } from '../runtime/runtime-module.js';
import { BootstrapModule } from '../discovery/bootstrap.js';
import { PeerExchange } from '../discovery/peer-exchange.js';
import type { NodeRuntime } from '../runtime/node-runtime.js';
import { networkBannerLines } from './network-options.js';

export interface NodeModules {
  readonly modules: readonly RuntimeModule[];
  readonly banner: (runtime: NodeRuntime) => readonly string[];
}

export interface NodeModuleInputs {
  /** Directory URLs from the command line. */
  readonly directories?: readonly string[];
}

export function discoveryModules(config: NodeRuntimeConfig, inputs: NodeModuleInputs = {}): NodeModules {
  const bootstrap = new BootstrapModule({ directories: [...(inputs.directories ?? [])] });
  return {
    modules: [bootstrap, new PeerExchange()],
    banner: () => [...networkBannerLines(config), ...bootstrap.bannerLines()],
  };
}
