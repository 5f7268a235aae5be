// Test helpers for the VNode host: a host in a temp dir, modules compiled and cached, tasks, and
// bounded waiting.
import { DEFAULT_LIMITS, type ContributionLimits } from '../../../src-shared/control/state.js';
import type { ContentHash } from '../../../src-shared/vnode/content-hash.js';
import type { VNodeTask, WorkloadNeeds } from '../../../src-shared/vnode/workload.js';
import { VNodeHost, type VNodeHostOptions } from '../../../src-node/contributor/vnode/vnode-host.js';
import { compileWat } from './wat.js';
import { pause, waitUntil } from '../wait.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_LIMITS: ContributionLimits = { ...DEFAULT_LIMITS, cpuPercent: 100, memoryPercent: 50, maxCores: 2, pauseOnBattery: true, onlyWhenIdle: true };
export const TEST_NEEDS: WorkloadNeeds = { memoryMb: 64, maxMs: 20_000, cores: 1 };

export interface TestHost {
  readonly host: VNodeHost;
  readonly dataDir: string;
  cleanup(): Promise<void>;
}

export async function startTestHost(options: Partial<VNodeHostOptions> = {}, dataDir?: string): Promise<TestHost> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'pnode-vnode-'));
  const host = new VNodeHost({ dataDir: dir, limits: TEST_LIMITS, totalMemoryMb: 8192, logicalCores: 4, ...options });
  await host.start();
  return {
    host,
    dataDir: dir,
    cleanup: async () => {
      await host.stop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CachedModule {
  readonly hash: ContentHash;
  readonly size: number;
}

/** Compiles WAT and puts it in the host's module cache. */
export async function cacheWat(host: VNodeHost, source: string): Promise<CachedModule> {
  const bytes = await compileWat(source);
  const put = await host.modules.put(bytes);
  if (!put.ok) throw put.error;
  return { hash: put.value, size: bytes.length };
}

let taskCounter = 0;

export function taskFor(module: CachedModule, fields: { vnodeId?: string; input?: Uint8Array; entry?: string; needs?: Partial<WorkloadNeeds>; taskId?: string } = {}): VNodeTask {
  return {
    taskId: fields.taskId ?? `task-${++taskCounter}`,
    vnodeId: fields.vnodeId ?? 'vnode-1',
    moduleHash: module.hash,
    moduleSize: module.size,
    entry: fields.entry ?? 'run',
    input: fields.input ?? new Uint8Array(0),
    needs: { ...TEST_NEEDS, ...fields.needs },
  };
}

export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

/** Waiting, as every test waits (tests/support/wait.ts): `sleep` only for a window in which nothing may happen. */
export { pause as sleep, waitUntil as waitFor };

/** The fields of /proc/<pid>/stat after the command name, or null where there is no /proc. */
function procStat(pid: number): string[] | null {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return null;
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // the process ended between the two calls
  }
}

/** The OS state letter of a process (R running, S sleeping, T stopped), where /proc exists. */
export function processState(pid: number): string | null {
  return procStat(pid)?.[0] ?? null;
}

/** utime + stime of a process, in clock ticks, from the kernel (null where there is no /proc). */
export function cpuTicks(pid: number): number | null {
  const fields = procStat(pid);
  return fields ? Number(fields[11]) + Number(fields[12]) : null;
}

/** A task whose CPU time grows by less than this over SETTLE_WINDOW_MS is no longer computing. */
const SETTLED_CPU_MS = 50;
/** Longer than two of the sandbox's CPU reports (CPU_REPORT_MS). */
const SETTLE_WINDOW_MS = 500;

/**
 * Waits until the CPU time `cpuMs` reads stops growing (less than SETTLED_CPU_MS over a window):
 * a cooperative pause, which a module reaches at its next yield, has taken effect.
 */
export async function waitForCpuToSettle(cpuMs: () => number, what: string): Promise<void> {
  let last = cpuMs();
  let since = Date.now();
  await waitUntil(() => {
    if (Date.now() - since < SETTLE_WINDOW_MS) return false;
    const now = cpuMs();
    const settled = now - last < SETTLED_CPU_MS;
    last = now;
    since = Date.now();
    return settled;
  }, what);
}

/** True while a process with this pid exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
