// The network a build of the app offers on first run (issue 12 §1): a signed descriptor shipped
// with it, chosen when it is built (scripts/build-networks.mjs writes dist/networks/default.json;
// electron-builder copies it into the app's resources). The app reads the file it ships; nothing
// in the installed path reads the environment. A descriptor that does not verify is not offered.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { NETWORK_DESCRIPTOR_MAX_BYTES, type NetworkDescriptor } from '../../../src-shared/network/network-descriptor.js';
import { acceptNetworkDescriptor } from '../../../src-shared/network/invite.js';
import { packageRoot } from '../util/package-root.js';

export const NETWORKS_BUILD_DIR = 'networks';
export const DEFAULT_NETWORK_FILE = 'default.json';

/** dist/networks of the installed package (the CLI; the desktop app has its own resources path). */
export function packagedNetworksDir(): string {
  return join(packageRoot(), 'dist', NETWORKS_BUILD_DIR);
}

/** The build's default network from `<dir>/default.json`; null when there is none or it is refused (warned). */
export async function readDefaultNetwork(dir: string, options: { crypto: CryptoProvider; now: number; warn: (line: string) => void }): Promise<NetworkDescriptor | null> {
  const path = join(dir, DEFAULT_NETWORK_FILE);
  if (!existsSync(path)) return null;
  try {
    const bytes = await readFile(path);
    if (bytes.length > NETWORK_DESCRIPTOR_MAX_BYTES) throw new Error(`larger than ${NETWORK_DESCRIPTOR_MAX_BYTES} bytes`);
    const accepted = acceptNetworkDescriptor(JSON.parse(bytes.toString('utf8')) as unknown, { crypto: options.crypto, now: options.now });
    if (!accepted.ok) throw new Error(`${accepted.error.code} ${accepted.error.detail}`);
    return accepted.value;
  } catch (error) {
    options.warn(`warning: the default network ${path} is not offered: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}
