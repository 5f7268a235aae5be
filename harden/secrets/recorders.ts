// Issue 8 §5 (secrets): everything a devnet says, kept for the scan. Child processes with their
// whole stdout and stderr, a control-server client that keeps every message exactly as it arrived
// (and every request it sent), and HTTP answers. All waits are bounded.
import { type ChildProcess } from 'node:child_process';
import { spawnSupervised } from '../../src-node/kernel/process/lifeline.js';
import { WebSocket } from 'ws';
import type { CommandResult } from '../../src-shared/control/commands.js';
import type { ControlServerMessage } from '../../src-shared/control/messages.js';
import type { NodeState } from '../../src-shared/control/state.js';
import { CONTROL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../../src-node/control/control-auth.js';
import type { Capture } from './scanner.js';

/** Where every captured message goes, in order. */
export class CaptureSink {
  readonly captures: Capture[] = [];
  /** Processes started through spawnCaptured. */
  spawned = 0;
  private readonly streams = new Map<string, Buffer[]>();

  add(name: string, data: string | Uint8Array): void {
    this.captures.push({ name, data });
  }

  /** Appends a chunk to a named stream (a process's stdout); streams become one capture each in all(). */
  append(name: string, chunk: Buffer): void {
    const list = this.streams.get(name);
    if (list) list.push(chunk);
    else this.streams.set(name, [chunk]);
  }

  all(): Capture[] {
    return [...this.captures, ...[...this.streams].map(([name, chunks]) => ({ name, data: Buffer.concat(chunks) }))];
  }
}

export interface CapturedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far, as text. */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (if still running) and waits for the exit, SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Starts `node <pnodeBin> <args>`, every byte of its output going to `sink`. */
export function spawnCaptured(sink: CaptureSink, name: string, pnodeBin: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): CapturedProcess {
  const child = spawnSupervised(process.execPath, [pnodeBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  sink.spawned++;
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    sink.append(`${name} (stdout)`, chunk);
    text += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    sink.append(`${name} (stderr)`, chunk);
    text += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', () => done({ code: null, signal: null }));
  });
  return {
    name,
    child,
    output: () => text,
    exited,
    async stop(signal = 'SIGINT', graceMs = 8_000) {
      if (running(child)) child.kill(signal);
      const timer = setTimeout(() => {
        if (running(child)) child.kill('SIGKILL');
      }, graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Waits until the output matches `pattern` (first group returned), the process exits, or the time is up. */
export async function waitForOutput(proc: CapturedProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(proc.output());
    if (match) return match[1] ?? match[0];
    if (!running(proc.child)) throw new Error(`${proc.name} exited before printing ${pattern}:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`${proc.name} did not print ${pattern} within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `node <pnodeBin> <args>` to its end (killed after `timeoutMs`). */
export async function runCaptured(sink: CaptureSink, name: string, pnodeBin: string, args: readonly string[], timeoutMs = 30_000, env?: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const proc = spawnCaptured(sink, name, pnodeBin, args, env);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, output: proc.output() };
}

/** GET (or POST) on an HTTP API on loopback; the answer's body is captured. */
export async function httpCaptured(sink: CaptureSink, name: string, url: string, init: { method?: string; token?: string; body?: string } = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: init.body } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  sink.add(`${name} ${init.method ?? 'GET'} ${new URL(url).pathname} → ${response.status}`, text);
  return { status: response.status, text };
}

/** A control-server client that records every message, raw. */
export class ControlRecorder {
  private current: NodeState | undefined;
  private nextId = 1;
  private received = 0;
  private readonly pending = new Map<number, (result: CommandResult) => void>();
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly socket: WebSocket,
    private readonly name: string,
    private readonly sink: CaptureSink,
  ) {}

  get messages(): number {
    return this.received;
  }

  static connect(url: string, token: string, name: string, sink: CaptureSink, timeoutMs = 15_000): Promise<ControlRecorder> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`], { handshakeTimeout: timeoutMs, perMessageDeflate: false });
      const recorder = new ControlRecorder(socket, name, sink);
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`${name}: no control state within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on('close', () => {
        for (const settle of recorder.pending.values()) settle({ ok: false, error: { code: 'not-available', message: 'control connection closed' } });
        recorder.pending.clear();
      });
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        const raw = isBinary ? Uint8Array.from(data) : data.toString('utf8');
        recorder.received++;
        let message: ControlServerMessage;
        try {
          message = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')) as ControlServerMessage;
        } catch {
          sink.add(`${name} control message ${recorder.received} (not JSON)`, raw);
          return;
        }
        sink.add(`${name} control message ${recorder.received} (${message.type})`, raw);
        if (message.type === 'response') {
          recorder.pending.get(message.id)?.(message.result);
          recorder.pending.delete(message.id);
          return;
        }
        if (message.type === 'state') recorder.current = message.state;
        else if (message.type === 'patch' && recorder.current) recorder.current = { ...recorder.current, ...message.patch };
        for (const listener of recorder.listeners) listener();
        if (message.type === 'state') {
          clearTimeout(timer);
          resolve(recorder);
        }
      });
    });
  }

  state(): NodeState {
    if (!this.current) throw new Error(`${this.name}: no state yet`);
    return this.current;
  }

  /** Sends a command (recorded too) and waits for its answer. */
  command<T = unknown>(command: Record<string, unknown>, timeoutMs = 30_000): Promise<CommandResult<T>> {
    const id = this.nextId++;
    const text = JSON.stringify({ id, command });
    this.sink.add(`${this.name} control request ${id} (${String(command['command'])})`, text);
    return new Promise((settle) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        settle({ ok: false, error: { code: 'not-available', message: `no answer within ${timeoutMs} ms` } });
      }, timeoutMs);
      this.pending.set(id, (result) => {
        clearTimeout(timer);
        settle(result as CommandResult<T>);
      });
      this.socket.send(text);
    });
  }

  /** Resolves once `predicate` holds for the state (checked on every update); rejects after the timeout. */
  waitFor(predicate: (state: NodeState) => boolean, timeoutMs: number, what: string): Promise<NodeState> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.current && predicate(this.current)) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(this.current);
          return true;
        }
        return false;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.name}: ${what} not reached within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
      check();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 2_000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close();
    });
  }
}
