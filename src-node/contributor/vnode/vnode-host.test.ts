import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { contentHash } from '../../../src-shared/vnode/content-hash.js';
import { MAX_OUTPUT_BYTES } from '../../../src-shared/vnode/limits.js';
import { VNODE_STATS_FILE } from './vnode-stats.js';
import { type SandboxLauncher, nodeLauncher } from './sandbox-process.js';
import * as wat from '../../../tests/support/vnode/fixtures.js';
import { type TestHost, TEST_LIMITS, cacheWat, cpuTicks, processExists, processState, sleep, startTestHost, taskFor, u32, waitFor, waitForCpuToSettle } from '../../../tests/support/vnode/host-fixtures.js';

const hosts: TestHost[] = [];

async function newHost(...args: Parameters<typeof startTestHost>): Promise<TestHost> {
  const made = await startTestHost(...args);
  hosts.push(made);
  return made;
}

async function hostWithVNode(...args: Parameters<typeof startTestHost>): Promise<TestHost> {
  const made = await newHost(...args);
  const allocated = made.host.allocate({ vnodeId: 'vnode-1', orchestrator: 'orchestrator-a', cores: 1, memoryMb: 64 });
  expect(allocated.ok).toBe(true);
  return made;
}

afterEach(async () => {
  for (const made of hosts.splice(0)) await made.cleanup();
});

const posix = process.platform !== 'win32';

describe('VNodeHost: results', () => {
  it('runs a task and returns its output, the output hash, and the time used', async () => {
    const { host } = await hostWithVNode();
    const echo = await cacheWat(host, wat.ECHO_WAT);
    const input = new TextEncoder().encode('hello, volunteer');
    const result = await host.runTask(taskFor(echo, { input, taskId: 'echo-1' }));
    expect(result).toMatchObject({ taskId: 'echo-1', vnodeId: 'vnode-1', status: 'ok', detail: null, output: input, outputHash: contentHash(input) });
    expect(result.cpuMs).toBeGreaterThan(0);
    expect(result.wallMs).toBeGreaterThanOrEqual(result.cpuMs > 0 ? 1 : 0);
  });

  it('reuses the VNode’s sandbox process between tasks, with a fresh instance each time', async () => {
    const { host } = await hostWithVNode();
    const busy = await cacheWat(host, wat.BUSY_WAT);
    const pids: number[] = [];
    for (const rounds of [5, 6]) {
      const pending = host.runTask(taskFor(busy, { input: u32(rounds) }));
      await waitFor(() => host.running()[0]?.pid != null || host.running().length === 0, 'a sandbox pid');
      const pid = host.running()[0]?.pid;
      const result = await pending;
      expect(result.output).toEqual(wat.busyReference(rounds));
      if (pid != null) pids.push(pid);
    }
    if (pids.length === 2) expect(pids[1]).toBe(pids[0]);
  });

  it('reports a non-zero entry status as failed', async () => {
    const { host } = await hostWithVNode();
    const result = await host.runTask(taskFor(await cacheWat(host, wat.REFUSES_WAT)));
    expect(result).toMatchObject({ status: 'failed', detail: 'entry "run" returned 3', output: null, outputHash: null });
  });

  it('refuses tasks it cannot run, with a reason', async () => {
    const { host } = await hostWithVNode();
    const echo = await cacheWat(host, wat.ECHO_WAT);
    expect(await host.runTask(taskFor(echo, { vnodeId: 'nobody' }))).toMatchObject({ status: 'failed', detail: 'VNode nobody is not allocated here' });
    expect(await host.runTask(taskFor(echo, { needs: { memoryMb: 65 } }))).toMatchObject({ status: 'failed', detail: 'the task needs 65 MB; its VNode has 64 MB' });
    expect(await host.runTask(taskFor(echo, { entry: 'main' }))).toMatchObject({ status: 'failed', detail: expect.stringMatching(/has no export named "main"/) as unknown });
    expect(await host.runTask({ ...taskFor(echo), moduleHash: contentHash(new Uint8Array([1])) })).toMatchObject({ status: 'failed', detail: expect.stringMatching(/is not in the cache/) as unknown });
    expect(await host.runTask({ ...taskFor(echo), taskId: '' })).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^malformed task/) as unknown });
    for (const source of [wat.CLOCK_IMPORT_WAT, wat.WRONG_SIGNATURE_WAT, wat.OWN_MEMORY_WAT]) {
      expect(await host.runTask(taskFor(await cacheWat(host, source)))).toMatchObject({ status: 'failed' });
    }
  });

  it('refuses a cached module whose file no longer matches its hash', async () => {
    const { host } = await hostWithVNode();
    const echo = await cacheWat(host, wat.ECHO_WAT);
    const tampered = await cacheWat(host, wat.REFUSES_WAT);
    await writeFile(host.modules.pathOf(echo.hash), readFileSync(host.modules.pathOf(tampered.hash)));
    const result = await host.runTask(taskFor(echo));
    expect(result.status).toBe('failed');
    expect(result.detail).toMatch(/hashes to sha256:[0-9a-f]{64}; the file was removed/);
    expect(await host.modules.has(echo.hash)).toBe(false);
  });
});

describe('VNodeHost: isolation', () => {
  it('stops a memory bomb at the declared need: memory-exceeded', async () => {
    const { host } = await hostWithVNode();
    const result = await host.runTask(taskFor(await cacheWat(host, wat.MEMORY_BOMB_WAT)));
    expect(result.status).toBe('memory-exceeded');
    expect(result.detail).toBe('trapped (unreachable) with its memory at the cap of 1024 pages');
  });

  it('refuses a module that declares more memory than its need, without running it', async () => {
    const { host } = await hostWithVNode();
    const result = await host.runTask(taskFor(await cacheWat(host, wat.BIG_MEMORY_WAT)));
    expect(result.status).toBe('memory-exceeded');
    expect(result.detail).toMatch(/declares 2000 pages of initial memory, more than the need of 64 MB \(1024 pages\)/);
    expect(result.cpuMs).toBe(0);
  });

  it('stops a module that makes the engine allocate past the heap limit: memory-exceeded, and the host goes on', async () => {
    const { host } = await hostWithVNode();
    const result = await host.runTask(taskFor(await cacheWat(host, wat.TABLE_BOMB_WAT)));
    expect(result.status).toBe('memory-exceeded');
    expect(result.detail).toMatch(/heap limit/);
    const after = await host.runTask(taskFor(await cacheWat(host, wat.ECHO_WAT), { input: u32(7) }));
    expect(after).toMatchObject({ status: 'ok', output: u32(7) });
  });

  it('stops an endless loop at its budget: timeout, and its process is gone', async () => {
    const { host } = await hostWithVNode();
    const pending = host.runTask(taskFor(await cacheWat(host, wat.ENDLESS_LOOP_WAT), { needs: { maxMs: 1_500 } }));
    await waitFor(() => host.running()[0]?.pid != null, 'the sandbox to start');
    const pid = host.running()[0]!.pid!;
    const result = await pending;
    expect(result.status).toBe('timeout');
    expect(result.detail).toBe('ran longer than its 1500 ms budget and was stopped');
    expect(result.cpuMs).toBeGreaterThan(0);
    expect(processExists(pid)).toBe(false);
    expect(host.running()).toEqual([]);
  });

  it('counts the budget from when the sandbox has the task, not while its process starts', async () => {
    // A sandbox whose start takes as long as the host's CPU allows: its 'ready' is held back here.
    let startHeld = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowStart: SandboxLauncher = (spec) => {
      const child = nodeLauncher()(spec);
      return {
        ...child,
        get pid() {
          return child.pid;
        },
        onMessage: (listener) =>
          child.onMessage((message) => {
            if ((message as { type?: unknown }).type !== 'ready') return listener(message);
            startHeld = true;
            void released.then(() => listener(message));
          }),
      };
    };
    const { host } = await hostWithVNode({ launcher: slowStart });
    const pending = host.runTask(taskFor(await cacheWat(host, wat.ENDLESS_LOOP_WAT), { needs: { maxMs: 300 } }));
    await waitFor(() => startHeld, 'the sandbox to be started');
    await sleep(600);
    expect(host.running()).toMatchObject([{ pid: null, activeMs: 0 }]);
    release();
    const result = await pending;
    expect(result).toMatchObject({ status: 'timeout', detail: 'ran longer than its 300 ms budget and was stopped' });
    // Started at least 600 ms before the sandbox was ready, then ran its whole budget.
    expect(result.wallMs).toBeGreaterThanOrEqual(890);
  });

  it.each([
    ['reading input into memory past its end', wat.OOB_READ_WAT, /^host API misuse: input_read\(65530, 0, 10\): past the end of the 65536-byte memory$/],
    ['reading past the end of the input', wat.OOB_INPUT_WAT, /^host API misuse: input_read\(0, 0, 11\): past the end of the 10-byte input$/],
    ['writing output from outside memory', wat.OOB_WRITE_WAT, /^host API misuse: output_write\(4294967280, 32\): past the end of the 65536-byte memory$/],
    ['writing more output than allowed', wat.TOO_MUCH_OUTPUT_WAT, new RegExp(`^host API misuse: output_write\\(0, 1\\): output over the ${MAX_OUTPUT_BYTES}-byte limit$`)],
    ['loading past the end of memory', wat.OOB_LOAD_WAT, /^memory access out of bounds \(memory 1 of 1024 pages\)$/],
    ['recursing forever', wat.STACK_OVERFLOW_WAT, /^stack overflow/],
  ])('traps a module %s, with a clear detail', async (_name, source, detail) => {
    const { host } = await hostWithVNode();
    const result = await host.runTask(taskFor(await cacheWat(host, source), { input: new Uint8Array(10) }));
    expect(result.status).toBe('trap');
    expect(result.detail).toMatch(detail);
  });
});

describe('VNodeHost: pausing and throttling', () => {
  // How soon the kernel stops the process after a pause is a figure of `npm run bench -- vnode`.
  it.skipIf(!posix)('pausing stops a module that never yields (the kernel stops its process); resuming continues it', async () => {
    const { host } = await hostWithVNode({ suspendMode: 'signal' });
    const rounds = 1_000;
    const pending = host.runTask(taskFor(await cacheWat(host, wat.BUSY_WAT), { input: u32(rounds) }));
    await waitFor(() => (host.running()[0]?.cpuMs ?? 0) >= 300, 'the task to use some CPU');
    const pid = host.running()[0]!.pid!;
    const beforePause = host.running()[0]!.cpuMs;

    host.pauseAll('contribution-off');
    expect(host.running()[0]!.suspended).toBe(true);
    expect(host.views()[0]).toMatchObject({ state: 'paused', pausedReason: 'contribution-off' });
    if (processState(pid) !== null) {
      await waitFor(() => processState(pid) === 'T', 'the kernel to stop the process');
      // Stopped, the process gets no CPU at all: the kernel's count of its CPU time stands still.
      const ticks = cpuTicks(pid);
      await sleep(2_000);
      expect(cpuTicks(pid)).toBe(ticks);
    } else {
      await sleep(2_000);
    }

    host.resumeAll();
    // The sandbox reports every 200 ms: the first report after resuming covers the pause.
    await waitFor(() => host.running()[0]!.cpuMs > beforePause, 'a CPU report after resuming');
    const afterResume = host.running()[0]!.cpuMs;
    // Unpaused, two seconds of a busy loop would add ~2,000 ms; paused, only what ran before the stop and after the resume.
    expect(afterResume - beforePause).toBeLessThan(1_000);

    const result = await pending;
    expect(result).toMatchObject({ status: 'ok', output: wat.busyReference(rounds) });
    expect(result.wallMs - result.cpuMs).toBeGreaterThan(1_000);
  });

  it('cooperative mode pauses a module at its next yield', async () => {
    const { host } = await hostWithVNode({ suspendMode: 'cooperative' });
    const rounds = 600;
    const pending = host.runTask(taskFor(await cacheWat(host, wat.BUSY_YIELDING_WAT), { input: u32(rounds) }));
    await waitFor(() => (host.running()[0]?.cpuMs ?? 0) >= 300, 'the task to use some CPU');
    host.pauseAll('snoozed');
    await waitForCpuToSettle(() => host.running()[0]!.cpuMs, 'the module to reach its next yield');
    const paused = host.running()[0]!.cpuMs;
    await sleep(1_600);
    // Reports keep coming while paused (the controller thread is free): they must not move much.
    expect(host.running()[0]!.cpuMs - paused).toBeLessThan(300);
    host.resumeAll();
    expect(await pending).toMatchObject({ status: 'ok', output: wat.busyReference(rounds) });
  });

  it('does not count suspended time against the budget', async () => {
    const { host } = await hostWithVNode();
    // Paused as the task starts, so its sandbox starts stopped: waiting to see it run first could
    // miss the whole 800 ms budget on a starved machine (a poll every few seconds).
    host.once('task-started', () => host.pauseAll('contribution-off'));
    const pending = host.runTask(taskFor(await cacheWat(host, wat.ENDLESS_YIELDING_LOOP_WAT), { needs: { maxMs: 800 } }));
    await waitFor(() => host.running()[0]?.pid != null, 'the sandbox to start');
    const activeAtPause = host.running()[0]!.activeMs;
    await sleep(1_000);
    expect(host.running()[0]!.activeMs).toBe(activeAtPause);
    host.resumeAll();
    const result = await pending;
    expect(result.status).toBe('timeout');
    expect(result.wallMs).toBeGreaterThan(1_700);
  });

  it('throttles with a duty cycle: running tasks are suspended for the rest of each cycle', async () => {
    const { host } = await hostWithVNode({ limits: { ...TEST_LIMITS, cpuPercent: 40 }, dutyCyclePeriodMs: 200 });
    const pending = host.runTask(taskFor(await cacheWat(host, wat.ENDLESS_YIELDING_LOOP_WAT), { needs: { maxMs: 1_200 } }));
    const seen = new Set<boolean>();
    await waitFor(
      () => {
        const running = host.running()[0];
        if (running) seen.add(running.suspended);
        return seen.size === 2;
      },
      'both phases of the cycle',
      undefined,
      5,
    );
    const result = await pending;
    expect(result.status).toBe('timeout');
    // Running 40 % of the time, 1,200 ms of running time take about 3 s.
    expect(result.wallMs).toBeGreaterThan(2_000);
  });

  it('pauses for battery and user activity only when the limits say so, and says why', async () => {
    const { host } = await hostWithVNode({ limits: { ...TEST_LIMITS, pauseOnBattery: false, onlyWhenIdle: false } });
    host.setConditions({ onBattery: true, userActive: true });
    expect(host.suspendReasons()).toEqual([]);
    host.setLimits({ ...TEST_LIMITS, pauseOnBattery: true, onlyWhenIdle: true });
    expect(host.suspendReasons()).toEqual(['on-battery', 'user-active']);

    const echo = await cacheWat(host, wat.ECHO_WAT);
    let settled = false;
    const pending = host.runTask(taskFor(echo, { input: u32(1) })).then((result) => {
      settled = true;
      return result;
    });
    await sleep(300);
    expect(settled).toBe(false);
    expect(host.queued()).toBe(1);
    expect(host.views()[0]).toMatchObject({ state: 'paused', pausedReason: 'on-battery, user-active' });

    host.setConditions({ onBattery: false, userActive: false });
    expect(await pending).toMatchObject({ status: 'ok' });
  });

  it('says "limits" when queued work cannot fit the memory the limits leave', async () => {
    const { host } = await hostWithVNode();
    const echo = await cacheWat(host, wat.ECHO_WAT);
    host.setLimits({ ...TEST_LIMITS, memoryPercent: 1 }); // 81 MB of 8 GiB: less than 64 MB + overhead
    const pending = host.runTask(taskFor(echo));
    expect(host.suspendReasons()).toEqual(['limits']);
    host.setLimits(TEST_LIMITS);
    expect(await pending).toMatchObject({ status: 'ok' });
    expect(host.suspendReasons()).toEqual([]);
  });
});

describe('VNodeHost: cores, allocations, accounting', () => {
  it('runs at most maxCores tasks at once and queues the rest', async () => {
    const { host } = await newHost({ limits: { ...TEST_LIMITS, maxCores: 2 } });
    for (const vnodeId of ['a', 'b']) expect(host.allocate({ vnodeId, orchestrator: 'o', cores: 1, memoryMb: 64 }).ok).toBe(true);
    expect(host.allocate({ vnodeId: 'c', orchestrator: 'o', cores: 1, memoryMb: 64 })).toMatchObject({ ok: false });

    const busy = await cacheWat(host, wat.BUSY_WAT);
    const both = [host.runTask(taskFor(busy, { vnodeId: 'a', input: u32(150) })), host.runTask(taskFor(busy, { vnodeId: 'b', input: u32(150) }))];
    await waitFor(() => host.running().length === 2, 'two tasks side by side');
    await Promise.all(both);

    host.setLimits({ ...TEST_LIMITS, maxCores: 1 });
    let most = 0;
    const watcher = setInterval(() => (most = Math.max(most, host.running().length)), 2);
    const one = [host.runTask(taskFor(busy, { vnodeId: 'a', input: u32(150) })), host.runTask(taskFor(busy, { vnodeId: 'b', input: u32(150) }))];
    expect(host.running().length + host.queued()).toBe(2);
    expect(host.queued()).toBe(1);
    const results = await Promise.all(one);
    clearInterval(watcher);
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(most).toBe(1);
  });

  it('a VNode runs its tasks one after another, in order', async () => {
    const { host } = await hostWithVNode();
    const echo = await cacheWat(host, wat.ECHO_WAT);
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => host.runTask(taskFor(echo, { input: u32(n) })).then((r) => order.push(new DataView(r.output!.buffer, r.output!.byteOffset).getUint32(0, true)))));
    expect(order).toEqual([1, 2, 3]);
  });

  it('releasing a VNode cancels its running and queued tasks and ends its process', async () => {
    const { host } = await hostWithVNode();
    const loop = await cacheWat(host, wat.ENDLESS_LOOP_WAT);
    const running = host.runTask(taskFor(loop));
    const queued = host.runTask(taskFor(loop));
    await waitFor(() => host.running()[0]?.pid != null, 'the sandbox to start');
    const pid = host.running()[0]!.pid!;
    expect(await host.release('vnode-1')).toBe(true);
    expect(await running).toMatchObject({ status: 'cancelled', detail: 'VNode vnode-1 was released' });
    expect(await queued).toMatchObject({ status: 'cancelled', detail: 'VNode vnode-1 was released' });
    expect(processExists(pid)).toBe(false);
    expect(host.views()).toMatchObject([{ vnodeId: 'vnode-1', state: 'released' }]);
  });

  it('counts tasks done and CPU time per VNode, keeps them across restarts', async () => {
    const first = await hostWithVNode();
    const busy = await cacheWat(first.host, wat.BUSY_WAT);
    const results = [await first.host.runTask(taskFor(busy, { input: u32(100) })), await first.host.runTask(taskFor(await cacheWat(first.host, wat.REFUSES_WAT)))];
    const cpu = results[0]!.cpuMs + results[1]!.cpuMs;
    expect(first.host.views()[0]).toMatchObject({ vnodeId: 'vnode-1', orchestrator: 'orchestrator-a', state: 'allocated', tasksDone: 1, cpuMsToday: cpu, cpuMsTotal: cpu });
    await first.host.stop();
    const stored = JSON.parse(readFileSync(`${first.dataDir}/${VNODE_STATS_FILE}`, 'utf8')) as { total: { tasksDone: number; tasksFailed: number; cpuMsTotal: number } };
    expect(stored.total).toMatchObject({ tasksDone: 1, tasksFailed: 1, cpuMsTotal: cpu });

    const second = await newHost({}, first.dataDir);
    expect(second.host.views()).toMatchObject([{ vnodeId: 'vnode-1', state: 'released', tasksDone: 1 }]);
    expect(second.host.allocate({ vnodeId: 'vnode-1', orchestrator: 'orchestrator-a', cores: 1, memoryMb: 64 }).ok).toBe(true);
    expect(second.host.views()).toMatchObject([{ vnodeId: 'vnode-1', state: 'allocated', tasksDone: 1, cpuMsTotal: cpu }]);
    expect(second.host.stats.total()).toMatchObject({ tasksDone: 1, tasksFailed: 1 });
  });

  it('stopping the host cancels its tasks and ends its processes', async () => {
    const { host } = await hostWithVNode();
    const pending = host.runTask(taskFor(await cacheWat(host, wat.ENDLESS_LOOP_WAT)));
    await waitFor(() => host.running()[0]?.pid != null, 'the sandbox to start');
    const pid = host.running()[0]!.pid!;
    await host.stop();
    expect(await pending).toMatchObject({ status: 'cancelled', detail: 'the host stopped' });
    expect(processExists(pid)).toBe(false);
    expect(await host.runTask(taskFor(await cacheWat(host, wat.ECHO_WAT)))).toMatchObject({ status: 'cancelled' });
  });
});
