// node:did:key / participant:did:key identifiers and bare key/public fingerprints (spec digest §a.1).
// Parsing is strict: exact prefix, base58btc, 34 bytes, multicodec 0xed01, a valid Ed25519 point
// that is not of small order. Anything else is E_PROTO_INVALID.
import { ed25519 } from '@noble/curves/ed25519.js';
import { ProtocolError } from './errors.js';
import { fromBase58, toBase58 } from './encoding/base58.js';
import { ED25519_PUBLIC_KEY_LENGTH } from './crypto/provider.js';

export const NODE_ID_PREFIX = 'node:did:key:';
export const PARTICIPANT_ID_PREFIX = 'participant:did:key:';
export const MULTIBASE_BASE58BTC = 'z';
export const ED25519_MULTICODEC = Uint8Array.of(0xed, 0x01);
const MULTICODEC_KEY_LENGTH = ED25519_MULTICODEC.length + ED25519_PUBLIC_KEY_LENGTH;

/** Parsed keys are cached: peers repeat, and point decompression is the costly step. */
export const DID_KEY_CACHE_SIZE = 4096;

export type NodeId = `node:did:key:z${string}`;
export type ParticipantId = `participant:did:key:z${string}`;
export type KeyFingerprint = `z${string}`;

export function fingerprintFromPublicKey(publicKey: Uint8Array): KeyFingerprint {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new ProtocolError('E_PROTO_INVALID', `an Ed25519 public key is ${ED25519_PUBLIC_KEY_LENGTH} bytes`);
  }
  const prefixed = new Uint8Array(MULTICODEC_KEY_LENGTH);
  prefixed.set(ED25519_MULTICODEC, 0);
  prefixed.set(publicKey, ED25519_MULTICODEC.length);
  return `${MULTIBASE_BASE58BTC}${toBase58(prefixed)}`;
}

export function nodeIdFromPublicKey(publicKey: Uint8Array): NodeId {
  return `${NODE_ID_PREFIX}${fingerprintFromPublicKey(publicKey)}`;
}

export function participantIdFromPublicKey(publicKey: Uint8Array): ParticipantId {
  return `${PARTICIPANT_ID_PREFIX}${fingerprintFromPublicKey(publicKey)}`;
}

const cache = new Map<string, Uint8Array>();

function remember(fingerprint: string, key: Uint8Array): void {
  if (cache.size >= DID_KEY_CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(fingerprint, key);
}

/** The 32-byte Ed25519 public key of a bare `z…` fingerprint. */
export function parseFingerprint(fingerprint: string): Uint8Array {
  const cached = cache.get(fingerprint);
  if (cached) return cached.slice();
  if (!fingerprint.startsWith(MULTIBASE_BASE58BTC)) {
    throw new ProtocolError('E_PROTO_INVALID', 'a key fingerprint must start with multibase prefix "z"');
  }
  const bytes = fromBase58(fingerprint.slice(1));
  if (bytes.length !== MULTICODEC_KEY_LENGTH) {
    throw new ProtocolError('E_PROTO_INVALID', `a key fingerprint must decode to ${MULTICODEC_KEY_LENGTH} bytes, got ${bytes.length}`);
  }
  if (bytes[0] !== ED25519_MULTICODEC[0] || bytes[1] !== ED25519_MULTICODEC[1]) {
    throw new ProtocolError('E_PROTO_INVALID', 'a key fingerprint must carry the ed25519-pub multicodec 0xed01');
  }
  const key = bytes.slice(ED25519_MULTICODEC.length);
  let smallOrder: boolean;
  try {
    smallOrder = ed25519.Point.fromBytes(key).isSmallOrder();
  } catch {
    throw new ProtocolError('E_PROTO_INVALID', 'a key fingerprint must hold a valid Ed25519 point');
  }
  if (smallOrder) throw new ProtocolError('E_PROTO_INVALID', 'a key fingerprint must not hold a small-order point');
  // One text form per key: re-encoding must give the input back.
  if (fingerprintFromPublicKey(key) !== fingerprint) {
    throw new ProtocolError('E_PROTO_INVALID', 'a key fingerprint is not in canonical form');
  }
  remember(fingerprint, key);
  return key.slice();
}

function parsePrefixed(id: string, prefix: string, role: string): Uint8Array {
  if (typeof id !== 'string' || !id.startsWith(prefix)) {
    throw new ProtocolError('E_PROTO_INVALID', `a ${role} id must start with "${prefix}"`);
  }
  return parseFingerprint(id.slice(prefix.length));
}

export function parseNodeId(id: string): Uint8Array {
  return parsePrefixed(id, NODE_ID_PREFIX, 'node');
}

export function parseParticipantId(id: string): Uint8Array {
  return parsePrefixed(id, PARTICIPANT_ID_PREFIX, 'participant');
}

export function isNodeId(id: unknown): id is NodeId {
  if (typeof id !== 'string') return false;
  try {
    parseNodeId(id);
    return true;
  } catch {
    return false;
  }
}

/** Role prefixes of did:key-shaped ids in our profile (operators: trusted registration). */
const ROLE_PREFIX = /^(?:node|participant|operator):did:key:/;

/** The fingerprint part of a node, participant or operator id (no validation beyond the prefix). */
export function fingerprintOf(id: string): string {
  const prefix = ROLE_PREFIX.exec(id);
  return prefix ? id.slice(prefix[0].length) : id;
}

/** A short form for people: `z6MkwJFp…65yE`. */
export function shortId(id: string): string {
  const fp = fingerprintOf(id);
  return fp.length <= 14 ? fp : `${fp.slice(0, 8)}…${fp.slice(-4)}`;
}
