// A TCP relay the simulation can shut: nodes on one side of a partition reach the seed and the
// directory through a gate; closing it drops every relayed connection and refuses new ones, as a
// network partition would.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpGate {
  readonly port: number;
  setOpen(open: boolean): void;
  close(): Promise<void>;
}

export async function startTcpGate(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpGate> {
  let open = true;
  const live = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ port: targetPort, host: targetHost });
    live.add(client);
    live.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    setOpen(value) {
      open = value;
      if (!value) for (const socket of live) socket.destroy();
    },
    close() {
      open = false;
      for (const socket of live) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
