// The table and goals of `npm run harden -- eclipse` (issue 15 §1).
import { formatLeft, ms } from '../faults/format.js';
import { goal, type Goal } from '../faults/goals.js';
import { fixed, grouped } from '../lib/report.js';
import type { EclipseResult } from './eclipse.js';
import { HONEST_GOAL, bytes, honestCell, mib, pct } from './report.js';

function attacker(r: EclipseResult): string {
  const a = r.attacker;
  return `${grouped(a.identities)} identities, ${grouped(a.addresses)} addr, ${grouped(a.advertisements)} adv (${grouped(a.directoryServed + a.advertisementsPushed)} sent), ${fixed(a.seconds, 0)} s`;
}

function keptCell(k: EclipseResult['keptAfterAttack'], r: EclipseResult): string {
  return `${pct(k.rate)} (${k.tried}/${r.tried} tried, ${k.untried}/${r.honest - r.tried} new)`;
}

function dialsCell(r: EclipseResult): string {
  const d = r.victimDials;
  if (d.dials === 0) return '–';
  return `${grouped(d.dials)}: ${pct(d.toHonest / d.dials)} honest, ${d.toHonest === 0 ? '–' : pct(d.honestSucceeded / d.toHonest)} up`;
}

/** The share of samples in which every hot peer of the victim was honest (1 with no sample). */
export function hotHonestRate(r: EclipseResult): number {
  return r.hotSamples === 0 ? 1 : r.hotHonestSamples / r.hotSamples;
}

/** Of the victim's dials during the attack, the share to honest peers whose session came up. */
export function honestDialRate(r: EclipseResult): number {
  const d = r.victimDials;
  return d.dials === 0 ? 1 : d.honestSucceeded / d.dials;
}

export function formatEclipse(results: readonly EclipseResult[]): string {
  const rows = results.map((r) => [
    r.scenario,
    attacker(r),
    keptCell(r.keptAfterAttack, r),
    keptCell(r.keptAfterRestart, r),
    dialsCell(r),
    r.hotSamples === 0 ? '–' : `${pct(hotHonestRate(r))} of ${grouped(r.hotSamples)}`,
    honestCell(r.visitor),
    `${grouped(r.forwarded)} / ${grouped(r.answered)}`,
    `${mib(r.rssBeforeMiB)} → ${mib(r.rssPeakMiB)} (heap ${r.heapGrowthMiB >= 0 ? '+' : ''}${fixed(r.heapGrowthMiB, 1)})`,
    bytes(r.diskAfter - r.diskBefore),
    `${ms(r.restartMs)} / ${ms(r.recoverMs)}`,
  ]);
  const details = results.map(
    (r) =>
      `  ${r.scenario}: attacker entries held ${grouped(r.attackerEntries.peers)} peers, ${grouped(r.attackerEntries.cache)} cached (after restart ${grouped(r.attackerEntries.afterRestartPeers)} / ${grouped(r.attackerEntries.afterRestartCache)}); ` +
      `gossip refused invalid ${grouped(r.refusedInvalid)}, crowded ${grouped(r.refusedCrowded)}, relays held back ${grouped(r.heldBack)}; attacker directory hostile: ${r.directoryHostile ? 'yes' : 'no'}; ` +
      `attacker sessions ${grouped(r.attacker.sessionsOpened)} opened (${grouped(r.attacker.sessionsEndedByVictim)} ended by the victim, ${grouped(r.attacker.sessionsRefused)} refused); answers seen by honest peers ${grouped(r.answersSeen)}`,
  );
  return [
    formatLeft(['scenario', 'attacker', 'honest kept (attack)', 'honest kept (restart)', 'victim dials', 'hot all honest', 'visitor handshakes', 'attacker fwd / answered', 'RSS MiB (peak)', 'disk Δ', 'restart / recover'], rows),
    '',
    ...details,
  ].join('\n');
}

export function eclipseGoals(results: readonly EclipseResult[]): Goal[] {
  const goals: Goal[] = [];
  for (const r of results) {
    goals.push(goal(`eclipse / ${r.scenario}`, `honest entries kept after the attack ≥ ${pct(HONEST_GOAL)}`, pct(r.keptAfterAttack.rate), r.keptAfterAttack.rate >= HONEST_GOAL));
    goals.push(goal(`eclipse / ${r.scenario}`, `honest entries kept after the restart ≥ ${pct(HONEST_GOAL)}`, pct(r.keptAfterRestart.rate), r.keptAfterRestart.rate >= HONEST_GOAL));
    goals.push(goal(`eclipse / ${r.scenario}`, 'tried peers kept (all)', `${r.keptAfterRestart.tried} of ${r.tried}`, r.keptAfterAttack.tried === r.tried && r.keptAfterRestart.tried === r.tried));
    goals.push(goal(`eclipse / ${r.scenario}`, `victim dials reaching honest peers ≥ ${pct(HONEST_GOAL)}`, pct(honestDialRate(r)), honestDialRate(r) >= HONEST_GOAL));
    goals.push(goal(`eclipse / ${r.scenario}`, `hot peers all honest ≥ ${pct(HONEST_GOAL)} of the time`, r.hotSamples === 0 ? '–' : `${pct(hotHonestRate(r))} of ${r.hotSamples}`, hotHonestRate(r) >= HONEST_GOAL));
    goals.push(goal(`eclipse / ${r.scenario}`, `visitor handshakes ≥ ${pct(HONEST_GOAL)}`, honestCell(r.visitor), r.visitor.rate >= HONEST_GOAL));
    goals.push(goal(`eclipse / ${r.scenario}`, 'attacker entries forwarded (pushed) to honest peers: 0', grouped(r.forwarded), r.forwarded === 0));
    if (r.scenario === 'far-future') goals.push(goal('eclipse / far-future', 'far-future entries kept: 0', `${r.attackerEntries.cache} cached, ${r.attackerEntries.afterRestartCache} after restart`, r.attackerEntries.cache === 0 && r.attackerEntries.afterRestartCache === 0));
    goals.push(goal(`eclipse / ${r.scenario}`, 'hot peers all honest again after the restart', ms(r.recoverMs), r.recoverMs !== null));
  }
  return goals;
}
