import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BASE58_ALPHABET, BASE58_MAX_DECODE_LENGTH, fromBase58, toBase58 } from './base58.js';
import { utf8 } from './bytes.js';
import { fromHex } from './hex.js';
import { ProtocolError } from '../errors.js';

function rejects(text: string, detail: string): void {
  let thrown: unknown;
  try {
    fromBase58(text);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${JSON.stringify(text)} should be rejected`).toBeInstanceOf(ProtocolError);
  expect((thrown as ProtocolError).code).toBe('E_PROTO_INVALID');
  expect((thrown as ProtocolError).detail).toContain(detail);
}

describe('base58btc (Bitcoin alphabet)', () => {
  it('uses the Bitcoin alphabet: no 0, O, I or l', () => {
    expect(BASE58_ALPHABET).toBe('123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz');
    expect(BASE58_ALPHABET).toHaveLength(58);
  });

  const known: Array<[bytes: Uint8Array, text: string]> = [
    [new Uint8Array(0), ''],
    [Uint8Array.of(0), '1'],
    [Uint8Array.of(0, 0, 0), '111'],
    [Uint8Array.of(57), 'z'],
    [Uint8Array.of(58), '21'],
    [Uint8Array.of(255), '5Q'],
    [utf8('Hello World!'), '2NEpo7TZRRrLZSi2U'],
    [utf8('The quick brown fox jumps over the lazy dog.'), 'USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z'],
    [fromHex('0000287fb4cd'), '11233QC4'],
    [fromHex('ed01fa4834147f6e690c3693eff61336046403cd8ae2a14f31b3c407358569239565'), '6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE'],
  ];
  for (const [bytes, text] of known) {
    it(`${JSON.stringify(text)} ↔ ${bytes.length} bytes`, () => {
      expect(toBase58(bytes)).toBe(text);
      expect(fromBase58(text)).toEqual(bytes);
    });
  }

  it('keeps leading zero bytes as leading "1"s', () => {
    expect(toBase58(Uint8Array.of(0, 0, 1))).toBe('112');
    expect(fromBase58('112')).toEqual(Uint8Array.of(0, 0, 1));
  });

  it('rejects characters outside the alphabet', () => {
    for (const bad of ['0', 'O', 'I', 'l', '+', '/', ' ', '-', '_', 'é', '\u0000', '６']) rejects(`2NEp${bad}o7`, 'outside the alphabet');
  });

  it(`rejects text longer than ${BASE58_MAX_DECODE_LENGTH} characters before decoding`, () => {
    expect(fromBase58('2'.repeat(BASE58_MAX_DECODE_LENGTH)).length).toBeGreaterThan(0);
    rejects('2'.repeat(BASE58_MAX_DECODE_LENGTH + 1), 'too long');
  });

  it('round-trips any bytes, leading zeros included', () => {
    const withZeros = fc.tuple(fc.nat(4), fc.uint8Array({ maxLength: 60 })).map(([zeros, rest]) => Uint8Array.from([...new Array<number>(zeros).fill(0), ...rest]));
    fc.assert(
      fc.property(withZeros, (bytes) => {
        const text = toBase58(bytes);
        expect(/^[1-9A-HJ-NP-Za-km-z]*$/.test(text)).toBe(true);
        expect(fromBase58(text)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes any alphabet text to bytes that encode back to the same text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...BASE58_ALPHABET), maxLength: 60 }), (text) => {
        expect(toBase58(fromBase58(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});
