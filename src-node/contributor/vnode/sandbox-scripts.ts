// The two scripts of a VNode sandbox, as source text. They run from strings (`node -e` for the
// process, `new Worker(…, { eval: true })` for the task), so the bundle needs no extra files and
// nothing else is loaded into the sandbox. Plain JavaScript on purpose: the sandbox runs exactly
// what is written here, whatever the bundler does to the rest of the code.
//
// The process ("controller") receives one task at a time over IPC, runs it in a fresh worker
// thread (a new V8 isolate with its own heap limit), reports its CPU time every CPU_REPORT_MS,
// relays pause/resume to the worker through a shared flag, and sends the result back. A worker
// is used for one task only; the next one boots while the current task runs, so a task does not
// wait ~20 ms for a new isolate (the spare's boot counts in the CPU time of the task it overlaps).
//
// The worker compiles the module and instantiates it with the host API only (host-api.ts):
// memory, input_len, input_read, output_write, yield. The module can reach nothing else; the
// worker itself holds only the module bytes, the input and the flag. A WASI task (kind 'wasi')
// runs under node:wasi with wrapped imports instead (wasi-worker-script.ts); the same worker, so
// the spare booted ahead serves either kind.
import { WASI_WORKER_SOURCE, type WasiWorkerOutcome, type WasiWorkerTask } from './wasi-worker-script.js';

import { PPID_CHECK_MS } from '../../kernel/process/lifeline.js';

/** How often the sandbox reports the CPU time of its current task. */
export const CPU_REPORT_MS = 200;
/** A task's worker: JS heap limits, MiB (WebAssembly memory is outside this heap). */
export const TASK_HEAP_MB = 32;
export const TASK_YOUNG_HEAP_MB = 8;

/** Messages host → sandbox. */
export interface SandboxRunMessage {
  readonly type: 'run';
  readonly kind?: undefined;
  readonly taskId: string;
  readonly module: Uint8Array;
  readonly input: Uint8Array;
  readonly entry: string;
  readonly memory: { readonly initial: number; readonly maximum: number } | null;
  readonly entryReturnsStatus: boolean;
  readonly maxOutput: number;
  /** Start suspended (cooperative flag set) until a `resume`. */
  readonly paused: boolean;
}
/** A WASI task (the worker part is WasiWorkerTask). */
export interface SandboxWasiRunMessage extends WasiWorkerTask {
  readonly type: 'run';
  readonly taskId: string;
  /** Start suspended (cooperative flag set) until a `resume`. */
  readonly paused: boolean;
}
export type HostToSandbox = SandboxRunMessage | SandboxWasiRunMessage | { readonly type: 'pause' } | { readonly type: 'resume' };

/** Messages sandbox → host. */
export type SandboxToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'cpu'; readonly taskId: string; readonly cpuMs: number }
  | {
      readonly type: 'result';
      readonly taskId: string;
      readonly status: 'ok' | 'failed' | 'memory-exceeded' | 'trap';
      readonly detail: string | null;
      readonly output: Uint8Array | null;
      /** WASI tasks. */
      readonly wasi?: WasiWorkerOutcome;
      readonly cpuMs: number;
    };

export const WORKER_SOURCE = String.raw`'use strict';
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (task) => parentPort.postMessage(...(task.kind === 'wasi' ? runWasi(task) : runTask(task))));

// How both kinds of task name what the engine threw: a trap (memory at its cap, or not), a stack
// overflow, a module that does not compile or link, or the sandbox's own failure.
function engineFailure(error, message, atPages, maxPages) {
  if (error instanceof WebAssembly.RuntimeError) {
    if (maxPages !== null && atPages >= maxPages) return { status: 'memory-exceeded', detail: 'trapped (' + message + ') with its memory at the cap of ' + atPages + ' pages' };
    return { status: 'trap', detail: message + (maxPages !== null ? ' (memory ' + atPages + ' of ' + maxPages + ' pages)' : '') };
  }
  if (error instanceof RangeError && /call stack/i.test(message)) return { status: 'trap', detail: 'stack overflow: ' + message };
  if (error instanceof WebAssembly.CompileError) return { status: 'failed', detail: 'the module does not compile: ' + message };
  if (error instanceof WebAssembly.LinkError) return { status: 'failed', detail: 'the module does not link: ' + message };
  return { status: 'failed', detail: 'the sandbox failed: ' + message };
}

function runTask(task) {
  const flag = new Int32Array(task.control);
  const input = task.input;
  const PAGE = 65536;
  let memory = null;
  const outputChunks = [];
  let outputLength = 0;

  class HostApiMisuse extends Error {}
  function misuse(message) {
    throw new HostApiMisuse(message);
  }
  function memoryBytes(call) {
    if (memory === null) misuse(call + ': the module imports no memory');
    return new Uint8Array(memory.buffer);
  }
  const env = {
    input_len() {
      return input.length;
    },
    input_read(ptr, offset, len) {
      ptr >>>= 0;
      offset >>>= 0;
      len >>>= 0;
      const call = 'input_read(' + ptr + ', ' + offset + ', ' + len + ')';
      if (offset + len > input.length) misuse(call + ': past the end of the ' + input.length + '-byte input');
      const bytes = memoryBytes(call);
      if (ptr + len > bytes.length) misuse(call + ': past the end of the ' + bytes.length + '-byte memory');
      bytes.set(input.subarray(offset, offset + len), ptr);
    },
    output_write(ptr, len) {
      ptr >>>= 0;
      len >>>= 0;
      const call = 'output_write(' + ptr + ', ' + len + ')';
      const bytes = memoryBytes(call);
      if (ptr + len > bytes.length) misuse(call + ': past the end of the ' + bytes.length + '-byte memory');
      if (outputLength + len > task.maxOutput) misuse(call + ': output over the ' + task.maxOutput + '-byte limit');
      outputChunks.push(bytes.slice(ptr, ptr + len));
      outputLength += len;
    },
    yield() {
      while (Atomics.load(flag, 0) !== 0) Atomics.wait(flag, 0, 1);
    },
  };

  function pages() {
    return memory === null ? 0 : memory.buffer.byteLength / PAGE;
  }

  let status = 'ok';
  let detail = null;
  try {
    const module = new WebAssembly.Module(task.module);
    const imports = { env: Object.assign({}, env) };
    if (task.memory !== null) {
      memory = new WebAssembly.Memory({ initial: task.memory.initial, maximum: task.memory.maximum });
      imports.env.memory = memory;
    }
    env.yield();
    const instance = new WebAssembly.Instance(module, imports);
    const returned = instance.exports[task.entry]();
    if (task.entryReturnsStatus && returned !== 0) {
      status = 'failed';
      detail = 'entry "' + task.entry + '" returned ' + returned;
    }
  } catch (error) {
    const message = error && error.message ? error.message : String(error);
    if (error instanceof HostApiMisuse) {
      status = 'trap';
      detail = 'host API misuse: ' + message;
    } else {
      ({ status, detail } = engineFailure(error, message, pages(), task.memory !== null ? task.memory.maximum : null));
    }
  }
  let output = null;
  if (status === 'ok') {
    output = new Uint8Array(outputLength);
    let at = 0;
    for (const chunk of outputChunks) {
      output.set(chunk, at);
      at += chunk.length;
    }
  }
  return [{ status, detail, output }, output ? [output.buffer] : []];
}
${WASI_WORKER_SOURCE}`;

export const CONTROLLER_SOURCE = String.raw`'use strict';
const { Worker } = require('node:worker_threads');
const WORKER_SOURCE = ${JSON.stringify(WORKER_SOURCE)};
const CPU_REPORT_MS = ${CPU_REPORT_MS};
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: ${TASK_HEAP_MB}, maxYoungGenerationSizeMb: ${TASK_YOUNG_HEAP_MB} };
let current = null;
let spare = null;

function cpuMs() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
// The channel to the host: Node's IPC (spawned with an 'ipc' stdio), or the port of an Electron
// utility process (process.parentPort), whichever this process was started with.
const port = process.parentPort || null;
function send(message) {
  if (port !== null) port.postMessage(message);
  else if (process.connected) process.send(message);
}
function onMessage(handler) {
  if (port !== null) port.on('message', (event) => handler(event.data));
  else process.on('message', handler);
}

function bootWorker() {
  return new Worker(WORKER_SOURCE, { eval: true, resourceLimits: RESOURCE_LIMITS, env: {}, argv: [], stdin: false, stdout: true, stderr: true });
}

// A spare worker booted ahead of the next task (while this one runs); dropped, and booted on
// demand, if it fails while waiting.
function bootSpare() {
  if (spare !== null) return;
  const worker = bootWorker();
  const drop = () => {
    if (spare === worker) spare = null;
  };
  worker.once('error', drop);
  worker.once('exit', drop);
  spare = { worker, drop };
}

function run(task) {
  if (current !== null) {
    send({ type: 'result', taskId: task.taskId, status: 'failed', detail: 'the sandbox is busy', output: null, cpuMs: 0 });
    return;
  }
  const control = new SharedArrayBuffer(4);
  const flag = new Int32Array(control);
  if (task.paused) flag[0] = 1;
  const start = cpuMs();
  let worker;
  if (spare !== null) {
    worker = spare.worker;
    worker.off('error', spare.drop);
    worker.off('exit', spare.drop);
    spare = null;
  } else {
    worker = bootWorker();
  }
  const timer = setInterval(() => send({ type: 'cpu', taskId: task.taskId, cpuMs: cpuMs() - start }), CPU_REPORT_MS);
  current = { taskId: task.taskId, flag };
  setImmediate(bootSpare);
  let settled = false;
  const finish = (result) => {
    if (settled) return;
    settled = true;
    clearInterval(timer);
    current = null;
    send({ type: 'result', taskId: task.taskId, status: result.status, detail: result.detail, output: result.output, wasi: result.wasi, cpuMs: cpuMs() - start });
    worker.terminate().catch(() => undefined);
  };
  worker.once('message', (result) => finish({ status: result.status, detail: result.detail, output: result.output || null, wasi: result.wasi }));
  worker.once('error', (error) => {
    if (error && error.code === 'ERR_WORKER_OUT_OF_MEMORY') finish({ status: 'memory-exceeded', detail: 'the task reached its JavaScript heap limit', output: null });
    else finish({ status: 'failed', detail: 'the sandbox worker failed: ' + (error && error.message ? error.message : String(error)), output: null });
  });
  worker.once('exit', (code) => finish({ status: 'failed', detail: 'the sandbox worker exited (' + code + ') without a result', output: null }));
  const { type: _type, paused: _paused, ...work } = task;
  worker.postMessage({ ...work, control });
}

onMessage((message) => {
  if (message === null || typeof message !== 'object') return;
  if (message.type === 'run') run(message);
  else if (message.type === 'pause' && current !== null) Atomics.store(current.flag, 0, 1);
  else if (message.type === 'resume' && current !== null) {
    Atomics.store(current.flag, 0, 0);
    Atomics.notify(current.flag, 0);
  }
});
// The host gone means this sandbox goes: Node IPC says so with 'disconnect'. An Electron utility
// process has no such event here, so it watches its parent pid instead (the fallback where no
// pipe can be passed).
process.on('disconnect', () => process.exit(0));
if (port !== null) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, ${PPID_CHECK_MS}).unref();
}
send({ type: 'ready' });
bootSpare();
`;
