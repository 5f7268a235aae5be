// A validator for floating-point outputs (issue 13 §4): two outputs agree when they have the same
// tokens, numbers within a tolerance and everything else equal. Replicas of one WASI build agree
// bit for bit, but a result checked against another build, engine or machine (a native run, a
// reference, a future toolchain) may differ in the last digits of every number: an exact hash
// would call that a lie. A task will declare its tolerance; this is the pure comparison.
//
// Tokens are the runs of non-whitespace bytes (space, tab, CR, LF, VT, FF separate them; how much
// whitespace does not matter). A token is a number when it is a decimal floating-point literal as
// C's printf writes them (optional sign, digits with an optional point, optional exponent) or
// inf/infinity/nan in any case with an optional sign. Two numbers a, b agree when both are NaN,
// or both are the same infinity, or |a − b| ≤ absolute + relative × max(|a|, |b|). Every other
// token must be byte for byte equal. Linear in the outputs' length.
import { type Result, attempt } from '../protocol/errors.js';
import { type WasiRunOutput } from './wasi-output.js';
import { closedObject, invalid } from './wire-check.js';

export interface ToleranceSpec {
  /** Allowed |a − b| regardless of magnitude (≥ 0). */
  readonly absolute: number;
  /** Allowed |a − b| per unit of max(|a|, |b|) (0 ≤ relative ≤ MAX_RELATIVE_TOLERANCE). */
  readonly relative: number;
}

export type Comparison = { readonly equal: true } | { readonly equal: false; readonly detail: string };

/** A relative tolerance above this would accept anything of the right sign. */
export const MAX_RELATIVE_TOLERANCE = 0.5;
/** Largest absolute tolerance a task may declare. */
export const MAX_ABSOLUTE_TOLERANCE = 1e300;
/** Longest token shown in a detail. */
const SHOWN_TOKEN = 40;

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

function isSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

interface Token {
  readonly start: number;
  readonly end: number;
}

/** The next token at or after `from`, or null at the end. */
function nextToken(bytes: Uint8Array, from: number): Token | null {
  let i = from;
  while (i < bytes.length && isSpace(bytes[i]!)) i++;
  if (i >= bytes.length) return null;
  const start = i;
  while (i < bytes.length && !isSpace(bytes[i]!)) i++;
  return { start, end: i };
}

function ascii(bytes: Uint8Array, token: Token): string | null {
  let text = '';
  for (let i = token.start; i < token.end; i++) {
    const b = bytes[i]!;
    if (b > 0x7e) return null;
    text += String.fromCharCode(b);
  }
  return text;
}

/** The token's value when it is a number (see above), else null. */
function numberOf(bytes: Uint8Array, token: Token): number | null {
  // The longest literal worth reading as a number; a longer token is compared as text.
  if (token.end - token.start > 64) return null;
  const text = ascii(bytes, token);
  if (text === null) return null;
  if (NUMBER.test(text)) return Number(text);
  if (!SPECIAL.test(text)) return null;
  if (/nan/i.test(text)) return Number.NaN;
  return text.startsWith('-') ? -Infinity : Infinity;
}

function shown(bytes: Uint8Array, token: Token): string {
  const text = ascii(bytes, { start: token.start, end: Math.min(token.end, token.start + SHOWN_TOKEN) }) ?? '(bytes)';
  return JSON.stringify(token.end - token.start > SHOWN_TOKEN ? `${text}…` : text);
}

function sameBytes(a: Uint8Array, ta: Token, b: Uint8Array, tb: Token): boolean {
  if (ta.end - ta.start !== tb.end - tb.start) return false;
  for (let i = 0; i < ta.end - ta.start; i++) if (a[ta.start + i] !== b[tb.start + i]) return false;
  return true;
}

export function numbersAgree(a: number, b: number, spec: ToleranceSpec): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= spec.absolute + spec.relative * Math.max(Math.abs(a), Math.abs(b));
}

/** Compares two outputs token by token under the tolerance (see the top of this file). */
export function compareWithTolerance(expected: Uint8Array, actual: Uint8Array, spec: ToleranceSpec): Comparison {
  let ia = 0;
  let ib = 0;
  for (let index = 1; ; index++) {
    const ta = nextToken(expected, ia);
    const tb = nextToken(actual, ib);
    if (ta === null || tb === null) {
      if (ta === null && tb === null) return { equal: true };
      return { equal: false, detail: ta === null ? `token ${index}: ${shown(actual, tb!)} is extra` : `token ${index}: ${shown(expected, ta)} is missing` };
    }
    ia = ta.end;
    ib = tb.end;
    if (sameBytes(expected, ta, actual, tb)) continue;
    const x = numberOf(expected, ta);
    const y = numberOf(actual, tb);
    if (x === null || y === null) return { equal: false, detail: `token ${index}: ${shown(expected, ta)} ≠ ${shown(actual, tb)}` };
    if (!numbersAgree(x, y, spec)) return { equal: false, detail: `token ${index}: ${shown(expected, ta)} and ${shown(actual, tb)} differ by more than the tolerance` };
  }
}

/** Two WASI results agree: the same exit code and output files, stdout and each file within the tolerance. */
export function compareWasiOutputs(expected: WasiRunOutput, actual: WasiRunOutput, spec: ToleranceSpec): Comparison {
  if (expected.exitCode !== actual.exitCode) return { equal: false, detail: `exit code ${String(expected.exitCode)} ≠ ${String(actual.exitCode)}` };
  const names = (o: WasiRunOutput) => o.files.map((f) => f.name).join(', ');
  if (names(expected) !== names(actual)) return { equal: false, detail: `output files [${names(expected)}] ≠ [${names(actual)}]` };
  const stdout = compareWithTolerance(expected.stdout ?? new Uint8Array(0), actual.stdout ?? new Uint8Array(0), spec);
  if (!stdout.equal) return { equal: false, detail: `stdout: ${stdout.detail}` };
  for (let i = 0; i < expected.files.length; i++) {
    const file = compareWithTolerance(expected.files[i]!.bytes, actual.files[i]!.bytes, spec);
    if (!file.equal) return { equal: false, detail: `${expected.files[i]!.name}: ${file.detail}` };
  }
  return { equal: true };
}

function bound(value: unknown, what: string, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) throw invalid(what, `must be a number from 0 to ${max}`);
  return value;
}

/** A tolerance as a task will declare it: {absolute, relative}, both finite and within bounds. */
export function decodeToleranceSpec(value: unknown): Result<ToleranceSpec> {
  return attempt(() => {
    const f = closedObject(value, 'tolerance', ['absolute', 'relative']);
    return { absolute: bound(f['absolute'], 'tolerance.absolute', MAX_ABSOLUTE_TOLERANCE), relative: bound(f['relative'], 'tolerance.relative', MAX_RELATIVE_TOLERANCE) };
  });
}
