// The numbers of membership (issue 5): registration, heartbeats, leases, VNode reservations. The
// design's own numbers (DESIGN.md §7: heartbeat every 10 s, a lease ends after 3 missed
// heartbeats) live in protocol/profile.ts; what follows from them, and what the design leaves
// open, lives here, once.
import { HEARTBEAT_INTERVAL_MS, LEASE_MISSED_HEARTBEATS } from '../protocol/profile.js';

export { HEARTBEAT_INTERVAL_MS, LEASE_MISSED_HEARTBEATS };

/** Shortest heartbeat interval an orchestrator may ask for (tests run at 100–200 ms). */
export const MIN_HEARTBEAT_INTERVAL_MS = 50;
/** Longest heartbeat interval an orchestrator may ask for. */
export const MAX_HEARTBEAT_INTERVAL_MS = 10 * 60_000;

/** A lease covers LEASE_MISSED_HEARTBEATS intervals: the third missed heartbeat ends it. */
export function leaseMsFor(heartbeatIntervalMs: number): number {
  return heartbeatIntervalMs * LEASE_MISSED_HEARTBEATS;
}

/** After its lease ended, a PNode's record stays (state `expired`) this many intervals, then is forgotten. */
export const PNODE_RECORD_GRACE_INTERVALS = 6;

/** Lifetime of a pnode-descriptor.v1; the PNode signs a fresh one after half of it. */
export const DESCRIPTOR_TTL_MS = 24 * 60 * 60_000;
export const DESCRIPTOR_REFRESH_FRACTION = 0.5;

/** Reservations one PNode holds at most (both sides enforce it). */
export const MAX_VNODES_PER_PNODE = 64;
/** Largest core count an offer or a VNode may name. */
export const MAX_OFFER_CORES = 4_096;
/** Largest memory an offer or a VNode may name, in MB (2^32 − 1, as the hardware summary). */
export const MAX_OFFER_MEMORY_MB = 4_294_967_295;

export const MAX_VNODE_ID_LENGTH = 64;
export const MAX_REQUEST_ID_LENGTH = 64;
/** Longest free-text reason or version string in a membership body. */
export const MAX_MEMBERSHIP_TEXT_LENGTH = 256;
