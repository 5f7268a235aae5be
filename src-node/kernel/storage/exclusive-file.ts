// Create-if-absent, atomically: the file appears complete or not at all, and never replaces a file
// that is already there. Used where overwriting would destroy something (a secret key, an identity
// record): two processes racing to create the same file cannot both win.
//
// How: write a temp file beside the target, fsync it, then hard-link it to the target name. link(2)
// fails with EEXIST when the name is taken, atomically. Where hard links are not supported (FAT,
// some network mounts) it falls back to check-then-rename, which is atomic for the content but has
// a small race window between the check and the rename.
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDirectorySync, tempPathFor } from './atomic-file.js';

export class FileExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists`);
    this.name = 'FileExistsError';
  }
}



const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Writes `data` to `path` only if nothing is there; FileExistsError otherwise. */
export async function createFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  if (await exists(path)) throw new FileExistsError(path);
  const temp = tempPathFor(path);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    try {
      await handle.writeFile(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new FileExistsError(path);
      if (code === undefined || !LINK_UNSUPPORTED.has(code)) throw error;
      if (await exists(path)) throw new FileExistsError(path);
      await rename(temp, path);
    }
  } finally {
    await rm(temp, { force: true });
  }
  fsyncDirectorySync(dirname(path));
}
