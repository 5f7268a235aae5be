// The NodeHost the desktop app runs: the real node runtime (src-node) in the main process, as a
// contributor that dials out (a home PNode sits behind NAT and listens only when told to). Where
// it finds its network: PNODE_NETWORK (a network descriptor file, as `npm start` passes for the
// devnet), else the seeds and directories the volunteer added in Settings.
import type { ControlHandler } from '../src-node/control/control-handler.js';
import { NodeRuntime } from '../src-node/kernel/runtime/node-runtime.js';
import { NodeControl } from '../src-node/control/node-control.js';
import type { NodeRuntimeConfig } from '../src-node/kernel/runtime/runtime-config.js';
import type { RuntimeModule } from '../src-node/kernel/runtime/runtime-module.js';
import type { NodeHost, NodeHostStartOptions, UserActivity } from './node-host.js';
import { desktopRuntimeConfig, type DesktopEnvironment } from './runtime-config.js';

export interface RuntimeHostOptions {
  readonly env: DesktopEnvironment;
  /** Feature modules for a config (discovery, membership, VNode hosting). */
  readonly modules?: (config: NodeRuntimeConfig) => Promise<readonly RuntimeModule[]> | readonly RuntimeModule[];
  /** A line for the log (the shell prints it). */
  readonly warn?: (line: string) => void;
}

export function createRuntimeHost(options: RuntimeHostOptions): NodeHost {
  let runtime: NodeRuntime | undefined;
  let control: NodeControl | undefined;
  let starting: Promise<ControlHandler> | undefined;
  let stopping: Promise<void> | undefined;
  let launchAtLogin: boolean | null = null;
  let pendingActivity: UserActivity | undefined;
  const warn = options.warn ?? ((line: string) => console.warn(line));

  async function start(startOptions: NodeHostStartOptions): Promise<ControlHandler> {
    const config = await desktopRuntimeConfig(startOptions, options.env, warn);
    const modules = (await options.modules?.(config)) ?? [];
    const started = await NodeRuntime.start(config, modules);
    if (stopping) {
      await started.stop();
      throw new Error('the app is quitting');
    }
    runtime = started;
    control = new NodeControl(started, { launchAtLogin: () => launchAtLogin });
    if (pendingActivity) started.setUserActivity(pendingActivity);
    return control;
  }

  return {
    start(startOptions) {
      starting ??= start(startOptions);
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => undefined);
        control?.stop();
        await runtime?.stop();
      })();
      return stopping;
    },
    setUserActivity(activity) {
      pendingActivity = activity;
      runtime?.setUserActivity(activity);
    },
    systemResumed() {
      runtime?.wake();
    },
    setLaunchAtLogin(enabled) {
      if (launchAtLogin === enabled) return;
      launchAtLogin = enabled;
      runtime?.emit('changed', 'launchAtLogin');
    },
  };
}
