import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BENCHLIST_CONSECUTIVE_FAILURES,
  DEGRADED_BELOW_SCORE,
  PEER_LIFECYCLES,
  PEER_SOURCES,
  PEER_TEMPERATURES,
  type PeerRecord,
  compareEndpoints,
  connectedMsAt,
  missingCapabilities,
  newPeerRecord,
  preferredEndpoints,
  qualityStatusOf,
  strongerSource,
  toPeerStatus,
} from './peer-record.js';
import peerStatusSchema from './peer-status.v1.schema.json' with { type: 'json' };
import { nodeIdFor } from '../../../tests/support/peers.js';

const validate = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true }).compile(peerStatusSchema);
const NOW = Date.parse('2026-11-21T12:00:00Z');
const fresh = (): PeerRecord => newPeerRecord(nodeIdFor(7), 'gossip', NOW);

function expectValid(status: unknown): void {
  const ok = validate(status);
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

describe('the peer-status.v1 projection', () => {
  it('validates for a new peer, with neutral values', () => {
    const status = toPeerStatus(fresh(), NOW);
    expectValid(status);
    expect(status).toEqual({
      schema: 'peer-status.v1',
      node_id: nodeIdFor(7),
      display_name: null,
      selected_endpoint_url: null,
      temperature: 'cold',
      lifecycle: 'idle',
      quality_status: 'healthy',
      score: 50,
      supported_capabilities: [],
      missing_capabilities: [],
      capability_missing_count: 0,
      failure_count: 0,
      replay_incidents: 0,
      cooldown_remaining_ms: null,
      blocked_remaining_ms: null,
      last_failure_reason: null,
    });
  });

  it('shows a block with its remaining time, and an open-ended block as null', () => {
    const timed: PeerRecord = { ...fresh(), block: { reason: 'spam', until: NOW + 90_000, automatic: false, since: NOW }, lifecycle: 'blocked', temperature: 'blocked' };
    const status = toPeerStatus(timed, NOW);
    expectValid(status);
    expect(status).toMatchObject({ temperature: 'blocked', lifecycle: 'blocked', quality_status: 'blocked', blocked_remaining_ms: 90_000 });
    const forever: PeerRecord = { ...timed, block: { ...timed.block!, until: null } };
    expect(toPeerStatus(forever, NOW + 1e12)).toMatchObject({ quality_status: 'blocked', blocked_remaining_ms: null });
  });

  it('does not show an expired block or cooldown', () => {
    const record: PeerRecord = {
      ...fresh(),
      block: { reason: 'spam', until: NOW, automatic: true, since: NOW - 1 },
      cooldownUntil: NOW,
      lifecycle: 'blocked',
      temperature: 'blocked',
    };
    const status = toPeerStatus(record, NOW);
    expectValid(status);
    expect(status).toMatchObject({ temperature: 'cold', lifecycle: 'idle', blocked_remaining_ms: null, cooldown_remaining_ms: null });
  });

  it('shows a cooldown', () => {
    const record: PeerRecord = { ...fresh(), cooldownUntil: NOW + 1_500, lifecycle: 'cooldown', consecutiveFailures: 2, failures: 2, lastFailureReason: 'E_TRANSPORT_UNAVAILABLE' };
    const status = toPeerStatus(record, NOW);
    expectValid(status);
    expect(status).toMatchObject({ lifecycle: 'cooldown', quality_status: 'cooling_down', cooldown_remaining_ms: 1_500, failure_count: 2, last_failure_reason: 'E_TRANSPORT_UNAVAILABLE' });
  });

  it('shows missing capabilities once the exchange happened', () => {
    const record: PeerRecord = { ...fresh(), capabilities: ['core/discovery'], label: 'lab-3', lifecycle: 'connected', temperature: 'hot', connectedSince: NOW - 10 };
    const status = toPeerStatus(record, NOW);
    expectValid(status);
    expect(status).toMatchObject({
      display_name: 'lab-3',
      temperature: 'hot',
      lifecycle: 'connected',
      supported_capabilities: ['core/discovery'],
      missing_capabilities: ['core/messaging'],
      quality_status: 'capability_limited',
    });
  });

  it('prefers the dialed endpoint, else the preferred advertised one', () => {
    const endpoints = [
      { url: 'wss://b.example/peer', priority: 5, role: 'listener' as const, origin: 'advertisement' as const },
      { url: 'wss://a.example/peer', priority: 1, role: 'listener' as const, origin: 'advertisement' as const },
    ];
    expect(toPeerStatus({ ...fresh(), endpoints }, NOW).selected_endpoint_url).toBe('wss://a.example/peer');
    expect(toPeerStatus({ ...fresh(), endpoints, selectedEndpointUrl: 'wss://b.example/peer' }, NOW).selected_endpoint_url).toBe('wss://b.example/peer');
  });

  it('is rejected by the closed schema when it carries anything more', () => {
    expect(validate({ ...toPeerStatus(fresh(), NOW), extra: 1 })).toBe(false);
  });

  it('validates for any record state', () => {
    const time = fc.integer({ min: NOW - 1e9, max: NOW + 1e9 });
    const count = fc.nat({ max: 1e6 });
    const records = fc.record({
      temperature: fc.constantFrom(...PEER_TEMPERATURES),
      lifecycle: fc.constantFrom(...PEER_LIFECYCLES),
      source: fc.constantFrom(...PEER_SOURCES),
      label: fc.option(fc.string({ maxLength: 50 }), { nil: null }),
      rttSmoothedMs: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: null }),
      consecutiveFailures: count,
      successes: count,
      failures: count,
      firstSeen: time,
      connectedMs: count,
      connectedSince: fc.option(time, { nil: null }),
      cooldownUntil: fc.option(time, { nil: null }),
      block: fc.option(fc.record({ reason: fc.string(), until: fc.option(time, { nil: null }), automatic: fc.boolean(), since: time }), { nil: null }),
      replayIncidents: count,
      capabilityMissingCount: count,
      capabilities: fc.option(fc.array(fc.constantFrom('core/messaging', 'core/discovery', 'core/keepalive')), { nil: null }),
      lastFailureReason: fc.option(fc.string(), { nil: null }),
    });
    fc.assert(
      fc.property(records, (partial) => {
        expectValid(toPeerStatus({ ...fresh(), ...partial }, NOW));
      }),
    );
  });
});

describe('the quality status', () => {
  it('is benchlisted after BENCHLIST_CONSECUTIVE_FAILURES failures in a row', () => {
    const cooling: PeerRecord = { ...fresh(), cooldownUntil: NOW + 1_000 };
    expect(qualityStatusOf({ ...cooling, consecutiveFailures: BENCHLIST_CONSECUTIVE_FAILURES - 1 }, NOW, 50)).toBe('cooling_down');
    expect(qualityStatusOf({ ...cooling, consecutiveFailures: BENCHLIST_CONSECUTIVE_FAILURES }, NOW, 50)).toBe('benchlisted');
  });

  it(`is degraded below a score of DEGRADED_BELOW_SCORE (${DEGRADED_BELOW_SCORE}) or after a failure`, () => {
    expect(qualityStatusOf(fresh(), NOW, DEGRADED_BELOW_SCORE)).toBe('healthy');
    expect(qualityStatusOf(fresh(), NOW, DEGRADED_BELOW_SCORE - 1)).toBe('degraded');
    expect(qualityStatusOf({ ...fresh(), consecutiveFailures: 1 }, NOW, 90)).toBe('degraded');
  });

  it('is capability_limited when a refusal for a missing capability is all we know', () => {
    expect(qualityStatusOf({ ...fresh(), capabilityMissingCount: 1 }, NOW, 50)).toBe('capability_limited');
    expect(qualityStatusOf({ ...fresh(), capabilityMissingCount: 1, capabilities: ['core/messaging'] }, NOW, 50)).toBe('healthy');
  });
});

describe('record helpers', () => {
  it('orders endpoints by priority, then listeners before relays, then URL', () => {
    const e = (url: string, priority: number, role: 'listener' | 'relay') => ({ url, priority, role, origin: 'advertisement' as const });
    const record: PeerRecord = { ...fresh(), endpoints: [e('wss://c', 2, 'listener'), e('wss://b', 1, 'relay'), e('wss://z', 1, 'listener'), e('wss://a', 1, 'listener')] };
    expect(preferredEndpoints(record).map((x) => x.url)).toEqual(['wss://a', 'wss://z', 'wss://b', 'wss://c']);
    expect(compareEndpoints(e('wss://a', 1, 'listener'), e('wss://a', 1, 'listener'))).toBe(0);
  });

  it('ranks sources seed > directory > gossip > inbound > remembered', () => {
    expect(strongerSource('remembered', 'inbound')).toBe('inbound');
    expect(strongerSource('gossip', 'inbound')).toBe('gossip');
    expect(strongerSource('gossip', 'directory')).toBe('directory');
    expect(strongerSource('seed', 'directory')).toBe('seed');
  });

  it('counts the current session in connected time', () => {
    expect(connectedMsAt({ ...fresh(), connectedMs: 100, connectedSince: NOW - 50 }, NOW)).toBe(150);
    expect(connectedMsAt({ ...fresh(), connectedMs: 100 }, NOW)).toBe(100);
  });

  it('reports no missing capability before the exchange', () => {
    expect(missingCapabilities(fresh())).toEqual([]);
    expect(missingCapabilities({ ...fresh(), capabilities: [] })).toEqual(['core/messaging']);
  });
});
