// The NodeHost the desktop app runs: the contributor recipe (src-node/recipes) in the main
// process, as a PNode that dials out (a home PNode sits behind NAT and listens only when told to).
// Where it finds its network: PNODE_NETWORK (a network descriptor file, as `npm start` passes for
// the devnet), else the seeds and directories the volunteer added in Settings.
import type { ControlHandler } from '../src-node/control/control-handler.js';
import type { SandboxLauncher } from '../src-node/contributor/vnode/sandbox-process.js';
import { contributorNode, type ContributorNode } from '../src-node/recipes/contributor-node.js';
import type { NodeHost, NodeHostStartOptions, UserActivity } from './node-host.js';
import { desktopRuntimeConfig, type DesktopEnvironment } from './runtime-config.js';

export interface RuntimeHostOptions {
  readonly env: DesktopEnvironment;
  /** How VNode sandboxes start (main.ts passes Electron's utilityProcess). */
  readonly launcher?: SandboxLauncher;
  /** A line for the log (the shell prints it). */
  readonly warn?: (line: string) => void;
}

export function createRuntimeHost(options: RuntimeHostOptions): NodeHost {
  let node: ContributorNode | undefined;
  let starting: Promise<ControlHandler> | undefined;
  let stopping: Promise<void> | undefined;
  let launchAtLogin: boolean | null = null;
  let pendingActivity: UserActivity | undefined;
  const warn = options.warn ?? ((line: string) => console.warn(line));

  async function start(startOptions: NodeHostStartOptions): Promise<ControlHandler> {
    const config = await desktopRuntimeConfig(startOptions, options.env, warn, options.launcher);
    const started = await contributorNode(config, { launchAtLogin: () => launchAtLogin });
    if (stopping) {
      await started.stop();
      throw new Error('the app is quitting');
    }
    node = started;
    if (pendingActivity) started.availability.setUserActivity(pendingActivity);
    return started.control;
  }

  return {
    start(startOptions) {
      starting ??= start(startOptions);
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => undefined);
        await node?.stop();
      })();
      return stopping;
    },
    setUserActivity(activity) {
      pendingActivity = activity;
      node?.availability.setUserActivity(activity);
    },
    systemResumed() {
      node?.runtime.wake();
    },
    setLaunchAtLogin(enabled) {
      if (launchAtLogin === enabled) return;
      launchAtLogin = enabled;
      node?.runtime.stateChanged('launchAtLogin');
    },
  };
}
