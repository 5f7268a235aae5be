// The declared needs of a workload (memory, running time, cores), as every workload kind carries
// them on the wire: read strictly, written in one shape.
import { MAX_NEED_MAX_MS, MAX_NEED_MEMORY_MB, MIN_NEED_MAX_MS, MIN_NEED_MEMORY_MB, NEED_CORES_V1 } from './limits.js';
import { closedObject, integerIn } from './wire-check.js';
import type { WorkloadNeeds, WorkloadNeedsWire } from './workload.js';

export function readNeeds(value: unknown): WorkloadNeeds {
  const f = closedObject(value, 'needs', ['memory-mb', 'max-ms', 'cores']);
  return {
    memoryMb: integerIn(f['memory-mb'], 'needs.memory-mb', MIN_NEED_MEMORY_MB, MAX_NEED_MEMORY_MB),
    maxMs: integerIn(f['max-ms'], 'needs.max-ms', MIN_NEED_MAX_MS, MAX_NEED_MAX_MS),
    cores: integerIn(f['cores'], 'needs.cores', NEED_CORES_V1, NEED_CORES_V1) as typeof NEED_CORES_V1,
  };
}

export function encodeNeeds(needs: WorkloadNeeds): WorkloadNeedsWire {
  return { 'memory-mb': needs.memoryMb, 'max-ms': needs.maxMs, cores: needs.cores };
}
