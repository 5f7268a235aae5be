// Scenario 3, a partition healed: the discovery simulation's own partition run (src-node/sim:
// N real nodes in worker processes, a seed and a directory, TCP gates that cut one half off, new
// nodes joining on both sides, then the heal), reused as it is. Figure: from the heal until ≥ 95 %
// of the live nodes know ≥ 95 % of the live peers again (the simulation looks once a second, so
// the figure is in whole seconds).
import { CONVERGED_SHARE, KNOWS_SHARE, runDiscoverySim, type DiscoverySimResult, type PhaseFigure } from '../../src-node/tools/sim/discovery-sim.js';
import { pnodeBin } from './pnode-child.js';

/** The longest wait for each phase of the simulation to converge. */
export const PARTITION_PHASE_TIMEOUT_MS = 120_000;
/** Worker processes hosting the simulated nodes. */
export const PARTITION_WORKERS = 2;
export { CONVERGED_SHARE, KNOWS_SHARE };

export interface PartitionOptions {
  readonly nodes: number;
  readonly phaseTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface PartitionResult {
  readonly nodes: number;
  readonly startupMs: number;
  readonly join: PhaseFigure | undefined;
  readonly heal: PhaseFigure | undefined;
}

/** The simulation's once-a-second progress lines, only when what they say changes (others pass). */
export function changesOnly(log: (line: string) => void): (line: string) => void {
  let last = '';
  return (line) => {
    const progress = /^(\w+)\s+t=\s*\d+s\s+(.*)$/.exec(line);
    if (progress) {
      const what = `${progress[1]} ${progress[2]}`;
      if (what === last) return;
      last = what;
    }
    log(line);
  };
}

export async function runPartition(options: PartitionOptions): Promise<PartitionResult> {
  const result = await runDiscoverySim({
    nodes: options.nodes,
    partition: true,
    workers: PARTITION_WORKERS,
    phaseTimeoutMs: options.phaseTimeoutMs ?? PARTITION_PHASE_TIMEOUT_MS,
    // The workers run `pnode sim worker`; pnodeBin() says so plainly when it is not built.
    pnodeBin: pnodeBin(),
    print: options.log ? changesOnly(options.log) : () => undefined,
  });
  return partitionResultOf(result);
}

/** The scenario's figures from a partition run of the discovery simulation. */
export function partitionResultOf(result: DiscoverySimResult): PartitionResult {
  return {
    nodes: result.nodes,
    startupMs: result.startupMs,
    join: result.phases.find((p) => p.phase === 'join'),
    heal: result.phases.find((p) => p.phase === 'heal'),
  };
}
