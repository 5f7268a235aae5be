// A result as a picture, where it is one (issue 14 §1): a Mandelbrot demo tile's output (escape
// iterations) painted with the same colours the demo orchestrator uses for its whole picture.
// Rendered from this node's own output, within MAX_PICTURE_SIDE; anything that does not decode is
// no picture (null), never an error.
import { MAX_PICTURE_SIDE, type PictureInfo } from '../../../src-shared/control/work-view.js';
import type { TaskResult } from '../../../src-shared/vnode/task-result.js';
import { isWasiTask, type AnyTask } from '../../../src-shared/vnode/workload.js';
import { MANDELBROT_ENTRY, MANDELBROT_INPUT_BYTES, isValidTile, tileOutputBytes, type TileSpec } from '../../kernel/workloads/demo/mandelbrot.js';
import { MandelbrotCanvas } from '../../kernel/workloads/demo/png.js';

export interface RenderedPicture {
  readonly info: PictureInfo;
  readonly png: Uint8Array;
}

/** The tile a Mandelbrot task computes, read from its 20-byte input (the module's, or the WASI program's stdin); null when it is not one. */
export function tileOf(task: AnyTask): TileSpec | null {
  const input = isWasiTask(task) ? (task.args.length === 0 && task.files.length === 0 ? task.stdin : null) : task.entry === MANDELBROT_ENTRY ? task.input : null;
  if (input === null || input.length !== MANDELBROT_INPUT_BYTES) return null;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const [x, y, size, tiles, maxIterations] = [0, 1, 2, 3, 4].map((i) => view.getInt32(i * 4, true)) as [number, number, number, number, number];
  const spec = { x, y, size, tiles, maxIterations };
  return isValidTile(spec) && size <= MAX_PICTURE_SIDE ? spec : null;
}

/** The picture of a Mandelbrot demo tile's result (the caller knows the task is of that demo). */
export function mandelbrotTilePicture(task: AnyTask, result: TaskResult): RenderedPicture | null {
  if (result.status !== 'ok') return null;
  // The WASI program writes the tile's iterations to stdout: the same bytes as the module's output.
  const output = isWasiTask(task) ? (result.wasi?.stdout ?? null) : result.output;
  const spec = tileOf(task);
  if (output === null || spec === null || output.length !== tileOutputBytes(spec.size)) return null;
  const canvas = new MandelbrotCanvas(spec.size, 1, spec.maxIterations);
  canvas.addTile(0, 0, output);
  return {
    info: { width: spec.size, height: spec.size, caption: `Tile ${spec.x + 1}, ${spec.y + 1} of a ${spec.tiles} × ${spec.tiles} picture of the Mandelbrot set` },
    png: canvas.toPng(),
  };
}
