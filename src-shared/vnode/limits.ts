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

// --- WASI workloads (issue 13 §2). A WASI task travels in one session message like a v1 task:
// its inline bytes (stdin and inline input files together) are bounded by MAX_INPUT_BYTES, and
// its result's stdout and output files together by MAX_OUTPUT_BYTES.

/** Arguments after the program name, and their UTF-8 bytes in all. */
export const MAX_WASI_ARGS = 64;
export const MAX_WASI_ARGS_BYTES = 4 * 1024;
/** Input files a task names (inline or by hash), and output files it collects. */
export const MAX_WASI_INPUT_FILES = 32;
export const MAX_WASI_OUTPUT_FILES = 16;
/** A file name in the task directory: one path component. */
export const MAX_WASI_FILE_NAME_LENGTH = 64;
/** An input file given by hash is a blob, fetched and cached like a module. */
export const MAX_BLOB_BYTES = MAX_MODULE_BYTES;
/** All input files of a task together, in bytes (what its directory holds before it runs). */
export const MAX_WASI_INPUT_FILES_BYTES = 64 * 1024 * 1024;
/** stderr kept in a result: the first bytes, the rest dropped (it is for people, not compared). */
export const MAX_WASI_STDERR_BYTES = 4 * 1024;
/** Bytes a program may write to files (scratch and outputs), counted as written, not as kept. */
export const MAX_WASI_WRITTEN_BYTES = 64 * 1024 * 1024;
/** Files and directories a program may create in its directory. */
export const MAX_WASI_CREATED_ENTRIES = 1024;
