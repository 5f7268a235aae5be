// The Mandelbrot demo workload (workloads/mandelbrot/mandelbrot.wat): its input and output
// formats, the workload for one tile, and a JavaScript reference that computes the same bytes
// (the same IEEE double operations in the same order), which is how tests and a demo
// orchestrator check a result without trusting the node that computed it.
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import type { Workload, WorkloadNeeds } from '../../../../src-shared/vnode/workload.js';

export const MANDELBROT_ENTRY = 'tile';
export const MANDELBROT_INPUT_BYTES = 20;
export const MAX_TILE_SIZE = 128;
export const MAX_TILES = 4096;
export const MAX_ITERATIONS = 65535;
/** The picture: [-2.25, 0.75] × [-1.5, 1.5]. */
export const VIEW_LEFT = -2.25;
export const VIEW_TOP = -1.5;
export const VIEW_SPAN = 3;

export interface TileSpec {
  /** Tile column and row, 0 ≤ x, y < tiles. */
  readonly x: number;
  readonly y: number;
  /** Pixels on a tile's side, 1–128. */
  readonly size: number;
  /** Tiles on the picture's side, 1–4096. */
  readonly tiles: number;
  /** 1–65535. */
  readonly maxIterations: number;
}

export const DEFAULT_TILE_NEEDS: WorkloadNeeds = { memoryMb: 1, maxMs: 60_000, cores: 1 };

export function isValidTile(spec: TileSpec): boolean {
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  return int(spec.size, 1, MAX_TILE_SIZE) && int(spec.tiles, 1, MAX_TILES) && int(spec.maxIterations, 1, MAX_ITERATIONS) && int(spec.x, 0, spec.tiles - 1) && int(spec.y, 0, spec.tiles - 1);
}

/** Every tile of a picture, row by row: the tasks of one Mandelbrot job. */
export function tileSpecs(size: number, tiles: number, maxIterations: number): TileSpec[] {
  const specs: TileSpec[] = [];
  for (let y = 0; y < tiles; y++) for (let x = 0; x < tiles; x++) specs.push({ x, y, size, tiles, maxIterations });
  if (specs.length > 0 && !isValidTile(specs[0]!)) throw new Error('invalid tile size, tile count or iteration limit');
  return specs;
}

export function encodeTileInput(spec: TileSpec): Uint8Array {
  const out = new Uint8Array(MANDELBROT_INPUT_BYTES);
  const view = new DataView(out.buffer);
  [spec.x, spec.y, spec.size, spec.tiles, spec.maxIterations].forEach((value, i) => view.setInt32(i * 4, value, true));
  return out;
}

export function tileWorkload(module: { hash: ContentHash; size: number }, spec: TileSpec, needs: WorkloadNeeds = DEFAULT_TILE_NEEDS): Workload {
  return { moduleHash: module.hash, moduleSize: module.size, entry: MANDELBROT_ENTRY, input: encodeTileInput(spec), needs };
}

/** Bytes a tile's output has. */
export function tileOutputBytes(size: number): number {
  return size * size * 2;
}

/** Iteration counts of a tile's output, row by row. */
export function decodeTileOutput(output: Uint8Array, size: number): Uint16Array {
  if (output.length !== tileOutputBytes(size)) throw new Error(`a ${size}×${size} tile has ${tileOutputBytes(size)} bytes of output, not ${output.length}`);
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  const counts = new Uint16Array(size * size);
  for (let i = 0; i < counts.length; i++) counts[i] = view.getUint16(i * 2, true);
  return counts;
}

/** The escape iteration of c = cr + ci·i, as the module computes it. */
export function escapeIteration(cr: number, ci: number, maxIterations: number): number {
  let zr = 0;
  let zi = 0;
  let n = 0;
  while (n < maxIterations) {
    const zr2 = zr * zr;
    const zi2 = zi * zi;
    if (zr2 + zi2 > 4) break;
    zi = 2 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
    n++;
  }
  return n;
}

/** The module's output for a tile, computed in JavaScript. */
export function mandelbrotTileReference(spec: TileSpec): Uint8Array {
  if (!isValidTile(spec)) throw new Error('invalid tile');
  const { x, y, size, tiles, maxIterations } = spec;
  const scale = VIEW_SPAN / (size * tiles);
  const out = new Uint8Array(tileOutputBytes(size));
  const view = new DataView(out.buffer);
  let at = 0;
  for (let row = 0; row < size; row++) {
    const ci = VIEW_TOP + (y * size + row + 0.5) * scale;
    for (let col = 0; col < size; col++) {
      const cr = VIEW_LEFT + (x * size + col + 0.5) * scale;
      view.setUint16(at, escapeIteration(cr, ci, maxIterations), true);
      at += 2;
    }
  }
  return out;
}
