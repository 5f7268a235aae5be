import { UsageError } from './args.js';
import { fromHex } from '../../src-shared/protocol/encoding/hex.js';
import { isSchemaName, type SchemaName } from '../../src-shared/protocol/schemas/registry.js';
import { isSignedSchema, type SignedSchemaName } from '../../src-shared/protocol/artifacts.js';
import { SCHEMA_NAMES } from '../../src-shared/protocol/schemas/registry.js';

/** Largest artifact the CLI reads from stdin. */
export const MAX_STDIN_BYTES = 4 * 1024 * 1024;

export function parseJsonInput(text: string): unknown {
  if (text.length > MAX_STDIN_BYTES) throw new UsageError(`input is larger than ${MAX_STDIN_BYTES} bytes`);
  if (text.trim() === '') throw new UsageError('no input: expected one JSON artifact on stdin');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`input is not JSON (${error instanceof Error ? error.message : 'parse error'})`);
  }
}

export function schemaArgument(value: string | undefined): SchemaName {
  if (!isSchemaName(value)) throw new UsageError(`unknown schema ${JSON.stringify(value)}; known: ${SCHEMA_NAMES.join(', ')}`);
  return value;
}

export function signedSchemaArgument(value: string | undefined): SignedSchemaName {
  const schema = schemaArgument(value);
  if (!isSignedSchema(schema)) throw new UsageError(`${schema} is not a signed artifact`);
  return schema;
}

export function secretKeyArgument(value: unknown, option = 'secret-key-hex'): Uint8Array {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) {
    throw new UsageError(`--${option} must be 64 hex digits (a 32-byte Ed25519 seed)`);
  }
  return fromHex(value);
}

export function timestampArgument(value: unknown, option: string): number {
  if (typeof value !== 'string') throw new UsageError(`--${option} needs an RFC 3339 time`);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !Number.isFinite(ms)) throw new UsageError(`--${option} needs an RFC 3339 time, got ${JSON.stringify(value)}`);
  return ms;
}
