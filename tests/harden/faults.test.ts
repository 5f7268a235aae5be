// Smoke run of `npm run harden -- faults` (harden/faults/): every scenario at a small scale, with
// the real code, asserting what must happen — PNodes register again after their orchestrator
// restarts, gossip carries news with the directory dead, the network reconverges after a partition
// (asserted on the discovery simulation's run, tests/integration/discovery-sim.test.ts),
// stalled peers are let go while a healthy one is served, heartbeats go on under a flood — and never
// how fast: the speed goals (≤ 2 heartbeat intervals, ±10 % heartbeat gaps, the limits) are the
// harness's printed figures, not assertions here. The scenarios are independent (own ports, dirs
// and processes), so they run side by side.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDirectoryDown } from '../../harden/faults/directory-down.js';
import { runFlood } from '../../harden/faults/flood.js';
import { buildFlooder } from '../../harden/faults/flooder-child.js';
import { runOrchestratorRestart } from '../../harden/faults/orchestrator-restart.js';
import { runStalledPeers } from '../../harden/faults/stalled-peers.js';
import { formatDirectoryDown, formatFlood, formatRestart, formatStalls } from '../../harden/faults/report.js';
import { directoryGoals, floodGoals, restartGoals, stallGoals } from '../../harden/faults/verdicts.js';
import { PATIENCE_MS } from '../support/wait.js';

const SEED = Number(process.env['PNODE_HARDEN_SEED'] ?? 20261121);
const workDir = mkdtempSync(join(tmpdir(), 'pnode-harden-faults-'));
/** The bundle must sit inside the repo: its dependencies are resolved from node_modules. */
const FLOODER = join('dist', 'harden', `faults-flooder-test-${process.pid}.mjs`);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
  await rm(FLOODER, { force: true });
});

describe.concurrent('faults in the network (smoke)', () => {
  it('an orchestrator SIGKILLed and restarted on its port gets every PNode registered again', async () => {
    const result = await runOrchestratorRestart({ pnodes: 3, heartbeatIntervalMs: 300, downtimesMs: [700], workDir: join(workDir, 'restart') });
    const table = formatRestart(result);
    expect(result.rounds, table).toHaveLength(1);
    expect(result.rounds[0]!.reregistered, table).toBe(3);
    expect(result.rounds[0]!.allMs, table).not.toBeNull();
    expect(restartGoals(result)).toHaveLength(2);
  });

  it('with the directory SIGKILLed, a newcomer and a new advertisement reach every node by gossip', async () => {
    const result = await runDirectoryDown({ nodes: 3, newcomers: 1, republishers: 1, workDir: join(workDir, 'directory') });
    const table = formatDirectoryDown(result);
    expect(result.initialConvergenceMs, table).not.toBeNull();
    expect(result.directoryDead, table).toBe(true);
    expect(result.spread.map((s) => s.kind), table).toEqual(['newcomer', 're-published']);
    for (const news of result.spread) {
      expect(news.learned, table).toBe(news.of);
      expect(news.knownByAllMs, table).not.toBeNull();
    }
    expect(result.spread[0]!.learnedAllMs, table).not.toBeNull();
    expect(directoryGoals(result).filter((g) => g.mustHold && !g.pass)).toEqual([]);
  });

  // The partition scenario is the discovery simulation's own partition run: its smoke test shares
  // that run with the simulation's test (tests/integration/discovery-sim.test.ts), rather than
  // running the same 20-odd real nodes a second time.

  it('peers that stall at each step are let go, a slow one is served, a healthy one is served throughout, a flood of silent peers from one address holds only its own pending slots', async () => {
    const result = await runStalledPeers({
      // The 30 s ack wait (dial-no-ack, dial-partial-ack) is left to the harness.
      cases: ['tcp-silent', 'http-partial', 'ws-no-hello', 'ws-partial-hello', 'ws-slow-hello', 'session-mid-frame', 'dial-silent'],
      // Short for the keepalive case, yet long enough that a starved CPU does not lose the healthy peer.
      keepalive: { intervalMs: 1_000, timeoutMs: 3_000 },
      waitForTcpClose: false,
      fillSlots: true,
      patienceMs: PATIENCE_MS,
      workDir: join(workDir, 'stalls'),
    });
    const table = formatStalls(result);
    for (const row of result.rows) {
      if (row.expect === 'accepted') expect(row.accepted, `${row.name}\n${table}`).toBe(true);
      else expect(row.droppedAfterMs, `${row.name}\n${table}`).not.toBeNull();
    }
    expect(result.rows.filter((r) => r.direction === 'outbound').every((r) => !r.note.includes('still dialing')), table).toBe(true);
    expect(result.healthySurvived, table).toBe(true);
    expect(result.duringRtt.n, table).toBeGreaterThan(0);
    expect(result.slots?.held, table).toBeLessThanOrEqual(result.slots!.limit);
    expect(result.slots?.otherAddressServed, table).toBe(true);
    expect(result.slots?.sameAddressRefused, table).toBe(true);
    expect(result.slots?.freedAfterMs, table).not.toBeNull();
    expect(stallGoals(result).length).toBe(result.rows.length + 2);
  });

  it('under a flood the node keeps heartbeating, stays registered and serves a healthy peer', async () => {
    await buildFlooder(FLOODER);
    // A 1 s interval (a 3 s lease): a starved CPU's late heartbeat must not cost the registration.
    const result = await runFlood({ heartbeatIntervalMs: 1_000, floodMs: 3_000, flooder: FLOODER, seed: SEED, workDir: join(workDir, 'flood') });
    const table = formatFlood(result);
    expect(result.during.n, table).toBeGreaterThan(0);
    expect(result.after.n, table).toBeGreaterThan(0);
    expect(result.stillRegistered, table).toBe(true);
    expect(result.healthySurvived, table).toBe(true);
    expect(result.floodRtt.n, table).toBeGreaterThan(0);
    expect(result.flood.sessions, table).toBeGreaterThan(0);
    expect(result.flood.messages + result.flood.badFrames, table).toBeGreaterThan(0);
    expect(floodGoals(result)).toHaveLength(3);
  });
});
