import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newPeerRecord } from './peer-record.js';
import {
  RTT_FULL_MARKS_MS,
  RTT_HALF_MARKS_MS,
  type ScoreInputs,
  peerScore,
  reliabilityFactor,
  rttFactor,
  scorePeer,
  smoothRtt,
  uptimeFactor,
} from './score.js';
import { nodeIdFor } from '../../../tests/support/peers.js';

const HOUR = 3_600_000;
const unknown: ScoreInputs = { rttMs: null, successes: 0, failures: 0, connectedMs: 0, observedMs: 0 };

const inputs = fc.record({
  rttMs: fc.option(fc.double({ min: 0, max: 60_000, noNaN: true }), { nil: null }),
  successes: fc.nat({ max: 100_000 }),
  failures: fc.nat({ max: 100_000 }),
  connectedMs: fc.nat({ max: 1_000 * HOUR }),
  observedMs: fc.nat({ max: 1_000 * HOUR }),
});

describe('the peer score', () => {
  it('puts a peer we know nothing about in the middle', () => {
    expect(peerScore(unknown)).toBe(50);
    const now = Date.parse('2026-11-21T12:00:00Z');
    expect(scorePeer(newPeerRecord(nodeIdFor(1), 'gossip', now), now)).toBe(50);
  });

  it('gives full RTT marks up to RTT_FULL_MARKS_MS and half at RTT_HALF_MARKS_MS', () => {
    expect(rttFactor(0)).toBe(1);
    expect(rttFactor(RTT_FULL_MARKS_MS)).toBe(1);
    expect(rttFactor(RTT_FULL_MARKS_MS + 1)).toBeLessThan(1);
    expect(rttFactor(RTT_FULL_MARKS_MS + 1)).toBeGreaterThan(0.99);
    expect(rttFactor(RTT_HALF_MARKS_MS)).toBeCloseTo(0.5, 10);
    expect(rttFactor(60_000)).toBeGreaterThan(0);
  });

  it('starts reliability neutral and moves it with evidence', () => {
    expect(reliabilityFactor(0, 0)).toBe(0.5);
    expect(reliabilityFactor(1, 0)).toBeGreaterThan(0.5);
    expect(reliabilityFactor(0, 1)).toBeLessThan(0.5);
    expect(reliabilityFactor(1_000, 0)).toBeGreaterThan(0.99);
    // One failure does not sink a long good record.
    expect(reliabilityFactor(100, 1)).toBeGreaterThan(0.97);
  });

  it('caps uptime at the observed time', () => {
    expect(uptimeFactor(0, 0)).toBe(0.5);
    expect(uptimeFactor(10 * HOUR, HOUR)).toBe(uptimeFactor(HOUR, HOUR));
    expect(uptimeFactor(HOUR, HOUR)).toBeLessThanOrEqual(1);
    expect(uptimeFactor(0, 100 * HOUR)).toBeLessThan(0.01);
  });

  it('reaches the ends of the scale', () => {
    expect(peerScore({ rttMs: 5, successes: 1e6, failures: 0, connectedMs: 1e5 * HOUR, observedMs: 1e5 * HOUR })).toBe(100);
    expect(peerScore({ rttMs: 1e9, successes: 0, failures: 1e9, connectedMs: 0, observedMs: 1e9 * HOUR })).toBe(0);
  });

  it('is an integer in 0..100 for any input, even nonsense', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const s = peerScore(i);
        expect(Number.isInteger(s)).toBe(true);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(100);
      }),
    );
    const nonsense = [Number.NaN, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (const x of nonsense) {
      const s = peerScore({ rttMs: x, successes: x, failures: x, connectedMs: x, observedMs: x });
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(100);
    }
  });

  it('never rises with a slower RTT', () => {
    fc.assert(
      fc.property(inputs, fc.double({ min: 0, max: 60_000, noNaN: true }), fc.double({ min: 0, max: 10_000, noNaN: true }), (i, rtt, extra) => {
        expect(peerScore({ ...i, rttMs: rtt + extra })).toBeLessThanOrEqual(peerScore({ ...i, rttMs: rtt }));
      }),
    );
  });

  it('never falls with more successes, never rises with more failures', () => {
    fc.assert(
      fc.property(inputs, fc.nat({ max: 1_000 }), (i, more) => {
        expect(peerScore({ ...i, successes: i.successes + more })).toBeGreaterThanOrEqual(peerScore(i));
        expect(peerScore({ ...i, failures: i.failures + more })).toBeLessThanOrEqual(peerScore(i));
      }),
    );
  });

  it('never falls with more connected time', () => {
    fc.assert(
      fc.property(inputs, fc.nat({ max: 10 * HOUR }), (i, more) => {
        expect(peerScore({ ...i, connectedMs: i.connectedMs + more })).toBeGreaterThanOrEqual(peerScore(i));
      }),
    );
  });

  it('smooths RTT samples with an EWMA', () => {
    expect(smoothRtt(null, 80)).toBe(80);
    expect(smoothRtt(80, 160)).toBe(90);
    expect(smoothRtt(80, 80)).toBe(80);
  });
});
