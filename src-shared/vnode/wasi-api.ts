// What a WASI workload may import (issue 13 §2): functions of `wasi_snapshot_preview1` on this
// allowlist, with their preview1 signatures, and nothing else (no other module, no memory, table
// or global imports). Sockets are left out: a workload has no network. The host runs them with
// Node's own node:wasi, wrapped (src-node/contributor/vnode/wasi-worker-script.ts) so that:
//   - stdin, stdout and stderr are the task's bytes and bounded buffers, not the host's streams;
//   - the only directory is the task's own (preopened as WASI_PREOPEN), inputs in it read-only;
//   - the environment is empty; symlinks and hard links cannot be made; proc_raise is refused;
//   - random_get and the clocks are deterministic (WASI_CLOCK_* below, wasi-random.ts), so
//     replicas of a task agree byte for byte.
import type { FunctionSignature } from './host-api.js';

export const WASI_MODULE = 'wasi_snapshot_preview1';
/** The directory a program sees its task directory as. */
export const WASI_PREOPEN = '/work';
/** argv[0] of every program (the task's args follow it). */
export const WASI_PROGRAM_NAME = 'program';

/**
 * The virtual clock: every clock reads WASI_CLOCK_EPOCH_NS (realtime; 0 for the others) plus the
 * virtual time, which advances by WASI_CLOCK_TICK_NS at each clock_time_get and jumps ahead to
 * the deadline of a poll_oneoff (sleeping costs no wall time). A count of the program's own
 * readings is the one clock that is the same on every machine: real time would make replicas
 * disagree, and a clock that never moved would hang programs that wait for time to pass.
 */
export const WASI_CLOCK_EPOCH_NS = 1_577_836_800_000_000_000n; // 2020-01-01T00:00:00Z
export const WASI_CLOCK_TICK_NS = 1_000_000n;

type Sig = FunctionSignature;
const fn = (params: string, result = true): Sig => ({
  params: params === '' ? [] : params.split(' ').map((t) => (t === 'I' ? 'i64' : 'i32')),
  results: result ? ['i32'] : [],
});

/** preview1 functions a workload may import, by name, with their signatures (i = i32, I = i64). */
export const WASI_FUNCTIONS: Readonly<Record<string, Sig>> = {
  args_get: fn('i i'),
  args_sizes_get: fn('i i'),
  environ_get: fn('i i'),
  environ_sizes_get: fn('i i'),
  clock_res_get: fn('i i'),
  clock_time_get: fn('i I i'),
  fd_advise: fn('i I I i'),
  fd_allocate: fn('i I I'),
  fd_close: fn('i'),
  fd_datasync: fn('i'),
  fd_fdstat_get: fn('i i'),
  fd_fdstat_set_flags: fn('i i'),
  fd_fdstat_set_rights: fn('i I I'),
  fd_filestat_get: fn('i i'),
  fd_filestat_set_size: fn('i I'),
  fd_filestat_set_times: fn('i I I i'),
  fd_pread: fn('i i i I i'),
  fd_prestat_get: fn('i i'),
  fd_prestat_dir_name: fn('i i i'),
  fd_pwrite: fn('i i i I i'),
  fd_read: fn('i i i i'),
  fd_readdir: fn('i i i I i'),
  fd_renumber: fn('i i'),
  fd_seek: fn('i I i i'),
  fd_sync: fn('i'),
  fd_tell: fn('i i'),
  fd_write: fn('i i i i'),
  path_create_directory: fn('i i i'),
  path_filestat_get: fn('i i i i i'),
  path_filestat_set_times: fn('i i i i I I i'),
  path_link: fn('i i i i i i i'),
  path_open: fn('i i i i i I I i i'),
  path_readlink: fn('i i i i i i'),
  path_remove_directory: fn('i i i'),
  path_rename: fn('i i i i i i'),
  path_symlink: fn('i i i i i'),
  path_unlink_file: fn('i i i'),
  poll_oneoff: fn('i i i i'),
  proc_exit: fn('i', false),
  proc_raise: fn('i'),
  sched_yield: fn(''),
  random_get: fn('i i'),
};

/** preview1 functions never provided: a module importing one is refused before it runs. */
export const WASI_REFUSED_FUNCTIONS: readonly string[] = ['sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown'];

export function isWasiFunctionName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(WASI_FUNCTIONS, name);
}

/** The names a program's wrapper provides, in a fixed order (the sandbox builds its import object from them). */
export const WASI_FUNCTION_NAMES: readonly string[] = Object.keys(WASI_FUNCTIONS).sort();
