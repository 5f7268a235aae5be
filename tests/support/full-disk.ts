// A disk that fills up, at a store's file-writing boundary (its FileWriter parameter): writes go to
// the real filesystem through writeFileAtomic while there is room, and fail with the error a full
// disk gives — a real ENOSPC, made by writing to /dev/full where it exists — once there is none.
// Mounting a small filesystem needs privileges the tests do not assume; see also
// `withFileSizeLimit` (RLIMIT_FSIZE on a child process), which gives the real EFBIG.
import { writeFileSync } from 'node:fs';
import { type FileWriter, writeFileAtomic } from '../../src-node/kernel/storage/atomic-file.js';

/** The error write(2) gives on a full disk. */
export function noSpaceError(path: string): NodeJS.ErrnoException {
  try {
    writeFileSync('/dev/full', 'x');
  } catch (error) {
    const real = error as NodeJS.ErrnoException;
    if (real.code === 'ENOSPC') return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC', errno: real.errno, syscall: 'write', path });
  }
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC', errno: -28, syscall: 'write', path });
}

export class FullDisk {
  /** Bytes that still fit; Infinity when the disk has room. */
  private room: number;
  /** Writes refused so far. */
  refused = 0;
  written = 0;

  constructor(roomBytes = Infinity) {
    this.room = roomBytes;
  }

  /** No byte fits any more. */
  fill(): void {
    this.room = 0;
  }

  /** The disk fills up after `writes` more writes have gone through. */
  fillAfter(writes: number): void {
    this.fillAt = this.written + writes;
  }

  private fillAt = Infinity;

  /** Room again (an operator freed space). */
  free(bytes = Infinity): void {
    this.room = bytes;
  }

  get isFull(): boolean {
    return this.room <= 0;
  }

  /** The FileWriter to give a store. */
  readonly write: FileWriter = async (path, data, options) => {
    if (this.written >= this.fillAt) {
      this.fillAt = Infinity;
      this.fill();
    }
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (size > this.room) {
      this.refused++;
      throw noSpaceError(path);
    }
    await writeFileAtomic(path, data, options);
    this.room -= size;
    this.written++;
  };
}
