import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBytes } from '../../kernel/storage/module-cache.js';
import { loadManifest } from './manifest.js';

let dir: string;
const module = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
const write = (name: string, value: unknown) => writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pnode-manifest-'));
  writeFileSync(join(dir, 'prog.wasm'), module);
  writeFileSync(join(dir, 'query.fa'), '>q\nACGT\n');
  writeFileSync(join(dir, 'ranges.txt'), '0 100\n\n100 200\r\n200 300\n');
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db', 'b.fa'), '>b\nGG\n');
  writeFileSync(join(dir, 'db', 'a.fa'), '>a\nCC\n');
  writeFileSync(join(dir, 'db', '.hidden'), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('job manifests', () => {
  it('make one task per input line, on stdin or as an argument', async () => {
    write('lines.json', { module: 'prog.wasm', args: ['--range', '{input}'], inputs: { lines: 'ranges.txt', as: 'arg' }, limits: { 'max-ms': 5000 } });
    const plan = await loadManifest(join(dir, 'lines.json'));
    expect(plan.batchName).toBe('lines');
    expect(plan.module.hash).toBe(hashBytes(module));
    expect(plan.tasks.map((t) => [t['name'], t['args']])).toEqual([
      ['line-00001', ['--range', '0 100']],
      ['line-00002', ['--range', '100 200']],
      ['line-00003', ['--range', '200 300']],
    ]);
    expect(plan.tasks[0]).toMatchObject({ module: hashBytes(module), limits: { 'max-ms': 5000 } });
    write('stdin.json', { module: 'prog.wasm', inputs: { lines: 'ranges.txt' } });
    const onStdin = await loadManifest(join(dir, 'stdin.json'));
    expect(Buffer.from(onStdin.tasks[1]!['stdin'] as string, 'base64url').toString()).toBe('100 200\n');
  });

  it('make one task per input file, placed in the task directory, with shared files as blobs', async () => {
    write('job.json', { batch: 'search', module: 'prog.wasm', args: ['query.fa', '{input}'], files: { 'query.fa': 'query.fa' }, inputs: { files: 'db', as: 'file' } });
    const plan = await loadManifest(dir);
    expect(plan.batchName).toBe('search');
    expect(plan.tasks.map((t) => [t['name'], t['args']])).toEqual([
      ['a.fa', ['query.fa', 'a.fa']],
      ['b.fa', ['query.fa', 'b.fa']],
    ]);
    expect(plan.tasks[0]!['files']).toEqual([
      { name: 'query.fa', blob: hashBytes(Buffer.from('>q\nACGT\n')) },
      { name: 'a.fa', blob: hashBytes(Buffer.from('>a\nCC\n')) },
    ]);
    expect(plan.blobs.size).toBe(3);
  });

  it('take an explicit task list', async () => {
    write('tasks.json', { module: 'prog.wasm', tasks: [{ name: 'one', 'stdin-text': 'hi' }, { args: ['x'] }] });
    const plan = await loadManifest(join(dir, 'tasks.json'));
    expect(plan.tasks).toHaveLength(2);
    expect(plan.tasks[0]).toMatchObject({ name: 'one', stdin: 'aGk' });
    expect(plan.tasks[1]).toMatchObject({ args: ['x'] });
  });

  it('refuse what will not check, saying where', async () => {
    const refused = async (value: unknown, message: RegExp) => {
      write('bad.json', value);
      await expect(loadManifest(join(dir, 'bad.json'))).rejects.toThrow(message);
    };
    await refused({ module: 'prog.wasm', quota: 1 }, /unknown field "quota"/);
    await refused({ module: 'missing.wasm' }, /module: .*missing\.wasm cannot be read/);
    await refused({ module: 'prog.wasm', inputs: { lines: 'ranges.txt' }, tasks: [] }, /has inputs and tasks/);
    await refused({ module: 'prog.wasm', inputs: { lines: 'ranges.txt', as: 'file' } }, /inputs\.as/);
    await refused({ module: 'prog.wasm', files: { '../x': 'query.fa' } }, /files\.\.\.\/x/);
    await refused({ module: 'prog.wasm', limits: { 'memory-mb': 99999 } }, /limits\.memory-mb/);
    await refused({ module: 'prog.wasm', tasks: [{ name: '../escape' }] }, /name/);
    await expect(loadManifest(join(dir, 'nope.json'))).rejects.toThrow(/no such file/);
    write('notjson.json', '{');
    await expect(loadManifest(join(dir, 'notjson.json'))).rejects.toThrow(/is not a JSON object/);
  });
});
