// The committed icons (made by scripts/make-icons.mjs): every file the shell asks for exists, is a
// real PNG of the size its name promises, and the ICO and ICNS containers hold what they claim.
import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { TRAY_ICON_STATES, trayIconFile } from './tray-model.js';

const ASSETS = fileURLToPath(new URL('../assets/', import.meta.url));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(bytes.toString('ascii', 12, 16)).toBe('IHDR');
  expect(bytes[24]).toBe(8); // bit depth
  expect(bytes[25]).toBe(6); // RGBA
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function png(name: string): { width: number; height: number } {
  return pngSize(readFileSync(join(ASSETS, name)));
}

describe('tray icons', () => {
  const variants: [string, number][] = [
    ['', 16],
    ['@1.5x', 24],
    ['@2x', 32],
    ['-32', 32],
    ['Template', 16],
    ['Template@2x', 32],
  ];

  it('exist for every state at every size', () => {
    for (const state of TRAY_ICON_STATES) {
      for (const [suffix, size] of variants) expect(png(`tray-${state}${suffix}.png`), `tray-${state}${suffix}.png`).toEqual({ width: size, height: size });
    }
  });

  it('include every file the shell loads on each platform', () => {
    for (const state of TRAY_ICON_STATES) {
      for (const platform of ['darwin', 'win32', 'linux'] as const) expect(existsSync(join(ASSETS, trayIconFile(state, platform)))).toBe(true);
    }
  });

  it('are monochrome in the macOS template variants', () => {
    // A template image carries its shape in alpha only: every visible pixel is black.
    for (const state of TRAY_ICON_STATES) {
      const bytes = readFileSync(join(ASSETS, `tray-${state}Template.png`));
      let offset = 8;
      const idat: Buffer[] = [];
      while (offset < bytes.length) {
        const length = bytes.readUInt32BE(offset);
        if (bytes.toString('ascii', offset + 4, offset + 8) === 'IDAT') idat.push(bytes.subarray(offset + 8, offset + 8 + length));
        offset += 12 + length;
      }
      const raw = inflateSync(Buffer.concat(idat));
      expect(raw.length).toBe((16 * 4 + 1) * 16);
      // Decode the row filters and check the colour channels.
      const stride = 16 * 4;
      const pixels = Buffer.alloc(stride * 16);
      for (let y = 0; y < 16; y++) {
        const filter = raw[y * (stride + 1)];
        for (let i = 0; i < stride; i++) {
          const x = raw[y * (stride + 1) + 1 + i] as number;
          const a = i >= 4 ? (pixels[y * stride + i - 4] as number) : 0;
          const b = y > 0 ? (pixels[(y - 1) * stride + i] as number) : 0;
          const c = y > 0 && i >= 4 ? (pixels[(y - 1) * stride + i - 4] as number) : 0;
          const p = a + b - c;
          const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
          const predictor = [0, a, b, (a + b) >> 1, paeth][filter as number] as number;
          pixels[y * stride + i] = (x + predictor) & 0xff;
        }
      }
      let visible = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if ((pixels[i + 3] as number) === 0) continue;
        visible++;
        expect([pixels[i], pixels[i + 1], pixels[i + 2]]).toEqual([0, 0, 0]);
      }
      expect(visible).toBeGreaterThan(20);
    }
  });
});

describe('app icons', () => {
  it('has a 512 px PNG and the Linux icon set', () => {
    expect(png('icon.png')).toEqual({ width: 512, height: 512 });
    for (const size of [16, 32, 48, 64, 128, 256, 512]) expect(png(`icons/${size}x${size}.png`)).toEqual({ width: size, height: size });
  });

  it('has an ICO with 16 to 256 px entries', () => {
    const ico = readFileSync(join(ASSETS, 'icon.ico'));
    expect(ico.readUInt16LE(0)).toBe(0);
    expect(ico.readUInt16LE(2)).toBe(1);
    const count = ico.readUInt16LE(4);
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const entry = 6 + 16 * i;
      const size = ico[entry] === 0 ? 256 : (ico[entry] as number);
      const length = ico.readUInt32LE(entry + 8);
      const offset = ico.readUInt32LE(entry + 12);
      expect(offset + length).toBeLessThanOrEqual(ico.length);
      const body = ico.subarray(offset, offset + length);
      if (size === 256) expect(pngSize(body)).toEqual({ width: 256, height: 256 });
      else expect([body.readUInt32LE(0), body.readInt32LE(4), body.readInt32LE(8), body.readUInt16LE(14)]).toEqual([40, size, size * 2, 32]);
      sizes.push(size);
    }
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256]);
  });

  it('has an ICNS whose entries are PNGs of the sizes their types name', () => {
    const icns = readFileSync(join(ASSETS, 'icon.icns'));
    expect(icns.toString('ascii', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const expected: Record<string, number> = { icp4: 16, icp5: 32, icp6: 64, ic07: 128, ic08: 256, ic09: 512, ic10: 1024, ic11: 32, ic12: 64, ic13: 256, ic14: 512 };
    const seen: string[] = [];
    for (let offset = 8; offset < icns.length; ) {
      const type = icns.toString('ascii', offset, offset + 4);
      const length = icns.readUInt32BE(offset + 4);
      const size = expected[type];
      expect(size, type).toBeDefined();
      expect(pngSize(icns.subarray(offset + 8, offset + length))).toEqual({ width: size, height: size });
      seen.push(type);
      offset += length;
    }
    expect(seen.sort()).toEqual(Object.keys(expected).sort());
  });
});
