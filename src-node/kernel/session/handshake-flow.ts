// One handshake exchange as a connection drives it, socket-free (spec digest §d.2):
//
//   initiator (dials)                                  responder (accepts)
//   const dial = startHandshake(ctx, {recipient})
//   send text dial.helloText  ───── hello ─────▶       const r = answerHello(ctx, text)
//                                                      r.ok ? send text r.value.ackText
//                                                           : send nothing, close
//   const s = dial.acceptAck(text)  ◀──── ack ──────   session = r.value.session (ready now)
//   s.ok ? session = s.value : close
//
// After that both sides use session.channel (binary frames) and the session message codec.
// Every failure is a Result carrying a ProtocolError (codes: handshake.ts) and is traced.
import type { CryptoProvider, X25519Agreement } from '../../../src-shared/protocol/crypto/provider.js';
import { type Result, attempt, fail, ok } from '../../../src-shared/protocol/errors.js';
import type { NodeId } from '../../../src-shared/protocol/did-key.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import type { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { PENDING_HELLO_TIMEOUT_MS } from '../../../src-shared/protocol/profile.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import type { Clock } from '../util/clock.js';
import type { TraceSink } from '../trace/trace-sink.js';
import {
  type HandshakeArtifact,
  type PeerPolicy,
  type SessionIntent,
  type ValidatedHandshake,
  MAX_HANDSHAKE_BYTES,
  buildAck,
  buildHello,
  validateHandshake,
} from './handshake.js';
import type { HandshakeNonceCache } from './nonce-cache.js';
import { type SessionRole, deriveSessionKeys } from './session-keys.js';
import { SecureChannel, type SecureChannelOptions } from './secure-channel.js';

/** Node-wide handshake settings, shared by every connection of the node. */
export interface HandshakeContext {
  readonly crypto: CryptoProvider;
  readonly identity: NodeIdentity;
  readonly clock: Clock;
  /** One per node (replays may come on any connection). */
  readonly nonces: HandshakeNonceCache;
  /** Blocked / allowlist decisions; a refusal is E_TRANSPORT_REJECTED. */
  readonly policy?: PeerPolicy | undefined;
  /** The private network's pre-shared key: we send a psk/proof and require one. */
  readonly psk?: Uint8Array | undefined;
  /** What we offer; defaults to OFFERED_CAPABILITIES. */
  readonly capabilities?: readonly string[] | undefined;
  readonly trace?: TraceSink | undefined;
  /** Channel limits (tests lower them). */
  readonly channel?: SecureChannelOptions | undefined;
}

/** Values normally fresh, fixed by tests and vectors. */
export interface FixedHandshakeValues {
  readonly ephemeral?: X25519Agreement | undefined;
  readonly handshakeId?: string | undefined;
  readonly nonce?: string | undefined;
}

export interface EstablishedSession {
  readonly role: SessionRole;
  /** "sess:" + base64url(SHA-256(hello signing input ‖ ack signing input)). */
  readonly sessionId: string;
  readonly transcriptHash: Uint8Array;
  /** Authenticated by the handshake signature. */
  readonly peerNodeId: NodeId;
  readonly peerPublicKey: Uint8Array;
  readonly peerCapabilities: readonly string[];
  /** The hello's `session/intent`. */
  readonly intent: SessionIntent | undefined;
  /** The peer's `terms/negotiated` (psk/proof included, if any). */
  readonly peerTerms: JsonObject | undefined;
  readonly hello: HandshakeArtifact;
  readonly ack: HandshakeArtifact;
  /** Seal outgoing session messages, open incoming binary frames. */
  readonly channel: SecureChannel;
}

function claimedSender(input: unknown): string | undefined {
  try {
    const value = typeof input === 'string' && input.length <= MAX_HANDSHAKE_BYTES ? (JSON.parse(input) as unknown) : input;
    const sender = (value as JsonObject | null)?.['sender/node-id'];
    return typeof sender === 'string' && sender.length <= 128 ? sender : undefined;
  } catch {
    return undefined;
  }
}

function traceRejected(ctx: HandshakeContext, error: ProtocolError, peer: string | undefined, mode: string): void {
  ctx.trace?.emit('handshake/rejected', { peer, detail: errorDetail(error, { mode }) });
}

function establish(
  ctx: HandshakeContext,
  role: SessionRole,
  peer: ValidatedHandshake,
  ephemeral: X25519Agreement,
  hello: { artifact: HandshakeArtifact; signingInput: Uint8Array },
  ack: { artifact: HandshakeArtifact; signingInput: Uint8Array },
): Result<EstablishedSession> {
  const keys = attempt(() =>
    deriveSessionKeys({
      crypto: ctx.crypto,
      role,
      ephemeral,
      staticKey: ctx.identity.staticX25519,
      peerPublicKey: peer.peerPublicKey,
      peerSessionPublicKey: peer.peerSessionPublicKey,
      helloSigningInput: hello.signingInput,
      ackSigningInput: ack.signingInput,
    }),
  );
  if (!keys.ok) return keys;
  const { sendKey, receiveKey, sessionId, transcriptHash } = keys.value;
  const channel = new SecureChannel(ctx.crypto, { sendKey, receiveKey }, ctx.channel);
  sendKey.fill(0);
  receiveKey.fill(0);
  const session: EstablishedSession = {
    role,
    sessionId,
    transcriptHash,
    peerNodeId: peer.peerNodeId,
    peerPublicKey: peer.peerPublicKey,
    peerCapabilities: peer.capabilities,
    intent: hello.artifact['session/intent'],
    peerTerms: peer.terms,
    hello: hello.artifact,
    ack: ack.artifact,
    channel,
  };
  ctx.trace?.emit('session/established', { peer: peer.peerNodeId, detail: { role, 'session/id': sessionId } });
  return ok(session);
}

// ---------------------------------------------------------------------------------------------
// Initiator

export interface DialOptions extends FixedHandshakeValues {
  /** The node we dial, when known (from a seed list or an advertisement): the ack must come from it. */
  readonly recipient?: string | undefined;
  readonly intent?: SessionIntent | undefined;
  readonly terms?: JsonObject | undefined;
}

export type InitiatorState = 'awaiting-ack' | 'established' | 'failed';

/** Our side of a dialed connection: holds the pending hello and our ephemeral key until the ack. */
export class HandshakeInitiator {
  readonly hello: HandshakeArtifact;
  /** Send this as the first (text) WebSocket message. */
  readonly helloText: string;
  readonly handshakeId: string;
  readonly sentAt: number;
  /** After this time (ms) the ack is refused (E_HS_UNKNOWN_REF); close the connection then. */
  readonly expiresAt: number;
  readonly recipient: string | undefined;
  private readonly helloSigningInput: Uint8Array;
  private ephemeral: X25519Agreement | undefined;
  private current: InitiatorState = 'awaiting-ack';

  constructor(
    private readonly ctx: HandshakeContext,
    options: DialOptions = {},
  ) {
    this.sentAt = ctx.clock.now();
    const built = buildHello({
      crypto: ctx.crypto,
      identity: ctx.identity,
      now: this.sentAt,
      recipient: options.recipient,
      intent: options.intent,
      capabilities: ctx.capabilities,
      terms: options.terms,
      psk: ctx.psk,
      ephemeral: options.ephemeral,
      handshakeId: options.handshakeId,
      nonce: options.nonce,
    });
    this.hello = built.artifact;
    this.helloText = built.text;
    this.helloSigningInput = built.signingInput;
    this.ephemeral = built.ephemeral;
    this.handshakeId = built.artifact['handshake/id'];
    this.expiresAt = this.sentAt + PENDING_HELLO_TIMEOUT_MS;
    this.recipient = options.recipient;
    ctx.trace?.emit('handshake/started', {
      peer: options.recipient,
      detail: { mode: 'hello', 'handshake/id': this.handshakeId, intent: options.intent ?? null },
    });
  }

  get state(): InitiatorState {
    return this.current;
  }

  /** True once the ack can no longer be accepted (answered, failed or timed out). */
  isExpired(now: number = this.ctx.clock.now()): boolean {
    return this.current !== 'awaiting-ack' || now > this.expiresAt;
  }

  /**
   * Takes the responder's first message (JSON text or bytes). One shot: whatever the outcome, the
   * pending hello is used up, and a second call fails with E_HS_UNKNOWN_REF.
   */
  acceptAck(input: unknown): Result<EstablishedSession> {
    const ephemeral = this.ephemeral;
    if (this.current !== 'awaiting-ack' || !ephemeral) {
      const result = fail('E_HS_UNKNOWN_REF', `no pending hello: ${this.handshakeId} was already answered or failed`);
      traceRejected(this.ctx, result.error, claimedSender(input), 'ack');
      return result;
    }
    this.ephemeral = undefined;
    const validated = validateHandshake(input, {
      crypto: this.ctx.crypto,
      self: this.ctx.identity.nodeId,
      now: this.ctx.clock.now(),
      expect: 'ack',
      nonces: this.ctx.nonces,
      policy: this.ctx.policy,
      psk: this.ctx.psk,
      pendingHello: { handshakeId: this.handshakeId, sentAt: this.sentAt, recipient: this.recipient },
    });
    if (!validated.ok) {
      this.current = 'failed';
      traceRejected(this.ctx, validated.error, claimedSender(input), 'ack');
      return validated;
    }
    const peer = validated.value;
    this.ctx.trace?.emit('handshake/accepted', { peer: peer.peerNodeId, detail: { mode: 'ack', 'handshake/id': this.handshakeId } });
    const session = establish(
      this.ctx,
      'initiator',
      peer,
      ephemeral,
      { artifact: this.hello, signingInput: this.helloSigningInput },
      { artifact: peer.artifact, signingInput: peer.signingInput },
    );
    if (!session.ok) {
      this.current = 'failed';
      traceRejected(this.ctx, session.error, peer.peerNodeId, 'ack');
      return session;
    }
    this.current = 'established';
    return session;
  }
}

/** Builds our hello; send `helloText`, then hand the first reply to `acceptAck`. */
export function startHandshake(ctx: HandshakeContext, options: DialOptions = {}): HandshakeInitiator {
  return new HandshakeInitiator(ctx, options);
}

// ---------------------------------------------------------------------------------------------
// Responder

export interface AnswerOptions extends FixedHandshakeValues {
  /** Our `session/intent` in the ack; defaults to the hello's. */
  readonly intent?: SessionIntent | undefined;
  readonly terms?: JsonObject | undefined;
}

export interface AnsweredHello {
  readonly ack: HandshakeArtifact;
  /** Send this as one text WebSocket message; the session is usable at once. */
  readonly ackText: string;
  readonly session: EstablishedSession;
}

/** Validates the initiator's first message and, if it is a good hello, builds the ack and the session. */
export function answerHello(ctx: HandshakeContext, input: unknown, options: AnswerOptions = {}): Result<AnsweredHello> {
  const now = ctx.clock.now();
  const validated = validateHandshake(input, {
    crypto: ctx.crypto,
    self: ctx.identity.nodeId,
    now,
    expect: 'hello',
    nonces: ctx.nonces,
    policy: ctx.policy,
    psk: ctx.psk,
  });
  if (!validated.ok) {
    traceRejected(ctx, validated.error, claimedSender(input), 'hello');
    return validated;
  }
  const peer = validated.value;
  ctx.trace?.emit('handshake/accepted', { peer: peer.peerNodeId, detail: { mode: 'hello', 'handshake/id': peer.artifact['handshake/id'] } });
  const built = buildAck({
    crypto: ctx.crypto,
    identity: ctx.identity,
    now,
    recipient: peer.peerNodeId,
    ackOf: peer.artifact['handshake/id'],
    intent: options.intent ?? peer.intent,
    capabilities: ctx.capabilities,
    terms: options.terms,
    psk: ctx.psk,
    ephemeral: options.ephemeral,
    handshakeId: options.handshakeId,
    nonce: options.nonce,
  });
  const session = establish(
    ctx,
    'responder',
    peer,
    built.ephemeral,
    { artifact: peer.artifact, signingInput: peer.signingInput },
    { artifact: built.artifact, signingInput: built.signingInput },
  );
  if (!session.ok) {
    traceRejected(ctx, session.error, peer.peerNodeId, 'hello');
    return session;
  }
  return ok({ ack: built.artifact, ackText: built.text, session: session.value });
}
