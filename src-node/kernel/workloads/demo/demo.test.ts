import { spawnSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../../../src-shared/vnode/content-hash.js';
import { MAX_OUTPUT_BYTES } from '../../../../src-shared/vnode/limits.js';
import { planModule } from '../../../../src-shared/vnode/module-plan.js';
import { packageRoot } from '../../util/package-root.js';
import { directRunner } from '../../../../tests/support/vnode/direct.js';
import { type TestHost, startTestHost } from '../../../../tests/support/vnode/host-fixtures.js';
import { type LoadedModule, loadDemoModule } from './demo-workloads.js';
import { MANDELBROT_ENTRY, type TileSpec, decodeTileOutput, encodeTileInput, mandelbrotTileReference, tileOutputBytes, tileSpecs, tileWorkload } from './mandelbrot.js';
import { MandelbrotCanvas, crc32, encodePng } from './png.js';
import { PRIMES_ENTRY, countPrimesReference, decodePrimesOutput, encodePrimesInput, primesWorkload } from './primes.js';

let mandelbrot: LoadedModule;
let primes: LoadedModule;
let made: TestHost;

beforeAll(async () => {
  mandelbrot = await loadDemoModule('mandelbrot');
  primes = await loadDemoModule('primes');
  made = await startTestHost();
  for (const module of [mandelbrot, primes]) {
    const put = await made.host.modules.put(module.bytes, module.hash);
    expect(put.ok).toBe(true);
  }
  expect(made.host.allocate({ vnodeId: 'demo', orchestrator: 'demo-orchestrator', cores: 1, memoryMb: 16 }).ok).toBe(true);
});

afterAll(async () => {
  await made.cleanup();
});

let taskNo = 0;
const run = (workload: ReturnType<typeof tileWorkload>) => made.host.runTask({ ...workload, taskId: `demo-${++taskNo}`, vnodeId: 'demo' });

describe('demo workloads: build', () => {
  it('the committed .wasm files are exactly what their sources build to', () => {
    const check = spawnSync(process.execPath, ['scripts/build-workloads.mjs', '--check'], { cwd: packageRoot(), encoding: 'utf8' });
    expect(check.stdout).toMatch(/ok {7}workloads\/mandelbrot\/mandelbrot\.wasm/);
    expect(check.stdout).toMatch(/ok {7}workloads\/primes\/primes\.wasm/);
    // 3: only the C sources were skipped, for want of clang (tests/integration/wasi-workloads.test.ts checks those).
    expect(check.status === 0 || (check.status === 3 && !/^(missing|differs|failed) /m.test(check.stdout))).toBe(true);
  });

  it('the modules use only the host API and fit a 1 MB need', () => {
    expect(planModule(mandelbrot.bytes, MANDELBROT_ENTRY, 1)).toEqual({ ok: true, plan: { memory: { initial: 1, maximum: 16 }, entryReturnsStatus: true } });
    expect(planModule(primes.bytes, PRIMES_ENTRY, 1).ok).toBe(true);
  });
});

describe('demo workloads: Mandelbrot', () => {
  it('the reference knows the set: bounded inside, escaping at once far outside', () => {
    const counts = decodeTileOutput(mandelbrotTileReference({ x: 0, y: 0, size: 16, tiles: 1, maxIterations: 100 }), 16);
    expect(counts[0]).toBe(1); // c ≈ -2.16 - 1.41i: |c| > 2 after one step
    expect(counts[8 * 16 + 6]).toBe(100); // c ≈ -1.03 + 0.09i: inside the period-2 bulb
    expect(tileOutputBytes(128)).toBe(MAX_OUTPUT_BYTES);
  });

  it('a tile computed in a VNode equals the JavaScript reference, byte for byte', async () => {
    const specs: TileSpec[] = [
      { x: 1, y: 1, size: 32, tiles: 4, maxIterations: 500 },
      { x: 0, y: 3, size: 32, tiles: 4, maxIterations: 500 },
      { x: 5, y: 2, size: 128, tiles: 8, maxIterations: 1_000 },
    ];
    for (const spec of specs) {
      const result = await run(tileWorkload(mandelbrot, spec));
      const reference = mandelbrotTileReference(spec);
      expect(result.status).toBe('ok');
      expect(result.outputHash).toBe(contentHash(reference));
      expect(result.output).toEqual(reference);
    }
  });

  it('agrees with the reference on many tiles run directly', () => {
    const direct = directRunner(mandelbrot.bytes, MANDELBROT_ENTRY, 1);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 6; x++) {
        const spec = { x, y, size: 16, tiles: 6, maxIterations: 64 + x * 37 + y };
        expect(direct.run(encodeTileInput(spec))).toEqual(mandelbrotTileReference(spec));
      }
    }
  });

  it('refuses a malformed tile', async () => {
    for (const spec of [
      { x: 4, y: 0, size: 32, tiles: 4, maxIterations: 10 },
      { x: 0, y: 0, size: 129, tiles: 1, maxIterations: 10 },
      { x: 0, y: 0, size: 8, tiles: 1, maxIterations: 0 },
    ]) {
      expect(await run(tileWorkload(mandelbrot, spec))).toMatchObject({ status: 'failed', detail: 'entry "tile" returned 1' });
    }
    expect(await run({ ...tileWorkload(mandelbrot, { x: 0, y: 0, size: 8, tiles: 1, maxIterations: 9 }), input: new Uint8Array(19) })).toMatchObject({ status: 'failed' });
  });
});

describe('demo workloads: primes', () => {
  it('counts the primes below 100,000 and in an offset range, as the sieve does', async () => {
    for (const [lo, hi] of [
      [0, 100_000],
      [1_000_000, 1_100_000],
      [0, 2],
      [2, 3],
    ] as const) {
      const result = await run(primesWorkload(primes, lo, hi));
      expect(result.status).toBe('ok');
      expect(decodePrimesOutput(result.output!)).toBe(countPrimesReference(lo, hi));
    }
    expect(countPrimesReference(0, 100_000)).toBe(9_592);
  });

  it('refuses an inverted range', async () => {
    const input = new Uint8Array(8);
    new DataView(input.buffer).setInt32(0, 10, true);
    expect(await run({ ...primesWorkload(primes, 0, 1), input })).toMatchObject({ status: 'failed' });
    expect(() => encodePrimesInput(5, 4)).toThrow();
  });
});

describe('demo workloads: the picture', () => {
  function chunks(png: Uint8Array): { type: string; data: Uint8Array; crcOk: boolean }[] {
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    const out = [];
    for (let at = 8; at < png.length; ) {
      const length = view.getUint32(at);
      const typeBytes = png.subarray(at + 4, at + 8);
      const data = png.subarray(at + 8, at + 8 + length);
      out.push({ type: new TextDecoder().decode(typeBytes), data, crcOk: view.getUint32(at + 8 + length) === crc32(typeBytes, data) });
      at += 12 + length;
    }
    return out;
  }

  it('CRC-32 is the standard one', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('renders finished tiles into a valid PNG', async () => {
    const size = 16;
    const tiles = 2;
    const canvas = new MandelbrotCanvas(size, tiles, 50);
    for (const spec of tileSpecs(size, tiles, 50)) {
      const result = await run(tileWorkload(mandelbrot, spec));
      canvas.addTile(spec.x, spec.y, result.output!);
    }
    expect(() => tileSpecs(200, 2, 50)).toThrow();
    expect(canvas.complete).toBe(true);
    const png = canvas.toPng();
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const parts = chunks(png);
    expect(parts.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(parts.every((c) => c.crcOk)).toBe(true);
    const header = new DataView(parts[0]!.data.buffer, parts[0]!.data.byteOffset);
    expect([header.getUint32(0), header.getUint32(4), parts[0]!.data[8], parts[0]!.data[9]]).toEqual([32, 32, 8, 2]);
    const raw = inflateSync(parts[1]!.data);
    expect(raw.length).toBe(32 * (32 * 3 + 1));
    // Pixel (12, 16) samples c ≈ -1.08 + 0.05i, inside the set: black.
    const at = 16 * (32 * 3 + 1) + 1 + 12 * 3;
    expect([raw[at], raw[at + 1], raw[at + 2]]).toEqual([0, 0, 0]);
  });

  it('refuses tiles outside the picture or of the wrong size, and odd pictures', () => {
    const canvas = new MandelbrotCanvas(8, 2, 10);
    expect(() => canvas.addTile(2, 0, new Uint8Array(128))).toThrow(/outside/);
    expect(() => canvas.addTile(0, 0, new Uint8Array(127))).toThrow(/128 bytes/);
    expect(() => encodePng(2, 2, new Uint8Array(11))).toThrow();
    expect(() => encodePng(0, 2, new Uint8Array(0))).toThrow();
  });
});
