// Real nodes for integration tests: in-process runtimes on loopback, or `pnode` child processes
// (for what needs a separate process: SIGSTOP, SIGKILL, restarts).
import { type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import type { NodeConfig } from '../../src-node/kernel/runtime/node-config.js';
import type { RuntimeModule } from '../../src-node/kernel/runtime/runtime-module.js';
import { SignalMarkers } from '../../src-node/kernel/messaging/signal-markers.js';
import type { SeedPeer } from '../../src-node/kernel/peers/peer-store.js';
import type { TraceEventType } from '../../src-shared/protocol/trace.js';
import { makeTempDir } from './temp-dir.js';
import { spawnSupervised } from '../../src-node/kernel/process/lifeline.js';
import { PATIENCE_MS } from './wait.js';
import { childGone } from '../../src-node/kernel/process/child-gone.js';

export const PNODE_BIN = fileURLToPath(new URL('../../bin/pnode.js', import.meta.url));

export interface TestNodeOptions extends Partial<Omit<NodeConfig, 'seeds'>> {
  readonly seeds?: readonly SeedPeer[];
  /** The components to run, built from the kernel's parts (signal markers always run). */
  readonly modules?: (runtime: NodeRuntime) => readonly RuntimeModule[];
  readonly listenOn?: boolean;
}

export type TestNode = NodeRuntime & { readonly signals: SignalMarkers; cleanup: () => Promise<void> };

/** A kernel with signal markers and the modules asked for: what the tests of one component need. */
export async function startTestNode(options: TestNodeOptions = {}): Promise<TestNode> {
  const dir = options.dataDir ? { path: options.dataDir, cleanup: () => undefined } : makeTempDir('pnode-node-');
  const warnings: string[] = [];
  let signals: SignalMarkers | undefined;
  const { modules, ...config } = options;
  const runtime = await NodeRuntime.launch(
    {
      dataDir: dir.path,
      role: 'contributor',
      listen: options.listenOn === false ? [] : ['ws://127.0.0.1:0/peer'],
      seeds: options.seeds ?? [],
      insecureLoopback: true,
      trustCa: [],
      keystore: 'file',
      warn: (line) => warnings.push(line),
      version: 'test',
      initialSettings: { joined: true },
      ...config,
    } as NodeConfig,
    (opened) => {
      signals = new SignalMarkers(opened.components);
      return [signals, ...(modules?.(opened) ?? [])];
    },
  );
  return Object.assign(runtime, {
    signals: signals!,
    cleanup: async () => {
      await runtime.stop();
      if (!options.dataDir) dir.cleanup();
    },
  });
}

export function seedOf(runtime: NodeRuntime): SeedPeer {
  return { nodeId: runtime.identity.nodeId, urls: runtime.listenUrls() };
}

export function traceCount(runtime: NodeRuntime, type: TraceEventType, peer?: string): number {
  return runtime.traces.recent(10_000).filter((e) => e['event/type'] === type && (peer === undefined || e.peer === peer)).length;
}

export interface ChildNode {
  readonly process: ChildProcess;
  /** From the banner; empty for commands that print none (devnet). */
  readonly nodeId: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `pnode <args>` and resolves once its banner names its node-id. */
export function spawnPnode(args: readonly string[], options: { readyPattern?: RegExp; timeoutMs?: number; netns?: string } = {}): Promise<ChildNode> {
  // In a network namespace of the test's own (`ip netns exec` becomes the node process itself).
  const child = options.netns
    ? spawnSupervised('ip', ['netns', 'exec', options.netns, process.execPath, PNODE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawnSupervised(process.execPath, [PNODE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = childGone(child).then(() => child.exitCode);
  const ready = options.readyPattern ?? /node\/id\s+(node:did:key:z\w+)[\s\S]*control/;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pnode ${args.join(' ')} did not start:\n${output}`));
    }, options.timeoutMs ?? PATIENCE_MS);
    const check = (): void => {
      const match = ready.exec(output);
      const id = /node\/id\s+(node:did:key:z\w+)/.exec(output);
      if (match && (id || options.readyPattern !== undefined)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve({
          process: child,
          nodeId: id?.[1] ?? '',
          output: () => output,
          exited,
          async stop(signal = 'SIGINT') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', check);
    // Its output is whole by then: the lines that say why.
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`pnode ${args.join(' ')} exited early:\n${output}`));
    });
  });
}
