// The feature modules a node runs, assembled from its configuration: one place, so `pnode node`,
// the services, devnet's children and the desktop app get the same discovery stack.
import type { NodeRuntimeConfig } from '../kernel/runtime/runtime-config.js';
import type { RuntimeModule } from '../kernel/runtime/runtime-module.js';
import { BootstrapModule, networkOf } from '../kernel/discovery/bootstrap.js';
import { PeerExchange } from '../kernel/discovery/peer-exchange.js';
import { DirectoryClient } from '../kernel/discovery/directory-client.js';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import { networkBannerLines } from './network-options.js';
import { VNodeHostModule, headlessActivity } from '../contributor/vnode/vnode-module.js';
import type { SandboxLauncher } from '../contributor/vnode/sandbox-process.js';
import { WorkRunner } from '../contributor/work/work-runner.js';

export interface NodeModules {
  readonly modules: readonly RuntimeModule[];
  readonly banner: (runtime: NodeRuntime) => readonly string[];
}

export interface NodeModuleInputs {
  /** Directory URLs from the command line; the network descriptor's follow them. */
  readonly directories?: readonly string[];
}

/** Bootstrap chain (seeds → directories → remembered peers), the directory client and gossip. */
export function discoveryModules(config: NodeRuntimeConfig, inputs: NodeModuleInputs = {}): NodeModules {
  const directories = [...new Set([...(inputs.directories ?? []), ...(networkOf(config)?.directories ?? [])])];
  const bootstrap = new BootstrapModule({ directories });
  return {
    modules: [bootstrap, new DirectoryClient({ directories }), new PeerExchange()],
    banner: () => [...networkBannerLines(config), ...bootstrap.bannerLines()],
  };
}

/**
 * A contributor's compute: the VNode host within the volunteer's limits, and the work runner that
 * takes its orchestrator's tasks (fetching modules it lacks) and runs them there. Headless it polls the
 * power source itself; in the desktop app the shell reports activity, and sandboxes start through
 * the shell's launcher (Electron utility processes).
 */
export function contributorModules(options: { readonly desktop?: boolean; readonly launcher?: SandboxLauncher } = {}): readonly RuntimeModule[] {
  const host = options.launcher ? { host: { launcher: options.launcher } } : {};
  return [options.desktop ? new VNodeHostModule(host) : new VNodeHostModule({ activity: headlessActivity, ...host }), new WorkRunner()];
}
