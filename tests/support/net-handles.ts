// For the leak check's report: which sockets and servers are open, by address.
import { Server, Socket } from 'node:net';

/**
 * The sockets and servers open now, by address ("socket 127.0.0.1:40112 → 127.0.0.1:35001",
 * "server 127.0.0.1:35001"): with them a left-over count names its socket. Node lists its handles
 * only through an undocumented call; where it is missing, none are described.
 */
export function describeNetHandles(): string[] {
  const activeHandles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles;
  if (typeof activeHandles !== 'function') return [];
  return activeHandles.call(process).flatMap((handle) => {
    if (handle instanceof Socket) {
      if (handle.remotePort === undefined && handle.localPort === undefined) return []; // a pipe (the runner's own channel, stdio)
      return [`socket ${handle.localAddress ?? '?'}:${handle.localPort ?? '?'} → ${handle.remoteAddress ?? '?'}:${handle.remotePort ?? '?'}${handle.connecting ? ' (connecting)' : ''}${handle.destroyed ? ' (destroyed)' : ''}`];
    }
    if (handle instanceof Server) {
      const address = handle.address();
      return [`server ${address === null ? '(not listening)' : typeof address === 'string' ? address : `${address.address}:${address.port}`}`];
    }
    return [];
  });
}
