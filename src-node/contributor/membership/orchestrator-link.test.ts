// The orchestrator link's reconnect policy (issue 8 §3, found by `npm run harden -- faults`): once
// an orchestrator has said its heartbeat interval, a lost connection is retried within one interval
// at most, so a restarted orchestrator has its PNodes back within two. Before this, the 1 s
// doubling backoff (up to 60 s) kept PNodes away for 6–23 s after a restart at a 1 s interval.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionManager } from '../../kernel/connection/connection-manager.js';
import type { PeerConnection } from '../../kernel/connection/peer-connection.js';
import type { PnodeDescriptor } from '../../../src-shared/membership/descriptor.js';
import type { PnodeRegisterBody } from '../../../src-shared/protocol/messages/membership-bodies.js';
import { OrchestratorLink, reconnectBounds, type LinkHost } from './orchestrator-link.js';
import { ORCHESTRATOR_BACKOFF } from './membership-module.js';

const INTERVAL_MS = 1_000;

describe('reconnectBounds', () => {
  it('keeps the bounds until the orchestrator has said its heartbeat interval', () => {
    expect(reconnectBounds(ORCHESTRATOR_BACKOFF, null)).toEqual(ORCHESTRATOR_BACKOFF);
    expect(reconnectBounds(ORCHESTRATOR_BACKOFF, 0)).toEqual(ORCHESTRATOR_BACKOFF);
  });

  it('caps the ceiling at one heartbeat interval, and the start below it', () => {
    expect(reconnectBounds(ORCHESTRATOR_BACKOFF, 10_000)).toEqual({ minMs: ORCHESTRATOR_BACKOFF.minMs, maxMs: 10_000 });
    expect(reconnectBounds(ORCHESTRATOR_BACKOFF, 200)).toEqual({ minMs: 200, maxMs: 200 });
    expect(reconnectBounds({ minMs: 50, maxMs: 400 }, 10_000)).toEqual({ minMs: 50, maxMs: 400 });
  });
});

describe('an orchestrator link that loses its orchestrator', () => {
  let connectCalls: number[];
  let reachable: boolean;
  let sent: Array<{ kind: string; body: PnodeRegisterBody }>;
  let connection: { isOpen: boolean; address: string; send: (kind: string, body: PnodeRegisterBody) => boolean; close: () => void };

  function host(): LinkHost {
    const connections = {
      connect: () => {
        connectCalls.push(Date.now());
        return reachable ? Promise.resolve(connection) : Promise.reject(new Error('ECONNREFUSED'));
      },
      get: () => undefined,
      unpin: () => undefined,
    };
    return {
      connections: connections as unknown as ConnectionManager,
      clock: { now: () => Date.now() },
      backoff: ORCHESTRATOR_BACKOFF,
      registerTimeoutMs: 10_000,
      descriptor: () => ({}) as unknown as PnodeDescriptor,
      isPrimary: () => true,
      heartbeatContent: () => ({ primary: true, contributing: true, 'load/permille': null, 'memory/available-mb': null, vnodes: [] }),
      onRegistered: () => undefined,
      onLost: () => undefined,
      onChanged: () => undefined,
      report: () => undefined,
    };
  }

  /** Starts a link and has the orchestrator accept it (heartbeat interval: INTERVAL_MS), or refuse it. */
  async function registered(accept = true): Promise<OrchestratorLink> {
    const link = new OrchestratorLink({ nodeId: 'node:did:key:z6MkOrchestrator', urls: ['ws://127.0.0.1:1/peer'] }, host());
    link.start();
    await vi.advanceTimersByTimeAsync(1);
    const register = sent.find((m) => m.kind === 'pnode-register')!;
    link.onRegisterReply(
      accept
        ? { 're/id': register.body['req/id'], accepted: true, 'heartbeat-interval-ms': INTERVAL_MS, 'lease-ms': 3 * INTERVAL_MS }
        : { 're/id': register.body['req/id'], accepted: false, reason: 'full' },
    );
    return link;
  }

  beforeEach(() => {
    vi.useFakeTimers();
    // The worst jitter every time: each delay is as long as its ceiling allows.
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    connectCalls = [];
    reachable = true;
    sent = [];
    connection = {
      isOpen: true,
      address: 'ws://127.0.0.1:1/peer',
      send: (kind, body) => {
        sent.push({ kind, body });
        return connection.isOpen;
      },
      close: () => undefined,
    };
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('dials again within one heartbeat interval every time, however long the orchestrator stays away', async () => {
    const link = await registered();
    expect(link.status).toBe('registered');
    reachable = false;
    connection.isOpen = false;
    const lostAt = Date.now();
    connectCalls = [];
    link.onDisconnected(connection as unknown as PeerConnection);
    await vi.advanceTimersByTimeAsync(30_000);
    const waits = [connectCalls[0]! - lostAt, ...connectCalls.slice(1).map((t, i) => t - connectCalls[i]!)];
    // The doubling backoff (1, 2, 4, 8, 16 s) would have dialed 4 times in these 30 s.
    expect(connectCalls.length).toBeGreaterThanOrEqual(29);
    expect(Math.max(...waits)).toBeLessThanOrEqual(INTERVAL_MS);
    // Back: the next dial succeeds and registers again, within one interval.
    reachable = true;
    connection.isOpen = true;
    sent = [];
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(sent.some((m) => m.kind === 'pnode-register')).toBe(true);
    link.stop();
  });

  it('backs off as before towards an orchestrator it never registered with', async () => {
    reachable = false;
    const link = new OrchestratorLink({ nodeId: 'node:did:key:z6MkOrchestrator', urls: ['ws://127.0.0.1:1/peer'] }, host());
    link.start();
    await vi.advanceTimersByTimeAsync(30_000);
    // The first dial, then retries after about 1, 2, 4, 8 and 16 s: 5 dials by 30 s.
    expect(connectCalls.length).toBe(5);
    link.stop();
  });

  it('keeps the doubling backoff for a registration the orchestrator refused', async () => {
    const first = await registered();
    // The interval is known now; a refusal after that still backs off by the host's bounds.
    const refusedAt = Date.now();
    sent = [];
    first.register();
    const register = sent.find((m) => m.kind === 'pnode-register')!;
    first.onRegisterReply({ 're/id': register.body['req/id'], accepted: false, reason: 'full' });
    const retries: number[] = [];
    for (let i = 0; i < 3; i++) {
      sent = [];
      await vi.advanceTimersByTimeAsync(100);
      for (let waited = 100; !sent.some((m) => m.kind === 'pnode-register') && waited < 60_000; waited += 100) await vi.advanceTimersByTimeAsync(100);
      retries.push(Date.now());
      const again = sent.find((m) => m.kind === 'pnode-register')!;
      first.onRegisterReply({ 're/id': again.body['req/id'], accepted: false, reason: 'full' });
    }
    const waits = [retries[0]! - refusedAt, retries[1]! - retries[0]!, retries[2]! - retries[1]!];
    // 1 s, 2 s, 4 s (to the 100 ms step): the ceiling doubles past the 1 s interval.
    expect(waits[0]).toBeLessThanOrEqual(1_000);
    expect(waits[1]).toBeGreaterThan(1_500);
    expect(waits[2]).toBeGreaterThan(3_500);
    first.stop();
  });
});
