// Trusted-registration session messages (issue 5 §5, src-shared/trust). A PNode sends them to the
// orchestrator that runs the registration authority, over the session it registers on. Each kind
// carries a request (`req/id`) and its reply (`re/id`) in one body schema, as membership does; a
// request that cannot be served is answered by an `error` with `re/id` (codes in src-shared/trust):
//
//   operator-enroll  PNode → authority  {req/id, token, operator/key, node/id, proof}
//                    authority → PNode  {re/id, credential}
//   operator-renew   PNode → authority  {req/id, credential/id, operator/key, ts, proof}
//                    authority → PNode  {re/id, credential}          (a new credential, same operator)
//   operator-rotate  PNode → authority  {req/id, credential/id, operator/key, operator/new-key, ts,
//                                        proof, proof/new}
//                    authority → PNode  {re/id, credential}          (for the new key; the old
//                                                                     credential is revoked)
//
// Proofs are signatures by operator keys over the bindings enrollment.ts defines. The codec checks
// shapes only: the token's form, ids, proofs and credentials are the authority's and the PNode's to
// check, so a bad one is answered with a coded error carrying re/id rather than dropped.
import { bodyError } from './body-codec.js';
import { MAX_REQUEST_ID_LENGTH } from '../../membership/membership-profile.js';

/** Longest token field accepted on the wire (a real token is 56 characters). */
export const MAX_WIRE_TOKEN_LENGTH = 256;

interface Signature {
  readonly alg: string;
  readonly value: string;
}

export interface OperatorEnrollBody {
  readonly 'req/id'?: string;
  readonly 're/id'?: string;
  readonly token?: string;
  readonly 'operator/key'?: string;
  readonly 'node/id'?: string;
  readonly proof?: Signature;
  /** Reply: the operator-credential.v1. */
  readonly credential?: Record<string, unknown>;
}

export interface OperatorRenewBody {
  readonly 'req/id'?: string;
  readonly 're/id'?: string;
  readonly 'credential/id'?: string;
  readonly 'operator/key'?: string;
  readonly ts?: string;
  readonly proof?: Signature;
  readonly credential?: Record<string, unknown>;
}

export interface OperatorRotateBody extends OperatorRenewBody {
  readonly 'operator/new-key'?: string;
  readonly 'proof/new'?: Signature;
}

const REQUEST_ID = { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH } as const;
const KEY = { type: 'string', maxLength: 64, pattern: '^z[1-9A-HJ-NP-Za-km-z]+$' } as const;
const NODE_ID = { type: 'string', maxLength: 128, pattern: '^node:did:key:z[1-9A-HJ-NP-Za-km-z]+$' } as const;
const CREDENTIAL_ID = { type: 'string', minLength: 1, maxLength: 64 } as const;
const TS = { type: 'string', format: 'date-time', maxLength: 64 } as const;
const SIGNATURE = {
  type: 'object',
  required: ['alg', 'value'],
  properties: { alg: { type: 'string', maxLength: 16 }, value: { type: 'string', maxLength: 128 } },
  additionalProperties: false,
} as const;
const CREDENTIAL = { type: 'object' } as const;

export const OPERATOR_ENROLL_BODY_SCHEMA = {
  type: 'object',
  properties: {
    'req/id': REQUEST_ID,
    're/id': REQUEST_ID,
    token: { type: 'string', minLength: 1, maxLength: MAX_WIRE_TOKEN_LENGTH },
    'operator/key': KEY,
    'node/id': NODE_ID,
    proof: SIGNATURE,
    credential: CREDENTIAL,
  },
  additionalProperties: false,
} as const;

export const OPERATOR_RENEW_BODY_SCHEMA = {
  type: 'object',
  properties: {
    'req/id': REQUEST_ID,
    're/id': REQUEST_ID,
    'credential/id': CREDENTIAL_ID,
    'operator/key': KEY,
    ts: TS,
    proof: SIGNATURE,
    credential: CREDENTIAL,
  },
  additionalProperties: false,
} as const;

export const OPERATOR_ROTATE_BODY_SCHEMA = {
  type: 'object',
  properties: {
    ...OPERATOR_RENEW_BODY_SCHEMA.properties,
    'operator/new-key': KEY,
    'proof/new': SIGNATURE,
  },
  additionalProperties: false,
} as const;

type Shaped = Readonly<Record<string, unknown>>;

/** A request names req/id and exactly its fields; a reply names re/id and only the credential. */
function requestOrReply(kind: string, body: Shaped, requestFields: readonly string[]): void {
  const isRequest = body['req/id'] !== undefined;
  const isReply = body['re/id'] !== undefined;
  if (isRequest && isReply) throw bodyError(kind, ['re/id'], 'a message is a request or a reply, not both');
  if (!isRequest && !isReply) throw bodyError(kind, ['req/id'], 'a request names req/id, a reply re/id');
  if (isRequest) {
    for (const field of requestFields) if (body[field] === undefined) throw bodyError(kind, [field], 'is required in a request');
    if (body['credential'] !== undefined) throw bodyError(kind, ['credential'], 'is not allowed in a request');
    return;
  }
  if (body['credential'] === undefined) throw bodyError(kind, ['credential'], 'is required in a reply');
  for (const field of requestFields) if (body[field] !== undefined) throw bodyError(kind, [field], 'is not allowed in a reply');
}

export const ENROLL_REQUEST_FIELDS = ['token', 'operator/key', 'node/id', 'proof'] as const;
export const RENEW_REQUEST_FIELDS = ['credential/id', 'operator/key', 'ts', 'proof'] as const;
export const ROTATE_REQUEST_FIELDS = [...RENEW_REQUEST_FIELDS, 'operator/new-key', 'proof/new'] as const;

export function checkOperatorEnroll(body: OperatorEnrollBody): void {
  requestOrReply('operator-enroll', body as Shaped, ENROLL_REQUEST_FIELDS);
}

export function checkOperatorRenew(body: OperatorRenewBody): void {
  requestOrReply('operator-renew', body as Shaped, RENEW_REQUEST_FIELDS);
}

export function checkOperatorRotate(body: OperatorRotateBody): void {
  requestOrReply('operator-rotate', body as Shaped, ROTATE_REQUEST_FIELDS);
}

// `revocation-list` (issue 15 §5): a registration authority's signed revocation-list.v1, gossiped
// over sessions to the peers that ask for it:
//   request  {req/id, issuer/key, sequence/no}  "I hold this sequence of this authority's list (-1: none)"
//   answer   {re/id, list}                       a newer list
//            {re/id, issuer/key, sequence/no}    a newer one exists but is too large for a session:
//                                                fetch it from a directory
//            {re/id}                             nothing newer here
//   push     {list} | {issuer/key, sequence/no}  news, to the peers that asked on this session
// The receiver verifies the list (kernel/revocation); the codec checks the envelope only.
export interface RevocationListBody {
  readonly 'req/id'?: string;
  readonly 're/id'?: string;
  readonly 'issuer/key'?: string;
  readonly 'sequence/no'?: number;
  readonly list?: Record<string, unknown>;
}

/** "No list held" in a request's sequence/no. */
export const NO_REVOCATION_LIST = -1;

export const REVOCATION_LIST_BODY_SCHEMA = {
  type: 'object',
  properties: {
    'req/id': REQUEST_ID,
    're/id': REQUEST_ID,
    'issuer/key': KEY,
    'sequence/no': { type: 'integer', minimum: NO_REVOCATION_LIST, maximum: Number.MAX_SAFE_INTEGER },
    list: { type: 'object' },
  },
  additionalProperties: false,
} as const;

export function checkRevocationList(body: RevocationListBody): void {
  const kind = 'revocation-list';
  const isRequest = body['req/id'] !== undefined;
  const isAnswer = body['re/id'] !== undefined;
  const notice = body['issuer/key'] !== undefined || body['sequence/no'] !== undefined;
  if (isRequest && isAnswer) throw bodyError(kind, ['re/id'], 'a message is a request or an answer, not both');
  if (notice && (body['issuer/key'] === undefined || body['sequence/no'] === undefined)) throw bodyError(kind, [body['issuer/key'] === undefined ? 'issuer/key' : 'sequence/no'], 'issuer/key and sequence/no go together');
  if (notice && body.list !== undefined) throw bodyError(kind, ['list'], 'a list names its issuer and sequence itself');
  if (isRequest) {
    if (!notice) throw bodyError(kind, ['issuer/key'], 'a request names the authority and the sequence it holds');
    return;
  }
  if (!isAnswer && !notice && body.list === undefined) throw bodyError(kind, ['list'], 'a push carries a list or a notice');
  if (body['sequence/no'] === NO_REVOCATION_LIST && !isRequest) throw bodyError(kind, ['sequence/no'], 'only a request holds no list');
}
