// The attacker's addresses: Linux answers every address of 127.0.0.0/8, so an attack on loopback
// can come from many sources, each a distinct per-address key for the node (an IPv4 address), and
// from many /24 neighbourhoods. Where the machine will not bind them, everything comes from
// 127.0.0.1 and the harness says so.
import { createServer, connect } from 'node:net';

/** The honest clients' address (the attackers never use it). */
export const HONEST_ADDRESS = '127.0.0.1';

/** `count` attacker addresses, `perPrefix` in each /24, from 127.`block`.0.1 on. */
export function attackerAddresses(count: number, perPrefix = 250, block = 10): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const prefix = Math.floor(i / perPrefix);
    out.push(`127.${block + (prefix >> 8)}.${prefix & 255}.${1 + (i % perPrefix)}`);
  }
  return out;
}

/** Whether a connection can come from 127.0.0.2 here. */
export async function loopbackRangeUsable(): Promise<boolean> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    return await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  } finally {
    server.close();
  }
}

/** The addresses to use: `wanted`, or 127.0.0.1 alone where other loopback addresses cannot be bound. */
export function usable(wanted: readonly string[], rangeUsable: boolean): string[] {
  return rangeUsable ? [...wanted] : [HONEST_ADDRESS];
}
