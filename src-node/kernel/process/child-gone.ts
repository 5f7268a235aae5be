// When a child process is over, output included. Node's 'exit' can come before the child's pipes
// have delivered what it printed last ("stopped", say): whoever reads its output waits for the
// pipes to end too — bounded, since a grandchild that inherited a pipe could keep it open.

/** After a child's exit, how long its pipes may still take to end by default. */
export const OUTPUT_DRAIN_MS = 2_000;

/** The part of a child process this needs (node's ChildProcess has it; so can an adapter). */
export interface ChildWithOutput {
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  once(event: 'exit', listener: (code: number | null) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
}

function ended(stream: NodeJS.ReadableStream | null): Promise<void> {
  if (stream === null) return Promise.resolve();
  return new Promise((done) => {
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', () => done());
  });
}

function exitOf(child: ChildWithOutput): Promise<void> {
  return new Promise((done) => {
    child.once('exit', () => done());
    child.once('error', () => done());
  });
}

/**
 * Resolves once `child` has exited (or failed to start) and its stdout and stderr, read by the
 * caller, have ended; or `drainMs` after the exit if they have not. Call it right after the spawn.
 */
export function childGone(child: ChildWithOutput, drainMs = OUTPUT_DRAIN_MS): Promise<void> {
  const outputEnded = Promise.all([ended(child.stdout), ended(child.stderr)]);
  return exitOf(child).then(async () => {
    let timer: NodeJS.Timeout | undefined;
    const drainBound = new Promise<void>((done) => {
      timer = setTimeout(done, drainMs);
      timer.unref();
    });
    await Promise.race([outputEnded, drainBound]);
    clearTimeout(timer);
  });
}
