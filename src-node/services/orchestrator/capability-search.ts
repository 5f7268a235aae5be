// The orchestrator finds PNodes for a workload by capability (issue 16 §2) two ways: the PNodes
// registered with it whose hardware has the capability (and which contribute now), and the
// network's DHT capability index, whose candidates the kernel verifies with our signed handshake
// before they count. A DHT-found PNode that is not registered here is reported apart: it may be
// registered with another orchestrator of the network, or be on its way.
//
// Admin API (the deployment's loopback admin server, bearer token):
//   GET /pnodes/by-capability/<capability>[/<want>]   e.g. /pnodes/by-capability/vnode/wasi/8
import { computeCapabilities } from '../../../src-shared/membership/compute-capabilities.js';
import { isCapabilityName } from '../../kernel/dht/topics.js';
import type { AdminAnswer, AdminExtension, AdminExtensions, AdminRequest } from '../../kernel/http/admin-extension.js';
import type { VerifiedPeer } from '../../kernel/dht/capability-index.js';
import type { PNodeEntry } from './registry.js';

/** PNodes one search returns from each source at most. */
export const MAX_CAPABILITY_SEARCH_RESULTS = 64;

/** The DHT as the search sees it (the kernel's DhtModule). */
export interface CapabilityFinder {
  find(capability: string, want: number): Promise<VerifiedPeer[]>;
}

export interface CapabilitySearchComponents {
  /** The orchestrator's registered PNodes. */
  readonly registered: () => Iterable<PNodeEntry>;
  readonly finder: CapabilityFinder;
  readonly admin?: AdminExtensions | undefined;
}

export interface CapabilityMatches {
  readonly capability: string;
  /** Registered here, contributing, hardware has the capability. */
  readonly registered: readonly string[];
  /** Found through the DHT and verified by the handshake, not registered here. */
  readonly dht: readonly string[];
}

/** Whether a registered PNode offers `capability` now (its last descriptor's hardware; contributing). */
export function registeredOffers(entry: PNodeEntry, capability: string): boolean {
  if (entry.state !== 'registered' || !entry.contributing) return false;
  return computeCapabilities(entry.descriptor.hardware, { joined: true, contributionEnabled: true }).includes(capability);
}

export class CapabilitySearch {
  constructor(private readonly components: CapabilitySearchComponents) {
    components.admin?.extend(this.adminExtension());
  }

  async search(capability: string, want = MAX_CAPABILITY_SEARCH_RESULTS): Promise<CapabilityMatches> {
    const limit = Math.max(1, Math.min(MAX_CAPABILITY_SEARCH_RESULTS, Math.floor(want)));
    const registered: string[] = [];
    for (const entry of this.components.registered()) {
      if (registered.length >= limit) break;
      if (registeredOffers(entry, capability)) registered.push(entry.nodeId);
    }
    const known = new Set(registered);
    const found = await this.components.finder.find(capability, limit);
    const dht = found.map((peer) => peer.nodeId as string).filter((id) => !known.has(id));
    return { capability, registered, dht };
  }

  private adminExtension(): AdminExtension {
    return {
      route: async (request: AdminRequest): Promise<AdminAnswer | null> => {
        if (request.parts[0] !== 'pnodes' || request.parts[1] !== 'by-capability') return null;
        if (request.method !== 'GET') return { status: 405, body: { error: 'GET only' }, allow: 'GET' };
        const rest = request.parts.slice(2);
        const last = rest[rest.length - 1];
        const want = last !== undefined && /^\d{1,3}$/.test(last) ? Number(last) : undefined;
        const capability = (want === undefined ? rest : rest.slice(0, -1)).join('/');
        if (!isCapabilityName(capability)) return { status: 400, body: { error: `not a capability name: ${capability.slice(0, 80)}` } };
        return { status: 200, body: await this.search(capability, want) };
      },
    };
  }
}
