import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outputFile } from '../../../src-shared/vnode/wasi-output.js';
import { WASI_TASKS_DIR, WasiTaskDirs } from './wasi-task-dir.js';

let dataDir: string;
const text = (value: string) => new TextEncoder().encode(value);

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'pnode-taskdir-'));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('WASI task directories', () => {
  it('hold the input files read-only, named by their inodes, and are removed whole', async () => {
    const dirs = new WasiTaskDirs(dataDir);
    const dir = await dirs.create([
      { name: 'a.txt', bytes: text('alpha') },
      { name: 'b.bin', bytes: new Uint8Array([0, 1]) },
    ]);
    expect(dir.path.startsWith(join(dataDir, WASI_TASKS_DIR, 'task-'))).toBe(true);
    expect(readdirSync(dir.path).sort()).toEqual(['a.txt', 'b.bin']);
    const info = statSync(join(dir.path, 'a.txt'), { bigint: true });
    expect(Number(info.mode & 0o777n)).toBe(0o444);
    expect(dir.inputIds[0]).toBe(`${info.dev}:${info.ino}`);
    await dir.remove();
    expect(readdirSync(join(dataDir, WASI_TASKS_DIR))).toEqual([]);
  });

  it('leave nothing behind when an input cannot be written', async () => {
    const dirs = new WasiTaskDirs(dataDir);
    await expect(dirs.create([{ name: 'ok.txt', bytes: text('x') }, { name: '../escape', bytes: text('x') }])).rejects.toThrow(/"..\/escape" is not a file name/);
    await expect(dirs.create([{ name: 'same', bytes: text('x') }, { name: 'same', bytes: text('y') }])).rejects.toThrow(/EEXIST/);
    expect(readdirSync(join(dataDir, WASI_TASKS_DIR))).toEqual([]);
  });

  it('collect declared outputs in name order, only regular files, within the cap', async () => {
    const dir = await new WasiTaskDirs(dataDir).create([]);
    writeFileSync(join(dir.path, 'z.out'), 'zz');
    writeFileSync(join(dir.path, 'a.out'), 'a');
    mkdirSync(join(dir.path, 'd.out'));
    symlinkSync('/etc/passwd', join(dir.path, 'l.out'));
    expect(await dir.collect(['z.out', 'a.out'], 10, 13)).toEqual({ ok: true, files: [outputFile('a.out', text('a')), outputFile('z.out', text('zz'))] });
    expect(await dir.collect(['z.out', 'a.out'], 11, 13)).toEqual({ ok: false, failure: { status: 'trap', detail: 'stopped: its stdout and output files are over the output cap of 13 bytes ("z.out" is 2 bytes)' } });
    expect(await dir.collect(['d.out'], 0, 100)).toEqual({ ok: false, failure: { status: 'failed', detail: 'the output "d.out" is not a regular file' } });
    expect(await dir.collect(['l.out'], 0, 100)).toEqual({ ok: false, failure: { status: 'failed', detail: 'the output "l.out" is not a regular file' } });
    expect(await dir.collect(['none.out'], 0, 100)).toEqual({ ok: false, failure: { status: 'failed', detail: 'the program did not write its output file "none.out"' } });
    await dir.remove();
  });

  it('sweep removes leftover task directories and nothing else', async () => {
    const dirs = new WasiTaskDirs(dataDir);
    await dirs.sweep();
    const left = await dirs.create([{ name: 'in', bytes: text('x') }]);
    writeFileSync(join(dirs.root, 'keep.txt'), 'not a task directory');
    await dirs.sweep();
    expect(readdirSync(dirs.root)).toEqual(['keep.txt']);
    expect(left.path.startsWith(dirs.root)).toBe(true);
  });
});
