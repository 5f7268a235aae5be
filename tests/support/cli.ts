// Runs a `pnode` command tree in process, as the CLI would, and captures what it prints.
import { runCommand } from '../../src-node/cli/run.js';
import type { CommandSpec } from '../../src-node/cli/args.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** Working directory (default: the process's). */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Standard input (default: empty). */
  readonly stdin?: string;
}

/** A `pnode` root holding these commands. */
export function pnodeRoot(...subcommands: CommandSpec[]): CommandSpec {
  return { name: 'pnode', summary: 'test root', subcommands };
}

export async function runCli(root: CommandSpec, argv: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(root, argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}
