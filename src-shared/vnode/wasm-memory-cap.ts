// Caps the memory a module defines: rewrites its memory section so the one memory declares
// `maximum` pages at most. A WASI program defines and exports its own memory, and toolchains
// leave its maximum out (clang: 4 GiB); the engine then lets memory.grow go that far. With the
// maximum rewritten, growing past the task's need fails inside the program (malloc returns NULL)
// and the host's memory stays bounded. Only the memory section's bytes change: every other
// section is copied as it is, so the module's behaviour below the cap is the same. Pure.
import { WasmFormatError } from './wasm-inspect.js';

const HEADER_BYTES = 8;
const MEMORY_SECTION = 5;
const LIMITS_HAS_MAX = 0x01;
const LIMITS_UNSUPPORTED = 0x06; // shared or 64-bit

function readU32(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0, i = at; shift < 35; shift += 7, i++) {
    if (i >= bytes.length) throw new WasmFormatError(`unexpected end at byte ${i}`);
    const b = bytes[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) throw new WasmFormatError(`LEB128 value over 32 bits at byte ${at}`);
      return { value, next: i + 1 };
    }
  }
  throw new WasmFormatError(`LEB128 value too long at byte ${at}`);
}

export function encodeU32(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    const b = rest & 0x7f;
    rest >>>= 7;
    out.push(rest !== 0 ? b | 0x80 : b);
  } while (rest !== 0);
  return out;
}

/**
 * The module with its one defined memory's maximum set to min(declared maximum, maximumPages).
 * Throws WasmFormatError when the module does not define exactly one 32-bit unshared memory or
 * its minimum is above maximumPages (planWasiModule refuses both before this is called).
 */
export function capMemoryMaximum(bytes: Uint8Array, maximumPages: number): Uint8Array {
  let at = HEADER_BYTES;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const size = readU32(bytes, at + 1);
    const start = size.next;
    const end = start + size.value;
    if (end > bytes.length) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    if (id !== MEMORY_SECTION) {
      at = end;
      continue;
    }
    const count = readU32(bytes, start);
    if (count.value !== 1) throw new WasmFormatError(`the module defines ${count.value} memories, not one`);
    const flags = bytes[count.next];
    if (flags === undefined || flags > 0x07 || (flags & LIMITS_UNSUPPORTED) !== 0) throw new WasmFormatError('the memory is not a 32-bit unshared memory');
    const min = readU32(bytes, count.next + 1);
    const declaredMax = (flags & LIMITS_HAS_MAX) !== 0 ? readU32(bytes, min.next) : null;
    const limitsEnd = declaredMax ? declaredMax.next : min.next;
    if (limitsEnd !== end) throw new WasmFormatError('the memory section has bytes after its memory');
    if (min.value > maximumPages) throw new WasmFormatError(`the memory's minimum (${min.value} pages) is above the cap (${maximumPages})`);
    const max = Math.min(declaredMax?.value ?? maximumPages, maximumPages);
    if (max < min.value) throw new WasmFormatError('the memory declares a maximum below its minimum');
    const content = [...encodeU32(1), LIMITS_HAS_MAX, ...encodeU32(min.value), ...encodeU32(max)];
    const section = [MEMORY_SECTION, ...encodeU32(content.length), ...content];
    const out = new Uint8Array(at + section.length + (bytes.length - end));
    out.set(bytes.subarray(0, at), 0);
    out.set(section, at);
    out.set(bytes.subarray(end), at + section.length);
    return out;
  }
  throw new WasmFormatError('the module defines no memory');
}
