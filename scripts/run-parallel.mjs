// Runs independent commands side by side: `npm test` runs vitest while lint and the type checks
// run beside it (vitest waits on processes and sockets much of the time, and the checks fill it),
// and the type checks run side by side too.
//
//   node scripts/run-parallel.mjs [--live "<command>"] "<command>" …
//
// Each command runs in a shell. A --live command (at most one, started first) writes straight to
// the terminal as it goes; every other command's output (stdout and stderr, in order) is printed
// whole under its name when it ends, or after the live one ends, so outputs never interleave. At
// most one command per core runs at a time, besides the live one. Every command runs to its end, so
// all the errors show at once; the exit status is non-zero if any failed.
//
// No command outlives the runner, however it ends: each runs under a small lifeline process that
// stops the command's whole process group when its stdin (a pipe from the runner) closes, which
// the kernel does when the runner dies, SIGKILL included.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Commands running at once, besides the live one. */
const AT_ONCE = Math.max(1, availableParallelism());
/** A command's output kept for printing; beyond it, the rest is counted, not kept. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const LIFELINE_FLAG = '--lifeline';
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

if (process.argv[2] === LIFELINE_FLAG) runUnderLifeline(process.argv[3] ?? 'false');
else await runAll(process.argv.slice(2));

/** The lifeline: runs the command in its own process group and stops that group when the runner goes. */
function runUnderLifeline(command) {
  const child = spawn(command, { shell: true, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  child.on('error', (error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(127);
  });
  child.on('close', (code, signal) => process.exit(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1)));
}

function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal];
}

function parse(args) {
  const commands = [];
  let live;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--live') {
      if (live !== undefined || args[i + 1] === undefined) return undefined;
      live = args[++i];
    } else commands.push(args[i]);
  }
  return { live, commands };
}

async function runAll(args) {
  const parsed = parse(args);
  if (!parsed || (parsed.commands.length === 0 && parsed.live === undefined) || args.includes('--help')) {
    process.stdout.write('Usage: node scripts/run-parallel.mjs [--live "<command>"] "<command>" …\n');
    process.exit(args.includes('--help') ? 0 : 2);
  }
  const self = fileURLToPath(import.meta.url);
  const running = new Set();
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      for (const child of running) child.kill('SIGTERM');
      process.exit(1);
    });
  }

  let liveDone = Promise.resolve();
  // Reports of the other commands wait for the live one, in the order they ended.
  let printing = Promise.resolve();
  const report = (text, live) => {
    if (live) process.stdout.write(text);
    else printing = printing.then(() => liveDone).then(() => void process.stdout.write(text));
  };
  const run = (command, live) =>
    new Promise((resolve) => {
      const started = Date.now();
      const child = spawn(process.execPath, [self, LIFELINE_FLAG, command], { stdio: ['pipe', live ? 'inherit' : 'pipe', live ? 'inherit' : 'pipe'] });
      running.add(child);
      const chunks = [];
      let kept = 0;
      let dropped = 0;
      const keep = (chunk) => {
        if (kept + chunk.length <= MAX_OUTPUT_BYTES) {
          chunks.push(chunk);
          kept += chunk.length;
        } else dropped += chunk.length;
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.on('close', (code, signal) => {
        running.delete(child);
        const status = code ?? `signal ${signal}`;
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const output = Buffer.concat(chunks).toString('utf8');
        let text = `── ${command}: ${status === 0 ? 'ok' : `failed (${status})`} in ${seconds} s\n${output}`;
        if (output.length > 0 && !output.endsWith('\n')) text += '\n';
        if (dropped > 0) text += `… ${dropped} more bytes of output not kept\n`;
        report(text, live);
        resolve(status === 0);
      });
    });

  const results = [];
  if (parsed.live !== undefined) {
    const live = run(parsed.live, true);
    liveDone = live.then(() => undefined);
    results.push(live);
  }
  const queue = [...parsed.commands];
  const worker = async () => {
    for (let command = queue.shift(); command !== undefined; command = queue.shift()) results.push(await run(command, false));
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, queue.length) }, worker));
  const outcomes = await Promise.all(results);
  await printing;
  const failed = outcomes.filter((ok) => !ok).length;
  if (failed > 0) {
    process.stdout.write(`${failed} of ${outcomes.length} commands failed\n`);
    process.exitCode = 1;
  }
}
