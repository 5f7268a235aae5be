// The part of a sandbox's task worker that runs WASI programs (issue 13 §2), as source text that
// sandbox-scripts.ts puts into the worker (plain JavaScript: the sandbox runs exactly this).
//
// The program runs under Node's own node:wasi, but never sees its import object directly: every
// function is wrapped. Why each wrapper exists:
//   - stdio: fds 0–2 never reach node:wasi. stdin is served from the task's bytes; stdout is kept
//     up to the output cap (a program that writes past it is stopped: its output could not be
//     whole); stderr is kept up to its cap and the rest dropped (it is for people). They report
//     file type "unknown", so libc buffers them fully instead of line by line.
//   - files: node:wasi confines paths to the one preopen (the task directory), but the permission
//     model does not cover WASI, so the wrappers add what it lacks: no symlinks or hard links can
//     be made; opening an input file for writing or truncation is refused (checked by inode, so
//     every path to it, "..", renames and all, is caught); bytes written to files and entries
//     created are bounded (the disk is the volunteer's). fds ≤ 2 are refused as directories.
//   - determinism (replicas are compared byte for byte): random_get is the seeded stream of
//     wasi-random.ts; every clock is virtual (wasi-api.ts: a fixed epoch plus WASI_CLOCK_TICK_NS
//     per reading), poll_oneoff advances it instead of sleeping; file timestamps read as the
//     epoch and device numbers as 0; the environment is empty; proc_raise is refused.
//   - pausing: every call is a safe point that waits while the cooperative pause flag is set
//     (Windows, where the host cannot SIGSTOP the process).
// Sockets are not in the import object at all (the host refuses modules that import them).
import { MAX_OUTPUT_BYTES } from '../../../src-shared/vnode/limits.js';
import { WASI_CLOCK_EPOCH_NS, WASI_CLOCK_TICK_NS, WASI_FUNCTION_NAMES, WASI_PREOPEN, WASI_PROGRAM_NAME } from '../../../src-shared/vnode/wasi-api.js';

/** The message the worker gets for a WASI task (besides `kind: 'wasi'` and the pause flag). */
export interface WasiWorkerTask {
  readonly kind: 'wasi';
  /** The module with its memory maximum capped (wasi-plan.ts). */
  readonly module: Uint8Array;
  readonly args: readonly string[];
  readonly stdin: Uint8Array;
  /** Host path of the task directory, preopened as WASI_PREOPEN. */
  readonly preopen: string;
  /** `dev:ino` of every input file (read-only). */
  readonly inputIds: readonly string[];
  readonly outputCap: number;
  readonly stderrCap: number;
  readonly writtenCap: number;
  readonly createdCap: number;
  /** wasiRandomKey(seed). */
  readonly seedKey: Uint8Array;
  /** The memory cap, pages (to tell a trap at the cap from another). */
  readonly memoryMaxPages: number;
}

/** What the worker reports about the program beside status and detail. */
export interface WasiWorkerOutcome {
  readonly exitCode: number | null;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  readonly stderrTruncated: boolean;
}

export const WASI_WORKER_SOURCE = String.raw`
function runWasi(task) {
  const { WASI } = require('node:wasi');
  const { createHash } = require('node:crypto');
  const NAMES = ${JSON.stringify(WASI_FUNCTION_NAMES)};
  const PREOPEN = ${JSON.stringify(WASI_PREOPEN)};
  const PROGRAM = ${JSON.stringify(WASI_PROGRAM_NAME)};
  const EPOCH = ${WASI_CLOCK_EPOCH_NS.toString()}n;
  const TICK = ${WASI_CLOCK_TICK_NS.toString()}n;
  const MAX_STDOUT = ${MAX_OUTPUT_BYTES};
  const PAGE = 65536;
  const CLOCKS = 4; // realtime, monotonic, process and thread CPU time
  const E = { SUCCESS: 0, ACCES: 2, BADF: 8, FAULT: 21, INVAL: 28, NOENT: 44, NOSYS: 52, PERM: 63, SPIPE: 70 };
  // Rights that let an fd change a file's contents: fd_datasync, fd_write, fd_allocate, fd_filestat_set_size.
  const WRITE_RIGHTS = (1n << 0n) | (1n << 6n) | (1n << 8n) | (1n << 22n);
  const OFLAG_CREAT = 1;
  const OFLAG_TRUNC = 8;
  const RIGHT_FD_READ = 1n << 1n;
  const RIGHT_FD_WRITE = 1n << 6n;
  const RIGHT_POLL = 1n << 27n;

  class WasiLimit extends Error {}
  class WasiMisuse extends Error {}

  const flag = new Int32Array(task.control);
  const stdin = task.stdin;
  const inputIds = new Set(task.inputIds);
  const outputCap = Math.min(task.outputCap, MAX_STDOUT);
  let memory = null;
  let stdinAt = 0;
  const stdoutChunks = [];
  let stdoutLength = 0;
  const stderr = new Uint8Array(task.stderrCap);
  let stderrLength = 0;
  let stderrTruncated = false;
  let written = 0;
  let created = 0;
  let virtualNs = 0n;
  let randomBlock = 0n;
  let pool = new Uint8Array(0);
  let poolAt = 0;

  function safePoint() {
    while (Atomics.load(flag, 0) !== 0) Atomics.wait(flag, 0, 1);
  }
  const bytes = () => new Uint8Array(memory.buffer);
  const view = () => new DataView(memory.buffer);
  function inBounds(ptr, len) {
    return ptr >= 0 && len >= 0 && ptr + len <= memory.buffer.byteLength;
  }
  function setU32(ptr, value) {
    if (!inBounds(ptr, 4)) return E.FAULT;
    view().setUint32(ptr, value, true);
    return E.SUCCESS;
  }
  function setU64(ptr, value) {
    if (!inBounds(ptr, 8)) return E.FAULT;
    view().setBigUint64(ptr, value, true);
    return E.SUCCESS;
  }
  // An iovec array: n × (buf u32, len u32). Null when any part is outside memory.
  function iovecs(iovs, n) {
    iovs >>>= 0;
    n >>>= 0;
    if (!inBounds(iovs, n * 8)) return null;
    const v = view();
    const list = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const ptr = v.getUint32(iovs + i * 8, true);
      const len = v.getUint32(iovs + i * 8 + 4, true);
      if (!inBounds(ptr, len)) return null;
      list.push([ptr, len]);
      total += len;
    }
    return { list, total };
  }
  function countWritten(n) {
    if (written + n > task.writtenCap) throw new WasiLimit('wrote more than ' + task.writtenCap + ' bytes to files');
    written += n;
  }
  function countCreated() {
    if (created >= task.createdCap) throw new WasiLimit('created more than ' + task.createdCap + ' files and directories');
    created++;
  }
  function bigCount(value) {
    return value > BigInt(task.writtenCap) ? task.writtenCap + 1 : Number(value);
  }

  // --- stdio -------------------------------------------------------------------------------
  function writeStdio(fd, iovs, n, nwritten) {
    const io = iovecs(iovs, n);
    if (io === null) return E.FAULT;
    const mem = bytes();
    if (fd === 1) {
      if (stdoutLength + io.total > outputCap) throw new WasiLimit('wrote more than its output cap (' + outputCap + ' bytes) to stdout');
      for (const [ptr, len] of io.list) if (len > 0) stdoutChunks.push(mem.slice(ptr, ptr + len));
      stdoutLength += io.total;
    } else {
      for (const [ptr, len] of io.list) {
        const take = Math.min(stderr.length - stderrLength, len);
        stderr.set(mem.subarray(ptr, ptr + take), stderrLength);
        stderrLength += take;
        if (take < len) stderrTruncated = true;
      }
    }
    return setU32(nwritten >>> 0, io.total);
  }
  function readStdin(iovs, n, nread) {
    const io = iovecs(iovs, n);
    if (io === null) return E.FAULT;
    const mem = bytes();
    let total = 0;
    for (const [ptr, len] of io.list) {
      const take = Math.min(len, stdin.length - stdinAt);
      mem.set(stdin.subarray(stdinAt, stdinAt + take), ptr);
      stdinAt += take;
      total += take;
      if (take < len) break;
    }
    return setU32(nread >>> 0, total);
  }
  function stdioFdstat(fd, ptr) {
    ptr >>>= 0;
    if (!inBounds(ptr, 24)) return E.FAULT;
    bytes().fill(0, ptr, ptr + 24);
    view().setBigUint64(ptr + 8, (fd === 0 ? RIGHT_FD_READ : RIGHT_FD_WRITE) | RIGHT_POLL, true);
    return E.SUCCESS;
  }
  function stdioFilestat(ptr) {
    ptr >>>= 0;
    if (!inBounds(ptr, 64)) return E.FAULT;
    bytes().fill(0, ptr, ptr + 64);
    return E.SUCCESS;
  }
  const STDIO = {
    fd_write: (fd, iovs, n, nwritten) => (fd === 0 ? E.BADF : writeStdio(fd, iovs, n, nwritten)),
    fd_read: (fd, iovs, n, nread) => (fd === 0 ? readStdin(iovs, n, nread) : E.BADF),
    fd_pread: () => E.SPIPE,
    fd_pwrite: () => E.SPIPE,
    fd_seek: () => E.SPIPE,
    fd_tell: () => E.SPIPE,
    fd_close: () => E.SUCCESS,
    fd_fdstat_get: (fd, ptr) => stdioFdstat(fd, ptr),
    fd_filestat_get: (fd, ptr) => stdioFilestat(ptr),
  };

  // --- determinism ---------------------------------------------------------------------------
  // Fills target with the next bytes of the stream, in place (no copy as large as the request).
  function fillRandom(target) {
    const counter = Buffer.alloc(8);
    for (let at = 0; at < target.length; ) {
      if (poolAt === pool.length) {
        counter.writeBigUInt64LE(randomBlock++);
        pool = createHash('sha256').update(task.seedKey).update(counter).digest();
        poolAt = 0;
      }
      const take = Math.min(target.length - at, pool.length - poolAt);
      target.set(pool.subarray(poolAt, poolAt + take), at);
      poolAt += take;
      at += take;
    }
  }
  function clockValue(id) {
    return id === 0 ? EPOCH + virtualNs : virtualNs;
  }
  // A stat as the program sees it: no device number, every timestamp the epoch.
  function normalizeStat(ptr) {
    ptr >>>= 0;
    if (!inBounds(ptr, 64)) return;
    const v = view();
    v.setBigUint64(ptr, 0n, true);
    for (const at of [40, 48, 56]) v.setBigUint64(ptr + at, EPOCH, true);
  }
  function pollOneoff(inPtr, outPtr, nsubs, neventsPtr) {
    inPtr >>>= 0;
    outPtr >>>= 0;
    nsubs >>>= 0;
    if (nsubs === 0) return E.INVAL;
    if (!inBounds(inPtr, nsubs * 48) || !inBounds(outPtr, nsubs * 32) || !inBounds(neventsPtr >>> 0, 4)) return E.FAULT;
    const v = view();
    const ready = [];
    const clocks = [];
    for (let i = 0; i < nsubs; i++) {
      const s = inPtr + i * 48;
      const userdata = v.getBigUint64(s, true);
      const tag = v.getUint8(s + 8);
      if (tag === 0) {
        const id = v.getUint32(s + 16, true);
        if (id >= CLOCKS) {
          ready.push({ userdata, error: E.INVAL, type: 0, nbytes: 0n });
          continue;
        }
        const timeout = v.getBigUint64(s + 24, true);
        const absolute = (v.getUint16(s + 40, true) & 1) !== 0;
        clocks.push({ userdata, due: absolute ? timeout - (id === 0 ? EPOCH : 0n) : virtualNs + timeout });
      } else if (tag === 1 || tag === 2) {
        // Every fd is ready at once: stdin and files never block, stdout and stderr are buffers.
        const fd = v.getUint32(s + 16, true);
        ready.push({ userdata, error: 0, type: tag, nbytes: tag === 1 && fd === 0 ? BigInt(stdin.length - stdinAt) : 0n });
      } else {
        return E.INVAL;
      }
    }
    let events = ready;
    if (events.length === 0) {
      let due = clocks[0].due;
      for (const c of clocks) if (c.due < due) due = c.due;
      if (due > virtualNs) virtualNs = due;
      events = clocks.filter((c) => c.due <= virtualNs).map((c) => ({ userdata: c.userdata, error: 0, type: 0, nbytes: 0n }));
    }
    const mem = bytes();
    events.forEach((event, i) => {
      const o = outPtr + i * 32;
      mem.fill(0, o, o + 32);
      v.setBigUint64(o, event.userdata, true);
      v.setUint16(o + 8, event.error, true);
      v.setUint8(o + 10, event.type);
      v.setBigUint64(o + 16, event.nbytes, true);
    });
    v.setUint32(neventsPtr >>> 0, events.length, true);
    return E.SUCCESS;
  }

  // --- the import object -----------------------------------------------------------------------
  function buildImports(real) {
    // What the path names, as the open would resolve it: { id: 'dev:ino' }, { missing: true }, or
    // null when it cannot be told (then a writing open is refused: it might be an input).
    // path_filestat_get writes its answer into the program's memory, so 64 bytes at address 0 are
    // lent and put back: the program is blocked in this call and cannot see the difference.
    function target(dirfd, dirflags, path, pathLen) {
      if (memory.buffer.byteLength < 64) return null;
      const saved = bytes().slice(0, 64);
      const errno = real.path_filestat_get(dirfd, dirflags, path, pathLen, 0);
      const v = view();
      const found = errno === E.SUCCESS ? { id: v.getBigUint64(0, true) + ':' + v.getBigUint64(8, true) } : errno === E.NOENT ? { missing: true } : null;
      bytes().set(saved, 0);
      return found;
    }
    const own = {
      fd_write(fd, iovs, n, nwritten) {
        const io = iovecs(iovs, n);
        if (io === null) return E.FAULT;
        countWritten(io.total);
        return real.fd_write(fd, iovs, n, nwritten);
      },
      fd_pwrite(fd, iovs, n, offset, nwritten) {
        const io = iovecs(iovs, n);
        if (io === null) return E.FAULT;
        countWritten(io.total);
        return real.fd_pwrite(fd, iovs, n, offset, nwritten);
      },
      fd_allocate(fd, offset, len) {
        countWritten(bigCount(len));
        return real.fd_allocate(fd, offset, len);
      },
      fd_filestat_set_size(fd, size) {
        countWritten(bigCount(size));
        return real.fd_filestat_set_size(fd, size);
      },
      fd_renumber(from, to) {
        return (to >>> 0) <= 2 ? E.BADF : real.fd_renumber(from, to);
      },
      fd_filestat_get(fd, ptr) {
        const errno = real.fd_filestat_get(fd, ptr);
        if (errno === E.SUCCESS) normalizeStat(ptr);
        return errno;
      },
      path_filestat_get(fd, flags, path, pathLen, ptr) {
        const errno = real.path_filestat_get(fd, flags, path, pathLen, ptr);
        if (errno === E.SUCCESS) normalizeStat(ptr);
        return errno;
      },
      path_open(dirfd, dirflags, path, pathLen, oflags, rightsBase, rightsInheriting, fdflags, fdPtr) {
        const writes = (oflags & OFLAG_TRUNC) !== 0 || (BigInt.asUintN(64, rightsBase) & WRITE_RIGHTS) !== 0n;
        if (writes && inputIds.size > 0) {
          const found = target(dirfd, dirflags, path, pathLen);
          if (found === null || (found.id !== undefined && inputIds.has(found.id))) return E.ACCES;
        }
        if ((oflags & OFLAG_CREAT) !== 0) countCreated();
        return real.path_open(dirfd, dirflags, path, pathLen, oflags, rightsBase, rightsInheriting, fdflags, fdPtr);
      },
      path_create_directory(fd, path, pathLen) {
        countCreated();
        return real.path_create_directory(fd, path, pathLen);
      },
      path_symlink: () => E.PERM,
      path_link: () => E.PERM,
      random_get(ptr, len) {
        ptr >>>= 0;
        len >>>= 0;
        if (!inBounds(ptr, len)) return E.FAULT;
        fillRandom(bytes().subarray(ptr, ptr + len));
        return E.SUCCESS;
      },
      clock_time_get(id, _precision, ptr) {
        if (id >>> 0 >= CLOCKS) return E.INVAL;
        virtualNs += TICK;
        return setU64(ptr >>> 0, clockValue(id >>> 0));
      },
      clock_res_get(id, ptr) {
        return id >>> 0 >= CLOCKS ? E.INVAL : setU64(ptr >>> 0, TICK);
      },
      poll_oneoff: pollOneoff,
      sched_yield: () => E.SUCCESS,
      proc_raise: () => E.NOSYS,
    };
    const imports = {};
    for (const name of NAMES) {
      const call = own[name] || real[name];
      if (typeof call !== 'function') continue;
      const stdio = STDIO[name];
      const ready = () => {
        safePoint();
        if (memory === null) throw new WasiMisuse(name + ' was called before _start');
      };
      if (name.startsWith('fd_')) {
        imports[name] = (fd, ...rest) => {
          ready();
          if (fd >>> 0 <= 2) return stdio ? stdio(fd >>> 0, ...rest) : E.BADF;
          return call(fd, ...rest);
        };
      } else if (name.startsWith('path_')) {
        imports[name] = (fd, ...rest) => {
          ready();
          return fd >>> 0 <= 2 ? E.BADF : call(fd, ...rest);
        };
      } else {
        imports[name] = (...args) => {
          ready();
          return call(...args);
        };
      }
    }
    return imports;
  }

  let status = 'ok';
  let detail = null;
  let exitCode = null;
  const pages = () => (memory === null ? 0 : memory.buffer.byteLength / PAGE);
  try {
    if (!WebAssembly.validate(task.module)) {
      status = 'failed';
      detail = 'the module is not valid WebAssembly (WebAssembly.validate refused it)';
    } else {
      const module = new WebAssembly.Module(task.module);
      const wasi = new WASI({ version: 'preview1', args: [PROGRAM].concat(task.args), env: {}, preopens: { [PREOPEN]: task.preopen }, returnOnExit: true });
      const imports = buildImports(wasi.getImportObject().wasi_snapshot_preview1);
      safePoint();
      const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports });
      memory = instance.exports.memory;
      // proc_exit takes a u32; read it as one whatever the binding hands back.
      exitCode = wasi.start(instance) >>> 0;
      if (exitCode !== 0) {
        status = 'failed';
        detail = 'exited with code ' + exitCode + (pages() >= task.memoryMaxPages ? ' (its memory was at the cap of ' + task.memoryMaxPages + ' pages)' : '');
      }
    }
  } catch (error) {
    const message = error && error.message ? error.message : String(error);
    exitCode = null;
    if (error instanceof WasiLimit) {
      status = 'trap';
      detail = 'stopped: it ' + message;
    } else if (error instanceof WasiMisuse) {
      status = 'trap';
      detail = 'WASI misuse: ' + message;
    } else {
      // engineFailure is the worker's (sandbox-scripts.ts), shared with host-API tasks.
      ({ status, detail } = engineFailure(error, message, pages(), task.memoryMaxPages));
    }
  }
  const stdout = new Uint8Array(stdoutLength);
  let at = 0;
  for (const chunk of stdoutChunks) {
    stdout.set(chunk, at);
    at += chunk.length;
  }
  const kept = stderr.slice(0, stderrLength);
  return [{ status, detail, wasi: { exitCode, stdout, stderr: kept, stderrTruncated } }, [stdout.buffer, kept.buffer]];
}
`;
