// VNode hosting, the portable part (issue 7; WASI programs, issue 13 §2): workload formats
// (host API v1 and WASI), tasks and results, module chunks, the host API, the WASI allowlist and
// module checks, output digests and the tolerance comparator, and the rules for pausing and
// throttling.
export * from './limits.js';
export * from './content-hash.js';
export * from './host-api.js';
export * from './wasm-inspect.js';
export * from './module-plan.js';
export * from './workload.js';
export * from './task-result.js';
export * from './module-chunks.js';
export * from './conditions.js';
export * from './wasi-api.js';
export * from './wasi-workload.js';
export * from './wasi-plan.js';
export * from './wasi-output.js';
export * from './wasi-random.js';
export * from './wasm-memory-cap.js';
export * from './tolerance.js';
