// The numbers of VNode hosting (issue 7), once. Sizes are chosen so that every message of the
// workload protocol (a task, a module chunk, a result) fits one 64 KiB session message
// (MAX_SESSION_MESSAGE_BYTES) with room for its other fields after base64url (4/3 growth).

/** Bytes of module per chunk; base64url makes it 43,691 characters. */
export const MODULE_CHUNK_BYTES = 32 * 1024;
/** Largest module a host accepts: 256 chunks. */
export const MAX_MODULE_BYTES = 8 * 1024 * 1024;
export const MAX_MODULE_CHUNKS = MAX_MODULE_BYTES / MODULE_CHUNK_BYTES;

/** Input travels inside the task message. */
export const MAX_INPUT_BYTES = 32 * 1024;
/** Output travels inside the result message; a module that writes more traps. */
export const MAX_OUTPUT_BYTES = 32 * 1024;

/** One WebAssembly page. */
export const WASM_PAGE_BYTES = 64 * 1024;
export const WASM_PAGES_PER_MB = (1024 * 1024) / WASM_PAGE_BYTES;

/** Declared needs: linear memory a task may use, and its running-time budget. */
export const MIN_NEED_MEMORY_MB = 1;
export const MAX_NEED_MEMORY_MB = 2048;
export const MIN_NEED_MAX_MS = 1;
export const MAX_NEED_MAX_MS = 60 * 60_000;
/** Format v1 tasks are single-threaded. */
export const NEED_CORES_V1 = 1;

export const MAX_ID_LENGTH = 128;
export const MAX_ENTRY_NAME_LENGTH = 64;
export const MAX_DETAIL_LENGTH = 512;

/** BOINC's CPU throttle: run for cpuPercent of every cycle, suspended for the rest. */
export const DUTY_CYCLE_PERIOD_MS = 1_000;
/** The user counts as active while the last input is younger than this (BOINC's default: 3 min). */
export const USER_IDLE_THRESHOLD_S = 180;

/**
 * Memory a running task costs beyond its declared need: its sandbox process (≈ 55 MB resident),
 * its worker's JS heap (capped at 40 MB) and the spare worker booting beside it.
 */
export const TASK_OVERHEAD_MB = 96;

export function pagesForMb(mb: number): number {
  return mb * WASM_PAGES_PER_MB;
}
