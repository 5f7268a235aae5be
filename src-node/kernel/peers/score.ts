// The peer score (DESIGN.md §1: "peers carry a score (latency, reliability, uptime)"). It ranks
// candidates to dial, picks hot peers, and is shown to operators in `peer-status.v1`.
import type { PeerRecord } from './peer-record.js';

/** Weights of the three parts; they sum to 1. */
export const SCORE_WEIGHT_RTT = 0.4;
export const SCORE_WEIGHT_RELIABILITY = 0.4;
export const SCORE_WEIGHT_UPTIME = 0.2;

/** Round trips at or under this earn full marks: the peer is on the same LAN or city. */
export const RTT_FULL_MARKS_MS = 50;
/** A round trip this long earns half marks. */
export const RTT_HALF_MARKS_MS = 300;
/** The RTT part of a peer never measured: neutral. */
export const RTT_UNKNOWN_FACTOR = 0.5;
/** Weight of a new sample in the smoothed RTT (TCP's SRTT uses the same 1/8). */
export const RTT_EWMA_WEIGHT = 0.125;

/** Pseudo-observations at 50 % that every peer starts with, so one result does not decide. */
export const RELIABILITY_PRIOR_WEIGHT = 4;
/** Pseudo-time at 50 % connected that every peer starts with, for the same reason. */
export const UPTIME_PRIOR_MS = 10 * 60_000;

export interface ScoreInputs {
  /** Smoothed round trip in ms; null when never measured. */
  readonly rttMs: number | null;
  readonly successes: number;
  readonly failures: number;
  /** Time connected to the peer since first seen. */
  readonly connectedMs: number;
  /** Time since the peer was first seen. */
  readonly observedMs: number;
}

function nonNegative(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 0;
}

/**
 * RTT part, in [0, 1]: 1 up to RTT_FULL_MARKS_MS, then 1 / (1 + (rtt − full) / (half − full)),
 * which is 0.5 at RTT_HALF_MARKS_MS, 0.2 at 1.05 s, and never reaches 0. The curve is continuous
 * and falls off gently, so slow peers still rank among themselves and there is no cliff for
 * scores to jump over.
 */
export function rttFactor(rttMs: number | null): number {
  if (rttMs === null || !Number.isFinite(rttMs)) return RTT_UNKNOWN_FACTOR;
  const excess = rttMs - RTT_FULL_MARKS_MS;
  if (excess <= 0) return 1;
  return 1 / (1 + excess / (RTT_HALF_MARKS_MS - RTT_FULL_MARKS_MS));
}

/**
 * Reliability part, in [0, 1]: (successes + P/2) / (successes + failures + P) with
 * P = RELIABILITY_PRIOR_WEIGHT. A new peer sits at 0.5; evidence moves it towards its real
 * success ratio, and one failure cannot sink a peer with a long good record.
 */
export function reliabilityFactor(successes: number, failures: number): number {
  const s = nonNegative(successes);
  const f = nonNegative(failures);
  return (s + RELIABILITY_PRIOR_WEIGHT / 2) / (s + f + RELIABILITY_PRIOR_WEIGHT);
}

/**
 * Uptime part, in [0, 1]: the share of time since first seen that we were connected, with a
 * prior of UPTIME_PRIOR_MS at 50 %: (connected + U/2) / (observed + U). Connected time is capped
 * at observed time, so the share never exceeds 1.
 */
export function uptimeFactor(connectedMs: number, observedMs: number): number {
  const observed = nonNegative(observedMs);
  const connected = Math.min(nonNegative(connectedMs), observed);
  return (connected + UPTIME_PRIOR_MS / 2) / (observed + UPTIME_PRIOR_MS);
}

/**
 * score = round(100 · (0.4 · rtt + 0.4 · reliability + 0.2 · uptime)), an integer in 0..100.
 *
 * Why these weights: reliability decides whether a hot session survives at all, and RTT decides
 * how fast work and gossip move, so they share most of the weight. Uptime gets less because it is
 * partly our own doing: we only stay connected to the few peers in our working set.
 * A peer we know nothing about scores 50, the middle, so it neither jumps ahead of proven peers
 * nor is starved of a first try.
 * Each part only rises with better evidence (lower RTT, more successes, fewer failures, more
 * connected time), so the score does too.
 */
export function peerScore(inputs: ScoreInputs): number {
  const value =
    SCORE_WEIGHT_RTT * rttFactor(inputs.rttMs) +
    SCORE_WEIGHT_RELIABILITY * reliabilityFactor(inputs.successes, inputs.failures) +
    SCORE_WEIGHT_UPTIME * uptimeFactor(inputs.connectedMs, inputs.observedMs);
  return Math.max(0, Math.min(100, Math.round(100 * value)));
}

export function scoreInputsOf(record: PeerRecord, now: number): ScoreInputs {
  return {
    rttMs: record.rttSmoothedMs,
    successes: record.successes,
    failures: record.failures,
    // As peer-record's connectedMsAt; repeated here so the two modules do not import each other.
    connectedMs: record.connectedMs + (record.connectedSince !== null ? Math.max(0, now - record.connectedSince) : 0),
    observedMs: Math.max(0, now - record.firstSeen),
  };
}

export function scorePeer(record: PeerRecord, now: number): number {
  return peerScore(scoreInputsOf(record, now));
}

/** The next smoothed RTT: the first sample as is, then an EWMA with weight RTT_EWMA_WEIGHT. */
export function smoothRtt(previous: number | null, sampleMs: number): number {
  if (previous === null) return sampleMs;
  return previous + RTT_EWMA_WEIGHT * (sampleMs - previous);
}
