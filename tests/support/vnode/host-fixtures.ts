// Test helpers for the VNode host: a host in a temp dir, modules compiled and cached, tasks, and
// bounded waiting.
import { DEFAULT_LIMITS, type ContributionLimits } from '../../../src-shared/control/state.js';
import type { ContentHash } from '../../../src-shared/vnode/content-hash.js';
import type { VNodeTask, WorkloadNeeds } from '../../../src-shared/vnode/workload.js';
import { VNodeHost, type VNodeHostOptions } from '../../../src-node/contributor/vnode/vnode-host.js';
import { compileWat } from './wat.js';
import { mkdtempSync, rmSync } from 'node:fs';
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `predicate` holds; throws after `timeoutMs` (bounded in time and count). */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000, stepMs = 10): Promise<void> {
  for (let waited = 0; waited <= timeoutMs; waited += stepMs) {
    if (predicate()) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
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
