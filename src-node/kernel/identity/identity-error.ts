// Failures of the node's own identity and keys. These are local, not protocol boundaries: each
// carries a machine code and names the file or keystore entry concerned, so an operator knows
// what to look at. None of them ever carries secret material.

export type IdentityErrorCode =
  /** No OS keychain answers (no D-Bus session, locked, keytar missing, timed out). */
  | 'keychain-unavailable'
  /** The identity record cannot be read, is not JSON, or fails the schema gate. */
  | 'identity-corrupt'
  /** `identity/status` is present and is not `active` (R006 FR-012d). */
  | 'identity-inactive'
  /** The data dir has no identity where one is needed (show, export). */
  | 'identity-missing'
  /** The record exists, but its key is not in the keystore it names. */
  | 'identity-key-missing'
  /** A key exists but derives a different node-id from the one it is stored for. */
  | 'identity-mismatch'
  /** The data dir already holds a different identity. */
  | 'identity-exists'
  /** The keystore asked for is not the one the existing identity uses, or holds another key. */
  | 'keystore-conflict'
  /** The secret-key file cannot be read or does not hold a valid key. */
  | 'keystore-corrupt'
  /** A backup decrypts to nothing: the passphrase is wrong or the file was changed. */
  | 'backup-wrong-passphrase'
  /** A backup decrypts, but its key is not the node-id it states. */
  | 'backup-mismatch';

export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    /** The file or keystore entry concerned, when there is one. */
    readonly path?: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

export function isIdentityError(value: unknown): value is IdentityError {
  return value instanceof IdentityError;
}

/** The message of anything thrown, on one line. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}
