// The session message codec (DESIGN.md §5): after the handshake every message is the deterministic
// CBOR of exactly {"msg/kind": <known kind>, "body": <JSON-subset value>}. Decoding is strict: one
// deterministic encoding per message, no extra keys, no byte strings or floats in the body, a size
// cap, and the body checked by its kind's codec (kinds.ts). Every rejection is a ProtocolError.
import { ProtocolError, type Result, attempt, fail, ok } from '../errors.js';
import { type CborValue, decodeDeterministic, encodeDeterministic } from '../encoding/dcbor.js';
import type { BodyContext } from './body-codec.js';
import { type SessionBody, type SessionKind, bodyCodecOf, isSessionKind } from './kinds.js';

/**
 * Largest encoded session message, in bytes (the plaintext of one encrypted frame). Room for a
 * capability advertisement with passports or a bounded peer-exchange sample; far above a ping.
 */
export const MAX_SESSION_MESSAGE_BYTES = 64 * 1024;

export const MSG_KIND_KEY = 'msg/kind';
export const MSG_BODY_KEY = 'body';

/** A decoded, checked message; `kind` narrows `body`. */
export type SessionMessage = { [K in SessionKind]: { readonly kind: K; readonly body: SessionBody<K> } }[SessionKind];

/** A message whose envelope is valid and whose kind is known, before the body is checked. */
export interface SessionEnvelope {
  readonly kind: SessionKind;
  readonly body: CborValue;
}

const MAX_KIND_IN_DETAIL = 64;

function quoteKind(kind: string): string {
  return JSON.stringify(kind.length > MAX_KIND_IN_DETAIL ? `${kind.slice(0, MAX_KIND_IN_DETAIL)}…` : kind);
}

function pathOf(path: readonly (string | number)[]): string {
  let out = '$';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  return out;
}

/** Bodies are the JSON subset: dcbor already refuses floats, tags and undefined; refuse byte strings too. */
function assertJsonSubset(value: unknown, path: (string | number)[]): void {
  if (value instanceof Uint8Array) throw new ProtocolError('E_PROTO_INVALID', `a byte string at ${pathOf(path)} (bodies are JSON values)`);
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      path.push(i);
      assertJsonSubset(item, path);
      path.pop();
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      path.push(key);
      assertJsonSubset(item, path);
      path.pop();
    }
  }
}

/**
 * Deterministic CBOR of `{"msg/kind": kind, "body": body}`. Throws ProtocolError E_PROTO_INVALID
 * for an unknown kind, a body that fails its kind's shape check, a non-JSON value (float, byte
 * string, ...) or a result larger than MAX_SESSION_MESSAGE_BYTES. Signatures inside artifact bodies
 * are not re-verified here.
 */
export function encodeSessionMessage<K extends SessionKind>(kind: K, body: SessionBody<K>): Uint8Array {
  if (!isSessionKind(kind)) throw new ProtocolError('E_PROTO_INVALID', `unknown msg/kind ${quoteKind(String(kind))}`);
  const shaped = bodyCodecOf(kind).shape(body);
  if (!shaped.ok) throw shaped.error;
  assertJsonSubset(body, [MSG_BODY_KEY]);
  const bytes = encodeDeterministic({ [MSG_KIND_KEY]: kind, [MSG_BODY_KEY]: body });
  if (bytes.length > MAX_SESSION_MESSAGE_BYTES) {
    throw new ProtocolError('E_PROTO_INVALID', `${kind} message is ${bytes.length} bytes, over MAX_SESSION_MESSAGE_BYTES (${MAX_SESSION_MESSAGE_BYTES})`);
  }
  return bytes;
}

/** Envelope only: size, strict deterministic CBOR, exactly the two keys, a known kind, a JSON body. */
export function decodeSessionEnvelope(bytes: Uint8Array): Result<SessionEnvelope> {
  if (bytes.length > MAX_SESSION_MESSAGE_BYTES) {
    return fail('E_PROTO_INVALID', `session message is ${bytes.length} bytes, over MAX_SESSION_MESSAGE_BYTES (${MAX_SESSION_MESSAGE_BYTES})`);
  }
  return attempt(() => {
    const value = decodeDeterministic(bytes);
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      throw new ProtocolError('E_PROTO_INVALID', 'a session message must be a map');
    }
    const record = value as Record<string, CborValue>;
    const keys = Object.keys(record);
    for (const key of keys) {
      if (key !== MSG_KIND_KEY && key !== MSG_BODY_KEY) throw new ProtocolError('E_PROTO_INVALID', `${pathOf([key])}: is not allowed in a session message`);
    }
    for (const key of [MSG_KIND_KEY, MSG_BODY_KEY]) {
      if (!keys.includes(key)) throw new ProtocolError('E_PROTO_INVALID', `${pathOf([key])}: is required`);
    }
    const kind = record[MSG_KIND_KEY];
    if (typeof kind !== 'string') throw new ProtocolError('E_PROTO_INVALID', `${pathOf([MSG_KIND_KEY])}: must be a string`);
    if (!isSessionKind(kind)) throw new ProtocolError('E_PROTO_INVALID', `${pathOf([MSG_KIND_KEY])}: unknown msg/kind ${quoteKind(kind)}`);
    const body = record[MSG_BODY_KEY] as CborValue;
    assertJsonSubset(body, [MSG_BODY_KEY]);
    return { kind, body };
  });
}

/** The body of a known kind, fully checked (shape, semantics, and signatures of artifact bodies). */
export function validateSessionBody<K extends SessionKind>(kind: K, body: unknown, context: BodyContext): Result<SessionBody<K>> {
  return bodyCodecOf(kind).validate(body, context);
}

/** decodeSessionEnvelope, then validateSessionBody: the one call a session needs per plaintext. */
export function decodeSessionMessage(bytes: Uint8Array, context: BodyContext): Result<SessionMessage> {
  const envelope = decodeSessionEnvelope(bytes);
  if (!envelope.ok) return envelope;
  const { kind, body } = envelope.value;
  const checked = validateSessionBody(kind, body, context);
  if (!checked.ok) return checked;
  return ok({ kind, body: checked.value } as SessionMessage);
}
