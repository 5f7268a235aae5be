// The checks every loopback-only HTTP surface shares (the control server, the orchestrator's admin
// API): the peer address is loopback, the Host header names us (against DNS rebinding), and the
// token compares in constant time.
import { timingSafeEqual } from 'node:crypto';

/** Host headers that name a loopback server on `port`. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

export function isLoopbackAddress(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

export function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
