// The process table, read from /proc (Linux): how the supervision tests find survivors. A process
// is named by its pid and its start time (so a pid reused by a newcomer is not mistaken for the
// one we saw); a zombie counts as gone (it has exited; only its parent's bookkeeping is left).
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** Session id: a detached child leads its own session, and its sandboxes stay in it. */
  readonly session: number;
  readonly state: string;
  /** Clock ticks after boot (field 22 of /proc/<pid>/stat). */
  readonly startTime: number;
}

/** Whether this machine has a readable /proc (the tests that scan it are skipped elsewhere). */
export function hasProcTable(): boolean {
  try {
    readFileSync('/proc/self/stat', 'utf8');
    return true;
  } catch {
    return false;
  }
}

/** One process, or undefined when it does not exist (or has exited and is a zombie). */
export function processEntry(pid: number): ProcessEntry | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session …": comm may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const entry = { pid, state: fields[0]!, ppid: Number(fields[1]), session: Number(fields[3]), startTime: Number(fields[19]) };
  return entry.state === 'Z' || entry.state === 'X' ? undefined : entry;
}

/** Every live process. */
export function processTable(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = processEntry(Number(name));
    if (entry) out.push(entry);
  }
  return out;
}

/** Whether the process seen as `entry` still runs (same pid, same start time). */
export function stillRunning(entry: Pick<ProcessEntry, 'pid' | 'startTime'>): boolean {
  return processEntry(entry.pid)?.startTime === entry.startTime;
}

/** The environment a process was started with (empty when it cannot be read). */
export function environmentOf(pid: number): Map<string, string> {
  const env = new Map<string, string>();
  try {
    for (const pair of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const at = pair.indexOf('=');
      if (at > 0) env.set(pair.slice(0, at), pair.slice(at + 1));
    }
  } catch {
    // Gone, or not ours to read.
  }
  return env;
}

/** The processes below `root` (children, grandchildren, …) right now, by parent links. */
export function descendantsOf(root: number, table: readonly ProcessEntry[] = processTable()): ProcessEntry[] {
  const byParent = new Map<number, ProcessEntry[]>();
  for (const entry of table) byParent.set(entry.ppid, [...(byParent.get(entry.ppid) ?? []), entry]);
  const out: ProcessEntry[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/**
 * Processes of one supervision tree, by a scan of the whole table: those started with
 * `<variable>=<tree>` in their environment, and those in the session of one of them (a sandbox
 * carries no variable of ours, but stays in its node's session after the node dies).
 */
export function treeMembers(variable: string, tree: string, table: readonly ProcessEntry[] = processTable()): ProcessEntry[] {
  const marked = table.filter((entry) => environmentOf(entry.pid).get(variable) === tree);
  const sessions = new Set(marked.filter((entry) => entry.session === entry.pid).map((entry) => entry.pid));
  const members = new Map(marked.map((entry) => [entry.pid, entry]));
  for (const entry of table) if (sessions.has(entry.session)) members.set(entry.pid, entry);
  return [...members.values()];
}

/** Remembers every process it is shown, to ask later which of them still run. */
export class ProcessWitness {
  private readonly seen = new Map<number, ProcessEntry>();

  note(entries: Iterable<ProcessEntry>): void {
    for (const entry of entries) if (this.seen.get(entry.pid)?.startTime !== entry.startTime) this.seen.set(entry.pid, entry);
  }

  get count(): number {
    return this.seen.size;
  }

  survivors(): ProcessEntry[] {
    return [...this.seen.values()].filter(stillRunning);
  }
}

/**
 * Waits, up to `timeoutMs`, until `alive()` is empty, looking every `everyMs`; the ms it took, or
 * the survivors when time ran out.
 */
export async function waitUntilGone(alive: () => readonly ProcessEntry[], timeoutMs: number, everyMs = 10): Promise<{ ms: number; survivors: ProcessEntry[] }> {
  const started = performance.now();
  for (;;) {
    const left = [...alive()];
    if (left.length === 0) return { ms: performance.now() - started, survivors: [] };
    if (performance.now() - started > timeoutMs) return { ms: performance.now() - started, survivors: left };
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
