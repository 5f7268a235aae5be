// The tables `npm run harden -- faults` prints, one per scenario: pure formatting of the results.
import { fixed, formatRows, grouped } from '../lib/report.js';
import type { DirectoryDownResult } from './directory-down.js';
import type { FloodResult } from './flood.js';
import { formatLeft, ms } from './format.js';
import type { OrchestratorRestartResult } from './orchestrator-restart.js';
import { CONVERGED_SHARE, KNOWS_SHARE, type PartitionResult } from './partition.js';
import type { IntervalFigures, Summary } from './stats.js';
import type { StalledPeersResult } from './stalled-peers.js';

function rtt(summary: Summary): string {
  return summary.n === 0 ? '–' : `${fixed(summary.p50, 2)} / ${fixed(summary.p95, 2)} / ${fixed(summary.max, 1)}`;
}

function intervals(figures: IntervalFigures): string[] {
  return [grouped(figures.n), fixed(figures.meanMs, 1), fixed(figures.meanDeviationPct, 2), fixed(figures.p95DeviationPct, 2), fixed(figures.maxDeviationPct, 2)];
}

export function formatRestart(result: OrchestratorRestartResult): string {
  const interval = result.heartbeatIntervalMs;
  const rows = result.rounds.map((r, i) => [
    String(i + 1),
    ms(r.downtimeMs),
    ms(r.startupMs),
    `${r.reregistered}/${result.pnodes}`,
    ms(r.firstMs),
    ms(r.medianMs),
    ms(r.allMs),
    r.allMs === null ? '–' : fixed(r.allMs / interval, 2),
  ]);
  return (
    `${result.pnodes} PNodes, heartbeat every ${interval} ms, all registered ${ms(result.initialMs)} after they started. ` +
    `Times from the restarted orchestrator listening:\n\n` +
    formatRows(['round', 'dead for', 'start-up', 'back', 'first', 'median', 'all', 'intervals'], rows)
  );
}

export function formatDirectoryDown(result: DirectoryDownResult): string {
  const rows = result.spread.map((s) => [s.what, `${s.learned}/${s.of}`, ms(s.knownByAllMs), ms(s.learnedAllMs)]);
  return (
    `${result.nodes} nodes at the end (seed included); first convergence ${ms(result.initialConvergenceMs)}; ` +
    `directory ${result.directoryDead ? 'SIGKILLed and not answering' : 'STILL ANSWERING'} before the news below:\n\n` +
    formatRows(['news', 'known by', 'known by all after', 'newcomer knew all after'], rows)
  );
}

export function formatPartition(result: PartitionResult): string {
  const phase = (name: string, figure: PartitionResult['join']): string[] => [
    name,
    figure?.convergedAfterMs === null || figure === undefined ? 'did not converge' : ms(figure.convergedAfterMs),
    figure ? `${fixed(figure.finalShare * 100, 1)} %` : '–',
  ];
  return (
    `${result.nodes} nodes (+ joiners during the partition), all running after ${ms(result.startupMs)}; converged = ` +
    `${CONVERGED_SHARE * 100} % of live nodes know ≥ ${KNOWS_SHARE * 100} % of live peers (checked each second):\n\n` +
    formatRows(['phase', 'converged after', 'share'], [phase('join', result.join), phase('heal', result.heal)])
  );
}

export function formatStalls(result: StalledPeersResult): string {
  const rows = result.rows.map((r) => [
    r.name,
    r.what,
    `${r.limitName} ${ms(r.limitMs)}`,
    r.expect === 'accepted' ? (r.accepted ? 'accepted' : 'NOT ACCEPTED') : ms(r.droppedAfterMs),
    r.expect === 'accepted' ? '–' : ms(r.tcpClosedAfterMs),
    r.note,
    r.pass ? 'ok' : 'FAIL',
  ]);
  const slots = result.slots;
  return [
    formatLeft(['case', 'the peer', 'limit', 'node let go', 'TCP gone', 'note', ''], rows),
    '',
    `healthy peer (ping every 100 ms), RTT p50 / p95 / max ms: before ${rtt(result.baselineRtt)}; during the stalls ${rtt(result.duringRtt)}; ` +
      `${result.pingsLost} of ${result.pingsSent} pings lost; session ${result.healthySurvived ? 'kept' : `LOST (${result.healthyCloseReason ?? 'no reason given'})`}`,
    slots
      ? `pending slots per address (${slots.limit}): ${slots.held} of ${slots.opened} silent peers from one address held one (none a session slot); ` +
        `another address ${slots.otherAddressServed ? 'served' : 'NOT SERVED'} meanwhile, the flooding address ${slots.sameAddressRefused ? 'refused' : 'NOT refused'} meanwhile and served again ${ms(slots.freedAfterMs)} after the flood`
      : 'pending slots: not flooded in this run',
  ].join('\n');
}

export function formatFlood(result: FloodResult): string {
  const f = result.flood;
  const closes = Object.entries(f.closes)
    .sort((a, b) => b[1] - a[1])
    .map(([why, n]) => `    ${grouped(n).padStart(6)}  ${why}`)
    .join('\n');
  return [
    `victim heartbeats every ${result.heartbeatIntervalMs} ms (arrival times at the orchestrator); flood ${ms(result.floodMs)}:`,
    '',
    formatRows(
      ['window', 'gaps', 'mean ms', 'mean dev %', 'p95 dev %', 'max dev %'],
      [
        ['before', ...intervals(result.baseline)],
        ['flood', ...intervals(result.during)],
        ['after', ...intervals(result.after)],
      ],
    ),
    '',
    `longest gaps during the flood: ${result.longestGapsMs.map((g) => fixed(g, 1)).join(', ')} ms; the victim used ${result.victimCpuPct === null ? '?' : fixed(result.victimCpuPct, 0)} % of a core; ` +
      `this (measuring) process's event loop ran late by p99 ${fixed(result.measuringLoopDelayMs.p99, 1)} / max ${fixed(result.measuringLoopDelayMs.max, 1)} ms` +
      (result.floodNiceness ? `; the flooder ran at niceness ${result.floodNiceness}` : ''),
    `orchestrator: victim ${result.stillRegistered ? 'still registered' : 'NOT REGISTERED'}, ${result.missedHeartbeats} heartbeats missed`,
    `healthy peer RTT p50 / p95 / max ms: before ${rtt(result.baselineRtt)}; during the flood ${rtt(result.floodRtt)}; ${result.pingsLost} of ${result.pingsSent} pings lost; session ${result.healthySurvived ? 'kept' : `LOST (${result.healthyCloseReason ?? 'no reason given'})`}`,
    `flooder: ${grouped(f.sessions)} sessions (${grouped(f.refused)} refused), ${grouped(f.messages)} messages, ${grouped(f.badFrames)} bad frames; the node ended its sessions with:`,
    closes,
  ].join('\n');
}
