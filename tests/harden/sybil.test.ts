// Smoke run of `npm run harden -- sybil` (harden/sybil/): identities from a few addresses, all
// agreeing on a wrong answer, get nothing wrong accepted — neither from one /24 in a new network,
// nor from several /24s once honest PNodes are established; the honest answers are accepted.
import { describe, expect, it } from 'vitest';
import { runSybilScenario, sybilScenarios } from '../../harden/sybil/scenario.js';

const SEED = Number(process.env['PNODE_HARDEN_SEED'] ?? 20261207);

describe('Sybil attackers against the work pipeline (smoke)', () => {
  for (const scenario of sybilScenarios(0.1, SEED).filter((s) => s.mustHold)) {
    it(`${scenario.name}: nothing wrong is accepted, and the attacker's extra identities are refused`, async () => {
      const figures = await runSybilScenario(scenario);
      expect(figures.wrongAccepted, JSON.stringify(figures)).toBe(0);
      expect(figures.accepted).toBeGreaterThan(0);
      expect(figures.accepted + figures.failed).toBe(figures.tasks);
      // Four identities per address at most, 64 per /24 (MAX_PNODES_PER_ADDRESS / _PREFIX).
      expect(figures.attackerRegistered).toBeLessThanOrEqual(4 * figures.attackerAddresses);
      expect(figures.attackerRefused).toBe(figures.attackerIdentities - figures.attackerRegistered);
    }, 300_000);
  }
});
