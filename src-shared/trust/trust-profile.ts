// The numbers and names of trusted registration (issue 5 §5), once. Everything here is our
// profile (`pnode/1`): the spec digest leaves operator credentials open.
import { HANDSHAKE_MAX_CLOCK_SKEW_MS, NONCE_CACHE_TTL_MS } from '../protocol/profile.js';

/** Enrollment tokens: this prefix, then 32 random bytes as unpadded base64url (43 characters). */
export const ENROLLMENT_TOKEN_PREFIX = 'pnode-enroll-';
export const ENROLLMENT_TOKEN_BYTES = 32;
export const ENROLLMENT_TOKEN_PATTERN = /^pnode-enroll-[A-Za-z0-9_-]{43}$/;
/** How the authority names a token without showing it: `tok:` and the start of its hash. */
export const TOKEN_ID_PREFIX = 'tok:';
export const TOKEN_ID_HASH_CHARS = 16;

/** A token is valid this long unless the issuer says otherwise (a day: time to pass it on). */
export const DEFAULT_TOKEN_VALIDITY_MS = 24 * 60 * 60_000;
export const MAX_TOKEN_VALIDITY_MS = 30 * 24 * 60 * 60_000;

/** An operator credential is valid this long unless the authority is configured otherwise. */
export const DEFAULT_CREDENTIAL_VALIDITY_MS = 30 * 24 * 60 * 60_000;
/** Shortest validity an authority issues (tests run renewal at a few seconds). */
export const MIN_CREDENTIAL_VALIDITY_MS = 1_000;
/** Longest validity a verifier accepts: a credential is renewed, never kept for years. */
export const MAX_CREDENTIAL_VALIDITY_MS = 366 * 24 * 60 * 60_000;

/** The PNode renews its credential once this fraction of its validity has passed. */
export const RENEW_AT_FRACTION = 2 / 3;
/** A failed renewal is tried again after a backoff from this… */
export const RENEW_RETRY_MIN_MS = 1_000;
/** …doubling up to this (and never later than the credential's end). */
export const RENEW_RETRY_MAX_MS = 10 * 60_000;

/** valid-from and request times may be this far ahead of the verifier's clock (DESIGN.md §7). */
export const TRUST_CLOCK_SKEW_MS = HANDSHAKE_MAX_CLOCK_SKEW_MS;
/** A renewal or rotation request is remembered this long; the same req/id again is a replay. */
export const TRUST_REQUEST_TTL_MS = NONCE_CACHE_TTL_MS;

/** `operator:did:key:z…`: an operator id, derived from the operator's first key (see credential.ts). */
export const OPERATOR_ID_PREFIX = 'operator:did:key:';

export const MAX_TOKEN_LABEL_LENGTH = 128;

/** A token's label: 1–MAX_TOKEN_LABEL_LENGTH characters, none of them a control character. */
export function isTokenLabel(text: unknown): text is string {
  return typeof text === 'string' && text.length > 0 && text.length <= MAX_TOKEN_LABEL_LENGTH && ![...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}
export const MAX_REVOCATION_REASON_LENGTH = 256;
/** Entries one revocation-list.v1 holds at most (an authority prunes expired credentials from it). */
export const MAX_REVOCATION_LIST_ENTRIES = 100_000;

/** Domain separators of the signatures that are not whole artifacts (signing.ts's rule: "<name>" 0x00 || dcbor(map)). */
export const OPERATOR_ATTESTATION_DOMAIN = 'pnode-descriptor.v1/operator';
export const ENROLL_PROOF_DOMAIN = 'pnode-operator-enroll.v1';
export const RENEW_PROOF_DOMAIN = 'pnode-operator-renew.v1';
export const ROTATE_PROOF_DOMAIN = 'pnode-operator-rotate.v1';
