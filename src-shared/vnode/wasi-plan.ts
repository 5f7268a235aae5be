// Decides whether a WASI program may run under a task's memory need, before anything runs it
// (issue 13 §2). The rules: it imports only allowlisted `wasi_snapshot_preview1` functions with
// their exact signatures (wasi-api.ts) — no sockets, no other module, no imported memory, table
// or global; it defines exactly one memory, 32-bit and unshared, exported as "memory", whose
// declared minimum fits the need; it is a command (exports `_start: () -> ()`, no
// `_initialize`) and has no start function (that would run before the host's wrapper is ready).
//
// A declared maximum above the need (or none, as toolchains emit) is not refused: it is capped
// (wasm-memory-cap.ts), so the program's memory can never grow past the need. Refusing it would
// refuse nearly every real program; the minimum is what a program needs to start at all.
// The engine's own WebAssembly.validate runs in the sandbox, before compiling (it is the
// engine's parser, so it runs where a crash costs only the sandbox).
import { formatSignature, sameSignature } from './host-api.js';
import { pagesForMb } from './limits.js';
import { WASI_FUNCTIONS, WASI_MODULE, WASI_REFUSED_FUNCTIONS, isWasiFunctionName } from './wasi-api.js';
import { capMemoryMaximum } from './wasm-memory-cap.js';
import { type ModuleInfo, WasmFormatError, inspectModule } from './wasm-inspect.js';
import type { PlanRefusal } from './module-plan.js';

export const WASI_ENTRY = '_start';
export const WASI_MEMORY_EXPORT = 'memory';

export interface WasiModulePlan {
  /** The module's memory after capping, in pages. */
  readonly memory: { readonly initial: number; readonly maximum: number };
  /** The bytes to run: the module with its memory maximum capped at the need. */
  readonly bytes: Uint8Array;
}

export type WasiPlanResult = { readonly ok: true; readonly plan: WasiModulePlan } | { readonly ok: false; readonly refusal: PlanRefusal };

function refuse(detail: string, status: PlanRefusal['status'] = 'failed'): WasiPlanResult {
  return { ok: false, refusal: { status, detail } };
}

/** Judges an inspected module; null when it may run (the memory is then checked by the caller). */
export function wasiRefusal(info: ModuleInfo, memoryMb: number): PlanRefusal | null {
  const no = (detail: string, status: PlanRefusal['status'] = 'failed'): PlanRefusal => ({ status, detail });
  for (const imported of info.imports) {
    const where = `${imported.module}.${imported.name}`;
    if (imported.module !== WASI_MODULE) return no(`imports ${where}: only "${WASI_MODULE}" functions are provided`);
    if (imported.kind !== 'function') return no(`imports ${where} as a ${imported.kind}; only functions are provided`);
    if (WASI_REFUSED_FUNCTIONS.includes(imported.name)) return no(`imports ${where}: sockets are not provided (a workload has no network)`);
    if (!isWasiFunctionName(imported.name)) return no(`imports ${where}, which is not on the WASI allowlist`);
    const wanted = WASI_FUNCTIONS[imported.name]!;
    if (!sameSignature(imported.signature!, wanted)) return no(`imports ${where} as ${formatSignature(imported.signature!)}; preview1 has ${formatSignature(wanted)}`);
  }
  if (info.memories.length !== 1) return no(`defines ${info.memories.length} memories; a WASI program defines exactly one`);
  const memory = info.memories[0]!;
  if (memory.unsupported) return no(`defines a ${memory.unsupported}; only a 32-bit unshared memory is provided`);
  const capPages = pagesForMb(memoryMb);
  if (memory.min > capPages) return no(`declares ${memory.min} pages of initial memory, more than the need of ${memoryMb} MB (${capPages} pages)`, 'memory-exceeded');
  if (memory.max !== null && memory.max < memory.min) return no(`declares a memory maximum (${memory.max}) below its minimum (${memory.min})`);
  const memoryExport = info.exports.find((e) => e.name === WASI_MEMORY_EXPORT);
  if (!memoryExport || memoryExport.kind !== 'memory') return no(`does not export its memory as "${WASI_MEMORY_EXPORT}"`);
  const entry = info.exports.find((e) => e.name === WASI_ENTRY);
  if (!entry || entry.kind !== 'function') return no(`has no "${WASI_ENTRY}" function: it is not a WASI command`);
  const signature = info.functionSignatures[entry.index];
  if (!signature) return no(`exports "${WASI_ENTRY}" with a function index out of range`);
  if (signature.params.length !== 0 || signature.results.length !== 0) return no(`exports "${WASI_ENTRY}" as ${formatSignature(signature)}; it must be () -> ()`);
  if (info.exports.some((e) => e.name === '_initialize')) return no('exports "_initialize": a WASI reactor, not a command');
  if (info.hasStart) return no('has a start function; a WASI program starts at "_start"');
  return null;
}

/** Inspects the bytes, judges them, and caps the memory; a malformed module is refused with `failed`. */
export function planWasiModule(bytes: Uint8Array, memoryMb: number): WasiPlanResult {
  let info: ModuleInfo;
  try {
    info = inspectModule(bytes);
  } catch (error) {
    if (error instanceof WasmFormatError) return refuse(`is not a valid module: ${error.message}`);
    throw error;
  }
  const refusal = wasiRefusal(info, memoryMb);
  if (refusal) return { ok: false, refusal };
  const capPages = pagesForMb(memoryMb);
  const declared = info.memories[0]!;
  try {
    return { ok: true, plan: { memory: { initial: declared.min, maximum: Math.min(declared.max ?? capPages, capPages) }, bytes: capMemoryMaximum(bytes, capPages) } };
  } catch (error) {
    if (error instanceof WasmFormatError) return refuse(`is not a valid module: ${error.message}`);
    throw error;
  }
}
