// `npm run harden -- eclipse`: eclipse resistance of the peer cache (issue 15 §1). A victim that
// knows honest peers (and has dialed some of them) is flooded with validly signed advertisements
// of thousands of identities — far-future ones, as the issue found it, and ones at the longest
// lifetime the rules allow — by a seed directory, by gossiping peers from several 127.x
// addresses, and by both; then it restarts. Prints per scenario the attacker's resources, honest
// entries kept (after the attack and after the restart), the victim's dials and an honest
// visitor's handshakes during the attack, attacker entries forwarded and answered to honest peers,
// memory and disk growth, and the restart and recovery times.
//
// Run: `npm run harden -- eclipse` (about 4 minutes at scale 1). PNODE_HARDEN_ECLIPSE=gossip,both
// runs some scenarios only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printHeader } from './lib/environment.js';
import { deriveSeed, scaleFromEnv, scaled, seedFromEnv } from './lib/random.js';
import { failedMustHold, formatGoals } from './faults/goals.js';
import { ECLIPSE_SCENARIOS, type EclipseScenarioName, runEclipse } from './hostile/eclipse.js';
import { eclipseGoals, formatEclipse } from './hostile/eclipse-report.js';
import { loopbackRangeUsable } from './hostile/loopback.js';

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('eclipse', seed, scale);
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const wanted = (process.env['PNODE_HARDEN_ECLIPSE'] ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
const unknown = wanted.filter((s) => !(ECLIPSE_SCENARIOS as readonly string[]).includes(s));
if (unknown.length > 0) throw new Error(`PNODE_HARDEN_ECLIPSE: no scenario ${unknown.join(', ')} (there are ${ECLIPSE_SCENARIOS.join(', ')})`);
const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-eclipse-'));
try {
  const range = await loopbackRangeUsable();
  if (!range) say('  other loopback addresses cannot be bound here: every attacker comes from 127.0.0.1');
  const results = await runEclipse({
    workDir,
    honest: scaled(32, scale, 4),
    tried: scaled(16, scale, 2),
    identities: scaled(4_000, scale, 300),
    gossipAddresses: scaled(8, scale, 2),
    perPrefix: 2,
    sessionIdentities: scaled(400, scale, 20),
    attackMs: scaled(30_000, scale, 6_000),
    loopbackRange: range,
    seed: deriveSeed(seed, 'eclipse'),
    ...(wanted.length > 0 ? { scenarios: wanted as EclipseScenarioName[] } : {}),
    log: say,
  });
  say(`\n${formatEclipse(results)}`);
  const goals = eclipseGoals(results);
  say(`\n=== Goals (seed ${seed}, scale ${scale}) ===\n${formatGoals(goals)}`);
  if (failedMustHold(goals).length > 0) process.exitCode = 1;
} finally {
  await rm(workDir, { recursive: true, force: true });
}
