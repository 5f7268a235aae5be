import { describe, expect, it } from 'vitest';
import { type CpuTimes, LoadSampler, type LoadSource, cpuTicks, loadPermille, sampleLoad } from './load-sampler.js';

const times = (busy: number, idle: number): CpuTimes => ({ user: busy, nice: 0, sys: 0, idle, irq: 0 });

/** A source that replays scripted readings, one per call. */
function scripted(readings: CpuTimes[][], memoryBytes = 2 * 1024 ** 3): LoadSource {
  let i = 0;
  return {
    cpuTimes: () => readings[Math.min(i++, readings.length - 1)]!,
    availableMemoryBytes: () => memoryBytes,
  };
}

describe('loadPermille', () => {
  it('is the busy share of the CPU time that passed, in permille', () => {
    expect(loadPermille({ busy: 100, total: 1000 }, { busy: 350, total: 2000 })).toBe(250);
    expect(loadPermille({ busy: 0, total: 0 }, { busy: 1000, total: 1000 })).toBe(1000);
    expect(loadPermille({ busy: 0, total: 0 }, { busy: 0, total: 1000 })).toBe(0);
    expect(loadPermille({ busy: 0, total: 0 }, { busy: 1, total: 3 })).toBe(333);
  });

  it('is unknown when no time passed or the counters went backwards', () => {
    expect(loadPermille({ busy: 5, total: 10 }, { busy: 5, total: 10 })).toBeNull();
    expect(loadPermille({ busy: 500, total: 1000 }, { busy: 100, total: 900 })).toBeNull();
  });

  it('sums all cores: user, nice, sys and irq are busy; idle is not', () => {
    expect(cpuTicks([{ user: 1, nice: 2, sys: 3, idle: 10, irq: 4 }, times(5, 5)])).toEqual({ busy: 15, total: 30 });
  });
});

describe('LoadSampler', () => {
  it('reports the load of the window since the previous sample, starting at construction', () => {
    const sampler = new LoadSampler(scripted([[times(0, 0), times(0, 0)], [times(500, 500), times(500, 500)], [times(500, 1500), times(500, 1500)]]));
    expect(sampler.sample()).toEqual({ 'load/permille': 500, 'memory/available-mb': 2048 });
    expect(sampler.sample()['load/permille']).toBe(0);
  });

  it('is unknown, never 0, when the source fails', () => {
    const broken: LoadSource = {
      cpuTimes: () => {
        throw new Error('no /proc/stat');
      },
      availableMemoryBytes: () => 0,
    };
    expect(new LoadSampler(broken).sample()).toEqual({ 'load/permille': null, 'memory/available-mb': null });
  });

  it('on this machine, samples without waiting and gives integers in range', () => {
    const sampler = new LoadSampler();
    let spin = 0;
    for (let i = 0; i < 200_000; i++) spin += i;
    expect(spin).toBeGreaterThan(0);
    const sample = sampler.sample();
    if (sample['load/permille'] !== null) {
      expect(Number.isInteger(sample['load/permille'])).toBe(true);
      expect(sample['load/permille']).toBeGreaterThanOrEqual(0);
      expect(sample['load/permille']).toBeLessThanOrEqual(1000);
    }
    expect(sample['memory/available-mb']).toBeGreaterThan(0);
  });

  it('sampleLoad: the first call has no window, so its load is unknown', () => {
    expect(sampleLoad()['load/permille']).toBeNull();
    expect(Number.isInteger(sampleLoad()['memory/available-mb'])).toBe(true);
  });
});
