// Entry point of the `pnode` binary (bundled to dist/pnode.js).
import { runCommand } from './run.js';
import { rootCommand } from './commands/index.js';
import { unansweredKeychainCalls } from '../kernel/identity/keychain-keystore.js';
import { holdLifeline } from '../kernel/process/lifeline.js';
import { commandLine } from './argv.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const stop = new AbortController();
let signals = 0;
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.on(name, () => {
    signals++;
    // A second Ctrl-C means "now": skip the graceful shutdown.
    if (signals > 1) process.exit(130);
    stop.abort(name);
  });
}
// Started by a supervisor (devnet, npm start, a harness): when it vanishes, stop as on SIGTERM.
holdLifeline({ onLost: () => stop.abort('SIGTERM'), log: (line) => process.stderr.write(`pnode: ${line}\n`) });

const code = await runCommand(rootCommand, commandLine(process.argv), {
  signal: stop.signal,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  env: process.env,
  cwd: process.cwd(),
});
// Long-running commands (node, devnet, services) resolve only when they stop.
process.exitCode = code;
// A keychain call that timed out still holds a worker thread; do not let it keep the process alive.
if (unansweredKeychainCalls() > 0) process.exit(code);
