import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { WASI_FUNCTIONS, WASI_MODULE, WASI_REFUSED_FUNCTIONS } from './wasi-api.js';
import { planWasiModule } from './wasi-plan.js';
import { capMemoryMaximum } from './wasm-memory-cap.js';
import { WasmFormatError, inspectModule } from './wasm-inspect.js';

const wabt = await wabtInit();

function wat(source: string): Uint8Array {
  const module = wabt.parseWat('test.wat', source, { reference_types: true, bulk_memory: true, threads: true, memory64: true, multi_value: true });
  try {
    // Not validated: some fixtures use features on purpose that the host must refuse on its own.
    module.resolveNames();
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

const START = '(func (export "_start"))';
const command = (memory: string, extra = '') => wat(`(module ${extra} (memory (export "memory") ${memory}) ${START})`);
const imports = (name: string, params: string, results = '(result i32)') => `(import "${WASI_MODULE}" "${name}" (func ${params} ${results}))`;

function refusal(bytes: Uint8Array, memoryMb = 16): { status: string; detail: string } | null {
  const plan = planWasiModule(bytes, memoryMb);
  return plan.ok ? null : plan.refusal;
}

describe('WASI module plans', () => {
  it('accept a command with allowlisted imports, and cap its memory at the need', () => {
    const plan = planWasiModule(command('2', `${imports('fd_write', '(param i32 i32 i32 i32)')} ${imports('proc_exit', '(param i32)', '')} ${imports('clock_time_get', '(param i32 i64 i32)')}`), 16);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.plan.memory).toEqual({ initial: 2, maximum: 256 });
    expect(inspectModule(plan.plan.bytes).memories).toEqual([{ min: 2, max: 256, unsupported: null }]);
  });

  it('keep a declared maximum below the need', () => {
    const plan = planWasiModule(command('2 40'), 16);
    expect(plan.ok && plan.plan.memory).toEqual({ initial: 2, maximum: 40 });
  });

  it('know the preview1 functions, and none of the sockets', () => {
    expect(Object.keys(WASI_FUNCTIONS)).toHaveLength(42);
    for (const name of WASI_REFUSED_FUNCTIONS) expect(WASI_FUNCTIONS[name]).toBeUndefined();
  });

  it.each([
    ['a socket', command('1', imports('sock_recv', '(param i32 i32 i32 i32 i32 i32)')), /imports wasi_snapshot_preview1\.sock_recv: sockets are not provided/],
    ['a function off the allowlist', command('1', imports('fd_mmap', '(param i32)')), /fd_mmap, which is not on the WASI allowlist/],
    ['another module', command('1', '(import "env" "f" (func))'), /imports env\.f: only "wasi_snapshot_preview1" functions are provided/],
    ['a wrong signature', command('1', imports('random_get', '(param i32 i64)')), /random_get as \(i32, i64\) -> \(i32\); preview1 has \(i32, i32\) -> \(i32\)/],
    ['a global', command('1', `(import "${WASI_MODULE}" "g" (global i32))`), /imports wasi_snapshot_preview1\.g as a global/],
    ['an imported memory', wat(`(module (import "${WASI_MODULE}" "memory" (memory 1)) ${START})`), /as a memory; only functions are provided/],
    ['no memory', wat(`(module ${START})`), /defines 0 memories; a WASI program defines exactly one/],
    ['an unexported memory', wat(`(module (memory 1) ${START})`), /does not export its memory as "memory"/],
    ['a shared memory', command('1 1 shared'), /defines a shared memory/],
    ['a 64-bit memory', command('i64 1'), /defines a 64-bit memory/],
    ['no _start', wat('(module (memory (export "memory") 1) (func (export "main")))'), /has no "_start" function/],
    ['a _start with a result', wat('(module (memory (export "memory") 1) (func (export "_start") (result i32) i32.const 0))'), /exports "_start" as \(\) -> \(i32\)/],
    ['an _initialize', command('1', '(func (export "_initialize"))'), /a WASI reactor, not a command/],
    ['a start function', command('1', '(func $s) (start $s)'), /has a start function/],
    ['bytes that are not WebAssembly', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), /is not a valid module: not a WebAssembly module/],
    ['a truncated section', new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 9, 1]), /is not a valid module/],
  ])('refuse a module with %s', (_name, bytes, detail) => {
    expect(refusal(bytes)).toMatchObject({ status: 'failed', detail: expect.stringMatching(detail) as unknown });
  });

  it('refuse a memory whose minimum is over the need as memory-exceeded, and say by how much', () => {
    expect(refusal(command('300'), 16)).toEqual({ status: 'memory-exceeded', detail: 'declares 300 pages of initial memory, more than the need of 16 MB (256 pages)' });
    expect(refusal(command('256'), 16)).toBeNull();
  });
});

describe('the memory cap', () => {
  it('rewrites only the memory section: every other byte is kept', () => {
    const bytes = command('3', '(func $a (result i32) i32.const 7) (export "a" (func $a))');
    const capped = capMemoryMaximum(bytes, 100);
    const before = inspectModule(bytes);
    const after = inspectModule(capped);
    expect(after.memories).toEqual([{ min: 3, max: 100, unsupported: null }]);
    expect(after.exports).toEqual(before.exports);
    expect(after.functionSignatures).toEqual(before.functionSignatures);
    // No maximum before: the section grew by the maximum's one LEB byte and its flag changed.
    expect(capped.length).toBe(bytes.length + 1);
  });

  it('encodes caps that need several LEB bytes', () => {
    expect(inspectModule(capMemoryMaximum(command('1'), 32_768)).memories[0]).toMatchObject({ min: 1, max: 32_768 });
    expect(inspectModule(capMemoryMaximum(command('1 65536'), 65_536)).memories[0]).toMatchObject({ max: 65_536 });
  });

  it('refuses what it cannot cap', () => {
    expect(() => capMemoryMaximum(wat(`(module ${START})`), 10)).toThrow(WasmFormatError);
    expect(() => capMemoryMaximum(command('20'), 10)).toThrow(/above the cap/);
    expect(() => capMemoryMaximum(command('1 1 shared'), 10)).toThrow(/not a 32-bit unshared memory/);
  });
});
