// The one place main.ts gets its NodeHost: the contributor recipe in the main process.
import type { NodeHost } from './node-host.js';
import { createRuntimeHost } from './runtime-host.js';
import type { SandboxLauncher } from '../src-node/contributor/vnode/sandbox-process.js';

/** `launcher`: how VNode sandboxes start (main.ts passes Electron's utilityProcess). */
export function createNodeHost(env: NodeJS.ProcessEnv = process.env, launcher?: SandboxLauncher): NodeHost {
  return createRuntimeHost({ env, ...(launcher ? { launcher } : {}) });
}
