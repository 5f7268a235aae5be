// The one place main.ts gets its NodeHost. The lead replaces the body with the real runtime (built
// on src-node); until then the shell runs on the placeholder, which starts and stays idle.
import type { NodeHost } from './node-host.js';
import { createPlaceholderHost } from './placeholder-host.js';

export function createNodeHost(): NodeHost {
  return createPlaceholderHost();
}
