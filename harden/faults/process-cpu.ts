// CPU time of another process (Linux /proc only), to say how busy the flooded node was.
import { readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every Linux we run on). */
export const PROC_TICKS_PER_SECOND = 100;
/** Fields of /proc/<pid>/stat after the command name: utime is the 12th, stime the 13th. */
const UTIME_FIELD = 11;
const STIME_FIELD = 12;

/** User + system CPU milliseconds `pid` has used, or null where /proc cannot tell. */
export async function cpuMsOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[UTIME_FIELD]) + Number(fields[STIME_FIELD]);
    return Number.isFinite(ticks) ? (ticks * 1000) / PROC_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}
