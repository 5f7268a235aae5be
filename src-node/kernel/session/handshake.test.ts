import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { portableCrypto } from '../../../src-shared/protocol/crypto/portable-provider.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import { signArtifact, signingInput } from '../../../src-shared/protocol/signing.js';
import type { Result } from '../../../src-shared/protocol/errors.js';
import { checkSchema } from '../../../src-shared/protocol/schema-gate.js';
import {
  HANDSHAKE_MAX_CLOCK_SKEW_MS,
  OFFERED_CAPABILITIES,
  PENDING_HELLO_TIMEOUT_MS,
  PROTOCOL_VERSION,
} from '../../../src-shared/protocol/profile.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import { type NodeIdentity, identityFromSeed } from '../identity/node-identity.js';
import { ManualClock } from '../util/clock.js';
import {
  type BuiltHandshake,
  type ValidateHandshakeOptions,
  type ValidatedHandshake,
  MAX_HANDSHAKE_BYTES,
  allowlistPolicy,
  blocklistPolicy,
  buildAck,
  buildHello,
  validateHandshake,
} from './handshake.js';
import { HandshakeNonceCache } from './nonce-cache.js';
import { PSK_PROOF_LABEL, pskProof, verifyPskProof } from './psk-proof.js';

const PSK = utf8('correct horse battery staple, 32b');
const OTHER_PSK = utf8('another network entirely, 32 byte');

function expectError<T>(result: Result<T>, code: string, detail?: RegExp | string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.code).toBe(code);
  if (detail !== undefined) expect(result.error.detail).toMatch(detail);
}

function resign(artifact: JsonObject, identity: NodeIdentity): JsonObject {
  return signArtifact('peer-handshake.v1', artifact, identity.signer);
}

describe.each([
  ['portable', portableCrypto],
  ['native', nativeCrypto],
])('handshake (%s provider)', (_name, crypto: CryptoProvider) => {
  const alice = identityFromSeed(new Uint8Array(32).fill(1), crypto);
  const bob = identityFromSeed(new Uint8Array(32).fill(2), crypto);
  const carol = identityFromSeed(new Uint8Array(32).fill(3), crypto);

  function setup(): { clock: ManualClock; nonces: HandshakeNonceCache; hello: BuiltHandshake; validate: (input: unknown, over?: Partial<ValidateHandshakeOptions>) => Result<ValidatedHandshake> } {
    const clock = new ManualClock();
    const nonces = new HandshakeNonceCache();
    const hello = buildHello({ crypto, identity: alice, now: clock.now(), recipient: bob.nodeId, intent: 'peer-connect' });
    const validate = (input: unknown, over: Partial<ValidateHandshakeOptions> = {}) =>
      validateHandshake(input, { crypto, self: bob.nodeId, now: clock.now(), expect: 'hello', nonces, ...over });
    return { clock, nonces, hello, validate };
  }

  /** An ack from `from` to alice's pending hello, validated on alice's side. */
  function ackSetup() {
    const clock = new ManualClock();
    const nonces = new HandshakeNonceCache();
    const hello = buildHello({ crypto, identity: alice, now: clock.now(), recipient: bob.nodeId });
    const pendingHello = { handshakeId: hello.artifact['handshake/id'], sentAt: clock.now(), recipient: bob.nodeId };
    const ackFrom = (from: NodeIdentity, ackOf = hello.artifact['handshake/id']) =>
      buildAck({ crypto, identity: from, now: clock.now(), recipient: alice.nodeId, ackOf });
    const validate = (input: unknown, over: Partial<ValidateHandshakeOptions> = {}) =>
      validateHandshake(input, { crypto, self: alice.nodeId, now: clock.now(), expect: 'ack', nonces, pendingHello, ...over });
    return { clock, hello, ackFrom, validate, pendingHello };
  }

  describe('building', () => {
    it('a hello is a schema-valid, signed peer-handshake.v1 with our profile fields', () => {
      const { hello } = setup();
      const a = hello.artifact;
      expect(checkSchema('peer-handshake.v1', a).ok).toBe(true);
      expect(a['handshake/mode']).toBe('hello');
      expect(a['protocol/version']).toBe(PROTOCOL_VERSION);
      expect(a['transport/profile']).toBe('wss');
      expect(a['session/intent']).toBe('peer-connect');
      expect(a['recipient/node-id']).toBe(bob.nodeId);
      expect(a['sender/node-id']).toBe(alice.nodeId);
      expect(a['key/public']).toBe(alice.keyPublic);
      expect(a['session/pub']).toBe(toBase64url(hello.ephemeral.publicKey));
      expect(a['handshake/id']).toMatch(/^hs:[0-9A-Z]{26}$/);
      expect(a.nonce).toMatch(/^nonce:[0-9A-Z]{26}$/);
      expect(a.ts).toBe('2026-11-21T12:00:00Z');
      expect(a['capabilities/offered']).toEqual([...OFFERED_CAPABILITIES]);
      expect(a['ack/of-handshake-id']).toBeUndefined();
      expect(a['terms/negotiated']).toBeUndefined();
      expect(JSON.parse(hello.text)).toEqual(a);
      expect(hello.signingInput).toEqual(signingInput('peer-handshake.v1', a as unknown as JsonObject));
    });

    it('a hello without a known recipient leaves recipient/node-id out', () => {
      const hello = buildHello({ crypto, identity: alice, now: 0 });
      expect('recipient/node-id' in hello.artifact).toBe(false);
    });

    it('an ack names the hello it answers and its sender', () => {
      const ack = buildAck({ crypto, identity: bob, now: 0, recipient: alice.nodeId, ackOf: 'hs:X' });
      expect(ack.artifact['handshake/mode']).toBe('ack');
      expect(ack.artifact['ack/of-handshake-id']).toBe('hs:X');
      expect(ack.artifact['recipient/node-id']).toBe(alice.nodeId);
      expect(checkSchema('peer-handshake.v1', ack.artifact).ok).toBe(true);
    });

    it('a fresh ephemeral key, id and nonce every time', () => {
      const a = buildHello({ crypto, identity: alice, now: 0 }).artifact;
      const b = buildHello({ crypto, identity: alice, now: 0 }).artifact;
      expect(a['session/pub']).not.toBe(b['session/pub']);
      expect(a['handshake/id']).not.toBe(b['handshake/id']);
      expect(a.nonce).not.toBe(b.nonce);
    });

    it('with a psk, terms/negotiated carries psk/proof next to the given terms', () => {
      const hello = buildHello({ crypto, identity: alice, now: 0, psk: PSK, terms: { 'session/ttl-s': 30 } });
      const terms = hello.artifact['terms/negotiated']!;
      expect(terms['session/ttl-s']).toBe(30);
      expect(terms['psk/proof']).toBe(pskProof(crypto, PSK, hello.artifact));
    });
  });

  describe('psk proof', () => {
    it('is base64url(HMAC-SHA256(psk, "pnode-psk.v1" 0x00 ‖ handshake/id ‖ nonce ‖ session/pub ‖ sender/node-id))', () => {
      const fields = { 'handshake/id': 'hs:1', nonce: 'nonce:2', 'session/pub': 'A'.repeat(43), 'sender/node-id': alice.nodeId };
      const expected = createHmac('sha256', PSK)
        .update(`${PSK_PROOF_LABEL}\u0000hs:1nonce:2${'A'.repeat(43)}${alice.nodeId}`, 'utf8')
        .digest('base64url');
      expect(pskProof(crypto, PSK, fields)).toBe(expected);
      expect(verifyPskProof(crypto, PSK, fields, expected)).toBe(true);
      expect(verifyPskProof(crypto, OTHER_PSK, fields, expected)).toBe(false);
      expect(verifyPskProof(crypto, PSK, { ...fields, nonce: 'nonce:3' }, expected)).toBe(false);
      expect(verifyPskProof(crypto, PSK, fields, `${expected}A`)).toBe(false);
      expect(verifyPskProof(crypto, PSK, fields, expected.slice(0, -2))).toBe(false);
      expect(verifyPskProof(crypto, PSK, fields, 42)).toBe(false);
    });
  });

  describe('validating a hello', () => {
    it('accepts a good hello and hands back what the keys need', () => {
      const { hello, validate } = setup();
      const result = validate(hello.text);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.peerNodeId).toBe(alice.nodeId);
      expect(result.value.peerPublicKey).toEqual(alice.publicKey);
      expect(result.value.peerSessionPublicKey).toEqual(hello.ephemeral.publicKey);
      expect(result.value.signingInput).toEqual(hello.signingInput);
      expect(result.value.intent).toBe('peer-connect');
      expect(result.value.capabilities).toContain('core/messaging');
    });

    it('accepts the parsed object and UTF-8 bytes as well as text', () => {
      const parsed = setup();
      expect(parsed.validate(parsed.hello.artifact).ok).toBe(true);
      const bytes = setup();
      expect(bytes.validate(utf8(bytes.hello.text)).ok).toBe(true);
    });

    it('E_HS_REPLAY: the same hello twice', () => {
      const { hello, validate } = setup();
      expect(validate(hello.text).ok).toBe(true);
      expectError(validate(hello.text), 'E_HS_REPLAY', /nonce .* already seen/);
    });

    it('the nonce cache is per sender: another sender may use the same nonce', () => {
      const { hello, validate, clock } = setup();
      expect(validate(hello.text).ok).toBe(true);
      const fromCarol = buildHello({ crypto, identity: carol, now: clock.now(), nonce: hello.artifact.nonce });
      expect(validate(fromCarol.text).ok).toBe(true);
    });

    it('E_HS_REPLAY: ts too far in the past or the future; ±30 s is still fine', () => {
      for (const [offset, ok] of [
        [HANDSHAKE_MAX_CLOCK_SKEW_MS, true],
        [-HANDSHAKE_MAX_CLOCK_SKEW_MS, true],
        [HANDSHAKE_MAX_CLOCK_SKEW_MS + 1000, false],
        [-(HANDSHAKE_MAX_CLOCK_SKEW_MS + 1000), false],
      ] as const) {
        const { hello, validate, clock } = setup();
        clock.advance(offset);
        const result = validate(hello.text);
        if (ok) expect(result.ok).toBe(true);
        else expectError(result, 'E_HS_REPLAY', /outside ±30 s/);
      }
    });

    it('E_HS_REPLAY: a hello signed before the node started (the nonce cache’s floor), even inside the skew window', () => {
      const { hello, clock } = setup();
      const startedLater = new HandshakeNonceCache({ notBefore: clock.now() + 1_000 });
      clock.advance(2_000);
      const result = validateHandshake(hello.text, { crypto, self: bob.nodeId, now: clock.now(), expect: 'hello', nonces: startedLater });
      expectError(result, 'E_HS_REPLAY', /before this node started/);
      // Nothing was remembered, and a hello signed after the floor passes.
      expect(startedLater.size).toBe(0);
      const fresh = buildHello({ crypto, identity: alice, now: clock.now(), recipient: bob.nodeId });
      expect(validateHandshake(fresh.text, { crypto, self: bob.nodeId, now: clock.now(), expect: 'hello', nonces: startedLater }).ok).toBe(true);
    });

    it('E_SIG_INVALID: a tampered signature or a changed signed field', () => {
      const { hello, validate } = setup();
      const badSig = structuredClone(hello.artifact) as JsonObject & { signature: { value: string } };
      badSig.signature.value = `${badSig.signature.value[0] === 'A' ? 'B' : 'A'}${badSig.signature.value.slice(1)}`;
      expectError(validate(badSig), 'E_SIG_INVALID', /does not verify/);
      expectError(validate({ ...hello.artifact, 'session/intent': 'bootstrap' }), 'E_SIG_INVALID');
      expectError(validate({ ...hello.artifact, 'session/pub': toBase64url(new Uint8Array(32).fill(9)) }), 'E_SIG_INVALID');
      expectError(validate({ ...hello.artifact, signature: { alg: 'ed25519', value: 'short' } }), 'E_SIG_INVALID');
    });

    it('fields outside the signed map (protocol/version, transport/profile) may differ without breaking it', () => {
      const { hello, validate } = setup();
      const { 'transport/profile': _omitted, ...rest } = hello.artifact;
      expect(validate(rest).ok).toBe(true);
    });

    it('a forged hello does not burn the nonce: the genuine one is still accepted', () => {
      const { hello, validate } = setup();
      expectError(validate({ ...hello.artifact, 'session/intent': 'reconnect' }), 'E_SIG_INVALID');
      expect(validate(hello.text).ok).toBe(true);
    });

    it('E_SIG_UNKNOWN_SIGNER: key/public not the sender’s key, or a sender id that does not parse strictly', () => {
      const { clock, validate } = setup();
      const hello = buildHello({ crypto, identity: alice, now: clock.now() }).artifact as JsonObject;
      expectError(validate(resign({ ...hello, 'key/public': carol.keyPublic }, alice)), 'E_SIG_UNKNOWN_SIGNER', /key\/public does not match/);
      // Claims to be carol, signed by alice: the key binding holds, the signature does not.
      expectError(validate(resign({ ...hello, 'sender/node-id': carol.nodeId, 'key/public': carol.keyPublic }, alice)), 'E_SIG_INVALID');
      // Right alphabet, wrong bytes (not a 34-byte ed25519-pub multicodec).
      const bogus = 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2do';
      expectError(validate(resign({ ...hello, 'sender/node-id': bogus, 'key/public': bogus.slice('node:did:key:'.length) }, alice)), 'E_SIG_UNKNOWN_SIGNER', /cannot be resolved/);
    });

    it('E_PROTO_INVALID: a hello addressed to someone else (wrong recipient)', () => {
      const { clock, validate } = setup();
      const hello = buildHello({ crypto, identity: alice, now: clock.now(), recipient: carol.nodeId });
      expectError(validate(hello.text), 'E_PROTO_INVALID', /wrong recipient/);
    });

    it('E_PROTO_INVALID: a hello from our own node-id', () => {
      const { clock, validate } = setup();
      const hello = buildHello({ crypto, identity: bob, now: clock.now() });
      expectError(validate(hello.text), 'E_PROTO_INVALID', /our own node-id/);
    });

    it('E_PROTO_CAP_MISSING: core/messaging not offered, or no capabilities at all', () => {
      const { clock, validate } = setup();
      const without = buildHello({ crypto, identity: alice, now: clock.now(), capabilities: ['core/discovery'] });
      expectError(validate(without.text), 'E_PROTO_CAP_MISSING', /core\/messaging/);
      const { 'capabilities/offered': _none, ...rest } = buildHello({ crypto, identity: alice, now: clock.now() }).artifact;
      expectError(validate(resign(rest, alice)), 'E_PROTO_CAP_MISSING');
    });

    it('E_PROTO_VERSION: another or a missing protocol/version, checked before the schema', () => {
      const { hello, validate } = setup();
      expectError(validate({ ...hello.artifact, 'protocol/version': '0.1.0-mvp' }), 'E_PROTO_VERSION', /"0\.1\.0-mvp" is not supported/);
      expectError(validate({ ...hello.artifact, 'protocol/version': 'pnode/2' }), 'E_PROTO_VERSION');
      const { 'protocol/version': _v, ...noVersion } = hello.artifact;
      expectError(validate(noVersion), 'E_PROTO_VERSION', /missing/);
      expectError(validate({ 'protocol/version': 'pnode/9', whatever: true }), 'E_PROTO_VERSION');
    });

    it('E_PROTO_INVALID: garbage, not JSON, not an object, not UTF-8', () => {
      const { validate } = setup();
      expectError(validate('{"schema/v": 1,'), 'E_PROTO_INVALID', /not JSON/);
      expectError(validate('hello?'), 'E_PROTO_INVALID', /not JSON/);
      expectError(validate('[1,2,3]'), 'E_PROTO_INVALID', /JSON object/);
      expectError(validate('null'), 'E_PROTO_INVALID', /JSON object/);
      expectError(validate(''), 'E_PROTO_INVALID', /not JSON/);
      expectError(validate(Uint8Array.of(0x7b, 0xff, 0x7d)), 'E_PROTO_INVALID', /not UTF-8/);
      expectError(validate(42), 'E_PROTO_INVALID', /JSON object/);
    });

    it('E_PROTO_INVALID: a handshake of MAX_HANDSHAKE_BYTES is read, one byte more is not', () => {
      const { clock, validate } = setup();
      const padded = (n: number) => buildHello({ crypto, identity: alice, now: clock.now(), terms: { pad: 'p'.repeat(n) } }).text;
      let n = MAX_HANDSHAKE_BYTES - padded(0).length;
      while (utf8(padded(n)).length < MAX_HANDSHAKE_BYTES) n++;
      const exact = padded(n);
      expect(utf8(exact).length).toBe(MAX_HANDSHAKE_BYTES);
      expect(validate(exact).ok).toBe(true);
      expectError(validate(padded(n + 1)), 'E_PROTO_INVALID', /over MAX_HANDSHAKE_BYTES/);
      expectError(validate(utf8(padded(n + 1))), 'E_PROTO_INVALID', /over MAX_HANDSHAKE_BYTES/);
      // Counted in UTF-8 bytes, not characters.
      expectError(validate(`"${'€'.repeat(Math.ceil(MAX_HANDSHAKE_BYTES / 3))}"`), 'E_PROTO_INVALID', /over MAX_HANDSHAKE_BYTES/);
    });

    it('E_PROTO_INVALID: schema-invalid, with the failing path', () => {
      const { hello, validate } = setup();
      const { nonce: _n, ...noNonce } = hello.artifact;
      expectError(validate(noNonce), 'E_PROTO_INVALID', 'peer-handshake.v1 $.nonce: is required');
      expectError(validate({ ...hello.artifact, 'session/pub': 'abc' }), 'E_PROTO_INVALID', /\["session\/pub"\]: must match pattern/);
      expectError(validate({ ...hello.artifact, 'key/alg': 'rsa' }), 'E_PROTO_INVALID', /\["key\/alg"\]/);
      expectError(validate({ ...hello.artifact, 'handshake/mode': 'ack' }), 'E_PROTO_INVALID', /\["ack\/of-handshake-id"\]: is required/);
      expectError(validate({ ...hello.artifact, 'capabilities/offered': ['core/messaging', 'App/X'] }), 'E_PROTO_INVALID', /capabilities\/offered/);
    });

    it('E_PROTO_INVALID: an ack where a hello is expected', () => {
      const { clock, validate } = setup();
      const ack = buildAck({ crypto, identity: alice, now: clock.now(), recipient: bob.nodeId, ackOf: 'hs:1' });
      expectError(validate(ack.text), 'E_PROTO_INVALID', /expected a hello, got an ack/);
    });

    it('E_PROTO_INVALID: a non-canonical session/pub, or a float in the signed map', () => {
      const { hello, validate } = setup();
      // 43 characters hold 258 bits for 256: a canonical last character has its 2 low bits clear; "B" (1) does not.
      const nonCanonical = `${hello.artifact['session/pub'].slice(0, 42)}B`;
      expectError(validate(resign({ ...hello.artifact, 'session/pub': nonCanonical }, alice)), 'E_PROTO_INVALID', /session\/pub is not canonical/);
      expectError(validate({ ...hello.artifact, 'terms/negotiated': { 'session/ttl-s': 1.5 } }), 'E_PROTO_INVALID', /float/);
    });

    it('E_TRANSPORT_REJECTED: the policy hook refuses the sender', () => {
      const { hello, validate } = setup();
      expectError(validate(hello.text, { policy: blocklistPolicy([alice.nodeId]) }), 'E_TRANSPORT_REJECTED', /blocked/);
      expectError(validate(hello.text, { policy: allowlistPolicy([carol.nodeId]) }), 'E_TRANSPORT_REJECTED', /allowlist/);
      expect(validate(hello.text, { policy: allowlistPolicy([alice.nodeId]) }).ok).toBe(true);
    });

    it('the policy hook sees the claimed sender, mode and intent', () => {
      const { hello, validate } = setup();
      const seen: unknown[] = [];
      validate(hello.text, { policy: (claim) => (seen.push(claim), { allow: true }) });
      expect(seen).toEqual([{ nodeId: alice.nodeId, mode: 'hello', intent: 'peer-connect' }]);
    });

    it('psk: missing, wrong and correct proofs', () => {
      const { clock, validate } = setup();
      const plain = buildHello({ crypto, identity: alice, now: clock.now() });
      expectError(validate(plain.text, { psk: PSK }), 'E_TRANSPORT_REJECTED', /needs a psk\/proof/);
      const wrong = buildHello({ crypto, identity: alice, now: clock.now(), psk: OTHER_PSK });
      expectError(validate(wrong.text, { psk: PSK }), 'E_TRANSPORT_REJECTED', /psk\/proof is wrong/);
      const garbage = buildHello({ crypto, identity: alice, now: clock.now(), terms: { 'psk/proof': 'not base64url!' } });
      expectError(validate(garbage.text, { psk: PSK }), 'E_TRANSPORT_REJECTED', /wrong/);
      const right = buildHello({ crypto, identity: alice, now: clock.now(), psk: PSK });
      expect(validate(right.text, { psk: PSK }).ok).toBe(true);
      // A node without a psk ignores the proof.
      const another = buildHello({ crypto, identity: alice, now: clock.now(), psk: PSK });
      expect(validate(another.text).ok).toBe(true);
    });

    it('psk: the proof is covered by the signature', () => {
      const { clock, validate } = setup();
      const right = buildHello({ crypto, identity: alice, now: clock.now(), psk: PSK });
      const swapped = { ...right.artifact, 'terms/negotiated': { 'psk/proof': pskProof(crypto, OTHER_PSK, right.artifact) } };
      expectError(validate(swapped, { psk: OTHER_PSK }), 'E_SIG_INVALID');
    });
  });

  describe('validating an ack', () => {
    it('accepts the ack to our pending hello from the node we dialed', () => {
      const { ackFrom, validate } = ackSetup();
      const result = validate(ackFrom(bob).text);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.value.peerNodeId).toBe(bob.nodeId);
    });

    it('E_HS_UNKNOWN_REF: ack/of-handshake-id is not our pending hello, or there is none', () => {
      const { ackFrom, validate } = ackSetup();
      expectError(validate(ackFrom(bob, 'hs:01NOTOURS').text), 'E_HS_UNKNOWN_REF', /matches no pending hello/);
      expectError(validate(ackFrom(bob).text, { pendingHello: undefined }), 'E_HS_UNKNOWN_REF');
    });

    it('E_HS_UNKNOWN_REF: the pending hello timed out (30 s is still fine)', () => {
      const { ackFrom, validate, clock } = ackSetup();
      clock.advance(PENDING_HELLO_TIMEOUT_MS);
      expect(validate(ackFrom(bob).text).ok).toBe(true);
      clock.advance(1);
      expectError(validate(ackFrom(bob).text), 'E_HS_UNKNOWN_REF', /timed out/);
    });

    it('E_SIG_UNKNOWN_SIGNER: the ack comes from another node than the one we dialed', () => {
      const { ackFrom, validate } = ackSetup();
      expectError(validate(ackFrom(carol).text), 'E_SIG_UNKNOWN_SIGNER', /not from the node we dialed/);
    });

    it('without a known recipient, any node may answer', () => {
      const { ackFrom, validate, pendingHello } = ackSetup();
      expect(validate(ackFrom(carol).text, { pendingHello: { ...pendingHello, recipient: undefined } }).ok).toBe(true);
    });

    it('the floor is for hellos only: an ack signed before the node started is fine (it answers our own pending hello)', () => {
      const { ackFrom, validate, clock } = ackSetup();
      const ack = ackFrom(bob);
      expect(validate(ack.text, { nonces: new HandshakeNonceCache({ notBefore: clock.now() + 5_000 }) }).ok).toBe(true);
    });

    it('E_PROTO_INVALID: a hello where an ack is expected; E_HS_REPLAY for a replayed ack', () => {
      const { clock, ackFrom, validate } = ackSetup();
      const hello = buildHello({ crypto, identity: bob, now: clock.now() });
      expectError(validate(hello.text), 'E_PROTO_INVALID', /expected an ack, got a hello/);
      const ack = ackFrom(bob);
      expect(validate(ack.text).ok).toBe(true);
      expectError(validate(ack.text), 'E_HS_REPLAY');
    });

    it('the ack is held to the same rules (version, capabilities, psk)', () => {
      const { ackFrom, validate, clock, hello } = ackSetup();
      const ack = ackFrom(bob);
      expectError(validate({ ...ack.artifact, 'protocol/version': '0.1.0-mvp' }), 'E_PROTO_VERSION');
      const noMessaging = buildAck({ crypto, identity: bob, now: clock.now(), recipient: alice.nodeId, ackOf: hello.artifact['handshake/id'], capabilities: ['core/keepalive'] });
      expectError(validate(noMessaging.text), 'E_PROTO_CAP_MISSING');
      expectError(validate(ack.text, { psk: PSK }), 'E_TRANSPORT_REJECTED');
    });
  });
});
