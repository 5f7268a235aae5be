// An append-only file of JSON records that survives SIGKILL and power loss: the framing, the
// reader and the appender. Used where a JSON file rewritten whole would cost too much per change,
// or must never be rewritten (the credit ledger, the orchestrator's credit outbox).
//
// One record per line:   <crc32 of the JSON, 8 lowercase hex digits> <JSON>\n
//
// Reading: a last line with no newline is a torn tail (the process died inside its write, so that
// record was never acknowledged); it is reported and, when asked, cut off so the next append
// starts on a fresh line. A complete line whose checksum or JSON is wrong is skipped and counted.
//
// Appending: records are queued and written by one loop: everything queued goes out in one write
// and one fdatasync (group commit); append() resolves once its record is on disk, with the offset
// it was written at. A failed write leaves the file cut back to its last good length before the
// next one, so a half-written record never sits in front of a good one. `rewrite` replaces the
// whole file (temp file, fsync, rename, fsync of the folder) from a snapshot taken in the same
// loop, so it never races an append.
import { mkdir, open, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDirectorySync, tempPathFor } from './atomic-file.js';

/** One write+fdatasync carries at most this many bytes; more waits for the next batch. */
export const RECORD_LOG_MAX_BATCH_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;
const CRC_CHARS = 8;

export type JsonRecord = Record<string, unknown>;

/** The line for one record (JSON text of an object). */
export function frameRecord(json: string): string {
  return `${crc32(json).toString(16).padStart(CRC_CHARS, '0')} ${json}\n`;
}

export function encodeRecord(record: JsonRecord): string {
  return frameRecord(JSON.stringify(record));
}

/** The record a line holds (without its newline), or undefined when the line is damaged. */
export function decodeRecordLine(line: Uint8Array): JsonRecord | undefined {
  const bytes = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  if (bytes.length < CRC_CHARS + 2 || bytes[CRC_CHARS] !== 0x20) return undefined;
  const hex = bytes.subarray(0, CRC_CHARS).toString('latin1');
  if (!/^[0-9a-f]{8}$/.test(hex)) return undefined;
  const body = bytes.subarray(CRC_CHARS + 1);
  if (crc32(body) !== Number.parseInt(hex, 16)) return undefined;
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
  } catch {
    return undefined;
  }
}

export interface StoredRecord {
  readonly record: JsonRecord;
  /** Where its line starts, and its length with the newline. */
  readonly offset: number;
  readonly length: number;
}

export interface RecordFile {
  /** In file order. */
  readonly records: StoredRecord[];
  /** Bytes up to the end of the last complete line. */
  readonly bytes: number;
  /** Bytes after it (a torn tail); cut off when the reader was asked to. */
  readonly tornBytes: number;
  readonly corruptLines: number;
}

/** Splits a file's bytes into records (pure). */
export function parseRecords(data: Uint8Array): RecordFile {
  const records: StoredRecord[] = [];
  let corruptLines = 0;
  let offset = 0;
  while (offset < data.length) {
    const end = data.indexOf(NEWLINE, offset);
    if (end < 0) break;
    const record = decodeRecordLine(data.subarray(offset, end));
    if (record) records.push({ record, offset, length: end + 1 - offset });
    else corruptLines++;
    offset = end + 1;
  }
  return { records, bytes: offset, tornBytes: data.length - offset, corruptLines };
}

/** Reads a record file; undefined when there is none. `cutTornTail` truncates a torn last line away. */
export async function readRecordFile(path: string, options: { cutTornTail?: boolean } = {}): Promise<RecordFile | undefined> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = parseRecords(data);
  if (parsed.tornBytes > 0 && options.cutTornTail) await truncate(path, parsed.bytes);
  return parsed;
}

/** Reads `length` bytes at `offset` of a record file and decodes the one record there. */
export async function readRecordAt(path: string, offset: number, length: number): Promise<JsonRecord | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    if (bytesRead !== length || buffer[length - 1] !== NEWLINE) return undefined;
    return decodeRecordLine(buffer.subarray(0, length - 1));
  } finally {
    await handle.close();
  }
}

/** Writes a whole record file atomically (temp, fsync, rename, fsync of the folder). */
export async function writeRecordFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    const out = await open(temp, 'wx', 0o644);
    try {
      await out.writeFile(text, 'utf8');
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  fsyncDirectorySync(dirname(path));
}

export interface RecordAppenderOptions {
  /** fdatasync after every batch (default true; false only for throwaway tests). */
  readonly fsync?: boolean;
  readonly onError?: (error: Error) => void;
}

interface Pending {
  readonly line: string;
  readonly resolve: (offset: number) => void;
  readonly reject: (error: Error) => void;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export class RecordAppender {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private rewriteWith: (() => string) | null = null;
  /** A rewrite failed: the file may lack what only it held; it is tried again before the next append. */
  private retryRewrite: (() => string) | null = null;
  private rewriteWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  /** A write failed: the file may end in part of a record; cut it back before the next write. */
  private dirtyTail = false;
  private closed = false;

  private constructor(
    readonly path: string,
    private handle: FileHandle,
    private length: number,
    private readonly options: RecordAppenderOptions,
  ) {}

  /** Opens `path` for appending at `bytes` (what the reader found good; anything after is cut). */
  static async open(path: string, bytes: number, options: RecordAppenderOptions = {}): Promise<RecordAppender> {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'a');
    const { size } = await handle.stat();
    if (size < bytes) {
      await handle.close();
      throw new Error(`${path} holds ${size} bytes, fewer than the ${bytes} read a moment ago`);
    }
    if (size > bytes) {
      await handle.truncate(bytes);
      if (options.fsync !== false) await handle.datasync();
    }
    fsyncDirectorySync(dirname(path));
    return new RecordAppender(path, handle, bytes, options);
  }

  /** Bytes in the file, as far as the appender wrote them. */
  get bytes(): number {
    return this.length;
  }

  /** Resolves with the record's offset once it is on disk. */
  append(line: string): Promise<number> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed`));
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.kick();
    });
  }

  /**
   * Replaces the file with `snapshot()`, called in the write loop after the appends queued before
   * it: the snapshot must hold everything those appends held (they resolve with offset -1).
   */
  rewrite(snapshot: () => string): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed`));
    this.rewriteWith = snapshot;
    return new Promise<void>((resolve, reject) => {
      this.rewriteWaiters.push({ resolve, reject });
      this.kick();
    });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
    await this.handle.close();
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.queue.length > 0 || this.rewriteWith) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 || this.rewriteWith) {
      if (this.retryRewrite && !this.rewriteWith) {
        this.rewriteWith = this.retryRewrite;
        this.retryRewrite = null;
      }
      if (this.rewriteWith) {
        await this.replace(this.rewriteWith);
        continue;
      }
      let size = 0;
      let count = 0;
      while (count < this.queue.length && (count === 0 || size + this.queue[count]!.line.length <= RECORD_LOG_MAX_BATCH_BYTES)) {
        size += this.queue[count]!.line.length;
        count++;
      }
      const batch = this.queue.splice(0, count);
      const start = this.length;
      const offsets: number[] = [];
      const chunks: Buffer[] = [];
      let at = start;
      for (const pending of batch) {
        const chunk = Buffer.from(pending.line, 'utf8');
        offsets.push(at);
        at += chunk.length;
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks);
      try {
        if (this.dirtyTail) {
          await this.handle.truncate(start);
          this.dirtyTail = false;
        }
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written);
          written += bytesWritten;
        }
        if (this.options.fsync !== false) await this.handle.datasync();
        this.length = at;
      } catch (error) {
        this.dirtyTail = true;
        const failure = asError(error);
        this.options.onError?.(failure);
        for (const pending of batch) pending.reject(failure);
        continue;
      }
      batch.forEach((pending, i) => pending.resolve(offsets[i]!));
    }
  }

  private async replace(snapshot: () => string): Promise<void> {
    this.rewriteWith = null;
    const waiters = this.rewriteWaiters.splice(0);
    // Appends queued so far are in memory already, so the snapshot holds them.
    const queued = this.queue.splice(0);
    const text = snapshot();
    try {
      await writeRecordFileAtomic(this.path, text);
      const next = await open(this.path, 'a');
      await this.handle.close().catch(() => undefined);
      this.handle = next;
      this.length = Buffer.byteLength(text);
      this.dirtyTail = false;
    } catch (error) {
      this.retryRewrite = snapshot;
      const failure = asError(error);
      this.options.onError?.(failure);
      for (const pending of queued) pending.reject(failure);
      for (const waiter of waiters) waiter.reject(failure);
      return;
    }
    for (const pending of queued) pending.resolve(-1);
    for (const waiter of waiters) waiter.resolve();
  }
}
