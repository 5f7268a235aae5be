// The NodeHost the desktop app runs: a contributor that can change networks (recipes/network-host.ts)
// in the main process, as a PNode that dials out (a home PNode sits behind NAT and listens only when
// told to). Its network: the one joined last (the data dir's network book), or one joined from the
// window — the network this build ships (`<networksDir>/default.json`, chosen when the app is built),
// an invite (a pnode:// link the OS hands over, or one pasted), or a test network on this computer.
import { join } from 'node:path';
import type { ControlHandler } from '../src-node/control/control-handler.js';
import type { SandboxLauncher } from '../src-node/contributor/vnode/sandbox-process.js';
import { nativeCrypto } from '../src-node/kernel/crypto/native-provider.js';
import { readDefaultNetwork } from '../src-node/kernel/network/default-network.js';
import { systemClock } from '../src-node/kernel/util/clock.js';
import { NetworkHost, type LocalNetwork } from '../src-node/recipes/network-host.js';
import type { NodeHost, NodeHostStartOptions, UserActivity } from './node-host.js';
import { desktopRuntimeConfig, type DesktopEnvironment } from './runtime-config.js';

/** Where "Try it on this computer" keeps its test network, under the app's data dir. */
export const LOCAL_NETWORK_DIR = 'local-network';

export interface RuntimeHostOptions {
  /** Development knobs; the packaged app passes none. */
  readonly env: DesktopEnvironment;
  /** How VNode sandboxes start (main.ts passes Electron's utilityProcess). */
  readonly launcher?: SandboxLauncher;
  /** Where the build's networks are (its default network); none: the build carries none. */
  readonly networksDir?: string | undefined;
  /** The test network "Try it on this computer" starts, given the node's data dir. */
  readonly localNetwork?: ((dir: string) => LocalNetwork) | undefined;
  /** A line for the log (the shell prints it). */
  readonly warn?: (line: string) => void;
}

export function createRuntimeHost(options: RuntimeHostOptions): NodeHost {
  let host: NetworkHost | undefined;
  let starting: Promise<ControlHandler> | undefined;
  let stopping: Promise<void> | undefined;
  let launchAtLogin: boolean | null = null;
  let pendingActivity: UserActivity | undefined;
  const warn = options.warn ?? ((line: string) => console.warn(line));

  async function start(startOptions: NodeHostStartOptions): Promise<ControlHandler> {
    const config = desktopRuntimeConfig(startOptions, options.env, warn, options.launcher);
    const defaultNetwork = options.networksDir ? await readDefaultNetwork(options.networksDir, { crypto: nativeCrypto, now: systemClock.now(), warn }) : null;
    const started = await NetworkHost.start({
      config,
      defaultNetwork,
      localNetwork: options.localNetwork?.(join(startOptions.dataDir, LOCAL_NETWORK_DIR)),
      control: { launchAtLogin: () => launchAtLogin },
      // Each node the host starts (a new network is a new runtime) hears the user's activity again.
      onNode: (node) => {
        if (pendingActivity) node.availability.setUserActivity(pendingActivity);
      },
    });
    if (stopping) {
      await started.stop();
      throw new Error('the app is quitting');
    }
    host = started;
    return started;
  }

  return {
    start(startOptions) {
      starting ??= start(startOptions);
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => undefined);
        await host?.stop();
      })();
      return stopping;
    },
    setUserActivity(activity) {
      pendingActivity = activity;
      host?.node?.availability.setUserActivity(activity);
    },
    systemResumed() {
      host?.node?.runtime.wake();
    },
    setLaunchAtLogin(enabled) {
      if (launchAtLogin === enabled) return;
      launchAtLogin = enabled;
      host?.node?.runtime.stateChanged('launchAtLogin');
    },
  };
}
