// Issue 8 §5 (secrets): what a leaked key looks like. Given a secret Ed25519 seed, the byte strings
// ("needles") that would appear in a file, a log line or a message holding that key in any of the
// encodings a program commonly uses, so a scanner can look for all of them at once
// (scanner.ts). Pure: no I/O, no state; node:crypto only derives the forms below.
//
// Forms: the bytes a leak could take, derived from the 32-byte seed.
//   seed               the 32-byte Ed25519 seed itself: what the keystores hold
//   ed25519-scalar     SHA-512(seed)[0..32] before clamping (the "expanded" secret's first half)
//   x25519-secret      clamp(SHA-512(seed)[0..32]): the X25519 secret the handshake derives (DH2/DH3)
//   sha512-expanded    SHA-512(seed), all 64 bytes (libsodium-style expanded secret key)
//   seed+public        seed ‖ public key, 64 bytes (the NaCl / libsodium "secret key" layout)
//   ed25519-pkcs8      the PKCS#8 DER the native provider builds to import the seed
//   x25519-pkcs8       the PKCS#8 DER it builds to import the X25519 secret
//   ed25519-multicodec 0x8026 (multicodec ed25519-priv, varint) ‖ seed: a secret written the way
//                      did:key writes public keys (z + base58btc)
//   x25519-multicodec  0x8226 (x25519-priv) ‖ X25519 secret, likewise
//
// Encodings, and why each needle is there:
//   raw        the bytes themselves (a binary file, a CBOR blob, a heap or core image). Searched in
//              the bytes as they are.
//   hex, HEX   lower- and uppercase hex. Hex maps each byte to two characters on its own, so a key
//              inside a longer buffer encodes to exactly the key's own hex wherever it sits: one
//              needle per case covers every offset (there is no nibble alignment to think about).
//   hex:       colon-separated lowercase hex ("0c:22:…"), as `openssl pkey -text` prints keys.
//   decimal    the bytes as comma-separated decimals ("12,34,…"): JSON of an array of numbers,
//              Buffer#toJSON, util.inspect of a Uint8Array.
//   base64@k, base64url@k (k = 0, 1, 2)
//              base64 maps 3 bytes to 4 characters, so the characters a key produces depend on
//              where it starts in the encoded buffer (its offset mod 3) and, at its two ends, on
//              the neighbouring bytes. For each offset class k, the needle is the encoding of the
//              key's bytes from the first group boundary inside it to the last: the leading
//              (3 - k) % 3 bytes and the trailing bytes that share a group with a neighbour are
//              dropped, the rest encodes to characters that depend on the key alone. A 32-byte key
//              leaves 30 bytes = 40 characters (240 bits) at every k: a match by chance is
//              impossible. Padding never appears in these needles, so padded and unpadded
//              encodings both match; base64url differs only in '-' and '_' (deduplicated when the
//              fragment has neither).
//   base58     base58btc of the form encoded on its own (as did:key and multibase "z…" do). base58
//              treats the whole input as one big number: a key inside a longer buffer leaves no
//              recognisable substring, so this needle only covers a form encoded by itself. That is
//              why the forms above include the longer layouts (seed+public, PKCS#8, multicodec):
//              each is a buffer a program could base58-encode as a whole. Their other encodings
//              add nothing (each contains the seed or the X25519 secret as a byte run, which the
//              positional needles of those forms already find), so they get only a base58 needle.
//
// Text needles (everything but raw) are searched in a "squeezed" view of the data with ASCII
// whitespace and NUL bytes removed (scanner.ts): that also finds base64 wrapped at 64 or 76
// columns (PEM, MIME), hex split by spaces (`<Buffer 0c 22 …>` from util.inspect), decimals padded
// by util.inspect, openssl's wrapped colon-hex, and ASCII text stored as UTF-16 (a NUL after every
// character). Not covered, by design: encryption (the point of the passphrase-encrypted export),
// base32, percent-encoded base64, bit-shifted data, and base58 of a key embedded in a longer buffer.
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';

export const SEED_LENGTH = 32;
/** No needle is shorter than this: a shorter one could match unrelated data by chance. */
export const MIN_NEEDLE_BYTES = 24;

export type KeyFormName =
  | 'seed'
  | 'ed25519-scalar'
  | 'x25519-secret'
  | 'sha512-expanded'
  | 'seed+public'
  | 'ed25519-pkcs8'
  | 'x25519-pkcs8'
  | 'ed25519-multicodec'
  | 'x25519-multicodec';

export interface KeyForm {
  readonly form: KeyFormName;
  readonly bytes: Uint8Array;
  /** False for layouts that contain another form as a byte run: they need only their base58 needle. */
  readonly positional: boolean;
}

/** Where a needle is searched: in the bytes as they are, or in the squeezed text view. */
export type NeedleView = 'bytes' | 'text';

export interface Needle {
  /** Whose key: a label chosen by the caller ("node-1 node key"). */
  readonly key: string;
  readonly form: KeyFormName;
  /** raw, hex, HEX, hex:, decimal, base64@0…2, base64url@0…2, base64/base64url@k, base58. */
  readonly encoding: string;
  readonly bytes: Uint8Array;
  readonly view: NeedleView;
}

const ED25519_PKCS8_PREFIX = Uint8Array.from(Buffer.from('302e020100300506032b657004220420', 'hex'));
const X25519_PKCS8_PREFIX = Uint8Array.from(Buffer.from('302e020100300506032b656e04220420', 'hex'));
/** Multicodec ed25519-priv (0x1300) and x25519-priv (0x1302) as unsigned varints. */
const ED25519_PRIV_MULTICODEC = Uint8Array.of(0x80, 0x26);
const X25519_PRIV_MULTICODEC = Uint8Array.of(0x82, 0x26);

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The Ed25519 public key of a seed (node:crypto, independent of the product's providers). */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({ key: Buffer.from(concat(ED25519_PKCS8_PREFIX, seed)), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('node:crypto gave no Ed25519 public key');
  return Uint8Array.from(Buffer.from(jwk.x, 'base64url'));
}

/** Every form of the seed a leak could take (see the header). */
export function keyForms(seed: Uint8Array): KeyForm[] {
  if (seed.length !== SEED_LENGTH) throw new RangeError(`an Ed25519 seed is ${SEED_LENGTH} bytes, not ${seed.length}`);
  const expanded = Uint8Array.from(createHash('sha512').update(seed).digest());
  const scalar = expanded.slice(0, 32);
  const x25519 = scalar.slice();
  x25519[0]! &= 248;
  x25519[31]! &= 127;
  x25519[31]! |= 64;
  return [
    { form: 'seed', bytes: seed.slice(), positional: true },
    { form: 'ed25519-scalar', bytes: scalar, positional: true },
    { form: 'x25519-secret', bytes: x25519, positional: true },
    { form: 'sha512-expanded', bytes: expanded, positional: true },
    { form: 'seed+public', bytes: concat(seed, ed25519PublicKey(seed)), positional: false },
    { form: 'ed25519-pkcs8', bytes: concat(ED25519_PKCS8_PREFIX, seed), positional: false },
    { form: 'x25519-pkcs8', bytes: concat(X25519_PKCS8_PREFIX, x25519), positional: false },
    { form: 'ed25519-multicodec', bytes: concat(ED25519_PRIV_MULTICODEC, seed), positional: false },
    { form: 'x25519-multicodec', bytes: concat(X25519_PRIV_MULTICODEC, x25519), positional: false },
  ];
}

const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** base58btc (Bitcoin alphabet; each leading zero byte is a '1'). Its own code, not the product's. */
export function toBase58btc(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // Little-endian base-58 digits of the big-endian number, by repeated multiply-and-add.
  const digits: number[] = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!;
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j]! * 256;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let out = '1'.repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += BASE58_ALPHABET[digits[i]!];
  return out;
}

/**
 * The base64 characters that depend on `bytes` alone when they start at offset ≡ k (mod 3) of the
 * encoded buffer, for k = 0, 1, 2 (see the header). Index k of the answer is offset class k.
 */
export function base64Fragments(bytes: Uint8Array, variant: 'base64' | 'base64url'): [string, string, string] {
  const fragment = (k: number): string => {
    const skip = (3 - k) % 3;
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole <= 0) return '';
    return Buffer.from(bytes.subarray(skip, skip + whole)).toString(variant).replace(/=+$/, '');
  };
  return [fragment(0), fragment(1), fragment(2)];
}

/** The text encodings of one form: [encoding name, text]. */
export function textEncodings(form: KeyForm): Array<[string, string]> {
  const bytes = Buffer.from(form.bytes);
  const out: Array<[string, string]> = [];
  if (form.positional) {
    const hex = bytes.toString('hex');
    out.push(['hex', hex], ['HEX', hex.toUpperCase()], ['hex:', hex.match(/../g)!.join(':')], ['decimal', [...form.bytes].join(',')]);
    const b64 = base64Fragments(form.bytes, 'base64');
    const b64url = base64Fragments(form.bytes, 'base64url');
    for (let k = 0; k < 3; k++) {
      if (b64[k] === b64url[k]) out.push([`base64/base64url@${k}`, b64[k]!]);
      else out.push([`base64@${k}`, b64[k]!], [`base64url@${k}`, b64url[k]!]);
    }
  }
  out.push(['base58', toBase58btc(form.bytes)]);
  return out;
}

/** Every needle of one secret seed, labelled `key`. */
export function needlesFor(key: string, seed: Uint8Array): Needle[] {
  const needles: Needle[] = [];
  // The same bytes twice (hex with no letter equals HEX) would report one leak twice.
  const seen = new Set<string>();
  const add = (needle: Needle): void => {
    if (needle.bytes.length < MIN_NEEDLE_BYTES) throw new Error(`needle ${needle.form}/${needle.encoding} of ${key} is only ${needle.bytes.length} bytes`);
    const id = `${needle.view}:${Buffer.from(needle.bytes).toString('hex')}`;
    if (seen.has(id)) return;
    seen.add(id);
    needles.push(needle);
  };
  for (const form of keyForms(seed)) {
    if (form.positional) add({ key, form: form.form, encoding: 'raw', bytes: form.bytes, view: 'bytes' });
    for (const [encoding, text] of textEncodings(form)) add({ key, form: form.form, encoding, bytes: Uint8Array.from(Buffer.from(text, 'latin1')), view: 'text' });
  }
  return needles;
}
