// Crash safety of the directory log, by killing a real writer: a child process PUTs new rows and
// replacements (compacting every few batches) and reports each row once it is on disk; it is
// SIGKILLed at a random moment. After every kill the log must load, and every row the child
// reported must be there (at that sequence or a later one). As in atomic-file.crash.test.ts,
// SIGKILL tests the process dying, not the machine losing power; a torn tail (what a power loss
// may leave) is covered by directory-store.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSupervised } from '../../kernel/process/lifeline.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DirectoryStore } from './directory-store.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { systemClock } from '../../kernel/util/clock.js';

const TRIALS = 8;
/** Kill after this many acknowledged rows, at most (at least one). */
const MAX_ACKS_BEFORE_KILL = 400;
const TRIAL_TIMEOUT_MS = 15_000;

let workDir: string;
let entry: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'pnode-directory-crash-'));
  entry = join(workDir, 'directory-crash-writer.mjs');
  await build({
    stdin: {
      contents: "import '../../../scripts/lib/hold-lifeline.mjs';\nimport { runDirectoryCrashWriter } from '../../../tests/support/directory-crash-writer.ts';\nawait runDirectoryCrashWriter(process.argv.slice(2));\n",
      resolveDir: dirname(fileURLToPath(import.meta.url)),
      sourcefile: 'entry.ts',
      loader: 'ts',
    },
    outfile: entry,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Everything in one file: the bundle runs from a temp dir, away from node_modules.
    logLevel: 'error',
    banner: { js: "import { createRequire as __crashRequire } from 'node:module'; const require = __crashRequire(import.meta.url);" },
  });
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Runs the writer until `killAfter` acks arrived, SIGKILLs it, and answers the acks it saw. */
function crashOnce(dataDir: string, killAfter: number): Promise<Map<string, number>> {
  const child = spawnSupervised(process.execPath, [entry, dataDir], { stdio: ['ignore', 'pipe', 'pipe'], cwd: workDir });
  const acked = new Map<string, number>();
  let count = 0;
  let buffered = '';
  let errors = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the writer did not reach ${killAfter} acks: ${errors}`));
    }, TRIAL_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const match = /^acked (\S+) (\d+)$/.exec(line);
        if (!match) continue;
        acked.set(match[1]!, Math.max(acked.get(match[1]!) ?? -1, Number(match[2])));
        if (++count === killAfter) child.kill('SIGKILL');
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`the writer exited by itself (${code}): ${errors}`));
    });
  });
}

describe('directory log under SIGKILL', () => {
  it('loads after every kill with every acknowledged row in it', async () => {
    const dataDir = join(workDir, 'data');
    const everAcked = new Map<string, number>();
    for (let trial = 0; trial < TRIALS; trial++) {
      const killAfter = 1 + Math.floor(Math.random() * MAX_ACKS_BEFORE_KILL);
      const acked = await crashOnce(dataDir, killAfter);
      for (const [nodeId, sequence] of acked) everAcked.set(nodeId, sequence);
      const store = await DirectoryStore.open({ dataDir, clock: systemClock, crypto: nativeCrypto });
      try {
        expect(store.loadReport.corruptLines).toBe(0);
        for (const [nodeId, sequence] of everAcked) {
          expect(store.get(nodeId)?.sequence ?? -1, `trial ${trial}: ${nodeId} acked at ${sequence}`).toBeGreaterThanOrEqual(sequence);
        }
      } finally {
        await store.close();
      }
    }
    expect(everAcked.size).toBeGreaterThan(0);
  });
});
