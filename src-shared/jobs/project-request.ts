// project-request.v1 (issue 13 §1): every call of the job API is signed by the project key that
// makes it. The signed map binds the HTTP method, the target (path and query), the SHA-256 of the
// body, the orchestrator it is meant for, a fresh nonce and the time; it travels as
// `Authorization: PNode-Request <base64url(JSON)>`. Signing input:
// "project-request.v1" 0x00 || dcbor(all fields but signature), as for every artifact.
//
// checkProjectRequest does everything that needs no state: the header's form, the schema, the
// signature (E_SIG_INVALID), the audience, method, target and body (E_PROTO_INVALID /
// E_SIG_INVALID), and the time window (E_ADV_EXPIRED when older than REQUEST_CLOCK_SKEW_MS,
// E_PROTO_INVALID when that far in the future). Whether the key may submit (the network's project
// list) and whether the nonce was seen (the store, across restarts) are the orchestrator's checks.
import { ProtocolError, type Result, attempt } from '../protocol/errors.js';
import { verifyArtifact } from '../protocol/verify.js';
import { signArtifact } from '../protocol/signing.js';
import { fingerprintFromPublicKey, type KeyFingerprint } from '../protocol/did-key.js';
import { formatTimestamp, parseTimestamp } from '../protocol/time.js';
import { fromBase64url, toBase64url } from '../protocol/encoding/base64url.js';
import { fromUtf8, randomBytes, utf8 } from '../protocol/encoding/bytes.js';
import type { CryptoProvider, Ed25519Signer } from '../protocol/crypto/provider.js';
import type { JsonObject } from '../protocol/artifacts.js';
import { type ContentHash, contentHash } from '../vnode/content-hash.js';
import { REQUEST_CLOCK_SKEW_MS } from './job-limits.js';

export const PROJECT_REQUEST_SCHEMA = 'project-request.v1';
/** The Authorization scheme the signed request travels under. */
export const PROJECT_REQUEST_SCHEME = 'PNode-Request';
/** Largest Authorization header value read (a request is well under 1 KiB). */
export const MAX_PROJECT_REQUEST_HEADER_BYTES = 4 * 1024;
/** Bytes of randomness in a nonce the client makes (22 base64url characters). */
export const NONCE_BYTES = 16;

export type RequestMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ProjectRequest {
  readonly 'schema/v': 1;
  readonly 'project/key': KeyFingerprint;
  readonly audience: string;
  readonly method: RequestMethod;
  readonly target: string;
  readonly 'body/hash': ContentHash;
  readonly nonce: string;
  readonly 'issued-at': string;
  readonly signature: { readonly alg: 'ed25519'; readonly value: string };
}

export interface ProjectRequestInput {
  readonly audience: string;
  readonly method: RequestMethod;
  readonly target: string;
  readonly body: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Default: NONCE_BYTES random bytes. */
  readonly nonce?: string;
}

/** The signed request for one HTTP call. */
export function signProjectRequest(input: ProjectRequestInput, signer: Ed25519Signer): ProjectRequest {
  const payload: JsonObject = {
    'schema/v': 1,
    'project/key': fingerprintFromPublicKey(signer.publicKey),
    audience: input.audience,
    method: input.method,
    target: input.target,
    'body/hash': contentHash(input.body),
    nonce: input.nonce ?? toBase64url(randomBytes(NONCE_BYTES)),
    'issued-at': formatTimestamp(input.now),
  };
  return signArtifact(PROJECT_REQUEST_SCHEMA, payload, signer) as unknown as ProjectRequest;
}

/** The Authorization header value for a signed request. */
export function projectRequestHeader(request: ProjectRequest): string {
  return `${PROJECT_REQUEST_SCHEME} ${toBase64url(utf8(JSON.stringify(request)))}`;
}

export interface RequestFacts {
  /** The Authorization header as received (undefined when absent). */
  readonly authorization: string | undefined;
  readonly method: string;
  /** Path and query exactly as received. */
  readonly target: string;
  readonly body: Uint8Array;
  /** This orchestrator's node id. */
  readonly audience: string;
  readonly now: number;
  readonly crypto: CryptoProvider;
}

function invalid(detail: string): ProtocolError {
  return new ProtocolError('E_PROTO_INVALID', `${PROJECT_REQUEST_SCHEMA}: ${detail}`);
}

/** Reads the header's artifact (no checks beyond its form). */
function readHeader(authorization: string | undefined): unknown {
  if (authorization === undefined || authorization === '') throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', `the request is not signed: send Authorization: ${PROJECT_REQUEST_SCHEME} <base64url(project-request.v1)>`);
  if (authorization.length > MAX_PROJECT_REQUEST_HEADER_BYTES) throw invalid(`the Authorization header is over ${MAX_PROJECT_REQUEST_HEADER_BYTES} bytes`);
  const space = authorization.indexOf(' ');
  if (space < 0 || authorization.slice(0, space) !== PROJECT_REQUEST_SCHEME) throw invalid(`the Authorization scheme must be ${PROJECT_REQUEST_SCHEME}`);
  let text: string;
  try {
    text = fromUtf8(fromBase64url(authorization.slice(space + 1).trim()));
  } catch {
    throw invalid('the Authorization value is not base64url UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid('the Authorization value is not JSON');
  }
}

/** Everything about a signed request that needs no state (see the top of this file). */
export function checkProjectRequest(facts: RequestFacts): Result<ProjectRequest> {
  return attempt(() => {
    const value = readHeader(facts.authorization);
    const verified = verifyArtifact<ProjectRequest & JsonObject>(PROJECT_REQUEST_SCHEMA, value, { crypto: facts.crypto });
    if (!verified.ok) throw verified.error;
    const request = verified.value;
    if (request.audience !== facts.audience) throw invalid(`the request is meant for ${request.audience}, not this orchestrator (${facts.audience})`);
    if (request.method !== facts.method) throw invalid(`the request was signed for ${request.method}, not ${facts.method}`);
    if (request.target !== facts.target) throw invalid(`the request was signed for ${JSON.stringify(request.target)}, not ${JSON.stringify(facts.target)}`);
    if (request['body/hash'] !== contentHash(facts.body)) throw new ProtocolError('E_SIG_INVALID', `${PROJECT_REQUEST_SCHEMA}: the body is not the one that was signed`);
    const issued = parseTimestamp(request['issued-at']);
    if (issued < facts.now - REQUEST_CLOCK_SKEW_MS) throw new ProtocolError('E_ADV_EXPIRED', `${PROJECT_REQUEST_SCHEMA}: issued at ${request['issued-at']}, more than ${REQUEST_CLOCK_SKEW_MS / 1000} s ago`);
    if (issued > facts.now + REQUEST_CLOCK_SKEW_MS) throw invalid(`issued at ${request['issued-at']}, more than ${REQUEST_CLOCK_SKEW_MS / 1000} s in the future`);
    return request;
  });
}

/** Until when a request's nonce must be remembered: past it, the time window refuses a replay. */
export function nonceExpiresAt(request: ProjectRequest): number {
  return parseTimestamp(request['issued-at']) + REQUEST_CLOCK_SKEW_MS;
}
