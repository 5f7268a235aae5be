// A DHT bootstrap node of a network (`pnode dht-bootstrap`, issue 16 §1): a long-lived, reachable
// DHT node at a fixed IPv4 address and UDP port that the network descriptor lists under
// `dht/bootstrap`. New nodes ask it for their first neighbours; it also stores and answers records
// like any DHT node, under the same per-source limits (engine.ts). It joins the network's other
// bootstrap nodes, never the public DHT.
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { networkDhtBootstrap, type DhtBootstrapNode } from '../../../src-shared/network/network-descriptor.js';
import type { KernelComponents } from '../runtime/components.js';
import { requireComponents } from '../runtime/components.js';
import type { RuntimeModule } from '../runtime/runtime-module.js';
import { openDhtEngine, type DhtGuardFigures, type GuardedEngine } from './engine.js';

/**
 * Bootstrap nodes started one after another miss each other at first (the first one finds nobody);
 * each pings the network's other bootstrap nodes it does not have yet, this often…
 */
export const DHT_BOOTSTRAP_PEER_PING_MS = 2_000;
/** …this many times, after its start. */
export const DHT_BOOTSTRAP_PEER_PING_ROUNDS = 30;

export type DhtBootstrapComponents = Pick<KernelComponents, 'network' | 'traces' | 'clock'>;

export interface DhtBootstrapOptions {
  /** The IPv4 address and UDP port peers reach this node at (the descriptor's entry). */
  readonly host: string;
  readonly port: number;
  /** The network's other bootstrap nodes; default: the descriptor's, without this one. */
  readonly peers?: readonly DhtBootstrapNode[];
}

export interface DhtBootstrapStatus {
  readonly address: string;
  readonly peers: readonly string[];
  /** DHT nodes in the routing table now. */
  readonly nodes: number;
  readonly guard: DhtGuardFigures;
}

export class DhtBootstrapModule implements RuntimeModule {
  readonly name = 'dht-bootstrap';
  private guarded: GuardedEngine | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly peers: DhtBootstrapNode[];

  constructor(
    private readonly components: DhtBootstrapComponents,
    private readonly options: DhtBootstrapOptions,
  ) {
    requireComponents('dht-bootstrap', components, ['traces', 'clock']);
    const descriptor = components.network?.descriptor;
    const self = `${options.host}:${options.port}`;
    this.peers = [...(options.peers ?? (descriptor ? networkDhtBootstrap(descriptor) : []))].filter((p) => `${p.host}:${p.port}` !== self);
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  async start(): Promise<void> {
    const { clock } = this.components;
    this.guarded = openDhtEngine({ mode: 'bootstrap', host: this.options.host, port: this.options.port, bootstrap: this.peers, clock: () => clock.now() });
    try {
      // Bound, not bootstrapped: the other bootstrap nodes may not be up yet (they are pinged below).
      await this.guarded.engine.bind();
    } catch (error) {
      const failure = new ProtocolError('E_TRANSPORT_UNAVAILABLE', `the DHT bootstrap node could not bind ${this.address}: ${error instanceof Error ? error.message : String(error)}`);
      this.components.traces.emit('error/occurred', { detail: errorDetail(failure, { phase: 'dht-bootstrap' }) });
      await this.guarded.engine.destroy().catch(() => undefined);
      throw failure;
    }
    let rounds = 0;
    const pingMissing = (): void => {
      const engine = this.guarded?.engine;
      if (!engine || engine.destroyed || ++rounds > DHT_BOOTSTRAP_PEER_PING_ROUNDS) return this.stopPinging();
      const known = new Set(engine.toArray().map((n) => `${n.host}:${n.port}`));
      const missing = this.peers.filter((p) => !known.has(`${p.host}:${p.port}`));
      if (missing.length === 0) return this.stopPinging();
      for (const peer of missing) engine.ping(peer).catch(() => undefined);
    };
    this.pingTimer = setInterval(pingMissing, DHT_BOOTSTRAP_PEER_PING_MS);
    this.pingTimer.unref();
    pingMissing();
  }

  private stopPinging(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  status(): DhtBootstrapStatus {
    const engine = this.guarded?.engine;
    return {
      address: this.address,
      peers: this.peers.map((p) => `${p.host}:${p.port}`),
      nodes: engine && !engine.destroyed ? engine.toArray().length : 0,
      guard: this.guarded?.guardFigures() ?? { droppedRequests: 0, droppedAnnounces: 0 },
    };
  }

  async stop(): Promise<void> {
    this.stopPinging();
    await this.guarded?.engine.destroy().catch(() => undefined);
  }
}
