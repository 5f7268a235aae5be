// A child process's end as a test sees it: its exit code, once all it printed has arrived. Node's
// 'exit' can come before the pipes deliver the last lines ("stopped"); 'close' comes after both.
// Bounded: a grandchild that inherited a pipe could keep it open.
import type { ChildProcess } from 'node:child_process';

/** After the exit, how long the pipes may still take to end. */
export const OUTPUT_DRAIN_MS = 5_000;

/** Call right after the spawn; resolves with the exit code once the output is whole (or the bound passed). */
export function exitedWithOutput(child: ChildProcess, drainMs = OUTPUT_DRAIN_MS): Promise<number | null> {
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return exited.then(async (code) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    clearTimeout(timer);
    return code;
  });
}
