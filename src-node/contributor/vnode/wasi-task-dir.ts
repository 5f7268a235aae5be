// The directory a WASI task runs in (issue 13 §2): a fresh one per task under the host's data dir
// (<dataDir>/vnode-tasks/task-XXXXXX), holding the task's input files (read-only: mode 0444, and
// the sandbox refuses to open them for writing whoever runs it), preopened as WASI_PREOPEN and the
// only directory the program can reach. After the program ends, the declared outputs are read
// from it (regular files only, within the output cap), and it is removed whatever happened. A
// directory the host could not finish preparing is removed at once: nothing half-written stays.
// Leftovers of a host that died mid-task are removed when the next host starts (sweep).
import { mkdir, mkdtemp, lstat, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_OUTPUT_BYTES } from '../../../src-shared/vnode/limits.js';
import { type WasiOutputFile, outputFile } from '../../../src-shared/vnode/wasi-output.js';
import { isWasiFileName } from '../../../src-shared/vnode/wasi-workload.js';

export const WASI_TASKS_DIR = 'vnode-tasks';
const TASK_DIR_PREFIX = 'task-';
/** Input files are read-only, as far as file modes go. */
const INPUT_FILE_MODE = 0o444;

export interface TaskInputFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Why collecting the outputs failed, as the task's status says it. */
export interface CollectFailure {
  readonly status: 'failed' | 'trap';
  readonly detail: string;
}

export type CollectResult = { readonly ok: true; readonly files: WasiOutputFile[] } | { readonly ok: false; readonly failure: CollectFailure };

export class WasiTaskDir {
  constructor(
    /** Host path, preopened for the program. */
    readonly path: string,
    /** `dev:ino` of each input file, for the sandbox's read-only check. */
    readonly inputIds: readonly string[],
  ) {}

  /**
   * Reads the declared outputs, in name order: each must be a regular file, and they and the
   * stdout already kept (stdoutBytes) must fit the cap together.
   */
  async collect(names: readonly string[], stdoutBytes: number, cap: number): Promise<CollectResult> {
    const files: WasiOutputFile[] = [];
    let left = Math.min(cap, MAX_OUTPUT_BYTES) - stdoutBytes;
    for (const name of [...names].sort()) {
      if (!isWasiFileName(name)) return { ok: false, failure: { status: 'failed', detail: `"${name}" is not a file name` } };
      const path = join(this.path, name);
      let info;
      try {
        info = await lstat(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, failure: { status: 'failed', detail: `the program did not write its output file "${name}"` } };
        throw error;
      }
      if (!info.isFile()) return { ok: false, failure: { status: 'failed', detail: `the output "${name}" is not a regular file` } };
      if (info.size > left) return { ok: false, failure: { status: 'trap', detail: `stopped: its stdout and output files are over the output cap of ${cap} bytes ("${name}" is ${info.size} bytes)` } };
      const bytes = await readAtMost(path, info.size);
      if (bytes === null) return { ok: false, failure: { status: 'failed', detail: `the output "${name}" changed while it was read` } };
      left -= bytes.length;
      files.push(outputFile(name, bytes));
    }
    return { ok: true, files };
  }

  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true, maxRetries: 2 });
  }
}

/** Exactly `size` bytes of the file, or null if it holds another amount. */
async function readAtMost(path: string, size: number): Promise<Uint8Array | null> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(size + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, got, buffer.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > size) return null;
    }
    return got === size ? buffer.subarray(0, size) : null;
  } finally {
    await handle.close();
  }
}

export class WasiTaskDirs {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, WASI_TASKS_DIR);
  }

  /** Removes what a host that stopped mid-task left behind. */
  async sweep(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) if (name.startsWith(TASK_DIR_PREFIX)) await rm(join(this.root, name), { recursive: true, force: true, maxRetries: 2 });
  }

  /** A fresh directory holding the input files; removed again if any of them cannot be written. */
  async create(files: readonly TaskInputFile[]): Promise<WasiTaskDir> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const path = await mkdtemp(join(this.root, TASK_DIR_PREFIX));
    try {
      const ids: string[] = [];
      for (const file of files) {
        if (!isWasiFileName(file.name)) throw new Error(`"${file.name}" is not a file name`);
        const target = join(path, file.name);
        await writeFile(target, file.bytes, { mode: INPUT_FILE_MODE, flag: 'wx' });
        const info = await stat(target, { bigint: true });
        ids.push(`${info.dev}:${info.ino}`);
      }
      return new WasiTaskDir(path, ids);
    } catch (error) {
      await rm(path, { recursive: true, force: true, maxRetries: 2 });
      throw error;
    }
  }
}
