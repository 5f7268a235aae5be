// Test helpers for WASI tasks: the committed WASI modules (workloads and tests/fixtures/wasi),
// put in a host's cache, and tasks built around them with small defaults.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContentHash } from '../../../src-shared/vnode/content-hash.js';
import { MAX_OUTPUT_BYTES, MAX_WASI_STDERR_BYTES } from '../../../src-shared/vnode/limits.js';
import type { WasiInputFile, WasiTask } from '../../../src-shared/vnode/wasi-workload.js';
import type { WorkloadNeeds } from '../../../src-shared/vnode/workload.js';
import type { VNodeHost } from '../../../src-node/contributor/vnode/vnode-host.js';
import { packageRoot } from '../../../src-node/kernel/util/package-root.js';
import { hashBytes } from '../../../src-node/kernel/storage/module-cache.js';
import { TEST_NEEDS } from './host-fixtures.js';

export interface WasiModule {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly hash: ContentHash;
  readonly size: number;
}

/** A committed WASI module: a workload (workloads/<name>/<name>.wasm) or a test program (tests/fixtures/wasi). */
export function wasiModule(name: string): WasiModule {
  const root = packageRoot();
  const path = name === 'probe' ? join(root, 'tests', 'fixtures', 'wasi', 'probe.wasm') : join(root, 'workloads', name, `${name}.wasm`);
  const bytes = new Uint8Array(readFileSync(path));
  return { name, bytes, hash: hashBytes(bytes), size: bytes.length };
}

export async function cacheModule(host: VNodeHost, module: { bytes: Uint8Array }): Promise<{ hash: ContentHash; size: number }> {
  const put = await host.modules.put(module.bytes);
  if (!put.ok) throw put.error;
  return { hash: put.value, size: module.bytes.length };
}

let counter = 0;

export interface WasiTaskFields {
  readonly args?: readonly string[];
  readonly stdin?: Uint8Array;
  readonly files?: readonly WasiInputFile[];
  readonly outputs?: readonly string[];
  readonly outputCap?: number;
  readonly stderrCap?: number;
  readonly randomSeed?: string;
  readonly needs?: Partial<WorkloadNeeds>;
  readonly taskId?: string;
  readonly vnodeId?: string;
}

export function wasiTaskFor(module: { hash: ContentHash; size: number }, fields: WasiTaskFields = {}): WasiTask {
  return {
    kind: 'wasi',
    taskId: fields.taskId ?? `wasi-${++counter}`,
    vnodeId: fields.vnodeId ?? 'vnode-1',
    moduleHash: module.hash,
    moduleSize: module.size,
    args: fields.args ?? [],
    stdin: fields.stdin ?? new Uint8Array(0),
    files: fields.files ?? [],
    outputs: fields.outputs ?? [],
    outputCap: fields.outputCap ?? MAX_OUTPUT_BYTES,
    stderrCap: fields.stderrCap ?? MAX_WASI_STDERR_BYTES,
    ...(fields.randomSeed !== undefined ? { randomSeed: fields.randomSeed } : {}),
    needs: { ...TEST_NEEDS, ...fields.needs },
  };
}

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
export const decode = (bytes: Uint8Array | null | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array(0));
