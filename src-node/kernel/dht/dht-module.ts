// The DHT in a node (issue 16): a kernel component the recipes add to the discovery stack. When the
// node's network descriptor names DHT bootstrap nodes, it
// - joins that DHT (engine.ts: never another one),
// - listens under a fresh DHT key (a new one each run: it routes, it does not identify) and adds
//   the dht://<key> endpoint to our advertisement, so a node behind NAT can be reached by holepunch,
// - registers the dht transport, so the connection manager can dial dht:// endpoints,
// - announces our capabilities (core/messaging, and what the recipe's capability source says:
//   vnode/wasi, vnode/cpu-N, a GPU kind) and finds peers by capability (capability-index.ts).
// A network that names no DHT, a machine whose UDP is blocked, or native modules that fail to load:
// the node runs on without it (wss, seeds, directories and gossip), and says why in `status()`.
import { networkDhtBootstrap } from '../../../src-shared/network/network-descriptor.js';
import { formatDhtEndpoint } from '../../../src-shared/protocol/dht-endpoint.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { OFFERED_CAPABILITIES } from '../../../src-shared/protocol/profile.js';
import type { KernelComponents } from '../runtime/components.js';
import { requireComponents } from '../runtime/components.js';
import type { RuntimeModule } from '../runtime/runtime-module.js';
import { CapabilityIndex, type CapabilityCandidate, type IndexFigures, type VerifiedPeer } from './capability-index.js';
import { DhtDialer, DhtInbound, type DhtInboundFigures } from './dht-transport.js';
import { newDhtKeyPair, openDhtEngine, type DhtGuardFigures, type GuardedEngine } from './engine.js';
import { waitAtMost } from '../util/time-limit.js';
import { DHT_FIND_JOIN_WAIT_MS, DHT_START_WAIT_MS, DHT_STOP_WAIT_MS } from './dht-limits.js';

/** How often dropped DHT requests (a flooding source) are summed up in one trace. */
export const DHT_FLOOD_REPORT_INTERVAL_MS = 60_000;

/** What the node offers beyond the kernel's core capabilities (the contributor's compute profiles). */
export interface CapabilitySource {
  current(): readonly string[];
  /** Called when the list may have changed; returns the function that stops it. */
  subscribe(listener: () => void): () => void;
}

export type DhtModuleComponents = Pick<KernelComponents, 'network' | 'connections' | 'streams' | 'endpoints' | 'traces' | 'clock' | 'warn'> & {
  readonly capabilities?: CapabilitySource | undefined;
};

export interface DhtModuleOptions {
  /** IPv4 address the DHT binds (default 0.0.0.0; tests 127.0.0.1). */
  readonly host?: string;
  readonly port?: number;
  /** Tests on loopback: the node is known to be reachable. */
  readonly reachable?: boolean;
  readonly startWaitMs?: number;
  readonly refreshMs?: number;
  /** How long a find waits for a DHT that is still joining (default DHT_FIND_JOIN_WAIT_MS). */
  readonly findJoinWaitMs?: number;
}

export type DhtState = 'off' | 'starting' | 'on' | 'unavailable' | 'stopped';

export interface DhtStatus {
  readonly state: DhtState;
  /** Why the DHT is off or unavailable. */
  readonly reason?: string;
  readonly bootstrap: readonly string[];
  readonly endpoint?: string;
  /** The engine has found its place in the DHT. */
  readonly bootstrapped: boolean;
  readonly firewalled?: boolean;
  /** UDP bytes the engine sent and received so far (DHT traffic and the sessions over it). */
  readonly udp?: { readonly sent: number; readonly received: number };
  readonly dial?: { readonly opened: number; readonly punched: number; readonly punchFailed: number; readonly failed: number };
  readonly inbound?: DhtInboundFigures;
  readonly guard?: DhtGuardFigures;
  readonly index?: IndexFigures;
}

export class DhtModule implements RuntimeModule {
  readonly name = 'dht';
  private state: DhtState = 'off';
  private reason: string | undefined = 'the network names no DHT bootstrap nodes';
  private guarded: GuardedEngine | undefined;
  private dialer: DhtDialer | undefined;
  private inbound: DhtInbound | undefined;
  private index: CapabilityIndex | undefined;
  private endpoint: string | undefined;
  private bootstrapped = false;
  private readonly undo: Array<() => void> = [];
  private floodTimer: NodeJS.Timeout | undefined;
  private lastDropped = 0;
  /** The join in progress: finds asked meanwhile wait on it (bounded). */
  private joining: Promise<void> | undefined;
  private readonly bootstrap: string[];

  constructor(
    private readonly components: DhtModuleComponents,
    private readonly options: DhtModuleOptions = {},
  ) {
    requireComponents('dht', components, ['connections', 'streams', 'endpoints', 'traces', 'clock', 'warn']);
    const descriptor = components.network?.descriptor;
    this.bootstrap = descriptor ? networkDhtBootstrap(descriptor).map((b) => `${b.host}:${b.port}`) : [];
  }

  /** Whether this node runs the DHT (its network names bootstrap nodes and the engine is up). */
  get active(): boolean {
    return this.state === 'on' || this.state === 'starting';
  }

  async start(): Promise<void> {
    const network = this.components.network;
    const descriptor = network?.descriptor;
    if (!network || !descriptor || this.bootstrap.length === 0) return;
    const { traces, clock } = this.components;
    try {
      this.guarded = openDhtEngine({
        mode: 'node',
        bootstrap: networkDhtBootstrap(descriptor),
        ...(this.options.host !== undefined ? { host: this.options.host } : {}),
        ...(this.options.port !== undefined ? { port: this.options.port } : {}),
        ...(this.options.reachable ? { reachable: true } : {}),
        clock: () => clock.now(),
      });
    } catch (error) {
      return this.unavailable(error);
    }
    this.state = 'starting';
    this.reason = undefined;
    const engine = this.guarded.engine;
    const keyPair = newDhtKeyPair();
    this.dialer = new DhtDialer({ engine, trace: traces, selfKey: keyPair.publicKey });
    this.undo.push(this.components.streams.register(this.dialer));
    this.inbound = new DhtInbound({ engine, keyPair, onConnection: (socket, info) => this.components.connections.acceptSocket(socket, info), trace: traces, clock: () => clock.now() });
    this.index = new CapabilityIndex({
      engine,
      keyPair,
      scope: { networkId: network.id, psk: network.psk },
      connections: this.components.connections,
      trace: traces,
      clock: () => clock.now(),
      ...(this.options.refreshMs !== undefined ? { refreshMs: this.options.refreshMs } : {}),
    });
    this.floodTimer = setInterval(() => this.reportFlood(), DHT_FLOOD_REPORT_INTERVAL_MS);
    this.floodTimer.unref();
    // The node does not wait for the DHT beyond DHT_START_WAIT_MS: with UDP blocked it never comes.
    this.joining = this.join();
    const announced = this.joining.then(() => this.announce());
    await waitAtMost(announced, this.options.startWaitMs ?? DHT_START_WAIT_MS);
  }

  /** Whether the DHT is on, after waiting (bounded) for a join in progress. */
  private async ready(): Promise<boolean> {
    if (this.state === 'starting' && this.joining) await waitAtMost(this.joining, this.options.findJoinWaitMs ?? DHT_FIND_JOIN_WAIT_MS);
    return this.state === 'on' && this.index !== undefined;
  }

  private async join(): Promise<void> {
    const engine = this.guarded!.engine;
    try {
      await engine.fullyBootstrapped();
      if (this.state !== 'starting') return;
      this.bootstrapped = true;
      await this.inbound!.start();
      if (this.state !== 'starting') return;
      this.endpoint = formatDhtEndpoint(this.inbound!.publicKey);
      this.undo.push(this.components.endpoints.addEndpoint(this.endpoint));
      this.state = 'on';
      this.index!.start();
    } catch (error) {
      if (this.state === 'starting') this.unavailable(error);
    }
  }

  /** Announces our capabilities once joined, and again whenever the capability source changes. */
  private async announce(): Promise<void> {
    if (this.state !== 'on' || !this.index) return;
    const capabilities = (): string[] => [...OFFERED_CAPABILITIES.filter((c) => c === 'core/messaging'), ...(this.components.capabilities?.current() ?? [])];
    await this.index.setCapabilities(capabilities()); // never rejects: a failed announce is retried by the refresh loop
    const source = this.components.capabilities;
    if (source && this.state === 'on') this.undo.push(source.subscribe(() => void this.index?.setCapabilities(capabilities())));
  }

  private unavailable(error: unknown): void {
    const failure = error instanceof ProtocolError ? error : new ProtocolError('E_TRANSPORT_UNAVAILABLE', error instanceof Error ? error.message : String(error));
    this.state = 'unavailable';
    this.reason = failure.detail;
    this.components.warn(`warning: the DHT is not available (${failure.detail}); the node goes on without it`);
    this.components.traces.emit('error/occurred', { detail: errorDetail(failure, { phase: 'dht-start' }) });
  }

  private reportFlood(): void {
    const guard = this.guarded?.guardFigures();
    const inbound = this.inbound?.figures();
    const dropped = (guard ? guard.droppedRequests + guard.droppedAnnounces : 0) + (inbound ? inbound.refusedRate + inbound.refusedPending : 0);
    if (dropped === this.lastDropped) return;
    const error = new ProtocolError('E_TRANSPORT_REJECTED', `DHT limits dropped ${dropped - this.lastDropped} requests or connections in the last ${DHT_FLOOD_REPORT_INTERVAL_MS / 1000} s`);
    this.lastDropped = dropped;
    this.components.traces.emit('error/occurred', { detail: errorDetail(error, { phase: 'dht-limits', ...(guard ? { 'requests/dropped': guard.droppedRequests, 'announces/dropped': guard.droppedAnnounces } : {}) }) });
  }

  /** Peers offering `capability`, each verified by our handshake; none when the DHT is not on (a join in progress is waited for). */
  async find(capability: string, want: number): Promise<VerifiedPeer[]> {
    if (!(await this.ready())) return [];
    return this.index!.find(capability, want);
  }

  /** Unverified candidates for `capability` (DHT keys, as dht:// endpoints); none when the DHT is not on (a join in progress is waited for). */
  async lookup(capability: string): Promise<CapabilityCandidate[]> {
    if (!(await this.ready())) return [];
    return (await this.index!.lookup(capability)).candidates;
  }

  status(): DhtStatus {
    const engine = this.guarded?.engine;
    return {
      state: this.state,
      ...(this.reason ? { reason: this.reason } : {}),
      bootstrap: [...this.bootstrap],
      ...(this.endpoint ? { endpoint: this.endpoint } : {}),
      bootstrapped: this.bootstrapped,
      ...(engine && !engine.destroyed ? { firewalled: engine.firewalled, udp: { sent: engine.udx.bytesTransmitted, received: engine.udx.bytesReceived } } : {}),
      ...(this.dialer ? { dial: { ...this.dialer.figures } } : {}),
      ...(this.inbound ? { inbound: this.inbound.figures() } : {}),
      ...(this.guarded ? { guard: this.guarded.guardFigures() } : {}),
      ...(this.index ? { index: this.index.figures() } : {}),
    };
  }

  /** One line for the start banner. */
  bannerLine(): string {
    if (this.state === 'off') return 'dht        off (the network names no DHT)';
    if (this.state === 'unavailable') return `dht        unavailable: ${this.reason ?? ''}`;
    return `dht        ${this.bootstrap.join(', ')}${this.endpoint ? `; reachable at ${this.endpoint.slice(0, 22)}…` : ' (joining)'}`;
  }

  async stop(): Promise<void> {
    const wasOn = this.state !== 'off' && this.state !== 'unavailable';
    this.state = this.state === 'off' ? 'off' : 'stopped';
    if (this.floodTimer) clearInterval(this.floodTimer);
    for (const undo of this.undo.splice(0).reverse()) undo();
    if (wasOn && this.index) await waitAtMost(this.index.stop(), DHT_STOP_WAIT_MS);
    await this.inbound?.stop().catch(() => undefined);
    await this.guarded?.engine.destroy().catch(() => undefined);
  }
}
