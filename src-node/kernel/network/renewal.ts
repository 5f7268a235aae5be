// Where a newer version of a network's descriptor may be found (issue 12 §1 "renewal"): the URL a
// u1 invite named, the URL the descriptor names for itself, and each of the network's directories
// (`GET <directory>/network` serves the descriptor of the network it serves). Each answer is
// accepted only as a valid descriptor of the same network and owner, newer than the one held.
import type { NetworkDescriptor } from '../../../src-shared/network/network-descriptor.js';

/** Places asked per renewal at most. */
export const MAX_RENEWAL_SOURCES = 8;
/** The path under a directory's base URL that serves its network's descriptor. */
export const DIRECTORY_NETWORK_PATH = '/network';

export function renewalSources(descriptor: NetworkDescriptor, fetchedFrom: string | null): string[] {
  const urls = [
    ...(fetchedFrom ? [fetchedFrom] : []),
    ...(descriptor['descriptor/url'] ? [descriptor['descriptor/url']] : []),
    ...descriptor.directories.map((d) => `${d.replace(/\/+$/, '')}${DIRECTORY_NETWORK_PATH}`),
  ];
  return [...new Set(urls)].slice(0, MAX_RENEWAL_SOURCES);
}
