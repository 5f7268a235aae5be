// A worker process of the discovery simulation: hosts a share of the nodes in-process (real
// runtimes, real sockets on loopback, the full discovery stack) and reports what each knows.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { NodeRuntime } from '../../kernel/runtime/node-runtime.js';
import { discoveryNode, type DiscoveryNode, type DiscoveryNodeConfig } from '../../recipes/discovery-node.js';
import { dialableEndpoints } from '../../kernel/advertisement/advertisement-types.js';
import type { PeerConnection } from '../../kernel/connection/peer-connection.js';
import { parseSeed } from '../../cli/config/node-flags.js';
import { allowlistPolicy, OPEN_POLICY } from '../../kernel/peers/allowlist.js';
import type { NodeId } from '../../../src-shared/protocol/did-key.js';
import { dhtFindShortfall } from './find-shortfall.js';
import { type CoordinatorMessage, type SimNodeSpec, type SimStartMessage, type WorkerMessage, SIM_REPORT_INTERVAL_MS } from './sim-protocol.js';

export async function runSimWorker(): Promise<void> {
  // The coordinator may already be gone (it stopped the run): nothing is left to tell it.
  const send = (message: WorkerMessage): void => {
    if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
  };
  let shuttingDown = false;
  const running = new Map<string, { runtime: NodeRuntime; node: DiscoveryNode; stop: () => Promise<void>; group: 'A' | 'B'; retiredBytes: { value: number }; traffic: SessionTraffic }>();
  let capabilityOf: Readonly<Record<string, string>> = {};
  let settings: SimStartMessage | undefined;
  let live = new Set<string>();
  const allowed: { A: readonly string[] | null; B: readonly string[] | null } = { A: null, B: null };

  function configFor(spec: SimNodeSpec): DiscoveryNodeConfig {
    const start = settings!;
    if (start.mode === 'dht') {
      // A home PNode: no listener, no seed, no directory; the network's DHT is its way in.
      return {
        dataDir: spec.dataDir,
        role: 'contributor',
        listen: [],
        seeds: [],
        insecureLoopback: true,
        trustCa: [],
        keystore: 'file',
        warn: () => undefined,
        version: 'sim',
        initialSettings: { joined: true },
        network: start.network,
        discovery: { dht: { host: spec.dhtHost ?? '127.0.0.1' } },
        dhtCapabilities: spec.capability ? [spec.capability] : [],
      };
    }
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
      running.set(spec.name, { runtime, node, stop: () => node.stop(), group: spec.group, retiredBytes, traffic: sessionTraffic(runtime) });
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

  const trafficReporter = setInterval(() => {
    if (!settings?.mode) return;
    const bytes: Record<string, number> = {};
    let ready = 0;
    for (const [name, { node, traffic }] of running) {
      const status = node.dht.status();
      bytes[name] = traffic.bytes() + (status.udp ? status.udp.sent + status.udp.received : 0);
      // Findable: in gossip, once running; in the DHT, once its first announce round is done.
      if (settings.mode === 'gossip' || (status.index?.announceRounds ?? 0) > 0) ready++;
    }
    send({ type: 'traffic', bytes, rssBytes: process.memoryUsage().rss, running: running.size, ready });
  }, SIM_REPORT_INTERVAL_MS);

  async function find(id: number, name: string, capability: string): Promise<void> {
    const entry = running.get(name);
    const started = performance.now();
    const done = (nodeId: string | null, error?: string): void => send({ type: 'found', id, nodeId, ms: performance.now() - started, ...(error ? { error } : {}) });
    if (!entry) return done(null, 'not running');
    try {
      if (settings?.mode === 'dht') {
        const before = entry.node.dht.status().index;
        const peers = await entry.node.dht.find(capability, 1);
        return done(peers[0]?.nodeId ?? null, peers.length === 0 ? dhtFindShortfall(before, entry.node.dht.status().index) : undefined);
      }
      // Gossip: the node looks in what it holds (every advertisement it heard) for a peer offering
      // the capability, and dials until one answers (at most FIND_GOSSIP_DIALS).
      const self = entry.runtime.identity.nodeId;
      const candidates = entry.runtime.advertisements.all().filter((a) => a['node/id'] !== self && capabilityOf[a['node/id']] === capability);
      for (const advertisement of shuffle(candidates).slice(0, FIND_GOSSIP_DIALS)) {
        try {
          const connection = await entry.runtime.connections.connect(dialableEndpoints(advertisement), { nodeId: advertisement['node/id'] });
          return done(connection.peerNodeId);
        } catch {
          // the next one
        }
      }
      return done(null, candidates.length === 0 ? 'none known' : 'none answered');
    } catch (error) {
      return done(null, error instanceof Error ? error.message : String(error));
    }
  }

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
      case 'capabilities':
        capabilityOf = message.byNodeId;
        break;
      case 'find':
        void find(message.id, message.name, message.capability);
        break;
      case 'shutdown':
        shuttingDown = true;
        clearInterval(reporter);
        clearInterval(trafficReporter);
        void Promise.all([...running.values()].map((n) => n.stop().catch(() => undefined))).then(() => {
          send({ type: 'shutdown-done' });
          process.exit(0);
        });
        break;
    }
  });
}

/** Gossip-mode finds dial at most this many known candidates. */
export const FIND_GOSSIP_DIALS = 3;

interface SessionTraffic {
  bytes(): number;
}

/** Bytes over a node's session sockets (TCP for wss), the closed ones included. */
function sessionTraffic(runtime: NodeRuntime): SessionTraffic {
  let closed = 0;
  const live = new Set<PeerConnection>();
  // ws keeps the TCP socket private; the simulation reads its counters (a measurement, not a path).
  const tcp = (connection: PeerConnection): Socket | undefined => (connection.socket as WebSocket & { _socket?: Socket })._socket;
  const count = (connection: PeerConnection): number => {
    const socket = tcp(connection);
    return socket && typeof socket.bytesWritten === 'number' ? socket.bytesWritten + socket.bytesRead : 0;
  };
  for (const connection of runtime.connections.connections()) live.add(connection);
  runtime.connections.on('connected', (connection) => live.add(connection));
  runtime.connections.on('disconnected', (connection) => {
    if (live.delete(connection)) closed += count(connection);
  });
  return { bytes: () => closed + [...live].reduce((sum, c) => sum + count(c), 0) };
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
