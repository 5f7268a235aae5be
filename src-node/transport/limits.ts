// Transport limits (DESIGN.md §5: every limit has a named constant and a test that crosses it).

/** Largest WebSocket message accepted, enforced by ws `maxPayload` (closes with 1009 beyond it). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Largest handshake frame (JSON text); a hello is ~1 KiB. */
export const MAX_HANDSHAKE_FRAME_BYTES = 16 * 1024;
/** Dial: TCP + TLS + HTTP upgrade must finish within this. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Responder: the hello must arrive within this after the upgrade. */
export const HELLO_WAIT_TIMEOUT_MS = 10_000;
/** Upgrades in progress at once on a listener before new ones are refused. */
export const MAX_PENDING_UPGRADES = 256;
/** Default path of the peer endpoint (spec example `wss://…/peer`). */
export const DEFAULT_PEER_PATH = '/peer';
