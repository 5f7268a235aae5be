import { describe, expect, it } from 'vitest';
import {
  ADVERTISEMENT_MAX_CLOCK_SKEW_MS,
  ADVERTISEMENT_MAX_LIFETIME_MS,
  MAX_ADVERTISED_ENDPOINTS,
  MAX_ENDPOINT_URL_BYTES,
  checkAdvertisedEndpoints,
  checkAdvertisementLifetime,
  checkEndpointUrl,
} from './advertisement-rules.js';
import { formatTimestamp } from './time.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const times = (advertisedAt: number, expiresAt: number) => ({ 'advertised-at': formatTimestamp(advertisedAt), 'expires-at': formatTimestamp(expiresAt) });

describe('the advertisement lifetime rule', () => {
  it('takes a lifetime up to the cap and advertised-at up to the skew ahead', () => {
    expect(checkAdvertisementLifetime(times(NOW, NOW + ADVERTISEMENT_MAX_LIFETIME_MS), NOW)).toEqual({ ok: true, value: { advertisedAt: NOW, expiresAt: NOW + ADVERTISEMENT_MAX_LIFETIME_MS } });
    expect(checkAdvertisementLifetime(times(NOW + ADVERTISEMENT_MAX_CLOCK_SKEW_MS, NOW + ADVERTISEMENT_MAX_CLOCK_SKEW_MS + 1_000), NOW).ok).toBe(true);
  });

  it('refuses one that lives a second longer, a far-future expiry, or advertised-at beyond the skew', () => {
    for (const [a, e] of [
      [NOW, NOW + ADVERTISEMENT_MAX_LIFETIME_MS + 1_000],
      [NOW, Date.parse('2999-01-01T00:00:00Z')],
      [NOW + ADVERTISEMENT_MAX_CLOCK_SKEW_MS + 1_000, NOW + ADVERTISEMENT_MAX_CLOCK_SKEW_MS + 60_000],
    ] as const) {
      const result = checkAdvertisementLifetime(times(a, e), NOW);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('E_PROTO_INVALID');
    }
    expect(checkAdvertisementLifetime({ 'advertised-at': 'yesterday', 'expires-at': 'tomorrow' }, NOW).ok).toBe(false);
  });
});

describe('endpoint URLs at the gate', () => {
  it('takes wss:// anywhere and ws:// to loopback', () => {
    for (const url of ['wss://node.example:7443/peer', 'wss://203.0.113.7/peer', 'wss://[2001:db8::1]:443/p', 'ws://127.0.0.1:9000/peer', 'ws://localhost:1/peer', 'ws://[::1]:2/peer']) {
      expect(checkEndpointUrl(url), url).toEqual({ ok: true, value: undefined });
    }
  });

  it('refuses other schemes, credentials, queries, fragments, no host, port 0, plain ws:// off loopback and long URLs', () => {
    const bad = [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'https://node.example/peer',
      'http://127.0.0.1:9/peer',
      'wss://user:pw@node.example/peer',
      'wss://user@node.example/peer',
      'wss://node.example/peer?x=1',
      'wss://node.example/peer#frag',
      'wss:///peer',
      'wss://node.example:0/peer',
      'ws://node.example/peer',
      'wss://node example/peer',
      'wss://nöde.example/peer',
      `wss://node.example/${'a'.repeat(MAX_ENDPOINT_URL_BYTES)}`,
      `wss://node.example/${'a'.repeat(12 * 1024)}`,
      'not a url',
      42,
    ];
    for (const url of bad) {
      const result = checkEndpointUrl(url);
      expect(result.ok, String(url).slice(0, 60)).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('E_PROTO_INVALID');
    }
  });

  it('checks every endpoint and their number, naming the one that fails', () => {
    const endpoint = (url: string) => ({ 'endpoint/url': url });
    expect(checkAdvertisedEndpoints([endpoint('wss://a.example/p'), endpoint('wss://b.example/p')]).ok).toBe(true);
    const second = checkAdvertisedEndpoints([endpoint('wss://a.example/p'), endpoint('file:///x')]);
    expect(second.ok === false && second.error.detail.startsWith('endpoints[1]')).toBe(true);
    expect(checkAdvertisedEndpoints(Array.from({ length: MAX_ADVERTISED_ENDPOINTS + 1 }, (_, i) => endpoint(`wss://n${i}.example/p`))).ok).toBe(false);
  });
});
