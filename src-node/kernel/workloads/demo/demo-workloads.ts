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

export async function loadDemoModule(name: DemoWorkload, root?: string): Promise<LoadedModule> {
  const bytes = new Uint8Array(await readFile(demoWorkloadPath(name, root)));
  return { name, bytes, hash: hashBytes(bytes), size: bytes.length };
}
