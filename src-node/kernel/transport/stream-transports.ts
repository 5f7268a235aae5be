// Transports that give a byte stream rather than a TCP connection (issue 16: the DHT, which
// reaches a node behind NAT by holepunching). Our WebSocket runs over that stream, so the signed
// handshake and the sealed session frames above it are the same bytes as over wss. A node registers
// the stream transports it has; a dial of an endpoint whose transport the node lacks fails with
// E_TRANSPORT_UNAVAILABLE before any network work.
//
// Each session's socket remembers how it was reached (`sessionPathOf`), for the traces.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { EndpointTransport } from '../../../src-shared/protocol/dht-endpoint.js';

/** How a session's bytes travel: the transport, and for the DHT how the connection was made. */
export interface SessionPath {
  readonly transport: EndpointTransport;
  /**
   * DHT only: `punched` (both ends firewalled; a holepunch made the path), `direct` (one end was
   * reachable, no punch needed).
   */
  readonly holepunch?: 'punched' | 'direct';
  /** The remote UDP address the stream runs to, when known. */
  readonly remote?: string;
}

export interface OpenedStream {
  readonly socket: Duplex;
  readonly path: SessionPath;
}

export interface StreamDialer {
  readonly transport: Exclude<EndpointTransport, 'wss'>;
  /** Opens a stream to the endpoint; rejects with a ProtocolError (E_TRANSPORT_*) within `timeoutMs`. */
  open(url: string, timeoutMs: number): Promise<OpenedStream>;
}

export class StreamTransports {
  private readonly dialers = new Map<EndpointTransport, StreamDialer>();

  /** Adds a transport; returns the function that takes it away again (the DHT stopped). */
  register(dialer: StreamDialer): () => void {
    if (this.dialers.has(dialer.transport)) throw new Error(`a ${dialer.transport} transport is already registered`);
    this.dialers.set(dialer.transport, dialer);
    return () => {
      if (this.dialers.get(dialer.transport) === dialer) this.dialers.delete(dialer.transport);
    };
  }

  get(transport: EndpointTransport): StreamDialer | undefined {
    return this.dialers.get(transport);
  }

  /** The transports this node can dial now: wss always, the registered ones too. */
  available(): EndpointTransport[] {
    return ['wss', ...this.dialers.keys()];
  }
}

const WSS_PATH: SessionPath = { transport: 'wss' };
const paths = new WeakMap<WebSocket, SessionPath>();

export function recordSessionPath(socket: WebSocket, path: SessionPath): void {
  paths.set(socket, path);
}

/** How the session on `socket` travels; wss unless a stream transport recorded otherwise. */
export function sessionPathOf(socket: WebSocket): SessionPath {
  return paths.get(socket) ?? WSS_PATH;
}
