import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { portableCrypto } from '../protocol/crypto/portable-provider.js';
import { nodeIdFromPublicKey } from '../protocol/did-key.js';
import { signArtifact } from '../protocol/signing.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { utf8 } from '../protocol/encoding/bytes.js';
import type { JsonObject } from '../protocol/artifacts.js';
import { DAY_MS, type NetworkDescriptor, type NetworkDescriptorInput, buildNetworkDescriptor, networkTrustRoots } from './network-descriptor.js';
import {
  INVITE_MAX_CHARS,
  INVITE_PREFIX,
  NETWORK_DESCRIPTOR_MAX_CLOCK_SKEW_MS,
  acceptNetworkDescriptor,
  descriptorHash,
  httpsInviteLink,
  inviteLink,
  isNewerVersion,
  parseInvite,
  referenceInviteLink,
} from './invite.js';

const crypto = portableCrypto;
const owner = crypto.ed25519Signer(new Uint8Array(32).fill(0x0a));
const stranger = crypto.ed25519Signer(new Uint8Array(32).fill(0x0b));
const nodeId = (byte: number) => nodeIdFromPublicKey(crypto.ed25519Signer(new Uint8Array(32).fill(byte)).publicKey);
const NOW = Date.parse('2026-11-21T12:00:00Z');
// A syntactically complete certificate block (the descriptor checks its armour, TLS its contents).
const CA_PEM = `-----BEGIN CERTIFICATE-----\n${'QUJD'.repeat(16)}\n${'REVG'.repeat(8)}\n-----END CERTIFICATE-----\n`;

function input(change: Partial<NetworkDescriptorInput> = {}): NetworkDescriptorInput {
  return {
    id: 'net:example-lab',
    name: 'Example lab',
    seeds: [{ nodeId: nodeId(1), url: 'wss://seed-1.example.org/peer' }],
    directories: ['https://directory.example.org'],
    orchestrators: [{ nodeId: nodeId(3), url: 'wss://orchestrator.example.org/peer' }],
    joinPolicy: 'open',
    createdAt: NOW,
    validForMs: 30 * DAY_MS,
    ...change,
  };
}

function build(change: Partial<NetworkDescriptorInput> = {}, signer = owner): NetworkDescriptor {
  const built = buildNetworkDescriptor(input(change), signer, crypto);
  if (!built.ok) throw built.error;
  return built.value;
}

function refusal(text: string): { code: string; detail: string } {
  const parsed = parseInvite(text);
  if (parsed.ok) throw new Error(`expected a refusal of ${text.slice(0, 80)}`);
  return { code: parsed.error.code, detail: parsed.error.detail };
}

describe('invite links', () => {
  it('a d1 link carries the descriptor, and the node accepts what it carries', () => {
    const descriptor = build({ trustRoots: [{ pem: CA_PEM, label: 'lab CA' }], descriptorUrl: 'https://example.org/network.json' });
    const link = inviteLink(descriptor);
    expect(link.startsWith(`${INVITE_PREFIX}d1/`)).toBe(true);
    const parsed = parseInvite(link);
    expect(parsed.ok && parsed.value.kind).toBe('descriptor');
    if (!parsed.ok || parsed.value.kind !== 'descriptor') return;
    const accepted = acceptNetworkDescriptor(parsed.value.descriptor, { crypto, now: NOW + DAY_MS });
    expect(accepted.ok).toBe(true);
    if (accepted.ok) {
      expect(accepted.value['network/id']).toBe('net:example-lab');
      expect(networkTrustRoots(accepted.value)).toEqual([CA_PEM]);
    }
  });

  it('the https page form and a link with spaces around it read the same', () => {
    const descriptor = build();
    const link = inviteLink(descriptor);
    const page = httpsInviteLink('https://example.org/join?lang=en#old', link);
    expect(page.startsWith('https://example.org/join?lang=en#join/d1/')).toBe(true);
    for (const text of [page, `  ${link}\n`, link.replace('pnode://', 'PNODE://')]) {
      const parsed = parseInvite(text);
      expect(parsed.ok && parsed.value.kind === 'descriptor' && parsed.value.descriptor).toEqual(JSON.parse(JSON.stringify(descriptor)));
    }
    expect(() => httpsInviteLink('http://example.org/join', link)).toThrow(/https/);
  });

  it('a u1 link names the URL and pins the signed version by the hash of its deterministic CBOR', () => {
    const descriptor = build();
    const link = referenceInviteLink('https://example.org/lab.json', descriptor, crypto);
    const parsed = parseInvite(link);
    expect(parsed.ok && parsed.value.kind).toBe('reference');
    if (!parsed.ok || parsed.value.kind !== 'reference') return;
    expect(parsed.value.url).toBe('https://example.org/lab.json');
    // Reformatted JSON is the same descriptor; a changed one is not.
    const reformatted = JSON.parse(JSON.stringify(descriptor, null, 4)) as NetworkDescriptor;
    expect(descriptorHash(reformatted, crypto)).toEqual(parsed.value.hash);
    expect(descriptorHash(build({ name: 'Other' }), crypto)).not.toEqual(parsed.value.hash);
  });

  it('refuses malformed, oversized and unknown invites with E_PROTO_INVALID and says why', () => {
    const link = inviteLink(build());
    const cases: Array<[string, RegExp]> = [
      ['hello', /not an invite/],
      ['pnode://settings/x', /must start with pnode:\/\/join\//],
      ['pnode://join/', /names no form/],
      ['pnode://join/d1/', /cut off/],
      ['pnode://join/d9/abc', /unknown form "d9"/],
      ['pnode://join/d1/***', /not base64url/],
      [`pnode://join/d1/${toBase64url(utf8('{"a":'))}`, /not JSON/],
      [`pnode://join/d1/${toBase64url(new Uint8Array([0xff, 0xfe]))}`, /not UTF-8/],
      [link.slice(0, link.length - 7), /not (base64url|JSON|UTF-8)/],
      ['https://example.org/join', /carries no invite/],
      ['pnode://join/u1/abc', /<url>\.<hash>/],
      [`pnode://join/u1/${toBase64url(utf8('https://x.org/a'))}.${toBase64url(new Uint8Array(8))}`, /hash is 8 bytes/],
      [`pnode://join/u1/${toBase64url(utf8('ftp://x.org/a'))}.${toBase64url(new Uint8Array(32))}`, /must be https/],
      [`pnode://join/u1/${toBase64url(utf8('https://me:pw@x.org/a'))}.${toBase64url(new Uint8Array(32))}`, /credentials/],
      [`pnode://join/d1/${'A'.repeat(INVITE_MAX_CHARS)}`, /longer than/],
    ];
    for (const [text, why] of cases) {
      const { code, detail } = refusal(text);
      expect(code, text.slice(0, 60)).toBe('E_PROTO_INVALID');
      expect(detail, text.slice(0, 60)).toMatch(why);
    }
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `pnode://join/d1/${s}`), fc.string().map((s) => `pnode://join/u1/${s}`)), (text) => {
        const parsed = parseInvite(text);
        expect(typeof parsed.ok).toBe('boolean');
      }),
    );
  });
});

describe('accepting a descriptor', () => {
  it('refuses a tampered descriptor (E_SIG_INVALID), an unsigned one, and one signed by a key that is not its owner', () => {
    const descriptor = build();
    const tampered = { ...descriptor, 'network/name': 'Evil lab' };
    expect(acceptNetworkDescriptor(tampered, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
    const { signature: _signature, ...unsigned } = descriptor;
    expect(acceptNetworkDescriptor(unsigned, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    // Claims the owner but is signed by someone else.
    const forged = signArtifact('network-descriptor.v1', { ...(descriptor as unknown as JsonObject), 'network/name': 'Forged' }, stranger);
    expect(acceptNetworkDescriptor(forged, { crypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
  });

  it('refuses an expired descriptor and one dated in the future beyond the clock skew (E_ADV_EXPIRED)', () => {
    const descriptor = build({ validForMs: DAY_MS });
    expect(acceptNetworkDescriptor(descriptor, { crypto, now: NOW + 2 * DAY_MS })).toMatchObject({ ok: false, error: { code: 'E_ADV_EXPIRED' } });
    expect(acceptNetworkDescriptor(descriptor, { crypto, now: NOW - NETWORK_DESCRIPTOR_MAX_CLOCK_SKEW_MS + 1 }).ok).toBe(true);
    const early = acceptNetworkDescriptor(descriptor, { crypto, now: NOW - NETWORK_DESCRIPTOR_MAX_CLOCK_SKEW_MS - 1_000 });
    expect(early).toMatchObject({ ok: false, error: { code: 'E_ADV_EXPIRED' } });
    expect(!early.ok && early.error.detail).toMatch(/not valid yet/);
  });

  it('refuses trust roots that are not certificates', () => {
    for (const [pem, why] of [
      ['-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n', /private key/],
      ['-----BEGIN PUBLIC KEY-----\nQUJD\n-----END PUBLIC KEY-----\n', /PUBLIC KEY block/],
      ['just text', /no PEM certificate/],
      [`${CA_PEM}trailing words`, /outside its certificate blocks/],
    ] as const) {
      const built = buildNetworkDescriptor(input({ trustRoots: [{ pem }] }), owner, crypto);
      expect(built.ok).toBe(false);
      if (!built.ok) expect(built.error.detail).toMatch(why);
    }
    const url = buildNetworkDescriptor(input({ descriptorUrl: 'ftp://example.org/x' }), owner, crypto);
    expect(url.ok).toBe(false);
  });

  it('a newer version is the same network and owner, signed later', () => {
    const current = build();
    expect(isNewerVersion(current, build({ createdAt: NOW + 1_000 }))).toBe(true);
    expect(isNewerVersion(current, build({ createdAt: NOW - 1_000 }))).toBe(false);
    expect(isNewerVersion(current, build({ createdAt: NOW + 1_000 }, stranger))).toBe(false);
    expect(isNewerVersion(current, build({ createdAt: NOW + 1_000, id: 'net:other' }))).toBe(false);
  });
});
