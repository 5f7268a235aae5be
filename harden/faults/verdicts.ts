// What each fault scenario must show (issue 8 §3), as goals: pure functions of the results.
import { fixed } from '../lib/report.js';
import type { DirectoryDownResult } from './directory-down.js';
import { HEARTBEAT_TOLERANCE, type FloodResult } from './flood.js';
import { ms } from './format.js';
import { goal, type Goal } from './goals.js';
import { REREGISTER_GOAL_INTERVALS, type OrchestratorRestartResult } from './orchestrator-restart.js';
import type { PartitionResult } from './partition.js';
import type { StalledPeersResult } from './stalled-peers.js';
import { HELLO_WAIT_TIMEOUT_MS } from '../../src-node/kernel/transport/limits.js';
import { STALL_MARGIN_MS } from './stalled-peers.js';

/** DESIGN.md §9: the network converges in under 5 s (printed for the news and the heal; not must-hold). */
export const CONVERGENCE_TARGET_MS = 5_000;

export const SCENARIO_RESTART = 'orchestrator restart';
export const SCENARIO_DIRECTORY = 'directory down';
export const SCENARIO_PARTITION = 'partition healed';
export const SCENARIO_STALLS = 'stalled peers';
export const SCENARIO_FLOOD = 'flooding peer';

export function restartGoals(result: OrchestratorRestartResult): Goal[] {
  const goalMs = REREGISTER_GOAL_INTERVALS * result.heartbeatIntervalMs;
  const all = result.rounds.every((r) => r.reregistered === result.pnodes);
  const times = result.rounds.map((r) => r.allMs);
  const worst = times.some((t) => t === null) ? null : Math.max(...(times as number[]));
  return [
    goal(SCENARIO_RESTART, 'every PNode registers again after each restart', `${result.rounds.filter((r) => r.reregistered === result.pnodes).length}/${result.rounds.length} rounds`, all && result.rounds.length > 0),
    goal(
      SCENARIO_RESTART,
      `all back within ${REREGISTER_GOAL_INTERVALS} heartbeat intervals (${ms(goalMs)})`,
      worst === null ? 'not all came back' : `worst ${ms(worst)} (${fixed(worst / result.heartbeatIntervalMs, 2)} intervals)`,
      worst !== null && worst <= goalMs,
    ),
  ];
}

export function directoryGoals(result: DirectoryDownResult): Goal[] {
  const news = result.spread;
  const allLearned = news.every((s) => s.learned === s.of && s.knownByAllMs !== null);
  const newcomers = news.filter((s) => s.kind === 'newcomer');
  const newcomersLearned = newcomers.length > 0 && newcomers.every((s) => s.learnedAllMs !== null);
  const times = news.map((s) => s.knownByAllMs);
  const worst = times.some((t) => t === null) ? null : Math.max(0, ...(times as number[]));
  return [
    goal(SCENARIO_DIRECTORY, 'the directory is really gone', result.directoryDead ? 'not answering' : 'still answering', result.directoryDead),
    goal(SCENARIO_DIRECTORY, 'every node learns every newcomer and re-publication by gossip', `${news.filter((s) => s.learned === s.of).length}/${news.length} pieces of news known by all`, allLearned && news.length > 0),
    goal(SCENARIO_DIRECTORY, 'every newcomer learns every node', newcomersLearned ? 'yes' : 'no', newcomersLearned),
    goal(SCENARIO_DIRECTORY, `news known by all within ${ms(CONVERGENCE_TARGET_MS)}`, worst === null ? '–' : `worst ${ms(worst)}`, worst !== null && worst <= CONVERGENCE_TARGET_MS, false),
  ];
}

export function partitionGoals(result: PartitionResult): Goal[] {
  const heal = result.heal?.convergedAfterMs ?? null;
  return [
    goal(SCENARIO_PARTITION, 'the network converges again after the heal', heal === null ? `did not (share ${fixed((result.heal?.finalShare ?? 0) * 100, 1)} %)` : `after ${ms(heal)}`, heal !== null),
    goal(SCENARIO_PARTITION, `reconverged within ${ms(CONVERGENCE_TARGET_MS)}`, ms(heal), heal !== null && heal <= CONVERGENCE_TARGET_MS, false),
  ];
}

export function stallGoals(result: StalledPeersResult): Goal[] {
  const goals = result.rows.map((r) =>
    r.expect === 'accepted'
      ? goal(SCENARIO_STALLS, `${r.name}: a slow peer within ${r.limitName} gets its session`, r.accepted ? 'accepted' : r.note || 'not accepted', r.pass)
      : goal(SCENARIO_STALLS, `${r.name}: let go within ${r.limitName} (allowed ${ms(r.allowedMs)})`, ms(r.droppedAfterMs), r.pass),
  );
  goals.push(
    goal(
      SCENARIO_STALLS,
      'a healthy peer is served throughout (no ping lost, session kept)',
      `${result.pingsLost}/${result.pingsSent} lost, RTT p95 ${fixed(result.duringRtt.p95, 2)} ms`,
      result.pingsLost === 0 && result.healthySurvived && result.pingsSent > 0,
    ),
  );
  if (result.slots) {
    const s = result.slots;
    const allowed = HELLO_WAIT_TIMEOUT_MS + STALL_MARGIN_MS;
    goals.push(
      goal(
        SCENARIO_STALLS,
        `silent peers from one address hold at most ${s.limit} pending slots, another address is served meanwhile, and theirs frees up within HELLO_WAIT_TIMEOUT_MS (allowed ${ms(allowed)})`,
        `${s.held} held, other address ${s.otherAddressServed ? 'served' : 'NOT served'}, free after ${ms(s.freedAfterMs)}`,
        s.held <= s.limit && s.otherAddressServed && s.freedAfterMs !== null && s.freedAfterMs <= allowed,
      ),
    );
  }
  return goals;
}

export function floodGoals(result: FloodResult): Goal[] {
  const d = result.during;
  const tolerancePct = HEARTBEAT_TOLERANCE * 100;
  return [
    goal(
      SCENARIO_FLOOD,
      `heartbeat gaps within ±${tolerancePct} % of the interval during the flood`,
      `${d.n} gaps: max ${fixed(d.maxDeviationPct, 2)} %, p95 ${fixed(d.p95DeviationPct, 2)} %, mean ${fixed(d.meanMs, 1)} ms`,
      d.n > 0 && d.maxDeviationPct <= tolerancePct,
    ),
    goal(SCENARIO_FLOOD, 'the victim stays registered, no heartbeat missed', `${result.stillRegistered ? 'registered' : 'NOT registered'}, ${result.missedHeartbeats} missed`, result.stillRegistered && result.missedHeartbeats === 0),
    goal(
      SCENARIO_FLOOD,
      'a healthy peer is served throughout (no ping lost, session kept)',
      `${result.pingsLost}/${result.pingsSent} lost, RTT p95 ${fixed(result.floodRtt.p95, 2)} ms`,
      result.pingsLost === 0 && result.healthySurvived && result.pingsSent > 0,
    ),
  ];
}
