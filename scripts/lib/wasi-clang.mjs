// Building C to WASI preview1 with Debian's clang 14, wasm-ld, wasi-libc and
// libclang-rt-14-dev-wasm32, deterministically: the same source gives the same bytes on every
// machine with those packages, so a module's hash follows from its source.
//
// What makes it deterministic:
//   - fixed flags (below), no debug info, and --strip-all (no names, no "producers" section with
//     the compiler's version string);
//   - clang runs in the repository root on a relative path, with -ffile-prefix-map, so no absolute
//     path reaches the output (assert() and __FILE__ would embed one);
//   - compile and link are two steps, and the link step gets no -O flag: Debian's clang 14 runs
//     binaryen's wasm-opt after linking whenever it finds one in /usr/bin and an -O flag is given,
//     which would make the bytes depend on whether (and which) binaryen is installed;
//   - the object file lives in a fresh temp dir; wasm-ld does not record its name once stripped.
// The bytes still depend on the toolchain's versions: the committed modules are built with
// Debian 12's clang 14.0.6 and wasi-libc 0.0~git20220510 (what `.ci/run` installs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** Compile flags of every C workload (the figure in bench/compute.bench.ts says why -O2). */
export const WASI_COMPILE_FLAGS = ['--target=wasm32-wasi', '-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-fno-ident'];
/** Link flags: no -O here (see above); libm is always there. */
export const WASI_LINK_FLAGS = ['--target=wasm32-wasi', '-Wl,--strip-all', '-lm'];
/** The clang major version the committed modules are built with. */
export const WASI_CLANG_MAJOR = 14;

const CLANG = 'clang';

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (result.error) return { ok: false, detail: result.error.message };
  if (result.status !== 0) return { ok: false, detail: (result.stderr || result.stdout || `exit ${result.status}`).trim() };
  return { ok: true, stdout: result.stdout };
}

/**
 * Why C cannot be built to WASI here, or null when it can: clang of the right major version,
 * with the wasm32-wasi target, wasi-libc and the wasm32 compiler runtime.
 * @returns {string | null}
 */
export function clangWasiProblem() {
  const version = run(CLANG, ['--version']);
  if (!version.ok) return `clang is not installed (${version.detail.split('\n')[0]}); apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32`;
  const major = /clang version (\d+)\./.exec(version.stdout)?.[1];
  if (Number(major) !== WASI_CLANG_MAJOR) return `the committed modules are built with clang ${WASI_CLANG_MAJOR}; this is ${version.stdout.split('\n')[0]}`;
  const dir = mkdtempSync(join(tmpdir(), 'pnode-clang-probe-'));
  try {
    writeFileSync(join(dir, 'probe.c'), '#include <stdio.h>\nint main(void) { return puts("ok") < 0; }\n');
    const built = run(CLANG, [...WASI_COMPILE_FLAGS, '-c', 'probe.c', '-o', 'probe.o'], dir);
    if (!built.ok) return `clang cannot compile for wasm32-wasi (is wasi-libc installed?): ${built.detail.split('\n')[0]}`;
    const linked = run(CLANG, [...WASI_LINK_FLAGS, 'probe.o', '-o', 'probe.wasm'], dir);
    if (!linked.ok) return `clang cannot link for wasm32-wasi (are lld and libclang-rt-14-dev-wasm32 installed?): ${linked.detail.split('\n')[0]}`;
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Builds one C file to a WASI module and returns its bytes. `extraFlags` go to the compile step
 * (and, for -flto, the link step too): the bench tries other flags with it.
 * @param {string} root the repository root (clang's working directory)
 * @param {string} source path of the .c file
 * @param {{ compileFlags?: readonly string[], linkFlags?: readonly string[] }} [options]
 * @returns {Buffer}
 */
export function buildWasiModule(root, source, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pnode-wasi-build-'));
  try {
    const object = join(dir, 'module.o');
    const output = join(dir, 'module.wasm');
    const compileFlags = options.compileFlags ?? WASI_COMPILE_FLAGS;
    const compiled = run(CLANG, [...compileFlags, `-ffile-prefix-map=${root.replace(/\/+$/, '')}/=`, '-c', relative(root, source), '-o', object], root);
    if (!compiled.ok) throw new Error(`clang failed on ${relative(root, source)}:\n${compiled.detail}`);
    const linked = run(CLANG, [...(options.linkFlags ?? WASI_LINK_FLAGS), object, '-o', output], root);
    if (!linked.ok) throw new Error(`linking ${relative(root, source)} failed:\n${linked.detail}`);
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
