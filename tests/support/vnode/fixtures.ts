// Small modules that misbehave on purpose (and a few that behave), for the sandbox's tests.
// Each is WebAssembly text; compileWat turns it into bytes.

const HOST_IMPORTS = `
  (import "env" "memory" (memory 1))
  (import "env" "input_len" (func $input_len (result i32)))
  (import "env" "input_read" (func $input_read (param i32 i32 i32)))
  (import "env" "output_write" (func $output_write (param i32 i32)))
  (import "env" "yield" (func $yield))`;

/** Copies its input to its output. */
export const ECHO_WAT = `(module ${HOST_IMPORTS}
  (func (export "run") (result i32)
    (call $input_read (i32.const 0) (i32.const 0) (call $input_len))
    (call $output_write (i32.const 0) (call $input_len))
    (i32.const 0)))`;

/** Grows its memory a page at a time until growth fails, then traps (as allocators do). */
export const MEMORY_BOMB_WAT = `(module ${HOST_IMPORTS}
  (func (export "run")
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable))`;

/** Makes the engine allocate JS heap for it: a table grown without bound (no memory involved). */
export const TABLE_BOMB_WAT = `(module ${HOST_IMPORTS}
  (table $t 0 funcref)
  (func (export "run")
    (loop $grow
      (br_if $grow (i32.ne (table.grow $t (ref.null func) (i32.const 100000)) (i32.const -1))))))`;

/** Declares more initial memory (2000 pages = 125 MiB) than a 64 MB need allows. */
export const BIG_MEMORY_WAT = `(module
  (import "env" "memory" (memory 2000))
  (func (export "run")))`;

/** Never returns and never yields. */
export const ENDLESS_LOOP_WAT = `(module ${HOST_IMPORTS}
  (func (export "run")
    (loop $forever (br $forever))))`;

/** Never returns, yields every iteration. */
export const ENDLESS_YIELDING_LOOP_WAT = `(module ${HOST_IMPORTS}
  (func (export "run")
    (loop $forever (call $yield) (br $forever))))`;

/**
 * Busy work that never yields: input is one little-endian i32, the number of million-step
 * rounds; output is a u32 that depends on every step (so the work cannot be skipped).
 */
export const BUSY_WAT = `(module ${HOST_IMPORTS}
  (func (export "run") (result i32)
    (local $rounds i32) (local $i i32) (local $acc i32)
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 4))
    (local.set $rounds (i32.mul (i32.load (i32.const 0)) (i32.const 1000000)))
    (local.set $acc (i32.const 1))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 1103515245)) (i32.const 12345)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $step)))
    (i32.store (i32.const 0) (local.get $acc))
    (call $output_write (i32.const 0) (i32.const 4))
    (i32.const 0)))`;

/** The same busy work, yielding every 2^20 steps (about a millisecond). */
export const BUSY_YIELDING_WAT = BUSY_WAT.replace(
  '(br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))',
  '(br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))\n        (if (i32.eqz (i32.and (local.get $i) (i32.const 0xfffff))) (then (call $yield)))',
);

/**
 * The JS twin of BUSY_WAT's output, without doing the work: the step x → a·x + c (mod 2^32) is an
 * affine map, and n steps are that map composed n times, found by squaring in O(log n).
 */
export function busyReference(rounds: number): Uint8Array {
  const M = 2n ** 32n;
  let steps = BigInt(rounds) * 1_000_000n;
  let a = 1103515245n;
  let c = 12345n;
  let accA = 1n;
  let accC = 0n;
  while (steps > 0n) {
    if (steps & 1n) {
      accA = (a * accA) % M;
      accC = (a * accC + c) % M;
    }
    c = (a * c + c) % M;
    a = (a * a) % M;
    steps >>= 1n;
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, Number((accA * 1n + accC) % M), true);
  return out;
}

/** Reads input into memory far past its end. */
export const OOB_READ_WAT = `(module ${HOST_IMPORTS}
  (func (export "run")
    (call $input_read (i32.const 65530) (i32.const 0) (call $input_len))))`;

/** Reads more input than there is. */
export const OOB_INPUT_WAT = `(module ${HOST_IMPORTS}
  (func (export "run")
    (call $input_read (i32.const 0) (i32.const 0) (i32.add (call $input_len) (i32.const 1)))))`;

/** Writes output from outside its memory. */
export const OOB_WRITE_WAT = `(module ${HOST_IMPORTS}
  (func (export "run")
    (call $output_write (i32.const -16) (i32.const 32))))`;

/** Writes one byte more output than allowed (32 KiB + 1), in two calls. */
export const TOO_MUCH_OUTPUT_WAT = `(module ${HOST_IMPORTS}
  (func (export "run")
    (call $output_write (i32.const 0) (i32.const 32768))
    (call $output_write (i32.const 0) (i32.const 1))))`;

/** Loads from past the end of its memory (a plain trap, memory nowhere near its cap). */
export const OOB_LOAD_WAT = `(module ${HOST_IMPORTS}
  (func (export "run") (result i32)
    (i32.load (i32.const 70000))))`;

/** Returns a non-zero status: it refuses its input. */
export const REFUSES_WAT = `(module ${HOST_IMPORTS}
  (func (export "run") (result i32) (i32.const 3)))`;

/** Imports something that is not part of the host API. */
export const CLOCK_IMPORT_WAT = `(module
  (import "env" "now" (func $now (result f64)))
  (func (export "run")))`;

/** Imports a host function with the wrong signature. */
export const WRONG_SIGNATURE_WAT = `(module
  (import "env" "input_len" (func $input_len (result i64)))
  (func (export "run")))`;

/** Defines its own memory instead of importing one. */
export const OWN_MEMORY_WAT = `(module
  (memory 1)
  (func (export "run")))`;

/** Recurses forever. */
export const STACK_OVERFLOW_WAT = `(module
  (func $down (export "run") (call $down)))`;
