// What a node is started with: one typed configuration, filled by small adapters (the CLI's flags
// in cli/config/, the desktop shell's stored settings and environment in src-main). The runtime and
// its components read nothing else: no component parses argv or reads the environment.
import type { NetworkDescriptor } from '../../../src-shared/network/network-descriptor.js';
import type { KeystorePreference } from '../identity/keystore.js';
import type { KeychainLoader } from '../identity/keychain-keystore.js';
import type { KeepaliveTiming } from '../connection/keepalive.js';
import type { SeedPeer } from '../peers/peer-store.js';
import type { Settings } from './settings.js';

/** A seed is a bootstrap anchor: it accepts many sessions and gossips, but keeps no working set. */
export type NodeRole = 'contributor' | 'seed' | 'orchestrator' | 'directory' | 'dht-bootstrap';

export interface RuntimeTiming {
  readonly keepalive: KeepaliveTiming;
  /** Lifetime of our node advertisement. */
  readonly advertisementTtlMs: number;
  /** Working-set re-plan interval (contributors). */
  readonly planIntervalMs: number;
}

/**
 * The network a node runs in. The kernel reads its id (advertisements' federation id, gossip's
 * filter), name and key (the handshake's PSK proof); the roles read the signed descriptor
 * (orchestrators, directories, the registration authority's key) when the node was given one.
 */
export interface NetworkMembership {
  readonly id: string;
  readonly name: string | null;
  /** The pre-shared key of a network whose join policy is psk. */
  readonly psk?: Uint8Array | undefined;
  /** The verified descriptor (absent for a network known only by id, as in some tests). */
  readonly descriptor?: NetworkDescriptor | undefined;
}

export interface NodeConfig {
  readonly dataDir: string;
  readonly role: NodeRole;
  /** Peer endpoints to listen on (ws(s)://host:port/path); empty: dial-only (behind NAT). */
  readonly listen: readonly string[];
  /** URLs peers should dial, when they differ from the listen URLs (a forwarded port). */
  readonly advertise?: readonly string[];
  /** Static seeds, already merged by precedence (command line, then the network's). */
  readonly seeds: readonly SeedPeer[];
  readonly insecureLoopback: boolean;
  readonly trustCa: readonly string[];
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly allowlistFile?: string | undefined;
  readonly keystore: KeystorePreference;
  /** Keychain access (tests may pass an in-memory one). */
  readonly keychain?: KeychainLoader | undefined;
  readonly network?: NetworkMembership | undefined;
  readonly timing?: Partial<RuntimeTiming>;
  /** Settings for a data dir that has none yet (e.g. `joined: true` for a headless node). */
  readonly initialSettings?: Partial<Settings>;
  /** Console lines for the operator (warnings). */
  readonly warn: (line: string) => void;
  readonly version: string;
}
