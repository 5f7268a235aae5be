// Who a connection comes from, for per-source limits. Our choice (issue 15 §2): an IPv4 client is
// its address; an IPv6 client is its /64, because one host usually holds a whole /64 and per-/128
// keys would be free to multiply. A wider prefix groups neighbours for fairness: an IPv4 /24 or an
// IPv6 /48 (what one site or one hosting customer typically holds).
//
//   addressKey('203.0.113.7')            '203.0.113.7'
//   addressKey('::ffff:203.0.113.7')     '203.0.113.7'          (IPv4-mapped IPv6 is IPv4)
//   addressKey('2001:db8:1:2::9')        '2001:db8:1:2::/64'
//   prefixKey('203.0.113.7')             '203.0.113.0/24'
//   prefixKey('2001:db8:1:2::9')         '2001:db8:1::/48'

/** The key of a source nobody could name (a socket already gone). */
export const UNKNOWN_ADDRESS_KEY = 'unknown';

function ipv4Of(address: string): string | undefined {
  const bare = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^\d{1,3}(?:\.\d{1,3}){3}$/.test(bare) ? bare : undefined;
}

/** The eight 16-bit groups of an IPv6 address (zone dropped, `::` expanded); undefined if it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  const bare = address.split('%', 1)[0]!;
  if (!bare.includes(':')) return undefined;
  const halves = bare.split('::');
  if (halves.length > 2) return undefined;
  const front = halves[0] === '' ? [] : halves[0]!.split(':');
  const back = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const missing = 8 - front.length - back.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const groups = [...front, ...new Array<string>(Math.max(0, missing)).fill('0'), ...back];
  const values = groups.map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? Number.parseInt(g, 16) : NaN));
  return values.every(Number.isFinite) ? values : undefined;
}

function ipv6Prefix(groups: readonly number[], bits: 48 | 64): string {
  return `${groups
    .slice(0, bits / 16)
    .map((g) => g.toString(16))
    .join(':')}::/${bits}`;
}

/** The per-source key of a remote address: IPv4 by address, IPv6 by /64. */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return UNKNOWN_ADDRESS_KEY;
  const v4 = ipv4Of(address);
  if (v4 !== undefined) return v4;
  const groups = ipv6Groups(address);
  return groups ? ipv6Prefix(groups, 64) : UNKNOWN_ADDRESS_KEY;
}

/** The neighbourhood of a remote address, for fairness: IPv4 /24, IPv6 /48. */
export function prefixKey(address: string | undefined): string {
  if (address === undefined || address === '') return UNKNOWN_ADDRESS_KEY;
  const v4 = ipv4Of(address);
  if (v4 !== undefined) return `${v4.slice(0, v4.lastIndexOf('.'))}.0/24`;
  const groups = ipv6Groups(address);
  return groups ? ipv6Prefix(groups, 48) : UNKNOWN_ADDRESS_KEY;
}
