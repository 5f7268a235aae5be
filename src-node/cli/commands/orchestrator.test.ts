import { describe, expect, it } from 'vitest';
import { runCommand } from '../run.js';
import type { CommandIo, CommandSpec } from '../args.js';
import { orchestratorCommand } from './orchestrator.js';
import { devnetCommand } from './devnet.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';

const root: CommandSpec = { name: 'pnode', summary: 'test', subcommands: [orchestratorCommand, devnetCommand] };

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: async () => '', env: {}, cwd: process.cwd() };
  const code = await runCommand(root, argv, io);
  return { code, stdout, stderr };
}

describe('pnode orchestrator / pnode devnet: usage', () => {
  it('documents its options', async () => {
    const help = await run(['orchestrator', '--help']);
    expect(help.code).toBe(0);
    for (const option of ['--data-dir', '--listen', '--admin-listen', '--heartbeat-interval-ms']) expect(help.stdout).toContain(option);
    const devnet = await run(['devnet', '--help']);
    for (const option of ['--nodes', '--data-dir', '--heartbeat-interval-ms', '--ui']) expect(devnet.stdout).toContain(option);
  });

  it('refuses bad values with exit code 2 before starting anything', async () => {
    const dir = makeTempDir().path;
    const cases: Array<[string[], RegExp]> = [
      [['orchestrator', '--data-dir', dir], /needs --listen/],
      [['orchestrator', '--data-dir', dir, '--listen', 'ws://127.0.0.1:0/peer', '--insecure-loopback', '--heartbeat-interval-ms', '10'], /heartbeat-interval-ms/],
      [['orchestrator', '--data-dir', dir, '--listen', 'ws://127.0.0.1:0/peer', '--insecure-loopback', '--admin-listen', 'http://0.0.0.0:9000'], /loopback/],
      [['orchestrator', '--data-dir', dir, '--listen', 'ws://10.0.0.1:7000/peer', '--insecure-loopback'], /--listen/],
      [['devnet', '--nodes', '0', '--data-dir', dir], /--nodes/],
      [['devnet', '--nodes', '1000', '--data-dir', dir], /--nodes/],
      [['devnet', '--nodes', '2'], /--data-dir is required/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
  });
});
