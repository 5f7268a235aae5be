// The registry of session message kinds: `msg/kind` → how its body is checked. The body types of
// the codec (SessionBody<K>, SessionMessage) are derived from this table, so adding a kind is one
// entry here (plus its body schema/type next to it). Anything not listed is an unknown kind.
import type { JsonObject } from '../artifacts.js';
import { artifactBody, schemaBody, type BodyCodec, type BodyOf } from './body-codec.js';
import {
  ERROR_BODY_SCHEMA,
  PING_BODY_SCHEMA,
  checkErrorBody,
  type ErrorBody,
  type PingBody,
  type PongBody,
} from './core-bodies.js';
import { PEER_EXCHANGE_BODY_SCHEMA, checkPeerExchange, type PeerExchangeBody } from './discovery-bodies.js';
import {
  HEARTBEAT_BODY_SCHEMA,
  PNODE_REGISTER_BODY_SCHEMA,
  VNODE_ALLOCATE_BODY_SCHEMA,
  VNODE_RELEASE_BODY_SCHEMA,
  VNODE_STATUS_BODY_SCHEMA,
  checkHeartbeat,
  checkPnodeRegister,
  checkVNodeAllocate,
  checkVNodeRelease,
  type HeartbeatBody,
  type PnodeRegisterBody,
  type VNodeAllocateBody,
  type VNodeReleaseBody,
  type VNodeStatusBody,
} from './membership-bodies.js';
import {
  VNODE_MODULE_CHUNK_BODY_SCHEMA,
  VNODE_MODULE_REQUEST_BODY_SCHEMA,
  VNODE_RESULT_BODY_SCHEMA,
  VNODE_TASK_BODY_SCHEMA,
  checkVNodeModuleChunk,
  checkVNodeModuleRequest,
  checkVNodeResult,
  checkVNodeTask,
  type VNodeModuleChunkBody,
  type VNodeModuleRequestBody,
  type VNodeResultBody,
  type VNodeTaskBody,
} from './work-bodies.js';
import {
  OPERATOR_ENROLL_BODY_SCHEMA,
  OPERATOR_RENEW_BODY_SCHEMA,
  OPERATOR_ROTATE_BODY_SCHEMA,
  REVOCATION_LIST_BODY_SCHEMA,
  checkOperatorEnroll,
  checkOperatorRenew,
  checkOperatorRotate,
  checkRevocationList,
  type OperatorEnrollBody,
  type OperatorRenewBody,
  type OperatorRotateBody,
  type RevocationListBody,
} from './trust-bodies.js';
import { CREDIT_RECEIPT_BODY_SCHEMA, checkCreditReceiptBody, type CreditReceiptBody } from './credit-bodies.js';

export const SESSION_MESSAGE_KINDS = {
  // Core session (digest §d.2 step 5). Artifact bodies are the whole signed artifact.
  'capability-advertisement.v1': artifactBody<JsonObject>('capability-advertisement.v1', 'node/id'),
  'signal-marker-envelope.v1': artifactBody<JsonObject>('signal-marker-envelope.v1'),
  ping: schemaBody<PingBody>('ping', PING_BODY_SCHEMA),
  pong: schemaBody<PongBody>('pong', PING_BODY_SCHEMA),
  error: schemaBody<ErrorBody>('error', ERROR_BODY_SCHEMA, checkErrorBody),

  // Discovery (DESIGN.md §5).
  'peer-exchange': schemaBody<PeerExchangeBody>('peer-exchange', PEER_EXCHANGE_BODY_SCHEMA, checkPeerExchange),

  // Membership (DESIGN.md §5, issue 5; shapes in membership-bodies.ts).
  'pnode-register': schemaBody<PnodeRegisterBody>('pnode-register', PNODE_REGISTER_BODY_SCHEMA, checkPnodeRegister),
  heartbeat: schemaBody<HeartbeatBody>('heartbeat', HEARTBEAT_BODY_SCHEMA, checkHeartbeat),
  'vnode-allocate': schemaBody<VNodeAllocateBody>('vnode-allocate', VNODE_ALLOCATE_BODY_SCHEMA, checkVNodeAllocate),
  'vnode-release': schemaBody<VNodeReleaseBody>('vnode-release', VNODE_RELEASE_BODY_SCHEMA, checkVNodeRelease),
  'vnode-status': schemaBody<VNodeStatusBody>('vnode-status', VNODE_STATUS_BODY_SCHEMA),

  // Work (issue 7 §1, §3; shapes in work-bodies.ts).
  'vnode-task': schemaBody<VNodeTaskBody>('vnode-task', VNODE_TASK_BODY_SCHEMA, checkVNodeTask),
  'vnode-result': schemaBody<VNodeResultBody>('vnode-result', VNODE_RESULT_BODY_SCHEMA, checkVNodeResult),
  'vnode-module-request': schemaBody<VNodeModuleRequestBody>('vnode-module-request', VNODE_MODULE_REQUEST_BODY_SCHEMA, checkVNodeModuleRequest),
  'vnode-module-chunk': schemaBody<VNodeModuleChunkBody>('vnode-module-chunk', VNODE_MODULE_CHUNK_BODY_SCHEMA, checkVNodeModuleChunk),

  // Trusted registration (issue 5 §5; shapes in trust-bodies.ts).
  'operator-enroll': schemaBody<OperatorEnrollBody>('operator-enroll', OPERATOR_ENROLL_BODY_SCHEMA, checkOperatorEnroll),
  'operator-renew': schemaBody<OperatorRenewBody>('operator-renew', OPERATOR_RENEW_BODY_SCHEMA, checkOperatorRenew),
  'operator-rotate': schemaBody<OperatorRotateBody>('operator-rotate', OPERATOR_ROTATE_BODY_SCHEMA, checkOperatorRotate),
  // Revocations gossiped over sessions (issue 15 §5).
  'revocation-list': schemaBody<RevocationListBody>('revocation-list', REVOCATION_LIST_BODY_SCHEMA, checkRevocationList),

  // Credit (issue 13 §5; shapes in credit-bodies.ts).
  'credit-receipt': schemaBody<CreditReceiptBody>('credit-receipt', CREDIT_RECEIPT_BODY_SCHEMA, checkCreditReceiptBody),
} as const satisfies Record<string, BodyCodec<unknown>>;

export type SessionKind = keyof typeof SESSION_MESSAGE_KINDS;
export type SessionBody<K extends SessionKind> = BodyOf<(typeof SESSION_MESSAGE_KINDS)[K]>;

export const SESSION_KINDS = Object.keys(SESSION_MESSAGE_KINDS) as readonly SessionKind[];

export function isSessionKind(value: unknown): value is SessionKind {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(SESSION_MESSAGE_KINDS, value);
}

export function bodyCodecOf<K extends SessionKind>(kind: K): BodyCodec<SessionBody<K>> {
  return SESSION_MESSAGE_KINDS[kind] as unknown as BodyCodec<SessionBody<K>>;
}
