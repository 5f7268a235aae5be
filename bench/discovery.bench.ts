// Discovery convergence (issue 4 §5, DESIGN.md §9): N = 200 and 500 real nodes (1,000 with
// PNODE_SIM_MAX=1000) on loopback, one seed and one directory: how long, once every node runs,
// until ≥ 95 % of the nodes know ≥ 95 % of the live peers. Goal: under 5 s at N = 500.
// `npm run bench -- discovery`.
import { join } from 'node:path';
import { runDiscoverySim } from '../src-node/tools/sim/discovery-sim.js';
import { printEnvironment, timeScale } from './lib/measure.js';

printEnvironment();
const scale = timeScale();
const max = Number(process.env['PNODE_SIM_MAX'] ?? 500);
const sizes = [200, 500, 1000].filter((n) => n <= max).map((n) => Math.max(20, Math.round(n * Math.min(1, scale))));
const rows: string[] = [];
for (const nodes of sizes) {
  process.stdout.write(`--- ${nodes} nodes ---\n`);
  const result = await runDiscoverySim({
    nodes,
    workers: 2,
    phaseTimeoutMs: 120_000,
    // Starting hundreds of real nodes on two cores takes minutes; the figure is convergence after.
    startTimeoutMs: 15 * 60_000,
    pnodeBin: join(process.cwd(), 'bin', 'pnode.js'),
    print: (line) => process.stdout.write(`  ${line}\n`),
  });
  const phase = result.phases[0]!;
  rows.push(
    `${String(nodes).padStart(6)}   ${(result.startupMs / 1000).toFixed(1).padStart(9)} s${result.runningNodes < nodes ? ` (only ${result.runningNodes})` : ''}   ${phase.convergedAfterMs === null ? '   did not converge' : `${(phase.convergedAfterMs / 1000).toFixed(1).padStart(15)} s`}   ${(phase.finalShare * 100).toFixed(1).padStart(6)} %   ${(result.workerRssBytes / 2 ** 20).toFixed(0).padStart(6)} MiB`,
  );
}
process.stdout.write(`\nnodes   all running after   converged after (1 s steps)   share   worker RSS   (goal at 500: < 5 s)\n${rows.join('\n')}\n`);
