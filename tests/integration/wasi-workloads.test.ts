// The real WASI workloads (workloads/README.md) run through a VNode host's sandbox: exact outputs
// where they are integers, the tolerance comparator where they are floating point, the C ports of
// the demos byte for byte equal to the WAT modules, and the committed builds equal to their sources.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWasiOutputs, compareWithTolerance } from '../../src-shared/vnode/tolerance.js';
import { outputFile } from '../../src-shared/vnode/wasi-output.js';
import { planWasiModule } from '../../src-shared/vnode/wasi-plan.js';
import type { TaskResult } from '../../src-shared/vnode/task-result.js';
import { loadDemoModule } from '../../src-node/kernel/workloads/demo/demo-workloads.js';
import { type TileSpec, encodeTileInput, mandelbrotTileReference, tileWorkload } from '../../src-node/kernel/workloads/demo/mandelbrot.js';
import { countPrimesReference, encodePrimesInput, primesWorkload } from '../../src-node/kernel/workloads/demo/primes.js';
import { packageRoot } from '../../src-node/kernel/util/package-root.js';
import { type TestHost, startTestHost } from '../support/vnode/host-fixtures.js';
import { type WasiTaskFields, cacheModule, decode, text, wasiModule, wasiTaskFor } from '../support/vnode/wasi-fixtures.js';
import { fccLattice, formatState, simulateReference } from '../support/workloads/lj-md.js';
import { DEFAULT_SCORING, makeSearchInput, searchReference, toFasta } from '../support/workloads/smith-waterman.js';
import { clangWasiProblem } from '../../scripts/lib/wasi-clang.mjs';

const WORKLOADS = ['smith-waterman', 'lj-md', 'mandelbrot-wasi', 'primes-wasi'] as const;
const modules = Object.fromEntries(WORKLOADS.map((name) => [name, wasiModule(name)]));
let made: TestHost;
let taskNo = 0;

beforeAll(async () => {
  made = await startTestHost();
  expect(made.host.allocate({ vnodeId: 'vnode-1', orchestrator: 'orchestrator-a', cores: 1, memoryMb: 64 }).ok).toBe(true);
  for (const module of Object.values(modules)) await cacheModule(made.host, module);
});

afterAll(async () => {
  await made.cleanup();
});

function run(name: (typeof WORKLOADS)[number], fields: WasiTaskFields): Promise<TaskResult> {
  return made.host.runTask(wasiTaskFor(modules[name]!, { taskId: `${name}-${++taskNo}`, ...fields }));
}

describe('workloads: the build', () => {
  const problem = clangWasiProblem();
  it.skipIf(problem !== null)(`the committed .wasm files are exactly what their C and WAT sources build to${problem ? ` (skipped: ${problem})` : ''}`, () => {
    const check = spawnSync(process.execPath, ['scripts/build-workloads.mjs', '--check'], { cwd: packageRoot(), encoding: 'utf8', timeout: 300_000 });
    for (const name of [...WORKLOADS, 'mandelbrot', 'primes']) expect(check.stdout).toMatch(new RegExp(`ok {7}workloads/${name}/${name}\\.wasm`));
    expect(check.stdout).toMatch(/ok {7}tests\/fixtures\/wasi\/probe\.wasm/);
    expect(check.status).toBe(0);
  });

  it('every WASI workload passes the host’s checks at a 16 MB need', () => {
    for (const name of WORKLOADS) expect(planWasiModule(modules[name]!.bytes, 16).ok).toBe(true);
  });
});

describe('workloads: smith-waterman', () => {
  const input = makeSearchInput(2026, 90, 60, 150);
  const files = [
    { name: 'db.fa', bytes: text(toFasta(input.db)) },
    { name: 'query.fa', bytes: text(toFasta([input.query])) },
  ];

  it('finds the planted hits: its output is the reference search’s, byte for byte, and replicas agree by hash', async () => {
    const expected = searchReference(input);
    const first = await run('smith-waterman', { args: ['/work/query.fa', '/work/db.fa'], files });
    expect(first.status).toBe('ok');
    expect(decode(first.wasi!.stdout)).toBe(expected);
    // The planted sequences (every 7th) score far above chance and come first.
    const top = expected.split('\n').slice(1, 4).map((line) => line.split('\t')[0]);
    expect(top.every((id) => Number(id!.slice(3)) % 7 === 0)).toBe(true);
    const replica = await run('smith-waterman', { args: ['/work/query.fa', '/work/db.fa'], files });
    expect(replica.outputHash).toBe(first.outputHash);
  });

  it('takes its scoring, threshold and top-k from its arguments', async () => {
    const scoring = { match: 3, mismatch: -2, gapOpen: 4, gapExtend: 1 };
    const result = await run('smith-waterman', { args: ['-m', '3', '-x', '-2', '-o', '4', '-e', '1', '-t', '40', '-k', '5', '/work/query.fa', '/work/db.fa'], files });
    expect(decode(result.wasi!.stdout)).toBe(searchReference(input, scoring, 40, 5));
    expect(searchReference(input, scoring, 40, 5)).not.toBe(searchReference(input, DEFAULT_SCORING, 40, 5));
  });

  it('refuses bad arguments with exit status 1 and a message', async () => {
    const result = await run('smith-waterman', { args: ['-x', '5', '/work/query.fa', '/work/db.fa'], files });
    expect(result).toMatchObject({ status: 'failed', detail: 'exited with code 1' });
    expect(decode(result.wasi!.stderr)).toBe('smith-waterman: bad value for: -x\n');
  });
});

describe('workloads: lj-md', () => {
  const start = fccLattice(3, 0.8442, 11);
  const tolerance = { absolute: 1e-9, relative: 1e-9 };

  it('integrates like the JavaScript reference, within the tolerance; replicas agree exactly', async () => {
    const steps = 40;
    const fields: WasiTaskFields = { args: ['-n', String(steps), '-r', '10', '/work/start.xyz', '/work/final.xyz'], files: [{ name: 'start.xyz', bytes: text(formatState(start)) }], outputs: ['final.xyz'] };
    const result = await run('lj-md', fields);
    expect(result.status).toBe('ok');
    const reference = simulateReference(start, steps);
    const expected = { exitCode: 0, stdout: text(reference.stdout), stderr: new Uint8Array(0), stderrTruncated: false, files: [outputFile('final.xyz', text(reference.final))] };
    expect(compareWasiOutputs(expected, result.wasi!, tolerance)).toEqual({ equal: true });
    // Energy is conserved: the total per particle drifts by far less than a percent.
    const totals = decode(result.wasi!.stdout).trim().split('\n').slice(1).map((line) => Number(line.split(' ')[3]));
    expect(totals).toHaveLength(5);
    for (const total of totals) expect(Math.abs(total - totals[0]!)).toBeLessThan(1e-2 * Math.abs(totals[0]!));
    const replica = await run('lj-md', fields);
    expect(replica.outputHash).toBe(result.outputHash);
  });

  it('the comparator sees a real difference: another step count does not pass', async () => {
    const result = await run('lj-md', { args: ['-n', '20', '-r', '10', '/work/start.xyz', '/work/final.xyz'], files: [{ name: 'start.xyz', bytes: text(formatState(start)) }], outputs: ['final.xyz'] });
    const other = simulateReference(start, 21);
    const comparison = compareWithTolerance(text(other.final), result.wasi!.files[0]!.bytes, tolerance);
    expect(comparison.equal).toBe(false);
  });
});

describe('workloads: the C ports of the demos', () => {
  it('mandelbrot-wasi writes the WAT module’s bytes for a tile, and refuses malformed input', async () => {
    const wat = await loadDemoModule('mandelbrot');
    await made.host.modules.put(wat.bytes, wat.hash);
    const specs: TileSpec[] = [
      { x: 2, y: 1, size: 48, tiles: 4, maxIterations: 600 },
      { x: 0, y: 0, size: 16, tiles: 1, maxIterations: 100 },
      { x: 4095, y: 17, size: 3, tiles: 4096, maxIterations: 65535 },
    ];
    for (const spec of specs) {
      const fromC = await run('mandelbrot-wasi', { stdin: encodeTileInput(spec) });
      const fromWat = await made.host.runTask({ ...tileWorkload(wat, spec), taskId: `mandelbrot-wat-${++taskNo}`, vnodeId: 'vnode-1' });
      expect(fromC.wasi!.stdout).toEqual(fromWat.output);
      expect(fromC.wasi!.stdout).toEqual(mandelbrotTileReference(spec));
    }
    const bad = await run('mandelbrot-wasi', { stdin: encodeTileInput({ x: 4, y: 0, size: 8, tiles: 4, maxIterations: 10 }) });
    expect(bad).toMatchObject({ status: 'failed', detail: 'exited with code 1' });
    expect(await run('mandelbrot-wasi', { stdin: new Uint8Array(21) })).toMatchObject({ status: 'failed' });
  });

  it('primes-wasi counts like the WAT module and the sieve', async () => {
    const wat = await loadDemoModule('primes');
    await made.host.modules.put(wat.bytes, wat.hash);
    for (const [lo, hi] of [
      [0, 160_000],
      [1_000_000, 1_020_000],
      [7, 7],
      [2_147_400_000, 2_147_483_647],
    ] as const) {
      const fromC = await run('primes-wasi', { stdin: encodePrimesInput(lo, hi) });
      const fromWat = await made.host.runTask({ ...primesWorkload(wat, lo, hi), taskId: `primes-wat-${++taskNo}`, vnodeId: 'vnode-1' });
      expect(fromC.wasi!.stdout).toEqual(fromWat.output);
      expect(new DataView(fromC.wasi!.stdout!.buffer, fromC.wasi!.stdout!.byteOffset).getUint32(0, true)).toBe(countPrimesReference(lo, hi));
    }
  });
});

