// The host API: everything a workload module can reach. A module is instantiated with exactly
// these imports and nothing else, so it has no ambient I/O: no files, network, clock, randomness
// or host objects. Output therefore depends on the module and its input only, which is what lets
// an orchestrator validate work by running a task twice and comparing output hashes (BOINC's
// quorum). A module imports any subset, by these names and exact signatures (checked before it
// runs; a mismatch is refused):
//
//   (import "env" "memory" (memory N))       the task's linear memory, created by the host with
//                                            N pages and a maximum of needs.memory-mb; growing
//                                            past it fails (memory.grow returns -1)
//   (import "env" "input_len" (func (result i32)))
//                                            the input's length in bytes
//   (import "env" "input_read" (func (param $ptr i32) (param $offset i32) (param $len i32)))
//                                            copies input[offset, offset+len) to memory[ptr, ptr+len)
//   (import "env" "output_write" (func (param $ptr i32) (param $len i32)))
//                                            appends memory[ptr, ptr+len) to the output (at most
//                                            MAX_OUTPUT_BYTES in all)
//   (import "env" "yield" (func))            a safe point: returns at once while the task may run,
//                                            blocks while it is paused. Call it at loop boundaries
//                                            (every few milliseconds of work): where the host
//                                            cannot stop the process (Windows) it is the only way
//                                            a pause reaches the module.
//
// Pointers and lengths are unsigned. A range outside the memory or the input, or output past the
// bound, traps with a status of `trap` and a detail naming the call. Memory is only imported: a
// module that defines its own memory is refused (the host could not cap it).
//
// The entry is an exported function of type () -> () or () -> (i32); a non-zero i32 result means
// the module refused its input (status `failed`, the code in the detail).

export const HOST_MODULE = 'env';
export const HOST_MEMORY = 'memory';

export type WasmValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FunctionSignature {
  readonly params: readonly WasmValueType[];
  readonly results: readonly WasmValueType[];
}

export const HOST_FUNCTIONS = {
  input_len: { params: [], results: ['i32'] },
  input_read: { params: ['i32', 'i32', 'i32'], results: [] },
  output_write: { params: ['i32', 'i32'], results: [] },
  yield: { params: [], results: [] },
} as const satisfies Record<string, FunctionSignature>;

export type HostFunctionName = keyof typeof HOST_FUNCTIONS;

export function isHostFunctionName(name: string): name is HostFunctionName {
  return Object.prototype.hasOwnProperty.call(HOST_FUNCTIONS, name);
}

/** Entry signatures a task may name. */
export const ENTRY_SIGNATURES: readonly FunctionSignature[] = [
  { params: [], results: [] },
  { params: [], results: ['i32'] },
];

export function sameSignature(a: FunctionSignature, b: FunctionSignature): boolean {
  return a.params.length === b.params.length && a.results.length === b.results.length && a.params.every((t, i) => t === b.params[i]) && a.results.every((t, i) => t === b.results[i]);
}

export function formatSignature(signature: FunctionSignature): string {
  return `(${signature.params.join(', ')}) -> (${signature.results.join(', ')})`;
}
