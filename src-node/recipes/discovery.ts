// The discovery stack every node that looks for peers runs: the bootstrap report, the seed
// directories' client, gossip, and signal markers (which ask the directories for peers they do
// not know). One place, so `pnode node`, seeds, simulations and the desktop app get the same.
import { networkDirectories } from '../../src-shared/network/network-descriptor.js';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import type { NodeConfig } from '../kernel/runtime/node-config.js';
import { BootstrapModule } from '../kernel/discovery/bootstrap.js';
import { DirectoryClient, type DirectoryClientOptions } from '../kernel/discovery/directory-client.js';
import { PeerExchange, type PeerExchangeOptions } from '../kernel/discovery/peer-exchange.js';
import { SignalMarkers } from '../kernel/messaging/signal-markers.js';
import { DhtModule, type CapabilitySource, type DhtModuleOptions } from '../kernel/dht/dht-module.js';

export interface DiscoverySetup {
  /** Directories from the command line; the network descriptor's follow, the volunteer's settings add more. */
  readonly directories?: readonly string[];
  /** Tuning for tests and simulations. */
  readonly peerExchange?: PeerExchangeOptions;
  readonly directoryClient?: Omit<DirectoryClientOptions, 'directories'>;
  /** The DHT's bind address and port (tests, simulations); it runs when the network names DHT bootstrap nodes. */
  readonly dht?: DhtModuleOptions;
}

export interface DiscoveryParts {
  readonly bootstrap: BootstrapModule;
  readonly directoryClient: DirectoryClient;
  readonly peerExchange: PeerExchange;
  readonly signals: SignalMarkers;
  /** The network's DHT (issue 16): off when the descriptor names no bootstrap nodes. */
  readonly dht: DhtModule;
}

/** The directories a node uses from its configuration: the command line's, then the network's, once each. */
export function configuredDirectories(config: NodeConfig, extra: readonly string[] = []): string[] {
  const descriptor = config.network?.descriptor;
  return [...new Set([...extra, ...(descriptor ? networkDirectories(descriptor) : [])])];
}

/** `capabilities`: what the node offers beyond core/messaging on the DHT (a contributor's compute profiles). */
export function discoveryParts(runtime: NodeRuntime, setup: DiscoverySetup = {}, capabilities?: CapabilitySource): DiscoveryParts {
  const kernel = runtime.components;
  const directories = configuredDirectories(runtime.config, setup.directories);
  const directoryClient = new DirectoryClient(kernel, { ...setup.directoryClient, directories });
  return {
    bootstrap: new BootstrapModule(kernel, { seeds: runtime.config.seeds, directories }),
    directoryClient,
    peerExchange: new PeerExchange(kernel, setup.peerExchange),
    signals: new SignalMarkers({ ...kernel, lookup: directoryClient }),
    dht: new DhtModule({ ...kernel, capabilities }, setup.dht),
  };
}

/** In start order (the DHT joins in the background: a node whose UDP is blocked starts as fast). */
export function discoveryModules(parts: DiscoveryParts): [BootstrapModule, DirectoryClient, PeerExchange, SignalMarkers, DhtModule] {
  return [parts.bootstrap, parts.directoryClient, parts.peerExchange, parts.signals, parts.dht];
}

/** Banner lines for a node in a network. */
export function networkBannerLines(config: NodeConfig): string[] {
  const network = config.network;
  if (network === undefined) return [];
  return [`network    ${network.id}${network.name ? ` (${network.name})` : ''}, join policy ${network.psk ? 'psk' : 'open'}`];
}

export function discoveryBanner(config: NodeConfig, parts: DiscoveryParts): string[] {
  return [...networkBannerLines(config), ...parts.bootstrap.bannerLines(), ...(config.network?.descriptor?.['dht/bootstrap'] ? [parts.dht.bannerLine()] : [])];
}
