// The lifeline (issue 15 §6), with real processes: a chain supervisor → child → grandchild → …,
// each holding a lifeline to the one above. Killing a supervisor, however it dies, must leave none
// of its descendants running; they stop through their own graceful path (each leaves a file), or
// are ended by the grace period, children first. Survivors are looked for by pid (with start time)
// and by a scan of the process table for the supervision tree.
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LIFELINE_ENV, SUPERVISION_TREE_ENV, canSetDeathSignal, holdLifeline, spawnSupervised, supervisedChildren } from './lifeline.js';
import type { ChainLine } from '../../../tests/support/lifeline-child.js';
import { type ProcessEntry, hasProcTable, processEntry, treeMembers, waitUntilGone } from '../../../tests/support/process-table.js';

/** Bounds every wait on a process: far above what a busy machine needs, never a sleep. */
const WAIT_MS = 20_000;

let work: string;
let entry: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pnode-lifeline-'));
  entry = join(work, 'lifeline-child.mjs');
  await build({
    stdin: {
      contents: "import { runLifelineChild } from '../../../tests/support/lifeline-child.ts';\nawait runLifelineChild(process.argv.slice(2));\n",
      resolveDir: dirname(fileURLToPath(import.meta.url)),
      sourcefile: 'lifeline-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: entry,
    logLevel: 'silent',
  });
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Chains of this test: a failed test must not leave its processes behind either. */
const chains: Chain[] = [];
afterEach(() => {
  for (const chain of chains.splice(0)) {
    for (const left of survivors(chain)) {
      if (left.state === 'T') process.kill(left.pid, 'SIGCONT');
      process.kill(left.pid, 'SIGKILL');
    }
  }
});

interface Chain {
  readonly root: ChildProcess;
  readonly lines: ChainLine[];
  readonly tree: string;
  readonly dir: string;
  /** Each process of the chain as the process table saw it once it was up. */
  readonly members: ProcessEntry[];
}

/** Starts a chain of `depth + 1` processes (the root is our child) and waits until all are up. */
async function startChain(depth: number, extra: readonly string[] = []): Promise<Chain> {
  const dir = mkdtempSync(join(work, 'chain-'));
  const tree = Math.floor(Math.random() * 2 ** 48).toString(16).padStart(16, '0');
  const root = spawnSupervised(process.execPath, [entry, '--depth', String(depth), '--dir', dir, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, [SUPERVISION_TREE_ENV]: tree },
  });
  const lines: ChainLine[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the chain was not up within ${WAIT_MS} ms: ${JSON.stringify(lines)}`)), WAIT_MS);
    let buffered = '';
    root.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) if (part) lines.push(JSON.parse(part) as ChainLine);
      if (lines.length === depth + 1) {
        clearTimeout(timer);
        resolve();
      }
    });
    root.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the chain's root exited (${code ?? signal}) before it was up`));
    });
  });
  const members = lines.map((line) => processEntry(line.pid)).filter((e): e is ProcessEntry => e !== undefined);
  const chain = { root, lines, tree, dir, members };
  chains.push(chain);
  expect(members).toHaveLength(depth + 1);
  return chain;
}

/** Everything of the chain still running: by the pids we saw, and by a process-table scan. */
function survivors(chain: Chain): ProcessEntry[] {
  const byPid = chain.members.filter((m) => processEntry(m.pid)?.startTime === m.startTime);
  const byScan = treeMembers(SUPERVISION_TREE_ENV, chain.tree);
  return [...new Map([...byPid, ...byScan].map((e) => [e.pid, e])).values()];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe.skipIf(!hasProcTable() || process.platform === 'win32')('a supervised process', () => {
  it('leaves no descendant running when it is SIGKILLed, and each of them stops gracefully', async () => {
    const chain = await startChain(3);
    expect(chain.lines.map((l) => l.lifeline)).toEqual(['pipe', 'pipe', 'pipe', 'pipe']);
    expect(treeMembers(SUPERVISION_TREE_ENV, chain.tree).map((e) => e.pid).sort()).toEqual(chain.members.map((e) => e.pid).sort());
    chain.root.kill('SIGKILL');
    await exited(chain.root);
    const gone = await waitUntilGone(() => survivors(chain), WAIT_MS);
    expect(gone.survivors).toEqual([]);
    // Each descendant ran its graceful stop (the root was killed, so it could not).
    for (const line of chain.lines.filter((l) => l.depth < 3)) expect(existsSync(join(chain.dir, `${line.pid}.stopped`)), `process at depth ${line.depth}`).toBe(true);
  });

  it('takes its descendants with it when it exits by itself', async () => {
    const chain = await startChain(2);
    chain.root.kill('SIGTERM'); // the fixture has no handler: the default action ends it at once
    await exited(chain.root);
    expect((await waitUntilGone(() => survivors(chain), WAIT_MS)).survivors).toEqual([]);
  });

  it('ends a graceful stop that hangs at the grace period, SIGKILLing its own children first', async () => {
    // The grandchild's own grace is far longer than the test's bound: only its parent's last
    // resort (killSupervisedChildren before exiting) can end it in time.
    const chain = await startChain(2, ['--hang', '--grace-ms', '300']);
    const grandchild = chain.members[2]!;
    chain.root.kill('SIGKILL');
    await exited(chain.root);
    const gone = await waitUntilGone(() => survivors(chain), WAIT_MS);
    expect(gone.survivors).toEqual([]);
    expect(processEntry(grandchild.pid)).toBeUndefined();
  });

  it.skipIf(!canSetDeathSignal())('does not leave a child it SIGSTOPped behind (a stopped process cannot read its lifeline)', async () => {
    const chain = await startChain(1, ['--stop-child']);
    const stopped = chain.lines.find((l) => l.stopped === true);
    expect(stopped).toBeDefined();
    // SIGSTOP takes effect when the child next runs: wait for it.
    const stoppedNow = await waitUntilGone(() => [processEntry(stopped!.pid)!].filter((e) => e.state !== 'T'), WAIT_MS);
    expect(stoppedNow.survivors).toEqual([]);
    chain.root.kill('SIGKILL');
    await exited(chain.root);
    expect((await waitUntilGone(() => survivors(chain), WAIT_MS)).survivors).toEqual([]);
  });

  it('falls back to watching its parent pid where it was given no pipe', async () => {
    const chain = await startChain(1, ['--ppid-child']);
    expect(chain.lines.find((l) => l.depth === 0)?.lifeline).toBe('ppid');
    chain.root.kill('SIGKILL');
    await exited(chain.root);
    expect((await waitUntilGone(() => survivors(chain), WAIT_MS)).survivors).toEqual([]);
    expect(existsSync(join(chain.dir, `${chain.lines.find((l) => l.depth === 0)!.pid}.stopped`))).toBe(true);
  });

  it('is forgotten once it exits', async () => {
    const chain = await startChain(0);
    expect(supervisedChildren()).toContain(chain.root);
    chain.root.kill('SIGKILL');
    await exited(chain.root);
    expect(supervisedChildren()).not.toContain(chain.root);
  });
});

describe('holding a lifeline', () => {
  it('is nothing to watch for a process a person started, and never passes the variable on', () => {
    const before = process.env[LIFELINE_ENV];
    try {
      delete process.env[LIFELINE_ENV];
      expect(holdLifeline({ onLost: () => undefined }).kind).toBe('none');
      process.env[LIFELINE_ENV] = 'fd:not-a-number';
      expect(holdLifeline({ onLost: () => undefined }).kind).toBe('none');
      expect(process.env[LIFELINE_ENV]).toBeUndefined();
    } finally {
      if (before !== undefined) process.env[LIFELINE_ENV] = before;
    }
  });

  it('needs an IPC channel to use one as the lifeline', () => {
    expect(() => spawnSupervised(process.execPath, ['-e', '0'], { lifeline: 'ipc', stdio: ['ignore', 'ignore', 'ignore'] })).toThrow(/needs an 'ipc' entry/);
  });
});
