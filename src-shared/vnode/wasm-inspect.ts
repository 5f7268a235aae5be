// Reads what a WebAssembly module asks of its host before the host runs it: its imports (names,
// kinds, signatures, memory limits), whether it defines its own memory, and its exports with
// their signatures. It reads only the type, import, function, memory and export sections; the
// engine validates everything else when it compiles. Pure: runs anywhere, no WebAssembly API.
import { fromUtf8 } from '../protocol/encoding/bytes.js';
import type { FunctionSignature, WasmValueType } from './host-api.js';

export type ImportKind = 'function' | 'table' | 'memory' | 'global' | 'tag';
export type ExportKind = ImportKind;

export interface MemoryLimits {
  /** Pages. */
  readonly min: number;
  readonly max: number | null;
  /** Shared (threads) or 64-bit memories: never acceptable to a v1 host. */
  readonly unsupported: string | null;
}

export interface ModuleImport {
  readonly module: string;
  readonly name: string;
  readonly kind: ImportKind;
  /** Functions: the signature. */
  readonly signature?: FunctionSignature;
  /** Memories: the declared limits. */
  readonly memory?: MemoryLimits;
}

export interface ModuleExport {
  readonly name: string;
  readonly kind: ExportKind;
  readonly index: number;
}

export interface ModuleInfo {
  readonly imports: readonly ModuleImport[];
  readonly exports: readonly ModuleExport[];
  /** Memories the module defines itself (memory section entries). */
  readonly definedMemories: number;
  /** The declared limits of each memory the module defines. */
  readonly memories: readonly MemoryLimits[];
  /** Whether the module has a start function (run while it is instantiated). */
  readonly hasStart: boolean;
  /** Signature of every function, imported ones first (the function index space). */
  readonly functionSignatures: readonly (FunctionSignature | null)[];
}

export class WasmFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasmFormatError';
  }
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const VERSION = [0x01, 0x00, 0x00, 0x00];
const SECTION = { type: 1, import: 2, function: 3, memory: 5, export: 7, start: 8 } as const;
const KINDS: readonly ImportKind[] = ['function', 'table', 'memory', 'global', 'tag'];
const VALUE_TYPES: Readonly<Record<number, WasmValueType>> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };
/** Most entries of any vector we read: far above any real module, low enough to bound the work. */
const MAX_VECTOR = 1_000_000;

class Reader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.offset = start;
  }

  byte(): number {
    if (this.offset >= this.end) throw new WasmFormatError(`unexpected end at byte ${this.offset}`);
    return this.bytes[this.offset++]!;
  }

  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new WasmFormatError(`LEB128 value over 32 bits at byte ${this.offset}`);
        return result;
      }
    }
    throw new WasmFormatError(`LEB128 value too long at byte ${this.offset}`);
  }

  /** An unsigned LEB128 of up to 64 bits, as a number (precision beyond 2^53 does not matter here). */
  u64(): number {
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new WasmFormatError(`LEB128 value too long at byte ${this.offset}`);
  }

  count(what: string): number {
    const n = this.u32();
    if (n > MAX_VECTOR) throw new WasmFormatError(`${what}: ${n} entries is too many`);
    return n;
  }

  name(): string {
    const length = this.u32();
    if (length > this.end - this.offset) throw new WasmFormatError(`name runs past its section at byte ${this.offset}`);
    const bytes = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    try {
      return fromUtf8(bytes);
    } catch {
      throw new WasmFormatError('a name is not valid UTF-8');
    }
  }

  limits(): MemoryLimits {
    const flags = this.byte();
    if (flags > 0x07) throw new WasmFormatError(`limits flags 0x${flags.toString(16)}`);
    const is64 = (flags & 0x04) !== 0;
    const shared = (flags & 0x02) !== 0;
    const read = is64 ? () => this.u64() : () => this.u32();
    const min = read();
    const max = (flags & 0x01) !== 0 ? read() : null;
    return { min, max, unsupported: is64 ? '64-bit memory' : shared ? 'shared memory' : null };
  }
}

function valueType(reader: Reader): WasmValueType {
  const code = reader.byte();
  const type = VALUE_TYPES[code];
  if (!type) throw new WasmFormatError(`value type 0x${code.toString(16)} is not supported by this host`);
  return type;
}

function readTypes(reader: Reader): (FunctionSignature | null)[] {
  const types: (FunctionSignature | null)[] = [];
  const n = reader.count('type section');
  for (let i = 0; i < n; i++) {
    const form = reader.byte();
    if (form !== 0x60) throw new WasmFormatError(`type ${i} has form 0x${form.toString(16)}, not a function type`);
    const params: WasmValueType[] = [];
    const results: WasmValueType[] = [];
    for (let p = reader.count('params'); p > 0; p--) params.push(valueType(reader));
    for (let r = reader.count('results'); r > 0; r--) results.push(valueType(reader));
    types.push({ params, results });
  }
  return types;
}

function typeAt(types: readonly (FunctionSignature | null)[], index: number): FunctionSignature {
  const type = types[index];
  if (!type) throw new WasmFormatError(`type index ${index} is out of range`);
  return type;
}

/** Parses the parts of a module a host needs to judge it. Throws WasmFormatError. */
export function inspectModule(bytes: Uint8Array): ModuleInfo {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new WasmFormatError('not a WebAssembly module (bad magic)');
  if (VERSION.some((b, i) => bytes[4 + i] !== b)) throw new WasmFormatError('unsupported WebAssembly version');
  let types: (FunctionSignature | null)[] = [];
  const imports: ModuleImport[] = [];
  const exports: ModuleExport[] = [];
  const functions: (FunctionSignature | null)[] = [];
  const memories: MemoryLimits[] = [];
  let hasStart = false;
  const outer = new Reader(bytes, 8, bytes.length);
  while (outer.offset < bytes.length) {
    const id = outer.byte();
    const size = outer.u32();
    const start = outer.offset;
    if (size > bytes.length - start) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    const reader = new Reader(bytes, start, start + size);
    switch (id) {
      case SECTION.type:
        types = readTypes(reader);
        break;
      case SECTION.import: {
        for (let n = reader.count('import section'); n > 0; n--) {
          const module = reader.name();
          const name = reader.name();
          const kindCode = reader.byte();
          const kind = KINDS[kindCode];
          if (!kind) throw new WasmFormatError(`import ${module}.${name} has kind 0x${kindCode.toString(16)}`);
          if (kind === 'function') {
            const signature = typeAt(types, reader.u32());
            imports.push({ module, name, kind, signature });
            functions.push(signature);
          } else if (kind === 'memory') {
            imports.push({ module, name, kind, memory: reader.limits() });
          } else {
            // Tables, globals and tags are never provided by this host; read past them all the same.
            if (kind === 'table') {
              valueType(reader);
              reader.limits();
            } else if (kind === 'global') {
              valueType(reader);
              reader.byte();
            } else {
              reader.byte();
              typeAt(types, reader.u32());
            }
            imports.push({ module, name, kind });
          }
        }
        break;
      }
      case SECTION.function:
        for (let n = reader.count('function section'); n > 0; n--) functions.push(typeAt(types, reader.u32()));
        break;
      case SECTION.memory:
        for (let n = reader.count('memory section'); n > 0; n--) memories.push(reader.limits());
        break;
      case SECTION.start:
        hasStart = true;
        break;
      case SECTION.export:
        for (let n = reader.count('export section'); n > 0; n--) {
          const name = reader.name();
          const kindCode = reader.byte();
          const kind = KINDS[kindCode];
          if (!kind) throw new WasmFormatError(`export ${name} has kind 0x${kindCode.toString(16)}`);
          exports.push({ name, kind, index: reader.u32() });
        }
        break;
      default:
        break;
    }
    outer.offset = start + size;
  }
  return { imports, exports, definedMemories: memories.length, memories, hasStart, functionSignatures: functions };
}
