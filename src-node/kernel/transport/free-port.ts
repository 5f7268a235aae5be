// A loopback port for a process that must be told its port before it starts (a devnet's directory,
// a service restarted where its peers look for it). Picked below the OS's ephemeral range: a port
// from listen(0) comes from that range, and is free only until somebody's connect() or listen(0)
// is handed it, which on a busy machine happens between our check and the child's bind
// (EADDRINUSE). Below the range only another explicit pick can take it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports below this are left to services a machine may run (databases, dev servers). */
export const FREE_PORT_FLOOR = 10_000;
/** Random ports tried before falling back to one from the ephemeral range. */
export const FREE_PORT_ATTEMPTS = 64;
/** The ephemeral range's start where the OS does not say (IANA's, and macOS's and Windows's). */
export const DEFAULT_EPHEMERAL_LOW = 49_152;
/** Picks need this many ports below the ephemeral range to be worth it. */
const MIN_PICK_SPAN = 1_000;
const LINUX_PORT_RANGE = '/proc/sys/net/ipv4/ip_local_port_range';

/** The first port of the ephemeral range, from the text of Linux's ip_local_port_range. */
export function ephemeralLow(rangeText: string | undefined): number {
  const low = Number.parseInt(rangeText?.trim().split(/\s+/)[0] ?? '', 10);
  return Number.isInteger(low) && low > 0 && low <= 65_535 ? low : DEFAULT_EPHEMERAL_LOW;
}

function readPortRange(): string | undefined {
  try {
    return readFileSync(LINUX_PORT_RANGE, 'utf8');
  } catch {
    return undefined;
  }
}

/** Binds `port` (0: any) on `host` and lets it go; answers the port, or null when it is taken. */
function tryPort(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

export interface FreePortOptions {
  readonly host?: string;
  readonly random?: () => number;
  /** The text of the OS's ephemeral port range (tests); read from /proc where there is one. */
  readonly rangeText?: string;
}

/** A port nobody holds on `host` (127.0.0.1) now, from below the ephemeral range when there is room. */
export async function freeLoopbackPort(options: FreePortOptions = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  const random = options.random ?? Math.random;
  const low = ephemeralLow(options.rangeText ?? readPortRange());
  const span = low - FREE_PORT_FLOOR;
  if (span >= MIN_PICK_SPAN) {
    for (let attempt = 0; attempt < FREE_PORT_ATTEMPTS; attempt++) {
      const port = await tryPort(host, FREE_PORT_FLOOR + Math.floor(random() * span));
      if (port !== null) return port;
    }
  }
  const any = await tryPort(host, 0);
  if (any === null) throw new Error(`no free port on ${host}`);
  return any;
}
