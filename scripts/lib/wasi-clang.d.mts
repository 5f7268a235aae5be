// Types of wasi-clang.mjs for the TypeScript that uses it (bench/compute.bench.ts).
export declare const WASI_COMPILE_FLAGS: readonly string[];
export declare const WASI_LINK_FLAGS: readonly string[];
export declare const WASI_CLANG_MAJOR: number;
export declare function clangWasiProblem(): string | null;
export declare function buildWasiModule(root: string, source: string, options?: { compileFlags?: readonly string[]; linkFlags?: readonly string[] }): Uint8Array;
