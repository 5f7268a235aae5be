import type { CommandSpec } from '../args.js';
import { UsageError } from '../args.js';
import { EXIT_OK, EXIT_REJECTED } from '../run.js';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { runDiscoverySim } from '../../tools/sim/discovery-sim.js';
import { runSimWorker } from '../../tools/sim/sim-worker.js';
import { runCapabilitySim } from '../../tools/sim/capability-sim.js';
import { packageRoot } from '../../kernel/util/package-root.js';

/** The most nodes one run accepts (memory: a few MB each). */
export const SIM_MAX_NODES = 2_000;

const discoveryCommand: CommandSpec = {
  name: 'discovery',
  summary: 'Start N nodes on loopback with one seed and one directory; print convergence each second',
  options: [
    { name: 'nodes', type: 'number', valueName: 'N', description: 'How many nodes (default 30)' },
    { name: 'churn', type: 'number', valueName: 'P', description: 'Stop and restart P % of the nodes every 2 s for 10 s' },
    { name: 'partition', type: 'boolean', description: 'Split the network in two, let nodes join both halves, then heal it' },
    { name: 'workers', type: 'number', valueName: 'W', description: 'Worker processes hosting the nodes (default 2)' },
    { name: 'timeout-s', type: 'number', valueName: 's', description: 'Longest wait for each phase to converge (default 120)' },
    { name: 'steady-s', type: 'number', valueName: 's', description: 'After joining, measure bytes sent and memory per node at rest for this long (default 60; 0: skip)' },
    { name: 'mode', type: 'string', valueName: 'dht|gossip', description: 'Find peers by capability through the DHT (dial-only nodes) or gossip (full membership): memory, bytes per node per minute, find p50/p99, success under churn (default --churn 20)' },
    { name: 'measure-s', type: 'number', valueName: 's', description: 'With --mode: the quiet window bytes are counted over (default 60)' },
    { name: 'finds', type: 'number', valueName: 'F', description: 'With --mode: finds while quiet, and again under churn (default 200)' },
  ],
  async run({ args, stdout }) {
    const mode = args.options['mode'] as string | undefined;
    if (mode !== undefined) {
      if (mode !== 'dht' && mode !== 'gossip') throw new UsageError('--mode is dht or gossip');
      const nodes = (args.options['nodes'] as number | undefined) ?? 30;
      if (!Number.isInteger(nodes) || nodes < 2 || nodes > SIM_MAX_NODES) throw new UsageError(`--nodes must be a whole number from 2 to ${SIM_MAX_NODES}`);
      const churn = (args.options['churn'] as number | undefined) ?? 20;
      if (churn < 0 || churn > 50) throw new UsageError('--churn must be a percentage from 0 to 50');
      const workers = (args.options['workers'] as number | undefined) ?? Math.max(2, Math.ceil(nodes / 500));
      if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new UsageError('--workers must be from 1 to 16');
      const measureS = (args.options['measure-s'] as number | undefined) ?? 60;
      const finds = (args.options['finds'] as number | undefined) ?? 200;
      if (!(measureS >= 5) || !Number.isInteger(finds) || finds < 1 || finds > 10_000) throw new UsageError('--measure-s is at least 5; --finds from 1 to 10000');
      const result = await runCapabilitySim({
        mode,
        nodes,
        workers,
        churnPercent: churn,
        measureMs: measureS * 1000,
        finds,
        startTimeoutMs: ((args.options['timeout-s'] as number | undefined) ?? 600) * 1000,
        pnodeBin: join(packageRoot(fileURLToPath(import.meta.url)), 'bin', 'pnode.js'),
        print: (line) => stdout(`${line}\n`),
      });
      const pct = (f: { succeeded: number; attempts: number }): string => `${((f.succeeded / Math.max(1, f.attempts)) * 100).toFixed(1)} %`;
      stdout(
        `\nsummary (${result.mode}, ${result.running}/${result.nodes} nodes): memory ${(result.rssPerNodeBytes / 2 ** 20).toFixed(2)} MiB/node; ` +
          `${(result.bytesPerNodePerMinute / 1024).toFixed(1)} KiB/node/min; find p50 ${result.quiet.p50Ms.toFixed(0)} ms p99 ${result.quiet.p99Ms.toFixed(0)} ms, success ${pct(result.quiet)}; ` +
          `under ${churn} % churn p50 ${result.churn.p50Ms.toFixed(0)} ms p99 ${result.churn.p99Ms.toFixed(0)} ms, success ${pct(result.churn)}\n`,
      );
      return EXIT_OK;
    }
    const nodes = (args.options['nodes'] as number | undefined) ?? 30;
    if (!Number.isInteger(nodes) || nodes < 2 || nodes > SIM_MAX_NODES) throw new UsageError(`--nodes must be a whole number from 2 to ${SIM_MAX_NODES}`);
    const churn = (args.options['churn'] as number | undefined) ?? 0;
    if (churn < 0 || churn > 50) throw new UsageError('--churn must be a percentage from 0 to 50');
    const workers = (args.options['workers'] as number | undefined) ?? 2;
    if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new UsageError('--workers must be from 1 to 16');
    const result = await runDiscoverySim({
      nodes,
      churnPercent: churn,
      partition: args.options['partition'] === true,
      workers,
      phaseTimeoutMs: ((args.options['timeout-s'] as number | undefined) ?? 120) * 1000,
      steadyWindowMs: ((args.options['steady-s'] as number | undefined) ?? 60) * 1000,
      pnodeBin: join(packageRoot(fileURLToPath(import.meta.url)), 'bin', 'pnode.js'),
      print: (line) => stdout(`${line}\n`),
    });
    stdout(`\nsummary: ${result.nodes} nodes, ${result.runningNodes === result.nodes ? 'all' : `${result.runningNodes}`} running after ${(result.startupMs / 1000).toFixed(1)} s, workers' RSS ${(result.workerRssBytes / 2 ** 20).toFixed(0)} MiB\n`);
    for (const phase of result.phases) {
      stdout(`  ${phase.phase.padEnd(8)} ${phase.convergedAfterMs === null ? 'no convergence point' : `converged ${(phase.convergedAfterMs / 1000).toFixed(1)} s after it began`}; final share ${(phase.finalShare * 100).toFixed(1)} %\n`);
    }
    if (result.steady) {
      const s = result.steady;
      stdout(`  steady   ${(s.bytesPerNodePerMinute / 1024).toFixed(1)} KiB sent per node per minute (busiest ${(s.maxBytesPerNodePerMinute / 1024).toFixed(1)} KiB), ${(s.memoryPerNodeBytes / 2 ** 20).toFixed(2)} MiB per node, over ${Math.round(s.windowMs / 1000)} s with ${s.nodes} nodes\n`);
    }
    const failed = result.phases.some((p) => p.phase !== 'churn' && p.convergedAfterMs === null);
    return failed ? EXIT_REJECTED : EXIT_OK;
  },
};

const workerCommand: CommandSpec = {
  name: 'worker',
  summary: 'Internal: a worker process of a simulation (started by the simulation itself)',
  async run() {
    await runSimWorker();
    // Runs until the coordinator tells it to shut down (it exits the process then).
    await new Promise(() => undefined);
    return EXIT_OK;
  },
};

export const simCommand: CommandSpec = {
  name: 'sim',
  summary: 'Simulations on loopback (discovery convergence)',
  subcommands: [discoveryCommand, workerCommand],
};
