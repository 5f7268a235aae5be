import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { portableCrypto } from '../protocol/crypto/portable-provider.js';
import { nodeIdFromPublicKey, fingerprintFromPublicKey } from '../protocol/did-key.js';
import { signArtifact } from '../protocol/signing.js';
import { checkSchema } from '../protocol/schema-gate.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import type { JsonObject } from '../protocol/artifacts.js';
import {
  DAY_MS,
  NETWORK_PSK_LENGTH,
  type NetworkDescriptor,
  type NetworkDescriptorInput,
  buildNetworkDescriptor,
  descriptorExpiresAt,
  formatPsk,
  networkDhtBootstrap,
  networkDirectories,
  networkOrchestrators,
  networkProjects,
  parseDhtBootstrapNode,
  networkSeeds,
  parseNodeAtUrl,
  parsePsk,
  verifyNetworkDescriptor,
} from './network-descriptor.js';

const crypto = portableCrypto;
const owner = crypto.ed25519Signer(new Uint8Array(32).fill(0x0a));
const otherKey = crypto.ed25519Signer(new Uint8Array(32).fill(0x0b));
const nodeId = (byte: number) => nodeIdFromPublicKey(crypto.ed25519Signer(new Uint8Array(32).fill(byte)).publicKey);
const NOW = Date.parse('2026-11-21T12:00:00Z');

function input(change: Partial<NetworkDescriptorInput> = {}): NetworkDescriptorInput {
  return {
    id: 'net:example-lab',
    name: 'Example lab',
    seeds: [
      { nodeId: nodeId(1), url: 'wss://seed-1.example.org/peer', label: 'first seed' },
      { nodeId: nodeId(2), url: 'ws://127.0.0.1:7001/peer' },
    ],
    directories: ['https://directory.example.org/'],
    orchestrators: [{ nodeId: nodeId(3), url: 'wss://orchestrator.example.org/peer' }],
    joinPolicy: 'open',
    createdAt: NOW,
    validForMs: 30 * DAY_MS,
    ...change,
  };
}

function build(change: Partial<NetworkDescriptorInput> = {}): NetworkDescriptor {
  const built = buildNetworkDescriptor(input(change), owner, crypto);
  if (!built.ok) throw built.error;
  return built.value;
}

function expectRefused(change: Partial<NetworkDescriptorInput>, detail: string): void {
  const built = buildNetworkDescriptor(input(change), owner, crypto);
  expect(built.ok).toBe(false);
  if (built.ok) return;
  expect(built.error.code).toBe('E_PROTO_INVALID');
  expect(built.error.detail).toContain(detail);
}

/** The descriptor changed and signed again by the owner (so only the changed rule can fail). */
function resigned(change: (d: JsonObject) => void): JsonObject {
  const copy = JSON.parse(JSON.stringify(build())) as JsonObject;
  change(copy);
  return signArtifact('network-descriptor.v1', copy, owner);
}

describe('network-descriptor.v1: building and verifying', () => {
  it('builds a descriptor the owner signs, that verifies and reads back', () => {
    const d = build({ joinPolicy: 'psk', pskHint: 'ask the lab admin', registrationAuthorityKey: fingerprintFromPublicKey(otherKey.publicKey) });
    expect(d['owner/node-id']).toBe(nodeIdFromPublicKey(owner.publicKey));
    expect(d['created-at']).toBe('2026-11-21T12:00:00Z');
    expect(d['expires-at']).toBe('2026-12-21T12:00:00Z');
    expect(descriptorExpiresAt(d)).toBe(NOW + 30 * DAY_MS);
    expect(checkSchema('network-descriptor.v1', d).ok).toBe(true);
    const reread = verifyNetworkDescriptor(JSON.parse(JSON.stringify(d)), { crypto, now: NOW + DAY_MS });
    expect(reread.ok).toBe(true);
    expect(networkSeeds(d)).toEqual([
      { nodeId: nodeId(1), urls: ['wss://seed-1.example.org/peer'], label: 'first seed' },
      { nodeId: nodeId(2), urls: ['ws://127.0.0.1:7001/peer'] },
    ]);
    expect(networkDirectories(d)).toEqual(['https://directory.example.org/']);
    expect(networkOrchestrators(d)).toEqual([{ nodeId: nodeId(3), url: 'wss://orchestrator.example.org/peer' }]);
  });

  it('a descriptor with only a directory, or only an orchestrator, is enough to join', () => {
    expect(build({ seeds: [], orchestrators: [] }).directories).toHaveLength(1);
    expect(build({ seeds: [], directories: [] }).orchestrators).toHaveLength(1);
  });

  it('refuses a descriptor changed after signing (E_SIG_INVALID)', () => {
    const forged = { ...build(), 'network/name': 'Someone else’s lab' };
    expect(verifyNetworkDescriptor(forged, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
    const extraSeed = { ...build(), seeds: [...build().seeds, { 'node/id': nodeId(9), 'endpoint/url': 'wss://evil.example.org/peer' }] };
    expect(verifyNetworkDescriptor(extraSeed, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
  });

  it('refuses a descriptor signed by someone other than its owner (E_SIG_INVALID)', () => {
    const claimed = signArtifact('network-descriptor.v1', { ...build(), 'owner/node-id': nodeIdFromPublicKey(owner.publicKey) }, otherKey);
    expect(verifyNetworkDescriptor(claimed, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
  });

  it('refuses an owner id that is no key (E_SIG_UNKNOWN_SIGNER)', () => {
    const unresolvable = { ...build(), 'owner/node-id': 'node:did:key:z6MkhaXg' };
    expect(verifyNetworkDescriptor(unresolvable, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_SIG_UNKNOWN_SIGNER' } });
  });

  it('refuses an expired descriptor (E_ADV_EXPIRED), at and after expires-at', () => {
    const d = build();
    const expiry = descriptorExpiresAt(d);
    expect(verifyNetworkDescriptor(d, { crypto, now: expiry - 1_000 }).ok).toBe(true);
    for (const now of [expiry, expiry + DAY_MS]) {
      expect(verifyNetworkDescriptor(d, { crypto, now })).toMatchObject({ ok: false, error: { code: 'E_ADV_EXPIRED' } });
    }
  });

  it('refuses what the schema gate refuses (E_PROTO_INVALID with the path)', () => {
    const result = verifyNetworkDescriptor({ ...build(), 'join/policy': 'invite' }, { crypto, now: NOW });
    expect(result).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    if (!result.ok) expect(result.error.detail).toContain('$["join/policy"]');
  });

  it('holds up for any name, id and validity, and any change of the name breaks the signature', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 100 }),
        fc.stringMatching(/^[a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,2}$/),
        fc.integer({ min: 1, max: 3_650 }),
        (name, id, days) => {
          const built = buildNetworkDescriptor(input({ name, id: `net:${id}`, validForMs: days * DAY_MS }), owner, crypto);
          expect(built.ok).toBe(true);
          if (!built.ok) return;
          const tampered = { ...built.value, 'network/name': `${name}.` };
          expect(verifyNetworkDescriptor(tampered, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('network-descriptor.v1: rules beyond the schema (E_PROTO_INVALID)', () => {
  it('no entry point at all', () => expectRefused({ seeds: [], directories: [], orchestrators: [] }, 'at least one entry point'));
  it('a seed listed twice', () => expectRefused({ seeds: [{ nodeId: nodeId(1), url: 'wss://a.example.org/peer' }, { nodeId: nodeId(1), url: 'wss://b.example.org/peer' }] }, '$.seeds[1]["node/id"]: node:did:key:'));
  it('an orchestrator listed twice', () => expectRefused({ orchestrators: [{ nodeId: nodeId(3), url: 'wss://a.example.org/peer' }, { nodeId: nodeId(3), url: 'wss://a.example.org/peer' }] }, 'listed twice'));
  it('a seed id that matches the pattern but is no key', () => expectRefused({ seeds: [{ nodeId: 'node:did:key:z6MkhaXg', url: 'wss://a.example.org/peer' }] }, '$.seeds[0]["node/id"]: a key fingerprint must decode to 34 bytes'));
  it('a seed on https', () => expectRefused({ seeds: [{ nodeId: nodeId(1), url: 'https://a.example.org/peer' }] }, '$.seeds[0]["endpoint/url"]: must be a ws:// or wss:// URL'));
  it('a seed URL with credentials', () => expectRefused({ seeds: [{ nodeId: nodeId(1), url: 'wss://user:pw@a.example.org/peer' }] }, 'no credentials'));
  it('an orchestrator URL with a query', () => expectRefused({ orchestrators: [{ nodeId: nodeId(3), url: 'wss://a.example.org/peer?x=1' }] }, '$.orchestrators[0]["endpoint/url"]: must carry no query'));
  it('a directory on wss', () => expectRefused({ directories: ['wss://directory.example.org/'] }, '$.directories[0]: must be a http:// or https:// URL'));
  it('a psk hint on an open network', () => expectRefused({ pskHint: 'ask Ada' }, 'only a psk network has a psk hint'));
  it('a psk hint that holds a key', () => {
    const key = formatPsk(new Uint8Array(NETWORK_PSK_LENGTH).fill(7)).trim();
    expectRefused({ joinPolicy: 'psk', pskHint: `the key is ${key}` }, 'looks like a key');
    expectRefused({ joinPolicy: 'psk', pskHint: toBase64url(new Uint8Array(NETWORK_PSK_LENGTH).fill(9)) }, 'looks like a key');
  });
  it('a registration-authority/key that is no key', () => expectRefused({ registrationAuthorityKey: 'z6MkhaXg' }, '$["registration-authority/key"]'));
  it('expires-at not after created-at, even when signed', () => {
    const d = resigned((a) => (a['expires-at'] = a['created-at']));
    const result = verifyNetworkDescriptor(d, { crypto, now: NOW - DAY_MS });
    expect(result).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    if (!result.ok) expect(result.error.detail).toContain('must be after created-at');
  });
  it('a non-positive validity', () => expectRefused({ validForMs: 0 }, 'positive time'));
});

describe('network-descriptor.v1: projects allowed to submit work (issue 13 §1)', () => {
  const projectKey = fingerprintFromPublicKey(crypto.ed25519Signer(new Uint8Array(32).fill(0x31)).publicKey);
  const otherProject = fingerprintFromPublicKey(crypto.ed25519Signer(new Uint8Array(32).fill(0x32)).publicKey);

  it('lists project keys with what volunteers are shown, signed like the rest', () => {
    const d = build({ projects: [{ key: projectKey, name: 'Folding lab', description: 'Protein folding runs', url: 'https://lab.example.org/' }, { key: otherProject, name: 'Primes' }] });
    expect(networkProjects(d)).toEqual([
      { key: projectKey, name: 'Folding lab', description: 'Protein folding runs', url: 'https://lab.example.org/' },
      { key: otherProject, name: 'Primes' },
    ]);
    expect(verifyNetworkDescriptor(JSON.parse(JSON.stringify(d)), { crypto, now: NOW }).ok).toBe(true);
    const added = { ...d, projects: [...networkProjects(d), { key: fingerprintFromPublicKey(otherKey.publicKey), name: 'Intruder' }] };
    expect(verifyNetworkDescriptor(added, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
  });

  it('a descriptor without projects has none, and writes no empty list', () => {
    const d = build({ projects: [] });
    expect('projects' in d).toBe(false);
    expect(networkProjects(d)).toEqual([]);
  });

  it('refuses a key that is no key, a key listed twice, a URL that is not http(s), an unknown field', () => {
    expectRefused({ projects: [{ key: 'z6MkhaXg', name: 'x' }] }, '$.projects[0].key');
    expectRefused({ projects: [{ key: projectKey, name: 'a' }, { key: projectKey, name: 'b' }] }, '$.projects[1].key');
    expectRefused({ projects: [{ key: projectKey, name: 'a', url: 'ftp://lab.example.org/' }] }, '$.projects[0].url');
    expectRefused({ projects: [{ key: projectKey, name: 'a', url: 'https://u:p@lab.example.org/' }] }, 'no credentials');
    const extra = resigned((a) => (a['projects'] = [{ key: projectKey, name: 'a', quota: 5 }]));
    expect(verifyNetworkDescriptor(extra, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
  });
});

describe('<node-id>@<url>', () => {
  it('parses a seed', () => {
    expect(parseNodeAtUrl(`${nodeId(1)}@wss://a.example.org/peer`)).toEqual({ ok: true, value: { nodeId: nodeId(1), url: 'wss://a.example.org/peer' } });
  });
  it('refuses what is not one', () => {
    for (const text of ['', '@wss://a/peer', `${nodeId(1)}@`, `${nodeId(1)}`, 'node:did:key:z6MkhaXg@wss://a.example.org/peer', `${nodeId(1)}@https://a.example.org/`]) {
      expect(parseNodeAtUrl(text).ok, text).toBe(false);
    }
  });
});

describe('the network key (PSK)', () => {
  const key = Uint8Array.from({ length: NETWORK_PSK_LENGTH }, (_, i) => i * 7);

  it('reads 64 hex digits or unpadded base64url, with surrounding whitespace', () => {
    expect(parsePsk(formatPsk(key))).toEqual({ ok: true, value: key });
    expect(parsePsk(`  ${formatPsk(key).toUpperCase()}  `)).toEqual({ ok: true, value: key });
    expect(parsePsk(`${toBase64url(key)}\n`)).toEqual({ ok: true, value: key });
  });

  it('refuses anything that is not exactly 32 bytes', () => {
    for (const text of ['', 'not a key', '00'.repeat(31), '00'.repeat(33), toBase64url(new Uint8Array(31)), toBase64url(new Uint8Array(33)), `${toBase64url(key)}=`]) {
      expect(parsePsk(text).ok, JSON.stringify(text)).toBe(false);
    }
  });

  it('round-trips any key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        expect(parsePsk(formatPsk(bytes))).toEqual({ ok: true, value: bytes });
      }),
    );
  });
});

describe('DHT bootstrap nodes (issue 16)', () => {
  it('are optional: a descriptor without them names no DHT (and so runs none)', () => {
    const descriptor = build();
    expect(descriptor['dht/bootstrap']).toBeUndefined();
    expect(networkDhtBootstrap(descriptor)).toEqual([]);
  });

  it('are signed with the rest and read back as host and port', () => {
    const descriptor = build({ dhtBootstrap: ['203.0.113.7:49737', '127.0.0.1:30001'] });
    expect(descriptor['dht/bootstrap']).toEqual(['203.0.113.7:49737', '127.0.0.1:30001']);
    expect(networkDhtBootstrap(descriptor)).toEqual([
      { host: '203.0.113.7', port: 49737 },
      { host: '127.0.0.1', port: 30001 },
    ]);
    expect(verifyNetworkDescriptor(descriptor, { crypto, now: NOW }).ok).toBe(true);
  });

  it('refuses what is not an IPv4 unicast host:port, and a node listed twice', () => {
    for (const bad of ['node1.hyperdht.org:49737', '[::1]:49737', '10.0.0.1', '10.0.0.1:0', '10.0.0.1:65536', '256.1.1.1:1', '0.0.0.0:49737', '224.0.0.1:49737', '255.255.255.255:1', '01.2.3.4:5']) {
      expect(parseDhtBootstrapNode(bad).ok, bad).toBe(false);
      expect(buildNetworkDescriptor(input({ dhtBootstrap: [bad] }), owner, crypto).ok, bad).toBe(false);
    }
    expectRefused({ dhtBootstrap: ['198.51.100.1:49737', '198.51.100.1:49737'] }, 'dht/bootstrap');
    expectRefused({ dhtBootstrap: [] }, 'dht/bootstrap');
  });

  it('a forged list (changed after signing) fails the signature', () => {
    const descriptor = build({ dhtBootstrap: ['198.51.100.1:49737'] });
    const forged = { ...descriptor, 'dht/bootstrap': ['198.51.100.66:49737'] };
    const verified = verifyNetworkDescriptor(forged, { crypto, now: NOW });
    expect(verified.ok).toBe(false);
    if (!verified.ok) expect(verified.error.code).toBe('E_SIG_INVALID');
  });
});
