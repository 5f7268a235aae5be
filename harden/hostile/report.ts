// Tables and goals of the hostile-network harnesses (issue 15): the attacker's resources, what
// honest clients got, recovery, memory and disk.
import { formatLeft, ms } from '../faults/format.js';
import { goal, type Goal } from '../faults/goals.js';
import { fixed, grouped } from '../lib/report.js';
import type { HonestFigures } from './honest.js';
import type { ClassResult } from './exhaustion.js';
import type { DirectoryFullResult } from './directory-full.js';
import { BEFORE_FIGURES } from './directory-full.js';
import type { ReplayResult } from './replay.js';

/** The issue's goal: honest requests and handshakes that succeed under each attack. */
export const HONEST_GOAL = 0.95;

export function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}

export function honestCell(f: HonestFigures): string {
  return f.attempts === 0 ? '–' : `${pct(f.rate)} of ${grouped(f.attempts)}`;
}

export function mib(value: number): string {
  return Number.isFinite(value) ? fixed(value, 1) : '–';
}

export function bytes(value: number): string {
  if (Math.abs(value) >= 1024 * 1024) return `${fixed(value / 2 ** 20, 1)} MiB`;
  if (Math.abs(value) >= 1024) return `${fixed(value / 1024, 1)} KiB`;
  return `${grouped(value)} B`;
}

function attacker(result: ClassResult): string {
  const parts: string[] = [];
  const addresses = new Set([...result.addressesUsed]).size;
  parts.push(`${grouped(addresses)} addr`);
  if (result.floods.length > 0) {
    const sockets = result.floods.reduce((n, f) => n + f.sockets, 0);
    const opened = result.floods.reduce((n, f) => n + f.opened, 0);
    const peak = result.floods.reduce((n, f) => n + f.peakOpen, 0);
    parts.push(`${grouped(sockets)} sockets (${grouped(opened)} opened, peak ${grouped(peak)} open)`);
  }
  if (result.sessions) parts.push(`${grouped(result.sessions.identities)} identities (${grouped(result.sessions.accepted)} sessions, peak ${grouped(result.sessions.peakHeld)} held)`);
  parts.push(`${fixed(result.attackSeconds, 0)} s`);
  return parts.join(', ');
}

function refusals(result: ClassResult): string {
  const parts: string[] = [];
  for (const f of result.floods) {
    const body = f.kind === 'unauth-body' ? `, ${bytes(f.bodyBytesSent)} of body sent` : '';
    parts.push(`${f.kind}: ${grouped(f.dropped)} dropped (${grouped(f.droppedAtOnce)} at once)${f.failedToOpen > 0 ? `, ${grouped(f.failedToOpen)} not opened` : ''}${body}`);
  }
  if (result.sessions) parts.push(`sessions: ${grouped(result.sessions.refused)} refused`);
  if (result.heldByTarget !== null) parts.push(`target held ${grouped(result.heldByTarget)}`);
  return parts.join('; ');
}

export function formatExhaustion(results: readonly ClassResult[]): string {
  const rows = results.map((r) => [
    r.listener,
    r.name,
    attacker(r),
    honestCell(r.before),
    honestCell(r.during),
    r.during.attempts > 0 ? `${fixed(r.during.latency.p95, 0)} ms` : '–',
    ms(r.recoveryMs),
    `${mib(r.rssBeforeMiB)} → ${mib(r.rssPeakMiB)}`,
    bytes(r.diskGrowthBytes),
  ]);
  const details = results.map((r) => `  ${r.listener} / ${r.name}: ${refusals(r)}${r.during.failures ? `; honest failures: ${r.during.failures}` : ''}`);
  return [
    formatLeft(['listener', 'attack', 'attacker', 'honest before', 'honest during', 'p95', 'recovery', 'RSS MiB (peak)', 'disk Δ'], rows),
    '',
    'what the attacker saw:',
    ...details,
  ].join('\n');
}

export function exhaustionGoals(results: readonly ClassResult[]): Goal[] {
  const goals: Goal[] = [];
  for (const r of results) {
    const label = `${r.listener}: ${r.name}`;
    goals.push(goal('exhaustion', `${label}: honest success ≥ ${pct(HONEST_GOAL)} during the attack`, honestCell(r.during), r.during.attempts > 0 && r.during.rate >= HONEST_GOAL));
    goals.push(goal('exhaustion', `${label}: served again after it`, `recovery ${ms(r.recoveryMs)}`, r.recoveryMs !== null));
    for (const f of r.floods) {
      if (f.kind === 'unauth-body') {
        // What the listener lets through before it closes is kernel buffers, never the body.
        const perSocket = f.opened === 0 ? 0 : f.bodyBytesSent / f.opened;
        goals.push(goal('exhaustion', `${label}: an unauthenticated body is not read (≤ 16 MiB a connection reaches the kernel)`, `${bytes(perSocket)} a connection`, perSocket <= 16 * 2 ** 20));
      }
    }
  }
  return goals;
}

export function formatDirectoryFull(r: DirectoryFullResult): string {
  const rows: string[][] = [
    ['attacker', `${grouped(r.addresses)} addresses in ${grouped(r.prefixes)} /24s, ${grouped(r.identitiesUsed)} identities, ${fixed(r.floodSeconds, 0)} s; ${grouped(r.attackerStored)} stored, ${grouped(r.attackerRefusedFull)} refused as full, ${grouped(r.attackerRateLimited)} rate-limited`],
    ['full after', ms(r.fullAfterMs)],
    ['honest newcomers before full', honestCell(r.honestBeforeFull)],
    ['honest newcomers while full', `${honestCell(r.honestWhileFull)}${r.honestWhileFull.failures ? ` (${r.honestWhileFull.failures})` : ''}`],
    ['honest rows kept', `${grouped(r.honestStillThere)} of ${grouped(r.honestStored)}; after the restart ${grouped(r.honestStillThereAfterRestart)}`],
    ['stored', `${grouped(r.entries)} entries, ${bytes(r.storedBytes)} of ${bytes(r.maxStoredBytes)}; ${grouped(r.evicted)} evicted for newcomers`],
    ['directory RSS', `${mib(r.rssStartMiB)} → peak ${mib(r.rssPeakMiB)} MiB (${BEFORE_FIGURES})`],
    ['log on disk', bytes(r.logBytes)],
    ['endpoint URLs refused at the gate', `${grouped(r.badUrlAttempts - r.badUrlAccepted)} of ${grouped(r.badUrlAttempts)} (javascript:, file:, credentials, 12 KB)`],
    ['restart (SIGKILL, load, serve)', `${ms(r.restartMs)}, ${grouped(r.entriesAfterRestart)} entries, RSS ${mib(r.rssAfterRestartMiB)} MiB`],
  ];
  return formatLeft(['figure', 'value'], rows);
}

export function directoryFullGoals(r: DirectoryFullResult): Goal[] {
  const kept = r.honestStored === 0 ? 1 : r.honestStillThere / r.honestStored;
  return [
    goal('directory-full', `honest newcomers PUT and read back while the directory is full ≥ ${pct(HONEST_GOAL)}`, honestCell(r.honestWhileFull), r.honestWhileFull.attempts > 0 && r.honestWhileFull.rate >= HONEST_GOAL),
    goal('directory-full', `honest rows kept ≥ ${pct(HONEST_GOAL)}`, `${pct(kept)}`, kept >= HONEST_GOAL),
    goal('directory-full', 'stored bytes within the budget', `${bytes(r.storedBytes)} of ${bytes(r.maxStoredBytes)}`, r.storedBytes <= r.maxStoredBytes),
    goal('directory-full', 'bad endpoint URLs accepted: 0', grouped(r.badUrlAccepted), r.badUrlAccepted === 0),
    goal('directory-full', 'the restart loads every row it had', `${grouped(r.entriesAfterRestart)} of ${grouped(r.entries)}`, r.entriesAfterRestart === r.entries),
  ];
}

export function formatReplay(r: ReplayResult): string {
  const rows = r.rounds.map((round) => [
    String(round.round),
    grouped(round.replayed),
    grouped(round.byReason.ACCEPTED),
    grouped(round.byReason.floor),
    grouped(round.byReason.journal),
    grouped(round.byReason['skew window']),
    grouped(round.byReason['other refusal']),
    ms(round.restartMs),
    `${grouped(round.freshOnTime.served)}/${grouped(round.freshOnTime.attempts)}`,
    ms(round.allServedAfterMs),
    `${bytes(round.journalBytes)} (${grouped(round.journalLines)} lines)`,
    mib(round.rssMiB),
  ]);
  return [
    `attacker: ${grouped(r.identities)} peers' hellos captured (clocks ${fixed(r.offsetsMs.min / 1000, 0)} s to +${fixed(r.offsetsMs.max / 1000, 0)} s off), ${grouped(r.captured)} in all, replayed after every SIGKILL and restart`,
    '',
    formatLeft(['round', 'replayed', 'ACCEPTED', 'floor', 'journal', 'skew window', 'other', 'restart', 'fresh on time', 'all peers served', 'journal on disk', 'RSS MiB'], rows),
    '',
    `a hello's nonce remembered: ${fixed(r.journalWriteUs, 1)} µs with the journal (a synchronous append), ${fixed(r.memoryOnlyUs, 2)} µs in memory only`,
    'peers whose clock lags ours are refused until it passes the node\'s start (the floor); "all peers served" includes that wait',
  ].join('\n');
}

export function replayGoals(r: ReplayResult): Goal[] {
  const accepted = r.rounds.reduce((n, round) => n + round.byReason.ACCEPTED, 0);
  const fresh = r.rounds.reduce((t, round) => ({ attempts: t.attempts + round.freshOnTime.attempts, served: t.served + round.freshOnTime.served }), { attempts: 0, served: 0 });
  const rate = fresh.attempts === 0 ? 1 : fresh.served / fresh.attempts;
  return [
    goal('replay', 'captured hellos accepted after a restart: 0', grouped(accepted), accepted === 0),
    goal('replay', `fresh handshakes of peers on time or ahead served at once after a restart ≥ ${pct(HONEST_GOAL)}`, `${pct(rate)} of ${grouped(fresh.attempts)}`, rate >= HONEST_GOAL),
    goal('replay', 'every peer served again after each restart (lagging clocks within the skew window)', r.rounds.map((round) => ms(round.allServedAfterMs)).join(', '), r.rounds.every((round) => round.allServedAfterMs !== null)),
  ];
}
