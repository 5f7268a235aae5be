// The desktop node's configuration: its data dir is Electron's userData, its key goes to the OS
// keychain (a plain file only where none answers, loudly), and it joins on the volunteer's click.
// Its network comes from the network book (the one joined last) or is joined from the UI: the
// build's default network, an invite, a test network on this computer (recipes/network-host.ts).
// The installed app reads no environment (main.ts passes none when packaged); in development a few
// knobs remain for tests: seeds, a listener, loopback, the keystore.
import { parseSeed } from '../src-node/cli/config/node-flags.js';
import type { SandboxLauncher } from '../src-node/contributor/vnode/sandbox-process.js';
import type { ContributorNodeConfig } from '../src-node/recipes/contributor-node.js';
import type { NodeHostStartOptions } from './node-host.js';

/** Development knobs only: a packaged app is given none. */
export interface DesktopEnvironment {
  /** Comma-separated `<node-id>@<url>` seeds. */
  readonly PNODE_SEEDS?: string | undefined;
  /** Comma-separated peer listen URLs (default: none; a home node dials out). */
  readonly PNODE_LISTEN?: string | undefined;
  /** `1`: plain ws:// to loopback peers. */
  readonly PNODE_INSECURE_LOOPBACK?: string | undefined;
  /** keychain | file | auto (default auto). */
  readonly PNODE_KEYSTORE?: string | undefined;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The desktop contributor's configuration: the shell reports user activity; sandboxes start through `launcher`. */
export function desktopRuntimeConfig(start: NodeHostStartOptions, env: DesktopEnvironment, warn: (line: string) => void, launcher?: SandboxLauncher): ContributorNodeConfig {
  const insecureLoopback = env.PNODE_INSECURE_LOOPBACK === '1';
  const keystore = env.PNODE_KEYSTORE === 'file' || env.PNODE_KEYSTORE === 'keychain' ? env.PNODE_KEYSTORE : 'auto';
  return {
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
}
