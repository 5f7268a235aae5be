import { describe, expect, it } from 'vitest';
import { encodeDeterministic } from '../protocol/encoding/dcbor.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { MAX_SESSION_MESSAGE_BYTES } from '../protocol/messages/session-message.js';
import { contentHash } from './content-hash.js';
import { MAX_MODULE_BYTES, MODULE_CHUNK_BYTES } from './limits.js';
import { type ModuleChunk, type ModuleChunkWire, ModuleAssembler, chunkCountFor, decodeModuleChunk, splitModule } from './module-chunks.js';

function moduleOf(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 255;
  return bytes;
}

function decoded(wire: ModuleChunkWire): ModuleChunk {
  const chunk = decodeModuleChunk(wire);
  if (!chunk.ok) throw chunk.error;
  return chunk.value;
}

function assemblerFor(bytes: Uint8Array): ModuleAssembler {
  return new ModuleAssembler(contentHash(bytes), bytes.length);
}

describe('module chunks', () => {
  it('cut a module into full chunks and a shorter last one', () => {
    const bytes = moduleOf(2 * MODULE_CHUNK_BYTES + 100);
    const chunks = splitModule(bytes);
    expect(chunks.map((c) => [c['chunk/index'], c['chunk/count']])).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
    ]);
    expect(chunks.map((c) => decoded(c).bytes.length)).toEqual([MODULE_CHUNK_BYTES, MODULE_CHUNK_BYTES, 100]);
    expect(chunkCountFor(0)).toBe(1);
    expect(chunkCountFor(MODULE_CHUNK_BYTES)).toBe(1);
    expect(chunkCountFor(MODULE_CHUNK_BYTES + 1)).toBe(2);
  });

  it('a full chunk fits one session message', () => {
    const [chunk] = splitModule(moduleOf(MODULE_CHUNK_BYTES));
    const message = encodeDeterministic({ 'msg/kind': 'vnode-module-chunk', body: { 're/id': 'req:01JQ0000000000000000000000', ...chunk! } });
    expect(message.length).toBeLessThan(MAX_SESSION_MESSAGE_BYTES);
  });

  it('reassemble in any order and check the total hash', () => {
    const bytes = moduleOf(3 * MODULE_CHUNK_BYTES + 7);
    const assembler = assemblerFor(bytes);
    const chunks = splitModule(bytes).map(decoded);
    for (const index of [2, 0, 3]) {
      const progress = assembler.add(chunks[index]!);
      expect(progress).toMatchObject({ ok: true, value: { complete: false } });
    }
    expect(assembler.missing()).toEqual([1]);
    expect(assembler.result().ok).toBe(false);
    const last = assembler.add(chunks[1]!);
    expect(last.ok && last.value.complete && last.value.bytes).toEqual(bytes);
    expect(assembler.result()).toEqual({ ok: true, value: bytes });
  });

  it('an empty module is one empty chunk', () => {
    const assembler = assemblerFor(new Uint8Array(0));
    const result = assembler.add(decoded(splitModule(new Uint8Array(0))[0]!));
    expect(result.ok && result.value.complete).toBe(true);
  });

  it('refuse a module whose bytes do not hash to the announced hash', () => {
    const bytes = moduleOf(MODULE_CHUNK_BYTES + 10);
    const announced = contentHash(moduleOf(MODULE_CHUNK_BYTES + 11).subarray(0, MODULE_CHUNK_BYTES + 10).map((b) => b ^ 1));
    const assembler = new ModuleAssembler(announced, bytes.length);
    const chunks = splitModule(bytes, announced).map(decoded);
    expect(assembler.add(chunks[0]!).ok).toBe(true);
    const last = assembler.add(chunks[1]!);
    expect(last.ok).toBe(false);
    if (!last.ok) expect(last.error.detail).toMatch(/hashes to sha256:[0-9a-f]{64}, not the announced/);
    expect(assembler.result().ok).toBe(false);
    expect(assembler.add(chunks[0]!).ok).toBe(false);
  });

  it('refuse a duplicate chunk and keep going', () => {
    const bytes = moduleOf(2 * MODULE_CHUNK_BYTES);
    const assembler = assemblerFor(bytes);
    const chunks = splitModule(bytes).map(decoded);
    expect(assembler.add(chunks[0]!).ok).toBe(true);
    const again = assembler.add(chunks[0]!);
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.detail).toMatch(/already received/);
    expect(assembler.add(chunks[1]!)).toMatchObject({ ok: true, value: { complete: true } });
  });

  it('report missing chunks', () => {
    const bytes = moduleOf(40 * MODULE_CHUNK_BYTES);
    const assembler = assemblerFor(bytes);
    const chunks = splitModule(bytes).map(decoded);
    assembler.add(chunks[5]!);
    const result = assembler.result();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.detail).toMatch(/missing chunks 0, 1, 2, .* \(39 in all\)/);
    expect(assembler.missing()).toHaveLength(39);
  });

  it('refuse chunks of the wrong size, place or module', () => {
    const bytes = moduleOf(2 * MODULE_CHUNK_BYTES + 5);
    const assembler = assemblerFor(bytes);
    const [first, second, third] = splitModule(bytes).map(decoded);
    const refusals: [ModuleChunk, RegExp][] = [
      [{ ...first!, bytes: first!.bytes.subarray(1) }, /must be 32768/],
      [{ ...third!, bytes: moduleOf(6) }, /must be 5/],
      [{ ...second!, bytes: moduleOf(MODULE_CHUNK_BYTES + 1) }, /over MODULE_CHUNK_BYTES/],
      [{ ...first!, index: 3 }, /outside 0–2/],
      [{ ...first!, count: 4 }, /has 3/],
      [{ ...first!, moduleSize: bytes.length + 1 }, /announced as/],
      [{ ...first!, moduleHash: contentHash(moduleOf(3)) }, /offered to the assembly/],
    ];
    for (const [chunk, pattern] of refusals) {
      const result = assembler.add(chunk);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.detail).toMatch(pattern);
    }
    expect(assembler.missing()).toEqual([0, 1, 2]);
  });

  it('decode only well-formed chunk messages', () => {
    const [wire] = splitModule(moduleOf(100));
    expect(decodeModuleChunk(wire).ok).toBe(true);
    const bad: Record<string, unknown>[] = [
      { ...wire, bytes: toBase64url(moduleOf(MODULE_CHUNK_BYTES + 1)) },
      { ...wire, 'chunk/index': 1 },
      { ...wire, 'chunk/count': 0 },
      { ...wire, 'module/size': MAX_MODULE_BYTES + 1 },
      { ...wire, 'module/hash': 'sha256:00' },
      { ...wire, extra: true },
      { ...wire, bytes: 'not base64url!' },
    ];
    for (const value of bad) expect(decodeModuleChunk(value).ok).toBe(false);
  });

  it('refuse to cut a module over the size bound', () => {
    expect(() => splitModule(new Uint8Array(MAX_MODULE_BYTES + 1))).toThrow(/MAX_MODULE_BYTES/);
  });
});
