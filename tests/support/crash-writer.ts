// The child process of the crash-safety tests (atomic-file.crash.test.ts): it writes as fast as it
// can until the parent SIGKILLs it. It has no side effects on import; the test bundles a two-line
// entry that calls runCrashWriter.
//
//   atomic <file>           rewrites <file> with version 1, 2, 3, … (continuing after the version
//                           found there), alternating writeFileAtomic and writeFileAtomicSync
//   trace <file> <trial>    appends trace events {trial, seq} through TraceLog (rotating)
//   exit <file>             emits one trace event and calls process.exit() at once, without close()
//
// It prints "ready" once the first write is done, and gives up by itself after CRASH_WRITER_MAX_MS
// so an orphan never outlives a failed test run for long.
import { readFileSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicSync } from '../../src-node/kernel/storage/atomic-file.js';
import { TraceLog } from '../../src-node/kernel/trace/trace-log.js';

export const CRASH_WRITER_MAX_MS = 20_000;
/** Small enough that the trace log rotates while being killed. */
export const CRASH_TRACE_MAX_BYTES = 512 * 1024;
export const CRASH_TRACE_ROTATED_FILES = 3;
export const CRASH_TRACE_BATCH = 50;
export const CRASH_TRACE_MAX_PAD = 2_000;
/** Versions grow, wrap, and grow again, so kills land in small and large writes alike. */
export const CRASH_MAX_PAYLOAD = 256 * 1024;

/** The exact text of version `n` of the crash-test file. */
export function crashVersionText(n: number): string {
  const length = 64 + ((n * 7919) % CRASH_MAX_PAYLOAD);
  const unit = `v${n};`;
  const payload = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  return `${JSON.stringify({ version: n, length, payload }, null, 2)}\n`;
}

function currentVersion(path: string): number {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
    return typeof value.version === 'number' ? value.version : 0;
  } catch {
    return 0;
  }
}

async function rewriteForever(path: string): Promise<void> {
  const deadline = Date.now() + CRASH_WRITER_MAX_MS;
  let version = currentVersion(path);
  let ready = false;
  while (Date.now() < deadline) {
    version += 1;
    if (version % 2 === 0) await writeFileAtomic(path, crashVersionText(version));
    else writeFileAtomicSync(path, crashVersionText(version));
    if (!ready) {
      ready = true;
      process.stdout.write('ready\n');
    }
  }
}

async function appendForever(path: string, trial: number): Promise<void> {
  const deadline = Date.now() + CRASH_WRITER_MAX_MS;
  const log = new TraceLog({ path, nodeSelf: 'node:did:key:z6MkCrashWriter', maxBytes: CRASH_TRACE_MAX_BYTES, rotatedFiles: CRASH_TRACE_ROTATED_FILES, memoryEvents: 16 });
  let seq = 0;
  let ready = false;
  while (Date.now() < deadline) {
    for (let i = 0; i < CRASH_TRACE_BATCH; i++) log.emit('peer/discovered', { detail: { trial, seq: seq++, pad: 'x'.repeat((seq * 7919) % CRASH_TRACE_MAX_PAD) } });
    log.flush();
    if (!ready) {
      ready = true;
      process.stdout.write('ready\n');
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  log.close();
}

function emitAndExit(path: string): void {
  const log = new TraceLog({ path, nodeSelf: 'node:did:key:z6MkCrashWriter' });
  log.emit('error/occurred', { detail: { code: 'E_TRANSPORT_UNAVAILABLE', class: 'transport/unavailable', message: 'last words' } });
  process.exit(0);
}

export async function runCrashWriter(argv: readonly string[]): Promise<void> {
  const [mode, path, trial] = argv;
  if (mode === 'exit' && path) return emitAndExit(path);
  if (mode === 'atomic' && path) return rewriteForever(path);
  if (mode === 'trace' && path) return appendForever(path, Number(trial ?? 0));
  throw new Error('usage: crash-writer atomic <file> | trace <file> <trial> | exit <file>');
}
