// The benchmark harness (DESIGN.md §8): the measuring helper's bounds and table, and the runner
// script's contract (named selection, one process per bench, non-zero exit on failure). No figure
// is asserted here: speed is printed by `npm run bench`, never tested.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUNDS, formatRatio, formatTable, measure, type Measurement } from '../../bench/lib/measure.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function row(name: string, opsPerSecond: number, ops = 1000): Measurement {
  return { name, ops, seconds: ops / opsPerSecond, opsPerSecond, microsPerOp: 1e6 / opsPerSecond, spread: 0.1 };
}

function runBench(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['scripts/bench.mjs', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
}

describe('bench/lib/measure', () => {
  it('stops at maxOps, counting only the measured calls', () => {
    let calls = 0;
    const result = measure('count', () => ++calls, { warmupMs: 1, timeMs: 60_000, maxOps: 100 });
    expect(result.ops).toBe(100);
    expect(calls).toBeGreaterThanOrEqual(100);
    expect(calls).toBeLessThanOrEqual(200);
    expect(result.opsPerSecond).toBeGreaterThan(0);
    expect(result.microsPerOp).toBeCloseTo(1e6 / result.opsPerSecond);
  });

  it('stops when its time is up', () => {
    // A clock that moves 1 ms each time it is read: each of the rounds gets one batch, whatever
    // the speed of this machine.
    let ns = 0n;
    const clock = () => (ns += 1_000_000n);
    const result = measure('busy', () => Math.sqrt(2), { warmupMs: 1, timeMs: 5, clock });
    expect(result.ops).toBe(ROUNDS);
    expect(result.seconds).toBeCloseTo(0.005);
  });

  it('prints an aligned table: every line the same width, numbers right-aligned', () => {
    const table = formatTable('Title', [row('short', 1234567.8), row('a much longer operation name', 12.3456)]);
    const [title, header, rule, first, second] = table.trimEnd().split('\n');
    expect(title).toBe('Title');
    expect(header).toMatch(/^operation\s+ops\/s\s+µs\/op\s+spread\s+ops run$/);
    expect(new Set([header, rule, first, second].map((l) => l!.length)).size).toBe(1);
    expect(first).toMatch(/^short\s+1,234,568\s+0\.810\s+±5%\s+1,000$/);
    expect(second).toMatch(/^a much longer operation name\s+12\s+81000\.5\s+±5%\s+1,000$/);
  });

  it('prints a ratio as "how many times faster"', () => {
    expect(formatRatio('native/portable', row('n', 18_000), row('p', 1_000))).toBe('native/portable: 18.0× (18,000 vs 1,000 ops/s)');
    expect(formatRatio('x', row('n', 800), row('p', 1_000))).toBe('x: 0.80× (800 vs 1,000 ops/s)');
  });
});

describe('scripts/bench.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pnode-bench-'));
  writeFileSync(join(dir, 'harness-ok.bench.ts'), "const n: number = 6 * 7;\nconsole.log(`answer ${n}`);\n");
  writeFileSync(join(dir, 'harness-fail.bench.ts'), "throw new Error('this bench fails on purpose');\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs only the named bench, bundled, with a header and its output', () => {
    const result = runBench(['harness-ok'], { PNODE_BENCH_DIR: dir });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('=== bench harness-ok');
    expect(result.stdout).toContain('answer 42');
    expect(result.stdout).not.toContain('harness-fail');
  });

  it('runs every bench without names, and exits non-zero when one fails', () => {
    const result = runBench([], { PNODE_BENCH_DIR: dir });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('=== bench harness-fail');
    expect(result.stdout).toContain('=== bench harness-ok');
    expect(result.stdout).toContain('harness-fail: FAILED');
    expect(result.stdout).toContain('1 of 2 benches failed (harness-fail)');
  });

  it('refuses an unknown bench name with exit 2 and lists the available ones', () => {
    const result = runBench(['no-such-bench']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/no bench named no-such-bench \(available: .*protocol/);
  });

  it('runs the protocol bench end to end (shortened with PNODE_BENCH_SCALE)', () => {
    const result = runBench(['protocol'], { PNODE_BENCH_SCALE: '0.01' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const expected of ['dcbor encode', 'ed25519 verify, native', 'verify native/portable', 'did:key parse, cold', 'x25519 agreement, native', 'seal 1 KiB, native']) {
      expect(result.stdout).toContain(expected);
    }
  });
});
