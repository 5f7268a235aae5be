// The one place main.ts gets its NodeHost: the real node runtime in the main process.
import type { NodeHost } from './node-host.js';
import { createRuntimeHost } from './runtime-host.js';

export function createNodeHost(env: NodeJS.ProcessEnv = process.env): NodeHost {
  return createRuntimeHost({ env });
}
