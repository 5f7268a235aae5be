// How the UI sees a network: its verified descriptor in plain fields (issue 12).
import type { NetworkDetailsView } from '../control/state.js';
import type { NetworkDescriptor } from './network-descriptor.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function isLoopbackUrl(text: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(text).hostname);
  } catch {
    return false;
  }
}

/** Every endpoint of the network is on this computer (a local test network, the devnet). */
export function isLocalNetwork(descriptor: NetworkDescriptor): boolean {
  const urls = [...descriptor.seeds.map((s) => s['endpoint/url']), ...descriptor.orchestrators.map((o) => o['endpoint/url']), ...descriptor.directories];
  return urls.length > 0 && urls.every(isLoopbackUrl);
}

export function networkDetails(descriptor: NetworkDescriptor): NetworkDetailsView {
  return {
    networkId: descriptor['network/id'],
    name: descriptor['network/name'],
    owner: descriptor['owner/node-id'],
    joinPolicy: descriptor['join/policy'],
    pskHint: descriptor['psk/hint'] ?? null,
    createdAt: descriptor['created-at'],
    expiresAt: descriptor['expires-at'],
    orchestrators: descriptor.orchestrators.map((o) => ({ nodeId: o['node/id'], url: o['endpoint/url'] })),
    directories: [...descriptor.directories],
    seeds: descriptor.seeds.map((s) => ({ nodeId: s['node/id'], url: s['endpoint/url'], ...(s.label !== undefined ? { label: s.label } : {}) })),
    trustRoots: (descriptor['trust/roots'] ?? []).map((root, i) => root.label ?? `CA certificate ${i + 1}`),
    onThisComputer: isLocalNetwork(descriptor),
    descriptorUrl: descriptor['descriptor/url'] ?? null,
  };
}
