// The demo workloads as built from source in the repo (workloads/<name>/<name>.wasm, written by
// scripts/build-workloads.mjs and committed): where they are, and loading them with their hash.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { packageRoot } from '../../util/package-root.js';
import { hashBytes } from '../../storage/module-cache.js';

export const DEMO_WORKLOADS = ['mandelbrot', 'primes'] as const;
export type DemoWorkload = (typeof DEMO_WORKLOADS)[number];

export interface LoadedModule {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly hash: ContentHash;
  readonly size: number;
}

export function demoWorkloadPath(name: DemoWorkload, root: string = packageRoot()): string {
  return join(root, 'workloads', name, `${name}.wasm`);
}

/**
 * The same demos as WASI programs (C ports, byte-identical output): what the orchestrator's demo
 * project submits through the job API (issue 13 §2).
 */
export const WASI_DEMO_PROGRAMS: Readonly<Record<DemoWorkload, string>> = { mandelbrot: 'mandelbrot-wasi', primes: 'primes-wasi' };

/** A demo's WASI program as built in the repo (workloads/<name>-wasi/<name>-wasi.wasm). */
export async function loadWasiDemoModule(demo: DemoWorkload, root: string = packageRoot()): Promise<LoadedModule> {
  const name = WASI_DEMO_PROGRAMS[demo];
  const bytes = new Uint8Array(await readFile(join(root, 'workloads', name, `${name}.wasm`)));
  return { name, bytes, hash: hashBytes(bytes), size: bytes.length };
}

export async function loadDemoModule(name: DemoWorkload, root?: string): Promise<LoadedModule> {
  const bytes = new Uint8Array(await readFile(demoWorkloadPath(name, root)));
  return { name, bytes, hash: hashBytes(bytes), size: bytes.length };
}
