import { describe, expect, it } from 'vitest';
import { connectNodeStore, createNodeStore, isPending } from './node-store.js';
import { MAX_UI_TRACES } from './trace-list.js';
import { FakeBridge } from '../testing/fake-bridge.js';
import { PEER_A, sampleState, trace } from '../testing/sample-state.js';
import type { CommandResult } from '../../src-shared/control/commands.js';

function setup() {
  const bridge = new FakeBridge(sampleState());
  const store = createNodeStore(bridge);
  return { bridge, store };
}

describe('the node store', () => {
  it('takes a state event as the whole snapshot, traces included', () => {
    const { store } = setup();
    const state = sampleState();
    store.getState().apply({ type: 'state', state });
    expect(store.getState().node).toBe(state);
    expect(store.getState().traces.map((t) => t['trace/id'])).toEqual(['tr:1', 'tr:2']);
  });

  it('replaces whole sections on a patch and leaves the rest alone', () => {
    const { store } = setup();
    const state = sampleState();
    store.getState().apply({ type: 'state', state });
    const contribution = { ...state.contribution, enabled: false, status: 'off' as const, suspendReasons: ['contribution-off' as const] };
    store.getState().apply({ type: 'patch', patch: { contribution, peers: [] } });
    const node = store.getState().node!;
    expect(node.contribution).toBe(contribution);
    expect(node.peers).toEqual([]);
    expect(node.orchestrators).toBe(state.orchestrators);
    expect(node.identity).toBe(state.identity);
  });

  it('keeps patches that arrive before any snapshot and applies them to it', () => {
    const { store } = setup();
    store.getState().apply({ type: 'patch', patch: { launchAtLogin: true } });
    expect(store.getState().node).toBeNull();
    store.getState().apply({ type: 'state', state: { ...sampleState(), launchAtLogin: false } });
    expect(store.getState().node!.launchAtLogin).toBe(true);
  });

  it('appends streamed traces once each, and bounds the list', () => {
    const { store } = setup();
    store.getState().apply({ type: 'state', state: sampleState() });
    store.getState().apply({ type: 'trace', event: trace('tr:3', 'peer/discovered', { peer: PEER_A }) });
    store.getState().apply({ type: 'trace', event: trace('tr:3', 'peer/discovered', { peer: PEER_A }) });
    expect(store.getState().traces.map((t) => t['trace/id'])).toEqual(['tr:1', 'tr:2', 'tr:3']);
    for (let i = 0; i < MAX_UI_TRACES + 10; i++) store.getState().apply({ type: 'trace', event: trace(`tr:x${i}`, 'keepalive/lost') });
    const traces = store.getState().traces;
    expect(traces).toHaveLength(MAX_UI_TRACES);
    expect(traces.at(-1)!['trace/id']).toBe(`tr:x${MAX_UI_TRACES + 9}`);
  });

  it('merges a patched trace section with what was streamed', () => {
    const { store } = setup();
    store.getState().apply({ type: 'state', state: sampleState() });
    store.getState().apply({ type: 'trace', event: trace('tr:3', 'peer/discovered') });
    store.getState().apply({ type: 'patch', patch: { traces: [trace('tr:2', 'peer/connected'), trace('tr:3', 'peer/discovered'), trace('tr:4', 'session/established')] } });
    expect(store.getState().traces.map((t) => t['trace/id'])).toEqual(['tr:1', 'tr:2', 'tr:3', 'tr:4']);
  });

  it('keeps one notice per kind, the latest, and drops one that is already untrue', () => {
    const { store } = setup();
    store.getState().apply({ type: 'state', state: sampleState() });
    for (let i = 0; i < 5; i++) store.getState().apply({ type: 'notification', kind: 'joined', title: `t${i}`, body: 'b' });
    store.getState().apply({ type: 'notification', kind: 'trusted-approved', title: 'approved', body: 'b' });
    // The sample node is joined (the notice holds) but not trusted (that one is untrue at once).
    expect(store.getState().notices.map((n) => n.title)).toEqual(['t4']);
    store.getState().dismissNotice(store.getState().notices[0]!.id);
    expect(store.getState().notices).toEqual([]);
  });

  it('sends a command through the bridge and tracks it while in flight', async () => {
    const { bridge, store } = setup();
    let release: (result: CommandResult) => void = () => undefined;
    bridge.answer = () => new Promise((resolve) => (release = resolve));
    const sent = store.getState().send({ command: 'set-contribution', enabled: false });
    expect(isPending(store.getState(), 'set-contribution')).toBe(true);
    release({ ok: true, value: null });
    expect(await sent).toEqual({ ok: true, value: null });
    expect(isPending(store.getState(), 'set-contribution')).toBe(false);
    expect(bridge.commands).toEqual([{ command: 'set-contribution', enabled: false }]);
  });

  it('records a refused command as the last error, and clears it when the same command succeeds', async () => {
    const { bridge, store } = setup();
    bridge.answer = () => ({ ok: false, error: { code: 'failed', message: 'no orchestrator answered', protocolCode: 'E_TRANSPORT_UNAVAILABLE' } });
    await store.getState().send({ command: 'join' });
    expect(store.getState().lastError).toEqual({ command: 'join', code: 'failed', message: 'no orchestrator answered', protocolCode: 'E_TRANSPORT_UNAVAILABLE' });
    bridge.answer = () => ({ ok: true, value: null });
    await store.getState().send({ command: 'join' });
    expect(store.getState().lastError).toBeNull();
  });

  it('refuses a command the node would refuse, without sending it', async () => {
    const { bridge, store } = setup();
    const result = await store.getState().send({ command: 'snooze', minutes: 0 });
    expect(result.ok).toBe(false);
    expect(bridge.commands).toEqual([]);
    expect(store.getState().lastError?.code).toBe('invalid-command');
  });

  it('turns a bridge that throws into a failed result', async () => {
    const { bridge, store } = setup();
    bridge.answer = () => {
      throw new Error('IPC channel closed');
    };
    const result = await store.getState().send({ command: 'resume' });
    expect(result).toEqual({ ok: false, error: { code: 'failed', message: 'IPC channel closed' } });
    expect(store.getState().pending).toEqual([]);
  });

  it('follows the bridge: snapshot, events and connection changes', async () => {
    const { bridge, store } = setup();
    connectNodeStore(store, bridge);
    await Promise.resolve();
    expect(store.getState().node).not.toBeNull();
    bridge.push({ type: 'trace', event: trace('tr:9', 'keepalive/lost') });
    expect(store.getState().traces.at(-1)!['trace/id']).toBe('tr:9');
    bridge.setConnection({ kind: 'disconnected', attempt: 1, retryAt: null, reason: 'gone' });
    expect(store.getState().connection.kind).toBe('disconnected');
    store.getState().retryConnection();
    expect(bridge.retries).toBe(1);
  });

  it('marks the first run as dealt with once an identity action succeeds', async () => {
    const { store } = setup();
    expect(store.getState().firstRunDismissed).toBe(false);
    await store.getState().send({ command: 'import-identity', backup: '{}', passphrase: 'secret' });
    expect(store.getState().firstRunDismissed).toBe(true);
  });
});
