import { describe, expect, it } from 'vitest';
import { MAX_PRIMES_BOUND } from '../../../kernel/workloads/demo/primes.js';
import { DEFAULT_MANDELBROT_DEMO, ZOOM_POINTS, demoSpecFromJson, formatDemoSpec, mandelbrotRegion, mandelbrotTiles, parseDemoSpec, primesRanges } from './demo.js';
import { SendBudget } from './send-budget.js';

describe('demo specs', () => {
  it('parse from the command line and from the admin API, with defaults', () => {
    expect(parseDemoSpec('mandelbrot')).toEqual(DEFAULT_MANDELBROT_DEMO);
    expect(parseDemoSpec('mandelbrot:size=32,tiles=4')).toEqual({ kind: 'mandelbrot', size: 32, tiles: 4, iterations: 2_000 });
    expect(parseDemoSpec('primes:span=1000,tasks=8')).toEqual({ kind: 'primes', span: 1_000, tasks: 8 });
    expect(demoSpecFromJson({ demo: 'primes', tasks: 4 })).toEqual({ kind: 'primes', span: 2_000_000, tasks: 4 });
    expect(formatDemoSpec(parseDemoSpec('mandelbrot:iterations=50'))).toBe('mandelbrot:size=64,tiles=8,iterations=50');
  });

  it('refuse unknown demos, unknown settings and values out of range', () => {
    expect(() => parseDemoSpec('fractal')).toThrow(/no demo named "fractal"/);
    expect(() => parseDemoSpec('mandelbrot:span=4')).toThrow(/no setting "span"/);
    expect(() => parseDemoSpec('mandelbrot:size=0')).toThrow(/size must be a whole number from 1 to 128/);
    expect(() => parseDemoSpec('mandelbrot:size')).toThrow(/key=value/);
    expect(() => parseDemoSpec('primes:span=50000000,tasks=4096')).toThrow(/2\^31/);
    expect(() => demoSpecFromJson({ demo: 7 })).toThrow(/names a demo/);
    expect(() => demoSpecFromJson({ demo: 'mandelbrot', size: 2.5 })).toThrow(/whole number/);
  });
});

describe('demo jobs', () => {
  it('Mandelbrot round 0 is the whole picture; later rounds zoom into other regions inside the grid', () => {
    expect(mandelbrotRegion(8, 0)).toEqual({ grid: 8, x0: 0, y0: 0, zoom: 1 });
    const seen = new Set<string>();
    for (let round = 1; round <= ZOOM_POINTS.length * 3; round++) {
      const region = mandelbrotRegion(8, round);
      expect(region.zoom).toBeGreaterThan(1);
      expect(region.x0 + 8).toBeLessThanOrEqual(region.grid);
      expect(region.y0 + 8).toBeLessThanOrEqual(region.grid);
      seen.add(JSON.stringify(region));
    }
    expect(seen.size).toBe(ZOOM_POINTS.length * 3);
    const tiles = mandelbrotTiles({ kind: 'mandelbrot', size: 16, tiles: 2, iterations: 10 }, { grid: 32, x0: 5, y0: 7, zoom: 16 });
    expect(tiles).toEqual([
      { x: 5, y: 7, size: 16, tiles: 32, maxIterations: 10 },
      { x: 6, y: 7, size: 16, tiles: 32, maxIterations: 10 },
      { x: 5, y: 8, size: 16, tiles: 32, maxIterations: 10 },
      { x: 6, y: 8, size: 16, tiles: 32, maxIterations: 10 },
    ]);
  });

  it('primes rounds count consecutive ranges and wrap before 2^31', () => {
    expect(primesRanges({ kind: 'primes', span: 10, tasks: 3 }, 0)).toEqual([[0, 10], [10, 20], [20, 30]]);
    expect(primesRanges({ kind: 'primes', span: 10, tasks: 3 }, 2)).toEqual([[60, 70], [70, 80], [80, 90]]);
    const last = primesRanges({ kind: 'primes', span: 50_000_000, tasks: 40 }, 5);
    expect(last[last.length - 1]![1]).toBeLessThanOrEqual(MAX_PRIMES_BOUND);
  });
});

describe('SendBudget', () => {
  it('lets a burst through, then the rate', () => {
    const budget = new SendBudget(10, 3);
    expect([budget.take('p', 0), budget.take('p', 0), budget.take('p', 0), budget.take('p', 0)]).toEqual([true, true, true, false]);
    expect(budget.take('q', 0)).toBe(true);
    expect(budget.take('p', 50)).toBe(false);
    expect(budget.take('p', 100)).toBe(true);
    expect(budget.available('p', 1_000)).toBe(3);
  });
});
