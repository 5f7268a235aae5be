// What an orchestrator accepts as a project's module (issue 13 §1): a WASI preview1 command that
// the engine validates and that imports nothing but the allowlisted WASI functions — the same
// rules a PNode applies before it runs one (src-shared/vnode/wasi-plan.ts), judged at upload so a
// project hears at once, and no PNode is ever sent a module that every PNode would refuse. The
// memory need is the task's, so here the largest a task may declare bounds the initial memory; the
// module's declared minimum is kept, and each task's need must cover it.
import { type Result, fail, ok } from '../../../../src-shared/protocol/errors.js';
import { MAX_NEED_MEMORY_MB } from '../../../../src-shared/vnode/limits.js';
import { wasiRefusal } from '../../../../src-shared/vnode/wasi-plan.js';
import { type ModuleInfo, WasmFormatError, inspectModule } from '../../../../src-shared/vnode/wasm-inspect.js';

/** The engine's validator (src-node's ES2022 lib declares no WebAssembly). */
const engine = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

export interface CheckedModule {
  /** The initial memory the module declares, in pages. */
  readonly minPages: number;
}

/** E_PROTO_INVALID with the reason when the bytes are not a WASI command a PNode would run. */
export function checkWasiModule(bytes: Uint8Array): Result<CheckedModule> {
  let info: ModuleInfo;
  try {
    info = inspectModule(bytes);
  } catch (error) {
    if (error instanceof WasmFormatError) return fail('E_PROTO_INVALID', `the module is not valid WebAssembly: ${error.message}`);
    throw error;
  }
  const refusal = wasiRefusal(info, MAX_NEED_MEMORY_MB);
  if (refusal) return fail('E_PROTO_INVALID', `the module ${refusal.detail}`);
  // The engine's own validator: what the inspection above does not read (code, data, tables).
  if (!engine.validate(bytes)) return fail('E_PROTO_INVALID', 'the module does not validate (WebAssembly.validate)');
  return ok({ minPages: info.memories[0]!.min });
}
