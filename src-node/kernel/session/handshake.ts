// The signed two-message handshake (spec digest §c.3, §d; DESIGN.md §5): building a hello or an
// ack as a `peer-handshake.v1` artifact, and validating one that arrives. Pure apart from the
// nonce cache it is handed; handshake-flow.ts drives a whole exchange for a connection.
//
// Validation runs the checks below in this order: cheap checks first, the signature before
// anything is remembered (the nonce is recorded only after the signature verified). Every
// rejection is a ProtocolError with the code shown.
//
// | #  | check                                                                          | code                  |
// |----|--------------------------------------------------------------------------------|-----------------------|
// | 1  | text/bytes larger than MAX_HANDSHAKE_BYTES                                     | E_PROTO_INVALID       |
// | 2  | bytes not UTF-8, text not JSON, JSON not an object                             | E_PROTO_INVALID       |
// | 3  | `protocol/version` missing or not in SUPPORTED_PROTOCOL_VERSIONS (fail closed) | E_PROTO_VERSION       |
// | 4  | schema gate (peer-handshake.v1), with the failing path                         | E_PROTO_INVALID       |
// | 5  | `handshake/mode` is not the one expected (hello on responder, ack on initiator) | E_PROTO_INVALID       |
// | 6  | ack: no pending hello, `ack/of-handshake-id` not ours, or the hello timed out   | E_HS_UNKNOWN_REF      |
// |    |      (PENDING_HELLO_TIMEOUT_MS; checked before `ts` so a late ack says so)      |                       |
// | 7  | `ts` unreadable                                                                | E_PROTO_INVALID       |
// | 8  | `ts` more than HANDSHAKE_MAX_CLOCK_SKEW_MS from our clock, either direction     | E_HS_REPLAY           |
// | 8b | hello: `ts` before the node started (nonces.notBefore; replay-guard.ts)         | E_HS_REPLAY           |
// | 9  | `recipient/node-id` present and not our node-id ("wrong recipient")            | E_PROTO_INVALID       |
// | 10 | `sender/node-id` not a strictly valid node id, or `key/public` not its key      | E_SIG_UNKNOWN_SIGNER  |
// | 11 | `sender/node-id` is our own node-id (self-dial or a reflected handshake)       | E_PROTO_INVALID       |
// | 12 | ack: we dialed a specific node-id and the ack's sender is another              | E_SIG_UNKNOWN_SIGNER  |
// | 13 | caller's policy hook refuses the (still unauthenticated) sender                | E_TRANSPORT_REJECTED  |
// | 14 | `core/messaging` not in `capabilities/offered`                                  | E_PROTO_CAP_MISSING   |
// | 15 | `session/pub` not canonical unpadded base64url of 32 bytes                     | E_PROTO_INVALID       |
// | 16 | we hold a PSK and `terms/negotiated["psk/proof"]` is missing or wrong           | E_TRANSPORT_REJECTED  |
// | 17 | (sender, nonce) already seen within NONCE_CACHE_TTL_MS                          | E_HS_REPLAY           |
// | 18 | signed map not encodable (float, too deep, ...)                                | E_PROTO_INVALID       |
// | 19 | Ed25519 signature does not verify                                              | E_SIG_INVALID         |
// | -- | then: the nonce is recorded; a hello signed in the current second or later     |                       |
// |    |      also in the replay journal (replay-guard.ts), and if that write fails:    | E_TRANSPORT_UNAVAILABLE |
import type { CryptoProvider, X25519Agreement } from '../../../src-shared/protocol/crypto/provider.js';
import { X25519_KEY_LENGTH } from '../../../src-shared/protocol/crypto/provider.js';
import { ProtocolError, type Result, attempt } from '../../../src-shared/protocol/errors.js';
import { type NodeId, fingerprintOf, parseNodeId } from '../../../src-shared/protocol/did-key.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import { checkSchema } from '../../../src-shared/protocol/schema-gate.js';
import { type ArtifactSignature, decodeSignature, signArtifact, signingInput } from '../../../src-shared/protocol/signing.js';
import { fromBase64url, toBase64url } from '../../../src-shared/protocol/encoding/base64url.js';
import { fromUtf8, utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import { newId } from '../../../src-shared/protocol/ids.js';
import { formatTimestamp, parseTimestamp } from '../../../src-shared/protocol/time.js';
import {
  HANDSHAKE_MAX_CLOCK_SKEW_MS,
  OFFERED_CAPABILITIES,
  PENDING_HELLO_TIMEOUT_MS,
  PROTOCOL_VERSION,
  REQUIRED_CAPABILITY,
  SUPPORTED_PROTOCOL_VERSIONS,
  TRANSPORT_PROFILE,
} from '../../../src-shared/protocol/profile.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import type { HandshakeNonceCache } from './nonce-cache.js';
import { PSK_PROOF_FIELD, pskProof, verifyPskProof } from './psk-proof.js';

export const HANDSHAKE_SCHEMA = 'peer-handshake.v1';
/** Largest handshake text accepted, in UTF-8 bytes (ours are well under 2 KiB). */
export const MAX_HANDSHAKE_BYTES = 8 * 1024;

export type HandshakeMode = 'hello' | 'ack';
export type SessionIntent = 'bootstrap' | 'peer-connect' | 'reconnect';

/** peer-handshake.v1 as we build it and as it is after the schema gate. */
export interface HandshakeArtifact {
  readonly 'schema/v': 1;
  readonly 'handshake/id': string;
  readonly 'handshake/mode': HandshakeMode;
  readonly 'ack/of-handshake-id'?: string;
  readonly ts: string;
  readonly 'sender/node-id': string;
  readonly 'recipient/node-id'?: string;
  readonly 'key/alg': 'ed25519';
  readonly 'key/public': string;
  readonly 'session/pub': string;
  readonly 'protocol/version'?: string;
  readonly 'transport/profile'?: 'wss';
  readonly 'session/intent'?: SessionIntent;
  readonly nonce: string;
  readonly 'capabilities/offered'?: readonly string[];
  readonly 'terms/negotiated'?: JsonObject;
  readonly signature: ArtifactSignature;
  readonly [extra: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Building

export interface BuildHandshakeOptions {
  readonly crypto: CryptoProvider;
  readonly identity: NodeIdentity;
  /** Milliseconds since the epoch, for `ts` (and the ids' time part). */
  readonly now: number;
  readonly intent?: SessionIntent | undefined;
  /** Defaults to OFFERED_CAPABILITIES. */
  readonly capabilities?: readonly string[] | undefined;
  readonly terms?: JsonObject | undefined;
  /** When given, `terms/negotiated["psk/proof"]` is added. */
  readonly psk?: Uint8Array | undefined;
  /** A fresh ephemeral key is made unless one is given (tests and vectors pass a fixed one). */
  readonly ephemeral?: X25519Agreement | undefined;
  /** Fresh `hs:…` / `nonce:…` ids unless given (tests and vectors). */
  readonly handshakeId?: string | undefined;
  readonly nonce?: string | undefined;
}

export interface BuildHelloOptions extends BuildHandshakeOptions {
  /** The node we dial, when we know it. */
  readonly recipient?: string | undefined;
}

export interface BuildAckOptions extends BuildHandshakeOptions {
  /** The hello's sender. */
  readonly recipient: string;
  /** The hello's `handshake/id`. */
  readonly ackOf: string;
}

export interface BuiltHandshake {
  readonly artifact: HandshakeArtifact;
  /** The JSON text to send as one WebSocket text message. */
  readonly text: string;
  readonly signingInput: Uint8Array;
  /** Our ephemeral key for this session; keep it until the session keys are derived. */
  readonly ephemeral: X25519Agreement;
}

function build(mode: HandshakeMode, options: BuildHandshakeOptions, recipient: string | undefined, ackOf: string | undefined): BuiltHandshake {
  const { crypto, identity, now } = options;
  const ephemeral = options.ephemeral ?? crypto.x25519Ephemeral();
  const handshakeId = options.handshakeId ?? newId('hs', now);
  const nonce = options.nonce ?? newId('nonce', now);
  const sessionPub = toBase64url(ephemeral.publicKey);
  let terms = options.terms ? { ...options.terms } : undefined;
  if (options.psk) {
    const proof = pskProof(crypto, options.psk, { 'handshake/id': handshakeId, nonce, 'session/pub': sessionPub, 'sender/node-id': identity.nodeId });
    terms = { ...(terms ?? {}), [PSK_PROOF_FIELD]: proof };
  }
  const unsigned: JsonObject = {
    'schema/v': 1,
    'handshake/id': handshakeId,
    'handshake/mode': mode,
    ...(ackOf !== undefined ? { 'ack/of-handshake-id': ackOf } : {}),
    ts: formatTimestamp(now),
    'sender/node-id': identity.nodeId,
    ...(recipient !== undefined ? { 'recipient/node-id': recipient } : {}),
    'key/alg': 'ed25519',
    'key/public': identity.keyPublic,
    'session/pub': sessionPub,
    'protocol/version': PROTOCOL_VERSION,
    'transport/profile': TRANSPORT_PROFILE,
    ...(options.intent !== undefined ? { 'session/intent': options.intent } : {}),
    nonce,
    'capabilities/offered': [...(options.capabilities ?? OFFERED_CAPABILITIES)],
    ...(terms !== undefined ? { 'terms/negotiated': terms } : {}),
  };
  const artifact = signArtifact(HANDSHAKE_SCHEMA, unsigned, identity.signer) as unknown as HandshakeArtifact;
  return { artifact, text: JSON.stringify(artifact), signingInput: signingInput(HANDSHAKE_SCHEMA, artifact as unknown as JsonObject), ephemeral };
}

/** A signed hello. `recipient/node-id` is set when `recipient` is given. */
export function buildHello(options: BuildHelloOptions): BuiltHandshake {
  return build('hello', options, options.recipient, undefined);
}

/** A signed ack to the hello `ackOf` from `recipient`. */
export function buildAck(options: BuildAckOptions): BuiltHandshake {
  return build('ack', options, options.recipient, options.ackOf);
}

// ---------------------------------------------------------------------------------------------
// Validating

/** Our hello waiting for its ack. */
export interface PendingHello {
  readonly handshakeId: string;
  /** When the hello was built (ms); it expires PENDING_HELLO_TIMEOUT_MS later. */
  readonly sentAt: number;
  /** The node we dialed, when we dialed a specific one. */
  readonly recipient?: string | undefined;
}

/** What the policy hook sees: the sender's claim, not yet authenticated (the signature comes later). */
export interface PeerClaim {
  readonly nodeId: NodeId;
  readonly mode: HandshakeMode;
  readonly intent: SessionIntent | undefined;
}

export type PolicyVerdict = { readonly allow: true } | { readonly allow: false; readonly reason: string };

/** Blocked lists, allowlist-only mode, ...: a refusal becomes E_TRANSPORT_REJECTED. Must not keep state. */
export type PeerPolicy = (claim: PeerClaim) => PolicyVerdict;

export const ALLOW_ALL_PEERS: PeerPolicy = () => ({ allow: true });

/** A policy that admits only the listed node ids. */
export function allowlistPolicy(allowed: Iterable<string>): PeerPolicy {
  const set = new Set(allowed);
  return (claim) => (set.has(claim.nodeId) ? { allow: true } : { allow: false, reason: 'not on the allowlist' });
}

/** A policy that refuses the listed node ids. */
export function blocklistPolicy(blocked: Iterable<string>): PeerPolicy {
  const set = new Set(blocked);
  return (claim) => (set.has(claim.nodeId) ? { allow: false, reason: 'blocked' } : { allow: true });
}

export interface ValidateHandshakeOptions {
  readonly crypto: CryptoProvider;
  /** Our node id. */
  readonly self: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** `hello` on the responder, `ack` on the initiator. */
  readonly expect: HandshakeMode;
  readonly nonces: HandshakeNonceCache;
  readonly policy?: PeerPolicy | undefined;
  /** When given, the handshake must carry a valid `psk/proof`. */
  readonly psk?: Uint8Array | undefined;
  /** Required when expecting an ack. */
  readonly pendingHello?: PendingHello | undefined;
}

export interface ValidatedHandshake {
  readonly artifact: HandshakeArtifact;
  /** `peer-handshake.v1` 0x00 ‖ dcbor(signed map): part of the session-key transcript. */
  readonly signingInput: Uint8Array;
  readonly peerNodeId: NodeId;
  /** The peer's Ed25519 public key. */
  readonly peerPublicKey: Uint8Array;
  /** The peer's ephemeral X25519 public key (`session/pub`). */
  readonly peerSessionPublicKey: Uint8Array;
  readonly capabilities: readonly string[];
  readonly intent: SessionIntent | undefined;
  readonly terms: JsonObject | undefined;
}

function reject(code: ProtocolError['code'], detail: string): never {
  throw new ProtocolError(code, detail);
}

function utf8Length(text: string): number {
  // A UTF-16 unit is at least one UTF-8 byte; only short enough text needs counting.
  return text.length > MAX_HANDSHAKE_BYTES ? text.length : utf8(text).length;
}

function parseInput(input: unknown): unknown {
  let text: string;
  if (input instanceof Uint8Array) {
    if (input.length > MAX_HANDSHAKE_BYTES) reject('E_PROTO_INVALID', `handshake is ${input.length} bytes, over MAX_HANDSHAKE_BYTES (${MAX_HANDSHAKE_BYTES})`);
    try {
      text = fromUtf8(input);
    } catch {
      reject('E_PROTO_INVALID', 'handshake is not UTF-8 text');
    }
  } else if (typeof input === 'string') {
    text = input;
    const length = utf8Length(text);
    if (length > MAX_HANDSHAKE_BYTES) reject('E_PROTO_INVALID', `handshake is ${length}+ bytes, over MAX_HANDSHAKE_BYTES (${MAX_HANDSHAKE_BYTES})`);
  } else {
    return input;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    reject('E_PROTO_INVALID', 'handshake is not JSON');
  }
}

function withArticle(mode: HandshakeMode): string {
  return mode === 'ack' ? 'an ack' : 'a hello';
}

function describeVersion(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value) : 'missing';
}

function checkHandshake(input: unknown, options: ValidateHandshakeOptions): ValidatedHandshake {
  const { crypto, now, expect } = options;
  // 1, 2
  const value = parseInput(input);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) reject('E_PROTO_INVALID', 'handshake must be a JSON object');
  // 3: before the schema, so a peer on another version hears E_PROTO_VERSION.
  const version = (value as JsonObject)['protocol/version'];
  if (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    reject('E_PROTO_VERSION', `protocol/version ${describeVersion(version)} is not supported (we speak ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
  }
  // 4
  const gated = checkSchema<HandshakeArtifact>(HANDSHAKE_SCHEMA, value);
  if (!gated.ok) throw gated.error;
  const hs = gated.value;
  // 5
  if (hs['handshake/mode'] !== expect) reject('E_PROTO_INVALID', `expected ${withArticle(expect)}, got ${withArticle(hs['handshake/mode'])}`);
  // 6
  const pending = options.pendingHello;
  if (expect === 'ack') {
    const ref = hs['ack/of-handshake-id'];
    if (!pending || ref !== pending.handshakeId) reject('E_HS_UNKNOWN_REF', `ack/of-handshake-id ${JSON.stringify(ref)} matches no pending hello`);
    if (now > pending.sentAt + PENDING_HELLO_TIMEOUT_MS) reject('E_HS_UNKNOWN_REF', `the pending hello ${pending.handshakeId} timed out`);
  }
  // 7, 8
  const ts = parseTimestamp(hs.ts);
  if (!Number.isFinite(ts)) reject('E_PROTO_INVALID', `ts ${JSON.stringify(hs.ts)} is not a usable time`);
  if (Math.abs(now - ts) > HANDSHAKE_MAX_CLOCK_SKEW_MS) {
    reject('E_HS_REPLAY', `ts ${hs.ts} is ${Math.round((ts - now) / 1000)} s from our clock, outside ±${HANDSHAKE_MAX_CLOCK_SKEW_MS / 1000} s`);
  }
  // 8b: what a previous run of this node answered is not in this run's cache (replay-guard.ts).
  if (expect === 'hello' && ts < options.nonces.notBefore) {
    reject('E_HS_REPLAY', `ts ${hs.ts} is before this node started: a hello signed then may be a replay of one answered before a restart`);
  }
  // 9
  const recipient = hs['recipient/node-id'];
  if (recipient !== undefined && recipient !== options.self) reject('E_PROTO_INVALID', `wrong recipient: the handshake is addressed to ${recipient}`);
  // 10
  const sender = hs['sender/node-id'];
  let peerPublicKey: Uint8Array;
  try {
    peerPublicKey = parseNodeId(sender);
  } catch (error) {
    reject('E_SIG_UNKNOWN_SIGNER', `sender/node-id cannot be resolved to a key (${error instanceof ProtocolError ? error.detail : 'unparseable'})`);
  }
  if (hs['key/public'] !== fingerprintOf(sender)) reject('E_SIG_UNKNOWN_SIGNER', 'key/public does not match sender/node-id');
  // 11
  if (sender === options.self) reject('E_PROTO_INVALID', 'the handshake comes from our own node-id');
  // 12
  if (expect === 'ack' && pending?.recipient !== undefined && sender !== pending.recipient) {
    reject('E_SIG_UNKNOWN_SIGNER', `the ack comes from ${sender}, not from the node we dialed (${pending.recipient})`);
  }
  const nodeId = sender as NodeId;
  const intent = hs['session/intent'];
  // 13
  if (options.policy) {
    const verdict = options.policy({ nodeId, mode: hs['handshake/mode'], intent });
    if (!verdict.allow) reject('E_TRANSPORT_REJECTED', `peer refused by policy: ${verdict.reason}`);
  }
  // 14
  const capabilities = hs['capabilities/offered'] ?? [];
  if (!capabilities.includes(REQUIRED_CAPABILITY)) reject('E_PROTO_CAP_MISSING', `capabilities/offered lacks ${REQUIRED_CAPABILITY}`);
  // 15
  let peerSessionPublicKey: Uint8Array;
  try {
    peerSessionPublicKey = fromBase64url(hs['session/pub']);
  } catch {
    reject('E_PROTO_INVALID', 'session/pub is not canonical base64url');
  }
  if (peerSessionPublicKey.length !== X25519_KEY_LENGTH) reject('E_PROTO_INVALID', `session/pub must hold ${X25519_KEY_LENGTH} bytes`);
  // 16
  const terms = hs['terms/negotiated'];
  if (options.psk && !verifyPskProof(crypto, options.psk, hs, terms?.[PSK_PROOF_FIELD])) {
    reject('E_TRANSPORT_REJECTED', terms?.[PSK_PROOF_FIELD] === undefined ? 'this network needs a psk/proof' : 'psk/proof is wrong');
  }
  // 17
  if (options.nonces.has(sender, hs.nonce, now)) reject('E_HS_REPLAY', `nonce ${JSON.stringify(hs.nonce)} already seen from this sender`);
  // 18, 19
  const signedInput = signingInput(HANDSHAKE_SCHEMA, hs as unknown as JsonObject);
  const signature = decodeSignature(hs.signature);
  if (!crypto.ed25519Verify(peerPublicKey, signedInput, signature)) reject('E_SIG_INVALID', 'peer-handshake.v1 signature does not verify');
  // Only now is anything remembered.
  options.nonces.remember(sender, hs.nonce, now, expect === 'hello' ? ts : undefined);
  return { artifact: hs, signingInput: signedInput, peerNodeId: nodeId, peerPublicKey, peerSessionPublicKey, capabilities, intent, terms };
}

/**
 * Validates a received handshake: `input` is the JSON text (string or UTF-8 bytes) of one
 * WebSocket text message, or an already-parsed value. See the table at the top of this file.
 */
export function validateHandshake(input: unknown, options: ValidateHandshakeOptions): Result<ValidatedHandshake> {
  return attempt(() => checkHandshake(input, options));
}
