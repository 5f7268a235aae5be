// `npm run harden -- sybil`: an attacker with resources against the work pipeline (issue 13 §4).
// Honest light PNodes, one per /24, and an attacker with many identities from a few loopback
// addresses, all agreeing on one wrong answer to every task (harden/sybil/scenario.ts). Printed:
// what the attacker had, what it did, and what got through. Must hold: no wrong output accepted
// where the network can tell the attacker apart (one /24; honest PNodes already established; or a
// few trusted PNodes). The last scenario is shown for what it is: a network that has never seen an
// established or trusted PNode cannot tell three strangers from three friends — bootstrap a
// network with trusted PNodes (trusted registration) before strangers join.
import { scaleFromEnv, seedFromEnv } from './lib/random.js';
import { printHeader } from './lib/environment.js';
import { formatRows, grouped } from './lib/report.js';
import { type SybilFigures, runSybilScenario, sybilScenarios } from './sybil/scenario.js';

const seed = seedFromEnv();
const scale = scaleFromEnv();
printHeader('sybil', seed, scale);
const figures: SybilFigures[] = [];
for (const scenario of sybilScenarios(scale, seed)) {
  process.stdout.write(`scenario: ${scenario.name} …\n`);
  figures.push(await runSybilScenario(scenario));
}
process.stdout.write(
  `\n${formatRows(
    ['scenario', 'honest (established, trusted)', 'attacker addresses (/24s)', 'identities', 'registered', 'refused', 'tasks sent to it', 'its results', 'tasks', 'accepted', 'failed', 'wrong accepted', 'lies caught', 'bans', 'runs per accepted', 'seconds', 'must hold'],
    figures.map((f) => [
      f.name,
      `${f.honest} (${f.honestEstablished}, ${f.honestTrusted})`,
      `${f.attackerAddresses} (${f.attackerPrefixes})`,
      grouped(f.attackerIdentities),
      grouped(f.attackerRegistered),
      grouped(f.attackerRefused),
      grouped(f.attackerTasks),
      grouped(f.attackerResults),
      grouped(f.tasks),
      grouped(f.accepted),
      grouped(f.failed),
      grouped(f.wrongAccepted),
      grouped(f.lies),
      grouped(f.bans),
      f.attemptsPerAccepted.toFixed(2),
      f.seconds.toFixed(1),
      f.mustHold ? 'wrong = 0' : 'shown',
    ]),
  )}\n`,
);
const broken = figures.filter((f) => f.mustHold && f.wrongAccepted > 0);
if (broken.length > 0) {
  process.stdout.write(`\nFAILED: wrong outputs accepted in ${broken.map((f) => f.name).join(', ')}. Replay with PNODE_HARDEN_SEED=${seed} npm run harden -- sybil\n`);
  process.exitCode = 1;
} else {
  process.stdout.write('\nNo wrong output was accepted where the attacker can be told apart.\n');
}
