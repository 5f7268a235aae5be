// `npm run harden -- replay`: replay across restarts (issue 15 §4). A `pnode node` child answers
// hellos from peers whose clocks are off by seeded amounts inside the ±30 s skew window; an
// eavesdropper keeps every hello; the node is SIGKILLed and restarted on its port and data dir,
// round after round, and every captured hello is replayed after each restart. Prints the replays
// refused by rule (start floor, journal, skew window) — none may be accepted — the restart time,
// how soon every peer is served again, the journal on disk, the node's RSS, and what a journal
// write costs.
//
// Run: `npm run build:node && npm run harden -- replay` (about 3 minutes at scale 1: each round
// waits for the lagging peers' clocks to pass the restart).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printHeader } from './lib/environment.js';
import { deriveSeed, scaleFromEnv, scaled, seedFromEnv } from './lib/random.js';
import { failedMustHold, formatGoals } from './faults/goals.js';
import { runReplay } from './hostile/replay.js';
import { formatReplay, replayGoals } from './hostile/report.js';

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('replay', seed, scale);
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-replay-'));
try {
  const result = await runReplay({
    workDir,
    identities: scaled(40, scale, 3),
    hellosPerPeer: scaled(5, scale, 1),
    rounds: scaled(3, scale, 1),
    seed: deriveSeed(seed, 'replay'),
    log: say,
  });
  say(`\n${formatReplay(result)}`);
  const goals = replayGoals(result);
  say(`\n=== Goals (seed ${seed}, scale ${scale}) ===\n${formatGoals(goals)}`);
  if (failedMustHold(goals).length > 0) process.exitCode = 1;
} finally {
  await rm(workDir, { recursive: true, force: true });
}
