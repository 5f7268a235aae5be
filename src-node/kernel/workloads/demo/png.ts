// A minimal PNG writer (8-bit RGB, no interlace, filter 0, zlib from node:zlib) and the
// Mandelbrot canvas that collects finished tiles and paints them: what a demo orchestrator
// writes out as its picture.
import { deflateSync } from 'node:zlib';
import { decodeTileOutput } from './mandelbrot.js';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC), as PNG chunks use it. */
export function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const part of parts) for (const byte of part) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  const typeBytes = new TextEncoder().encode(type);
  view.setUint32(0, data.length);
  out.set(typeBytes, 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(typeBytes, data));
  return out;
}

/** Encodes width × height RGB pixels (3 bytes each, row by row) as a PNG file. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error('a PNG needs a positive width and height');
  if (rgb.length !== width * height * 3) throw new Error(`expected ${width * height * 3} bytes of RGB, got ${rgb.length}`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const stride = width * 3;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const parts = [SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Colour of an escape iteration: black inside the set, a blue–white–amber ramp outside. */
export function iterationColour(n: number, maxIterations: number): [number, number, number] {
  if (n >= maxIterations) return [0, 0, 0];
  const t = Math.log(n + 1) / Math.log(maxIterations + 1);
  const ramp = (a: number, b: number, s: number) => Math.round(a + (b - a) * s);
  if (t < 0.5) {
    const s = t / 0.5;
    return [ramp(8, 255, s), ramp(16, 255, s), ramp(64, 255, s)];
  }
  const s = (t - 0.5) / 0.5;
  return [255, ramp(255, 160, s), ramp(255, 0, s)];
}

/** A picture of tiles × tiles Mandelbrot tiles, painted as results arrive; missing tiles stay grey. */
export class MandelbrotCanvas {
  readonly side: number;
  private readonly rgb: Uint8Array;
  private readonly painted = new Set<string>();

  constructor(
    readonly size: number,
    readonly tiles: number,
    readonly maxIterations: number,
  ) {
    this.side = size * tiles;
    this.rgb = new Uint8Array(this.side * this.side * 3).fill(48);
  }

  /** Paints one tile from a module output (throws if the output has the wrong length). */
  addTile(x: number, y: number, output: Uint8Array): void {
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= this.tiles || y >= this.tiles) throw new Error(`tile ${x},${y} is outside the picture`);
    const counts = decodeTileOutput(output, this.size);
    for (let row = 0; row < this.size; row++) {
      for (let col = 0; col < this.size; col++) {
        const [r, g, b] = iterationColour(counts[row * this.size + col]!, this.maxIterations);
        const at = ((y * this.size + row) * this.side + x * this.size + col) * 3;
        this.rgb[at] = r;
        this.rgb[at + 1] = g;
        this.rgb[at + 2] = b;
      }
    }
    this.painted.add(`${x},${y}`);
  }

  get tilesPainted(): number {
    return this.painted.size;
  }

  get complete(): boolean {
    return this.painted.size === this.tiles * this.tiles;
  }

  toPng(): Uint8Array {
    return encodePng(this.side, this.side, this.rgb);
  }
}
