// A devnet child's output: copied to its log file and kept as a short tail to explain a failure.
// The child counts as gone once its output is over too (kernel/process/child-gone.ts) and the log
// file holds all of it.
import { createWriteStream } from 'node:fs';
import { OUTPUT_DRAIN_MS, childGone } from '../../kernel/process/child-gone.js';
import type { DevnetProcess } from './devnet.js';

/** Lines of a child's output kept to explain a failure. */
export const OUTPUT_TAIL_LINES = 40;

export interface ChildOutput {
  /** The last lines the child printed (stdout and stderr, as they came). */
  text(): string;
  /** The child has exited (or failed to start), its output has ended and the log file holds it. */
  readonly exited: Promise<void>;
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
