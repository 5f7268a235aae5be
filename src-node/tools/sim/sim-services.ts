// The simulations' way in (discovery-sim, capability-sim's gossip mode): a directory (HTTP) and a
// seed that publishes to it, in the coordinator's process, on loopback.
import { join } from 'node:path';
import { directoryNode, type DirectoryNode } from '../../recipes/directory-node.js';
import { discoveryNode, type DiscoveryNode } from '../../recipes/discovery-node.js';

/** What the simulations' in-process services share: loopback, keys in files, no seeds of their own. */
const SIM_SERVICE_BASE = { insecureLoopback: true, trustCa: [], keystore: 'file' as const, warn: () => undefined, version: 'sim', seeds: [] };

/** The directory's limits: every simulated node comes from 127.0.0.1, so the per-address ones are out of reach. */
const SIM_DIRECTORY_LIMITS = { ipPutsPerSecond: 100_000, ipGetsPerSecond: 100_000, ipBurstSeconds: 5, publisherPutsPerSecond: 10, publisherBurst: 10 };

export interface SimServices {
  readonly directory: DirectoryNode;
  readonly seed: DiscoveryNode;
}

/** Starts the directory, then the seed; each goes into `services` as soon as it runs, so the caller stops whatever started. */
export async function startSimServices(root: string, services: { stop(): Promise<void> }[]): Promise<SimServices> {
  const directory = await directoryNode({
    ...SIM_SERVICE_BASE,
    dataDir: join(root, 'directory'),
    role: 'directory',
    listen: ['ws://127.0.0.1:0/peer'],
    directory: { listen: 'http://127.0.0.1:0', fsync: false, limits: SIM_DIRECTORY_LIMITS },
  });
  services.push(directory);
  const seed = await discoveryNode({ ...SIM_SERVICE_BASE, dataDir: join(root, 'seed'), role: 'seed', listen: ['ws://127.0.0.1:0/peer'], discovery: { directories: [directory.directory.url] } });
  services.push(seed);
  return { directory, seed };
}
