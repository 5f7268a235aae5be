// A devnet child's output: copied to its log file and kept as a short tail to explain a failure.
// A child's `exit` can come before its pipes have delivered its last lines (its "stopped" line, say),
// so the child counts as gone only once its pipes have ended too and the log file holds everything
// — bounded, since a grandchild that inherited a pipe could keep it open.
import { createWriteStream } from 'node:fs';
import type { DevnetProcess } from './devnet.js';

/** After a child's exit, how long its pipes may still take to end before the log is closed without them. */
export const OUTPUT_DRAIN_MS = 2_000;
/** Lines of a child's output kept to explain a failure. */
export const OUTPUT_TAIL_LINES = 40;

export interface ChildOutput {
  /** The last lines the child printed (stdout and stderr, as they came). */
  text(): string;
  /** The child has exited (or failed to start), its output has ended and the log file holds it. */
  readonly exited: Promise<void>;
}

function ended(stream: NodeJS.ReadableStream | null): Promise<void> {
  if (stream === null) return Promise.resolve();
  return new Promise((done) => {
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', () => done());
  });
}

function exitOf(child: DevnetProcess): Promise<void> {
  return new Promise((done) => {
    child.once('exit', () => done());
    child.once('error', () => done());
  });
}

/**
 * Resolves once `child` has exited (or failed to start) and its stdout and stderr have ended, or
 * `drainMs` after the exit if they have not. Call it right after the spawn.
 */
export function childGone(child: DevnetProcess, drainMs = OUTPUT_DRAIN_MS): Promise<void> {
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

/** Follows `child`'s stdout and stderr into `logFile` (appended); call it right after the spawn. */
export function followChildOutput(child: DevnetProcess, logFile: string, drainMs = OUTPUT_DRAIN_MS): ChildOutput {
  const log = createWriteStream(logFile, { flags: 'a' });
  // A log that cannot be written (a full disk) must not take the devnet down; the tail still works.
  log.on('error', () => undefined);
  const tail: string[] = [];
  let partial = '';
  const take = (chunk: Buffer): void => {
    if (log.writable) log.write(chunk);
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    tail.push(...lines);
    if (tail.length > OUTPUT_TAIL_LINES * 4) tail.splice(0, tail.length - OUTPUT_TAIL_LINES);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);

  const exited = childGone(child, drainMs).then(
    () =>
      new Promise<void>((done) => {
        if (log.closed) return done();
        log.once('close', done);
        log.end();
      }),
  );
  return { text: () => [...tail.slice(-OUTPUT_TAIL_LINES), partial].join('\n'), exited };
}
