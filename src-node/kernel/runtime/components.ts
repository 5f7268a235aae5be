// Components name what they need (the js-libp2p model): each takes one object whose interface
// lists only the parts it uses, and a recipe (src-node/recipes) hands them over. Nothing looks
// another component up by name. A part that is missing fails when the component is built, with a
// message naming both, never later at first use.
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import type { StateSection } from '../../../src-shared/control/state.js';
import type { NotificationKind } from '../../../src-shared/control/messages.js';
import type { NodeAdvertisement } from '../advertisement/advertisement-types.js';
import type { AdvertisementCache } from '../advertisement/advertisement-cache.js';
import type { ConnectionManager } from '../connection/connection-manager.js';
import type { StreamTransports } from '../transport/stream-transports.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import type { Keystore } from '../identity/keystore.js';
import type { KeychainLoader } from '../identity/keychain-keystore.js';
import type { PeerStore } from '../peers/peer-store.js';
import type { TraceLog } from '../trace/trace-log.js';
import type { Clock } from '../util/clock.js';
import type { NetworkMembership, NodeRole } from './node-config.js';
import type { SettingsStore } from './settings.js';

export class MissingComponentError extends Error {
  constructor(
    readonly component: string,
    readonly missing: readonly string[],
  ) {
    super(`${component} needs ${missing.join(', ')}, which ${missing.length === 1 ? 'was' : 'were'} not given`);
    this.name = 'MissingComponentError';
  }
}

/** Throws MissingComponentError when any part `component` needs is absent from `given`. */
export function requireComponents<T extends object>(component: string, given: T, needs: readonly (keyof T & string)[]): void {
  const missing = needs.filter((key) => given[key] === undefined || given[key] === null);
  if (missing.length > 0) throw new MissingComponentError(component, missing);
}

/** Where a component tells the UIs that what they show has changed (NodeControl coalesces). */
export interface StateChanges {
  stateChanged(section: StateSection): void;
  /** A moment worth a native notification in the desktop app. */
  notify(kind: NotificationKind, title: string, body: string): void;
}

/** Our own signed advertisement, as the components that spread it see it. */
export interface Advertiser {
  /** The current one; null while the node does not listen. */
  readonly advertisement: NodeAdvertisement | null;
  /** Called with every new one; returns the function that stops it. */
  onAdvertisement(listener: (advertisement: NodeAdvertisement) => void): () => void;
}

/** Endpoints a component adds to our advertisement beside the listeners' (the DHT's dht://, issue 16). */
export interface EndpointRegistry {
  /** Adds `url` and re-publishes the advertisement; returns the function that takes it away again. */
  addEndpoint(url: string): () => void;
}

/** The kernel's parts: what every node has, whatever its role. */
export interface KernelComponents {
  readonly role: NodeRole;
  readonly dataDir: string;
  readonly version: string;
  readonly insecureLoopback: boolean;
  /** Extra CA certificates (PEM files) trusted for wss:// and https:// peers and services. */
  readonly trustCa: readonly string[];
  /** The network this node runs in; null when it runs in none. */
  readonly network: NetworkMembership | null;
  readonly identity: NodeIdentity;
  readonly keystore: Keystore;
  /** Keychain access, for components that keep keys of their own (operator, authority). */
  readonly keychain: KeychainLoader | undefined;
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  readonly traces: TraceLog;
  readonly settings: SettingsStore;
  readonly peers: PeerStore;
  readonly advertisements: AdvertisementCache;
  readonly connections: ConnectionManager;
  /** Stream transports the connection manager may dial through (the DHT registers one). */
  readonly streams: StreamTransports;
  readonly endpoints: EndpointRegistry;
  readonly advertiser: Advertiser;
  readonly ui: StateChanges;
  /** The URLs peers dial to reach this node. */
  readonly listenUrls: () => string[];
  /** A line for the operator's console. */
  readonly warn: (line: string) => void;
}
