// Runs a workload module in this process with plain WebAssembly and the same host API, but none
// of the sandbox: the baseline the sandbox's overhead is measured against, and a second engine
// path for checking results in tests.
import { MAX_OUTPUT_BYTES } from '../../../src-shared/vnode/limits.js';
import { planModule } from '../../../src-shared/vnode/module-plan.js';

// src-node compiles without DOM typings, where the WebAssembly values are declared: name the
// little this file uses.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface DirectRun {
  /** Instantiates afresh and calls the entry; returns the output. */
  run(input: Uint8Array): Uint8Array;
}

export function directRunner(bytes: Uint8Array, entry: string, memoryMb: number): DirectRun {
  const planned = planModule(bytes, entry, memoryMb);
  if (!planned.ok) throw new Error(planned.refusal.detail);
  const { plan } = planned;
  const module = new wasm.Module(bytes);
  return {
    run(input) {
      const memory = plan.memory ? new wasm.Memory(plan.memory) : null;
      const chunks: Uint8Array[] = [];
      let length = 0;
      const view = () => new Uint8Array(memory!.buffer);
      const env = {
        ...(memory ? { memory } : {}),
        input_len: () => input.length,
        input_read: (ptr: number, offset: number, len: number) => view().set(input.subarray(offset >>> 0, (offset >>> 0) + (len >>> 0)), ptr >>> 0),
        output_write: (ptr: number, len: number) => {
          length += len >>> 0;
          if (length > MAX_OUTPUT_BYTES) throw new Error('output over the limit');
          chunks.push(view().slice(ptr >>> 0, (ptr >>> 0) + (len >>> 0)));
        },
        yield: () => undefined,
      };
      const instance = new wasm.Instance(module, { env });
      const status = (instance.exports[entry] as () => number | undefined)();
      if (plan.entryReturnsStatus && status !== 0) throw new Error(`entry returned ${status}`);
      const out = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        out.set(chunk, at);
        at += chunk.length;
      }
      return out;
    },
  };
}
