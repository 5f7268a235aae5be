// The one place main.ts gets its NodeHost: the real node runtime in the main process.
import type { NodeHost } from './node-host.js';
import { createRuntimeHost } from './runtime-host.js';
import { contributorModules, discoveryModules } from '../src-node/cli/node-modules.js';
import type { SandboxLauncher } from '../src-node/vnode/sandbox-process.js';
import { MembershipModule } from '../src-node/membership/membership-module.js';
import { networkOrchestratorTargets } from '../src-node/membership/membership-options.js';
import { NotificationsModule } from '../src-node/runtime/notifications-module.js';
import { TrustedRegistrationModule } from '../src-node/trust/trusted-registration-module.js';

/** `launcher`: how VNode sandboxes start (main.ts passes Electron's utilityProcess). */
export function createNodeHost(env: NodeJS.ProcessEnv = process.env, launcher?: SandboxLauncher): NodeHost {
  return createRuntimeHost({
    env,
    modules: (config) => {
      const membership = new MembershipModule({ orchestrators: networkOrchestratorTargets(config) });
      return [
        ...discoveryModules(config).modules,
        ...contributorModules({ desktop: true, ...(launcher ? { launcher } : {}) }),
        membership,
        new TrustedRegistrationModule({ membership }),
        new NotificationsModule(),
      ];
    },
  });
}
