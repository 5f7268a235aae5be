// A process killed in the middle of writeFileAtomic leaves its temp file behind (the target itself
// is intact). This removes such leftovers: `.<name>.<pid>.<8 hex>.tmp` files whose writer is no
// longer running, or that are older than any write could take.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** A temp file this old is stale whatever its pid says (pids are reused). */
export const STALE_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes stale temp files directly in `dir`; answers the names removed. Never throws. */
export async function removeStaleTempFiles(dir: string, now: number = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_FILE.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (!info.isFile()) continue;
      if (isRunning(Number(match[1])) && now - info.mtimeMs < STALE_TEMP_MAX_AGE_MS) continue;
      await rm(path, { force: true });
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}
