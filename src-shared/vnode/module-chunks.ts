// Shipping a module over a session (issue 7 §1): the module is cut into chunks of
// MODULE_CHUNK_BYTES (the last one shorter), each a message of its own that names the module's
// hash and size and its place (index of count). The layout is canonical, so an assembler can
// check every chunk on arrival: its length follows from its index, a second copy of an index is
// refused, and the assembled bytes must hash to the announced module hash.
import { type Result, fail, ok, attempt } from '../protocol/errors.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { type ContentHash, contentHash, isContentHash } from './content-hash.js';
import { MAX_MODULE_BYTES, MAX_MODULE_CHUNKS, MODULE_CHUNK_BYTES } from './limits.js';
import { base64urlBytes, closedObject, integerIn, invalid } from './wire-check.js';

export interface ModuleChunkWire {
  readonly 'module/hash': ContentHash;
  readonly 'module/size': number;
  readonly 'chunk/index': number;
  readonly 'chunk/count': number;
  /** base64url, unpadded; at most MODULE_CHUNK_BYTES bytes. */
  readonly bytes: string;
}

export interface ModuleChunk {
  readonly moduleHash: ContentHash;
  readonly moduleSize: number;
  readonly index: number;
  readonly count: number;
  readonly bytes: Uint8Array;
}

/** How many chunks a module of `size` bytes is cut into (an empty module is one empty chunk). */
export function chunkCountFor(size: number): number {
  return Math.max(1, Math.ceil(size / MODULE_CHUNK_BYTES));
}

/** The length chunk `index` of a `size`-byte module must have. */
export function chunkLengthAt(size: number, index: number): number {
  return Math.min(MODULE_CHUNK_BYTES, size - index * MODULE_CHUNK_BYTES);
}

/** Cuts a module into its chunks, ready to send. */
export function splitModule(bytes: Uint8Array, hash: ContentHash = contentHash(bytes)): ModuleChunkWire[] {
  if (bytes.length > MAX_MODULE_BYTES) throw invalid('module', `is ${bytes.length} bytes, over MAX_MODULE_BYTES (${MAX_MODULE_BYTES})`);
  const count = chunkCountFor(bytes.length);
  const chunks: ModuleChunkWire[] = [];
  for (let index = 0; index < count; index++) {
    const start = index * MODULE_CHUNK_BYTES;
    chunks.push({
      'module/hash': hash,
      'module/size': bytes.length,
      'chunk/index': index,
      'chunk/count': count,
      bytes: toBase64url(bytes.subarray(start, start + MODULE_CHUNK_BYTES)),
    });
  }
  return chunks;
}

/** Reads one chunk message: shape and bounds only (the assembler checks it against the module). */
export function decodeModuleChunk(value: unknown): Result<ModuleChunk> {
  return attempt(() => {
    const f = closedObject(value, 'module chunk', ['module/hash', 'module/size', 'chunk/index', 'chunk/count', 'bytes']);
    const moduleHash = f['module/hash'];
    if (!isContentHash(moduleHash)) throw invalid('module/hash', 'must be sha256: and 64 lowercase hex digits');
    const count = integerIn(f['chunk/count'], 'chunk/count', 1, MAX_MODULE_CHUNKS);
    return {
      moduleHash,
      moduleSize: integerIn(f['module/size'], 'module/size', 0, MAX_MODULE_BYTES),
      index: integerIn(f['chunk/index'], 'chunk/index', 0, count - 1),
      count,
      bytes: base64urlBytes(f['bytes'], 'bytes', MODULE_CHUNK_BYTES),
    };
  });
}

export type AssemblyProgress = { readonly complete: false; readonly received: number; readonly count: number } | { readonly complete: true; readonly bytes: Uint8Array };

/**
 * Collects the chunks of one announced module, in any order. A chunk that does not fit (another
 * module, a wrong length, an index out of range or already received) is refused and changes
 * nothing; when the last one arrives, the bytes are hashed and must match the announced hash.
 */
export class ModuleAssembler {
  readonly count: number;
  private readonly buffer: Uint8Array;
  private readonly received: boolean[];
  private receivedCount = 0;
  private done: Uint8Array | null = null;
  private broken: string | null = null;

  constructor(
    readonly moduleHash: ContentHash,
    readonly moduleSize: number,
  ) {
    if (!isContentHash(moduleHash)) throw invalid('module/hash', 'must be sha256: and 64 lowercase hex digits');
    if (!Number.isSafeInteger(moduleSize) || moduleSize < 0 || moduleSize > MAX_MODULE_BYTES) throw invalid('module/size', `must be an integer from 0 to ${MAX_MODULE_BYTES}`);
    this.count = chunkCountFor(moduleSize);
    this.buffer = new Uint8Array(moduleSize);
    this.received = new Array<boolean>(this.count).fill(false);
  }

  /** Starts an assembler from the first chunk received. */
  static forChunk(chunk: ModuleChunk): ModuleAssembler {
    return new ModuleAssembler(chunk.moduleHash, chunk.moduleSize);
  }

  add(chunk: ModuleChunk): Result<AssemblyProgress> {
    if (this.broken !== null) return fail('E_PROTO_INVALID', this.broken);
    if (this.done) return fail('E_PROTO_INVALID', `module ${this.moduleHash} is already complete`);
    if (chunk.moduleHash !== this.moduleHash) return fail('E_PROTO_INVALID', `chunk of ${chunk.moduleHash} offered to the assembly of ${this.moduleHash}`);
    if (chunk.moduleSize !== this.moduleSize) return fail('E_PROTO_INVALID', `chunk says the module is ${chunk.moduleSize} bytes; it was announced as ${this.moduleSize}`);
    if (chunk.count !== this.count) return fail('E_PROTO_INVALID', `chunk says ${chunk.count} chunks; a ${this.moduleSize}-byte module has ${this.count}`);
    if (!Number.isSafeInteger(chunk.index) || chunk.index < 0 || chunk.index >= this.count) return fail('E_PROTO_INVALID', `chunk index ${chunk.index} is outside 0–${this.count - 1}`);
    if (chunk.bytes.length > MODULE_CHUNK_BYTES) return fail('E_PROTO_INVALID', `chunk ${chunk.index} is ${chunk.bytes.length} bytes, over MODULE_CHUNK_BYTES (${MODULE_CHUNK_BYTES})`);
    const expected = chunkLengthAt(this.moduleSize, chunk.index);
    if (chunk.bytes.length !== expected) return fail('E_PROTO_INVALID', `chunk ${chunk.index} is ${chunk.bytes.length} bytes; it must be ${expected}`);
    if (this.received[chunk.index]) return fail('E_PROTO_INVALID', `chunk ${chunk.index} was already received`);
    this.buffer.set(chunk.bytes, chunk.index * MODULE_CHUNK_BYTES);
    this.received[chunk.index] = true;
    this.receivedCount++;
    if (this.receivedCount < this.count) return ok({ complete: false, received: this.receivedCount, count: this.count });
    const actual = contentHash(this.buffer);
    if (actual !== this.moduleHash) {
      this.broken = `assembled module hashes to ${actual}, not the announced ${this.moduleHash}`;
      return fail('E_PROTO_INVALID', this.broken);
    }
    this.done = this.buffer;
    return ok({ complete: true, bytes: this.buffer });
  }

  /** Indexes not received yet, in order (what to ask for again). */
  missing(): number[] {
    const out: number[] = [];
    this.received.forEach((got, index) => {
      if (!got) out.push(index);
    });
    return out;
  }

  /** The module once complete; otherwise an error naming what is missing or wrong. */
  result(): Result<Uint8Array> {
    if (this.done) return ok(this.done);
    if (this.broken !== null) return fail('E_PROTO_INVALID', this.broken);
    const missing = this.missing();
    const shown = missing.slice(0, 16).join(', ') + (missing.length > 16 ? `, … (${missing.length} in all)` : '');
    return fail('E_PROTO_INVALID', `module ${this.moduleHash} is missing chunk${missing.length === 1 ? '' : 's'} ${shown}`);
  }
}
