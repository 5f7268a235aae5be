// The desktop node's configuration: its data dir is Electron's userData, its key goes to the OS
// keychain (a plain file only where none answers, loudly), it joins on the volunteer's click, and
// the environment may point it at a network (the devnet behind `npm start`, or a test network).
import { parseSeed } from '../src-node/cli/config/node-flags.js';
import { applyNetworkFiles } from '../src-node/cli/config/network-flags.js';
import type { SandboxLauncher } from '../src-node/contributor/vnode/sandbox-process.js';
import type { ContributorNodeConfig } from '../src-node/recipes/contributor-node.js';
import type { NodeHostStartOptions } from './node-host.js';

export interface DesktopEnvironment {
  /** Comma-separated `<node-id>@<url>` seeds. */
  readonly PNODE_SEEDS?: string | undefined;
  /** Comma-separated peer listen URLs (default: none; a home node dials out). */
  readonly PNODE_LISTEN?: string | undefined;
  /** `1`: plain ws:// to loopback peers (the local devnet). */
  readonly PNODE_INSECURE_LOOPBACK?: string | undefined;
  /** keychain | file | auto (default auto). */
  readonly PNODE_KEYSTORE?: string | undefined;
  /** A network descriptor file to join (`npm start` passes the devnet's). */
  readonly PNODE_NETWORK?: string | undefined;
  /** The key of a private (psk) network. */
  readonly PNODE_PSK_FILE?: string | undefined;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The desktop contributor's configuration: the shell reports user activity; sandboxes start through `launcher`. */
export async function desktopRuntimeConfig(start: NodeHostStartOptions, env: DesktopEnvironment, warn: (line: string) => void, launcher?: SandboxLauncher): Promise<ContributorNodeConfig> {
  const insecureLoopback = env.PNODE_INSECURE_LOOPBACK === '1';
  const keystore = env.PNODE_KEYSTORE === 'file' || env.PNODE_KEYSTORE === 'keychain' ? env.PNODE_KEYSTORE : 'auto';
  const base: ContributorNodeConfig = {
    dataDir: start.dataDir,
    role: 'contributor',
    listen: list(env.PNODE_LISTEN),
    seeds: list(env.PNODE_SEEDS).map((seed) => parseSeed(seed, insecureLoopback)),
    insecureLoopback,
    trustCa: [],
    keystore,
    warn,
    version: start.version,
    initialSettings: { joined: false },
    contributor: { activity: 'desktop', ...(launcher ? { launcher } : {}) },
  };
  // The same checks as `pnode node --network F --psk-file P`: a forged or expired descriptor stops the start.
  return applyNetworkFiles(base, { network: env.PNODE_NETWORK || undefined, pskFile: env.PNODE_PSK_FILE || undefined });
}
