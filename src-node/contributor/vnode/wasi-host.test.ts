// WASI tasks in the VNode host (issue 13 §2), run for real: sandbox processes under the
// permission model, node:wasi, the probe program of tests/fixtures/wasi/probe.c.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_WASI_CREATED_ENTRIES, MAX_WASI_WRITTEN_BYTES } from '../../../src-shared/vnode/limits.js';
import { WASI_CLOCK_EPOCH_NS, WASI_CLOCK_TICK_NS } from '../../../src-shared/vnode/wasi-api.js';
import { outputFile, wasiOutputDigest } from '../../../src-shared/vnode/wasi-output.js';
import { wasiRandomKey, wasiRandomStream } from '../../../src-shared/vnode/wasi-random.js';
import { type TestHost, cpuTicks, processExists, processState, sleep, startTestHost, waitFor, waitForCpuToSettle } from '../../../tests/support/vnode/host-fixtures.js';
import { compileWat } from '../../../tests/support/vnode/wat.js';
import { cacheModule, decode, text, wasiModule, wasiTaskFor } from '../../../tests/support/vnode/wasi-fixtures.js';
import { WASI_TASKS_DIR } from './wasi-task-dir.js';

const hosts: TestHost[] = [];
const probe = wasiModule('probe');
const posix = process.platform !== 'win32';

async function hostWithVNode(...args: Parameters<typeof startTestHost>): Promise<TestHost> {
  const made = await startTestHost(...args);
  hosts.push(made);
  expect(made.host.allocate({ vnodeId: 'vnode-1', orchestrator: 'orchestrator-a', cores: 1, memoryMb: 64 }).ok).toBe(true);
  return made;
}

afterEach(async () => {
  for (const made of hosts.splice(0)) await made.cleanup();
});

function taskDirsLeft(dataDir: string): string[] {
  const root = join(dataDir, WASI_TASKS_DIR);
  return existsSync(root) ? readdirSync(root).filter((name) => name.startsWith('task-')) : [];
}

/** The LCG of the probe's `spin` mode. */
function spinReference(n: number): number {
  let x = 1;
  for (let i = 0; i < n; i++) x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
  return x;
}

describe('WASI tasks: what a program sees', () => {
  it('gets its arguments after argv[0] "program", an empty environment and its stdin; stdout and stderr come back', async () => {
    const { host } = await hostWithVNode();
    const module = await cacheModule(host, probe);
    const result = await host.runTask(wasiTaskFor(module, { args: ['echo', 'two words', 'ünïcode'], stdin: text('line one\nline two\n') }));
    expect(result).toMatchObject({ status: 'ok', detail: null, output: null });
    expect(decode(result.wasi!.stdout)).toBe('argc 4 env 0\nargv[0] program\nargv[1] echo\nargv[2] two words\nargv[3] ünïcode\nline one\nline two\n');
    expect(result.wasi).toMatchObject({ exitCode: 0, stderrTruncated: false, files: [] });
    expect(result.outputHash).toBe(wasiOutputDigest(0, result.wasi!.stdout!, []));
  });

  it('reaches no file outside its own directory: absolute paths, "..", symlinks, links and renames all fail', async () => {
    const made = await hostWithVNode();
    // Secrets next to the task directories and in the data dir, where ".." would lead.
    mkdirSync(join(made.dataDir, WASI_TASKS_DIR), { recursive: true });
    writeFileSync(join(made.dataDir, WASI_TASKS_DIR, 'outside.txt'), 'SECRET-NEXT-DOOR\n');
    writeFileSync(join(made.dataDir, 'outside.txt'), 'SECRET-IN-DATA-DIR\n');
    const module = await cacheModule(made.host, probe);
    const result = await made.host.runTask(wasiTaskFor(module, { args: ['escape'], files: [{ name: 'in.txt', bytes: text('mine\n') }] }));
    expect(result.status).toBe('ok');
    const lines = decode(result.wasi!.stdout).trim().split('\n');
    const allowed = ['list /work: ok', 'mkdir /work/sub: ok', 'read /work/in.txt: ok [mine]'];
    for (const line of lines) {
      if (allowed.some((prefix) => line.startsWith(prefix))) continue;
      expect(line).toMatch(/: denied \(/);
    }
    expect(lines).toHaveLength(21);
    expect(lines).toContain('read /work/in.txt: ok [mine]');
    expect(lines).toContain('symlink /etc/passwd -> /work/link: denied (Operation not permitted)');
    expect(decode(result.wasi!.stdout)).not.toMatch(/SECRET|root:/);
    for (const path of [join(made.dataDir, 'created-outside'), join(made.dataDir, WASI_TASKS_DIR, 'created-outside'), join(made.dataDir, WASI_TASKS_DIR, 'made'), join(made.dataDir, WASI_TASKS_DIR, 'stolen.txt'), '/tmp/pnode-escape']) {
      expect(existsSync(path)).toBe(false);
    }
    expect(taskDirsLeft(made.dataDir)).toEqual([]);
  });

  it('cannot change its input files, whatever way it opens them', async () => {
    const { host } = await hostWithVNode();
    const module = await cacheModule(host, probe);
    const result = await host.runTask(wasiTaskFor(module, { args: ['write-input', 'in.txt'], files: [{ name: 'in.txt', bytes: text('original\n') }] }));
    expect(result.status).toBe('ok');
    const lines = decode(result.wasi!.stdout).trim().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      'fopen /work/in.txt r+: denied (Permission denied)',
      'fopen /work/in.txt w: denied (Permission denied)',
      'fopen /work/in.txt a: denied (Permission denied)',
      'fopen /work/in.txt w+: denied (Permission denied)',
      'open /work/in.txt O_RDONLY|O_TRUNC: denied (Permission denied)',
      'truncate /work/in.txt: denied (Permission denied)',
      'link to it: denied (Operation not permitted)',
      'openat through a dir fd without stat rights: denied (Permission denied)',
    ]);
    expect(lines.at(-1)).toBe('read /work/in.txt: ok [original]');
  });

  it('is deterministic: seeded random bytes, a virtual clock, sleeps that take no time, timestamps at the epoch', async () => {
    const { host } = await hostWithVNode();
    const module = await cacheModule(host, probe);
    const run = (taskId: string, randomSeed?: string) => host.runTask(wasiTaskFor(module, { args: ['entropy'], taskId, ...(randomSeed !== undefined ? { randomSeed } : {}) }));
    const [a, b, c, d] = [await run('replica-a', 'job-7/task-3'), await run('replica-b', 'job-7/task-3'), await run('other', 'job-7/task-4'), await run('seeded-by-id')];
    expect(a.outputHash).toBe(b.outputHash);
    expect(a.outputHash).not.toBe(c.outputHash);
    const lines = decode(a.wasi!.stdout).trim().split('\n');
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    const epoch = WASI_CLOCK_EPOCH_NS;
    const tick = WASI_CLOCK_TICK_NS;
    expect(lines).toEqual([
      `random ${hex(wasiRandomStream(wasiRandomKey('job-7/task-3'), 48))}`,
      `realtime ${epoch + tick}`,
      `monotonic ${2n * tick} ${3n * tick}`,
      `time ${epoch / 1_000_000_000n}`,
      // The 2 s sleep moved the virtual clock by 2 s (and took no real time: poll_oneoff does not wait).
      `after sleep ${5n * tick + 2_000_000_000n}`,
    ]);
    // Without a seed, the task id seeds the stream.
    expect(decode(d.wasi!.stdout).split('\n')[0]).toBe(`random ${hex(wasiRandomStream(wasiRandomKey('seeded-by-id'), 48))}`);

    const stat = await host.runTask(wasiTaskFor(module, { args: ['stat', 'in.txt'], files: [{ name: 'in.txt', bytes: text('fourteen bytes') }] }));
    expect(decode(stat.wasi!.stdout)).toBe(`size 14 mtime ${epoch / 1_000_000_000n} dev 0\n`);
  });

  it('writes output files that come back with their hashes; the directory is gone afterwards', async () => {
    const made = await hostWithVNode();
    const module = await cacheModule(made.host, probe);
    const result = await made.host.runTask(wasiTaskFor(module, { args: ['copy', 'in.txt', 'out.txt'], files: [{ name: 'in.txt', bytes: text('shout this\n') }], outputs: ['out.txt'] }));
    expect(result.status).toBe('ok');
    expect(result.wasi!.files).toEqual([outputFile('out.txt', text('SHOUT THIS\n'))]);
    expect(decode(result.wasi!.stdout)).toBe('copied 11 bytes\n');
    expect(result.outputHash).toBe(wasiOutputDigest(0, text('copied 11 bytes\n'), [outputFile('out.txt', text('SHOUT THIS\n'))]));
    expect(taskDirsLeft(made.dataDir)).toEqual([]);

    const missing = await made.host.runTask(wasiTaskFor(module, { args: ['copy', 'in.txt', 'out.txt'], files: [{ name: 'in.txt', bytes: text('x') }], outputs: ['other.txt', 'out.txt'] }));
    expect(missing).toMatchObject({ status: 'failed', detail: 'the program did not write its output file "other.txt"', outputHash: null });
  });

  it('takes input files by hash from the cache, and refuses a task whose blob is missing', async () => {
    const { host } = await hostWithVNode();
    const module = await cacheModule(host, probe);
    const blob = text('from the blob cache\n');
    const put = await host.modules.put(blob);
    expect(put.ok).toBe(true);
    const hash = put.ok ? put.value : ('' as never);
    const result = await host.runTask(wasiTaskFor(module, { args: ['copy', 'in.txt', 'out.txt'], files: [{ name: 'in.txt', hash, size: blob.length }], outputs: ['out.txt'] }));
    expect(decode(result.wasi!.files[0]!.bytes)).toBe('FROM THE BLOB CACHE\n');
    await host.modules.remove(hash);
    const refused = await host.runTask(wasiTaskFor(module, { args: ['copy', 'in.txt', 'out.txt'], files: [{ name: 'in.txt', hash, size: blob.length }], outputs: ['out.txt'] }));
    expect(refused).toMatchObject({ status: 'failed', detail: `input file "in.txt" (${hash}) is not in the cache`, cpuMs: 0 });
  });

  it('reports a non-zero exit as failed, with the exit code and stderr; a trap as a trap', async () => {
    const { host } = await hostWithVNode();
    const module = await cacheModule(host, probe);
    const failed = await host.runTask(wasiTaskFor(module, { args: ['exit', '3'] }));
    expect(failed).toMatchObject({ status: 'failed', detail: 'exited with code 3', output: null, outputHash: null });
    expect(failed.wasi).toMatchObject({ exitCode: 3, stdout: null, files: [] });
    expect(decode(failed.wasi!.stderr)).toBe('error\n');
    const trapped = await host.runTask(wasiTaskFor(module, { args: ['trap'] }));
    expect(trapped.status).toBe('trap');
    expect(trapped.detail).toMatch(/^unreachable/);
    expect(trapped.wasi?.exitCode).toBeNull();
  });
});

describe('WASI tasks: limits', () => {
  it('caps memory at the need: malloc fails inside the program, and growing past it traps as memory-exceeded', async () => {
    const { host } = await hostWithVNode();
    const module = await cacheModule(host, probe);
    const small = await host.runTask(wasiTaskFor(module, { args: ['malloc'], needs: { memoryMb: 16 } }));
    expect(small.status).toBe('ok');
    const allocated = Number(/^allocated (\d+) MiB$/.exec(decode(small.wasi!.stdout).trim())?.[1]);
    expect(allocated).toBeGreaterThan(8);
    expect(allocated).toBeLessThan(16);
    const trapped = await host.runTask(wasiTaskFor(module, { args: ['grow-trap'], needs: { memoryMb: 16 } }));
    expect(trapped.status).toBe('memory-exceeded');
    expect(trapped.detail).toMatch(/with its memory at the cap of 256 pages$/);
  });

  it('stops a program that loops forever at its budget, and its process is gone', async () => {
    const made = await hostWithVNode();
    const module = await cacheModule(made.host, probe);
    const pending = made.host.runTask(wasiTaskFor(module, { args: ['loop'], needs: { maxMs: 1_500 } }));
    await waitFor(() => made.host.running()[0]?.pid != null, 'the sandbox to start');
    const pid = made.host.running()[0]!.pid!;
    const result = await pending;
    expect(result).toMatchObject({ status: 'timeout', detail: 'ran longer than its 1500 ms budget and was stopped' });
    expect(result.wasi).toBeUndefined();
    expect(processExists(pid)).toBe(false);
    expect(taskDirsLeft(made.dataDir)).toEqual([]);
  });

  it('stops a program whose stdout passes the output cap; keeps the first bytes of stderr past its cap', async () => {
    const { host } = await hostWithVNode();
    const module = await cacheModule(host, probe);
    const atCap = await host.runTask(wasiTaskFor(module, { args: ['stdout', '995'], outputCap: 1_000 }));
    expect(atCap.status).toBe('ok');
    expect(atCap.wasi!.stdout).toHaveLength(1_000);
    const over = await host.runTask(wasiTaskFor(module, { args: ['stdout', '996'], outputCap: 1_000 }));
    expect(over).toMatchObject({ status: 'trap', detail: 'stopped: it wrote more than its output cap (1000 bytes) to stdout' });
    const stderr = await host.runTask(wasiTaskFor(module, { args: ['stderr', '10000'], stderrCap: 100 }));
    expect(stderr.status).toBe('ok');
    expect(stderr.wasi).toMatchObject({ stderrTruncated: true });
    expect(decode(stderr.wasi!.stderr)).toBe('x'.repeat(100));
    // Output files count toward the same cap as stdout.
    const files = await host.runTask(wasiTaskFor(module, { args: ['copy', 'in.txt', 'out.txt'], files: [{ name: 'in.txt', bytes: new Uint8Array(600) }], outputs: ['out.txt'], outputCap: 600 }));
    expect(files).toMatchObject({ status: 'trap', detail: 'stopped: its stdout and output files are over the output cap of 600 bytes ("out.txt" is 600 bytes)' });
  });

  it('bounds the bytes a program writes to files and the entries it creates', async () => {
    const { host } = await hostWithVNode();
    const module = await cacheModule(host, probe);
    const disk = await host.runTask(wasiTaskFor(module, { args: ['disk', String(MAX_WASI_WRITTEN_BYTES + 65_536)] }));
    expect(disk).toMatchObject({ status: 'trap', detail: `stopped: it wrote more than ${MAX_WASI_WRITTEN_BYTES} bytes to files` });
    const fine = await host.runTask(wasiTaskFor(module, { args: ['create', '10'] }));
    expect(decode(fine.wasi!.stdout)).toBe('created 10\n');
    const many = await host.runTask(wasiTaskFor(module, { args: ['create', String(MAX_WASI_CREATED_ENTRIES + 1)] }));
    expect(many).toMatchObject({ status: 'trap', detail: `stopped: it created more than ${MAX_WASI_CREATED_ENTRIES} files and directories` });
  });

  it.skipIf(!posix)('pausing stops a WASI program, resuming continues it, and the paused time does not count', async () => {
    const { host } = await hostWithVNode({ suspendMode: 'signal' });
    const module = await cacheModule(host, probe);
    const rounds = 400_000_000;
    const pending = host.runTask(wasiTaskFor(module, { args: ['spin', String(rounds)], needs: { maxMs: 60_000 } }));
    await waitFor(() => (host.running()[0]?.cpuMs ?? 0) >= 200, 'the task to use some CPU');
    const beforePause = host.running()[0]!.cpuMs;
    const pid = host.running()[0]!.pid!;
    host.pauseAll('contribution-off');
    const activeAtPause = host.running()[0]!.activeMs;
    if (processState(pid) !== null) {
      await waitFor(() => processState(pid) === 'T', 'the kernel to stop the process');
      // Stopped, the process gets no CPU at all: the kernel's count of its CPU time stands still.
      const ticks = cpuTicks(pid);
      await sleep(1_500);
      expect(cpuTicks(pid)).toBe(ticks);
    } else {
      await sleep(1_500);
    }
    expect(host.running()[0]!.activeMs).toBe(activeAtPause);
    host.resumeAll();
    await waitFor(() => host.running()[0] === undefined || host.running()[0]!.cpuMs > beforePause, 'a CPU report after resuming');
    const afterResume = host.running()[0]?.cpuMs;
    if (afterResume !== undefined) expect(afterResume - beforePause).toBeLessThan(1_000);
    const result = await pending;
    expect(result.status).toBe('ok');
    expect(decode(result.wasi!.stdout)).toBe(`spin ${rounds} ${spinReference(rounds)}\n`);
    expect(result.wallMs - result.cpuMs).toBeGreaterThan(1_000);
  });

  it('cooperative mode pauses a WASI program at its next WASI call', async () => {
    const { host } = await hostWithVNode({ suspendMode: 'cooperative' });
    const module = await cacheModule(host, probe);
    const pending = host.runTask(wasiTaskFor(module, { args: ['tick', '6000000'], needs: { maxMs: 60_000 } }));
    await waitFor(() => (host.running()[0]?.cpuMs ?? 0) >= 200, 'the task to use some CPU');
    host.pauseAll('snoozed');
    await waitForCpuToSettle(() => host.running()[0]!.cpuMs, 'the program to reach its next WASI call');
    const paused = host.running()[0]!.cpuMs;
    await sleep(1_200);
    expect(host.running()[0]!.cpuMs - paused).toBeLessThan(300);
    host.resumeAll();
    const result = await pending;
    expect(decode(result.wasi!.stdout)).toBe(`tick 6000000 ${6_000_000n * WASI_CLOCK_TICK_NS}\n`);
  });

  it('removes task directories a stopped host left behind when it starts again', async () => {
    const first = await hostWithVNode();
    const leftover = join(first.dataDir, WASI_TASKS_DIR, 'task-leftover');
    mkdirSync(leftover, { recursive: true });
    writeFileSync(join(leftover, 'half-written'), 'x');
    await first.host.stop();
    const second = await startTestHost({}, first.dataDir);
    hosts.push(second);
    expect(taskDirsLeft(first.dataDir)).toEqual([]);
  });
});

describe('WASI tasks: refused modules never run', () => {
  const wasiStart = '(memory (export "memory") 1) (func (export "_start"))';
  it.each([
    ['imports a socket', `(module (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32))) ${wasiStart})`, 'failed', /sockets are not provided/],
    ['imports from another module', `(module (import "env" "now" (func (result i64))) ${wasiStart})`, 'failed', /imports env\.now: only "wasi_snapshot_preview1" functions are provided/],
    ['imports a WASI function with a wrong signature', `(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32))) ${wasiStart})`, 'failed', /imports wasi_snapshot_preview1\.fd_write as \(i32\) -> \(i32\)/],
    ['declares more memory than its need', '(module (memory (export "memory") 2000) (func (export "_start")))', 'memory-exceeded', /declares 2000 pages of initial memory, more than the need of 64 MB \(1024 pages\)/],
    ['imports its memory', '(module (import "wasi_snapshot_preview1" "memory" (memory 1)) (func (export "_start")))', 'failed', /imports wasi_snapshot_preview1\.memory as a memory/],
    ['has no _start', '(module (memory (export "memory") 1) (func (export "main")))', 'failed', /has no "_start" function/],
  ])('a module that %s', async (_name, source, status, detail) => {
    const { host } = await hostWithVNode();
    const module = await cacheModule(host, { bytes: await compileWat(source) });
    const result = await host.runTask(wasiTaskFor(module));
    expect(result.status).toBe(status);
    expect(result.detail).toMatch(detail);
    expect(result.cpuMs).toBe(0);
    expect(host.running()).toEqual([]);
  });

  it('a module the engine does not validate, though its imports and exports read well', async () => {
    const { host } = await hostWithVNode();
    const bytes = await compileWat('(module (memory (export "memory") 1) (func (export "_start") nop))');
    // The one function body is [0 locals, nop, end]: make the nop an opcode that does not exist.
    const body = bytes.lastIndexOf(0x0b) - 1;
    expect(bytes[body]).toBe(0x01);
    bytes[body] = 0xff;
    const result = await host.runTask(wasiTaskFor(await cacheModule(host, { bytes })));
    expect(result).toMatchObject({ status: 'failed', detail: 'the module is not valid WebAssembly (WebAssembly.validate refused it)' });
    expect(await host.runTask(wasiTaskFor(await cacheModule(host, { bytes: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 200]) })))).toMatchObject({ status: 'failed', detail: expect.stringMatching(/is not a valid module/) as unknown });
  });

});
