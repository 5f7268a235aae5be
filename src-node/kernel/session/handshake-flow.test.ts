import { describe, expect, it } from 'vitest';
import { portableCrypto } from '../../../src-shared/protocol/crypto/portable-provider.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { toHex } from '../../../src-shared/protocol/encoding/hex.js';
import { utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import type { Result } from '../../../src-shared/protocol/errors.js';
import { decodeSessionMessage, encodeSessionMessage } from '../../../src-shared/protocol/messages/session-message.js';
import { isPongFor, makePing, makePong } from '../../../src-shared/protocol/messages/core-bodies.js';
import { PENDING_HELLO_TIMEOUT_MS } from '../../../src-shared/protocol/profile.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import { type NodeIdentity, identityFromSeed } from '../identity/node-identity.js';
import { MemoryTraceSink } from '../trace/trace-sink.js';
import { ManualClock } from '../util/clock.js';
import { type EstablishedSession, type HandshakeContext, answerHello, startHandshake } from './handshake-flow.js';
import { blocklistPolicy, buildAck } from './handshake.js';
import { HandshakeNonceCache } from './nonce-cache.js';

const SEED_A = new Uint8Array(32).fill(0x0a);
const SEED_B = new Uint8Array(32).fill(0x0b);
const PSK = utf8('the devnet pre-shared key, 32 by');

interface Node {
  identity: NodeIdentity;
  ctx: HandshakeContext;
  trace: MemoryTraceSink;
}

function node(crypto: CryptoProvider, seed: Uint8Array, clock: ManualClock, extra: Partial<HandshakeContext> = {}): Node {
  const identity = identityFromSeed(seed, crypto, { createdAt: '2026-11-21T12:00:00Z' });
  const trace = new MemoryTraceSink(identity.nodeId, clock);
  return { identity, trace, ctx: { crypto, identity, clock, nonces: new HandshakeNonceCache(), trace, ...extra } };
}

function value<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

function expectError<T>(result: Result<T>, code: string, detail?: RegExp): void {
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.error.code).toBe(code);
    if (detail) expect(result.error.detail).toMatch(detail);
  }
}

/** A full exchange: a dials b. */
function connect(a: Node, b: Node): { initiator: EstablishedSession; responder: EstablishedSession } {
  const dial = startHandshake(a.ctx, { recipient: b.identity.nodeId, intent: 'peer-connect' });
  const answered = value(answerHello(b.ctx, dial.helloText));
  const initiator = value(dial.acceptAck(answered.ackText));
  return { initiator, responder: answered.session };
}

describe.each([
  ['portable', portableCrypto],
  ['native', nativeCrypto],
])('handshake flow (%s provider)', (_name, crypto: CryptoProvider) => {
  it('hello → ack → one session on both sides, talking over the encrypted channel', () => {
    const clock = new ManualClock();
    const a = node(crypto, SEED_A, clock);
    const b = node(crypto, SEED_B, clock);
    const { initiator, responder } = connect(a, b);

    expect(initiator.role).toBe('initiator');
    expect(responder.role).toBe('responder');
    expect(initiator.sessionId).toBe(responder.sessionId);
    expect(initiator.sessionId).toMatch(/^sess:[A-Za-z0-9_-]{43}$/);
    expect(initiator.peerNodeId).toBe(b.identity.nodeId);
    expect(responder.peerNodeId).toBe(a.identity.nodeId);
    expect(responder.intent).toBe('peer-connect');
    expect(initiator.intent).toBe('peer-connect');
    expect(initiator.ack['session/intent']).toBe('peer-connect');
    expect(initiator.peerCapabilities).toContain('core/messaging');
    expect(initiator.hello).toEqual(responder.hello);
    expect(initiator.ack).toEqual(responder.ack);

    // Session messages both ways: ping from the initiator, pong back.
    const ping = makePing(clock.now());
    const frame = initiator.channel.seal(encodeSessionMessage('ping', ping));
    const got = value(decodeSessionMessage(value(responder.channel.open(frame)), { crypto, peerNodeId: responder.peerNodeId }));
    expect(got).toEqual({ kind: 'ping', body: ping });
    const pongFrame = responder.channel.seal(encodeSessionMessage('pong', makePong(ping, clock.now())));
    const pong = value(decodeSessionMessage(value(initiator.channel.open(pongFrame)), { crypto }));
    expect(pong.kind === 'pong' && isPongFor(ping, pong.body)).toBe(true);
  });

  it('traces started, accepted, established on the way', () => {
    const clock = new ManualClock();
    const a = node(crypto, SEED_A, clock);
    const b = node(crypto, SEED_B, clock);
    const { initiator } = connect(a, b);
    expect(a.trace.events.map((e) => e['event/type'])).toEqual(['handshake/started', 'handshake/accepted', 'session/established']);
    expect(b.trace.events.map((e) => e['event/type'])).toEqual(['handshake/accepted', 'session/established']);
    expect(a.trace.ofType('session/established')[0]?.detail).toEqual({ role: 'initiator', 'session/id': initiator.sessionId });
    expect(b.trace.ofType('handshake/accepted')[0]?.peer).toBe(a.identity.nodeId);
  });

  it('a replayed hello is refused by the responder (E_HS_REPLAY) and traced', () => {
    const clock = new ManualClock();
    const a = node(crypto, SEED_A, clock);
    const b = node(crypto, SEED_B, clock);
    const dial = startHandshake(a.ctx, { recipient: b.identity.nodeId });
    expect(answerHello(b.ctx, dial.helloText).ok).toBe(true);
    expectError(answerHello(b.ctx, dial.helloText), 'E_HS_REPLAY');
    const rejected = b.trace.ofType('handshake/rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.peer).toBe(a.identity.nodeId);
    expect(rejected[0]?.detail).toMatchObject({ code: 'E_HS_REPLAY', class: 'handshake/replay-suspected', mode: 'hello' });
  });

  it('the pending hello is one-shot: a second ack is E_HS_UNKNOWN_REF', () => {
    const clock = new ManualClock();
    const a = node(crypto, SEED_A, clock);
    const b = node(crypto, SEED_B, clock);
    const dial = startHandshake(a.ctx, { recipient: b.identity.nodeId });
    const answered = value(answerHello(b.ctx, dial.helloText));
    expect(dial.state).toBe('awaiting-ack');
    expect(dial.acceptAck(answered.ackText).ok).toBe(true);
    expect(dial.state).toBe('established');
    expect(dial.isExpired()).toBe(true);
    expectError(dial.acceptAck(answered.ackText), 'E_HS_UNKNOWN_REF', /already answered/);
  });

  it('a failed ack uses the pending hello up too', () => {
    const clock = new ManualClock();
    const a = node(crypto, SEED_A, clock);
    const b = node(crypto, SEED_B, clock);
    const dial = startHandshake(a.ctx, { recipient: b.identity.nodeId });
    const answered = value(answerHello(b.ctx, dial.helloText));
    expectError(dial.acceptAck('not json'), 'E_PROTO_INVALID');
    expect(dial.state).toBe('failed');
    expectError(dial.acceptAck(answered.ackText), 'E_HS_UNKNOWN_REF');
  });

  it('an ack after PENDING_HELLO_TIMEOUT_MS is E_HS_UNKNOWN_REF', () => {
    const clock = new ManualClock();
    const a = node(crypto, SEED_A, clock);
    const b = node(crypto, SEED_B, clock);
    const dial = startHandshake(a.ctx, { recipient: b.identity.nodeId });
    expect(dial.expiresAt).toBe(dial.sentAt + PENDING_HELLO_TIMEOUT_MS);
    const answered = value(answerHello(b.ctx, dial.helloText));
    clock.advance(PENDING_HELLO_TIMEOUT_MS + 1);
    expect(dial.isExpired()).toBe(true);
    expectError(dial.acceptAck(answered.ackText), 'E_HS_UNKNOWN_REF', /timed out/);
    expect(a.trace.ofType('handshake/rejected')[0]?.detail).toMatchObject({ code: 'E_HS_UNKNOWN_REF', mode: 'ack' });
  });

  it('an ack from a node we did not dial is E_SIG_UNKNOWN_SIGNER', () => {
    const clock = new ManualClock();
    const a = node(crypto, SEED_A, clock);
    const b = node(crypto, SEED_B, clock);
    const mallory = node(crypto, new Uint8Array(32).fill(0x0c), clock);
    const dial = startHandshake(a.ctx, { recipient: b.identity.nodeId });
    const forged = buildAck({ crypto, identity: mallory.identity, now: clock.now(), recipient: a.identity.nodeId, ackOf: dial.handshakeId });
    expectError(dial.acceptAck(forged.text), 'E_SIG_UNKNOWN_SIGNER');
  });

  it('the responder refuses a hello meant for another node (wrong recipient)', () => {
    const clock = new ManualClock();
    const a = node(crypto, SEED_A, clock);
    const b = node(crypto, SEED_B, clock);
    const c = node(crypto, new Uint8Array(32).fill(0x0c), clock);
    const dial = startHandshake(a.ctx, { recipient: b.identity.nodeId });
    expectError(answerHello(c.ctx, dial.helloText), 'E_PROTO_INVALID', /wrong recipient/);
  });

  it('a blocked peer is refused with E_TRANSPORT_REJECTED', () => {
    const clock = new ManualClock();
    const a = node(crypto, SEED_A, clock);
    const b = node(crypto, SEED_B, clock, { policy: blocklistPolicy([node(crypto, SEED_A, clock).identity.nodeId]) });
    const dial = startHandshake(a.ctx, { recipient: b.identity.nodeId });
    expectError(answerHello(b.ctx, dial.helloText), 'E_TRANSPORT_REJECTED', /blocked/);
  });

  it('private network: both sides with the psk connect; a missing or different psk on either side is E_TRANSPORT_REJECTED', () => {
    const clock = new ManualClock();
    const withPsk = (seed: Uint8Array, psk: Uint8Array | undefined) => node(crypto, seed, clock, { psk });
    const both = connect(withPsk(SEED_A, PSK), withPsk(SEED_B, PSK));
    expect(both.initiator.sessionId).toBe(both.responder.sessionId);
    expect(typeof both.responder.peerTerms?.['psk/proof']).toBe('string');

    // The dialer has no psk: the responder refuses the hello.
    const outsider = withPsk(SEED_A, undefined);
    const member = withPsk(SEED_B, PSK);
    expectError(answerHello(member.ctx, startHandshake(outsider.ctx).helloText), 'E_TRANSPORT_REJECTED');
    // A different psk.
    const stranger = withPsk(SEED_A, utf8('some other network psk, 32 bytes'));
    expectError(answerHello(member.ctx, startHandshake(stranger.ctx).helloText), 'E_TRANSPORT_REJECTED', /wrong/);
    // The responder has no psk: it answers, but its ack carries no proof, and the dialer refuses it.
    const dialer = withPsk(SEED_A, PSK);
    const open = withPsk(SEED_B, undefined);
    const dial = startHandshake(dialer.ctx, { recipient: open.identity.nodeId });
    const answered = value(answerHello(open.ctx, dial.helloText));
    expectError(dial.acceptAck(answered.ackText), 'E_TRANSPORT_REJECTED', /needs a psk\/proof/);
  });

  it('a tampered frame ends the session on the receiving side', () => {
    const clock = new ManualClock();
    const { initiator, responder } = connect(node(crypto, SEED_A, clock), node(crypto, SEED_B, clock));
    const frame = initiator.channel.seal(encodeSessionMessage('ping', makePing(clock.now())));
    frame[3]! ^= 0x10;
    expectError(responder.channel.open(frame), 'E_PROTO_INVALID', /failed authentication/);
    expectError(responder.channel.open(initiator.channel.seal(encodeSessionMessage('ping', makePing(clock.now())))), 'E_PROTO_INVALID');
  });
});

describe('handshake flow across providers', () => {
  it('a portable node and a native node connect to each other', () => {
    const clock = new ManualClock();
    for (const [ca, cb] of [
      [portableCrypto, nativeCrypto],
      [nativeCrypto, portableCrypto],
    ] as const) {
      const { initiator, responder } = connect(node(ca, SEED_A, clock), node(cb, SEED_B, clock));
      expect(initiator.sessionId).toBe(responder.sessionId);
      const frame = responder.channel.seal(utf8('hi'));
      expect(value(initiator.channel.open(frame))).toEqual(utf8('hi'));
    }
  });

  it('given the same fixed inputs, both providers produce the same handshake texts, session id and frames, byte for byte', () => {
    const run = (crypto: CryptoProvider) => {
      const clock = new ManualClock();
      const a = node(crypto, SEED_A, clock, { psk: PSK });
      const b = node(crypto, SEED_B, clock, { psk: PSK });
      const dial = startHandshake(a.ctx, {
        recipient: b.identity.nodeId,
        intent: 'bootstrap',
        ephemeral: crypto.x25519FromSecret(new Uint8Array(32).fill(0xe1)),
        handshakeId: 'hs:01JVFIXEDHELLO',
        nonce: 'nonce:01JVFIXEDHELLO',
      });
      const answered = value(
        answerHello(b.ctx, dial.helloText, {
          ephemeral: crypto.x25519FromSecret(new Uint8Array(32).fill(0xe2)),
          handshakeId: 'hs:01JVFIXEDACK',
          nonce: 'nonce:01JVFIXEDACK',
        }),
      );
      const session = value(dial.acceptAck(answered.ackText));
      const frames = [
        session.channel.seal(encodeSessionMessage('ping', { nonce: 'nonce:p1', ts: '2026-11-21T12:00:00Z' })),
        answered.session.channel.seal(encodeSessionMessage('pong', { nonce: 'nonce:p1', ts: '2026-11-21T12:00:01Z' })),
      ].map(toHex);
      return { hello: dial.helloText, ack: answered.ackText, sessionId: session.sessionId, frames };
    };
    const portable = run(portableCrypto);
    const native = run(nativeCrypto);
    expect(native).toEqual(portable);
    expect(JSON.parse(portable.hello)['terms/negotiated']['psk/proof']).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
