// `npm run harden -- faults`: faults in the network (issue 8 §3), scripted on loopback with the real
// code — a real orchestrator, directory, runtimes, membership client and sessions over ws:
//   1. restart    the orchestrator SIGKILLed and restarted: time until every PNode is registered again
//   2. directory  the directory SIGKILLed: newcomers and new advertisements still reach everyone by gossip
//   3. partition  the discovery simulation's partition: time to reconverge after the heal
//   4. stalls     peers that stall the node at every step (TCP, upgrade, hello, mid-frame; and peers it
//                 dials): when it lets go, that a healthy peer is served meanwhile, that slots come free
//   5. flood      a peer flooding the node over real sessions: its heartbeats keep their interval
//                 (±10 %), a healthy peer is still served
// Each prints a table; then every goal with pass/fail. Exit 1 when a must-hold goal fails.
// Needs the built binary (npm run build:node): services run as `pnode` child processes.
// PNODE_HARDEN_FAULTS=stalls,flood runs some scenarios only; PNODE_HARDEN_SCALE shrinks counts and
// durations (not the product's own timeouts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printHeader } from './lib/environment.js';
import { deriveSeed, scaleFromEnv, seedFromEnv } from './lib/random.js';
import { runDirectoryDown } from './faults/directory-down.js';
import { runFlood } from './faults/flood.js';
import { buildFlooder, defaultFlooderPath } from './faults/flooder-child.js';
import { failedMustHold, formatGoals, goal, type Goal } from './faults/goals.js';
import { runOrchestratorRestart } from './faults/orchestrator-restart.js';
import { runPartition } from './faults/partition.js';
import { faultsPlan, scenariosFromEnv, type ScenarioName } from './faults/plan.js';
import { formatDirectoryDown, formatFlood, formatPartition, formatRestart, formatStalls } from './faults/report.js';
import { runStalledPeers } from './faults/stalled-peers.js';
import { directoryGoals, floodGoals, partitionGoals, restartGoals, stallGoals, SCENARIO_DIRECTORY, SCENARIO_FLOOD, SCENARIO_PARTITION, SCENARIO_RESTART, SCENARIO_STALLS } from './faults/verdicts.js';

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('faults', seed, scale);
const plan = faultsPlan(scale);
const selected = scenariosFromEnv();
const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-faults-'));
const goals: Goal[] = [];
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const TITLES: Readonly<Record<ScenarioName, string>> = {
  restart: `1. Orchestrator killed and restarted (${SCENARIO_RESTART})`,
  directory: `2. Directory down (${SCENARIO_DIRECTORY})`,
  partition: `3. Partition healed (${SCENARIO_PARTITION})`,
  stalls: `4. Slow peers and peers that stop mid-frame (${SCENARIO_STALLS})`,
  flood: `5. A flooding peer (${SCENARIO_FLOOD})`,
};
const SCENARIO_LABELS: Readonly<Record<ScenarioName, string>> = {
  restart: SCENARIO_RESTART,
  directory: SCENARIO_DIRECTORY,
  partition: SCENARIO_PARTITION,
  stalls: SCENARIO_STALLS,
  flood: SCENARIO_FLOOD,
};

async function scenario(name: ScenarioName): Promise<void> {
  const dir = join(workDir, name);
  switch (name) {
    case 'restart': {
      const result = await runOrchestratorRestart({ ...plan.restart, workDir: dir, log: say });
      say(`\n${formatRestart(result)}`);
      goals.push(...restartGoals(result));
      return;
    }
    case 'directory': {
      const result = await runDirectoryDown({ ...plan.directory, workDir: dir, log: say });
      say(`\n${formatDirectoryDown(result)}`);
      goals.push(...directoryGoals(result));
      return;
    }
    case 'partition': {
      const result = await runPartition({ ...plan.partition, log: (line) => say(`  ${line}`) });
      say(`\n${formatPartition(result)}`);
      goals.push(...partitionGoals(result));
      return;
    }
    case 'stalls': {
      const result = await runStalledPeers({ ...plan.stalls, workDir: dir, log: say });
      say(`\n${formatStalls(result)}`);
      goals.push(...stallGoals(result));
      return;
    }
    case 'flood': {
      const bundle = defaultFlooderPath();
      await buildFlooder(bundle);
      try {
        const result = await runFlood({ ...plan.flood, flooder: bundle, seed: deriveSeed(seed, 'flood'), workDir: dir, log: say });
        say(`\n${formatFlood(result)}`);
        goals.push(...floodGoals(result));
      } finally {
        await rm(bundle, { force: true });
      }
      return;
    }
  }
}

const started = Date.now();
try {
  for (const name of selected) {
    say(`\n=== ${TITLES[name]} ===`);
    const from = Date.now();
    try {
      await scenario(name);
    } catch (error) {
      say(`  the scenario failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      goals.push(goal(SCENARIO_LABELS[name], 'the scenario runs to its end', 'it threw', false));
    }
    say(`  (${((Date.now() - from) / 1000).toFixed(1)} s)`);
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

const failed = failedMustHold(goals);
say(`\n=== Goals (seed ${seed}, scale ${scale}, ${((Date.now() - started) / 1000).toFixed(0)} s) ===\n${formatGoals(goals)}`);
if (failed.length > 0) {
  say(`\nFAILED: ${failed.length} must-hold goal${failed.length === 1 ? '' : 's'}. Replay with PNODE_HARDEN_SEED=${seed} npm run harden -- faults`);
  process.exitCode = 1;
} else {
  say('\nEvery must-hold goal held.');
}
