// A worker process of the discovery simulation: hosts a share of the nodes in-process (real
// runtimes, real sockets on loopback, the full discovery stack) and reports what each knows.
import type { NodeRuntime } from '../../kernel/runtime/node-runtime.js';
import { discoveryNode, type DiscoveryNodeConfig } from '../../recipes/discovery-node.js';
import { parseSeed } from '../../cli/config/node-flags.js';
import { allowlistPolicy, OPEN_POLICY } from '../../kernel/peers/allowlist.js';
import type { NodeId } from '../../../src-shared/protocol/did-key.js';
import { type CoordinatorMessage, type SimNodeSpec, type SimStartMessage, type WorkerMessage, SIM_REPORT_INTERVAL_MS } from './sim-protocol.js';

export async function runSimWorker(): Promise<void> {
  // The coordinator may already be gone (it stopped the run): nothing is left to tell it.
  const send = (message: WorkerMessage): void => {
    if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
  };
  let shuttingDown = false;
  const running = new Map<string, { runtime: NodeRuntime; stop: () => Promise<void>; group: 'A' | 'B'; retiredBytes: { value: number } }>();
  let settings: SimStartMessage | undefined;
  let live = new Set<string>();
  const allowed: { A: readonly string[] | null; B: readonly string[] | null } = { A: null, B: null };

  function configFor(spec: SimNodeSpec): DiscoveryNodeConfig {
    const start = settings!;
    return {
      dataDir: spec.dataDir,
      role: 'contributor',
      listen: ['ws://127.0.0.1:0/peer'],
      seeds: [parseSeed(start.seeds[spec.group], true)],
      insecureLoopback: true,
      trustCa: [],
      keystore: 'file',
      warn: () => undefined,
      version: 'sim',
      initialSettings: { joined: true },
      discovery: { directories: [start.directories[spec.group]] },
    };
  }

  async function startNode(spec: SimNodeSpec): Promise<void> {
    try {
      const node = await discoveryNode(configFor(spec));
      const runtime = node.runtime;
      if (shuttingDown) {
        await node.stop().catch(() => undefined);
        return;
      }
      const ids = allowed[spec.group];
      if (ids) runtime.setAllowlist(allowlistPolicy(ids as NodeId[]));
      // Bytes of sessions that ended are kept; open ones are read at each report.
      const retiredBytes = { value: 0 };
      runtime.connections.on('disconnected', (connection) => (retiredBytes.value += connection.bytesOut));
      running.set(spec.name, { runtime, stop: () => node.stop(), group: spec.group, retiredBytes });
      send({ type: 'node-started', name: spec.name, nodeId: runtime.identity.nodeId });
    } catch (error) {
      send({ type: 'node-failed', name: spec.name, error: error instanceof Error ? error.message : String(error) });
    }
  }

  async function startMany(specs: readonly SimNodeSpec[], concurrency: number): Promise<void> {
    const queue = [...specs];
    await Promise.all(
      Array.from({ length: Math.max(1, concurrency) }, async () => {
        for (let spec = queue.shift(); spec && !shuttingDown; spec = queue.shift()) await startNode(spec);
      }),
    );
  }

  const reporter = setInterval(() => {
    const known: Record<string, number> = {};
    const sentBytes: Record<string, number> = {};
    for (const [name, { runtime, retiredBytes }] of running) {
      sentBytes[name] = retiredBytes.value + runtime.connections.connections().reduce((sum, c) => sum + c.bytesOut, 0);
      let count = 0;
      for (const id of live) if (id !== runtime.identity.nodeId && runtime.advertisements.get(id)) count++;
      known[name] = count;
    }
    send({ type: 'knowledge', known, rssBytes: process.memoryUsage().rss, sentBytes });
  }, SIM_REPORT_INTERVAL_MS);

  // The coordinator is gone (it crashed or was killed): nobody will ask for a shutdown.
  process.on('disconnect', () => process.exit(0));

  process.on('message', (raw) => {
    const message = raw as CoordinatorMessage;
    switch (message.type) {
      case 'start':
        settings = message;
        void startMany(message.nodes, message.concurrency);
        break;
      case 'live':
        live = new Set(message.ids);
        break;
      case 'start-nodes':
        void startMany(message.nodes, settings?.concurrency ?? 4);
        break;
      case 'stop-nodes':
        for (const name of message.names) {
          const node = running.get(name);
          if (!node) continue;
          running.delete(name);
          void node.stop().finally(() => send({ type: 'node-stopped', name }));
        }
        break;
      case 'allow':
        allowed[message.group] = message.ids;
        for (const { runtime, group } of running.values()) {
          if (group !== message.group) continue;
          runtime.setAllowlist(message.ids ? allowlistPolicy(message.ids as NodeId[]) : OPEN_POLICY);
          if (!message.ids) runtime.connections.schedulePlan();
        }
        break;
      case 'shutdown':
        shuttingDown = true;
        clearInterval(reporter);
        void Promise.all([...running.values()].map((n) => n.stop().catch(() => undefined))).then(() => {
          send({ type: 'shutdown-done' });
          process.exit(0);
        });
        break;
    }
  });
}
