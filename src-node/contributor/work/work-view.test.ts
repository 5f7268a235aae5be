import { describe, expect, it } from 'vitest';
import { makeTaskResult } from '../../../src-shared/vnode/task-result.js';
import type { VNodeTask } from '../../../src-shared/vnode/workload.js';
import { encodeTileInput, mandelbrotTileReference, tileWorkload } from '../../kernel/workloads/demo/mandelbrot.js';
import { loadDemoModule, loadWasiDemoModule } from '../../kernel/workloads/demo/demo-workloads.js';
import { wasiTaskFor } from '../../../tests/support/vnode/wasi-fixtures.js';
import { mandelbrotTilePicture, tileOf } from './result-picture.js';
import { limitPermille, usedPermille } from './work-view-module.js';
import { WorkloadCatalogue } from './workload-catalogue.js';

const SPEC = { x: 2, y: 1, size: 16, tiles: 4, maxIterations: 200 };

async function tileTask(): Promise<VNodeTask> {
  const module = await loadDemoModule('mandelbrot');
  return { ...tileWorkload(module, SPEC), taskId: 'wt:1', vnodeId: 'vn:1' };
}

describe('a Mandelbrot tile as a picture', () => {
  it('is recognised by its module and painted from this node’s own output as a PNG', async () => {
    const task = await tileTask();
    const catalogue = new WorkloadCatalogue();
    await catalogue.load();
    expect(catalogue.describe(task)).toMatchObject({ kind: 'mandelbrot-demo', name: 'Mandelbrot demo' });
    expect(tileOf(task)).toEqual(SPEC);
    const output = mandelbrotTileReference(SPEC);
    const picture = mandelbrotTilePicture(task, makeTaskResult({ taskId: 'wt:1', vnodeId: 'vn:1', status: 'ok', output, cpuMs: 1, wallMs: 1 }));
    expect(picture?.info).toEqual({ width: 16, height: 16, caption: 'Tile 3, 2 of a 4 × 4 picture of the Mandelbrot set' });
    expect(Buffer.from(picture!.png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect(Buffer.from(picture!.png).readUInt32BE(16)).toBe(16);
  });

  it('is no picture when the output or the input does not fit (never an error)', async () => {
    const task = await tileTask();
    const short = makeTaskResult({ taskId: 'wt:1', vnodeId: 'vn:1', status: 'ok', output: new Uint8Array(10), cpuMs: 1, wallMs: 1 });
    expect(mandelbrotTilePicture(task, short)).toBeNull();
    const failed = makeTaskResult({ taskId: 'wt:1', vnodeId: 'vn:1', status: 'trap', detail: 'x', cpuMs: 1, wallMs: 1 });
    expect(mandelbrotTilePicture(task, failed)).toBeNull();
    expect(tileOf({ ...task, input: encodeTileInput({ ...SPEC, size: 129 }) })).toBeNull();
    expect(tileOf({ ...task, entry: 'other' })).toBeNull();
  });

  it('is recognised too as the WASI program the demo project submits: its stdin is the tile, its stdout the picture', async () => {
    const module = await loadWasiDemoModule('mandelbrot');
    const task = wasiTaskFor(module, { taskId: 'wt:2', vnodeId: 'vn:1', stdin: encodeTileInput(SPEC) });
    const catalogue = new WorkloadCatalogue();
    await catalogue.load();
    expect(catalogue.describe(task)).toMatchObject({ kind: 'mandelbrot-demo', name: 'Mandelbrot demo' });
    expect(tileOf(task)).toEqual(SPEC);
    const stdout = mandelbrotTileReference(SPEC);
    const ok = makeTaskResult({ taskId: 'wt:2', vnodeId: 'vn:1', status: 'ok', wasi: { exitCode: 0, stdout, stderr: new Uint8Array(0), stderrTruncated: false, files: [] }, cpuMs: 1, wallMs: 1 });
    expect(mandelbrotTilePicture(task, ok)?.info.caption).toBe('Tile 3, 2 of a 4 × 4 picture of the Mandelbrot set');
    // A program given arguments or files is not the demo's tile, whatever its stdin.
    expect(tileOf({ ...task, args: ['x'] })).toBeNull();
  });

  it('names a module it does not know as a program', async () => {
    const task = await tileTask();
    const catalogue = new WorkloadCatalogue();
    await catalogue.load();
    expect(catalogue.describe({ ...task, moduleHash: `sha256:${'0'.repeat(64)}` })).toMatchObject({ kind: 'program', name: 'A program' });
  });
});

describe('CPU use against the limit', () => {
  it('is the share of the whole machine, bounded', () => {
    // 50 % of 2 cores of 8 is 12.5 % of the machine.
    expect(limitPermille(50, 2, 8)).toBe(125);
    expect(limitPermille(100, 16, 8)).toBe(1000);
    expect(limitPermille(50, 2, null)).toBe(500);
    // 2 s of CPU in 1 s on 8 cores: 25 %.
    expect(usedPermille(2_000, 1_000, 8)).toBe(250);
    expect(usedPermille(99_000, 1_000, 8)).toBe(1000);
    expect(usedPermille(-5, 1_000, 8)).toBe(0);
    expect(usedPermille(5, 0, 8)).toBe(0);
  });
});
