// Blob shipping over real sessions (issue 7 §1, issue 13 §1): a PNode without a task's module or
// input file fetches it from the orchestrator in chunks; a chunk of the wrong length is refused and
// asked for again, a chunk with wrong bytes makes the whole blob fail its hash and be fetched again;
// the second time both come from the cache. The orchestrator serves a blob only to a PNode running
// a task that needs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULE_CHUNK_BYTES } from '../../src-shared/vnode/limits.js';
import type { ModuleChunkWire } from '../../src-shared/vnode/module-chunks.js';
import type { ContentHash } from '../../src-shared/vnode/content-hash.js';
import { hashBytes } from '../../src-node/kernel/storage/module-cache.js';
import { decode, wasiModule } from '../support/vnode/wasi-fixtures.js';
import { TestProject } from '../support/test-project.js';
import { type WorkNet, startWorkNet, submitBatch, waitBatch } from '../support/work-net.js';

let net: WorkNet;
const probe = wasiModule('probe');
/** An input file of four chunks. */
const big = Uint8Array.from({ length: 3 * MODULE_CHUNK_BYTES + 1_000 }, (_, i) => (i * 7) & 0xff);
const bigHash: ContentHash = hashBytes(big);
/** Which PNode gets which broken delivery of the input blob (set once the contributors are known). */
const breakFor = new Map<string, 'truncate' | 'flip'>();
const deliveries: Array<{ pnode: string; index: number; delivery: number }> = [];

function brokenChunk(chunk: ModuleChunkWire, context: { pnode: string; delivery: number }): ModuleChunkWire {
  if (chunk['module/hash'] !== bigHash) return chunk;
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

const statTask = (name: string) => ({ name, args: ['stat', 'big.bin'], files: [{ name: 'big.bin', blob: bigHash }], limits: { 'memory-mb': 16, 'max-ms': 10_000 } });

beforeAll(async () => {
  net = await startWorkNet({ contributors: 2, scheduler: { scheduler: { chunkTransform: brokenChunk } } });
  await net.waitContributing();
  breakFor.set(net.contributors[0]!.nodeId, 'truncate');
  breakFor.set(net.contributors[1]!.nodeId, 'flip');
});

afterAll(async () => {
  await net?.stop();
});

describe('blob shipping', () => {
  it('a PNode without a task\'s module and input file fetches them in chunks, refusing broken ones and asking again', async () => {
    for (const c of net.contributors) expect(await c.host.modules.has(bigHash)).toBe(false);
    const { batch } = await submitBatch(net, 'stat', probe.bytes, [statTask('first'), statTask('second')], [big]);
    await waitBatch(net, batch);
    const results = await net.project.results(batch);
    for (const result of results) expect(decode(TestProject.stdout(result))).toMatch(new RegExp(`^size ${big.length} `));
    const [truncated, flipped] = net.contributors;
    for (const c of net.contributors) {
      expect(await c.host.modules.has(bigHash)).toBe(true);
      expect(await c.host.modules.has(probe.hash)).toBe(true);
      expect(c.runner.stats.moduleFetchesFailed).toBe(0);
    }
    // The truncated chunk was refused on arrival and only it was asked for again.
    expect(deliveries.filter((d) => d.pnode === truncated!.nodeId && d.delivery === 2).map((d) => d.index)).toEqual([1]);
    expect(truncated!.runner.stats.chunksRefused).toBe(1);
    // The flipped bytes passed every chunk check, failed the blob's hash, and the blob came again.
    expect(deliveries.filter((d) => d.pnode === flipped!.nodeId && d.delivery === 2).map((d) => d.index).sort()).toEqual([0, 1, 2, 3]);
    expect(flipped!.runner.stats.chunksRefused).toBe(1);
  });

  it('uses the cache the second time: no blob request, no chunk', async () => {
    const requests = net.contributors.map((c) => c.runner.stats.moduleRequests);
    const chunks = net.scheduler.counters.chunksSent;
    const { batch } = await submitBatch(net, 'stat again', probe.bytes, [statTask('third'), statTask('fourth')], [big]);
    await waitBatch(net, batch);
    expect(net.contributors.map((c) => c.runner.stats.moduleRequests)).toEqual(requests);
    expect(net.scheduler.counters.chunksSent).toBe(chunks);
  });

  it('refuses, with a coded error, a blob no task of the PNode needs', async () => {
    const refused = net.scheduler.counters.moduleRequestsRefused;
    net.scheduler.onModuleRequest(net.contributors[0]!.nodeId, { 'req/id': 'mr:test', 'module/hash': bigHash, 'module/size': big.length });
    net.scheduler.onModuleRequest(net.contributors[0]!.nodeId, { 'req/id': 'mr:test2', 'module/hash': `sha256:${'ab'.repeat(32)}`, 'module/size': 1_000 });
    expect(net.scheduler.counters.moduleRequestsRefused).toBe(refused + 2);
  });
});
