// `npm run harden -- exhaustion`: connection and slot exhaustion (issue 15 §2) on every listener —
// the seed directory, a contributor's peer listener and control server, an orchestrator's peer
// listener and admin API — each a `pnode` child process of the built binary on loopback. Every
// class floods one listener (idle sockets, slowloris, slow bodies, upgrades that never say hello,
// unauthenticated upgrades and bodies, sessions under many identities) from several 127.x.y.z
// addresses, while an honest client of that listener tries every 100 ms from 127.0.0.1. Prints, per
// class, the attacker's resources, the honest success rate before/during/after, the time to recover,
// the target's RSS and disk growth; then the goals (honest ≥ 95 % during every attack is must-hold).
//
// Run: `npm run build:node && npm run harden -- exhaustion` (about 5 minutes at scale 1).
// PNODE_HARDEN_SCALE shrinks the sockets and identities and the attack time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printHeader } from './lib/environment.js';
import { scaleFromEnv, seedFromEnv } from './lib/random.js';
import { failedMustHold, formatGoals } from './faults/goals.js';
import { exhaustionClasses, runExhaustion } from './hostile/exhaustion.js';
import { exhaustionGoals, formatExhaustion } from './hostile/report.js';
import { loopbackRangeUsable } from './hostile/loopback.js';
import { startTargets } from './hostile/targets.js';

/** Each attack runs this long at scale 1… */
export const ATTACK_MS = 20_000;
/** …with this long of honest traffic before and after it. */
export const QUIET_MS = 5_000;
export const HONEST_EVERY_MS = 100;

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('exhaustion', seed, scale);
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const loopbackRange = await loopbackRangeUsable();
if (!loopbackRange) say('note: this machine will not connect from 127.0.0.2: every attacker shares 127.0.0.1 with the honest clients\n');

const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-exhaustion-'));
const targets = await startTargets(workDir);
try {
  const results = await runExhaustion({
    targets,
    classes: exhaustionClasses(scale),
    attackMs: Math.max(2_000, Math.round(ATTACK_MS * Math.min(1, scale))),
    quietMs: Math.max(1_000, Math.round(QUIET_MS * Math.min(1, scale))),
    honestEveryMs: HONEST_EVERY_MS,
    loopbackRange,
    log: say,
  });
  say(`\n${formatExhaustion(results)}`);
  const goals = exhaustionGoals(results);
  say(`\n=== Goals (seed ${seed}, scale ${scale}) ===\n${formatGoals(goals)}`);
  const failed = failedMustHold(goals);
  if (failed.length > 0) {
    say(`\nFAILED: ${failed.length} must-hold goal${failed.length === 1 ? '' : 's'}`);
    process.exitCode = 1;
  }
} finally {
  await targets.stop();
  await rm(workDir, { recursive: true, force: true });
}
