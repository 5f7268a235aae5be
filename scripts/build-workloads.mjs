// Builds the workloads from source: every workloads/<name>/<name>.wat is assembled with wabt (a
// dev dependency), every workloads/<name>/<name>.c and tests/fixtures/wasi/<name>.c (programs the
// sandbox tests run) is built to a WASI module with clang (scripts/lib/wasi-clang.mjs), into the
// .wasm next to its source. The .wasm files are committed, so running a workload needs no
// compiler; `--check` rebuilds in memory and fails when a committed .wasm differs from what its
// source gives. Both builds are deterministic: wabt with no names section, fixed features and
// canonical LEBs; clang with fixed flags, no paths, no wasm-opt, stripped.
//
//   node scripts/build-workloads.mjs           write the .wasm files
//   node scripts/build-workloads.mjs --check   verify them, write nothing
//
// Exit status: 0 all built (or verified); 1 a module is missing or differs, or a build failed;
// 3 only that C sources were skipped because no usable clang/wasi-libc is installed (the reason
// is printed: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { buildWasiModule, clangWasiProblem } from './lib/wasi-clang.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKLOADS = join(ROOT, 'workloads');
const WASI_FIXTURES = join(ROOT, 'tests', 'fixtures', 'wasi');
/** The WebAssembly features a WAT workload may use: the 1.0 core plus the long-standard small extensions. */
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

/** Every source: a workload directory's <name>.wat or <name>.c (not both), and the WASI test programs. */
function findSources() {
  const sources = [];
  for (const entry of readdirSync(WORKLOADS, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const found = ['wat', 'c'].map((ext) => join(WORKLOADS, entry.name, `${entry.name}.${ext}`)).filter((path) => existsSync(path));
    if (found.length > 1) {
      process.stderr.write(`build-workloads: workloads/${entry.name} has both a .wat and a .c source\n`);
      process.exit(1);
    }
    sources.push(...found);
  }
  if (existsSync(WASI_FIXTURES)) {
    for (const name of readdirSync(WASI_FIXTURES)) if (name.endsWith('.c')) sources.push(join(WASI_FIXTURES, name));
  }
  return sources.sort();
}

let wabt = null;
async function buildWat(source) {
  wabt ??= await wabtInit();
  const module = wabt.parseWat(relative(ROOT, source), readFileSync(source, 'utf8'), FEATURES);
  try {
    module.resolveNames();
    module.validate();
    return Buffer.from(module.toBinary({ log: false, write_debug_names: false, canonicalize_lebs: true, relocatable: false }).buffer);
  } finally {
    module.destroy();
  }
}

const sources = findSources();
if (sources.length === 0) {
  process.stderr.write('build-workloads: no workloads/<name>/<name>.{wat,c} found\n');
  process.exit(1);
}

let clangProblem;
let problems = 0;
let skipped = 0;
for (const source of sources) {
  const target = source.replace(/\.(wat|c)$/, '.wasm');
  const where = relative(ROOT, target);
  let bytes;
  if (source.endsWith('.c')) {
    clangProblem ??= clangWasiProblem() ?? '';
    if (clangProblem !== '') {
      process.stdout.write(`skipped  ${where}: ${clangProblem}\n`);
      skipped++;
      continue;
    }
    try {
      bytes = buildWasiModule(ROOT, source);
    } catch (error) {
      process.stdout.write(`failed   ${where}: ${error.message}\n`);
      problems++;
      continue;
    }
  } else {
    bytes = await buildWat(source);
  }
  const hash = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const label = `${where} (${bytes.length} bytes, ${hash})`;
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
if (skipped > 0) process.exit(3);
