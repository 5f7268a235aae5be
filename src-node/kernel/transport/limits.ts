// Transport limits (DESIGN.md §5: every limit has a named constant and a test that crosses it).

import { MAX_FRAME_BYTES as MAX_SESSION_FRAME_BYTES } from '../session/secure-channel.js';
import { MAX_HANDSHAKE_BYTES } from '../session/handshake.js';

/**
 * Largest WebSocket message accepted on a peer connection, enforced by ws `maxPayload` (it closes
 * with 1009 beyond it): the larger of an encrypted session frame and a handshake message.
 */
export const MAX_FRAME_BYTES = Math.max(MAX_SESSION_FRAME_BYTES, MAX_HANDSHAKE_BYTES);
/** Dial: TCP + TLS + HTTP upgrade must finish within this. */
export const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Listener: a connection must finish its TLS handshake and send its whole upgrade request within
 * this, as a dial must (CONNECT_TIMEOUT_MS); one that sends nothing, or half a request, is dropped
 * then instead of after Node's defaults (60 s for the headers, 120 s for TLS).
 */
export const UPGRADE_TIMEOUT_MS = CONNECT_TIMEOUT_MS;
/** How often the listener looks for connections past UPGRADE_TIMEOUT_MS (at most; shorter timeouts are checked more often). */
export const UPGRADE_TIMEOUT_CHECK_MS = 1_000;
/**
 * After we close a session (or refuse one), the peer has this long to answer the close before the
 * TCP connection is dropped anyway: a stalled peer never answers, and ws alone would wait 30 s.
 */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;
/**
 * Responder: the hello must arrive within this after the upgrade. An honest dialer sends it the
 * moment the socket opens; a socket that says nothing holds a pending slot until then (issue 15 §2:
 * it was 10 s, and ~20 silent sockets renewed every 10 s held a contributor's every slot).
 */
export const HELLO_WAIT_TIMEOUT_MS = 5_000;
/**
 * Pending connections on a peer listener (accepted, not yet a session: TLS, the upgrade, the hello
 * wait), in all. They are counted apart from sessions: a pending connection never holds a session
 * slot. At this cap the longest-waiting one of the address holding the most makes room.
 */
export const MAX_PENDING_CONNECTIONS = 256;
/** Pending connections from one address (IPv4) or /64 (IPv6); more are refused at once. */
export const MAX_PENDING_CONNECTIONS_PER_ADDRESS = 16;
/** Default path of the peer endpoint (spec example `wss://…/peer`). */
export const DEFAULT_PEER_PATH = '/peer';
