import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { HOST_FUNCTIONS } from './host-api.js';
import { planModule } from './module-plan.js';
import { inspectModule, WasmFormatError } from './wasm-inspect.js';

const wabt = await wabtInit();

function wat(source: string): Uint8Array {
  const module = wabt.parseWat('test.wat', source, { reference_types: true, bulk_memory: true, simd: true, threads: true, memory64: true, multi_value: true });
  try {
    // Not validated: some fixtures use features on purpose that the host must refuse on its own.
    module.resolveNames();
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

const HOST = `
  (import "env" "memory" (memory 2 16))
  (import "env" "input_len" (func (result i32)))
  (import "env" "input_read" (func (param i32 i32 i32)))
  (import "env" "output_write" (func (param i32 i32)))
  (import "env" "yield" (func))`;

describe('inspectModule', () => {
  it('reads imports with signatures and limits, exports, and function signatures', () => {
    const info = inspectModule(wat(`(module ${HOST}
      (func $helper (param v128) (result v128) (local.get 0))
      (func (export "run") (result i32) (i32.const 0))
      (export "helper" (func $helper)))`));
    expect(info.imports.map((i) => `${i.module}.${i.name}:${i.kind}`)).toEqual(['env.memory:memory', 'env.input_len:function', 'env.input_read:function', 'env.output_write:function', 'env.yield:function']);
    expect(info.imports[0]!.memory).toEqual({ min: 2, max: 16, unsupported: null });
    expect(info.imports[1]!.signature).toEqual(HOST_FUNCTIONS.input_len);
    expect(info.exports).toEqual([
      { name: 'run', kind: 'function', index: 5 },
      { name: 'helper', kind: 'function', index: 4 },
    ]);
    expect(info.functionSignatures[5]).toEqual({ params: [], results: ['i32'] });
    expect(info.functionSignatures[4]).toEqual({ params: ['v128'], results: ['v128'] });
    expect(info.definedMemories).toBe(0);
  });

  it('reads past table, global and memory imports of other kinds', () => {
    const info = inspectModule(wat(`(module
      (import "x" "t" (table 1 funcref))
      (import "x" "g" (global (mut i32)))
      (import "x" "m" (memory i64 1))
      (import "x" "s" (memory 1 2 shared))
      (import "env" "yield" (func)))`));
    expect(info.imports.map((i) => i.kind)).toEqual(['table', 'global', 'memory', 'memory', 'function']);
    expect(info.imports[2]!.memory!.unsupported).toBe('64-bit memory');
    expect(info.imports[3]!.memory!.unsupported).toBe('shared memory');
    expect(info.functionSignatures).toHaveLength(1);
  });

  it.each([
    ['empty bytes', new Uint8Array(0), /bad magic/],
    ['text instead of a module', new TextEncoder().encode('(module)'), /bad magic/],
    ['another version', Uint8Array.of(0, 0x61, 0x73, 0x6d, 2, 0, 0, 0), /version/],
    ['a section past the end', Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 50, 0), /past the end/],
    ['an endless LEB128', Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80), /LEB128/],
    ['a truncated type section', Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 2, 1, 0x60), /unexpected end/],
  ])('refuses %s', (_name, bytes, pattern) => {
    expect(() => inspectModule(bytes)).toThrow(WasmFormatError);
    expect(() => inspectModule(bytes)).toThrow(pattern);
  });
});

describe('planModule', () => {
  it('caps the memory at the need and keeps the declared minimum', () => {
    expect(planModule(wat(`(module ${HOST} (func (export "run")))`), 'run', 64)).toEqual({ ok: true, plan: { memory: { initial: 2, maximum: 16 }, entryReturnsStatus: false } });
    expect(planModule(wat(`(module (import "env" "memory" (memory 1)) (func (export "run") (result i32) (i32.const 0)))`), 'run', 4)).toEqual({
      ok: true,
      plan: { memory: { initial: 1, maximum: 64 }, entryReturnsStatus: true },
    });
    expect(planModule(wat(`(module (func (export "run")))`), 'run', 4)).toEqual({ ok: true, plan: { memory: null, entryReturnsStatus: false } });
  });

  it.each([
    ['more initial memory than the need', `(module (import "env" "memory" (memory 65)) (func (export "run")))`, 'memory-exceeded', /65 pages of initial memory/],
    ['a memory of its own', `(module (memory 1) (func (export "run")))`, 'failed', /defines its own memory/],
    ['a shared memory', `(module (import "env" "memory" (memory 1 1 shared)) (func (export "run")))`, 'failed', /shared memory/],
    ['a 64-bit memory', `(module (import "env" "memory" (memory i64 1)) (func (export "run")))`, 'failed', /64-bit memory/],
    ['a clock', `(module (import "env" "now" (func (result f64))) (func (export "run")))`, 'failed', /env.now \(function\), which is not part of the host API/],
    ['another import module', `(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (func (export "run")))`, 'failed', /only "env" imports/],
    ['a host function with another signature', `(module (import "env" "output_write" (func (param i64 i32))) (func (export "run")))`, 'failed', /as \(i64, i32\) -> \(\); the host API has \(i32, i32\) -> \(\)/],
    ['a global import', `(module (import "env" "seed" (global i32)) (func (export "run")))`, 'failed', /env.seed \(global\)/],
    ['no such entry', `(module (func (export "main")))`, 'failed', /no export named "run"/],
    ['an entry that is not a function', `(module (import "env" "memory" (memory 1)) (export "run" (memory 0)))`, 'failed', /as a memory/],
    ['an entry with parameters', `(module (func (export "run") (param i32)))`, 'failed', /must be \(\) -> \(\) or \(\) -> \(i32\)/],
    ['an entry returning i64', `(module (func (export "run") (result i64) (i64.const 0)))`, 'failed', /\(\) -> \(i64\)/],
  ])('refuses %s', (_name, source, status, pattern) => {
    const result = planModule(wat(source), 'run', 4);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.refusal.status).toBe(status);
      expect(result.refusal.detail).toMatch(pattern);
    }
  });

  it('refuses bytes that are not a module', () => {
    const result = planModule(new Uint8Array([1, 2, 3]), 'run', 4);
    expect(result).toMatchObject({ ok: false, refusal: { status: 'failed' } });
  });
});
