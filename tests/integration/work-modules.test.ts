// Issue 7 §1, module shipping over real sessions: a PNode without a task's module fetches it from
// the orchestrator in chunks; a chunk of the wrong length is refused and asked for again, a chunk
// with wrong bytes makes the whole module fail its hash and be fetched again; the second time the
// module comes from the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULE_CHUNK_BYTES } from '../../src-shared/vnode/limits.js';
import type { ModuleChunkWire } from '../../src-shared/vnode/module-chunks.js';
import type { Workload } from '../../src-shared/vnode/workload.js';
import { compileWat } from '../support/vnode/wat.js';
import { type WorkNet, startWorkNet, waitUntil } from '../support/work-net.js';

/** Echoes its input; a 100 KB data segment makes it four chunks long. */
const BIG_ECHO_WAT = `(module
  (import "env" "memory" (memory 4))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32 i32 i32)))
  (import "env" "output_write" (func $output_write (param i32 i32)))
  (data (i32.const 1024) "${'pnode-ballast-'.repeat(7_200)}")
  (func (export "run") (result i32)
    (call $input_read (i32.const 0) (i32.const 0) (call $input_len))
    (call $output_write (i32.const 0) (call $input_len))
    (i32.const 0)))`;

let net: WorkNet;
let module: { hash: `sha256:${string}`; size: number };
/** Which PNode gets which broken delivery (set once the contributors are known). */
const breakFor = new Map<string, 'truncate' | 'flip'>();
const deliveries: Array<{ pnode: string; index: number; delivery: number }> = [];

function brokenChunk(chunk: ModuleChunkWire, context: { pnode: string; delivery: number }): ModuleChunkWire {
  deliveries.push({ pnode: context.pnode, index: chunk['chunk/index'], delivery: context.delivery });
  const how = breakFor.get(context.pnode);
  if (!how || context.delivery !== 1) return chunk;
  const bytes = Buffer.from(chunk.bytes, 'base64url');
  if (how === 'truncate' && chunk['chunk/index'] === 1) return { ...chunk, bytes: bytes.subarray(0, bytes.length - 1).toString('base64url') };
  if (how === 'flip' && chunk['chunk/index'] === 2) {
    bytes[100] = bytes[100]! ^ 0xff;
    return { ...chunk, bytes: bytes.toString('base64url') };
  }
  return chunk;
}

function echoJob(inputs: readonly string[]): Workload[] {
  return inputs.map((text) => ({ moduleHash: module.hash, moduleSize: module.size, entry: 'run', input: new TextEncoder().encode(text), needs: { memoryMb: 1, maxMs: 10_000, cores: 1 } }));
}

beforeAll(async () => {
  net = await startWorkNet({ contributors: 2, scheduler: { scheduler: { chunkTransform: brokenChunk } } });
  await net.waitContributing();
  breakFor.set(net.contributors[0]!.nodeId, 'truncate');
  breakFor.set(net.contributors[1]!.nodeId, 'flip');
  module = net.scheduler.addModule(await compileWat(BIG_ECHO_WAT));
});

afterAll(async () => {
  await net?.stop();
});

describe('module shipping', () => {
  it('a PNode without the module fetches it in chunks, refusing broken ones and asking again', async () => {
    expect(module.size).toBeGreaterThan(3 * MODULE_CHUNK_BYTES);
    for (const c of net.contributors) expect(await c.host.modules.has(module.hash)).toBe(false);
    const job = net.scheduler.submit({ name: 'echo', workloads: echoJob(['first', 'second']) });
    await waitUntil(() => job.state !== 'running', 'the echo job');
    expect(job.state).toBe('done');
    const [truncated, flipped] = net.contributors;
    for (const c of net.contributors) {
      expect(await c.host.modules.has(module.hash)).toBe(true);
      expect(c.runner.stats.modulesFetched).toBe(1);
      expect(c.runner.stats.moduleFetchesFailed).toBe(0);
    }
    // The truncated chunk was refused on arrival and only it was asked for again.
    expect(truncated!.runner.stats.chunksRefused).toBe(1);
    expect(truncated!.runner.stats.chunksReceived).toBe(4);
    expect(deliveries.filter((d) => d.pnode === truncated!.nodeId && d.delivery === 2).map((d) => d.index)).toEqual([1]);
    // The flipped bytes passed every chunk check, failed the module's hash, and the module came again.
    expect(flipped!.runner.stats.chunksRefused).toBe(1);
    expect(deliveries.filter((d) => d.pnode === flipped!.nodeId && d.delivery === 2).map((d) => d.index).sort()).toEqual([0, 1, 2, 3]);
    expect(net.scheduler.counters.chunksSent).toBe(4 + 1 + 4 + 4);
  });

  it('uses the cache the second time: no module request, no chunk', async () => {
    const requests = net.contributors.map((c) => c.runner.stats.moduleRequests);
    const chunks = net.scheduler.counters.chunksSent;
    const job = net.scheduler.submit({ name: 'echo again', workloads: echoJob(['third', 'fourth', 'fifth']) });
    await waitUntil(() => job.state !== 'running', 'the second echo job');
    expect(job.state).toBe('done');
    expect(net.contributors.map((c) => c.runner.stats.moduleRequests)).toEqual(requests);
    expect(net.scheduler.counters.chunksSent).toBe(chunks);
    expect(net.scheduler.counters.moduleRequests).toBe(requests.reduce((a, b) => a + b, 0));
  });

  it('answers a request for a module it does not keep with a coded error, and the task fails cleanly', async () => {
    const unknown = { hash: `sha256:${'ab'.repeat(32)}` as const, size: 1000 };
    // A job cannot name a module the orchestrator does not keep.
    expect(() => net.scheduler.submit({ name: 'nothing', workloads: [{ moduleHash: unknown.hash, moduleSize: unknown.size, entry: 'run', input: new Uint8Array(0), needs: { memoryMb: 1, maxMs: 100, cores: 1 } }] })).toThrow(/not kept here/);
    const refused = net.scheduler.counters.moduleRequestsRefused;
    net.scheduler.onModuleRequest(net.contributors[0]!.nodeId, { 'req/id': 'mr:test', 'module/hash': unknown.hash, 'module/size': unknown.size });
    expect(net.scheduler.counters.moduleRequestsRefused).toBe(refused + 1);
  });
});
