import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromBase64url, toBase64url } from './base64url.js';
import { utf8 } from './bytes.js';
import { fromHex, toHex } from './hex.js';
import { ProtocolError } from '../errors.js';

function rejects(text: string, detail: string): void {
  let thrown: unknown;
  try {
    fromBase64url(text);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${JSON.stringify(text)} should be rejected`).toBeInstanceOf(ProtocolError);
  expect((thrown as ProtocolError).code).toBe('E_PROTO_INVALID');
  expect((thrown as ProtocolError).detail).toContain(detail);
}

describe('base64url (RFC 4648 §5, unpadded, strict)', () => {
  const rfc4648: Array<[string, string]> = [
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, encoded] of rfc4648) {
    it(`RFC 4648 test vector ${JSON.stringify(plain)} ↔ ${JSON.stringify(encoded)}`, () => {
      expect(toBase64url(utf8(plain))).toBe(encoded);
      expect(fromBase64url(encoded)).toEqual(utf8(plain));
    });
  }

  it('uses the URL alphabet: - and _ instead of + and /', () => {
    expect(toBase64url(fromHex('fbff'))).toBe('-_8');
    expect(toHex(fromBase64url('-_8'))).toBe('fbff');
    expect(toBase64url(fromHex('fa4834147f6e690c3693eff61336046403cd8ae2a14f31b3c407358569239565'))).toBe(
      '-kg0FH9uaQw2k-_2EzYEZAPNiuKhTzGzxAc1hWkjlWU',
    );
  });

  it('writes a 64-byte signature as 86 characters and a 32-byte key as 43', () => {
    expect(toBase64url(new Uint8Array(64))).toHaveLength(86);
    expect(toBase64url(new Uint8Array(32))).toHaveLength(43);
  });

  it('rejects padding', () => {
    rejects('Zg==', 'outside the alphabet');
    rejects('Zm8=', 'outside the alphabet');
    rejects('Zg=', 'outside the alphabet');
  });

  it('rejects characters outside the URL alphabet', () => {
    for (const text of ['Zm+v', 'Zm/v', 'Zm9 ', ' Zm9', 'Zm9v\n\n', 'Zm9é', 'Zm9\u0000', 'Zm.v', 'Zm9vYmF=']) rejects(text, 'outside the alphabet');
  });

  it('rejects an impossible length (4n + 1 characters)', () => {
    for (const text of ['Z', 'Zm9vY', 'Zm9vYmFyZ']) rejects(text, 'impossible length');
  });

  it('rejects non-canonical tails: unused low bits must be zero', () => {
    rejects('Zh', 'not canonical'); // Zg is the canonical text of "f"
    rejects('Zv', 'not canonical');
    rejects('Zm9', 'not canonical'); // Zm8 is the canonical text of "fo"
    rejects('Zm-', 'not canonical');
    rejects('-_9', 'not canonical');
  });

  it('round-trips any bytes, and matches Node\'s own base64url', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64url(text)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('gives every byte string exactly one accepted text: anything else decodes or is E_PROTO_INVALID, never both ways', () => {
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= '];
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 12 }), (text) => {
        let bytes: Uint8Array;
        try {
          bytes = fromBase64url(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
          expect((error as ProtocolError).code).toBe('E_PROTO_INVALID');
          return;
        }
        expect(toBase64url(bytes)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});
