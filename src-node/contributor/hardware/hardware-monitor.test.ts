import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type HardwareSummary, unknownHardwareSummary } from '../../../src-shared/hardware/hardware-summary.js';
import { HARDWARE_REFRESH_INTERVAL_MS, HardwareMonitor } from './hardware-monitor.js';
import { checkHardwareSummary } from '../../../src-shared/hardware/hardware-summary-gate.js';

/** A detector that counts its calls and stamps each summary with the call number. */
function countingDetector() {
  let calls = 0;
  const detect = vi.fn(async (): Promise<HardwareSummary> => {
    calls++;
    return { ...unknownHardwareSummary('2026-11-21T12:00:00Z'), 'cpu/logical-cores': calls };
  });
  return { detect, calls: () => calls };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('HardwareMonitor', () => {
  it('detects once at start and then answers from its cache', async () => {
    const { detect } = countingDetector();
    const monitor = await HardwareMonitor.start({ detect });
    try {
      expect(monitor.current()['cpu/logical-cores']).toBe(1);
      expect(monitor.current()).toBe(monitor.current());
      expect(detect).toHaveBeenCalledTimes(1);
    } finally {
      monitor.stop();
    }
  });

  it('refresh() detects again, and calls made meanwhile share one detection', async () => {
    const { detect } = countingDetector();
    const updates: number[] = [];
    const monitor = await HardwareMonitor.start({ detect, onUpdate: (s) => updates.push(s['cpu/logical-cores']!) });
    try {
      const [a, b] = await Promise.all([monitor.refresh(), monitor.refresh()]);
      expect(a).toBe(b);
      expect(detect).toHaveBeenCalledTimes(2);
      expect(monitor.current()['cpu/logical-cores']).toBe(2);
      expect(updates).toEqual([1, 2]);
    } finally {
      monitor.stop();
    }
  });

  it('refreshes by itself every interval, and no more after stop()', async () => {
    vi.useFakeTimers();
    const { detect } = countingDetector();
    const monitor = await HardwareMonitor.start({ detect });
    await vi.advanceTimersByTimeAsync(HARDWARE_REFRESH_INTERVAL_MS);
    expect(detect).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(HARDWARE_REFRESH_INTERVAL_MS);
    expect(detect).toHaveBeenCalledTimes(3);
    expect(monitor.current()['cpu/logical-cores']).toBe(3);
    monitor.stop();
    await vi.advanceTimersByTimeAsync(3 * HARDWARE_REFRESH_INTERVAL_MS);
    expect(detect).toHaveBeenCalledTimes(3);
    expect(await monitor.refresh()).toBe(monitor.current());
    expect(detect).toHaveBeenCalledTimes(3);
  });

  it('keeps the last summary when a custom detector fails, and goes on refreshing', async () => {
    vi.useFakeTimers();
    let fail = false;
    const detect = vi.fn(async () => {
      if (fail) throw new Error('boom');
      return unknownHardwareSummary('2026-11-21T12:00:00Z');
    });
    const monitor = await HardwareMonitor.start({ detect });
    const first = monitor.current();
    fail = true;
    await expect(monitor.refresh()).rejects.toThrow('boom');
    expect(monitor.current()).toBe(first);
    await vi.advanceTimersByTimeAsync(HARDWARE_REFRESH_INTERVAL_MS);
    expect(detect).toHaveBeenCalledTimes(3);
    monitor.stop();
  });

  it('with the real detector, starts with a valid summary of this machine and samples load', async () => {
    const monitor = await HardwareMonitor.start();
    try {
      const checked = checkHardwareSummary(monitor.current());
      expect(checked.ok ? 'valid' : checked.error.detail).toBe('valid');
      expect(monitor.sampleLoad()['memory/available-mb']).toBeGreaterThan(0);
    } finally {
      monitor.stop();
    }
  });

  it('never keeps a process alive: a process that started a monitor and did nothing else exits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pnode-monitor-'));
    try {
      const entry = join(dir, 'entry.ts');
      const monitorPath = resolve(import.meta.dirname, 'hardware-monitor.ts').replace(/\\/g, '/');
      await writeFile(
        entry,
        `import { HardwareMonitor } from ${JSON.stringify(monitorPath)};\n` +
          `HardwareMonitor.start({ intervalMs: 60_000, detect: async () => ({ 'schema/v': 1 }) as never }).then((m) => console.log('started', typeof m.current()));\n`,
      );
      const outfile = join(dir, 'entry.cjs');
      await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', logLevel: 'silent' });
      // The bound is a safety net for a broken monitor, not a measurement.
      const child = spawnSync(process.execPath, [outfile], { encoding: 'utf8', timeout: 20_000 });
      expect(child.error).toBeUndefined();
      expect(child.stdout.trim()).toBe('started object');
      expect(child.status).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
