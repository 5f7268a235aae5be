// `pnode directory`, run in-process through the CLI dispatcher: the banner names the HTTP URL,
// the directory answers on it, Ctrl-C (the abort signal) stops it cleanly; bad listen URLs are
// usage errors.
import { afterEach, describe, expect, it } from 'vitest';
import { type CommandSpec } from '../../cli/args.js';
import { EXIT_OK, EXIT_USAGE, runCommand } from '../../cli/run.js';
import { directoryCommand } from '../../cli/commands/directory.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';

const root: CommandSpec = { name: 'pnode', summary: 'test root', subcommands: [directoryCommand] };
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function run(args: string[], signal?: AbortSignal): { done: Promise<number>; output: () => string } {
  let output = '';
  const done = runCommand(root, ['directory', ...args], {
    stdout: (text) => (output += text),
    stderr: (text) => (output += text),
    readStdin: async () => '',
    env: {},
    cwd: process.cwd(),
    ...(signal ? { signal } : {}),
  });
  return { done, output: () => output };
}

describe('pnode directory', () => {
  it('serves the directory at the URL its banner prints, until stopped', async () => {
    const dir = makeTempDir('pnode-directory-cli-');
    cleanups.push(dir.cleanup);
    const stop = new AbortController();
    const running = run(['--data-dir', dir.path, '--listen', 'http://127.0.0.1:0', '--insecure-loopback', '--keystore', 'file', '--peer-listen', 'ws://127.0.0.1:0/peer'], stop.signal);
    await expect.poll(() => /directory\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(running.output())?.[1]).toBeDefined();
    const url = /directory\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(running.output())![1]!;
    const nodeId = /node\/id\s+(node:did:key:z\w+)/.exec(running.output())![1]!;
    expect(running.output()).toMatch(/pnode .* \(directory\)/);

    const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', 'node/id': nodeId, entries: 1 });
    // Its own advertisement (it listens for peers) is in its own table.
    const own = (await (await fetch(`${url}/adv/${nodeId}`)).json()) as Record<string, unknown>;
    expect(own['node/id']).toBe(nodeId);

    stop.abort();
    expect(await running.done).toBe(EXIT_OK);
    expect(running.output()).toContain('stopped');
  });

  it('refuses plain http off loopback, or without --insecure-loopback, and https without a certificate', async () => {
    const dir = makeTempDir('pnode-directory-cli-');
    cleanups.push(dir.cleanup);
    for (const [listen, extra, message] of [
      ['http://127.0.0.1:0', [], /needs --insecure-loopback/],
      ['http://192.0.2.1:8080', ['--insecure-loopback'], /only on loopback/],
      ['https://127.0.0.1:0', [], /needs --tls-cert and --tls-key/],
      ['https://127.0.0.1:0/dir', [], /at the root/],
    ] as const) {
      const attempt = run(['--data-dir', dir.path, '--listen', listen, '--keystore', 'file', ...extra]);
      expect(await attempt.done).toBe(EXIT_USAGE);
      expect(attempt.output()).toMatch(message);
    }
  });
});
