// Test and bench helper: assembles WebAssembly text with wabt (a dev dependency), the same way
// scripts/build-workloads.mjs builds the demo workloads.
import wabtInit from 'wabt';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Promise<Wabt> | undefined;

export const WAT_FEATURES = { mutable_globals: true, sat_float_to_int: true, sign_extension: true, multi_value: true, reference_types: true, bulk_memory: true };

export async function compileWat(source: string, name = 'fixture.wat'): Promise<Uint8Array> {
  wabt ??= wabtInit();
  const module = (await wabt).parseWat(name, source, WAT_FEATURES);
  try {
    module.resolveNames();
    module.validate();
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}
