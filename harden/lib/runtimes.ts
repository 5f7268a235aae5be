// In-process nodes for the harness: real NodeRuntimes on loopback (real sessions, real crypto, file
// keystore), configured as `pnode node` would configure them.
import { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import type { NodeRole, NodeConfig, RuntimeTiming } from '../../src-node/kernel/runtime/node-config.js';
import type { RuntimeModule } from '../../src-node/kernel/runtime/runtime-module.js';
import type { SeedPeer } from '../../src-node/kernel/peers/peer-store.js';

export interface RuntimeSpec {
  readonly dataDir: string;
  readonly role: NodeRole;
  /** Listen on ws://127.0.0.1:<any>/peer; a dial-only node (behind NAT) does not. */
  readonly listen: boolean;
  readonly seeds?: readonly SeedPeer[];
  readonly timing?: Partial<RuntimeTiming>;
  /** Joined (contributors keep a working set and register); default true. */
  readonly joined?: boolean;
  readonly warn?: (line: string) => void;
}

export function loopbackConfig(spec: RuntimeSpec): NodeConfig {
  return {
    dataDir: spec.dataDir,
    role: spec.role,
    listen: spec.listen ? ['ws://127.0.0.1:0/peer'] : [],
    seeds: spec.seeds ?? [],
    insecureLoopback: true,
    trustCa: [],
    keystore: 'file',
    warn: spec.warn ?? (() => undefined),
    version: 'harden',
    initialSettings: { joined: spec.joined ?? true },
    ...(spec.timing ? { timing: spec.timing } : {}),
  };
}

/** A kernel with the components `build` makes from its parts. */
export function startRuntime(spec: RuntimeSpec, build: (runtime: NodeRuntime) => readonly RuntimeModule[] = () => []): Promise<NodeRuntime> {
  return NodeRuntime.launch(loopbackConfig(spec), build);
}

/** A runtime as a seed for others. */
export function seedOf(runtime: NodeRuntime): SeedPeer {
  return { nodeId: runtime.identity.nodeId, urls: runtime.listenUrls() };
}

/** Stops every runtime given (errors ignored: this is cleanup). */
export async function stopRuntimes(runtimes: readonly NodeRuntime[]): Promise<void> {
  await Promise.all(runtimes.map((r) => r.stop().catch(() => undefined)));
}
