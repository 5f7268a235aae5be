import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkHardwareSummary } from '../../../src-shared/hardware/hardware-summary-gate.js';
import type { HardwareProbe, HardwareWarningReason } from '../../../src-shared/hardware/hardware-summary.js';
import { ManualClock } from '../../kernel/util/clock.js';
import { type HardwareProbes, detectHardware } from './detect.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pnode-hw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

const GiB = 1024 ** 3;

/** Probes that answer like a well-described machine; tests spoil one at a time. */
const healthy = (): HardwareProbes => ({
  cpu: async () => ({ manufacturer: 'AMD', brand: 'Ryzen 7 5800X', cores: 16, physicalCores: 8, speed: 3.8, speedMax: 4.85 }),
  mem: async () => ({ total: 32 * GiB, available: 20 * GiB }),
  osInfo: async () => ({ platform: 'linux', distro: 'Ubuntu', release: '24.04', kernel: '6.8.0-45-generic', arch: 'x64' }),
  graphics: async () => ({ controllers: [{ vendor: 'NVIDIA Corporation', model: 'GeForce RTX 3080', vram: 10240 }] }),
  fsSize: async () => [
    { mount: '/', size: 500 * GiB, available: 100 * GiB },
    { mount: dir, size: 64 * GiB, available: 7 * GiB },
  ],
});

/** A probe that never answers. */
const hanging = (): Promise<never> => new Promise<never>(() => undefined);

describe('detectHardware on this machine', () => {
  it('completes, and its summary passes the schema gate', async () => {
    const summary = await detectHardware({ dataDir: dir });
    const checked = checkHardwareSummary(summary);
    expect(checked.ok ? 'valid' : checked.error.detail).toBe('valid');
    // Things every machine that runs this test can tell.
    expect(summary['os/platform']).toBe(process.platform);
    expect(summary['os/arch']).toBe(process.arch);
    expect(summary['cpu/logical-cores']).toBeGreaterThanOrEqual(1);
    expect(summary['memory/total-mb']).toBeGreaterThan(0);
    expect(Array.isArray(summary.gpus) || summary.gpus === null).toBe(true);
    // The temp dir's filesystem is either found, or said not to be (tmpfs is not listed).
    if (summary['disk/free-mb'] === null) expect(summary.warnings).toContainEqual({ probe: 'disk', reason: 'not-found' });
    else expect(summary['disk/total-mb']).toBeGreaterThanOrEqual(summary['disk/free-mb']);
  });

  it('without a data dir, the disk fields are unknown and nothing is reported missing', async () => {
    const summary = await detectHardware({ probes: { ...healthy(), fsSize: hanging } });
    expect(summary['disk/free-mb']).toBeNull();
    expect(summary['disk/total-mb']).toBeNull();
    expect(summary.warnings).toEqual([]);
  });
});

describe('detectHardware mapping', () => {
  it('maps every probe to integers with units, stamped by the clock', async () => {
    const clock = new ManualClock(Date.parse('2026-11-21T12:00:00.750Z'));
    const summary = await detectHardware({ dataDir: dir, clock, probes: healthy() });
    expect(summary).toEqual({
      'schema/v': 1,
      'detected-at': '2026-11-21T12:00:00Z',
      'cpu/brand': 'Ryzen 7 5800X',
      'cpu/manufacturer': 'AMD',
      'cpu/physical-cores': 8,
      'cpu/logical-cores': 16,
      'cpu/speed-mhz': 3800,
      'cpu/speed-max-mhz': 4850,
      'memory/total-mb': 32768,
      'memory/available-mb': 20480,
      'os/platform': 'linux',
      'os/distro': 'Ubuntu',
      'os/release': '24.04',
      'os/kernel': '6.8.0-45-generic',
      'os/arch': 'x64',
      gpus: [{ 'gpu/vendor': 'NVIDIA Corporation', 'gpu/model': 'GeForce RTX 3080', 'gpu/vram-mb': 10240 }],
      'disk/free-mb': 7168,
      'disk/total-mb': 65536,
      warnings: [],
    });
    expect(checkHardwareSummary(summary).ok).toBe(true);
  });

  it('a container\'s zeros and blanks become unknown, with no warning: the probe did answer', async () => {
    const summary = await detectHardware({
      probes: {
        ...healthy(),
        cpu: async () => ({ manufacturer: '', brand: '', cores: 0, physicalCores: Number.NaN, speed: 0, speedMax: 0 }),
        graphics: async () => ({ controllers: [] }),
      },
    });
    expect(summary['cpu/brand']).toBeNull();
    expect(summary['cpu/manufacturer']).toBeNull();
    expect(summary['cpu/physical-cores']).toBeNull();
    expect(summary['cpu/logical-cores']).toBeNull();
    expect(summary['cpu/speed-mhz']).toBeNull();
    expect(summary['cpu/speed-max-mhz']).toBeNull();
    expect(summary.gpus).toEqual([]);
    expect(summary.warnings).toEqual([]);
    expect(checkHardwareSummary(summary).ok).toBe(true);
  });

  it('a hanging probe times out: its fields are unknown, the rest still arrive', async () => {
    const summary = await detectHardware({ timeoutMs: 50, probes: { ...healthy(), graphics: hanging } });
    expect(summary.gpus).toBeNull();
    expect(summary.warnings).toEqual([{ probe: 'gpu', reason: 'timeout' }]);
    expect(summary['cpu/logical-cores']).toBe(16);
    expect(checkHardwareSummary(summary).ok).toBe(true);
  });

  it('failing probes, rejected or thrown, become warnings and never an exception', async () => {
    const failures: Array<[HardwareProbe, HardwareWarningReason, unknown]> = [];
    // The disk probe reads the real data dir first: the probe timeout is a fake timer, moved only
    // once that probe has failed, so a slow disk on a busy machine cannot turn "failed" into "timeout".
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let diskAsked!: () => void;
    const asked = new Promise<void>((resolve) => (diskAsked = resolve));
    const detecting = detectHardware({
      dataDir: dir,
      probes: {
        cpu: () => {
          throw new Error('lscpu exploded');
        },
        mem: () => Promise.reject(new Error('no /proc/meminfo')),
        osInfo: hanging,
        graphics: () => Promise.reject(new Error('lspci missing')),
        fsSize: () => {
          diskAsked();
          return Promise.reject(new Error('df missing'));
        },
      },
      timeoutMs: 50,
      onProbeFailure: (probe, reason, error) => failures.push([probe, reason, error]),
    });
    await asked;
    await new Promise((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(50);
    const summary = await detecting;
    expect(summary.warnings).toEqual([
      { probe: 'cpu', reason: 'failed' },
      { probe: 'memory', reason: 'failed' },
      { probe: 'os', reason: 'timeout' },
      { probe: 'gpu', reason: 'failed' },
      { probe: 'disk', reason: 'failed' },
    ]);
    expect(failures.map(([probe, reason]) => `${probe} ${reason}`)).toEqual(['cpu failed', 'memory failed', 'os timeout', 'gpu failed', 'disk failed']);
    expect((failures[0]![2] as Error).message).toBe('lscpu exploded');
    expect(summary['cpu/brand']).toBeNull();
    expect(summary['memory/total-mb']).toBeNull();
    expect(summary['os/platform']).toBeNull();
    expect(summary.gpus).toBeNull();
    expect(summary['disk/free-mb']).toBeNull();
    expect(checkHardwareSummary(summary).ok).toBe(true);
  });

  it('a probe answering nonsense shapes gives unknowns', async () => {
    const summary = await detectHardware({
      probes: {
        cpu: async () => null as never,
        mem: async () => ({ total: 'lots', available: -1 }),
        osInfo: async () => ({}),
        graphics: async () => ({ controllers: 'none' }),
        fsSize: async () => 'no' as never,
      },
      dataDir: dir,
    });
    expect(summary['cpu/logical-cores']).toBeNull();
    expect(summary['memory/total-mb']).toBeNull();
    expect(summary['memory/available-mb']).toBeNull();
    expect(summary.gpus).toBeNull();
    expect(summary.warnings).toEqual([{ probe: 'disk', reason: 'not-found' }]);
    expect(checkHardwareSummary(summary).ok).toBe(true);
  });
});

describe('detectHardware disk', () => {
  it('uses the deepest listed filesystem that holds the data dir', async () => {
    const summary = await detectHardware({ dataDir: join(dir, '.'), probes: healthy() });
    expect(summary['disk/total-mb']).toBe(65536);
    expect(summary['disk/free-mb']).toBe(7168);
  });

  it('says not-found rather than report a filesystem that does not hold the data dir', async () => {
    const summary = await detectHardware({
      dataDir: dir,
      probes: { ...healthy(), fsSize: async () => [{ mount: '/pnode-no-such-mount', size: GiB, available: GiB }] },
    });
    expect(summary['disk/free-mb']).toBeNull();
    expect(summary.warnings).toEqual([{ probe: 'disk', reason: 'not-found' }]);
  });

  it.skipIf(process.platform !== 'linux')('a listed mount above the data dir but on another device is not its filesystem', async () => {
    // /proc is a filesystem of its own that df does not list, like tmpfs: "/" lies above it, yet
    // the free space of "/" says nothing about it.
    const summary = await detectHardware({
      dataDir: '/proc',
      probes: { ...healthy(), fsSize: async () => [{ mount: '/', size: 500 * GiB, available: 100 * GiB }] },
    });
    expect(summary['disk/free-mb']).toBeNull();
    expect(summary.warnings).toEqual([{ probe: 'disk', reason: 'not-found' }]);
  });

  it('a missing data dir makes the disk probe fail', async () => {
    const summary = await detectHardware({ dataDir: join(dir, 'missing'), probes: healthy() });
    expect(summary['disk/free-mb']).toBeNull();
    expect(summary.warnings).toEqual([{ probe: 'disk', reason: 'failed' }]);
  });
});
