import { describe, expect, it } from 'vitest';
import { RATE_WINDOW_SECONDS, RateWindow, prometheusText, zeroCounters } from './metrics.js';

describe('the heartbeats-per-second window', () => {
  it('averages the completed seconds of the window and forgets older ones', () => {
    const start = 1_000_000;
    const rate = new RateWindow(start);
    for (let s = 0; s < RATE_WINDOW_SECONDS; s++) rate.add(start + s * 1000, 50);
    expect(rate.perSecond(start + RATE_WINDOW_SECONDS * 1000)).toBe(50);
    expect(rate.perSecond(start + (RATE_WINDOW_SECONDS + 5) * 1000)).toBe(25);
    expect(rate.perSecond(start + 100 * 1000)).toBe(0);
  });
});

describe('the Prometheus exposition', () => {
  it('has HELP and TYPE for every family, labels quoted, and integer samples as integers', () => {
    const text = prometheusText({
      counters: { ...zeroCounters(), heartbeats: 12, leaseExpiries: 2, allocationsAccepted: 3 },
      pnodesByState: { registered: 5, expired: 1 },
      vnodesByState: { pending: 1, running: 3 },
      heartbeatsPerSecond: 0.5,
      sessions: 6,
      heartbeatIntervalMs: 10_000,
    });
    expect(text).toMatch(/^pnode_orchestrator_registered_pnodes 5$/m);
    expect(text).toMatch(/^pnode_orchestrator_pnodes\{state="expired"\} 1$/m);
    expect(text).toMatch(/^pnode_orchestrator_heartbeats_total\{outcome="acked"\} 12$/m);
    expect(text).toMatch(/^pnode_orchestrator_heartbeats_per_second 0\.500$/m);
    expect(text).toMatch(/^pnode_orchestrator_lease_expiries_total 2$/m);
    expect(text).toMatch(/^pnode_orchestrator_allocations_total\{outcome="accepted"\} 3$/m);
    expect(text).toMatch(/^pnode_orchestrator_heartbeat_interval_seconds 10$/m);
    const names = [...text.matchAll(/^# TYPE (\S+) (counter|gauge)$/gm)].map((m) => m[1]);
    for (const name of names) expect(text).toContain(`# HELP ${name} `);
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?\d+(\.\d+)?$/);
    expect(text.endsWith('\n')).toBe(true);
  });
});
