// What a node is started with: the command line (`pnode node`, services, devnet) and the desktop
// shell build this; the runtime reads nothing else from the environment.
import type { KeystorePreference } from '../identity/keystore.js';
import type { KeychainLoader } from '../identity/keychain-keystore.js';
import type { KeepaliveTiming } from '../connection/keepalive.js';
import type { SeedPeer } from '../peers/peer-store.js';
import type { Settings } from './settings.js';

/** A seed is a bootstrap anchor: it accepts many sessions and gossips, but keeps no working set. */
export type NodeRole = 'contributor' | 'seed' | 'orchestrator' | 'directory';

export interface RuntimeTiming {
  readonly keepalive: KeepaliveTiming;
  /** Lifetime of our node advertisement. */
  readonly advertisementTtlMs: number;
  /** Working-set re-plan interval (contributors). */
  readonly planIntervalMs: number;
}

export interface NodeRuntimeConfig {
  readonly dataDir: string;
  readonly role: NodeRole;
  /** Peer endpoints to listen on (ws(s)://host:port/path); empty: dial-only (behind NAT). */
  readonly listen: readonly string[];
  /** URLs peers should dial, when they differ from the listen URLs (a forwarded port). */
  readonly advertise?: readonly string[];
  readonly seeds: readonly SeedPeer[];
  readonly insecureLoopback: boolean;
  readonly trustCa: readonly string[];
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly allowlistFile?: string | undefined;
  readonly keystore: KeystorePreference;
  /** Keychain access (tests and devnet may pass an in-memory one). */
  readonly keychain?: KeychainLoader | undefined;
  /** The private network's pre-shared key, when its join policy is psk. */
  readonly psk?: Uint8Array | undefined;
  readonly networkId?: string | undefined;
  readonly networkName?: string | undefined;
  readonly timing?: Partial<RuntimeTiming>;
  /** Settings for a data dir that has none yet (e.g. `joined: true` for a headless node). */
  readonly initialSettings?: Partial<Settings>;
  /** Detect hardware (contributors; default true). Simulations of hundreds of nodes turn it off. */
  readonly detectHardware?: boolean;
  /** Console lines for the operator (warnings). */
  readonly warn: (line: string) => void;
  readonly version: string;
}
