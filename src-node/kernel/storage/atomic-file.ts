// Every file the node writes goes through here: write a temp file beside the target, fsync it,
// rename it over the target, fsync the directory. A crash leaves the old file or the new one,
// never a torn one (DESIGN.md §6).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, mkdir, rename, rm, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface AtomicWriteOptions {
  /** File mode of the result, e.g. 0o600 for secrets. */
  readonly mode?: number;
}

const DEFAULT_MODE = 0o644;

/**
 * How a store writes a whole file: writeFileAtomic, or (tests, the harden harness) a stand-in that
 * fails like a full disk. A store takes it as a parameter so that its failure paths can be run.
 */
export type FileWriter = (path: string, data: string | Uint8Array, options?: AtomicWriteOptions) => Promise<void>;

/** A temp name beside `path`; removeStaleTempFiles recognises it after a crash. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** Makes a rename or link in `dir` durable; a filesystem that refuses directory fsync is tolerated. */
export function fsyncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse a directory fsync; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  const handle = await open(temp, 'wx', options.mode ?? DEFAULT_MODE);
  try {
    await handle.writeFile(toBytes(data));
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  fsyncDirectorySync(dirname(path));
}

/** Synchronous twin, for shutdown paths where the event loop may not run again. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  const fd = openSync(temp, 'wx', options.mode ?? DEFAULT_MODE);
  try {
    const bytes = toBytes(data);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  fsyncDirectorySync(dirname(path));
}

/** A JSON file that cannot be trusted: names the file so an operator knows which one. */
export class CorruptFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} cannot be trusted: ${reason}`);
    this.name = 'CorruptFileError';
  }
}

function parseJsonFile(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CorruptFileError(path, `not valid JSON (${error instanceof Error ? error.message : 'parse error'})`);
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Reads a JSON file; undefined when it does not exist, CorruptFileError when it is not JSON. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  return parseJsonFile(path, text);
}

export function readJsonFileSync(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  return parseJsonFile(path, text);
}

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
