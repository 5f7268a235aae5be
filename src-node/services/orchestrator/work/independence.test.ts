import { describe, expect, it } from 'vitest';
import { addressPrefix, independentOf, isLoopback, normalizeAddress, placeOf, sharedBy } from './independence.js';

describe('independence', () => {
  it('keys IPv4 by /24 and IPv6 by /48, an IPv4-mapped address as IPv4', () => {
    expect(addressPrefix('203.0.113.77')).toBe('203.0.113.0/24');
    expect(addressPrefix('::ffff:203.0.113.9')).toBe('203.0.113.0/24');
    expect(normalizeAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(addressPrefix('2001:db8:7:1::5')).toBe('2001:db8:7::/48');
    expect(addressPrefix('2001:DB8:7:ffff:1:2:3:4')).toBe('2001:db8:7::/48');
    expect(addressPrefix('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(addressPrefix('::1')).toBe('0:0:0::/48');
    expect(addressPrefix('not an address')).toBe('other:not an address');
  });

  it('says why two places are not independent', () => {
    const p = (pnode: string, address: string, operator: string | null = null, session = `s-${pnode}`) => placeOf({ nodeId: pnode, address, operator, session });
    expect(sharedBy(p('a', '198.51.100.1'), p('a', '192.0.2.1'))).toBe('the same PNode');
    expect(sharedBy(p('a', '198.51.100.1'), p('b', '198.51.100.1'))).toBe('one address');
    expect(sharedBy(p('a', '198.51.100.1'), p('b', '198.51.100.200'))).toBe('one network prefix');
    expect(sharedBy(p('a', '198.51.100.1', 'op'), p('b', '192.0.2.1', 'op'))).toBe('one operator');
    expect(sharedBy(p('a', '198.51.100.1', null), p('b', '192.0.2.1', null))).toBeNull();
    expect(independentOf(p('c', '203.0.113.5'), [p('a', '198.51.100.1'), p('b', '192.0.2.1')])).toBe(true);
    expect(independentOf(p('c', '192.0.2.99'), [p('a', '198.51.100.1'), p('b', '192.0.2.1')])).toBe(false);
  });

  it('counts loopback PNodes as separate addresses only when told to (devnets)', () => {
    expect(isLoopback('127.3.4.5') && isLoopback('::1') && !isLoopback('10.0.0.1')).toBe(true);
    const dev = (pnode: string) => placeOf({ nodeId: pnode, address: '127.0.0.1', operator: null, session: pnode, devLoopback: true });
    expect(sharedBy(dev('a'), dev('b'))).toBeNull();
    const real = (pnode: string) => placeOf({ nodeId: pnode, address: '127.0.0.1', operator: null, session: pnode });
    expect(sharedBy(real('a'), real('b'))).toBe('one address');
  });
});
