import { afterEach, describe, expect, it, vi } from 'vitest';
import { contentHash } from '../../../src-shared/vnode/content-hash.js';
import { MODULE_CHUNK_BYTES } from '../../../src-shared/vnode/limits.js';
import { type ModuleChunk, decodeModuleChunk, splitModule } from '../../../src-shared/vnode/module-chunks.js';
import type { VNodeModuleRequestBody } from '../../../src-shared/protocol/messages/work-bodies.js';
import { type FetchOutcome, MAX_MODULE_FETCH_RETRIES, ModuleFetch } from './module-fetch.js';

const module = new Uint8Array(MODULE_CHUNK_BYTES * 5 + 123).map((_, i) => (i * 7) % 256);
const hash = contentHash(module);
const chunks: ModuleChunk[] = splitModule(module, hash).map((wire) => {
  const decoded = decodeModuleChunk(wire);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
});

function fetcher(options: { timeoutMs?: number; send?: (body: VNodeModuleRequestBody) => boolean } = {}) {
  const requests: VNodeModuleRequestBody[] = [];
  const outcomes: FetchOutcome[] = [];
  let n = 0;
  const fetch = new ModuleFetch({
    moduleHash: hash,
    moduleSize: module.length,
    from: 'orchestrator',
    newRequestId: () => `mr:${++n}`,
    send: (body) => {
      requests.push(body);
      return options.send ? options.send(body) : true;
    },
    onDone: (outcome) => outcomes.push(outcome),
    window: 4,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  return { fetch, requests, outcomes };
}

/** Answers the last request with the chunks it named (changed by `alter` where it says). */
function answer(f: ReturnType<typeof fetcher>, alter: (chunk: ModuleChunk) => ModuleChunk = (c) => c): void {
  const request = f.requests[f.requests.length - 1]!;
  for (const index of request.chunks!) f.fetch.onChunk(request['req/id'], alter(chunks[index]!));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ModuleFetch', () => {
  it('asks window by window and assembles the module', () => {
    const f = fetcher();
    f.fetch.start();
    expect(f.requests[0]).toEqual({ 'req/id': 'mr:1', 'module/hash': hash, 'module/size': module.length, chunks: [0, 1, 2, 3] });
    answer(f);
    expect(f.requests[1]!.chunks).toEqual([4, 5]);
    answer(f);
    expect(f.outcomes).toHaveLength(1);
    const outcome = f.outcomes[0]!;
    expect(outcome.ok && contentHash(outcome.bytes)).toBe(hash);
    expect(f.fetch.stats).toEqual({ requests: 2, chunksReceived: 6, chunksRefused: 0, restarts: 0 });
  });

  it('refuses a chunk of the wrong length and asks for that one again', () => {
    const f = fetcher();
    f.fetch.start();
    answer(f, (c) => (c.index === 2 ? { ...c, bytes: c.bytes.subarray(1) } : c));
    expect(f.requests[1]!.chunks).toEqual([2, 4, 5]);
    answer(f);
    expect(f.outcomes[0]!.ok).toBe(true);
    expect(f.fetch.stats.chunksRefused).toBe(1);
  });

  it('fetches the whole module again when its bytes do not match its hash', () => {
    const f = fetcher();
    f.fetch.start();
    answer(f, (c) => (c.index === 1 ? { ...c, bytes: c.bytes.map((b, i) => (i === 0 ? b ^ 1 : b)) } : c));
    answer(f);
    expect(f.requests[2]!.chunks).toEqual([0, 1, 2, 3]);
    answer(f);
    answer(f);
    expect(f.outcomes[0]!.ok).toBe(true);
    expect(f.fetch.stats.restarts).toBe(1);
  });

  it('ignores chunks of an earlier request and chunks not asked for', () => {
    const f = fetcher();
    f.fetch.start();
    f.fetch.onChunk('mr:other', chunks[0]!);
    f.fetch.onChunk('mr:1', chunks[5]!);
    expect(f.fetch.stats.chunksReceived).toBe(0);
    answer(f);
    expect(f.fetch.stats.chunksReceived).toBe(4);
  });

  it('asks again when a window goes unanswered, and gives up after its retries', () => {
    vi.useFakeTimers();
    const f = fetcher({ timeoutMs: 1_000 });
    f.fetch.start();
    for (let i = 0; i < MAX_MODULE_FETCH_RETRIES; i++) vi.advanceTimersByTime(1_000);
    expect(f.requests).toHaveLength(1 + MAX_MODULE_FETCH_RETRIES);
    expect(f.outcomes).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(f.outcomes).toEqual([{ ok: false, detail: expect.stringMatching(/could not be fetched: no answer within 1000 ms/) }]);
  });

  it('fails at once when the orchestrator answers with an error or the session is gone', () => {
    const refused = fetcher();
    refused.fetch.start();
    refused.fetch.onError('mr:1', 'E_PROTO_INVALID: unknown module');
    expect(refused.outcomes).toEqual([{ ok: false, detail: expect.stringMatching(/refused the module request/) }]);
    const closed = fetcher({ send: () => false });
    closed.fetch.start();
    expect(closed.outcomes).toEqual([{ ok: false, detail: 'the session with the orchestrator closed' }]);
  });
});
