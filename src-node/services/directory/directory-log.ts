// The seed directory's durable storage: an append-only log with group commit and compaction.
//
// File: `<dataDir>/directory/advertisements.log`, one record per line:
//
//   <crc32 of the JSON, 8 lowercase hex digits> <JSON>\n
//
// Records: `{"t":"head","format":"pnode-directory-log.v1","epoch":…,"next":<next position>}` (the
// first line; written when the log is created or rewritten) and
// `{"t":"put","pos":<position>,"at":<stored-at, ms>,"src":"<client address>","adv":<the advertisement>}`
// (`src`, the address that PUT it, is absent for the directory's own advertisement and in logs
// written before it existed).
// A later put for the same node-id replaces an earlier one; rows are never deleted in place, since
// expiry follows each advertisement's own `expires-at` and DELETE does not exist.
//
// Writing: appends are queued and written by one loop: everything queued is written with one
// write and one fdatasync (group commit), so many concurrent PUTs share a disk flush; a PUT is
// answered only after its batch is on disk. Each line's `settled` hook runs in the loop, before the
// next batch or rewrite, so the store's memory always matches the file when a snapshot is taken.
// Compaction rewrites the log from the store's committed rows (temp file, fsync, rename, fsync of
// the folder), in the same loop, so it never races an append; lines still queued are appended
// after it. A failed append (a full disk) is undone: whatever part of the batch reached the file is
// cut off again (ftruncate needs no space), so a restart never reads a row that was refused; if
// even that fails, the next turn of the loop rewrites the whole log from memory.
//
// Reading: a line that does not end in a newline is a torn tail from a crash; it is ignored and cut
// off so the next append starts on a fresh line. A complete line whose checksum or JSON is wrong
// is skipped and counted.
import { fsyncDirectorySync } from '../../kernel/storage/atomic-file.js';
import { mkdir, open, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const DIRECTORY_LOG_FILE = join('directory', 'advertisements.log');
export const DIRECTORY_LOG_FORMAT = 'pnode-directory-log.v1';
/** One write+fdatasync carries at most this many bytes; more waits for the next batch. */
export const LOG_MAX_BATCH_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;
const CRC_CHARS = 8;

export interface LogHeader {
  readonly epoch: string;
  /** The next position to hand out (positions never go back, also across compactions). */
  readonly next: number;
}

export interface LogPut {
  readonly position: number;
  readonly storedAt: number;
  /** The client address that PUT it, when known. */
  readonly source: string | undefined;
  readonly advertisement: unknown;
}

/** A source address longer than this in the log is not one (an IPv6 address with a zone fits). */
const MAX_SOURCE_CHARS = 64;

export interface LoadedLog {
  readonly header: LogHeader | undefined;
  /** In file order. */
  readonly puts: LogPut[];
  /** Size of the file after the torn tail was cut off. */
  readonly bytes: number;
  readonly tornBytes: number;
  readonly corruptLines: number;
}

function frame(json: string): string {
  return `${crc32(json).toString(16).padStart(CRC_CHARS, '0')} ${json}\n`;
}

export function encodeHeader(header: LogHeader): string {
  return frame(JSON.stringify({ t: 'head', format: DIRECTORY_LOG_FORMAT, epoch: header.epoch, next: header.next }));
}

/** `advertisementJson` is JSON text already (kept as text in memory; no second serialisation). */
export function encodePut(position: number, storedAt: number, advertisementJson: string, source?: string): string {
  const src = source === undefined ? '' : `"src":${JSON.stringify(source.slice(0, MAX_SOURCE_CHARS))},`;
  return frame(`{"t":"put","pos":${position},"at":${storedAt},${src}"adv":${advertisementJson}}`);
}

function decodeLine(line: Buffer): { t: string; [key: string]: unknown } | undefined {
  if (line.length < CRC_CHARS + 2 || line[CRC_CHARS] !== 0x20) return undefined;
  const expected = Number.parseInt(line.subarray(0, CRC_CHARS).toString('latin1'), 16);
  const body = line.subarray(CRC_CHARS + 1);
  if (!Number.isInteger(expected) || crc32(body) !== expected) return undefined;
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || typeof (value as { t?: unknown }).t !== 'string') return undefined;
    return value as { t: string };
  } catch {
    return undefined;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Reads the log, cutting off a torn tail; undefined when there is no log yet. */
export async function readLog(path: string): Promise<LoadedLog | undefined> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let header: LogHeader | undefined;
  const puts: LogPut[] = [];
  let corruptLines = 0;
  let offset = 0;
  while (offset < data.length) {
    const end = data.indexOf(NEWLINE, offset);
    if (end < 0) break;
    const record = decodeLine(data.subarray(offset, end));
    offset = end + 1;
    if (record?.t === 'head' && record['format'] === DIRECTORY_LOG_FORMAT && typeof record['epoch'] === 'string' && isCount(record['next'])) {
      header ??= { epoch: record['epoch'], next: record['next'] };
    } else if (record?.t === 'put' && isCount(record['pos']) && isCount(record['at']) && typeof record['adv'] === 'object' && record['adv'] !== null) {
      const src = record['src'];
      puts.push({ position: record['pos'], storedAt: record['at'], source: typeof src === 'string' && src.length <= MAX_SOURCE_CHARS ? src : undefined, advertisement: record['adv'] });
    } else {
      corruptLines++;
    }
  }
  const tornBytes = data.length - offset;
  if (tornBytes > 0) await truncate(path, offset);
  return { header, puts, bytes: offset, tornBytes, corruptLines };
}


export interface LogWriterOptions {
  /** The whole committed content (header and live rows on disk) for a rewrite; called synchronously. */
  readonly snapshot: () => string;
  /** Asked after every batch: rewrite now? */
  readonly shouldCompact: (logBytes: number) => boolean;
  /** fdatasync after every batch (default true; false only for throwaway tests). */
  readonly fsync?: boolean;
  readonly onCompacted?: (bytes: number) => void;
  readonly onError?: (error: Error) => void;
}

interface Pending {
  readonly line: string;
  readonly settled: ((error: Error | null) => void) | undefined;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export class LogWriter {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private rewriteWanted = false;
  /** The file may differ from memory (an undo failed): rewrite before appending again. */
  private broken = false;
  private closed = false;
  private logBytes: number;

  private constructor(
    readonly path: string,
    private handle: FileHandle,
    bytes: number,
    private readonly options: LogWriterOptions,
  ) {
    this.logBytes = bytes;
  }

  /** Opens `path` for appending; `initial` is written first when the file is new or empty. */
  static async open(path: string, bytes: number, initial: string | undefined, options: LogWriterOptions): Promise<LogWriter> {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'a');
    const writer = new LogWriter(path, handle, bytes, options);
    if (initial !== undefined) {
      await handle.write(initial);
      if (options.fsync !== false) await handle.datasync();
      writer.logBytes += Buffer.byteLength(initial);
      fsyncDirectorySync(dirname(path));
    }
    return writer;
  }

  get bytes(): number {
    return this.logBytes;
  }

  /** A failed write could not be undone and no rewrite has succeeded since: the file may differ from memory. */
  get needsRewrite(): boolean {
    return this.broken;
  }

  /**
   * Resolves once the line is on disk; rejects when it could not be written, and then no part of
   * it is in the file. `settled` is told first, synchronously, in the write loop (null: on disk).
   */
  append(line: string, settled?: (error: Error | null) => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the directory log is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, settled, resolve, reject });
      this.kick();
    });
  }

  /** Rewrites the log from the snapshot at the next turn of the write loop. */
  compact(): Promise<void> {
    this.rewriteWanted = true;
    this.kick();
    return this.idle();
  }

  /** Resolves when nothing is queued or being written. */
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
      if (this.queue.length > 0 || this.rewriteWanted) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 || this.rewriteWanted) {
      if (this.rewriteWanted || this.broken) {
        await this.rewrite();
        continue;
      }
      let size = 0;
      let count = 0;
      while (count < this.queue.length && (count === 0 || size + this.queue[count]!.line.length <= LOG_MAX_BATCH_BYTES)) {
        size += this.queue[count]!.line.length;
        count++;
      }
      const batch = this.queue.splice(0, count);
      const bytes = Buffer.from(batch.map((p) => p.line).join(''), 'utf8');
      try {
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written);
          written += bytesWritten;
        }
        if (this.options.fsync !== false) await this.handle.datasync();
        this.logBytes += bytes.length;
      } catch (error) {
        const failure = asError(error);
        this.options.onError?.(failure);
        await this.undoAppend();
        settle(batch, failure);
        continue;
      }
      settle(batch, null);
      if (this.options.shouldCompact(this.logBytes)) this.rewriteWanted = true;
    }
  }

  /** Cuts the file back to what it held before the failed batch; if that fails, a rewrite must. */
  private async undoAppend(): Promise<void> {
    try {
      await this.handle.truncate(this.logBytes);
      if (this.options.fsync !== false) await this.handle.datasync();
    } catch {
      this.broken = true;
    }
  }

  /** Writes the snapshot to a temp file, fsyncs it, renames it over the log and reopens it. */
  private async rewrite(): Promise<void> {
    this.rewriteWanted = false;
    // The snapshot holds what is committed; lines still queued are appended after the rewrite.
    const text = this.options.snapshot();
    const temp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const out = await open(temp, 'wx', 0o644);
      try {
        await out.writeFile(text, 'utf8');
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(temp, this.path);
      fsyncDirectorySync(dirname(this.path));
      const next = await open(this.path, 'a');
      await this.handle.close().catch(() => undefined);
      this.handle = next;
      this.logBytes = Buffer.byteLength(text);
      this.broken = false;
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      this.broken = true;
      const failure = asError(error);
      this.options.onError?.(failure);
      // Nothing can be appended to a log that differs from memory: what waits fails now (the next
      // append tries the rewrite again).
      settle(this.queue.splice(0), failure);
      return;
    }
    this.options.onCompacted?.(this.logBytes);
  }
}

/** Tells each line's hook first (synchronously, in order), then answers its waiter. */
function settle(batch: readonly Pending[], failure: Error | null): void {
  for (const pending of batch) {
    try {
      pending.settled?.(failure);
    } catch {
      // A hook must not stop the others from being told.
    }
  }
  for (const pending of batch) {
    if (failure) pending.reject(failure);
    else pending.resolve();
  }
}
