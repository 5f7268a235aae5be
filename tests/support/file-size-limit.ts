// A real quota for one child process: RLIMIT_FSIZE (`ulimit -f`, in 512-byte blocks, set by the
// shell that then execs node). A write that would take a file past the limit is cut short and
// fails with EFBIG (Node ignores SIGXFSZ), as a full disk cuts a write short with ENOSPC. No
// privileges needed, unlike mounting a small filesystem.
import { type ChildProcess, type StdioOptions } from 'node:child_process';
import { spawnSupervised } from '../../src-node/kernel/process/lifeline.js';

/** RLIMIT_FSIZE counts in these. */
export const FSIZE_BLOCK_BYTES = 512;

/** Whether this machine has a POSIX shell with ulimit -f (the tests that need it are skipped elsewhere). */
export function canLimitFileSize(): boolean {
  return process.platform !== 'win32';
}

/** Starts `node <argv…>` with no file of it allowed past `maxBytes` (rounded down to whole blocks, at least one). */
export function spawnWithFileSizeLimit(maxBytes: number, argv: readonly string[], options: { stdio?: StdioOptions; cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const blocks = Math.max(1, Math.floor(maxBytes / FSIZE_BLOCK_BYTES));
  return spawnSupervised('/bin/sh', ['-c', `ulimit -f ${blocks} && exec "$@"`, 'sh', process.execPath, ...argv], {
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
}
