// A realistic node state for tests: joined, contributing, two orchestrators, a few peers and VNodes.
import type { HardwareView } from '../../src-shared/control/hardware-view.js';
import { initialNodeState } from '../../src-shared/control/initial-state.js';
import type { NodeState, PeerView } from '../../src-shared/control/state.js';
import type { TraceEvent } from '../../src-shared/protocol/trace.js';

export const NOW = Date.parse('2026-03-23T18:10:00Z');
export const SELF = 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
export const PEER_A = 'node:did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH';
export const PEER_B = 'node:did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG';
export const PEER_C = 'node:did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf';
export const ORCH = 'node:did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2';

export const HARDWARE: HardwareView = {
  'schema/v': 1,
  'detected-at': '2026-03-23T18:00:00Z',
  'cpu/brand': 'Ryzen 7 5800X',
  'cpu/manufacturer': 'AMD',
  'cpu/physical-cores': 8,
  'cpu/logical-cores': 16,
  'cpu/speed-mhz': 3800,
  'cpu/speed-max-mhz': 4700,
  'memory/total-mb': 32_768,
  'memory/available-mb': 20_480,
  'os/platform': 'linux',
  'os/distro': 'Debian GNU/Linux',
  'os/release': '12',
  'os/kernel': '6.1.0',
  'os/arch': 'x64',
  gpus: [{ 'gpu/vendor': 'NVIDIA', 'gpu/model': 'GeForce RTX 3060', 'gpu/vram-mb': 12_288 }],
  'disk/free-mb': 400_000,
  'disk/total-mb': 1_000_000,
  warnings: [],
};

export function peer(nodeId: string, fields: Partial<PeerView> = {}): PeerView {
  return {
    nodeId,
    label: null,
    address: null,
    temperature: 'warm',
    lifecycle: 'connected',
    direction: 'outbound',
    rttMs: null,
    score: 50,
    capabilities: [],
    lastSeen: null,
    blockedUntil: null,
    blockReason: null,
    ...fields,
  };
}

export function trace(id: string, type: TraceEvent['event/type'], fields: Partial<TraceEvent> = {}): TraceEvent {
  return { 'trace/id': id, 'event/type': type, ts: '2026-03-23T18:09:00Z', 'node/self': SELF, ...fields };
}

/** A node that has not joined: what a first start looks like. */
export function freshState(): NodeState {
  return initialNodeState('0.1.0', NOW - 60_000);
}

export function sampleState(): NodeState {
  const base = initialNodeState('0.1.0', NOW - 3_600_000);
  return {
    ...base,
    identity: {
      nodeId: SELF,
      participantId: 'participant:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
      keyPublic: 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
      createdAt: '2026-03-01T10:00:00Z',
      keystore: 'keychain',
    },
    network: { ...base.network, networkId: 'net:devnet', name: 'Devnet', joinPolicy: 'open', joined: true },
    contribution: {
      enabled: true,
      status: 'contributing',
      snoozedUntil: null,
      limits: { cpuPercent: 50, memoryPercent: 25, maxCores: 2, onlyWhenIdle: false, pauseOnBattery: true },
      suspendReasons: [],
      idleDetection: true,
    },
    orchestrators: [
      {
        nodeId: ORCH,
        url: 'wss://orch.example.org:7443',
        status: 'registered',
        primary: true,
        registeredAt: NOW - 3_000_000,
        lastHeartbeatAt: NOW - 4_000,
        leaseExpiresAt: NOW + 26_000,
        heartbeatIntervalMs: 10_000,
        heartbeatsAcked: 300,
      },
    ],
    peers: [
      peer(PEER_A, { label: 'alpha', address: 'wss://10.0.0.2:7443', temperature: 'hot', rttMs: 30, score: 90, capabilities: ['vnode'], lastSeen: NOW - 1_000 }),
      peer(PEER_B, { label: 'bravo', address: 'wss://10.0.0.3:7443', temperature: 'warm', rttMs: 12, score: 70, capabilities: [], lastSeen: NOW - 5_000 }),
      peer(PEER_C, { label: null, address: null, temperature: 'cold', rttMs: null, score: 20, lifecycle: 'idle', direction: null }),
    ],
    vnodes: [
      { vnodeId: 'vn:01JQ0001', orchestrator: ORCH, cores: 1, memoryMb: 1_024, state: 'running', pausedReason: null, tasksDone: 12, cpuMsToday: 1_800_000, cpuMsTotal: 7_200_000, since: NOW - 3_000_000 },
    ],
    hardware: HARDWARE,
    traces: [trace('tr:1', 'identity/loaded'), trace('tr:2', 'peer/connected', { peer: PEER_A })],
  };
}
