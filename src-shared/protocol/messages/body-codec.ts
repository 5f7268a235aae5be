// How a session message body is checked, one `BodyCodec` per `msg/kind`. Two flavours, used
// consistently:
//   - schemaBody: a JSON Schema (ajv 2020, compiled once on first use) plus an optional semantic
//     check, for the small bodies of our profile (ping, pong, error, ...);
//   - artifactBody: a signed artifact of the spec carried whole as the body, checked with
//     verifyArtifact (schema gate, signer binding, signature, optional expiry).
// Every rejection is a ProtocolError; shape failures are E_PROTO_INVALID naming the failing path
// from the message root (`$.body.nonce`).
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ProtocolError, type Result, fail, ok } from '../errors.js';
import { jsonPointerToPath } from '../schema-gate.js';
import { checkSchema } from '../schema-gate.js';
import { verifyArtifact } from '../verify.js';
import type { JsonObject } from '../artifacts.js';
import type { SchemaName } from '../schemas/registry.js';
import type { CryptoProvider } from '../crypto/provider.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

/** JSON pointer of the body inside a session message; paths in errors start here. */
export const BODY_POINTER = '/body';

/** What a body check may need beyond the body itself. */
export interface BodyContext {
  /** Verifies signatures of artifact bodies. */
  readonly crypto: CryptoProvider;
  /** When given, artifact bodies are also checked for expiry (E_ADV_EXPIRED) at this time. */
  readonly now?: number | undefined;
  /** The authenticated peer of the session; artifact bodies that name a node must name this one. */
  readonly peerNodeId?: string | undefined;
}

export interface BodyCodec<B> {
  /** Structural check only, no crypto: used on the way out, where we trust our own signatures. */
  shape(body: unknown): Result<B>;
  /** Full check of a received body: shape, semantic rules and, for artifacts, the signature. */
  validate(body: unknown, context: BodyContext): Result<B>;
}

/** The body type a codec yields. */
export type BodyOf<C> = C extends BodyCodec<infer B> ? B : never;

let ajv: Ajv2020 | undefined;

function compiler(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ strict: true, allErrors: false, validateFormats: true });
    addFormats(ajv);
  }
  return ajv;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(kind: string, error: ErrorObject): string {
  let pointer = `${BODY_POINTER}${error.instancePath}`;
  let message = error.message ?? error.keyword;
  if (error.keyword === 'required') {
    pointer = `${pointer}/${escapePointer((error.params as { missingProperty: string }).missingProperty)}`;
    message = 'is required';
  } else if (error.keyword === 'additionalProperties') {
    pointer = `${pointer}/${escapePointer((error.params as { additionalProperty: string }).additionalProperty)}`;
    message = 'is not allowed';
  } else if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${kind} ${jsonPointerToPath(pointer)}: ${message}`;
}

/** E_PROTO_INVALID naming a path inside the body, for semantic checks: `bodyError('error', ['class'], '…')`. */
export function bodyError(kind: string, path: readonly string[], message: string): ProtocolError {
  const pointer = `${BODY_POINTER}${path.map((p) => `/${escapePointer(p)}`).join('')}`;
  return new ProtocolError('E_PROTO_INVALID', `${kind} ${jsonPointerToPath(pointer)}: ${message}`);
}

/**
 * A body described by a JSON Schema (draft 2020-12, ajv strict mode; `format` from ajv-formats).
 * `check` runs after the schema passed and throws a ProtocolError (use `bodyError`).
 */
export function schemaBody<B>(kind: string, schema: object, check?: (body: B) => void): BodyCodec<B> {
  let validator: ValidateFunction | undefined;
  const shape = (body: unknown): Result<B> => {
    validator ??= compiler().compile(schema);
    if (!validator(body)) {
      const first = validator.errors?.[0];
      return fail('E_PROTO_INVALID', first ? describe(kind, first) : `${kind} body does not match its schema`);
    }
    if (check) {
      try {
        check(body as B);
      } catch (error) {
        if (error instanceof ProtocolError) return { ok: false, error };
        throw error;
      }
    }
    return ok(body as B);
  };
  return { shape, validate: (body) => shape(body) };
}

function inBody(kind: string, error: ProtocolError): ProtocolError {
  return new ProtocolError(error.code, `${kind} body: ${error.detail}`);
}

/**
 * A signed artifact of the spec carried whole as the body. `nodeField` names the field that must
 * equal the session's authenticated peer when the context knows it (a node speaks for itself).
 */
export function artifactBody<B extends JsonObject = JsonObject>(schema: SchemaName, nodeField?: string): BodyCodec<B> {
  return {
    shape(body) {
      const result = checkSchema<B>(schema, body);
      return result.ok ? result : { ok: false, error: inBody(schema, result.error) };
    },
    validate(body, context) {
      const result = verifyArtifact<B>(schema, body, { crypto: context.crypto, checkExpiry: context.now !== undefined, now: context.now });
      if (!result.ok) return { ok: false, error: inBody(schema, result.error) };
      if (nodeField !== undefined && context.peerNodeId !== undefined && result.value[nodeField] !== context.peerNodeId) {
        return { ok: false, error: bodyError(schema, [nodeField], 'names another node than the session peer') };
      }
      return result;
    },
  };
}
