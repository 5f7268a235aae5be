// The eleven frozen boundary error codes and their classes (spec digest §h), in list order.
export const ERROR_CLASSES = {
  E_TRANSPORT_UNAVAILABLE: 'transport/unavailable',
  E_TRANSPORT_REJECTED: 'transport/rejected',
  E_ADV_EXPIRED: 'advertisement/expired',
  E_ADV_STALE_SEQ: 'advertisement/stale-sequence',
  E_SIG_INVALID: 'signature/invalid',
  E_SIG_UNKNOWN_SIGNER: 'signature/unknown-signer',
  E_HS_REPLAY: 'handshake/replay-suspected',
  E_HS_UNKNOWN_REF: 'handshake/unknown-ref',
  E_PROTO_VERSION: 'protocol/version-mismatch',
  E_PROTO_INVALID: 'protocol/invalid-contract',
  E_PROTO_CAP_MISSING: 'protocol/capability-missing',
} as const;

export type ErrorCode = keyof typeof ERROR_CLASSES;
export type ErrorClass = (typeof ERROR_CLASSES)[ErrorCode];

export const ERROR_CODES = Object.keys(ERROR_CLASSES) as readonly ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CLASSES, value);
}

export function errorClassOf(code: ErrorCode): ErrorClass {
  return ERROR_CLASSES[code];
}

/**
 * A failure at a protocol boundary. `code` and `errorClass` are for machines; `detail` is for
 * operators and never carries secrets.
 */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly errorClass: ErrorClass;
  readonly detail: string;

  constructor(code: ErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.name = 'ProtocolError';
    this.code = code;
    this.errorClass = ERROR_CLASSES[code];
    this.detail = detail;
  }

  toJSON(): { code: ErrorCode; class: ErrorClass; detail: string } {
    return { code: this.code, class: this.errorClass, detail: this.detail };
  }
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}

/** Errors as values at protocol boundaries. */
export type Result<T, E = ProtocolError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(code: ErrorCode, detail: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError(code, detail) };
}

/** Runs `fn`, turning a thrown ProtocolError into a failed Result; anything else is a bug and rethrows. */
export function attempt<T>(fn: () => T): Result<T> {
  try {
    return ok(fn());
  } catch (error) {
    if (error instanceof ProtocolError) return { ok: false, error };
    throw error;
  }
}
