// Decides whether a module may run under a task's needs, and how its memory is to be created.
// The rules (host-api.ts): only the host API may be imported, with its exact signatures; memory
// is imported (never defined), 32-bit and unshared, and its declared minimum fits the need; the
// entry is an exported function of type () -> () or () -> (i32).
import { ENTRY_SIGNATURES, HOST_FUNCTIONS, HOST_MEMORY, HOST_MODULE, formatSignature, isHostFunctionName, sameSignature } from './host-api.js';
import { pagesForMb } from './limits.js';
import { WasmFormatError, inspectModule, type ModuleInfo } from './wasm-inspect.js';

export interface ModulePlan {
  /** The memory the host creates and passes as env.memory, in pages; null when not imported. */
  readonly memory: { readonly initial: number; readonly maximum: number } | null;
  /** Whether the entry returns an i32 status. */
  readonly entryReturnsStatus: boolean;
}

export interface PlanRefusal {
  readonly status: 'failed' | 'memory-exceeded';
  readonly detail: string;
}

export type PlanResult = { readonly ok: true; readonly plan: ModulePlan } | { readonly ok: false; readonly refusal: PlanRefusal };

function refuse(detail: string, status: PlanRefusal['status'] = 'failed'): PlanResult {
  return { ok: false, refusal: { status, detail } };
}

/** Judges an inspected module against the host API, the entry name and the memory need. */
export function planFromInfo(info: ModuleInfo, entry: string, memoryMb: number): PlanResult {
  const capPages = pagesForMb(memoryMb);
  let memory: ModulePlan['memory'] = null;
  for (const imported of info.imports) {
    const where = `${imported.module}.${imported.name}`;
    if (imported.module !== HOST_MODULE) return refuse(`imports ${where}: only "${HOST_MODULE}" imports are provided`);
    if (imported.kind === 'memory' && imported.name === HOST_MEMORY) {
      const limits = imported.memory!;
      if (limits.unsupported) return refuse(`imports a ${limits.unsupported}; only a 32-bit unshared memory is provided`);
      if (limits.min > capPages) return refuse(`declares ${limits.min} pages of initial memory, more than the need of ${memoryMb} MB (${capPages} pages)`, 'memory-exceeded');
      const maximum = Math.min(capPages, limits.max ?? capPages);
      if (maximum < limits.min) return refuse(`declares a memory maximum (${limits.max}) below its minimum (${limits.min})`);
      memory = { initial: limits.min, maximum };
      continue;
    }
    if (imported.kind !== 'function' || !isHostFunctionName(imported.name)) return refuse(`imports ${where} (${imported.kind}), which is not part of the host API`);
    const wanted = HOST_FUNCTIONS[imported.name];
    if (!sameSignature(imported.signature!, wanted)) return refuse(`imports ${where} as ${formatSignature(imported.signature!)}; the host API has ${formatSignature(wanted)}`);
  }
  if (info.definedMemories > 0) return refuse(`defines its own memory; v1 modules import "${HOST_MODULE}"."${HOST_MEMORY}" so the host can cap it`);
  const exported = info.exports.find((e) => e.name === entry);
  if (!exported) return refuse(`has no export named "${entry}"`);
  if (exported.kind !== 'function') return refuse(`exports "${entry}" as a ${exported.kind}, not a function`);
  const signature = info.functionSignatures[exported.index];
  if (!signature) return refuse(`exports "${entry}" with a function index out of range`);
  if (!ENTRY_SIGNATURES.some((s) => sameSignature(s, signature))) return refuse(`entry "${entry}" has type ${formatSignature(signature)}; it must be () -> () or () -> (i32)`);
  return { ok: true, plan: { memory, entryReturnsStatus: signature.results.length === 1 } };
}

/** Inspects the bytes and judges them; a malformed module is refused with status `failed`. */
export function planModule(bytes: Uint8Array, entry: string, memoryMb: number): PlanResult {
  let info: ModuleInfo;
  try {
    info = inspectModule(bytes);
  } catch (error) {
    if (error instanceof WasmFormatError) return refuse(`is not a valid module: ${error.message}`);
    throw error;
  }
  return planFromInfo(info, entry, memoryMb);
}
