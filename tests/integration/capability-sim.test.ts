// Issue 16 §5: `pnode sim discovery --mode dht|gossip` at small N. The same nodes find peers by
// capability through the network's DHT (dial-only nodes) and through gossip (full membership);
// each find counts only when it returns a running node that offers the capability, verified by our
// handshake. The figures at 500 and 1,000 nodes come from the command (printed, not asserted here).
import { describe, expect, it } from 'vitest';
import { bytesPerNodePerMinuteBetween, describeFailures, runCapabilitySim, type CapabilitySimResult } from '../../src-node/tools/sim/capability-sim.js';
import { PEER_EXCHANGE_INTERVAL_MS } from '../../src-node/kernel/discovery/peer-exchange.js';
import { PNODE_BIN } from '../support/nodes.js';

const NODES = 14;
const FINDS = 14;

async function run(mode: 'dht' | 'gossip'): Promise<{ result: CapabilitySimResult; log: string }> {
  const lines: string[] = [];
  const result = await runCapabilitySim({
    mode,
    nodes: NODES,
    workers: 2,
    churnPercent: 20,
    // Gossip is quiet between exchange rounds: its window must hold one.
    measureMs: mode === 'gossip' ? PEER_EXCHANGE_INTERVAL_MS + 2_000 : 5_000,
    finds: FINDS,
    settleMs: 3_000,
    startTimeoutMs: 120_000,
    pnodeBin: PNODE_BIN,
    print: (line) => lines.push(line),
  });
  return { result, log: lines.join('\n') };
}

function expectFigures({ result, log }: { result: CapabilitySimResult; log: string }): void {
  expect(result.running, log).toBe(NODES);
  // A quiet network: every find reaches a live node offering the capability.
  expect(result.quiet.attempts, log).toBe(FINDS);
  expect(result.quiet.succeeded, log).toBe(FINDS);
  expect(result.quiet.p50Ms, log).toBeLessThanOrEqual(result.quiet.p99Ms);
  // Under churn finds still succeed, though not all (a fifth of the nodes restart every 2 s).
  expect(result.churn.attempts, log).toBe(FINDS);
  expect(result.churn.succeeded, log).toBeGreaterThan(0);
  // Every failed find is accounted for by one reason.
  const { none, stale, timedOut } = result.churn.failures;
  expect(none + stale + timedOut, log).toBe(result.churn.attempts - result.churn.succeeded);
  expect(result.quiet.failures, log).toEqual({ none: 0, stale: 0, timedOut: 0 });
  // Staying in the network moves bytes and holds memory: the counters are read, not zero.
  expect(result.bytesPerNodePerMinute, log).toBeGreaterThan(0);
  expect(result.rssPerNodeBytes, log).toBeGreaterThan(0);
}

describe('the capability simulation (sim discovery --mode)', () => {
  it('dht: dial-only nodes announce their compute profile and find verified peers by it', async () => {
    expectFigures(await run('dht'));
  }, 240_000);

  it('gossip: the same nodes find peers by capability in the advertisements they hold', async () => {
    expectFigures(await run('gossip'));
  }, 240_000);

  it('bytes per node per minute count only nodes seen at both ends of the window', () => {
    const before = new Map([
      ['a', 1_000],
      ['b', 5_000],
      ['gone', 7],
    ]);
    const after = new Map([
      ['a', 4_000],
      ['b', 2_000], // restarted: its counter began again
      ['new', 900],
    ]);
    expect(bytesPerNodePerMinuteBetween(before, after, 30_000)).toBe(6_000);
    expect(bytesPerNodePerMinuteBetween(new Map(), after, 30_000)).toBeNaN();
  });

  it('says why finds failed, reason by reason, and nothing when none did', () => {
    const figures = { attempts: 10, succeeded: 4, p50Ms: 1, p99Ms: 2, failures: { none: 3, stale: 2, timedOut: 1 } };
    expect(describeFailures(figures)).toBe(' (3 found none, 2 found a peer stopped by the answer, 1 timed out)');
    expect(describeFailures({ ...figures, succeeded: 7, failures: { none: 0, stale: 3, timedOut: 0 } })).toBe(' (3 found a peer stopped by the answer)');
    expect(describeFailures({ ...figures, succeeded: 10, failures: { none: 0, stale: 0, timedOut: 0 } })).toBe('');
    expect(describeFailures({ ...figures, noneWhy: ['2 lookups, 0 candidates', 'none known'] })).toBe(' (3 found none: 2 lookups, 0 candidates; none known, 2 found a peer stopped by the answer, 1 timed out)');
  });
});
