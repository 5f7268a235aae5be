import { describe, expect, it } from 'vitest';
import { unknownHardwareSummary, type HardwareSummary } from '../hardware/hardware-summary.js';
import { computeCapabilities, cpuCapabilityLadder } from './compute-capabilities.js';

const JOINED = { joined: true, contributionEnabled: true };

function machine(cores: number | null, vendors: Array<string | null> = []): HardwareSummary {
  return { ...unknownHardwareSummary('2026-12-07T00:00:00Z'), 'cpu/logical-cores': cores, gpus: vendors.map((v) => ({ 'gpu/vendor': v, 'gpu/model': null, 'gpu/vram-mb': null })) };
}

describe('compute capabilities', () => {
  it('name wasi, the cpu profile (largest power of two ≤ cores, ≤ 64) and each GPU vendor once', () => {
    expect(computeCapabilities(machine(12, ['NVIDIA Corporation', 'NVIDIA Corporation', 'Intel Corporation']), JOINED)).toEqual(['vnode/wasi', 'vnode/cpu-8', 'gpu/nvidia', 'gpu/intel']);
    expect(computeCapabilities(machine(1), JOINED)).toEqual(['vnode/wasi', 'vnode/cpu-1']);
    expect(computeCapabilities(machine(256), JOINED)).toEqual(['vnode/wasi', 'vnode/cpu-64']);
    expect(computeCapabilities(machine(4, ['Advanced Micro Devices, Inc. [AMD/ATI]', 'Microsoft Corporation', null]), JOINED)).toEqual(['vnode/wasi', 'vnode/cpu-4', 'gpu/amd']);
    expect(computeCapabilities(machine(null), JOINED)).toEqual(['vnode/wasi']);
  });

  it('are none while the volunteer has not joined or has contribution off', () => {
    expect(computeCapabilities(machine(8), { joined: false, contributionEnabled: true })).toEqual([]);
    expect(computeCapabilities(machine(8), { joined: true, contributionEnabled: false })).toEqual([]);
  });

  it('a search for at least N cores asks every profile that has them', () => {
    expect(cpuCapabilityLadder(3)).toEqual(['vnode/cpu-4', 'vnode/cpu-8', 'vnode/cpu-16', 'vnode/cpu-32', 'vnode/cpu-64']);
    expect(cpuCapabilityLadder(1)[0]).toBe('vnode/cpu-1');
    expect(cpuCapabilityLadder(64)).toEqual(['vnode/cpu-64']);
    expect(cpuCapabilityLadder(65)).toEqual([]);
  });
});
