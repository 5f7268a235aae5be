import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesEqual, compareBytes, concatBytes, fromUtf8, isWellFormedText, utf8 } from './bytes.js';

describe('byte helpers', () => {
  it('tells well-formed text from text with lone surrogates', () => {
    expect(isWellFormedText('plain')).toBe(true);
    expect(isWellFormedText('😀 é €')).toBe(true);
    expect(isWellFormedText('\ud83d\ude00')).toBe(true);
    expect(isWellFormedText('\ud83d')).toBe(false);
    expect(isWellFormedText('\ude00')).toBe(false);
    expect(isWellFormedText('a\ude00\ud83d')).toBe(false);
    expect(isWellFormedText('\ud83d\ud83d\ude00')).toBe(false);
  });

  it('agrees with String.prototype.isWellFormed where the runtime has it', () => {
    const native = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', 'a'), fc.string({ unit: 'binary', maxLength: 1 })), maxLength: 8 }), (text) => {
        const roundTrips = fromUtf8(utf8(text)) === text;
        expect(isWellFormedText(text)).toBe(roundTrips);
        if (native) expect(isWellFormedText(text)).toBe(native.call(text));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects invalid UTF-8 when decoding', () => {
    expect(() => fromUtf8(Uint8Array.of(0xc3, 0x28))).toThrow();
    expect(() => fromUtf8(Uint8Array.of(0xed, 0xa0, 0x80))).toThrow(); // an encoded surrogate
  });

  it('orders bytes lexicographically, a prefix first', () => {
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 9))).toBeGreaterThan(0);
    expect(compareBytes(Uint8Array.of(), Uint8Array.of())).toBe(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }), (a, b) => {
        expect(Math.sign(compareBytes(a, b))).toBe(Math.sign(Buffer.compare(a, b)));
        expect(bytesEqual(a, b)).toBe(Buffer.compare(a, b) === 0);
      }),
    );
  });

  it('concatenates in order', () => {
    expect(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
    expect(concatBytes()).toEqual(new Uint8Array(0));
  });
});
