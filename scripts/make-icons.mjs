// Draws PNode's icons from a few shapes and writes them as PNG (plus ICO and ICNS containers) with
// node:zlib and our own CRC-32: no image tools needed, and the output is byte-for-byte repeatable.
//   node scripts/make-icons.mjs [--out assets] [--preview <file.png>]
// The glyph: a rounded square holding a small network (a hub and three linked nodes); the tray
// adds a status mark at the lower right, cut out from the glyph so it reads on any background.
// Status marks differ in shape, not only colour: off = grey glyph, no mark; connecting = ring;
// contributing = solid dot; paused = two bars; snoozed = crescent; disconnected = a broken ring;
// error = dot with an exclamation mark.
import { deflateSync } from 'node:zlib';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const option = (name) => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
};
const OUT = resolve(option('--out') ?? fileURLToPath(new URL('../assets', import.meta.url)));
const PREVIEW = option('--preview');

export const STATES = ['off', 'connecting', 'contributing', 'paused', 'snoozed', 'disconnected', 'error'];

// ---------------------------------------------------------------------------------------------
// PNG

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function paeth(a, b, c) {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** RGBA pixels (Uint8Array, width × height × 4) → PNG bytes. Each row gets its best filter. */
export function encodePng(width, height, rgba) {
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  const candidate = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const row = rgba.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? rgba.subarray((y - 1) * stride, y * stride) : null;
    let best = -1;
    let bestScore = Infinity;
    let bestBytes = null;
    for (let filter = 0; filter < 5; filter++) {
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= 4 ? row[i - 4] : 0;
        const b = up ? up[i] : 0;
        const c = up && i >= 4 ? up[i - 4] : 0;
        const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const value = (row[i] - predictor) & 0xff;
        candidate[i] = value;
        score += value < 128 ? value : 256 - value;
      }
      if (score < bestScore) {
        bestScore = score;
        best = filter;
        bestBytes = Buffer.from(candidate);
      }
    }
    raw[y * (stride + 1)] = best;
    bestBytes.copy(raw, y * (stride + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Shapes as signed distance functions in unit coordinates (0..1 across the icon); ≤ 0 is inside.

const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;
const ring = (cx, cy, r, width) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) - width / 2;
const roundRect = (x0, y0, x1, y1, radius) => (x, y) => {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const qx = Math.abs(x - cx) - ((x1 - x0) / 2 - radius);
  const qy = Math.abs(y - cy) - ((y1 - y0) / 2 - radius);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
};
const segment = (ax, ay, bx, by, width) => (x, y) => {
  const px = x - ax;
  const py = y - ay;
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * t, py - dy * t) - width / 2;
};
const union = (...shapes) => (x, y) => Math.min(...shapes.map((shape) => shape(x, y)));
const subtract = (shape, hole) => (x, y) => Math.max(shape(x, y), -hole(x, y));

/** Layers, painted in order: { shape, color: [r,g,b,a] } paints; { shape, erase: true } cuts out. */
export function rasterize(size, layers, samples = size <= 32 ? 8 : size <= 128 ? 4 : 3) {
  const rgba = new Uint8Array(size * size * 4);
  const total = samples * samples;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      // Premultiplied accumulation.
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (const layer of layers) {
        let inside = 0;
        for (let sy = 0; sy < samples; sy++) {
          for (let sx = 0; sx < samples; sx++) {
            const x = (px + (sx + 0.5) / samples) / size;
            const y = (py + (sy + 0.5) / samples) / size;
            if (layer.shape(x, y) <= 0) inside++;
          }
        }
        if (inside === 0) continue;
        const coverage = inside / total;
        if (layer.erase) {
          r *= 1 - coverage;
          g *= 1 - coverage;
          b *= 1 - coverage;
          a *= 1 - coverage;
          continue;
        }
        const [cr, cg, cb, ca = 1] = layer.color;
        const alpha = ca * coverage;
        r = (cr / 255) * alpha + r * (1 - alpha);
        g = (cg / 255) * alpha + g * (1 - alpha);
        b = (cb / 255) * alpha + b * (1 - alpha);
        a = alpha + a * (1 - alpha);
      }
      const o = (py * size + px) * 4;
      if (a > 0) {
        rgba[o] = Math.round((r / a) * 255);
        rgba[o + 1] = Math.round((g / a) * 255);
        rgba[o + 2] = Math.round((b / a) * 255);
        rgba[o + 3] = Math.round(a * 255);
      }
    }
  }
  return rgba;
}

// ---------------------------------------------------------------------------------------------
// The design

const WHITE = [255, 255, 255];
const BLACK = [0, 0, 0];
const BASE = [52, 74, 110]; // slate blue: the glyph
const BASE_OFF = [120, 128, 140]; // grey: not contributing
const STATUS = {
  connecting: [245, 166, 35],
  contributing: [34, 197, 94],
  paused: [245, 166, 35],
  snoozed: [129, 140, 248],
  disconnected: [148, 156, 170],
  error: [239, 68, 68],
};

/**
 * The network mark: a hub linked to three nodes on the diagonals (upper left, upper right, lower
 * left). The lower right is the status mark's place: in the tray it is the fourth node.
 */
const NODE_DIRECTIONS = [
  [-Math.SQRT1_2, -Math.SQRT1_2],
  [Math.SQRT1_2, -Math.SQRT1_2],
  [-Math.SQRT1_2, Math.SQRT1_2],
];

function networkMark(hub, reach, hubRadius, nodeRadius, stroke, directions = NODE_DIRECTIONS) {
  const [hx, hy] = hub;
  const parts = [circle(hx, hy, hubRadius)];
  for (const [dx, dy] of directions) {
    const nx = hx + dx * reach;
    const ny = hy + dy * reach;
    parts.push(segment(hx, hy, nx, ny, stroke), circle(nx, ny, nodeRadius));
  }
  return union(...parts);
}

/** Where the status mark sits and how big, per pixel size (small icons get a larger mark). */
function statusGeometry(size) {
  if (size <= 16) return { cx: 12 / 16, cy: 12 / 16, r: 3.8 / 16, gap: 1.1 / 16 };
  const r = 0.23;
  const c = 1 - r - 0.01;
  const gap = 0.065;
  return { cx: c, cy: c, r, gap };
}

function statusMark(state, size, template) {
  if (state === 'off') return [];
  const { cx, cy, r, gap } = statusGeometry(size);
  const color = template ? BLACK : STATUS[state];
  const px = 1 / size;
  const layers = [{ shape: circle(cx, cy, r + gap), erase: true }];
  if (state === 'connecting') {
    const width = Math.max(2 * px, r * 0.5);
    layers.push({ shape: ring(cx, cy, r - width / 2, width), color });
  } else if (state === 'contributing') {
    layers.push({ shape: circle(cx, cy, r), color });
  } else if (state === 'paused') {
    const bar = Math.max(1.6 * px, r * 0.42);
    const gapX = Math.max(1.2 * px, r * 0.32);
    const h = r * 0.95;
    layers.push({ shape: union(roundRect(cx - gapX - bar, cy - h, cx - gapX, cy + h, bar * 0.3), roundRect(cx + gapX, cy - h, cx + gapX + bar, cy + h, bar * 0.3)), color });
  } else if (state === 'disconnected') {
    const width = Math.max(2 * px, r * 0.45);
    // A ring with a diagonal cut through it: the link is broken.
    const cut = segment(cx - r * 1.2, cy + r * 1.2, cx + r * 1.2, cy - r * 1.2, Math.max(1.6 * px, r * 0.5));
    layers.push({ shape: subtract(ring(cx, cy, r - width / 2, width), cut), color });
  } else if (state === 'snoozed') {
    layers.push({ shape: subtract(circle(cx, cy, r), circle(cx + r * 0.55, cy - r * 0.45, r * 0.82)), color });
  } else if (state === 'error') {
    const bar = Math.max(1.6 * px, r * 0.32);
    // At 16 px: a 2-pixel-wide bar over a 2×2 dot, on whole pixels.
    const mark =
      size <= 16
        ? union(roundRect(11 * px, 8.9 * px, 13 * px, 12 * px, 0.3 * px), roundRect(11 * px, 13 * px, 13 * px, 15 * px, 0.5 * px))
        : union(segment(cx, cy - r * 0.5, cx, cy + r * 0.08, bar), circle(cx, cy + r * 0.5, bar * 0.6));
    if (template) layers.push({ shape: subtract(circle(cx, cy, r), mark), color });
    else layers.push({ shape: circle(cx, cy, r), color }, { shape: mark, color: WHITE });
  }
  return layers;
}

/** A tray icon: the glyph, then the status mark. Template images are black with alpha (macOS). */
export function trayLayers(state, size, template = false) {
  const px = 1 / size;
  // At 16 px the glyph fills the square and the mark sits on whole pixels, so edges stay sharp.
  const small = size <= 16;
  const box = small ? roundRect(0, 0, 1, 1, 3 * px) : roundRect(0.04, 0.04, 0.96, 0.96, 0.2);
  const mark = small
    ? networkMark([7 * px, 7 * px], 4.6 * px, 2.4 * px, 1.9 * px, 1.6 * px)
    : networkMark([0.44, 0.44], 0.27, 0.13, 0.1, Math.max(1.6 * px, 0.09));
  // A menu-bar template is a line glyph: the mark alone, no square (off: at half strength).
  const layers = template
    ? [{ shape: mark, color: [...BLACK, state === 'off' ? 0.5 : 1] }]
    : [
        { shape: box, color: state === 'off' ? BASE_OFF : BASE },
        { shape: mark, color: WHITE },
      ];
  return [...layers, ...statusMark(state, size, template)];
}

/** The app icon: the glyph with its fourth node in green (the network, contributing). */
export function appLayers(size) {
  const px = 1 / size;
  const box = roundRect(0.06, 0.06, 0.94, 0.94, 0.2);
  const hub = [0.5, 0.5];
  const reach = 0.24;
  const stroke = Math.max(1.2 * px, 0.06);
  const green = [hub[0] + Math.SQRT1_2 * reach, hub[1] + Math.SQRT1_2 * reach];
  return [
    { shape: box, color: BASE },
    { shape: networkMark(hub, reach, 0.095, 0.07, stroke), color: WHITE },
    { shape: segment(hub[0], hub[1], green[0], green[1], stroke), color: WHITE },
    { shape: circle(green[0], green[1], 0.085), color: STATUS.contributing },
    { shape: circle(hub[0], hub[1], 0.095), color: WHITE },
  ];
}

// ---------------------------------------------------------------------------------------------
// ICO and ICNS containers

/** A 32-bit BMP entry (BITMAPINFOHEADER, bottom-up BGRA, then the 1-bit AND mask). */
function icoBitmap(size, rgba) {
  const maskStride = Math.ceil(size / 32) * 4;
  const out = Buffer.alloc(40 + size * size * 4 + maskStride * size);
  out.writeUInt32LE(40, 0);
  out.writeInt32LE(size, 4);
  out.writeInt32LE(size * 2, 8); // colour rows + mask rows
  out.writeUInt16LE(1, 12);
  out.writeUInt16LE(32, 14);
  out.writeUInt32LE(size * size * 4 + maskStride * size, 20);
  let o = 40;
  for (let y = size - 1; y >= 0; y--) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      out[o++] = rgba[i + 2];
      out[o++] = rgba[i + 1];
      out[o++] = rgba[i];
      out[o++] = rgba[i + 3];
    }
  }
  for (let y = size - 1; y >= 0; y--) {
    for (let x = 0; x < size; x++) if (rgba[(y * size + x) * 4 + 3] === 0) out[o + (x >> 3)] |= 0x80 >> (x & 7);
    o += maskStride;
  }
  return out;
}

/** ICO with BMP entries below 256 px (what every Windows tool reads) and a PNG entry at 256. */
export function encodeIco(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  const bodies = images.map(({ size, rgba }) => (size >= 256 ? encodePng(size, size, rgba) : icoBitmap(size, rgba)));
  let offset = header.length;
  images.forEach(({ size }, index) => {
    const entry = 6 + 16 * index;
    header[entry] = size >= 256 ? 0 : size;
    header[entry + 1] = size >= 256 ? 0 : size;
    header.writeUInt16LE(1, entry + 4);
    header.writeUInt16LE(32, entry + 6);
    header.writeUInt32LE(bodies[index].length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += bodies[index].length;
  });
  return Buffer.concat([header, ...bodies]);
}

/** ICNS: PNG entries keyed by OSType (ic07 128, ic08 256, ic09 512, ic10 1024, ic11–ic14 the @2x). */
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['icp6', 64],
  ['ic12', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
];

export function encodeIcns(pngBySize) {
  const entries = ICNS_TYPES.map(([type, size]) => {
    const png = pngBySize.get(size);
    const entry = Buffer.alloc(8 + png.length);
    entry.write(type, 0, 'ascii');
    entry.writeUInt32BE(entry.length, 4);
    png.copy(entry, 8);
    return entry;
  });
  const header = Buffer.alloc(8);
  header.write('icns', 0, 'ascii');
  header.writeUInt32BE(8 + entries.reduce((sum, entry) => sum + entry.length, 0), 4);
  return Buffer.concat([header, ...entries]);
}

// ---------------------------------------------------------------------------------------------
// Output

/** Tray files: Windows 16 + @1.5x + @2x, Linux 32, macOS template 16 + @2x. */
export const TRAY_VARIANTS = [
  { suffix: '', size: 16, template: false },
  { suffix: '@1.5x', size: 24, template: false },
  { suffix: '@2x', size: 32, template: false },
  { suffix: '-32', size: 32, template: false },
  { suffix: 'Template', size: 16, template: true },
  { suffix: 'Template@2x', size: 32, template: true },
];
export const APP_ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
export const LINUX_ICON_SIZES = [16, 32, 48, 64, 128, 256, 512];

/** Every file this script writes, as [relative path, bytes]. */
export function renderAll() {
  const files = [];
  for (const state of STATES) {
    for (const variant of TRAY_VARIANTS) {
      const rgba = rasterize(variant.size, trayLayers(state, variant.size, variant.template));
      files.push([`tray-${state}${variant.suffix}.png`, encodePng(variant.size, variant.size, rgba)]);
    }
  }
  const app = new Map(APP_ICON_SIZES.map((size) => [size, rasterize(size, appLayers(size))]));
  const png = new Map([...app].map(([size, rgba]) => [size, encodePng(size, size, rgba)]));
  files.push(['icon.png', png.get(512)]);
  for (const size of LINUX_ICON_SIZES) files.push([`icons/${size}x${size}.png`, png.get(size)]);
  files.push(['icon.ico', encodeIco(ICO_SIZES.map((size) => ({ size, rgba: app.get(size) })))]);
  files.push(['icon.icns', encodeIcns(png)]);
  return files;
}

/** A contact sheet for eyes: every tray state at every variant, enlarged ×scale, on light and dark. */
function previewSheet(scale = 6) {
  const tiles = [];
  for (const state of STATES) for (const variant of TRAY_VARIANTS) tiles.push({ size: variant.size, rgba: rasterize(variant.size, trayLayers(state, variant.size, variant.template)) });
  const cell = 32 * scale + 8;
  const columns = TRAY_VARIANTS.length;
  const rows = STATES.length * 2;
  const width = columns * cell;
  const height = rows * cell;
  const out = new Uint8Array(width * height * 4);
  const backgrounds = [
    [236, 238, 241],
    [32, 34, 38],
  ];
  for (let band = 0; band < 2; band++) {
    const bg = backgrounds[band];
    for (let y = band * STATES.length * cell; y < (band + 1) * STATES.length * cell; y++) {
      for (let x = 0; x < width; x++) out.set([...bg, 255], (y * width + x) * 4);
    }
    tiles.forEach((tile, index) => {
      const row = Math.floor(index / columns) + band * STATES.length;
      const column = index % columns;
      const factor = Math.floor((32 * scale) / tile.size);
      for (let y = 0; y < tile.size * factor; y++) {
        for (let x = 0; x < tile.size * factor; x++) {
          const i = (Math.floor(y / factor) * tile.size + Math.floor(x / factor)) * 4;
          const alpha = tile.rgba[i + 3] / 255;
          // Template images show as the menu bar would: black on light, white on dark.
          const isTemplate = TRAY_VARIANTS[column].template;
          const src = isTemplate ? (band === 0 ? [0, 0, 0] : [255, 255, 255]) : [tile.rgba[i], tile.rgba[i + 1], tile.rgba[i + 2]];
          const o = ((row * cell + 4 + y) * width + column * cell + 4 + x) * 4;
          for (let k = 0; k < 3; k++) out[o + k] = Math.round(src[k] * alpha + out[o + k] * (1 - alpha));
        }
      }
    });
  }
  return encodePng(width, height, out);
}

async function main() {
  const files = renderAll();
  for (const [name, bytes] of files) {
    const path = join(OUT, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, bytes);
  }
  console.log(`wrote ${files.length} icon files to ${OUT}`);
  if (PREVIEW) {
    await writeFile(PREVIEW, previewSheet());
    console.log(`preview: ${PREVIEW}`);
  }
}

// Draw only when run as a script, so the functions above can be imported (e.g. for previews).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
