// The node runtime: the kernel of one node (contributor or service). It loads the identity, opens
// the stores, listens and dials, keeps sessions and advertises itself; the role's components are
// built by a recipe (src-node/recipes) from the parts it exposes (`components`) and started here in
// order. The UI reaches it through NodeControl (src-node/control).
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { isNodeId } from '../../../src-shared/protocol/did-key.js';
import type { StateSection } from '../../../src-shared/control/state.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { openKeystore, type Keystore } from '../identity/keystore.js';
import { emitIdentityEvent, loadOrCreateIdentity } from '../identity/identity-store.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import { TraceLog, traceLogPath } from '../trace/trace-log.js';
import { removeStaleTempFiles } from '../storage/temp-sweep.js';
import { PeerStore } from '../peers/peer-store.js';
import { UNKNOWN_SOURCE } from '../peers/provenance.js';
import { PeerRateLimiter } from '../peers/rate-limiter.js';
import { OPEN_POLICY, allowlistPolicy, loadAllowlistFile, type PeerPolicy } from '../peers/allowlist.js';
import { DEFAULT_WORKING_SET_LIMITS } from '../peers/working-set.js';
import { AdvertisementCache } from '../advertisement/advertisement-cache.js';
import { OwnAdvertisement, reannounceDelayMs } from '../advertisement/own-advertisement.js';
import type { NodeAdvertisement } from '../advertisement/advertisement-types.js';
import { openReplayGuard } from '../session/replay-guard.js';
import type { HandshakeContext } from '../session/handshake-flow.js';
import type { PeerPolicy as HandshakePolicy } from '../session/handshake.js';
import { parsePeerEndpoint, type EndpointPolicy } from '../transport/endpoint-url.js';
import { listen, type PeerListener } from '../transport/ws-listener.js';
import { loadServerTls, trustWithExtraCas } from '../transport/tls.js';
import type { DialOptions as TransportDialOptions } from '../transport/ws-dialer.js';
import { StreamTransports } from '../transport/stream-transports.js';
import { ConnectionManager } from '../connection/connection-manager.js';
import { CapabilityAdvertiser } from '../connection/capability-advertisement.js';
import { DEFAULT_KEEPALIVE } from '../connection/keepalive.js';
import { type Clock, systemClock } from '../util/clock.js';
import { SettingsStore, type Settings } from './settings.js';
import type { NodeConfig, RuntimeTiming } from './node-config.js';
import type { RuntimeModule } from './runtime-module.js';
import type { KernelComponents } from './components.js';
import { ADVERTISEMENT_TTL_MS } from '../../../src-shared/protocol/profile.js';
import type { NotificationKind } from '../../../src-shared/control/messages.js';
import { WORKING_SET_PLAN_INTERVAL_MS } from '../connection/connection-manager.js';

export interface NodeRuntimeEvents {
  /** Something the control state shows has changed (for the UIs only; NodeControl coalesces). */
  'state-changed': [section: StateSection];
  advertisement: [advertisement: NodeAdvertisement];
  /** The machine woke from sleep: sessions are probably dead; the working set re-dials now. */
  wake: [];
  /** A moment worth a native notification in the desktop app (joined, trusted approved, …). */
  notification: [kind: NotificationKind, title: string, body: string];
}

export class NodeRuntime extends EventEmitter<NodeRuntimeEvents> {
  readonly startedAt: number;
  private readonly peerListeners: PeerListener[] = [];
  private readonly modules: RuntimeModule[] = [];
  /** Endpoints components added beside the listeners' (the DHT's dht:// endpoint). */
  private readonly extraEndpoints: string[] = [];
  private reannounceTimer: NodeJS.Timeout | undefined;
  private advertisementNow: NodeAdvertisement | null = null;
  private stopping: Promise<void> | undefined;
  private started = false;
  private allowlist: PeerPolicy;
  private readonly detachSettings: () => void;

  private constructor(
    readonly config: NodeConfig,
    readonly identity: NodeIdentity,
    readonly keystore: Keystore,
    readonly traces: TraceLog,
    readonly settings: SettingsStore,
    readonly peers: PeerStore,
    readonly advertisements: AdvertisementCache,
    readonly ownAdvertisement: OwnAdvertisement,
    readonly connections: ConnectionManager,
    readonly crypto: CryptoProvider,
    readonly clock: Clock,
    readonly timing: RuntimeTiming,
    allowlist: PeerPolicy,
    readonly streams: StreamTransports,
  ) {
    super();
    this.startedAt = clock.now();
    this.allowlist = allowlist;
    this.setMaxListeners(64);
    this.detachSettings = settings.subscribe((next, previous) => {
      if (next.joined !== previous.joined || next.seeds !== previous.seeds || next.directories !== previous.directories || next.allowlist !== previous.allowlist || next.allowlistMode !== previous.allowlistMode) {
        this.stateChanged('network');
      }
      this.stateChanged('contribution');
    });
  }

  /**
   * Opens a node: identity, trace log, settings, peer store, advertisement cache and the connection
   * manager. Nothing listens or dials yet; build the role's components from `components`, then
   * `start` them. `launch` does both.
   */
  static async open(config: NodeConfig): Promise<NodeRuntime> {
    const clock = systemClock;
    const crypto = nativeCrypto;
    const timing: RuntimeTiming = {
      keepalive: config.timing?.keepalive ?? DEFAULT_KEEPALIVE,
      advertisementTtlMs: config.timing?.advertisementTtlMs ?? ADVERTISEMENT_TTL_MS,
      planIntervalMs: config.timing?.planIntervalMs ?? WORKING_SET_PLAN_INTERVAL_MS,
    };
    await mkdir(config.dataDir, { recursive: true });
    await removeStaleTempFiles(config.dataDir);

    const keystore = await openKeystore({ dataDir: config.dataDir, preference: config.keystore, warn: config.warn, crypto, ...(config.keychain ? { keychain: config.keychain } : {}) });
    const loaded = await loadOrCreateIdentity({ dataDir: config.dataDir, keystore, crypto, clock });
    const identity = loaded.identity;
    const traces = new TraceLog({ path: traceLogPath(config.dataDir), nodeSelf: identity.nodeId, clock, onError: (error) => config.warn(`warning: trace log: ${error.message}`) });
    emitIdentityEvent(traces, loaded);

    const settings = new SettingsStore(config.dataDir);
    await settings.load(config.initialSettings, (error, aside) => config.warn(`warning: ${error.message}; set aside as ${aside}`));

    let allowlist: PeerPolicy = OPEN_POLICY;
    if (config.allowlistFile) {
      const loadedList = await loadAllowlistFile(config.allowlistFile);
      if (!loadedList.ok) throw loadedList.error;
      allowlist = loadedList.value;
    } else if (settings.get().allowlistMode) {
      allowlist = allowlistPolicy(settings.get().allowlist.filter(isNodeId));
    }

    const peers = await PeerStore.open({ dataDir: config.dataDir, clock, onError: (error) => config.warn(`warning: peer store: ${error instanceof Error ? error.message : String(error)}`) });
    if (peers.loadReport.status === 'corrupt') config.warn(`warning: ${peers.loadReport.error.message}; set aside as ${peers.loadReport.movedTo ?? '(could not move)'}`);
    for (const seed of [...config.seeds, ...settings.get().seeds.map((s) => ({ nodeId: s.nodeId, urls: [s.url], ...(s.label ? { label: s.label } : {}) }))]) {
      // A seed list shared by a whole network names this node too: never dial ourselves.
      if (seed.nodeId !== identity.nodeId) peers.upsertSeed(seed);
    }
    peers.forget(identity.nodeId);

    const advertisements = new AdvertisementCache({
      dataDir: config.dataDir,
      clock,
      crypto,
      selfNodeId: identity.nodeId,
      isTried: (nodeId) => peers.isTried(nodeId),
      onCorruptFile: (error, aside) => config.warn(`warning: ${error.message}; set aside as ${aside}`),
    });
    await advertisements.load();
    // The peer store decides who is kept (issue 15 §1): the cache holds advertisements of its peers only.
    for (const advertisement of advertisements.all()) {
      const kept = peers.upsertAdvertisement(advertisement, 'gossip', UNKNOWN_SOURCE).outcome;
      if (kept === 'full' || kept === 'invalid') advertisements.remove(advertisement['node/id']);
    }
    peers.subscribe((event) => {
      if (event.type === 'removed') advertisements.remove(event.peer.nodeId);
    });

    const endpointPolicy: EndpointPolicy = { insecureLoopback: config.insecureLoopback };
    const streams = new StreamTransports();
    const transport: TransportDialOptions = { policy: endpointPolicy, trust: trustWithExtraCas(config.trustCa), streams };
    // The allowlist can change at run time (settings); the closures read the runtime's current one.
    const current: { runtime?: NodeRuntime } = {};
    const policy: HandshakePolicy = (claim) => {
      if (peers.isBlocked(claim.nodeId)) return { allow: false, reason: 'blocked' };
      const list = current.runtime?.allowlist ?? allowlist;
      if (!list.isAllowed(claim.nodeId)) return { allow: false, reason: 'not on the allowlist' };
      return { allow: true };
    };
    const ctx: HandshakeContext = { crypto, identity, clock, nonces: openReplayGuard(config.dataDir, clock).nonces, policy, psk: config.network?.psk, trace: traces };
    const contributor = config.role === 'contributor';
    const connections = new ConnectionManager({
      ctx,
      transport,
      peers,
      rateLimiter: new PeerRateLimiter(),
      advertiser: new CapabilityAdvertiser(identity, { roles: contributor ? ['contributor'] : [config.role] }),
      policy: { mode: 'open', isAllowed: (id) => (current.runtime?.allowlist ?? allowlist).isAllowed(id) },
      keepalive: timing.keepalive,
      workingSet: contributor ? DEFAULT_WORKING_SET_LIMITS : null,
      recordInbound: contributor,
      planIntervalMs: timing.planIntervalMs,
    });
    const ownAdvertisement = new OwnAdvertisement({ identity, dataDir: config.dataDir, clock, ttlMs: timing.advertisementTtlMs, ...(config.network ? { federationId: config.network.id } : {}) });

    const runtime = new NodeRuntime(config, identity, keystore, traces, settings, peers, advertisements, ownAdvertisement, connections, crypto, clock, timing, allowlist, streams);
    current.runtime = runtime;
    return runtime;
  }

  /**
   * Opens a node, builds its components from the kernel's parts and starts them in order: the one
   * call a recipe makes. A failure anywhere stops what was started and rethrows.
   */
  static async launch(config: NodeConfig, build: (runtime: NodeRuntime) => readonly RuntimeModule[] | Promise<readonly RuntimeModule[]> = () => []): Promise<NodeRuntime> {
    const runtime = await NodeRuntime.open(config);
    try {
      await runtime.start(await build(runtime));
    } catch (error) {
      await runtime.stop();
      throw error;
    }
    return runtime;
  }

  /** The kernel's parts, for the components a recipe builds (each takes the ones it names). */
  get components(): KernelComponents {
    return {
      role: this.config.role,
      dataDir: this.config.dataDir,
      version: this.config.version,
      insecureLoopback: this.config.insecureLoopback,
      trustCa: this.config.trustCa,
      network: this.config.network ?? null,
      identity: this.identity,
      keystore: this.keystore,
      keychain: this.config.keychain,
      crypto: this.crypto,
      clock: this.clock,
      traces: this.traces,
      settings: this.settings,
      peers: this.peers,
      advertisements: this.advertisements,
      connections: this.connections,
      streams: this.streams,
      endpoints: this,
      advertiser: this,
      ui: this,
      listenUrls: () => this.listenUrls(),
      warn: this.config.warn,
    };
  }

  /** Listens, advertises and starts the components in order (once). Sessions wait for them. */
  async start(modules: readonly RuntimeModule[]): Promise<void> {
    if (this.started) throw new Error('the node has started already');
    this.started = true;
    const tls = this.config.tls ? loadServerTls(this.config.tls.certFile, this.config.tls.keyFile) : undefined;
    for (const url of this.config.listen) {
      const endpoint = parsePeerEndpoint(url, { insecureLoopback: this.config.insecureLoopback });
      const listener = await listen({ endpoint, tls, onConnection: (socket, info) => this.connections.acceptSocket(socket, info) });
      this.peerListeners.push(listener);
    }
    this.peers.subscribe(() => this.stateChanged('peers'));
    this.connections.on('changed', () => this.stateChanged('peers'));
    if (this.peerListeners.length > 0) await this.publishAdvertisement();
    for (const module of modules) {
      await module.start();
      this.modules.push(module);
    }
    // Sessions may have arrived while the modules started (we listen first): their messages are
    // delivered now that every handler is registered.
    this.connections.beginDispatch();
    if (this.config.role === 'contributor' && this.settings.get().joined) this.connections.start();
  }

  stateChanged(section: StateSection): void {
    this.emit('state-changed', section);
  }

  notify(kind: NotificationKind, title: string, body: string): void {
    this.emit('notification', kind, title, body);
  }

  onAdvertisement(listener: (advertisement: NodeAdvertisement) => void): () => void {
    this.on('advertisement', listener);
    return () => this.off('advertisement', listener);
  }

  /** The URLs peers dial to reach this node (listeners, or the configured public ones), then the ones components added. */
  listenUrls(): string[] {
    const listeners = this.config.advertise?.length ? [...this.config.advertise] : this.peerListeners.map((l) => l.url);
    return [...listeners, ...this.extraEndpoints.filter((url) => !listeners.includes(url))];
  }

  addEndpoint(url: string): () => void {
    this.extraEndpoints.push(url);
    const republish = (): void => {
      if (!this.started || this.stopping) return;
      void this.publishAdvertisement().catch((error: unknown) => this.config.warn(`warning: re-announce failed: ${error instanceof Error ? error.message : String(error)}`));
    };
    republish();
    return () => {
      const at = this.extraEndpoints.indexOf(url);
      if (at < 0) return;
      this.extraEndpoints.splice(at, 1);
      republish();
    };
  }

  get advertisement(): NodeAdvertisement | null {
    return this.advertisementNow;
  }

  /** Signs a fresh advertisement (higher sequence) and schedules the next one at TTL/3 ± 10 %. */
  async publishAdvertisement(): Promise<NodeAdvertisement | null> {
    if (this.reannounceTimer) clearTimeout(this.reannounceTimer);
    const urls = this.listenUrls();
    if (urls.length === 0) return null;
    const advertisement = await this.ownAdvertisement.next(urls.map((url, priority) => ({ url, priority })));
    this.advertisementNow = advertisement;
    this.traces.emit('advertisement/published', {
      detail: { 'advertisement/id': advertisement['advertisement/id'], 'sequence/no': advertisement['sequence/no'], 'expires-at': advertisement['expires-at'], via: 'local' },
    });
    this.emit('advertisement', advertisement);
    this.reannounceTimer = setTimeout(() => {
      void this.publishAdvertisement().catch((error: unknown) => this.config.warn(`warning: re-announce failed: ${error instanceof Error ? error.message : String(error)}`));
    }, reannounceDelayMs(this.timing.advertisementTtlMs));
    this.reannounceTimer.unref();
    return advertisement;
  }

  get allowlistPolicy(): PeerPolicy {
    return this.allowlist;
  }

  /** Replaces the allowlist (from settings); sessions with peers no longer allowed are closed. */
  setAllowlist(policy: PeerPolicy): void {
    this.allowlist = policy;
    for (const connection of this.connections.connections()) {
      if (!policy.isAllowed(connection.peerNodeId)) connection.close('E_TRANSPORT_REJECTED', 'not on the allowlist');
    }
    this.stateChanged('network');
  }

  updateSettings(change: (settings: Settings) => Settings): Promise<Settings> {
    return this.settings.update(change);
  }

  async join(): Promise<void> {
    await this.updateSettings((s) => ({ ...s, joined: true }));
    if (this.config.role === 'contributor') this.connections.start();
  }

  async leave(): Promise<void> {
    await this.updateSettings((s) => ({ ...s, joined: false }));
    this.connections.pause();
  }

  /** After sleep: close sessions that cannot have survived and let the working set re-dial now. */
  wake(): void {
    this.emit('wake');
    this.connections.schedulePlan();
  }

  /** Closes sessions and listeners, stops modules, flushes every file. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (this.reannounceTimer) clearTimeout(this.reannounceTimer);
    for (const module of [...this.modules].reverse()) {
      try {
        await module.stop();
      } catch (error) {
        this.traces.emit('error/occurred', { detail: errorDetail(new ProtocolError('E_PROTO_INVALID', `module ${module.name} failed to stop: ${error instanceof Error ? error.message : String(error)}`)) });
      }
    }
    this.detachSettings();
    await this.connections.stop();
    await Promise.all(this.peerListeners.map((l) => l.close()));
    await this.advertisements.flush().catch(() => undefined);
    await this.peers.close().catch(() => undefined);
    await this.settings.flush();
    this.traces.close();
  }
}
