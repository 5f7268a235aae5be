import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from './hex.js';
import { ProtocolError } from '../errors.js';

describe('hex (strict)', () => {
  it('writes lowercase, two digits per byte', () => {
    expect(toHex(Uint8Array.of(0, 1, 0x0f, 0x10, 0xab, 0xff))).toBe('00010f10abff');
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('reads lowercase and uppercase digits', () => {
    expect(fromHex('00ABff')).toEqual(Uint8Array.of(0, 0xab, 0xff));
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });

  for (const bad of ['0', 'abc', '0x00', ' 00', '00 ', '0g', 'zz', '+1', '-1', '00\n', 'éé', '0 0', '１２']) {
    it(`rejects ${JSON.stringify(bad)} with E_PROTO_INVALID`, () => {
      let thrown: unknown;
      try {
        fromHex(bad);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ProtocolError);
      expect((thrown as ProtocolError).code).toBe('E_PROTO_INVALID');
    });
  }

  it("round-trips any bytes and matches Node's hex", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
        expect(fromHex(toHex(bytes))).toEqual(bytes);
        expect(fromHex(toHex(bytes).toUpperCase())).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
