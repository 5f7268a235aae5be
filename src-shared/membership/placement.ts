// VNode placement (issue 5 §3): where an orchestrator puts a reservation of (cores, memory MB).
// Pure and conservative:
//
// 1. Capacity is the offer capped by what the PNode's own measurements support:
//      cores  = min(offered cores, logical cores measured)
//      memory = min(offered MB, total MB measured, available MB measured most recently)
//    A claim no measurement supports (the reading is unknown) is capped hard for an untrusted
//    PNode: UNMEASURED_MAX_CORES / UNMEASURED_MAX_MEMORY_MB. A trusted PNode's operator vouches
//    for an unknown reading, so its offer stands there (it is still capped by known readings).
// 2. A PNode never holds more than its capacity: the VNodes on it (offered, allocated or
//    running) plus the new one fit, and at most MAX_VNODES_PER_PNODE of them.
// 3. Untrusted PNodes get smaller allocations: one VNode there is at most
//    UNTRUSTED_MAX_VNODE_CORES cores and UNTRUSTED_MAX_VNODE_MEMORY_MB.
// 4. Among the PNodes where it fits: trusted first, then higher peer score, then lower load, then
//    more cores free, then node-id (so the choice is deterministic).
import type { TrustLevel } from '../protocol/messages/membership-bodies.js';
import { MAX_VNODES_PER_PNODE } from './membership-profile.js';

export const UNTRUSTED_MAX_VNODE_CORES = 2;
export const UNTRUSTED_MAX_VNODE_MEMORY_MB = 2_048;
/** Cores an untrusted PNode whose logical-core count is unknown is credited with. */
export const UNMEASURED_MAX_CORES = 1;
/** Memory an untrusted PNode whose memory readings are unknown is credited with, in MB. */
export const UNMEASURED_MAX_MEMORY_MB = 1_024;
/** Load assumed for ranking when a PNode did not report one. */
export const UNKNOWN_LOAD_PERMILLE = 500;

export interface Resources {
  readonly cores: number;
  readonly memoryMb: number;
}

export interface Measurements {
  readonly logicalCores: number | null;
  readonly totalMemoryMb: number | null;
  /** The most recent reading: the latest heartbeat's, else the descriptor's. */
  readonly availableMemoryMb: number | null;
}

export interface Capacity extends Resources {
  /** True where the offer was cut down to what the measurements support. */
  readonly capped: { readonly cores: boolean; readonly memory: boolean };
}

export interface PlacementCandidate {
  readonly nodeId: string;
  readonly trust: TrustLevel;
  /** Peer score, 0–100. */
  readonly score: number;
  readonly loadPermille: number | null;
  readonly offer: Resources;
  readonly measured: Measurements;
  /** What the VNodes already on it (offered, allocated, running) reserve. */
  readonly used: Resources & { readonly vnodes: number };
}

export function cappedCapacity(offer: Resources, measured: Measurements, trust: TrustLevel): Capacity {
  const trusted = trust === 'trusted';
  let cores = offer.cores;
  if (measured.logicalCores !== null) cores = Math.min(cores, measured.logicalCores);
  else if (!trusted) cores = Math.min(cores, UNMEASURED_MAX_CORES);
  let memory = offer.memoryMb;
  const readings = [measured.totalMemoryMb, measured.availableMemoryMb].filter((r): r is number => r !== null);
  if (readings.length > 0) memory = Math.min(memory, ...readings);
  else if (!trusted) memory = Math.min(memory, UNMEASURED_MAX_MEMORY_MB);
  cores = Math.max(0, cores);
  memory = Math.max(0, memory);
  return { cores, memoryMb: memory, capped: { cores: cores < offer.cores, memory: memory < offer.memoryMb } };
}

/** The largest single VNode a PNode of this trust may receive, given its capacity. */
export function maxVNodeSize(capacity: Resources, trust: TrustLevel): Resources {
  if (trust === 'trusted') return { cores: capacity.cores, memoryMb: capacity.memoryMb };
  return { cores: Math.min(capacity.cores, UNTRUSTED_MAX_VNODE_CORES), memoryMb: Math.min(capacity.memoryMb, UNTRUSTED_MAX_VNODE_MEMORY_MB) };
}

/** Why a request does not fit a candidate, or null when it does. */
export function misfit(candidate: PlacementCandidate, request: Resources): string | null {
  if (request.cores < 1 || request.memoryMb < 1) return 'a VNode needs at least one core and 1 MB';
  const capacity = cappedCapacity(candidate.offer, candidate.measured, candidate.trust);
  const largest = maxVNodeSize(capacity, candidate.trust);
  if (request.cores > largest.cores || request.memoryMb > largest.memoryMb) return `larger than the largest VNode for this PNode (${largest.cores} cores, ${largest.memoryMb} MB)`;
  if (candidate.used.vnodes >= MAX_VNODES_PER_PNODE) return `holds ${MAX_VNODES_PER_PNODE} VNodes already`;
  if (candidate.used.cores + request.cores > capacity.cores) return `${capacity.cores - candidate.used.cores} cores free`;
  if (candidate.used.memoryMb + request.memoryMb > capacity.memoryMb) return `${capacity.memoryMb - candidate.used.memoryMb} MB free`;
  return null;
}

function freeCores(candidate: PlacementCandidate): number {
  return cappedCapacity(candidate.offer, candidate.measured, candidate.trust).cores - candidate.used.cores;
}

/** Negative when `a` ranks before `b` (rule 4). */
export function compareCandidates(a: PlacementCandidate, b: PlacementCandidate): number {
  const trust = Number(b.trust === 'trusted') - Number(a.trust === 'trusted');
  if (trust !== 0) return trust;
  if (b.score !== a.score) return b.score - a.score;
  const load = (a.loadPermille ?? UNKNOWN_LOAD_PERMILLE) - (b.loadPermille ?? UNKNOWN_LOAD_PERMILLE);
  if (load !== 0) return load;
  const free = freeCores(b) - freeCores(a);
  if (free !== 0) return free;
  return a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
}

/** Candidates where the request fits, best first. */
export function rankCandidates(candidates: readonly PlacementCandidate[], request: Resources): PlacementCandidate[] {
  return candidates.filter((c) => misfit(c, request) === null).sort(compareCandidates);
}

/** The PNode to place the request on, or null when it fits nowhere (one pass, no sort). */
export function choosePNode(candidates: readonly PlacementCandidate[], request: Resources): string | null {
  let best: PlacementCandidate | null = null;
  for (const candidate of candidates) {
    if (misfit(candidate, request) !== null) continue;
    if (best === null || compareCandidates(candidate, best) < 0) best = candidate;
  }
  return best?.nodeId ?? null;
}
