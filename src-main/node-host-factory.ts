// The one place main.ts gets its NodeHost: the real node runtime in the main process.
import type { NodeHost } from './node-host.js';
import { createRuntimeHost } from './runtime-host.js';
import { contributorModules, discoveryModules } from '../src-node/cli/node-modules.js';
import type { SandboxLauncher } from '../src-node/contributor/vnode/sandbox-process.js';
import { MembershipModule } from '../src-node/contributor/membership/membership-module.js';
import { networkOrchestratorTargets } from '../src-node/contributor/membership/membership-options.js';
import { NotificationsModule } from '../src-node/contributor/notifications-module.js';
import { TrustedRegistrationModule } from '../src-node/contributor/trust/trusted-registration-module.js';

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
