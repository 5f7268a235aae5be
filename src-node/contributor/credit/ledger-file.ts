// The credit ledger on disk: `<dataDir>/credit/ledger/segment-NNNNNN.log`, record files
// (kernel/storage/record-log.ts: one CRC-framed JSON record per line). Each segment begins with
//
//   {"t":"head","format":"pnode-credit-ledger.v1","segment":k,"first":n,"totals":{…}}
//
// — the totals of every receipt before entry n, so the oldest segments can go without the totals
// going with them — and then holds entries
//
//   {"t":"entry","n":<index, from 1>,"at":<received, ms>,"receipt":{<credit-receipt.v1 as received>}}
//
// A segment is created whole (temp file, fsync, rename) with its head, then only appended to.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonRecord } from '../../kernel/storage/record-log.js';
import { encodeRecord } from '../../kernel/storage/record-log.js';
import { type LedgerTotals, decodeTotals } from './ledger-totals.js';

export const LEDGER_DIR = join('credit', 'ledger');
export const LEDGER_FORMAT = 'pnode-credit-ledger.v1';
const SEGMENT_PATTERN = /^segment-(\d{6,})\.log$/;

export function segmentName(segment: number): string {
  return `segment-${String(segment).padStart(6, '0')}.log`;
}

export interface SegmentHead {
  readonly segment: number;
  readonly first: number;
  readonly totals: LedgerTotals;
}

export interface LedgerEntryRecord {
  readonly n: number;
  readonly at: number;
  readonly receipt: JsonRecord;
}

export function encodeHead(head: SegmentHead): string {
  return encodeRecord({ t: 'head', format: LEDGER_FORMAT, segment: head.segment, first: head.first, totals: head.totals });
}

export function encodeEntry(entry: LedgerEntryRecord): string {
  return encodeRecord({ t: 'entry', n: entry.n, at: entry.at, receipt: entry.receipt });
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

export function decodeHead(record: JsonRecord): SegmentHead | undefined {
  if (record['t'] !== 'head' || record['format'] !== LEDGER_FORMAT || !isIndex(record['segment']) || !isIndex(record['first'])) return undefined;
  const totals = decodeTotals(record['totals']);
  return totals ? { segment: record['segment'], first: record['first'], totals } : undefined;
}

export function decodeEntry(record: JsonRecord): LedgerEntryRecord | undefined {
  if (record['t'] !== 'entry' || !isIndex(record['n'])) return undefined;
  const at = record['at'];
  const receipt = record['receipt'];
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) return undefined;
  if (typeof receipt !== 'object' || receipt === null || Array.isArray(receipt)) return undefined;
  return { n: record['n'], at, receipt: receipt as JsonRecord };
}

/** The segment numbers in `dir`, oldest first; stray temp files of an interrupted rotation are removed. */
export async function listSegments(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const segments: number[] = [];
  for (const name of names) {
    const match = SEGMENT_PATTERN.exec(name);
    if (match) segments.push(Number(match[1]));
    else if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
  }
  return segments.sort((a, b) => a - b);
}
