// The one place main.ts gets its NodeHost: a contributor that can change networks, in the main process.
import type { NodeHost } from './node-host.js';
import { createRuntimeHost, type RuntimeHostOptions } from './runtime-host.js';

export function createNodeHost(options: RuntimeHostOptions): NodeHost {
  return createRuntimeHost(options);
}
