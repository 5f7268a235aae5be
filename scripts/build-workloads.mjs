// Builds the demo workloads: every workloads/<name>/<name>.wat is assembled with wabt (a dev
// dependency) into workloads/<name>/<name>.wasm. The .wasm files are committed, so running the
// workloads needs no compiler; `--check` rebuilds in memory and fails when a committed .wasm
// differs from what its source gives (the build is deterministic: no names section, fixed
// features, canonical LEBs).
//
//   node scripts/build-workloads.mjs           write the .wasm files
//   node scripts/build-workloads.mjs --check   verify them, write nothing
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKLOADS = join(ROOT, 'workloads');
/** The WebAssembly features a workload may use: the 1.0 core plus the long-standard small extensions. */
const FEATURES = {
  mutable_globals: true,
  sat_float_to_int: true,
  sign_extension: true,
  multi_value: true,
  bulk_memory: false,
  reference_types: false,
  simd: false,
  threads: false,
  exceptions: false,
  tail_call: false,
  memory64: false,
};

const args = process.argv.slice(2);
const check = args.includes('--check');
const unknown = args.filter((a) => a !== '--check');
if (unknown.length > 0) {
  process.stderr.write(`build-workloads: unknown argument ${unknown[0]}\nUsage: node scripts/build-workloads.mjs [--check]\n`);
  process.exit(2);
}

const sources = readdirSync(WORKLOADS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(WORKLOADS, entry.name, `${entry.name}.wat`))
  .filter((path) => existsSync(path))
  .sort();
if (sources.length === 0) {
  process.stderr.write('build-workloads: no workloads/<name>/<name>.wat found\n');
  process.exit(1);
}

const wabt = await wabtInit();
let problems = 0;
for (const source of sources) {
  const name = relative(ROOT, source);
  const target = source.replace(/\.wat$/, '.wasm');
  let bytes;
  const module = wabt.parseWat(name, readFileSync(source, 'utf8'), FEATURES);
  try {
    module.resolveNames();
    module.validate();
    bytes = Buffer.from(module.toBinary({ log: false, write_debug_names: false, canonicalize_lebs: true, relocatable: false }).buffer);
  } finally {
    module.destroy();
  }
  const hash = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const label = `${relative(ROOT, target)} (${bytes.length} bytes, ${hash})`;
  if (check) {
    const committed = existsSync(target) ? readFileSync(target) : null;
    if (committed === null) {
      process.stdout.write(`missing  ${label}\n`);
      problems++;
    } else if (!committed.equals(bytes)) {
      process.stdout.write(`differs  ${label}: run node scripts/build-workloads.mjs\n`);
      problems++;
    } else {
      process.stdout.write(`ok       ${label}\n`);
    }
  } else {
    writeFileSync(target, bytes);
    process.stdout.write(`wrote    ${label}\n`);
  }
}
if (problems > 0) process.exit(1);
