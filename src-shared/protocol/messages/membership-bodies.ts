// Membership session messages (DESIGN.md §5, issue 5): a PNode registers with an orchestrator,
// heartbeats, and hosts the VNodes the orchestrator allocates. Each kind carries a request
// (`req/id`) and its reply (`re/id`) in one body schema, as peer-exchange does; `vnode-status` is a
// notice without a reply. A request that cannot be served is answered by an `error` message with
// `re/id` set (one of the eleven codes):
//
//   pnode-register  PNode → orchestrator  {req/id, descriptor, primary}
//                   orchestrator → PNode  {re/id, accepted: true, lease-ms, heartbeat-interval-ms,
//                                          orchestrator/node-id, trust, offer/accepted}
//                                      or {re/id, accepted: false, reason}           (policy: full, …)
//                                      or error {re/id, E_PROTO_INVALID | E_SIG_* | E_ADV_*}
//   heartbeat       PNode → orchestrator  {req/id, seq, primary, contributing, load/permille,
//                                          memory/available-mb, vnodes: [{vnode/id, state}], rtt/ms?}
//                   orchestrator → PNode  {re/id, lease-ms, heartbeat-interval-ms}
//                                      or error {re/id, E_HS_UNKNOWN_REF}: "not registered here:
//                                         register again" (after an orchestrator restart, or once
//                                         the lease ended)
//   vnode-allocate  orchestrator → PNode  {req/id, vnode/id, cores, memory-mb}
//                   PNode → orchestrator  {re/id, vnode/id, accepted, reason?}
//   vnode-release   orchestrator → PNode  {req/id, vnode/id, reason}
//                   PNode → orchestrator  {re/id, vnode/id, state: released | unknown}
//   vnode-status    PNode → orchestrator  {vnode/id, state, reason?}                 (no reply)
//
// The descriptor inside pnode-register is a whole signed pnode-descriptor.v1; the codec checks only
// that it is an object: the orchestrator verifies it (schema, hardware gate, signature, expiry,
// sequence, signer = session peer) and answers a failure with a coded `error` carrying `re/id`, so
// the PNode learns which request failed and why. Bodies are the JSON subset: integers only.
import { bodyError } from './body-codec.js';
import {
  MAX_MEMBERSHIP_TEXT_LENGTH,
  MAX_OFFER_CORES,
  MAX_OFFER_MEMORY_MB,
  MAX_REQUEST_ID_LENGTH,
  MAX_VNODES_PER_PNODE,
  MAX_VNODE_ID_LENGTH,
  MAX_HEARTBEAT_INTERVAL_MS,
  MIN_HEARTBEAT_INTERVAL_MS,
} from '../../membership/membership-profile.js';

/** The code an orchestrator answers a heartbeat with when it holds no registration for the sender. */
export const NOT_REGISTERED_CODE = 'E_HS_UNKNOWN_REF';

/** VNode lifecycle states on the wire (allocated → running → released | failed). */
export const VNODE_WIRE_STATES = ['allocated', 'running', 'released', 'failed'] as const;
export type VNodeWireState = (typeof VNODE_WIRE_STATES)[number];

/** Why a PNode refuses an allocation. */
export const VNODE_REFUSAL_REASONS = ['not-primary', 'not-contributing', 'exceeds-offer', 'limit', 'duplicate'] as const;
export type VNodeRefusalReason = (typeof VNODE_REFUSAL_REASONS)[number];

/** Why an orchestrator releases a VNode. */
export const VNODE_RELEASE_REASONS = ['requested', 'reconcile', 'moved', 'not-primary', 'shutdown'] as const;
export type VNodeReleaseReason = (typeof VNODE_RELEASE_REASONS)[number];

export const TRUST_LEVELS = ['untrusted', 'trusted'] as const;
export type TrustLevel = (typeof TRUST_LEVELS)[number];

export interface OfferBody {
  readonly cores: number;
  readonly 'memory-mb': number;
}

export interface PnodeRegisterBody {
  readonly 'req/id'?: string;
  readonly 're/id'?: string;
  /** Request: the signed pnode-descriptor.v1 (verified by the orchestrator). */
  readonly descriptor?: Record<string, unknown>;
  /** Request: this orchestrator is the PNode's primary (the one whose allocations it accepts). */
  readonly primary?: boolean;
  readonly accepted?: boolean;
  readonly reason?: string;
  readonly 'lease-ms'?: number;
  readonly 'heartbeat-interval-ms'?: number;
  readonly 'orchestrator/node-id'?: string;
  readonly trust?: TrustLevel;
  /** What placement will use: the offer, capped by what the measurements support. */
  readonly 'offer/accepted'?: OfferBody;
}

export interface HeartbeatVNode {
  readonly 'vnode/id': string;
  readonly state: VNodeWireState;
}

export interface HeartbeatBody {
  readonly 'req/id'?: string;
  readonly 're/id'?: string;
  readonly seq?: number;
  readonly primary?: boolean;
  readonly contributing?: boolean;
  readonly 'load/permille'?: number | null;
  readonly 'memory/available-mb'?: number | null;
  /** The VNodes of this orchestrator the PNode holds. */
  readonly vnodes?: readonly HeartbeatVNode[];
  /** Round trip of the previous heartbeat, as the PNode measured it (advisory; feeds the score). */
  readonly 'rtt/ms'?: number;
  readonly 'lease-ms'?: number;
  readonly 'heartbeat-interval-ms'?: number;
}

export interface VNodeAllocateBody {
  readonly 'req/id'?: string;
  readonly 're/id'?: string;
  readonly 'vnode/id': string;
  readonly cores?: number;
  readonly 'memory-mb'?: number;
  readonly accepted?: boolean;
  readonly reason?: VNodeRefusalReason;
}

export interface VNodeReleaseBody {
  readonly 'req/id'?: string;
  readonly 're/id'?: string;
  readonly 'vnode/id': string;
  readonly reason?: VNodeReleaseReason;
  readonly state?: 'released' | 'unknown';
}

export interface VNodeStatusBody {
  readonly 'vnode/id': string;
  readonly state: VNodeWireState;
  readonly reason?: string;
}

const REQUEST_ID = { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH } as const;
const VNODE_ID = { type: 'string', minLength: 1, maxLength: MAX_VNODE_ID_LENGTH, pattern: '^[A-Za-z0-9:._-]+$' } as const;
const TEXT = { type: 'string', maxLength: MAX_MEMBERSHIP_TEXT_LENGTH } as const;
const CORES = { type: 'integer', minimum: 0, maximum: MAX_OFFER_CORES } as const;
const MEMORY_MB = { type: 'integer', minimum: 0, maximum: MAX_OFFER_MEMORY_MB } as const;
const POSITIVE_MS = { type: 'integer', minimum: 1, maximum: 24 * 60 * 60_000 } as const;
const INTERVAL_MS = { type: 'integer', minimum: MIN_HEARTBEAT_INTERVAL_MS, maximum: MAX_HEARTBEAT_INTERVAL_MS } as const;
const NODE_ID = { type: 'string', maxLength: 128, pattern: '^node:did:key:z[1-9A-HJ-NP-Za-km-z]+$' } as const;
const OFFER = {
  type: 'object',
  required: ['cores', 'memory-mb'],
  properties: { cores: CORES, 'memory-mb': MEMORY_MB },
  additionalProperties: false,
} as const;

export const PNODE_REGISTER_BODY_SCHEMA = {
  type: 'object',
  properties: {
    'req/id': REQUEST_ID,
    're/id': REQUEST_ID,
    descriptor: { type: 'object' },
    primary: { type: 'boolean' },
    accepted: { type: 'boolean' },
    reason: TEXT,
    'lease-ms': POSITIVE_MS,
    'heartbeat-interval-ms': INTERVAL_MS,
    'orchestrator/node-id': NODE_ID,
    trust: { enum: [...TRUST_LEVELS] },
    'offer/accepted': OFFER,
  },
  additionalProperties: false,
} as const;

export const HEARTBEAT_BODY_SCHEMA = {
  type: 'object',
  properties: {
    'req/id': REQUEST_ID,
    're/id': REQUEST_ID,
    seq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    primary: { type: 'boolean' },
    contributing: { type: 'boolean' },
    'load/permille': { type: ['integer', 'null'], minimum: 0, maximum: 1000 },
    'memory/available-mb': { type: ['integer', 'null'], minimum: 0, maximum: MAX_OFFER_MEMORY_MB },
    vnodes: {
      type: 'array',
      maxItems: MAX_VNODES_PER_PNODE,
      items: {
        type: 'object',
        required: ['vnode/id', 'state'],
        properties: { 'vnode/id': VNODE_ID, state: { enum: [...VNODE_WIRE_STATES] } },
        additionalProperties: false,
      },
    },
    'rtt/ms': { type: 'integer', minimum: 0, maximum: 3_600_000 },
    'lease-ms': POSITIVE_MS,
    'heartbeat-interval-ms': INTERVAL_MS,
  },
  additionalProperties: false,
} as const;

export const VNODE_ALLOCATE_BODY_SCHEMA = {
  type: 'object',
  required: ['vnode/id'],
  properties: {
    'req/id': REQUEST_ID,
    're/id': REQUEST_ID,
    'vnode/id': VNODE_ID,
    cores: { ...CORES, minimum: 1 },
    'memory-mb': { ...MEMORY_MB, minimum: 1 },
    accepted: { type: 'boolean' },
    reason: { enum: [...VNODE_REFUSAL_REASONS] },
  },
  additionalProperties: false,
} as const;

export const VNODE_RELEASE_BODY_SCHEMA = {
  type: 'object',
  required: ['vnode/id'],
  properties: {
    'req/id': REQUEST_ID,
    're/id': REQUEST_ID,
    'vnode/id': VNODE_ID,
    reason: { enum: [...VNODE_RELEASE_REASONS] },
    state: { enum: ['released', 'unknown'] },
  },
  additionalProperties: false,
} as const;

export const VNODE_STATUS_BODY_SCHEMA = {
  type: 'object',
  required: ['vnode/id', 'state'],
  properties: {
    'vnode/id': VNODE_ID,
    state: { enum: [...VNODE_WIRE_STATES] },
    reason: TEXT,
  },
  additionalProperties: false,
} as const;

type Shaped = Readonly<Record<string, unknown>>;

/**
 * One kind, two shapes: a request names `req/id` and carries exactly the `request` fields it
 * requires; a reply names `re/id` and none of the request-only fields.
 */
function requestOrReply(kind: string, message: object, request: { required: readonly string[]; only: readonly string[] }, reply: { required: readonly string[]; only: readonly string[] }): 'request' | 'reply' {
  const body = message as Shaped;
  const isRequest = body['req/id'] !== undefined;
  const isReply = body['re/id'] !== undefined;
  if (isRequest && isReply) throw bodyError(kind, ['re/id'], 'a message is a request or a reply, not both');
  if (!isRequest && !isReply) throw bodyError(kind, ['req/id'], 'a request names req/id, a reply re/id');
  const [own, other] = isRequest ? [request, reply] : [reply, request];
  for (const field of own.required) {
    if (body[field] === undefined) throw bodyError(kind, [field], `is required in a ${isRequest ? 'request' : 'reply'}`);
  }
  for (const field of other.only) {
    if (body[field] !== undefined) throw bodyError(kind, [field], `is not allowed in a ${isRequest ? 'request' : 'reply'}`);
  }
  return isRequest ? 'request' : 'reply';
}

export function checkPnodeRegister(body: PnodeRegisterBody): void {
  const grants = ['lease-ms', 'heartbeat-interval-ms', 'orchestrator/node-id', 'trust', 'offer/accepted'];
  const shape = requestOrReply(
    'pnode-register',
    body,
    { required: ['descriptor', 'primary'], only: ['descriptor', 'primary'] },
    { required: ['accepted'], only: ['accepted', 'reason', ...grants] },
  );
  if (shape === 'reply') {
    if (body.accepted === true) {
      for (const field of grants) if ((body as Shaped)[field] === undefined) throw bodyError('pnode-register', [field], 'is required when accepted');
      if (body.reason !== undefined) throw bodyError('pnode-register', ['reason'], 'only a refusal gives a reason');
    } else {
      if (body.reason === undefined) throw bodyError('pnode-register', ['reason'], 'a refusal gives a reason');
      for (const field of grants) if ((body as Shaped)[field] !== undefined) throw bodyError('pnode-register', [field], 'a refusal grants nothing');
    }
  }
}

export function checkHeartbeat(body: HeartbeatBody): void {
  const shape = requestOrReply(
    'heartbeat',
    body,
    { required: ['seq', 'primary', 'contributing', 'load/permille', 'memory/available-mb', 'vnodes'], only: ['seq', 'primary', 'contributing', 'load/permille', 'memory/available-mb', 'vnodes', 'rtt/ms'] },
    { required: ['lease-ms', 'heartbeat-interval-ms'], only: ['lease-ms', 'heartbeat-interval-ms'] },
  );
  if (shape === 'request') {
    const seen = new Set<string>();
    body.vnodes!.forEach((vnode, i) => {
      if (seen.has(vnode['vnode/id'])) throw bodyError('heartbeat', ['vnodes', String(i), 'vnode/id'], 'is listed twice');
      seen.add(vnode['vnode/id']);
    });
  }
}

export function checkVNodeAllocate(body: VNodeAllocateBody): void {
  const shape = requestOrReply('vnode-allocate', body, { required: ['cores', 'memory-mb'], only: ['cores', 'memory-mb'] }, { required: ['accepted'], only: ['accepted', 'reason'] });
  if (shape === 'reply') {
    if (body.accepted === false && body.reason === undefined) throw bodyError('vnode-allocate', ['reason'], 'a refusal gives a reason');
    if (body.accepted === true && body.reason !== undefined) throw bodyError('vnode-allocate', ['reason'], 'only a refusal gives a reason');
  }
}

export function checkVNodeRelease(body: VNodeReleaseBody): void {
  requestOrReply('vnode-release', body, { required: ['reason'], only: ['reason'] }, { required: ['state'], only: ['state'] });
}
