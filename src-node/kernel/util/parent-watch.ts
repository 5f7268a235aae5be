// A child process that must not outlive the process that started it (issue 12: the local network
// "Try it on this computer" starts dies with the app, SIGKILL included). The parent names itself
// (--parent-pid); the child checks every PARENT_WATCH_INTERVAL_MS that it still exists and that it
// has not been re-parented away from it, and stops when either fails.

export const PARENT_WATCH_INTERVAL_MS = 1_000;

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Calls `onGone` once when `pid` is gone; returns the function that stops watching. */
export function watchParent(pid: number, onGone: () => void, intervalMs = PARENT_WATCH_INTERVAL_MS): () => void {
  // Our own parent at start: when that is the watched process, a change of parent is its death
  // too (the pid may be reused later, the re-parenting stays).
  const parentAtStart = process.ppid;
  const timer = setInterval(() => {
    const reparented = parentAtStart === pid && process.ppid !== pid;
    if (!reparented && processExists(pid)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
