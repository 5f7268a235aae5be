// Work session messages (issue 7 §1, §3): an orchestrator sends tasks to the PNodes holding its
// VNodes, the PNodes answer with results, and a PNode that lacks a task's module fetches it from
// the orchestrator in chunks. Each body carries the wire form the VNode layer already defines
// (src-shared/vnode: TaskWire, TaskResultWire, ModuleChunkWire), checked here with the same strict
// decoders the host uses, so a malformed task, result or chunk never reaches a handler:
//
//   vnode-task            orchestrator → PNode  {req/id, vnode/id, task}
//   vnode-result          PNode → orchestrator  {re/id, result}              (answers a vnode-task)
//   vnode-module-request  PNode → orchestrator  {req/id, module/hash, module/size, chunks?}
//   vnode-module-chunk    orchestrator → PNode  {re/id, chunk}               (one per chunk asked for)
//                                            or error {re/id, E_PROTO_INVALID}: unknown module, too
//                                               many chunks in flight
//
// A task the PNode will not run (not its VNode, not allocated by this orchestrator, paused, busy)
// is still answered by a vnode-result, with a non-ok status and a detail saying why. `chunks`
// names the indexes wanted (at most MAX_CHUNKS_PER_MODULE_REQUEST, distinct, each below the
// module's chunk count); without it the first window is meant. Bodies are the JSON subset.
import { bodyError } from './body-codec.js';
import { MAX_REQUEST_ID_LENGTH, MAX_VNODE_ID_LENGTH } from '../../membership/membership-profile.js';
import { type ContentHash, isContentHash } from '../../vnode/content-hash.js';
import { MAX_MODULE_BYTES } from '../../vnode/limits.js';
import { type ModuleChunkWire, chunkCountFor, decodeModuleChunk } from '../../vnode/module-chunks.js';
import { type TaskResultWire, decodeTaskResult } from '../../vnode/task-result.js';
import { type TaskWire, decodeTask } from '../../vnode/workload.js';

/** Chunks one vnode-module-request may ask for: the receiver's window (a PNode takes 20 messages/s). */
export const MAX_CHUNKS_PER_MODULE_REQUEST = 8;

export interface VNodeTaskBody {
  readonly 'req/id': string;
  readonly 'vnode/id': string;
  readonly task: TaskWire;
}

export interface VNodeResultBody {
  readonly 're/id': string;
  readonly result: TaskResultWire;
}

export interface VNodeModuleRequestBody {
  readonly 'req/id': string;
  readonly 'module/hash': ContentHash;
  readonly 'module/size': number;
  readonly chunks?: readonly number[];
}

export interface VNodeModuleChunkBody {
  readonly 're/id': string;
  readonly chunk: ModuleChunkWire;
}

const REQUEST_ID = { type: 'string', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH } as const;
const VNODE_ID = { type: 'string', minLength: 1, maxLength: MAX_VNODE_ID_LENGTH, pattern: '^[A-Za-z0-9:._-]+$' } as const;

export const VNODE_TASK_BODY_SCHEMA = {
  type: 'object',
  required: ['req/id', 'vnode/id', 'task'],
  properties: { 'req/id': REQUEST_ID, 'vnode/id': VNODE_ID, task: { type: 'object' } },
  additionalProperties: false,
} as const;

export const VNODE_RESULT_BODY_SCHEMA = {
  type: 'object',
  required: ['re/id', 'result'],
  properties: { 're/id': REQUEST_ID, result: { type: 'object' } },
  additionalProperties: false,
} as const;

export const VNODE_MODULE_REQUEST_BODY_SCHEMA = {
  type: 'object',
  required: ['req/id', 'module/hash', 'module/size'],
  properties: {
    'req/id': REQUEST_ID,
    'module/hash': { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
    'module/size': { type: 'integer', minimum: 0, maximum: MAX_MODULE_BYTES },
    chunks: { type: 'array', minItems: 1, maxItems: MAX_CHUNKS_PER_MODULE_REQUEST, items: { type: 'integer', minimum: 0 } },
  },
  additionalProperties: false,
} as const;

export const VNODE_MODULE_CHUNK_BODY_SCHEMA = {
  type: 'object',
  required: ['re/id', 'chunk'],
  properties: { 're/id': REQUEST_ID, chunk: { type: 'object' } },
  additionalProperties: false,
} as const;

/** The task must decode (workload v1, bounds) and name the body's VNode. */
export function checkVNodeTask(body: VNodeTaskBody): void {
  const task = decodeTask(body.task);
  if (!task.ok) throw bodyError('vnode-task', ['task'], task.error.detail);
  if (task.value.vnodeId !== body['vnode/id']) throw bodyError('vnode-task', ['task', 'vnode/id'], 'must be the body\'s vnode/id');
}

/** The result must decode; an ok result carries its output and the output's true hash. */
export function checkVNodeResult(body: VNodeResultBody): void {
  const result = decodeTaskResult(body.result);
  if (!result.ok) throw bodyError('vnode-result', ['result'], result.error.detail);
}

export function checkVNodeModuleRequest(body: VNodeModuleRequestBody): void {
  if (!isContentHash(body['module/hash'])) throw bodyError('vnode-module-request', ['module/hash'], 'must be sha256: and 64 lowercase hex digits');
  const count = chunkCountFor(body['module/size']);
  const seen = new Set<number>();
  (body.chunks ?? []).forEach((index, i) => {
    if (index >= count) throw bodyError('vnode-module-request', ['chunks', String(i)], `must be below the module's ${count} chunks`);
    if (seen.has(index)) throw bodyError('vnode-module-request', ['chunks', String(i)], 'is asked for twice');
    seen.add(index);
  });
}

export function checkVNodeModuleChunk(body: VNodeModuleChunkBody): void {
  const chunk = decodeModuleChunk(body.chunk);
  if (!chunk.ok) throw bodyError('vnode-module-chunk', ['chunk'], chunk.error.detail);
}
