import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode as cborgDecode, encode as cborgEncode, rfc8949EncodeOptions } from 'cborg';
import { DCBOR_MAX_DEPTH, decodeDeterministic, encodeDeterministic, type CborValue } from './dcbor.js';
import { fromHex, toHex } from './hex.js';
import { concatBytes, utf8 } from './bytes.js';
import { ProtocolError } from '../errors.js';

const hexOf = (value: unknown): string => toHex(encodeDeterministic(value));

function rejection(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('E_PROTO_INVALID');
    return error as ProtocolError;
  }
  throw new Error('expected E_PROTO_INVALID, but the call succeeded');
}

// An independent, minimal CBOR writer for building inputs by hand (shortest heads unless asked).
function head(major: number, n: number | bigint, width?: 0 | 1 | 2 | 4 | 8): Uint8Array {
  const value = BigInt(n);
  const size = width ?? (value < 24n ? 0 : value < 0x100n ? 1 : value < 0x10000n ? 2 : value < 0x100000000n ? 4 : 8);
  const info = size === 0 ? Number(value) : { 1: 24, 2: 25, 4: 26, 8: 27 }[size];
  const out = new Uint8Array(1 + size);
  out[0] = (major << 5) | info;
  for (let i = 0; i < size; i++) out[size - i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}
const text = (s: string, width?: 0 | 1 | 2 | 4 | 8): Uint8Array => concatBytes(head(3, utf8(s).length, width), utf8(s));
const uint = (n: number, width?: 0 | 1 | 2 | 4 | 8): Uint8Array => head(0, n, width);
const mapOf = (...entries: Array<[Uint8Array, Uint8Array]>): Uint8Array => concatBytes(head(5, entries.length), ...entries.flat());

describe('dcbor: RFC 8949 Appendix A examples in our subset', () => {
  const examples: Array<[value: unknown, hex: string]> = [
    [0, '00'],
    [1, '01'],
    [10, '0a'],
    [23, '17'],
    [24, '1818'],
    [25, '1819'],
    [100, '1864'],
    [1000, '1903e8'],
    [1000000, '1a000f4240'],
    [1000000000000, '1b000000e8d4a51000'],
    [-1, '20'],
    [-10, '29'],
    [-100, '3863'],
    [-1000, '3903e7'],
    [false, 'f4'],
    [true, 'f5'],
    [null, 'f6'],
    [new Uint8Array(0), '40'],
    [fromHex('01020304'), '4401020304'],
    ['', '60'],
    ['a', '6161'],
    ['IETF', '6449455446'],
    ['"\\', '62225c'],
    ['\u00fc', '62c3bc'],
    ['\u6c34', '63e6b0b4'],
    ['\ud800\udd51', '64f0908591'],
    [[], '80'],
    [[1, 2, 3], '83010203'],
    [[1, [2, 3], [4, 5]], '8301820203820405'],
    [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
    [{}, 'a0'],
    [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
    [['a', { b: 'c' }], '826161a161626163'],
    [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
  ];
  for (const [value, hex] of examples) {
    it(`${JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? `h'${toHex(v)}'` : v))} → ${hex}`, () => {
      expect(hexOf(value)).toBe(hex);
      expect(decodeDeterministic(fromHex(hex))).toEqual(value);
    });
  }

  it('writes -0 as the integer 0', () => {
    expect(hexOf(-0)).toBe('00');
    expect(hexOf({ n: -0 })).toBe('a1616e00');
  });
});

describe('dcbor: shortest heads at every boundary', () => {
  const integers: Array<[number, string]> = [
    [23, '17'],
    [24, '1818'],
    [255, '18ff'],
    [256, '190100'],
    [65535, '19ffff'],
    [65536, '1a00010000'],
    [2 ** 32 - 1, '1affffffff'],
    [2 ** 32, '1b0000000100000000'],
    [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    [-24, '37'],
    [-25, '3818'],
    [-256, '38ff'],
    [-257, '390100'],
    [-65536, '39ffff'],
    [-65537, '3a00010000'],
    [-(2 ** 32), '3affffffff'],
    [-(2 ** 32) - 1, '3b0000000100000000'],
    [Number.MIN_SAFE_INTEGER, '3b001ffffffffffffe'],
  ];
  for (const [value, hex] of integers) {
    it(`integer ${value} → ${hex}`, () => {
      expect(hexOf(value)).toBe(hex);
      expect(decodeDeterministic(fromHex(hex))).toBe(value);
    });
  }

  const lengths: Array<[number, string]> = [
    [23, '17'],
    [24, '1818'],
    [255, '18ff'],
    [256, '190100'],
    [65535, '19ffff'],
    [65536, '1a00010000'],
  ];
  for (const [length, argument] of lengths) {
    const info = (major: number) => toHex(Uint8Array.of((major << 5) | fromHex(argument)[0]!)) + argument.slice(2);
    it(`length ${length}: text, bytes, array and map heads are shortest`, () => {
      expect(hexOf('x'.repeat(length)).startsWith(info(3))).toBe(true);
      expect(hexOf(new Uint8Array(length)).startsWith(info(2))).toBe(true);
      expect(hexOf(new Array<number>(length).fill(0)).startsWith(info(4))).toBe(true);
      const map: Record<string, number> = {};
      for (let i = 0; i < length; i++) map[`k${i}`] = 0;
      expect(hexOf(map).startsWith(info(5))).toBe(true);
      expect(encodeDeterministic('x'.repeat(length))).toHaveLength(fromHex(argument).length + length);
    });
  }

  it('counts the UTF-8 bytes, not the UTF-16 units, in a text head', () => {
    expect(hexOf('é'.repeat(11))).toMatch(/^76/); // 22 bytes
    expect(hexOf('é'.repeat(12))).toMatch(/^7818/); // 24 bytes
    expect(hexOf('€'.repeat(85))).toMatch(/^78ff/); // 255 bytes
    expect(hexOf('€'.repeat(86))).toMatch(/^790102/); // 258 bytes
    expect(hexOf('😀'.repeat(6))).toMatch(/^7818/); // 24 bytes from 12 UTF-16 units
  });

  it('matches cborg for long multi-byte text whose byte length crosses a head boundary', () => {
    for (const unit of ['é', '€', '😀']) {
      const width = utf8(unit).length;
      for (const bytes of [23, 24, 255, 256, 65535, 65536, 65537]) {
        for (const pad of ['', 'a', 'ab']) {
          const value = unit.repeat(Math.floor(bytes / width)) + pad;
          expect(toHex(encodeDeterministic(value))).toBe(toHex(cborgEncode(value)));
        }
      }
    }
  });

  it('encodes only the bytes a Uint8Array view covers', () => {
    const backing = fromHex('00112233445566');
    expect(hexOf(backing.subarray(2, 5))).toBe('43223344');
    expect(hexOf(Buffer.from('ab'))).toBe('426162');
  });

  it('gives a 61-character node id the head 78 3d, as the vectors show', () => {
    expect(hexOf('node:did:key:z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE')).toMatch(/^783d/);
  });
});

describe('dcbor: map key order (encoded bytes: shorter first, then bytewise)', () => {
  it('sorts integer-like keys by length, not the way JavaScript enumerates them', () => {
    const value = { ab: 1, '100': 2 };
    expect(Object.keys(value)).toEqual(['100', 'ab']);
    expect(hexOf(value)).toBe('a2' + '626162' + '01' + '63313030' + '02');
    expect(hexOf({ '10': 1, b: 2, a: 3 })).toBe('a3' + '616103' + '616202' + '62313001');
  });

  it('puts a shorter key first even when it sorts later bytewise', () => {
    expect(hexOf({ aa: 1, b: 2 })).toBe('a2' + '616202' + '62616101');
    expect(hexOf({ aaaa: 1, zzz: 2, '€': 3 })).toBe('a3' + '637a7a7a02' + '63e282ac03' + '646161616101');
  });

  it('orders non-ASCII keys by their UTF-8 bytes', () => {
    // "é" is two bytes (c3 a9): after every one-byte key and after "zz" (7a 7a).
    expect(hexOf({ é: 1, zz: 2, z: 3 })).toBe('a3' + '617a03' + '627a7a02' + '62c3a901');
    // A supplementary character (4 bytes) after a BMP one (3 bytes) regardless of UTF-16 order.
    expect(hexOf({ '😀': 1, '\uffff': 2 })).toBe('a2' + '63efbfbf02' + '64f09f988001');
  });

  it('sorts the handshake keys in the order the vector shows', () => {
    const keys = [
      'capabilities/offered', 'ack/of-handshake-id', 'recipient/node-id', 'session/intent', 'sender/node-id',
      'handshake/mode', 'handshake/id', 'session/pub', 'key/public', 'schema/v', 'key/alg', 'nonce', 'ts',
    ];
    const value = Object.fromEntries(keys.map((k) => [k, 0]));
    const decoded = cborgDecode(encodeDeterministic(value), { useMaps: true }) as Map<string, unknown>;
    expect([...decoded.keys()]).toEqual([
      'ts', 'nonce', 'key/alg', 'schema/v', 'key/public', 'session/pub', 'handshake/id', 'handshake/mode',
      'sender/node-id', 'session/intent', 'recipient/node-id', 'ack/of-handshake-id', 'capabilities/offered',
    ]);
  });

  it('sorts nested maps too (endpoint keys)', () => {
    const value = { endpoints: [{ 'endpoint/transport': 'wss', 'endpoint/priority': 0, 'endpoint/role': 'listener', 'endpoint/url': 'u' }] };
    const decoded = cborgDecode(encodeDeterministic(value), { useMaps: true }) as Map<string, Array<Map<string, unknown>>>;
    expect([...decoded.get('endpoints')![0]!.keys()]).toEqual(['endpoint/url', 'endpoint/role', 'endpoint/priority', 'endpoint/transport']);
  });
});

describe('dcbor: values outside the subset are E_PROTO_INVALID, naming the path', () => {
  class Point {
    x = 1;
  }
  const cases: Array<[label: string, value: () => unknown, detail: string]> = [
    ['a float', () => ({ a: 1.5 }), 'a float (floats are not allowed in deterministic payloads) at $.a'],
    ['NaN in an array', () => ({ 'endpoint/url': [1, NaN] }), 'a float (floats are not allowed in deterministic payloads) at $["endpoint/url"][1]'],
    ['Infinity', () => [Infinity], 'a float (floats are not allowed in deterministic payloads) at $[0]'],
    ['-Infinity', () => ({ x: { y: -Infinity } }), 'a float (floats are not allowed in deterministic payloads) at $.x.y'],
    ['2^53 (unsafe)', () => ({ n: 2 ** 53 }), 'an integer outside the safe range at $.n'],
    ['-(2^53) (unsafe)', () => [-(2 ** 53)], 'an integer outside the safe range at $[0]'],
    ['undefined at the top', () => undefined, 'a value of type undefined at $'],
    ['an undefined field', () => ({ a: 1, b: undefined }), 'an undefined value at $.b'],
    ['undefined in an array', () => [1, undefined], 'a value of type undefined at $[1]'],
    ['a function', () => ({ f: () => 1 }), 'a value of type function at $.f'],
    ['a symbol', () => ({ s: Symbol('s') }), 'a value of type symbol at $.s'],
    ['a bigint', () => ({ big: 1n }), 'a value of type bigint at $.big'],
    ['a Date', () => ({ 'created-at': new Date(0) }), 'a non-plain object at $["created-at"]'],
    ['a Map', () => ({ m: new Map([['a', 1]]) }), 'a non-plain object at $.m'],
    ['a Set', () => [new Set([1])], 'a non-plain object at $[0]'],
    ['a class instance', () => ({ p: new Point() }), 'a non-plain object at $.p'],
    ['a typed array that is not Uint8Array', () => ({ t: new Uint16Array(2) }), 'a non-plain object at $.t'],
    // eslint-disable-next-line no-sparse-arrays
    ['an array hole', () => ({ list: [1, , 3] }), 'an array hole at $.list[1]'],
    ['a lone high surrogate', () => ({ s: 'a\ud800b' }), 'text with a lone surrogate at $.s'],
    ['a lone low surrogate', () => ['\udc00'], 'text with a lone surrogate at $[0]'],
    ['a key with a lone surrogate', () => ({ nested: { '\udfff': 1 } }), 'a key with a lone surrogate at $.nested'],
    ['a symbol-keyed property', () => ({ [Symbol('k')]: 1 }), 'a symbol-keyed property at $'],
  ];
  for (const [label, make, detail] of cases) {
    it(`rejects ${label}`, () => {
      expect(rejection(() => encodeDeterministic(make())).detail).toBe(detail);
    });
  }

  function nested(depth: number): unknown {
    let value: unknown = 0;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  }

  it(`accepts ${DCBOR_MAX_DEPTH} nested containers and rejects ${DCBOR_MAX_DEPTH + 1}`, () => {
    expect(encodeDeterministic(nested(DCBOR_MAX_DEPTH))).toHaveLength(DCBOR_MAX_DEPTH + 1);
    const error = rejection(() => encodeDeterministic(nested(DCBOR_MAX_DEPTH + 1)));
    expect(error.detail).toBe(`nesting deeper than ${DCBOR_MAX_DEPTH} at $${'[0]'.repeat(DCBOR_MAX_DEPTH)}`);
  });

  it('rejects a cycle as too deep instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(rejection(() => encodeDeterministic(cyclic)).detail).toMatch(/^nesting deeper than/);
  });

  it('accepts objects without a prototype, and byte strings', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: fromHex('00ff') });
    expect(hexOf(bare)).toBe('a161624200ff');
  });

  it('hands out a private copy of its output buffer', () => {
    const first = encodeDeterministic({ a: 'first' });
    const firstHex = toHex(first);
    encodeDeterministic({ b: 'second, longer, overwriting the scratch space' });
    expect(toHex(first)).toBe(firstHex);
  });
});

// ---- property tests ----

const boundaryIntegers = [0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];
const integerArb = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.maxSafeInteger(),
  fc.constantFrom(...boundaryIntegers.flatMap((n) => [n, -n - 1].filter((m) => Number.isSafeInteger(m)))),
);
const textArb = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }));
const keyArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.nat(100_000).map(String),
  fc.constantFrom('schema/v', 'node/id', 'endpoint/url', 'ts', 'nonce', 'é', 'zz', '€', '😀', '\uffff', '__proto__', 'constructor'),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const leafArb: fc.Arbitrary<CborValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  integerArb,
  textArb,
  fc.uint8Array({ maxLength: 40 }),
);
const { value: valueArb } = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 6, noNullPrototype: true }),
  ),
}));
const mapArb = fc.dictionary(keyArb, valueArb, { minKeys: 2, maxKeys: 8, noNullPrototype: true });

/** Rebuilds every map with its keys in another order (a seeded shuffle). */
function reorderKeys(value: unknown, seed: number): unknown {
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) Object.defineProperty(out, key, { value: walk((v as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
    return out;
  };
  return walk(value);
}

/** cborg hands byte strings back as Uint8Array and plain objects for maps; normalise for comparison. */
function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${toHex(value)}`;
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normalise(v)]).sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)));
  }
  return value;
}

describe('dcbor: properties', () => {
  it('an independent decoder (cborg, and cborg in strict mode) reads our output back as the input', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const bytes = encodeDeterministic(value);
        expect(normalise(cborgDecode(bytes))).toEqual(normalise(value));
        const strict = cborgDecode(bytes, { strict: true, rejectDuplicateMapKeys: true, allowIndefinite: false, allowUndefined: false });
        expect(normalise(strict)).toEqual(normalise(value));
      }),
      { numRuns: 500 },
    );
  });

  it("our bytes equal cborg's own canonical encoding (length-first and RFC 8949 bytewise sorters)", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const ours = toHex(encodeDeterministic(value));
        expect(toHex(cborgEncode(value))).toBe(ours);
        expect(toHex(cborgEncode(value, rfc8949EncodeOptions))).toBe(ours);
      }),
      { numRuns: 500 },
    );
  });

  it('key insertion order never changes the bytes', () => {
    fc.assert(
      fc.property(valueArb, fc.integer(), (value, seed) => {
        expect(toHex(encodeDeterministic(reorderKeys(value, seed)))).toBe(toHex(encodeDeterministic(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('decodeDeterministic gives back exactly what was encoded', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const decoded = decodeDeterministic(encodeDeterministic(value));
        expect(normalise(decoded)).toEqual(normalise(value));
        expect(toHex(encodeDeterministic(decoded))).toBe(toHex(encodeDeterministic(value)));
      }),
      { numRuns: 400 },
    );
  });

  it('decodeDeterministic rejects any trailing bytes', () => {
    fc.assert(
      fc.property(valueArb, fc.uint8Array({ minLength: 1, maxLength: 4 }), (value, tail) => {
        rejection(() => decodeDeterministic(concatBytes(encodeDeterministic(value), tail)));
      }),
      { numRuns: 200 },
    );
  });

  it('decodeDeterministic rejects a truncated item', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const bytes = encodeDeterministic(value);
        rejection(() => decodeDeterministic(bytes.subarray(0, bytes.length - 1)));
      }),
      { numRuns: 200 },
    );
  });

  it('decodeDeterministic rejects a map whose entries are not in canonical order', () => {
    fc.assert(
      fc.property(mapArb, (map) => {
        const entries = Object.keys(map)
          .map((k) => [text(k), encodeDeterministic(map[k])] as [Uint8Array, Uint8Array])
          .sort(([a], [b]) => a.length - b.length || toHex(a).localeCompare(toHex(b)));
        const canonical = mapOf(...entries);
        expect(toHex(canonical)).toBe(toHex(encodeDeterministic(map)));
        rejection(() => decodeDeterministic(mapOf(...[...entries].reverse())));
      }),
      { numRuns: 200 },
    );
  });

  it('decodeDeterministic rejects every non-minimal integer and length head', () => {
    const widths = [1, 2, 4, 8] as const;
    const limits = { 1: 24, 2: 0x100, 4: 0x10000, 8: 0x100000000 } as const;
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.constantFrom(...widths), fc.constantFrom(0, 1), (n, width, major) => {
        if (n >= limits[width]) return; // this width is the shortest for n
        rejection(() => decodeDeterministic(head(major, n, width)));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.constantFrom(1, 2, 4, 8) as fc.Arbitrary<1 | 2 | 4 | 8>, (s, width) => {
        if (utf8(s).length >= limits[width]) return;
        rejection(() => decodeDeterministic(text(s, width)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('dcbor: decodeDeterministic rejects non-canonical and out-of-subset encodings', () => {
  const bad: Array<[label: string, hex: string]> = [
    ['a non-minimal uint head (1 byte for 23)', '1817'],
    ['a non-minimal uint head (2 bytes for 255)', '1900ff'],
    ['a non-minimal negint head', '3800'],
    ['a non-minimal text head', '780161'],
    ['a non-minimal array head', '980101'],
    ['a non-minimal map head', 'b801616101'],
    ['unsorted keys (b before a)', 'a2616201616101'],
    ['unsorted keys (longer before shorter)', 'a262616101616202'],
    ['a duplicate key', 'a2616101616102'],
    ['a non-text key', 'a10101'],
    ['an indefinite-length array', '9f01ff'],
    ['an indefinite-length map', 'bf616101ff'],
    ['an indefinite-length text', '7f6161ff'],
    ['an indefinite-length byte string', '5f4101ff'],
    ['tag 0 (date/time text)', 'c074323031332d30332d32315432303a30343a30305a'],
    ['tag 1 (epoch time)', 'c11a514b67b0'],
    ['tag 2 (bignum)', 'c249010000000000000000'],
    ['the self-describe tag 55799', 'd9d9f701'],
    ['a half float 1.5', 'f93e00'],
    ['a half float 1.0 (an integral float)', 'f93c00'],
    ['a single float 100000.0', 'fa47c35000'],
    ['a double 1.1', 'fb3ff199999999999a'],
    ['a half-float NaN', 'f97e00'],
    ['a half-float Infinity', 'f97c00'],
    ['undefined', 'f7'],
    ['a simple value', 'f0'],
    ['a two-byte simple value', 'f820'],
    ['an unsafe integer 2^53', '1b0020000000000000'],
    ['an unsafe negative integer -(2^53)-1', '3b0020000000000000'],
    ['a trailing byte', '0000'],
    ['two items', '6161f6'],
    ['an empty input', ''],
    ['a truncated text', '6361'],
    ['a reserved additional info', '1c'],
    ['a break byte alone', 'ff'],
    ['invalid UTF-8 in a text', '62c328'],
  ];
  for (const [label, hex] of bad) {
    it(`rejects ${label}`, () => {
      rejection(() => decodeDeterministic(fromHex(hex)));
    });
  }

  it(`rejects nesting deeper than ${DCBOR_MAX_DEPTH}, and absurd nesting without crashing`, () => {
    const nest = (depth: number) => concatBytes(new Uint8Array(depth).fill(0x81), Uint8Array.of(0));
    expect(decodeDeterministic(nest(DCBOR_MAX_DEPTH))).toBeDefined();
    rejection(() => decodeDeterministic(nest(DCBOR_MAX_DEPTH + 1)));
    rejection(() => decodeDeterministic(nest(200_000)));
  });

  it('rejects a length that claims more than the input holds', () => {
    rejection(() => decodeDeterministic(fromHex('5bffffffffffffffff')));
    rejection(() => decodeDeterministic(fromHex('9bffffffffffffffff')));
    rejection(() => decodeDeterministic(fromHex('7a7fffffff')));
  });

  it('keeps a "__proto__" key as data rather than a prototype', () => {
    const decoded = decodeDeterministic(mapOf([text('__proto__'), uint(1)])) as Record<string, unknown>;
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(decoded)).not.toBe(1);
  });

  it('accepts the canonical forms it writes, e.g. a signed-map shape', () => {
    const payload = { 'schema/v': 1, 'sequence/no': 17, 'node/id': 'node:did:key:z6Mk', endpoints: [{ 'endpoint/priority': 0 }], ok: true, none: null };
    expect(decodeDeterministic(encodeDeterministic(payload))).toEqual(payload);
  });
});
