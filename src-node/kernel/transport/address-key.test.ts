import { describe, expect, it } from 'vitest';
import { UNKNOWN_ADDRESS_KEY, addressKey, prefixKey } from './address-key.js';

describe('the per-source key of an address', () => {
  it('is the IPv4 address itself, also when IPv4-mapped', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('127.0.0.2')).not.toBe(addressKey('127.0.0.1'));
  });

  it('is the /64 of an IPv6 address, whatever the host part and zone', () => {
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('2001:DB8:1:2::1')).toBe(addressKey('2001:db8:1:2::2'));
  });

  it('is one shared key for what cannot be read', () => {
    for (const bad of [undefined, '', 'not an address', '1:2:3', '1::2::3', 'g::1']) expect(addressKey(bad)).toBe(UNKNOWN_ADDRESS_KEY);
  });
});

describe('the neighbourhood of an address', () => {
  it('is the IPv4 /24 and the IPv6 /48', () => {
    expect(prefixKey('203.0.113.7')).toBe('203.0.113.0/24');
    expect(prefixKey('::ffff:203.0.113.200')).toBe('203.0.113.0/24');
    expect(prefixKey('203.0.114.7')).not.toBe(prefixKey('203.0.113.7'));
    expect(prefixKey('2001:db8:1:2::9')).toBe('2001:db8:1::/48');
    expect(prefixKey('2001:db8:1:ffff::9')).toBe('2001:db8:1::/48');
    expect(prefixKey(undefined)).toBe(UNKNOWN_ADDRESS_KEY);
  });
});
