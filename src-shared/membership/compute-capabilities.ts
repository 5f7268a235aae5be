// Compute profiles as capability names (issue 16 §2), the same on both sides: a PNode announces
// them on its network's DHT, an orchestrator matches registered PNodes' hardware against them.
//   vnode/wasi        every PNode hosts WASI VNodes
//   vnode/cpu-N       N = the largest power of two ≤ the logical cores (capped at 64): a search for
//                     "at least 4 cores" asks cpu-4, cpu-8, … (cpuCapabilityLadder)
//   gpu/<vendor>      one per GPU vendor detected (nvidia, amd, intel, apple, …)
// Only while the volunteer has joined and contribution is on: a node that may not compute is not
// offered for work (passing moments, such as the user being active, pause the work only).
import type { HardwareSummary } from '../hardware/hardware-summary.js';

/** Cores named in a cpu profile at most (a bigger machine announces this). */
export const MAX_CPU_PROFILE = 64;

function cpuProfile(cores: number): number {
  let profile = 1;
  while (profile * 2 <= Math.min(cores, MAX_CPU_PROFILE)) profile *= 2;
  return profile;
}

/** The cpu profiles a lookup for at least `cores` cores asks for. */
export function cpuCapabilityLadder(cores: number): string[] {
  let profile = 1;
  while (profile < cores) profile *= 2;
  const ladder: string[] = [];
  for (; profile <= MAX_CPU_PROFILE; profile *= 2) ladder.push(`vnode/cpu-${profile}`);
  return ladder;
}

function gpuKind(vendor: string | null): string | undefined {
  const word = vendor?.toLowerCase().match(/\b(?:nvidia|amd|advanced micro|ati|intel|apple|qualcomm|arm)\b/)?.[0];
  if (!word) return undefined;
  return `gpu/${word === 'advanced micro' || word === 'ati' ? 'amd' : word}`;
}

/** The compute profiles of a machine (pure). */
export function computeCapabilities(summary: HardwareSummary, availability: { readonly joined: boolean; readonly contributionEnabled: boolean }): string[] {
  if (!availability.joined || !availability.contributionEnabled) return [];
  const out = ['vnode/wasi'];
  const cores = summary['cpu/logical-cores'];
  if (cores !== null && cores >= 1) out.push(`vnode/cpu-${cpuProfile(cores)}`);
  for (const gpu of summary.gpus ?? []) {
    const kind = gpuKind(gpu['gpu/vendor']);
    if (kind && !out.includes(kind)) out.push(kind);
  }
  return out;
}
