import { describe, expect, it } from 'vitest';
import { utf8 } from '../protocol/encoding/bytes.js';
import { type ToleranceSpec, compareWasiOutputs, compareWithTolerance, decodeToleranceSpec, numbersAgree } from './tolerance.js';
import { type WasiRunOutput, outputFile } from './wasi-output.js';

const spec: ToleranceSpec = { absolute: 1e-12, relative: 1e-9 };
const compare = (a: string, b: string, s: ToleranceSpec = spec) => compareWithTolerance(utf8(a), utf8(b), s);

describe('the tolerance comparator', () => {
  it('accepts numbers that differ in their last digits, however they are printed', () => {
    expect(compare('0 0.50509803012085619 -6.332761746936411', '0 0.50509803012085630 -6.3327617469364100')).toEqual({ equal: true });
    expect(compare('1.5e-3 2E+10 .25 7.', '0.0015 20000000000 0.25000000001 7')).toEqual({ equal: true });
    expect(compare('a\tb  c\r\n', 'a b\nc')).toEqual({ equal: true });
  });

  it('refuses numbers beyond the tolerance, and says which token', () => {
    expect(compare('step 1 0.5', 'step 1 0.5000001')).toEqual({ equal: false, detail: 'token 3: "0.5" and "0.5000001" differ by more than the tolerance' });
    expect(compare('10 20', '10 21', { absolute: 0.5, relative: 0 })).toMatchObject({ equal: false });
    expect(compare('10 20', '10 20.4', { absolute: 0.5, relative: 0 })).toEqual({ equal: true });
  });

  it('scales the relative tolerance with the larger magnitude', () => {
    expect(numbersAgree(1e20, 1e20 + 1e10, { absolute: 0, relative: 1e-9 })).toBe(true);
    expect(numbersAgree(1e-20, 2e-20, { absolute: 0, relative: 1e-9 })).toBe(false);
    expect(numbersAgree(1e-20, 2e-20, { absolute: 1e-18, relative: 0 })).toBe(true);
  });

  it('matches NaN only with NaN and an infinity only with itself', () => {
    expect(compare('nan -inf INF Infinity', 'NaN -INF inf inf')).toEqual({ equal: true });
    expect(compare('nan', '0')).toMatchObject({ equal: false });
    expect(compare('inf', '-inf')).toMatchObject({ equal: false });
    expect(compare('inf', '1e308', { absolute: 0, relative: 0.5 })).toMatchObject({ equal: false });
  });

  it('compares every other token exactly, and counts tokens', () => {
    expect(compare('energy 1.0', 'Energy 1.0')).toEqual({ equal: false, detail: 'token 1: "energy" ≠ "Energy"' });
    expect(compare('1 2', '1 2 3')).toEqual({ equal: false, detail: 'token 3: "3" is extra' });
    expect(compare('1 2 3', '1 2')).toEqual({ equal: false, detail: 'token 3: "3" is missing' });
    expect(compare('0x10', '16')).toMatchObject({ equal: false });
    expect(compare('1e5x', '100000x')).toMatchObject({ equal: false });
    expect(compare('', '   \n')).toEqual({ equal: true });
  });

  it('handles bytes that are not text, and long tokens, without trouble', () => {
    expect(compareWithTolerance(new Uint8Array([0xff, 0x20, 0x31]), new Uint8Array([0xff, 0x20, 0x31]), spec)).toEqual({ equal: true });
    const a = compareWithTolerance(new Uint8Array([0xfe]), new Uint8Array([0xff]), spec);
    expect(a).toEqual({ equal: false, detail: 'token 1: "(bytes)" ≠ "(bytes)"' });
    const long = compare('1'.repeat(100), `${'1'.repeat(99)}2`);
    expect(long).toMatchObject({ equal: false });
    if (!long.equal) expect(long.detail.length).toBeLessThan(120);
  });

  it('compares WASI outputs: exit code, file names, then stdout and each file', () => {
    const out = (stdout: string, files: [string, string][], exitCode = 0): WasiRunOutput => ({ exitCode, stdout: utf8(stdout), stderr: new Uint8Array(0), stderrTruncated: false, files: files.map(([n, t]) => outputFile(n, utf8(t))) });
    const a = out('e 1.0', [['final.xyz', '0.1 0.2']]);
    expect(compareWasiOutputs(a, out('e 1.0000000000001', [['final.xyz', '0.1 0.20000000000001']]), spec)).toEqual({ equal: true });
    expect(compareWasiOutputs(a, out('e 1.0', [['final.xyz', '0.1 0.3']]), spec)).toMatchObject({ equal: false, detail: expect.stringMatching(/^final\.xyz: token 2/) as unknown });
    expect(compareWasiOutputs(a, out('e 2.0', [['final.xyz', '0.1 0.2']]), spec)).toMatchObject({ equal: false, detail: expect.stringMatching(/^stdout: token 2/) as unknown });
    expect(compareWasiOutputs(a, out('e 1.0', [['other.xyz', '0.1 0.2']]), spec)).toEqual({ equal: false, detail: 'output files [final.xyz] ≠ [other.xyz]' });
    expect(compareWasiOutputs(a, out('e 1.0', [['final.xyz', '0.1 0.2']], 1), spec)).toEqual({ equal: false, detail: 'exit code 0 ≠ 1' });
  });

  it('decodes a declared tolerance strictly', () => {
    expect(decodeToleranceSpec({ absolute: 1e-9, relative: 1e-6 })).toEqual({ ok: true, value: { absolute: 1e-9, relative: 1e-6 } });
    for (const bad of [{ absolute: -1, relative: 0 }, { absolute: 0, relative: 0.9 }, { absolute: Infinity, relative: 0 }, { absolute: '1', relative: 0 }, { absolute: 0 }, { absolute: 0, relative: 0, mode: 'ulps' }, null]) {
      const decoded = decodeToleranceSpec(bad);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.error.code).toBe('E_PROTO_INVALID');
    }
  });
});
