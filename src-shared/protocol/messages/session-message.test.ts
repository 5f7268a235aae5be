import { describe, expect, it } from 'vitest';
import { cloneJson, vectors } from '../../../tests/fixtures/vectors.js';
import { portableCrypto } from '../crypto/portable-provider.js';
import { encodeDeterministic } from '../encoding/dcbor.js';
import { concatBytes, utf8 } from '../encoding/bytes.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { nodeIdFromPublicKey, participantIdFromPublicKey } from '../did-key.js';
import { signArtifact } from '../signing.js';
import { signPassport } from '../passport.js';
import { ERROR_CODES, ProtocolError, type Result, errorClassOf } from '../errors.js';
import type { JsonObject } from '../artifacts.js';
import { formatTimestamp } from '../time.js';
import {
  MAX_SESSION_MESSAGE_BYTES,
  decodeSessionEnvelope,
  decodeSessionMessage,
  encodeSessionMessage,
  validateSessionBody,
} from './session-message.js';
import { SESSION_KINDS, isSessionKind } from './kinds.js';
import { MAX_ERROR_DETAIL_LENGTH, MAX_PING_NONCE_LENGTH, errorBody, isPongFor, makePing, makePong } from './core-bodies.js';
import type { BodyContext } from './body-codec.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const signer = portableCrypto.ed25519Signer(new Uint8Array(32).fill(7));
const nodeId = nodeIdFromPublicKey(signer.publicKey);
const participantId = participantIdFromPublicKey(signer.publicKey);
const other = portableCrypto.ed25519Signer(new Uint8Array(32).fill(8));
const ctx: BodyContext = { crypto: portableCrypto };

function exampleOf(schema: string): JsonObject {
  const example = vectors.valid_examples.find((e) => e.schema === `${schema}.schema.json`);
  if (!example) throw new Error(`no example for ${schema}`);
  return cloneJson(example.content);
}

/** The spec's example capability advertisement, re-issued and signed by `signer` at NOW. */
function capabilityAdvertisement(by = signer, at = NOW): JsonObject {
  const id = nodeIdFromPublicKey(by.publicKey);
  const adv = exampleOf('capability-advertisement.v1');
  adv['node/id'] = id;
  adv['published-at'] = formatTimestamp(at);
  adv['protocol/version'] = 'pnode/1';
  adv['capabilities/presented'] = (adv['capabilities/presented'] as JsonObject[]).map((p) => ({
    ...p,
    passport: signPassport(
      {
        ...(p['passport'] as JsonObject),
        node_id: id,
        'issuer/node_id': id,
        'issuer/participant_id': participantIdFromPublicKey(by.publicKey),
        issued_at: formatTimestamp(at),
        expires_at: formatTimestamp(at + 5 * 60_000),
      },
      by,
    ),
  }));
  return signArtifact('capability-advertisement.v1', adv, by);
}

function signalMarkerEnvelope(): JsonObject {
  const envelope = exampleOf('signal-marker-envelope.v1');
  envelope['sender/participant-id'] = participantId;
  return signArtifact('signal-marker-envelope.v1', envelope, signer);
}

function expectError<T>(result: Result<T>, code: string, detail?: RegExp | string): ProtocolError {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  expect(result.error.code).toBe(code);
  if (detail !== undefined) expect(result.error.detail).toMatch(detail);
  return result.error;
}

function expectThrows(fn: () => unknown, code: string, detail?: RegExp | string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).code).toBe(code);
  if (detail !== undefined) expect((caught as ProtocolError).detail).toMatch(detail);
}

/** The raw message map, encoded deterministically, bypassing encodeSessionMessage's checks. */
function raw(value: unknown): Uint8Array {
  return encodeDeterministic(value);
}

describe('session message registry', () => {
  it('knows the core session kinds and discovery', () => {
    expect([...SESSION_KINDS]).toEqual(expect.arrayContaining(['capability-advertisement.v1', 'error', 'ping', 'pong', 'signal-marker-envelope.v1', 'peer-exchange']));
    expect(isSessionKind('ping')).toBe(true);
    expect(isSessionKind('toString')).toBe(false);
    expect(isSessionKind('no-such-kind')).toBe(false);
  });
});

describe('session message codec: round trips', () => {
  const cases: Array<[string, () => unknown]> = [
    ['ping', () => makePing(NOW)],
    ['pong', () => makePong(makePing(NOW), NOW + 1000)],
    ['error', () => errorBody(new ProtocolError('E_HS_REPLAY', 'nonce seen'))],
    ['capability-advertisement.v1', () => capabilityAdvertisement()],
    ['signal-marker-envelope.v1', () => signalMarkerEnvelope()],
  ];
  for (const [kind, body] of cases) {
    it(`${kind} survives encode → decode unchanged`, () => {
      const value = body();
      const bytes = encodeSessionMessage(kind as 'ping', value as never);
      const decoded = decodeSessionMessage(bytes, { ...ctx, now: NOW, peerNodeId: nodeId });
      expect(decoded).toEqual({ ok: true, value: { kind, body: value } });
      if (decoded.ok) expect(encodeSessionMessage(kind as 'ping', decoded.value.body as never)).toEqual(bytes);
    });
  }

  it('writes the map deterministically: "body" sorts before "msg/kind"', () => {
    const bytes = encodeSessionMessage('ping', { nonce: 'n', ts: '2026-11-21T12:00:00Z' });
    const expected = concatBytes(
      fromHex('a2'),
      fromHex('64'), utf8('body'),
      fromHex('a2'), fromHex('62'), utf8('ts'), fromHex('74'), utf8('2026-11-21T12:00:00Z'), fromHex('65'), utf8('nonce'), fromHex('61'), utf8('n'),
      fromHex('68'), utf8('msg/kind'), fromHex('64'), utf8('ping'),
    );
    expect(toHex(bytes)).toBe(toHex(expected));
  });

  it('a pong echoes the nonce of its ping', () => {
    const ping = makePing(NOW);
    const pong = makePong(ping, NOW + 5000);
    expect(pong.nonce).toBe(ping.nonce);
    expect(pong.ts).toBe('2026-11-21T12:00:05Z');
    expect(isPongFor(ping, pong)).toBe(true);
    expect(isPongFor(makePing(NOW), pong)).toBe(false);
  });

  it('errorBody carries code, class and a bounded detail', () => {
    const body = errorBody(new ProtocolError('E_PROTO_INVALID', 'x'.repeat(MAX_ERROR_DETAIL_LENGTH + 10)));
    expect(body.class).toBe('protocol/invalid-contract');
    expect(body.detail.length).toBe(MAX_ERROR_DETAIL_LENGTH);
    expect(decodeSessionMessage(encodeSessionMessage('error', body), ctx).ok).toBe(true);
  });

  it('every one of the eleven codes travels in an error body', () => {
    for (const code of ERROR_CODES) {
      const bytes = encodeSessionMessage('error', { code, class: errorClassOf(code), detail: '' });
      expect(decodeSessionMessage(bytes, ctx).ok).toBe(true);
    }
  });
});

describe('session message codec: envelope rejections', () => {
  const ping = { nonce: 'n', ts: '2026-11-21T12:00:00Z' };

  it('refuses an unknown kind on the way in and on the way out', () => {
    expectError(decodeSessionMessage(raw({ 'msg/kind': 'peer-teleport', body: {} }), ctx), 'E_PROTO_INVALID', /unknown msg\/kind "peer-teleport"/);
    expectError(decodeSessionMessage(raw({ 'msg/kind': '__proto__', body: {} }), ctx), 'E_PROTO_INVALID', /unknown msg\/kind/);
    expectThrows(() => encodeSessionMessage('peer-teleport' as 'ping', ping), 'E_PROTO_INVALID', /unknown msg\/kind/);
  });

  it('refuses a kind that is not a string', () => {
    expectError(decodeSessionMessage(raw({ 'msg/kind': 7, body: {} }), ctx), 'E_PROTO_INVALID', /\["msg\/kind"\]: must be a string/);
  });

  it('needs exactly the two keys', () => {
    expectError(decodeSessionMessage(raw({ 'msg/kind': 'ping', body: ping, extra: 1 }), ctx), 'E_PROTO_INVALID', /\$\.extra: is not allowed/);
    expectError(decodeSessionMessage(raw({ 'msg/kind': 'ping' }), ctx), 'E_PROTO_INVALID', /\$\.body: is required/);
    expectError(decodeSessionMessage(raw({ body: ping }), ctx), 'E_PROTO_INVALID', /\["msg\/kind"\]: is required/);
  });

  it('needs a map', () => {
    expectError(decodeSessionMessage(raw(['ping', ping]), ctx), 'E_PROTO_INVALID', /must be a map/);
    expectError(decodeSessionMessage(raw('ping'), ctx), 'E_PROTO_INVALID', /must be a map/);
    expectError(decodeSessionMessage(new Uint8Array(0), ctx), 'E_PROTO_INVALID', /malformed CBOR/);
  });

  it('refuses CBOR that is not in deterministic form', () => {
    // Keys in insertion order ("msg/kind" before "body") instead of encoded-byte order.
    const unsorted = concatBytes(
      fromHex('a2'),
      fromHex('68'), utf8('msg/kind'), fromHex('64'), utf8('ping'),
      fromHex('64'), utf8('body'), raw(ping),
    );
    expectError(decodeSessionMessage(unsorted, ctx), 'E_PROTO_INVALID', /deterministic form/);
    // A map head in the long form (b9 0002) instead of a2.
    const canonical = encodeSessionMessage('ping', ping);
    const longHead = concatBytes(fromHex('b90002'), canonical.subarray(1));
    expectError(decodeSessionMessage(longHead, ctx), 'E_PROTO_INVALID', /deterministic form|more bytes than necessary/);
    // Trailing bytes after the item.
    expectError(decodeSessionMessage(concatBytes(canonical, fromHex('00')), ctx), 'E_PROTO_INVALID');
    // Indefinite-length map.
    const indefinite = concatBytes(fromHex('bf'), canonical.subarray(1), fromHex('ff'));
    expectError(decodeSessionMessage(indefinite, ctx), 'E_PROTO_INVALID');
  });

  it('refuses floats in a body, in and out', () => {
    // {"body": 1.5, "msg/kind": "ping"} with a float64.
    const withFloat = concatBytes(fromHex('a2'), fromHex('64'), utf8('body'), fromHex('fb3ff8000000000000'), fromHex('68'), utf8('msg/kind'), fromHex('64'), utf8('ping'));
    expectError(decodeSessionMessage(withFloat, ctx), 'E_PROTO_INVALID', /float/);
    // An integral value written as a float16 is not the deterministic form of that integer.
    const halfOne = concatBytes(fromHex('a2'), fromHex('64'), utf8('body'), fromHex('f93c00'), fromHex('68'), utf8('msg/kind'), fromHex('64'), utf8('ping'));
    expectError(decodeSessionMessage(halfOne, ctx), 'E_PROTO_INVALID');
    const adv = signalMarkerEnvelope();
    expectThrows(() => encodeSessionMessage('signal-marker-envelope.v1', { ...adv, weight: 0.5 }), 'E_PROTO_INVALID', /float.*\$\.body\.weight/);
  });

  it('refuses byte strings in a body (bodies are JSON values)', () => {
    const bytes = raw({ 'msg/kind': 'signal-marker-envelope.v1', body: { ...signalMarkerEnvelope(), blob: new Uint8Array([1, 2]) } });
    expectError(decodeSessionMessage(bytes, ctx), 'E_PROTO_INVALID', /byte string at \$\.body\.blob/);
    expectThrows(() => encodeSessionMessage('signal-marker-envelope.v1', { ...signalMarkerEnvelope(), blob: new Uint8Array(1) }), 'E_PROTO_INVALID', /byte string/);
  });

  it('accepts a message of exactly MAX_SESSION_MESSAGE_BYTES and refuses one byte more', () => {
    const base = signalMarkerEnvelope();
    const sized = (n: number): JsonObject => ({ ...base, 'marker/ref': 'r'.repeat(n) });
    let n = MAX_SESSION_MESSAGE_BYTES - raw({ 'msg/kind': 'signal-marker-envelope.v1', body: sized(0) }).length - 3;
    const sizeOf = (k: number) => raw({ 'msg/kind': 'signal-marker-envelope.v1', body: sized(k) }).length;
    while (sizeOf(n) < MAX_SESSION_MESSAGE_BYTES) n++;
    expect(sizeOf(n)).toBe(MAX_SESSION_MESSAGE_BYTES);
    expect(encodeSessionMessage('signal-marker-envelope.v1', sized(n)).length).toBe(MAX_SESSION_MESSAGE_BYTES);
    expect(decodeSessionEnvelope(raw({ 'msg/kind': 'signal-marker-envelope.v1', body: sized(n) })).ok).toBe(true);
    expectThrows(() => encodeSessionMessage('signal-marker-envelope.v1', sized(n + 1)), 'E_PROTO_INVALID', /over MAX_SESSION_MESSAGE_BYTES/);
    expectError(decodeSessionMessage(raw({ 'msg/kind': 'signal-marker-envelope.v1', body: sized(n + 1) }), ctx), 'E_PROTO_INVALID', /over MAX_SESSION_MESSAGE_BYTES/);
  });
});

describe('session message codec: core bodies', () => {
  const ts = '2026-11-21T12:00:00Z';

  for (const kind of ['ping', 'pong'] as const) {
    it(`${kind}: nonce and ts required, nothing else, bounded, ts is RFC 3339`, () => {
      const check = (body: unknown) => decodeSessionMessage(raw({ 'msg/kind': kind, body }), ctx);
      expect(check({ nonce: 'n', ts }).ok).toBe(true);
      expectError(check({ ts }), 'E_PROTO_INVALID', `${kind} $.body.nonce: is required`);
      expectError(check({ nonce: 'n' }), 'E_PROTO_INVALID', `${kind} $.body.ts: is required`);
      expectError(check({ nonce: 'n', ts, rtt: 3 }), 'E_PROTO_INVALID', `${kind} $.body.rtt: is not allowed`);
      expectError(check({ nonce: '', ts }), 'E_PROTO_INVALID', /\$\.body\.nonce: must NOT have fewer than 1/);
      expectError(check({ nonce: 'n'.repeat(MAX_PING_NONCE_LENGTH + 1), ts }), 'E_PROTO_INVALID', /\$\.body\.nonce: must NOT have more than 128/);
      expect(check({ nonce: 'n'.repeat(MAX_PING_NONCE_LENGTH), ts }).ok).toBe(true);
      expectError(check({ nonce: 'n', ts: 1700000000 }), 'E_PROTO_INVALID', /\$\.body\.ts: must be string/);
      expectError(check({ nonce: 'n', ts: '2026-11-21 12:00' }), 'E_PROTO_INVALID', /\$\.body\.ts: must match format "date-time"/);
      expectError(check('ping'), 'E_PROTO_INVALID', /\$\.body: must be object/);
      expectThrows(() => encodeSessionMessage(kind, { nonce: 'n' } as never), 'E_PROTO_INVALID', `${kind} $.body.ts: is required`);
    });
  }

  it('error: a known code with its own class and a bounded detail', () => {
    const check = (body: unknown) => decodeSessionMessage(raw({ 'msg/kind': 'error', body }), ctx);
    expect(check({ code: 'E_SIG_INVALID', class: 'signature/invalid', detail: 'bad' }).ok).toBe(true);
    expectError(check({ code: 'E_SIG_INVALID', class: 'handshake/unknown-ref', detail: 'x' }), 'E_PROTO_INVALID', 'error $.body.class: must be "signature/invalid" for code E_SIG_INVALID');
    expectError(check({ code: 'E_OOPS', class: 'signature/invalid', detail: 'x' }), 'E_PROTO_INVALID', /error \$\.body\.code: must be one of "E_TRANSPORT_UNAVAILABLE"/);
    expectError(check({ code: 'E_SIG_INVALID', class: 'nope', detail: 'x' }), 'E_PROTO_INVALID', /\$\.body\.class: must be one of/);
    expectError(check({ code: 'E_SIG_INVALID', class: 'signature/invalid' }), 'E_PROTO_INVALID', '$.body.detail: is required');
    expectError(check({ code: 'E_SIG_INVALID', class: 'signature/invalid', detail: 'x'.repeat(MAX_ERROR_DETAIL_LENGTH + 1) }), 'E_PROTO_INVALID', /\$\.body\.detail: must NOT have more than/);
    expectError(check({ code: 'E_SIG_INVALID', class: 'signature/invalid', detail: 'x', hint: 'y' }), 'E_PROTO_INVALID', '$.body.hint: is not allowed');
  });

  it('capability-advertisement.v1: the signed artifact, verified', () => {
    const adv = capabilityAdvertisement();
    const body = (b: unknown) => raw({ 'msg/kind': 'capability-advertisement.v1', body: b });
    expect(decodeSessionMessage(body(adv), ctx).ok).toBe(true);
    // A changed signed field.
    expectError(decodeSessionMessage(body({ ...adv, 'published-at': '2026-11-21T12:00:01Z' }), ctx), 'E_SIG_INVALID', /capability-advertisement\.v1 body: .*does not verify/);
    // Schema: core/messaging must be presented.
    const noMessaging = cloneJson(adv);
    noMessaging['capabilities/core'] = ['core/discovery'];
    noMessaging['capabilities/presented'] = (noMessaging['capabilities/presented'] as JsonObject[]).filter((p) => p['wire/name'] !== 'core/messaging');
    expectError(decodeSessionMessage(body(signArtifact('capability-advertisement.v1', noMessaging, signer)), ctx), 'E_PROTO_INVALID', /capability-advertisement\.v1 body/);
    // Signed by someone other than node/id.
    expectError(decodeSessionMessage(body(signArtifact('capability-advertisement.v1', adv, other)), ctx), 'E_SIG_INVALID');
    // Valid, but advertising another node than the session peer.
    expectError(
      decodeSessionMessage(body(adv), { ...ctx, peerNodeId: nodeIdFromPublicKey(other.publicKey) }),
      'E_PROTO_INVALID',
      'capability-advertisement.v1 $.body["node/id"]: names another node than the session peer',
    );
    // Expired passports, when the context gives a time.
    expect(decodeSessionMessage(body(adv), { ...ctx, now: NOW + 60_000 }).ok).toBe(true);
    expectError(decodeSessionMessage(body(adv), { ...ctx, now: NOW + 10 * 60_000 }), 'E_ADV_EXPIRED');
  });

  it('signal-marker-envelope.v1: the participant-signed artifact, verified', () => {
    const envelope = signalMarkerEnvelope();
    const body = (b: unknown) => raw({ 'msg/kind': 'signal-marker-envelope.v1', body: b });
    expect(decodeSessionMessage(body(envelope), ctx).ok).toBe(true);
    expectError(decodeSessionMessage(body({ ...envelope, 'marker/ref': 'signal-marker:other' }), ctx), 'E_SIG_INVALID');
    expectError(decodeSessionMessage(body({ ...envelope, 'message/kind': 'signal-marker.v1' }), ctx), 'E_PROTO_INVALID', /message\/kind/);
    const { 'created-at': _dropped, ...missing } = envelope;
    expectError(decodeSessionMessage(body(missing), ctx), 'E_PROTO_INVALID', /created-at/);
  });

  it('validateSessionBody checks a body on its own', () => {
    expect(validateSessionBody('ping', { nonce: 'n', ts }, ctx).ok).toBe(true);
    expectError(validateSessionBody('ping', { nonce: 'n' }, ctx), 'E_PROTO_INVALID', '$.body.ts');
  });
});
