// Our profile of the Orbiplex networking MVP, `pnode/1` (DESIGN.md §5, §7). Every number the
// design names lives here, once.

/** Sent in `protocol/version`; a peer with any other value is refused with E_PROTO_VERSION. */
export const PROTOCOL_VERSION = 'pnode/1';
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [PROTOCOL_VERSION];
export const TRANSPORT_PROFILE = 'wss';

/** HKDF info for session keys; 64 bytes out, first 32 initiator→responder. */
export const SESSION_KDF_INFO = 'pnode/session.v1';
export const SESSION_KDF_LENGTH = 64;

/** The capability every session needs (spec digest §i). */
export const REQUIRED_CAPABILITY = 'core/messaging';
export const OFFERED_CAPABILITIES = ['core/messaging', 'core/discovery', 'core/keepalive'] as const;

// Handshake (spec digest §d.3).
export const HANDSHAKE_MAX_CLOCK_SKEW_MS = 30_000;
export const NONCE_CACHE_TTL_MS = 120_000;
export const PENDING_HELLO_TIMEOUT_MS = 30_000;

// Keepalive (spec digest §f).
export const KEEPALIVE_INTERVAL_MS = 30_000;
export const KEEPALIVE_TIMEOUT_MS = 90_000;

// Working set (spec digest §f).
export const HOT_PEERS = 2;
export const MAX_LIVE_SESSIONS = 4;

// Advertisements (spec digest §f, laptop-dynamic class).
export const ADVERTISEMENT_TTL_MS = 10 * 60_000;
export const REANNOUNCE_FRACTION_OF_TTL = 1 / 3;
export const REANNOUNCE_JITTER = 0.1;

// Membership.
export const HEARTBEAT_INTERVAL_MS = 10_000;
export const LEASE_MISSED_HEARTBEATS = 3;

// Reconnect backoff: 1 s doubling to 5 min, full jitter.
export const RECONNECT_BACKOFF_MIN_MS = 1_000;
export const RECONNECT_BACKOFF_MAX_MS = 5 * 60_000;
