import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LONG_RUNNING_DEFAULT_S, isLongRunning, longestFirst, readFileDurations } from './sequencer.js';
import { fileDurationsText, MIN_RECORDED_SECONDS } from './durations-reporter.js';

const same = (path: string): string => path;

describe('the order test files start in', () => {
  it('integration and hardening tests and crash trials count as long-running; unit files do not', () => {
    expect(isLongRunning('tests/integration/discovery-sim.test.ts')).toBe(true);
    expect(isLongRunning('tests/harden/faults.test.ts')).toBe(true);
    expect(isLongRunning('src-node/contributor/credit/credit-ledger.crash.test.ts')).toBe(true);
    expect(isLongRunning('tests\\harden\\faults.test.ts')).toBe(true);
    expect(isLongRunning('src-node/kernel/session/nonce-cache.test.ts')).toBe(false);
    expect(isLongRunning('tests/repo/layer-rule.test.ts')).toBe(false);
  });

  it('starts the longest files first by the recorded timings, keeping the given order among equals', () => {
    const files = ['src-a/x.test.ts', 'tests/harden/h.test.ts', 'src-b/y.test.ts', 'tests/integration/sim.test.ts', 'src-c/slow.test.ts'];
    const durations = { 'tests/integration/sim.test.ts': 90, 'src-c/slow.test.ts': 16, 'tests/harden/h.test.ts': 2 };
    expect(longestFirst(files, same, durations)).toEqual(['tests/integration/sim.test.ts', 'src-c/slow.test.ts', 'tests/harden/h.test.ts', 'src-a/x.test.ts', 'src-b/y.test.ts']);
  });

  it('takes a long-running file with no recorded timing as LONG_RUNNING_DEFAULT_S, a unit file as instant', () => {
    const files = ['src-a/x.test.ts', 'tests/integration/new.test.ts', 'src-b/quick.test.ts'];
    const durations = { 'src-b/quick.test.ts': LONG_RUNNING_DEFAULT_S - 1 };
    expect(longestFirst(files, same, durations)).toEqual(['tests/integration/new.test.ts', 'src-b/quick.test.ts', 'src-a/x.test.ts']);
    expect(longestFirst(files, same, {})).toEqual(['tests/integration/new.test.ts', 'src-a/x.test.ts', 'src-b/quick.test.ts']);
  });

  it('reads the timings file, and does without one that is missing or malformed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnode-sequencer-'));
    try {
      const path = join(dir, 'file-durations.json');
      writeFileSync(path, JSON.stringify({ 'a.test.ts': 12, 'b.test.ts': 'slow', 'c.test.ts': null }));
      expect(readFileDurations(path)).toEqual({ 'a.test.ts': 12 });
      writeFileSync(path, '[1, 2');
      expect(readFileDurations(path)).toEqual({});
      writeFileSync(path, '[1, 2]');
      expect(readFileDurations(path)).toEqual({});
      expect(readFileDurations(join(dir, 'missing.json'))).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the committed timings name only test files that exist', () => {
    const durations = readFileDurations(new URL('./file-durations.json', import.meta.url));
    expect(Object.keys(durations).length).toBeGreaterThan(0);
    const missing = Object.keys(durations).filter((file) => !existsSync(new URL(`../../${file}`, import.meta.url)));
    expect(missing, 'tests/support/file-durations.json names files that are gone: npx vitest run --reporter=default --reporter=./tests/support/durations-reporter.ts writes it afresh').toEqual([]);
  });

  it('records files longest first, in whole seconds, leaving out the quick ones', () => {
    const seconds = new Map([
      ['src-a/quick.test.ts', MIN_RECORDED_SECONDS / 4],
      ['tests/integration/b.test.ts', 12.4],
      ['tests/harden/a.test.ts', 12.2],
      ['tests/integration/sim.test.ts', 90.6],
    ]);
    expect(JSON.parse(fileDurationsText(seconds))).toEqual({ 'tests/integration/sim.test.ts': 91, 'tests/harden/a.test.ts': 12, 'tests/integration/b.test.ts': 12 });
    expect(Object.keys(JSON.parse(fileDurationsText(seconds)))).toEqual(['tests/integration/sim.test.ts', 'tests/harden/a.test.ts', 'tests/integration/b.test.ts']);
  });
});
