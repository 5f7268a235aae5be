// Issue 8 §5 (secrets): the needles (harden/secrets/encodings.ts) and the scanner
// (harden/secrets/scanner.ts). A key embedded at any offset of a longer buffer, then encoded, is
// found; base58 finds the key encoded on its own; wrapped, spaced and UTF-16 text is found; random
// bytes and other keys are not; the one-pass index finds exactly what a naive search finds.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64Fragments, keyForms, needlesFor, toBase58btc, type Needle } from '../../harden/secrets/encodings.js';
import { INDEX_WINDOW, SecretIndex, emptyTotals, judge, scanMessages, scanTree, squeeze } from '../../harden/secrets/scanner.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { toBase58 } from '../../src-shared/protocol/encoding/base58.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pnode-secrets-unit-'));
  dirs.push(dir);
  return dir;
}

function seed(): Uint8Array {
  return Uint8Array.from(randomBytes(32));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** The X25519 secret is not the scalar (clamping changed it): every form has bytes of its own. */
function formsDiffer(forms: Map<string, Uint8Array>): boolean {
  return !sameBytes(forms.get('x25519-secret')!, forms.get('ed25519-scalar')!);
}

/** The first of a fixed series of seeds whose key forms pass `wanted` (bounded: a test needs one). */
function seedWhere(wanted: (forms: Map<string, Uint8Array>) => boolean): Uint8Array {
  for (let i = 0; i < 10_000; i++) {
    const candidate = Uint8Array.from(createHash('sha256').update(`secrets-encodings seed ${i}`).digest());
    if (wanted(new Map(keyForms(candidate).map((f) => [f.form, f.bytes])))) return candidate;
  }
  throw new Error('no seed in the series has the forms wanted');
}

/** The encodings names that found `key` in `data`. */
function found(index: SecretIndex, data: string | Uint8Array, key = 'k'): string[] {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return index
    .search(bytes)
    .filter((h) => h.needle.key === key)
    .map((h) => `${h.needle.form}/${h.needle.encoding}`);
}

describe('key forms', () => {
  it('derive what the product derives: the public key, the X25519 secret, importable PKCS#8', () => {
    for (let i = 0; i < 20; i++) {
      const s = seed();
      const forms = new Map(keyForms(s).map((f) => [f.form, f.bytes]));
      const publicKey = nativeCrypto.ed25519Signer(s).publicKey;
      expect(Buffer.from(forms.get('seed+public')!)).toEqual(Buffer.concat([s, publicKey]));
      expect(Buffer.from(forms.get('x25519-secret')!)).toEqual(Buffer.from(nativeCrypto.ed25519SecretToX25519(s)));
      expect(createPrivateKey({ key: Buffer.from(forms.get('ed25519-pkcs8')!), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('ed25519');
      expect(createPrivateKey({ key: Buffer.from(forms.get('x25519-pkcs8')!), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('x25519');
    }
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => keyForms(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('base58btc', () => {
  it('matches the product encoder, leading zeros included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.nat(4), (bytes, zeros) => {
        const input = Uint8Array.from([...new Uint8Array(zeros), ...bytes]);
        expect(toBase58btc(input)).toBe(toBase58(input));
      }),
      { numRuns: 300 },
    );
  });
});

describe('needles', () => {
  it('base64 fragments depend on the key alone: 40 characters for a 32-byte key at each offset class', () => {
    const s = seed();
    for (const variant of ['base64', 'base64url'] as const) {
      const fragments = base64Fragments(s, variant);
      expect(fragments.map((f) => f.length)).toEqual([40, 40, 40]);
    }
  });

  it('a key embedded at any offset of a longer buffer, then encoded, is found (hex, HEX, base64, base64url, raw)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (key, before, after) => {
        const index = new SecretIndex(needlesFor('k', key));
        const buffer = Buffer.concat([before, key, after]);
        const hits = (text: string): string[] => found(index, `{"blob":"${text}"}`);
        expect(hits(buffer.toString('hex'))).toContain('seed/hex');
        expect(hits(buffer.toString('hex').toUpperCase())).toContain('seed/HEX');
        const k = before.length % 3;
        expect(hits(buffer.toString('base64')).some((h) => h.startsWith('seed/base64') && h.endsWith(`@${k}`))).toBe(true);
        expect(hits(buffer.toString('base64url')).some((h) => h.startsWith('seed/base64') && h.endsWith(`@${k}`))).toBe(true);
        expect(found(index, buffer)).toContain('seed/raw');
      }),
      { numRuns: 300 },
    );
  });

  it('base58 finds every form encoded on its own (did:key / multibase style)', () => {
    const s = seedWhere(formsDiffer);
    const index = new SecretIndex(needlesFor('k', s));
    for (const form of keyForms(s)) {
      expect(found(index, `{"key": "z${toBase58(form.bytes)}"}`)).toContain(`${form.form}/base58`);
    }
  });

  it('the derived forms are found too: the X25519 secret in hex, the expanded key in base64', () => {
    const s = seedWhere(formsDiffer);
    const index = new SecretIndex(needlesFor('k', s));
    const forms = new Map(keyForms(s).map((f) => [f.form, f.bytes]));
    expect(found(index, `dh2 secret ${Buffer.from(forms.get('x25519-secret')!).toString('hex')}`)).toContain('x25519-secret/hex');
    expect(found(index, Buffer.from(forms.get('sha512-expanded')!).toString('base64')).some((h) => h.startsWith('sha512-expanded/base64'))).toBe(true);
    expect(found(index, Buffer.from(forms.get('ed25519-pkcs8')!).toString('base64')).some((h) => h.startsWith('seed/base64'))).toBe(true);
  });

  it('reports bytes two forms share once, under the first form (a scalar that is already clamped is its X25519 secret)', () => {
    // One seed in 32 has an Ed25519 scalar that clamping leaves as it is.
    const s = seedWhere((forms) => !formsDiffer(forms));
    const index = new SecretIndex(needlesFor('k', s));
    const secret = keyForms(s).find((f) => f.form === 'x25519-secret')!.bytes;
    expect(found(index, `dh2 secret ${Buffer.from(secret).toString('hex')}`)).toEqual(['ed25519-scalar/hex']);
  });

  it('text that was wrapped, spaced, inspected or stored as UTF-16 is found', () => {
    const s = seed();
    const index = new SecretIndex(needlesFor('k', s));
    const key = Buffer.from(s);
    const long = Buffer.concat([randomBytes(7), key, randomBytes(9)]).toString('base64');
    const pem = `-----BEGIN SOMETHING-----\n${long.match(/.{1,16}/g)!.join('\n')}\n-----END SOMETHING-----\n`;
    expect(found(index, pem).some((h) => h.startsWith('seed/base64'))).toBe(true);
    expect(found(index, `seed: ${inspect(key)}`)).toContain('seed/hex');
    expect(found(index, `seed: ${inspect(new Uint8Array(s))}`)).toContain('seed/decimal');
    expect(found(index, JSON.stringify({ seed: key }))).toContain('seed/decimal');
    expect(found(index, `priv:\n    ${key.toString('hex').match(/../g)!.join(':').match(/.{1,45}/g)!.join('\n    ')}\n`)).toContain('seed/hex:');
    expect(found(index, Buffer.from(`key=${key.toString('base64url')}`, 'utf16le')).some((h) => h.startsWith('seed/base64') && h.endsWith('@0'))).toBe(true);
    // A hit across removed whitespace is reported at its offset in the original, marked spread.
    const hit = index.search(Buffer.from(pem)).find((h) => h.needle.form === 'seed')!;
    expect(hit.spread).toBe(true);
    expect(pem[hit.offset]).not.toMatch(/\s/);
    expect(pem.slice(hit.offset).replace(/\s/g, '').startsWith(Buffer.from(hit.needle.bytes).toString('latin1'))).toBe(true);
  });

  it('random bytes, their encodings and other keys are not found', () => {
    const index = new SecretIndex([...needlesFor('a', seed()), ...needlesFor('b', seed())]);
    const noise = randomBytes(1 << 20);
    const other = Buffer.from(seed());
    const text = [noise.toString('hex'), noise.toString('base64'), noise.toString('base64url'), toBase58(other), other.toString('hex'), JSON.stringify([...other])].join('\n');
    expect(index.search(noise)).toEqual([]);
    expect(index.search(Buffer.from(text))).toEqual([]);
  });

  it('every needle is at least 24 bytes long and a key has the same number of needles as any other', () => {
    const a = needlesFor('a', seed());
    expect(Math.min(...a.map((n) => n.bytes.length))).toBeGreaterThanOrEqual(24);
    expect(new Set(a.map((n) => `${n.form}/${n.encoding}`)).size).toBe(a.length);
  });
});

describe('the one-pass index', () => {
  it('finds exactly what a naive search finds, at every position', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 24, maxLength: 60 }), { minLength: 1, maxLength: 8 }), fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.array(fc.tuple(fc.nat(7), fc.nat(400)), { maxLength: 6 }), (needleBytes, base, plants) => {
        const needles: Needle[] = needleBytes.map((bytes, i) => ({ key: `k${i}`, form: 'seed', encoding: 'raw', bytes, view: 'bytes' }));
        const data = Buffer.from(base);
        let haystack: Buffer = data;
        for (const [which, at] of plants) {
          const needle = needleBytes[which % needleBytes.length]!;
          const pos = Math.min(at, haystack.length);
          haystack = Buffer.concat([haystack.subarray(0, pos), needle, haystack.subarray(pos)]);
        }
        const naive: string[] = [];
        needles.forEach((n) => {
          for (let i = 0; i + n.bytes.length <= haystack.length; i++) if (haystack.subarray(i, i + n.bytes.length).equals(n.bytes)) naive.push(`${n.key}@${i}`);
        });
        const fast = new SecretIndex(needles).search(haystack).map((h) => `${h.needle.key}@${h.offset}`);
        expect(fast.sort()).toEqual(naive.sort());
      }),
      { numRuns: 300 },
    );
    expect(INDEX_WINDOW).toBeLessThanOrEqual(24);
  });

  it('squeezes whitespace and NUL only', () => {
    expect(Buffer.from(squeeze(Buffer.from('a b\tc\r\nd\0e\vf\fg'))).toString()).toBe('abcdefg');
    const same = Buffer.from('abc');
    expect(squeeze(same)).toBe(same);
  });
});

describe('scanTree, scanMessages and judge', () => {
  it('reads every file (binary, nested, hidden), names and link targets, and lists what it skips', async () => {
    const dir = tempDir();
    const s = seed();
    const key = Buffer.from(s);
    const index = new SecretIndex(needlesFor('k', s));
    mkdirSync(join(dir, 'a', 'b', 'c'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'c', '.hidden.bin'), Buffer.concat([randomBytes(100), key, randomBytes(100)]));
    writeFileSync(join(dir, 'a', 'plain.txt'), 'nothing to see');
    writeFileSync(join(dir, 'a', `${key.toString('hex')}.json`), '{}');
    symlinkSync(key.toString('base64url'), join(dir, 'link'));
    writeFileSync(join(dir, 'big.log'), Buffer.alloc(2048));
    mkdirSync(join(dir, 'deep', 'x', 'y', 'z'), { recursive: true });
    const totals = await scanTree(index, dir, emptyTotals(), { maxFileBytes: 1024, maxDepth: 3 });
    const where = totals.hits.map((h) => `${h.kind}:${h.source.slice(dir.length + 1)}:${h.form}/${h.encoding}`);
    expect(where).toContain('file:a/b/c/.hidden.bin:seed/raw');
    expect(where).toContain(`file-name:a/${key.toString('hex')}.json:seed/hex`);
    expect(where.some((w) => w.startsWith('file-name:link:seed/base64'))).toBe(true);
    expect(totals.skipped.map((s) => s.source.slice(dir.length + 1))).toEqual(['big.log', 'deep/x/y/z']);
    expect(totals.files).toBe(3);
  });

  it('judge: an allowed file may hold its own key only; an allowed file without its key is unseen', () => {
    const a = seed();
    const b = seed();
    const index = new SecretIndex([...needlesFor('a', a), ...needlesFor('b', b)]);
    const totals = scanMessages(index, [
      { name: 'm1', data: `x ${Buffer.from(a).toString('base64url')} y` },
      { name: 'm2', data: 'clean' },
    ]);
    expect(totals.messages).toBe(2);
    expect(totals.hits.map((h) => `${h.source}:${h.key}`)).toEqual(['m1:a']);
    const allowedFile = { ...totals.hits[0]!, source: '/x/key.json', kind: 'file' as const };
    const otherKey = { ...allowedFile, key: 'b' };
    const verdict = judge({ ...totals, hits: [allowedFile, otherKey] }, [
      { path: '/x/key.json', key: 'a' },
      { path: '/y/key.json', key: 'b' },
    ]);
    expect(verdict.allowedHits).toEqual([allowedFile]);
    expect(verdict.leaks).toEqual([otherKey]);
    expect(verdict.unseen).toEqual([{ path: '/y/key.json', key: 'b' }]);
  });
});
