// A small supervised program for the lifeline tests (bundled and run as a child process): it holds
// its lifeline, starts a chain of children like itself, and reports on stdout, one JSON line each,
// when every process of the chain is up. Its graceful stop leaves a file behind, which proves the
// stop ran (and was not a kill).
//
//   --depth <n>        children below this one (a chain)
//   --dir <path>       where each process writes <pid>.stopped when its graceful stop runs
//   --hang             the graceful stop never finishes (the grace period must end the process)
//   --grace-ms <ms>    the lifeline's grace period
//   --stop-child       SIGSTOP the child once it is up (it is started stoppable)
//   --ppid-child       start the child with the ppid fallback instead of a pipe
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIFELINE_ENV, holdLifeline, spawnSupervised } from '../../src-node/kernel/process/lifeline.js';

export interface ChainLine {
  readonly pid: number;
  readonly ppid: number;
  readonly depth: number;
  readonly lifeline: string;
  readonly stopped?: boolean;
}

function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

export async function runLifelineChild(args: readonly string[]): Promise<void> {
  const depth = Number(option(args, '--depth') ?? 0);
  const dir = option(args, '--dir');
  const hang = args.includes('--hang');
  const graceMs = Number(option(args, '--grace-ms') ?? 10_000);
  const held = holdLifeline({
    graceMs,
    onLost: () => {
      // Like a real stop, it says so on its output (a pipe to a supervisor that is gone) and takes
      // a moment; the marker proves it got through.
      process.stdout.write('stopping\n');
      process.stderr.write('stopping\n');
      setTimeout(() => {
        process.stdout.write('stopped\n');
        if (dir) writeFileSync(join(dir, `${process.pid}.stopped`), 'stopped\n');
        if (!hang) process.exit(0);
      }, 50);
    },
  });
  const say = (line: ChainLine): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
  // Kept alive by this timer only: the lifeline itself never holds a process up.
  setInterval(() => undefined, 60_000);

  let child: ChildProcess | undefined;
  if (depth > 0) {
    const childArgs = [process.argv[1]!, ...args.map((a, i) => (args[i - 1] === '--depth' ? String(depth - 1) : a)).filter((a) => a !== '--stop-child' && a !== '--ppid-child')];
    if (args.includes('--ppid-child')) {
      // The fallback: no pipe, the child is told our pid and watches its parent pid.
      child = spawn(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, [LIFELINE_ENV]: `ppid:${process.pid}` } });
    } else {
      child = spawnSupervised(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'], stoppable: args.includes('--stop-child') });
    }
    let buffered = '';
    // Relay the chain's lines; once the direct child is up, stop it if asked.
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        const parsed = JSON.parse(line) as ChainLine;
        if (parsed.depth === depth - 1 && args.includes('--stop-child')) {
          child!.kill('SIGSTOP');
          say({ ...parsed, stopped: true });
        } else {
          process.stdout.write(`${line}\n`);
        }
      }
    });
  }
  say({ pid: process.pid, ppid: process.ppid, depth, lifeline: held.kind });
}
