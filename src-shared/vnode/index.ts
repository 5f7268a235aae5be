// VNode hosting, the portable part (issue 7): workload format v1, tasks and results, module
// chunks, the host API and module checks, and the rules for pausing and throttling.
export * from './limits.js';
export * from './content-hash.js';
export * from './host-api.js';
export * from './wasm-inspect.js';
export * from './module-plan.js';
export * from './workload.js';
export * from './task-result.js';
export * from './module-chunks.js';
export * from './conditions.js';
