// The DHT's limits and timings (issue 16; docs/DHT.md says why each is what it is). The engine's
// own rules are listed there too: a stored announcement lives 20 min unless refreshed, a lookup
// reply holds at most 20 records per topic, a node stores at most 65,536 records.

/** We re-announce each capability topic this often: well inside the engine's 20-min record life. */
export const DHT_ANNOUNCE_REFRESH_MS = 10 * 60_000;
/** ± share of the refresh drawn at random, so a network does not re-announce in lockstep. */
export const DHT_ANNOUNCE_JITTER = 0.1;
/** Capability topics one node announces at most (core/messaging, vnode/wasi, vnode/cpu-N, a GPU kind, …). */
export const DHT_MAX_ANNOUNCED_CAPABILITIES = 8;
/** Longest capability name taken into a topic. */
export const DHT_MAX_CAPABILITY_LENGTH = 64;
/** Distinct DHT keys one lookup hands on as candidates; the rest of the answer is dropped. */
export const DHT_MAX_CANDIDATES_PER_LOOKUP = 32;
/** Records read from one lookup (over all replying nodes) before it is stopped: a flood of replies ends here. */
export const DHT_MAX_RECORDS_PER_LOOKUP = 256;
/** A lookup that has not finished by then is stopped with what it has. */
export const DHT_LOOKUP_TIMEOUT_MS = 10_000;
/** Lookups one find makes at most: a second when the first gave no verified peer. */
export const DHT_FIND_LOOKUPS = 2;
/** Candidates verified (dialled, handshake run) at once per lookup. */
export const DHT_VERIFY_CONCURRENCY = 4;
/** Opening a DHT stream (lookup of the key, holepunch) must be done within this. */
export const DHT_CONNECT_TIMEOUT_MS = 10_000;
/** A DHT key whose holder failed verification is not dialled again for this long… */
export const DHT_FAILED_KEY_COOLDOWN_MS = 10 * 60_000;
/** …and at most this many such keys are remembered (oldest forgotten first). */
export const DHT_MAX_FAILED_KEYS = 4_096;
/**
 * How long a node start waits for the DHT to join before it goes on (the DHT keeps joining in the
 * background and adds its endpoint when it is up): none, so a node whose UDP is blocked starts as fast.
 */
export const DHT_START_WAIT_MS = 0;
/**
 * A find or lookup asked while our DHT is still joining waits this long at most for the join
 * (a search right after start, or after a restart, would otherwise answer nobody); a DHT that
 * has not joined by then answers as off.
 */
export const DHT_FIND_JOIN_WAIT_MS = 20_000;

// Per source (a remote IPv4 address), on every node of ours that answers DHT requests:
/** DHT requests (lookups, announces, handshakes, …) answered per source per second, sustained… */
export const DHT_REQUESTS_PER_SOURCE_PER_SECOND = 50;
/** …and in a burst. */
export const DHT_REQUESTS_PER_SOURCE_BURST = 200;
/** Announcements stored per source per minute (each needs a signature check and a record slot). */
export const DHT_ANNOUNCES_PER_SOURCE_PER_MINUTE = 120;
/** The engine keeps an announcement this long unless it is refreshed (hyperdht's record maxAge). */
export const DHT_RECORD_LIFETIME_MS = 20 * 60_000;
/**
 * Announcements stored per source and topic per record lifetime: room for a household or a small
 * office of PNodes behind one address, refreshing every DHT_ANNOUNCE_REFRESH_MS, while one address
 * with thousands of DHT keys holds at most this many of a topic's records.
 */
export const DHT_ANNOUNCES_PER_SOURCE_PER_TOPIC = 16;
/** Sources whose buckets are kept (least recently seen forgotten first). */
export const DHT_MAX_TRACKED_SOURCES = 16_384;

// Inbound DHT connections (sessions reached through our DHT server), per source and in all:
/** Connections that have not finished their WebSocket upgrade and hello, in all… */
export const DHT_MAX_PENDING_INBOUND = 64;
/** …and from one address. */
export const DHT_MAX_PENDING_INBOUND_PER_ADDRESS = 8;
/** New inbound DHT connections accepted per source per minute. */
export const DHT_INBOUND_PER_SOURCE_PER_MINUTE = 60;
/** The WebSocket upgrade over a DHT stream must arrive within this. */
export const DHT_UPGRADE_TIMEOUT_MS = 10_000;
/** Stopping waits this long at most for our announcements to be taken back (the network may be gone). */
export const DHT_STOP_WAIT_MS = 2_000;
