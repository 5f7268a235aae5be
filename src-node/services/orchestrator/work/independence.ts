// When two PNodes count as independent (issue 13 §4): results agree only as much as the PNodes
// that produced them are different parties. Replicas of one task go only to PNodes that share none
// of: node id, the address they were seen from, its network prefix (IPv4 /24, IPv6 /48 — one
// home, one office, one cloud subnet), the operator who vouched for them (trusted PNodes), and the
// session they registered over. So identities from one address, or from one /24, never confirm
// each other, however many there are.
//
// Devnets and tests run every PNode on 127.0.0.1; with `devLoopback` (an explicit orchestrator
// option, never on in a deployment) a PNode seen from a loopback address is keyed by its node id
// instead, so they count as different machines.
import { isIPv4, isIPv6 } from 'node:net';
import type { PNodePlace } from '../jobs/job-store.js';

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** The address as compared: an IPv4-mapped IPv6 address is its IPv4 address; IPv6 in lower case. */
export function normalizeAddress(address: string): string {
  const mapped = MAPPED_V4.exec(address);
  if (mapped) return mapped[1]!;
  return address.toLowerCase();
}

/** Expands an IPv6 address to its eight 16-bit groups (null when it is not one). */
function ipv6Groups(address: string): number[] | null {
  if (!isIPv6(address)) return null;
  let text = address.split('%')[0]!;
  // A trailing dotted IPv4 part is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/** IPv4 /24 (`203.0.113.0/24`), IPv6 /48 (`2001:db8:7::/48`); anything else is its own prefix. */
export function addressPrefix(address: string): string {
  const normal = normalizeAddress(address);
  if (isIPv4(normal)) return `${normal.split('.').slice(0, 3).join('.')}.0/24`;
  const groups = ipv6Groups(normal);
  if (groups) return `${groups.slice(0, 3).map((g) => g.toString(16)).join(':')}::/48`;
  return `other:${normal}`;
}

export function isLoopback(address: string): boolean {
  const normal = normalizeAddress(address);
  return normal === '::1' || (isIPv4(normal) && normal.startsWith('127.'));
}

/** Where a PNode is, as replicas record it. */
export function placeOf(input: { nodeId: string; address: string; operator: string | null; session: string; devLoopback?: boolean }): PNodePlace {
  if (input.devLoopback && isLoopback(input.address)) {
    const key = `loopback:${input.nodeId}`;
    return { pnode: input.nodeId, address: key, prefix: key, operator: input.operator, session: input.session };
  }
  const address = normalizeAddress(input.address);
  return { pnode: input.nodeId, address, prefix: addressPrefix(address), operator: input.operator, session: input.session };
}

/** Why two places are not independent (null when they are). */
export function sharedBy(a: PNodePlace, b: PNodePlace): string | null {
  if (a.pnode === b.pnode) return 'the same PNode';
  if (a.address === b.address) return 'one address';
  if (a.prefix === b.prefix) return 'one network prefix';
  if (a.operator !== null && a.operator === b.operator) return 'one operator';
  if (a.session === b.session) return 'one session';
  return null;
}

/** Whether `place` is independent of every place in `others`. */
export function independentOf(place: PNodePlace, others: Iterable<PNodePlace>): boolean {
  for (const other of others) if (sharedBy(place, other) !== null) return false;
  return true;
}
