import { describe, expect, it } from 'vitest';
import { isLongRunning, longRunningFirst } from './sequencer.js';

describe('the order test files start in', () => {
  it('integration and hardening tests and crash trials count as long-running; unit files do not', () => {
    expect(isLongRunning('/repo/tests/integration/discovery-sim.test.ts')).toBe(true);
    expect(isLongRunning('/repo/tests/harden/faults.test.ts')).toBe(true);
    expect(isLongRunning('/repo/src-node/contributor/credit/credit-ledger.crash.test.ts')).toBe(true);
    expect(isLongRunning('C:\\repo\\tests\\harden\\faults.test.ts')).toBe(true);
    expect(isLongRunning('/repo/src-node/kernel/session/nonce-cache.test.ts')).toBe(false);
    expect(isLongRunning('/repo/tests/repo/layer-rule.test.ts')).toBe(false);
  });

  it('puts long-running files first and keeps the given order within each group', () => {
    const files = ['/r/src-a/x.test.ts', '/r/tests/harden/h.test.ts', '/r/src-b/y.test.ts', '/r/tests/integration/i.test.ts'].map((moduleId) => ({ moduleId }));
    expect(longRunningFirst(files).map((f) => f.moduleId)).toEqual(['/r/tests/harden/h.test.ts', '/r/tests/integration/i.test.ts', '/r/src-a/x.test.ts', '/r/src-b/y.test.ts']);
  });
});
