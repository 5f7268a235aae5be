// A plain CBOR writer for the harness: writes any JSON/CBOR-like value the way a careless peer
// would (keys in insertion order, floats as float64, no depth limit; iterative, so any depth
// works). Used where cbor-x gives up (it recurses) or where non-deterministic forms are wanted.

function head(out: number[], major: number, length: number | bigint): void {
  const n = typeof length === 'bigint' ? length : BigInt(length);
  const m = major << 5;
  if (n < 24n) out.push(m | Number(n));
  else if (n < 0x100n) out.push(m | 24, Number(n));
  else if (n < 0x10000n) out.push(m | 25, Number(n >> 8n), Number(n & 0xffn));
  else if (n < 0x100000000n) out.push(m | 26, ...[24n, 16n, 8n, 0n].map((s) => Number((n >> s) & 0xffn)));
  else out.push(m | 27, ...[56n, 48n, 40n, 32n, 24n, 16n, 8n, 0n].map((s) => Number((n >> s) & 0xffn)));
}

function scalar(out: number[], value: unknown): void {
  if (value === null || value === undefined) out.push(0xf6);
  else if (value === false) out.push(0xf4);
  else if (value === true) out.push(0xf5);
  else if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
      if (value >= 0) head(out, 0, value);
      else head(out, 1, -1 - value);
    } else {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, value);
      out.push(0xfb, ...new Uint8Array(view.buffer));
    }
  } else if (typeof value === 'bigint') {
    if (value >= 0n) head(out, 0, value);
    else head(out, 1, -1n - value);
  } else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    head(out, 3, bytes.length);
    for (const b of bytes) out.push(b);
  } else if (value instanceof Uint8Array) {
    head(out, 2, value.length);
    for (const b of value) out.push(b);
  } else {
    out.push(0xf7);
  }
}

/** CBOR bytes of `value`, keys in insertion order, any depth. */
export function writeCbor(value: unknown): Uint8Array {
  const out: number[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      head(out, 4, item.length);
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    } else if (typeof item === 'object' && item !== null && !(item instanceof Uint8Array)) {
      const keys = Object.keys(item);
      head(out, 5, keys.length);
      for (let i = keys.length - 1; i >= 0; i--) stack.push((item as Record<string, unknown>)[keys[i]!], keys[i]);
    } else {
      scalar(out, item);
    }
  }
  return Uint8Array.from(out);
}
