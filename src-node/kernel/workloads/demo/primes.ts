// The prime-counting demo workload (workloads/primes/primes.wat): input and output formats, the
// workload for a range, and a reference that counts with a sieve (a different algorithm from the
// module's trial division, so agreement means something).
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import type { Workload, WorkloadNeeds } from '../../../../src-shared/vnode/workload.js';

export const PRIMES_ENTRY = 'count';
export const MAX_PRIMES_BOUND = 2 ** 31 - 1;
export const DEFAULT_PRIMES_NEEDS: WorkloadNeeds = { memoryMb: 1, maxMs: 10 * 60_000, cores: 1 };

export function encodePrimesInput(lo: number, hi: number): Uint8Array {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < lo || hi > MAX_PRIMES_BOUND) throw new Error('need 0 ≤ lo ≤ hi ≤ 2^31 - 1');
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setInt32(0, lo, true);
  view.setInt32(4, hi, true);
  return out;
}

export function primesWorkload(module: { hash: ContentHash; size: number }, lo: number, hi: number, needs: WorkloadNeeds = DEFAULT_PRIMES_NEEDS): Workload {
  return { moduleHash: module.hash, moduleSize: module.size, entry: PRIMES_ENTRY, input: encodePrimesInput(lo, hi), needs };
}

export function decodePrimesOutput(output: Uint8Array): number {
  if (output.length !== 4) throw new Error(`the primes output is 4 bytes, not ${output.length}`);
  return new DataView(output.buffer, output.byteOffset, 4).getUint32(0, true);
}

/** Primes p with lo ≤ p < hi, by a segmented sieve of Eratosthenes (for ranges up to a few 10^7). */
export function countPrimesReference(lo: number, hi: number): number {
  if (hi <= 2 || hi <= lo) return 0;
  const root = Math.floor(Math.sqrt(hi - 1));
  const small = new Uint8Array(root + 1);
  const basePrimes: number[] = [];
  for (let i = 2; i <= root; i++) {
    if (small[i]) continue;
    basePrimes.push(i);
    for (let j = i * i; j <= root; j += i) small[j] = 1;
  }
  const start = Math.max(2, lo);
  const composite = new Uint8Array(hi - start);
  for (const p of basePrimes) {
    for (let m = Math.max(p * p, Math.ceil(start / p) * p); m < hi; m += p) composite[m - start] = 1;
  }
  let count = 0;
  for (let i = 0; i < composite.length; i++) if (!composite[i]) count++;
  return count;
}
