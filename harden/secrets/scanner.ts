// Issue 8 §5 (secrets): finds every needle of every key (encodings.ts) in a directory tree (all
// files, binary or text, and their names) and in captured messages (process output, control
// messages, HTTP answers), and reports each hit with its source, key, form and encoding.
//
// One pass per view whatever the number of needles: a rolling hash of the first INDEX_WINDOW bytes
// at every position, a bit table to skip positions no needle starts with, and a byte-exact
// comparison where one might. Raw needles are searched in the bytes as they are; text needles in
// the "squeezed" view (ASCII whitespace and NUL removed: see encodings.ts for why), and a hit there
// is reported at its offset in the original bytes, marked `spread` when it spans removed bytes.
//
// Bounds: files larger than MAX_SCAN_FILE_BYTES, more than MAX_SCAN_FILES files, deeper than
// MAX_SCAN_DEPTH directories and entries that are not regular files are not read: they are listed
// in `skipped`, which a clean scan must leave empty. Symlinks are not followed (their target text
// is scanned as a name).
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MIN_NEEDLE_BYTES, type KeyFormName, type Needle, type NeedleView } from './encodings.js';

/** Largest file read whole; a larger one is listed in `skipped`. */
export const MAX_SCAN_FILE_BYTES = 256 * 1024 * 1024;
/** Most files one tree scan reads. */
export const MAX_SCAN_FILES = 100_000;
/** Deepest directory one tree scan descends into. */
export const MAX_SCAN_DEPTH = 32;
/** Hits kept per source, besides the first of each key (all are counted). */
export const MAX_HITS_PER_SOURCE = 100;
/** The rolling hash covers this many leading bytes of every needle (≤ MIN_NEEDLE_BYTES). */
export const INDEX_WINDOW = 16;
const FILTER_BITS = 22;
const HASH_BASE = 0x01000193;

export type HitSourceKind = 'file' | 'file-name' | 'message';

export interface SecretHit {
  /** The file's path, or the message's name. */
  readonly source: string;
  readonly kind: HitSourceKind;
  readonly key: string;
  readonly form: KeyFormName;
  readonly encoding: string;
  /** Byte offset in the source. */
  readonly offset: number;
  /** The match spans whitespace or NUL bytes that were removed (wrapped lines, spaced hex, UTF-16). */
  readonly spread: boolean;
}

export interface Capture {
  readonly name: string;
  readonly data: string | Uint8Array;
}

export interface ScanTotals {
  files: number;
  fileBytes: number;
  messages: number;
  messageBytes: number;
  /** Every hit found; `hits` keeps at most MAX_HITS_PER_SOURCE of them per source. */
  hitCount: number;
  readonly hits: SecretHit[];
  readonly skipped: Array<{ readonly source: string; readonly reason: string }>;
}

export function emptyTotals(): ScanTotals {
  return { files: 0, fileBytes: 0, messages: 0, messageBytes: 0, hitCount: 0, hits: [], skipped: [] };
}

function isSqueezed(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x0b || byte === 0x0c || byte === 0x00;
}

/** `data` without ASCII whitespace and NUL bytes (the same array when there are none). */
export function squeeze(data: Uint8Array): Uint8Array {
  let kept = 0;
  for (let i = 0; i < data.length; i++) if (!isSqueezed(data[i]!)) kept++;
  if (kept === data.length) return data;
  const out = new Uint8Array(kept);
  let at = 0;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    if (!isSqueezed(byte)) out[at++] = byte;
  }
  return out;
}

/** The offset in `data` of byte `index` of squeeze(data). */
function unsqueezedOffset(data: Uint8Array, index: number): number {
  let kept = 0;
  for (let i = 0; i < data.length; i++) {
    if (isSqueezed(data[i]!)) continue;
    if (kept === index) return i;
    kept++;
  }
  return data.length;
}

function power(base: number, exponent: number): number {
  let out = 1;
  for (let i = 0; i < exponent; i++) out = Math.imul(out, base);
  return out;
}

const TOP_POWER = power(HASH_BASE, INDEX_WINDOW - 1);

function windowHash(data: Uint8Array, start: number): number {
  let h = 0;
  for (let j = 0; j < INDEX_WINDOW; j++) h = (Math.imul(h, HASH_BASE) + data[start + j]!) | 0;
  return h;
}

interface Match {
  readonly needle: Needle;
  readonly index: number;
}

/** The needles of one view, indexed by the hash of their first INDEX_WINDOW bytes. */
class ViewIndex {
  private readonly filter = new Uint32Array(2 ** FILTER_BITS / 32);
  private readonly byHash = new Map<number, Needle[]>();

  constructor(needles: readonly Needle[]) {
    for (const needle of needles) {
      if (needle.bytes.length < MIN_NEEDLE_BYTES) throw new Error(`needle ${needle.key} ${needle.form}/${needle.encoding} is shorter than ${MIN_NEEDLE_BYTES} bytes`);
      const h = windowHash(needle.bytes, 0);
      const bit = h >>> (32 - FILTER_BITS);
      this.filter[bit >>> 5]! |= 1 << (bit & 31);
      const list = this.byHash.get(h);
      if (list) list.push(needle);
      else this.byHash.set(h, [needle]);
    }
  }

  get size(): number {
    let n = 0;
    for (const list of this.byHash.values()) n += list.length;
    return n;
  }

  *find(data: Uint8Array): Generator<Match> {
    if (this.byHash.size === 0 || data.length < INDEX_WINDOW) return;
    let h = windowHash(data, 0);
    const last = data.length - INDEX_WINDOW;
    for (let i = 0; ; i++) {
      const bit = h >>> (32 - FILTER_BITS);
      if ((this.filter[bit >>> 5]! & (1 << (bit & 31))) !== 0) {
        const candidates = this.byHash.get(h);
        if (candidates) for (const needle of candidates) if (matchesAt(data, i, needle.bytes)) yield { needle, index: i };
      }
      if (i === last) return;
      h = (Math.imul((h - Math.imul(data[i]!, TOP_POWER)) | 0, HASH_BASE) + data[i + INDEX_WINDOW]!) | 0;
    }
  }
}

function matchesAt(data: Uint8Array, at: number, needle: Uint8Array): boolean {
  if (at + needle.length > data.length) return false;
  for (let j = 0; j < needle.length; j++) if (data[at + j] !== needle[j]) return false;
  return true;
}

/** Every needle of every key, ready to search any number of sources. */
export class SecretIndex {
  private readonly views: Record<NeedleView, ViewIndex>;
  readonly needles: number;

  constructor(needles: readonly Needle[]) {
    this.views = { bytes: new ViewIndex(needles.filter((n) => n.view === 'bytes')), text: new ViewIndex(needles.filter((n) => n.view === 'text')) };
    this.needles = needles.length;
  }

  /** Every hit in `data`, at offsets of `data`. */
  search(data: Uint8Array): Array<{ needle: Needle; offset: number; spread: boolean }> {
    const out: Array<{ needle: Needle; offset: number; spread: boolean }> = [];
    for (const { needle, index } of this.views.bytes.find(data)) out.push({ needle, offset: index, spread: false });
    const squeezed = squeeze(data);
    for (const { needle, index } of this.views.text.find(squeezed)) {
      if (squeezed === data) {
        out.push({ needle, offset: index, spread: false });
        continue;
      }
      const start = unsqueezedOffset(data, index);
      const end = unsqueezedOffset(data, index + needle.bytes.length - 1);
      out.push({ needle, offset: start, spread: end - start + 1 !== needle.bytes.length });
    }
    return out;
  }

  /** Searches one source and adds its hits to `totals`. */
  scanInto(totals: ScanTotals, source: string, kind: HitSourceKind, data: Uint8Array): void {
    const found = this.search(data);
    totals.hitCount += found.length;
    // Past the cap, the first hit of every key is still kept: no key's leak goes unreported.
    const keys = new Set<string>();
    let kept = 0;
    for (const { needle, offset, spread } of found) {
      const firstOfKey = !keys.has(needle.key);
      keys.add(needle.key);
      if (kept >= MAX_HITS_PER_SOURCE && !firstOfKey) continue;
      kept++;
      totals.hits.push({ source, kind, key: needle.key, form: needle.form, encoding: needle.encoding, offset, spread });
    }
  }
}

function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** Scans captured messages (strings as UTF-8). */
export function scanMessages(index: SecretIndex, captures: readonly Capture[], totals: ScanTotals = emptyTotals()): ScanTotals {
  for (const capture of captures) {
    const data = bytesOf(capture.data);
    totals.messages++;
    totals.messageBytes += data.length;
    index.scanInto(totals, capture.name, 'message', data);
  }
  return totals;
}

/** The bounds of one tree scan; the MAX_SCAN_* constants by default (tests lower them). */
export interface ScanLimits {
  readonly maxFileBytes?: number;
  readonly maxFiles?: number;
  readonly maxDepth?: number;
}

/**
 * Scans every file under `root` (and every name: a path is text too). Sources are named by their
 * absolute path.
 */
export async function scanTree(index: SecretIndex, root: string, totals: ScanTotals = emptyTotals(), limits: ScanLimits = {}): Promise<ScanTotals> {
  const maxFileBytes = limits.maxFileBytes ?? MAX_SCAN_FILE_BYTES;
  const maxFiles = limits.maxFiles ?? MAX_SCAN_FILES;
  const maxDepth = limits.maxDepth ?? MAX_SCAN_DEPTH;
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: string[];
    try {
      entries = (await readdir(dir)).sort();
    } catch (error) {
      totals.skipped.push({ source: dir, reason: `cannot list (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
      return;
    }
    for (const name of entries) {
      const path = join(dir, name);
      index.scanInto(totals, path, 'file-name', Buffer.from(relative(root, path), 'utf8'));
      let info;
      try {
        info = await lstat(path);
      } catch (error) {
        totals.skipped.push({ source: path, reason: `cannot stat (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
        continue;
      }
      if (info.isDirectory()) {
        if (depth >= maxDepth) totals.skipped.push({ source: path, reason: `deeper than ${maxDepth} directories` });
        else await walk(path, depth + 1);
        continue;
      }
      if (info.isSymbolicLink()) {
        index.scanInto(totals, path, 'file-name', Buffer.from(await readlink(path), 'utf8'));
        continue;
      }
      if (!info.isFile()) {
        totals.skipped.push({ source: path, reason: 'not a regular file' });
        continue;
      }
      if (totals.files >= maxFiles) {
        totals.skipped.push({ source: path, reason: `more than ${maxFiles} files` });
        continue;
      }
      if (info.size > maxFileBytes) {
        totals.skipped.push({ source: path, reason: `larger than ${maxFileBytes} bytes` });
        continue;
      }
      let data: Buffer;
      try {
        data = await readFile(path);
      } catch (error) {
        totals.skipped.push({ source: path, reason: `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
        continue;
      }
      totals.files++;
      totals.fileBytes += data.length;
      index.scanInto(totals, path, 'file', data);
    }
  };
  await walk(root, 0);
  return totals;
}

/** A file allowed to hold one key: an explicit file-keystore file, holding its own key. */
export interface AllowedSecret {
  readonly path: string;
  readonly key: string;
}

export interface Verdict {
  /** Hits outside the allowed files (or of another key in one): leaks. Must be empty. */
  readonly leaks: SecretHit[];
  readonly allowedHits: SecretHit[];
  /** Allowed files in which their key was not found: the scanner is blind, or the file is gone. */
  readonly unseen: AllowedSecret[];
}

export function judge(totals: ScanTotals, allowed: readonly AllowedSecret[]): Verdict {
  const isAllowed = (hit: SecretHit): boolean => hit.kind === 'file' && allowed.some((a) => a.path === hit.source && a.key === hit.key);
  const leaks = totals.hits.filter((hit) => !isAllowed(hit));
  const allowedHits = totals.hits.filter(isAllowed);
  const unseen = allowed.filter((a) => !allowedHits.some((hit) => hit.source === a.path && hit.key === a.key));
  return { leaks, allowedHits, unseen };
}

export function describeHit(hit: SecretHit): string {
  return `${hit.key} (${hit.form}, ${hit.encoding}${hit.spread ? ', across whitespace' : ''}) in ${hit.kind} ${hit.source} at byte ${hit.offset}`;
}
