// The orchestrator's rules without sockets: a fake transport records what it would send, a manual
// clock moves time.
import { describe, expect, it } from 'vitest';
import { Orchestrator } from './orchestrator.js';
import { ManualClock } from '../../kernel/util/clock.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { recordingTransport } from '../../../tests/support/orchestrator-transport.js';
import { signDescriptor } from '../../../src-shared/membership/descriptor.js';
import { unknownHardwareSummary } from '../../../src-shared/hardware/hardware-summary.js';
import type { SessionKind } from '../../../src-shared/protocol/messages/kinds.js';
import type { NodeIdentity } from '../../kernel/identity/node-identity.js';
import { MAX_VNODE_FAILURES } from './vnode-table.js';

const INTERVAL = 1_000;
const LEASE = 3 * INTERVAL;

function setup(options: { maxPnodes?: number; trusted?: boolean } = {}) {
  const clock = new ManualClock();
  const { transport, sent, connected } = recordingTransport();
  const orchestrator = new Orchestrator({
    selfNodeId: testIdentity(0x01).nodeId,
    clock,
    crypto: nativeCrypto,
    transport,
    heartbeatIntervalMs: INTERVAL,
    ...(options.maxPnodes !== undefined ? { maxPnodes: options.maxPnodes } : {}),
    ...(options.trusted ? { trust: (d) => (d.operator ? { level: 'trusted', operatorId: String(d.operator['operator/id']) } : { level: 'untrusted' }) } : {}),
  });
  const hardware = { ...unknownHardwareSummary('2026-11-21T12:00:00Z'), 'cpu/logical-cores': 4, 'memory/total-mb': 8_192, 'memory/available-mb': 6_000 };
  let seq = 0;
  const pnode = (byte: number, change: { primary?: boolean; sequence?: number; operator?: Record<string, unknown> } = {}) => {
    const identity: NodeIdentity = testIdentity(byte);
    connected.add(identity.nodeId);
    const descriptor = signDescriptor({ nodeId: identity.nodeId, hardware, offer: { cores: 2, 'memory-mb': 2_048 }, softwareVersion: 't', now: clock.now(), ...(change.sequence !== undefined ? { sequence: change.sequence } : {}), ...(change.operator ? { operator: change.operator } : {}) }, identity.signer);
    orchestrator.onRegister(identity.nodeId, { 'req/id': `reg:${byte}:${++seq}`, descriptor: descriptor as unknown as Record<string, unknown>, primary: change.primary ?? true });
    return identity.nodeId;
  };
  const heartbeat = (nodeId: string, change: { primary?: boolean; contributing?: boolean; vnodes?: Array<{ 'vnode/id': string; state: 'allocated' | 'running' }> } = {}) =>
    orchestrator.onHeartbeat(nodeId, { 'req/id': `hb:${++seq}`, seq, primary: change.primary ?? true, contributing: change.contributing ?? true, 'load/permille': 100, 'memory/available-mb': 6_000, vnodes: change.vnodes ?? [] });
  const last = (kind: SessionKind, to?: string) => [...sent].reverse().find((s) => s.kind === kind && (to === undefined || s.to === to));
  /** The PNode accepts every allocation it was sent, and runs it. */
  const acceptAll = () => {
    for (const s of sent.splice(0)) {
      if (s.kind !== 'vnode-allocate' || s.body['req/id'] === undefined) continue;
      orchestrator.onAllocateReply(s.to, { 're/id': String(s.body['req/id']), 'vnode/id': String(s.body['vnode/id']), accepted: true });
      orchestrator.onStatus(s.to, { 'vnode/id': String(s.body['vnode/id']), state: 'running' });
    }
  };
  return { clock, sent, connected, orchestrator, pnode, heartbeat, last, acceptAll };
}

describe('registrations and leases', () => {
  it('registers with a lease of three intervals and renews it on each heartbeat', () => {
    const { orchestrator, pnode, heartbeat, clock, last } = setup();
    const id = pnode(0x11);
    expect(last('pnode-register')?.body).toMatchObject({ accepted: true, 'lease-ms': LEASE, 'heartbeat-interval-ms': INTERVAL, trust: 'untrusted', 'offer/accepted': { cores: 2, 'memory-mb': 2_048 } });
    clock.advance(2_500);
    heartbeat(id);
    expect(last('heartbeat')?.body).toMatchObject({ 'lease-ms': LEASE, 'heartbeat-interval-ms': INTERVAL });
    clock.advance(2_900);
    orchestrator.tick();
    expect(orchestrator.registry.get(id)?.state).toBe('registered');
    clock.advance(200);
    orchestrator.tick();
    expect(orchestrator.registry.get(id)?.state).toBe('expired');
    expect(orchestrator.counters.leaseExpiries).toBe(1);
  });

  it('answers a heartbeat of an expired registration "not registered" until the PNode registers again, and forgets it after the grace period', () => {
    const { orchestrator, pnode, heartbeat, clock, last } = setup();
    const id = pnode(0x12);
    clock.advance(LEASE);
    orchestrator.tick();
    heartbeat(id);
    expect(last('error')?.body).toMatchObject({ code: 'E_HS_UNKNOWN_REF' });
    pnode(0x12);
    expect(orchestrator.registry.get(id)?.state).toBe('registered');
    clock.advance(LEASE);
    orchestrator.tick();
    expect(orchestrator.registry.get(id)?.state).toBe('expired');
    clock.advance(orchestrator.graceMs);
    orchestrator.tick();
    expect(orchestrator.registry.get(id)).toBeUndefined();
    expect(orchestrator.counters.forgotten).toBe(1);
  });

  it('refuses a descriptor older than the one it holds (E_ADV_STALE_SEQ), and says "registry full" past its limit', () => {
    const { orchestrator, pnode, last } = setup({ maxPnodes: 1 });
    const id = pnode(0x13, { sequence: 10 });
    pnode(0x13, { sequence: 9 });
    expect(last('error', id)?.body).toMatchObject({ code: 'E_ADV_STALE_SEQ' });
    pnode(0x14);
    expect(last('pnode-register')?.body).toMatchObject({ accepted: false, reason: 'registry full' });
    expect(orchestrator.registry.size).toBe(1);
  });

  it('asks its trust hook for the trust level (the slot trusted registration fills)', () => {
    const { orchestrator, pnode, last } = setup({ trusted: true });
    const id = pnode(0x15, { operator: { 'operator/id': 'op:lab' } });
    expect(last('pnode-register')?.body).toMatchObject({ trust: 'trusted' });
    expect(orchestrator.registry.get(id)).toMatchObject({ trust: 'trusted', operatorId: 'op:lab' });
  });
});

describe('VNodes', () => {
  it('places only on primary, contributing, connected PNodes', () => {
    const { orchestrator, pnode, heartbeat, connected, sent } = setup();
    const standby = pnode(0x21, { primary: false });
    heartbeat(standby, { primary: false });
    const paused = pnode(0x22);
    heartbeat(paused, { contributing: false });
    const gone = pnode(0x23);
    heartbeat(gone);
    connected.delete(gone);
    const record = orchestrator.requestVNode({ cores: 1, memoryMb: 64 });
    orchestrator.placePending();
    expect(record.state).toBe('pending');
    expect(sent.filter((s) => s.kind === 'vnode-allocate')).toHaveLength(0);
    const good = pnode(0x24);
    heartbeat(good);
    orchestrator.placePending();
    expect(record).toMatchObject({ state: 'offered', pnode: good });
  });

  it('takes back the VNodes of a PNode whose lease ended and places them on another', () => {
    const { orchestrator, pnode, heartbeat, clock, acceptAll } = setup();
    const a = pnode(0x31);
    heartbeat(a);
    const record = orchestrator.requestVNode({ cores: 2, memoryMb: 64 });
    orchestrator.placePending();
    acceptAll();
    expect(record).toMatchObject({ state: 'running', pnode: a });
    const b = pnode(0x32);
    clock.advance(LEASE - 10);
    heartbeat(b);
    clock.advance(10);
    orchestrator.tick();
    expect(orchestrator.registry.get(a)?.state).toBe('expired');
    expect(record).toMatchObject({ state: 'offered', pnode: b, moves: 1 });
    acceptAll();
    expect(record.state).toBe('running');
    expect(orchestrator.counters.vnodesMoved).toBe(1);
  });

  it('takes back what a PNode no longer lists, and releases what it lists but does not hold from us', () => {
    const { orchestrator, pnode, heartbeat, acceptAll, last } = setup();
    const a = pnode(0x41);
    heartbeat(a);
    const record = orchestrator.requestVNode({ cores: 1, memoryMb: 64 });
    orchestrator.placePending();
    acceptAll();
    heartbeat(a, { vnodes: [{ 'vnode/id': record.id, state: 'running' }, { 'vnode/id': 'vn:NOT-OURS', state: 'running' }] });
    expect(last('vnode-release', a)?.body).toMatchObject({ 'vnode/id': 'vn:NOT-OURS', reason: 'reconcile' });
    expect(record.state).toBe('running');
    heartbeat(a, { vnodes: [] });
    expect(record.state).not.toBe('running');
    expect(record.moves).toBe(1);
  });

  it('takes back everything when the PNode makes another orchestrator its primary', () => {
    const { orchestrator, pnode, heartbeat, acceptAll } = setup();
    const a = pnode(0x51);
    heartbeat(a);
    const record = orchestrator.requestVNode({ cores: 1, memoryMb: 64 });
    orchestrator.placePending();
    acceptAll();
    heartbeat(a, { primary: false, vnodes: [] });
    expect(record).toMatchObject({ state: 'pending', pnode: null });
    expect(orchestrator.registry.get(a)?.vnodes.size).toBe(0);
  });

  it('tries another PNode after a refusal or no answer, and skips the refuser for a lease', () => {
    const { orchestrator, pnode, heartbeat, sent, clock } = setup();
    const a = pnode(0x61);
    heartbeat(a);
    const record = orchestrator.requestVNode({ cores: 1, memoryMb: 64 });
    orchestrator.placePending();
    const offer = sent.find((s) => s.kind === 'vnode-allocate')!;
    orchestrator.onAllocateReply(a, { 're/id': String(offer.body['req/id']), 'vnode/id': record.id, accepted: false, reason: 'not-primary' });
    expect(record).toMatchObject({ state: 'pending', moves: 0 });
    orchestrator.placePending();
    expect(record.state).toBe('pending');
    const b = pnode(0x62);
    heartbeat(b);
    orchestrator.placePending();
    expect(record).toMatchObject({ state: 'offered', pnode: b });
    clock.advance(LEASE);
    heartbeat(a);
    heartbeat(b);
    orchestrator.tick();
    expect(orchestrator.counters.allocationsTimedOut).toBe(1);
    expect(record).toMatchObject({ state: 'offered', pnode: a });
  });

  it('gives a VNode up after it failed on MAX_VNODE_FAILURES PNodes', () => {
    const { orchestrator, pnode, heartbeat, clock, acceptAll } = setup();
    const record = orchestrator.requestVNode({ cores: 1, memoryMb: 64 });
    for (let i = 0; i < MAX_VNODE_FAILURES; i++) {
      const id = pnode(0x70 + i);
      heartbeat(id);
      orchestrator.placePending();
      acceptAll();
      orchestrator.onStatus(id, { 'vnode/id': record.id, state: 'failed', reason: 'crashed' });
      clock.advance(1);
    }
    expect(record).toMatchObject({ state: 'failed', failures: MAX_VNODE_FAILURES });
  });

  it('tells the PNode to let a late accept go (the offer had moved on)', () => {
    const { orchestrator, pnode, heartbeat, last } = setup();
    const a = pnode(0x7a);
    heartbeat(a);
    orchestrator.onAllocateReply(a, { 're/id': 'va:unknown', 'vnode/id': 'vn:late', accepted: true });
    expect(last('vnode-release', a)?.body).toMatchObject({ 'vnode/id': 'vn:late', reason: 'moved' });
  });

  it('refuses sizes out of range', () => {
    const { orchestrator } = setup();
    expect(() => orchestrator.requestVNode({ cores: 0, memoryMb: 1 })).toThrow(/cores/);
    expect(() => orchestrator.requestVNode({ cores: 1, memoryMb: 0.5 })).toThrow(/memory-mb/);
  });
});

describe('registrations per address (issue 13 §4)', () => {
  const register = (t: ReturnType<typeof setup>, byte: number, address: string) => {
    const identity = testIdentity(byte);
    t.connected.add(identity.nodeId);
    const hardware = { ...unknownHardwareSummary('2026-11-21T12:00:00Z'), 'cpu/logical-cores': 4, 'memory/total-mb': 8_192, 'memory/available-mb': 6_000 };
    const descriptor = signDescriptor({ nodeId: identity.nodeId, hardware, offer: { cores: 2, 'memory-mb': 2_048 }, softwareVersion: 't', now: t.clock.now() }, identity.signer);
    t.orchestrator.onRegister(identity.nodeId, { 'req/id': `reg:${byte}`, descriptor: descriptor as unknown as Record<string, unknown>, primary: true }, { address, session: `sess:${byte}` });
    return { nodeId: identity.nodeId, answer: t.last('pnode-register', identity.nodeId)?.body };
  };

  it('registers at most four PNodes from one address and 64 from one /24; a renewal does not count twice', () => {
    const t = setup();
    for (let i = 0; i < 4; i++) expect(register(t, 0x80 + i, '203.0.113.9').answer).toMatchObject({ accepted: true });
    expect(register(t, 0x84, '203.0.113.9').answer).toEqual({ 're/id': 'reg:132', accepted: false, reason: '4 PNodes are registered from this address already' });
    expect(register(t, 0x85, '::ffff:203.0.113.9').answer).toMatchObject({ accepted: false });
    // The same PNode registering again from its address is a renewal.
    expect(register(t, 0x80, '203.0.113.9').answer).toMatchObject({ accepted: true });
    expect(t.orchestrator.registry.get(testIdentity(0x80).nodeId)).toMatchObject({ address: '203.0.113.9', prefix: '203.0.113.0/24', session: 'sess:128' });
    // 4 more addresses of 4 PNodes each … until the /24 holds 64 (identities 0x10–0x7f and 0xa0–0xff, none used above).
    const bytes = [...Array.from({ length: 0x70 }, (_, i) => 0x10 + i), ...Array.from({ length: 0x60 }, (_, i) => 0xa0 + i)];
    let accepted = 4;
    for (const [n, byte] of bytes.slice(0, 80).entries()) {
      const r = register(t, byte, `203.0.113.${10 + Math.floor(n / 4)}`);
      if (r.answer?.['accepted'] === true) accepted++;
      else expect(r.answer).toMatchObject({ accepted: false, reason: '64 PNodes are registered from this network (203.0.113.0/24) already' });
    }
    expect(accepted).toBe(64);
  });

  it('frees an address\'s place when a lease ends', () => {
    const t = setup();
    for (let i = 0; i < 4; i++) register(t, 0x90 + i, '198.51.100.4');
    expect(register(t, 0x94, '198.51.100.4').answer).toMatchObject({ accepted: false });
    t.clock.advance(LEASE + 1);
    t.orchestrator.tick();
    expect(register(t, 0x94, '198.51.100.4').answer).toMatchObject({ accepted: true });
  });
});
